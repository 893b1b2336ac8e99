-- Chiffres de tête comparés avant et après un import (pipelines/warehouse/headlines.py).

-- name: totals
-- Documents de la France et de chaque région, par mois et couloir (`TOUS` compris), tels que les pages les affichent.
SELECT mois, niveau, code_geo, coalesce(libelle_geo, code_geo) AS libelle_geo, couloir, documents
FROM indicateurs_flux
WHERE niveau IN ('pays', 'region');

-- name: record_diffusion
-- Les chiffres de tête d'un paquet de transparence (table `paquet_diffuse`, enregistrée par l'appelant), sous un
-- nouveau numéro de diffusion. Paramètres : date de publication, mois du paquet, démonstration.
INSERT INTO chiffres_diffuses
SELECT (SELECT coalesce(max(diffusion_id), 0) + 1 FROM chiffres_diffuses), ?, ?, ?,
       p.mois, p.niveau, p.code_geo, p.couloir, p.documents
FROM paquet_diffuse AS p;

-- name: last_diffused
-- Le dernier chiffre diffusé de chaque chiffre de tête : celui du paquet le plus récent qui le contenait.
SELECT mois, niveau, code_geo, couloir, documents, publie_le, mois_paquet, donnees_demo
FROM chiffres_diffuses
QUALIFY row_number() OVER (PARTITION BY mois, niveau, code_geo, couloir ORDER BY diffusion_id DESC) = 1;

-- name: record_errata
-- Les chiffres publiés qu'un import change, avec les deux valeurs (la liste des errata de la page Données les lit).
INSERT INTO revisions_publiees
SELECT r.import_id, r.mois, r.niveau, r.code_geo, r.couloir, r.indicateur_publie, r.valeur_publiee, r.source_publiee,
       r.documents_avant, r.documents_apres
FROM revisions_du_lot AS r;

-- name: errata
-- Révisions de chiffres publiés inscrites par les imports, avec le fichier et la date de l'import.
SELECT r.*, i.fichier, i.accepte_le, i.donnees_demo
FROM revisions_publiees AS r
JOIN imports AS i ON i.id = r.import_id
ORDER BY r.import_id DESC, r.mois, r.niveau, r.code_geo, r.couloir;
