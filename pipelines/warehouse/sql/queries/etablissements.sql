-- Lectures de la page « Établissements » (pipelines/warehouse/establishment_queries.py). Périmètre : toute la
-- France, une région ou un département ; un paramètre NULL ne filtre pas (`recent_series` se borne, elle, à une liste
-- de FINESS).

-- name: recent_series
-- Les séries par couloir (hors TOUS) des mois [début, fin] des établissements $finess (ceux en alerte), une liste par
-- établissement × couloir (petits graphiques).
WITH choisis AS (SELECT UNNEST(CAST($finess AS VARCHAR[])) AS finess)
SELECT e.code_geo AS finess, c.couloir, list(s.documents ORDER BY s.mois) AS serie,
       list(s.mois ORDER BY s.mois) AS mois_serie
FROM series_etablissements AS s
JOIN dim_etablissements AS e USING (etablissement_id)
JOIN choisis AS ch ON ch.finess = e.code_geo
JOIN dim_couloirs_etablissements AS c USING (couloir_id)
WHERE s.couloir_id <> 0 AND s.mois BETWEEN $debut AND $fin
GROUP BY ALL;

-- name: establishments
-- Tous les établissements du périmètre (répertoire ou flux) : nom, catégorie, rattachement, dernier mois avec des
-- documents jusqu'au mois choisi, documents de ce mois-là et du mois choisi (tous couloirs), évolution sur 12 mois.
WITH perimetre AS (
    SELECT etablissement_id, code_geo AS finess, code_region, code_departement
    FROM dim_etablissements
    WHERE (CAST($region AS VARCHAR) IS NULL OR code_region = $region)
      AND (CAST($departement AS VARCHAR) IS NULL OR code_departement = $departement)
),
-- L'historique se résume par numéro d'établissement, sans décoder ses lignes (couloir_id 0 : TOUS) ; seul le mois
-- choisi passe par la vue, pour son évolution sur 12 mois.
envois AS (
    SELECT etablissement_id,
           max(mois) FILTER (WHERE documents > 0) AS dernier_mois_avec_envoi,
           arg_max(documents, mois) FILTER (WHERE documents > 0) AS documents_dernier_envoi,
           bool_or(donnees_demo) AS demo_flux
    FROM series_etablissements
    WHERE couloir_id = 0 AND mois <= $mois AND etablissement_id IN (SELECT etablissement_id FROM perimetre)
    GROUP BY etablissement_id
),
resume AS (
    SELECT p.finess, e.dernier_mois_avec_envoi, e.documents_dernier_envoi, m.documents AS documents_mois,
           m.evolution_12_mois, e.demo_flux
    FROM perimetre AS p
    JOIN envois AS e USING (etablissement_id)
    LEFT JOIN indicateurs_etablissements AS m ON m.code_geo = p.finess AND m.couloir = 'TOUS' AND m.mois = $mois
),
repertoire AS (
    SELECT * FROM etablissements
    WHERE (CAST($region AS VARCHAR) IS NULL OR code_region = $region)
      AND (CAST($departement AS VARCHAR) IS NULL OR code_departement = $departement)
)
SELECT coalesce(r.finess, p.finess) AS finess, r.raison_sociale, r.categorie, r.libelle_categorie,
       coalesce(r.code_departement, p.code_departement) AS code_departement,
       coalesce(r.code_region, p.code_region) AS code_region,
       s.dernier_mois_avec_envoi, s.documents_dernier_envoi, s.documents_mois, s.evolution_12_mois,
       coalesce(s.demo_flux, r.donnees_demo, FALSE) AS donnees_demo
FROM repertoire AS r
FULL JOIN perimetre AS p ON p.finess = r.finess
LEFT JOIN resume AS s ON s.finess = coalesce(r.finess, p.finess)
ORDER BY code_departement, r.raison_sociale NULLS LAST, finess;

-- name: sons_status
-- SONS de chaque établissement géographique (ligne à son FINESS, ou à celui de son entité juridique).
SELECT e.finess, e.code_region, s.vague, s.dispositif, d.couloir, s.date_bon_de_commande, s.date_installation, s.date_demande_solde,
       s.montant_eur
FROM etablissements AS e
JOIN sons_etablissements AS s ON s.finess = e.finess OR s.finess = e.finess_juridique
LEFT JOIN ref_dispositifs AS d ON d.code = s.dispositif
WHERE (CAST($region AS VARCHAR) IS NULL OR e.code_region = $region)
  AND (CAST($departement AS VARCHAR) IS NULL OR e.code_departement = $departement)
  AND (CAST($finess AS VARCHAR) IS NULL OR e.finess = $finess)
ORDER BY e.finess, s.vague, s.dispositif;

-- name: detail_series
-- Un établissement : documents par mois, couloir et type de document (le type vide = total « tous types »), avec son
-- rattachement (région du dernier mois livré).
SELECT f.mois, f.couloir, coalesce(f.type_document, '') AS type_document, f.documents, e.code_region
FROM flux_mensuel AS f
JOIN dim_etablissements AS e ON e.code_geo = f.code_geo
WHERE f.niveau = 'etablissement' AND f.code_geo = $finess
ORDER BY f.couloir, type_document, f.mois;

-- name: sons_lines
-- Chaque ligne SONS par établissement avec la région de son FINESS : celle de l'établissement géographique, ou, pour
-- un bon de commande à la maille juridique, celle de ses sites (la première s'ils étaient dans plusieurs régions).
WITH sites AS (
    SELECT finess, code_region FROM etablissements
),
entites AS (
    SELECT finess_juridique AS finess, min(code_region) AS code_region
    FROM etablissements
    WHERE finess_juridique IS NOT NULL
    GROUP BY finess_juridique
)
SELECT s.vague, s.dispositif, s.date_bon_de_commande, s.date_installation, s.date_demande_solde, s.montant_eur,
       coalesce(g.code_region, j.code_region, '') AS code_region
FROM sons_etablissements AS s
LEFT JOIN sites AS g ON g.finess = s.finess
LEFT JOIN entites AS j ON j.finess = s.finess;
