-- Couche de préparation : pour chaque clé, la valeur du dernier import qui l'a livrée (les révisions remplacent).
-- Chaque vue est une chaîne d'étapes nommées ; la fenêtre ROW_NUMBER reste en SQL standard (portable).
-- Les petites sources (SONS, SUN-ES, population, cibles) sont classées à la lecture ; les flux, volumineux, non.

-- Les flux : les lignes brutes qu'aucun import plus récent n'a remplacées (`flux_remplacees`, tenue à l'import), avec
-- les numéros de leurs codes. Les calculs lourds (comparaison à l'import, établissements) lisent cette vue-ci : leurs
-- jointures et regroupements portent sur des entiers.
CREATE OR REPLACE VIEW stg_flux_numeros AS
SELECT f.mois, f.couloir_num, f.niveau_num, f.geo_num, f.region_num, f.departement_num, f.type_num, f.documents,
       f.import_id, f.ligne, i.accepte_le, i.donnees_demo
FROM raw_flux AS f
JOIN imports AS i ON i.id = f.import_id
WHERE NOT EXISTS (
    SELECT 1 FROM flux_remplacees AS r WHERE r.import_id = f.import_id AND r.ligne = f.ligne
);

-- Toutes les lignes livrées, remplacées comprises, codes décodés (le seul endroit où ils le sont) : l'historique
-- (`flux_historique`) et, filtrées, les valeurs courantes.
CREATE OR REPLACE VIEW flux_livres AS
SELECT f.import_id, f.ligne, f.mois, c.valeur AS couloir, n.valeur AS niveau, g.valeur AS code_geo,
       r.valeur AS code_region, d.valeur AS code_departement, t.valeur AS type_document, f.documents
FROM raw_flux AS f
JOIN codes_couloirs AS c ON c.numero = f.couloir_num
JOIN codes_niveaux AS n ON n.numero = f.niveau_num
JOIN codes_geo AS g ON g.numero = f.geo_num
JOIN codes_geo AS r ON r.numero = f.region_num
JOIN codes_geo AS d ON d.numero = f.departement_num
JOIN codes_types AS t ON t.numero = f.type_num;

-- Les valeurs courantes, codes décodés : ce que lisent les marts et les exports (même coût que décoder
-- `stg_flux_numeros`, mesuré à 10 M de lignes : DuckDB filtre avant de décoder).
CREATE OR REPLACE VIEW stg_flux AS
SELECT f.mois, f.couloir, f.niveau, f.code_geo, f.code_region, f.code_departement, f.type_document, f.documents,
       f.import_id, f.ligne, i.accepte_le, i.donnees_demo
FROM flux_livres AS f
JOIN imports AS i ON i.id = f.import_id
WHERE NOT EXISTS (
    SELECT 1 FROM flux_remplacees AS r WHERE r.import_id = f.import_id AND r.ligne = f.ligne
);

CREATE OR REPLACE VIEW stg_sons AS
WITH livraisons AS (
    SELECT s.*, i.donnees_demo
    FROM raw_sons AS s
    JOIN imports AS i ON i.id = s.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (
               PARTITION BY date_situation, vague, dispositif, niveau, code_geo
               ORDER BY import_id DESC, ligne DESC
           ) AS rang
    FROM livraisons
)
SELECT date_situation, vague, dispositif, niveau, code_geo, solutions_referencees, cible, bons_de_commande,
       installations, demandes_de_solde, montants_verses_eur, import_id, donnees_demo
FROM classees
WHERE rang = 1;

CREATE OR REPLACE VIEW stg_sunes AS
WITH livraisons AS (
    SELECT s.*, i.donnees_demo
    FROM raw_sunes AS s
    JOIN imports AS i ON i.id = s.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (
               PARTITION BY date_situation, fenetre, domaine, niveau, code_geo
               ORDER BY import_id DESC, ligne DESC
           ) AS rang
    FROM livraisons
)
SELECT date_situation, fenetre, domaine, niveau, code_geo, es_engages, es_valides, import_id, donnees_demo
FROM classees
WHERE rang = 1;

CREATE OR REPLACE VIEW stg_population AS
WITH livraisons AS (
    SELECT p.*, i.donnees_demo
    FROM raw_population AS p
    JOIN imports AS i ON i.id = p.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (PARTITION BY annee, niveau, code ORDER BY import_id DESC, ligne DESC) AS rang
    FROM livraisons
)
SELECT annee, niveau, code, population, import_id, donnees_demo
FROM classees
WHERE rang = 1;

CREATE OR REPLACE VIEW stg_cibles AS
WITH livraisons AS (
    SELECT c.*, i.donnees_demo
    FROM raw_cibles AS c
    JOIN imports AS i ON i.id = c.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (PARTITION BY indicateur, perimetre, echeance ORDER BY import_id DESC, ligne DESC) AS rang
    FROM livraisons
)
SELECT indicateur, perimetre, echeance, valeur, import_id, donnees_demo
FROM classees
WHERE rang = 1;

CREATE OR REPLACE VIEW stg_usage AS
WITH livraisons AS (
    SELECT u.*, i.donnees_demo
    FROM raw_usage AS u
    JOIN imports AS i ON i.id = u.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (PARTITION BY mois, indicateur, niveau, code_geo ORDER BY import_id DESC, ligne DESC) AS rang
    FROM livraisons
)
SELECT mois, indicateur, niveau, code_geo, code_region, valeur, import_id, donnees_demo
FROM classees
WHERE rang = 1;
