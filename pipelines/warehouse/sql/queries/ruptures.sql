-- Entrées des règles de rupture par établissement (pipelines/warehouse/ruptures.py). Périmètre : toute la France,
-- une région (`code_region`) ou un département (`code_departement`) ; un paramètre NULL ne filtre pas.

-- name: series
-- Les séries mensuelles par établissement × couloir (hors TOUS, couloir_id 0) des mois [début, fin].
SELECT e.code_geo AS finess, e.code_departement, c.couloir, s.mois, s.documents, s.donnees_demo
FROM series_etablissements AS s
JOIN dim_etablissements AS e USING (etablissement_id)
JOIN dim_couloirs_etablissements AS c USING (couloir_id)
WHERE s.couloir_id <> 0 AND s.mois BETWEEN $debut AND $fin
  AND (CAST($region AS VARCHAR) IS NULL OR e.code_region = $region)
  AND (CAST($departement AS VARCHAR) IS NULL OR e.code_departement = $departement);

-- name: directory
SELECT finess, finess_juridique, raison_sociale, categorie, libelle_categorie, code_departement, code_region,
       donnees_demo
FROM etablissements
WHERE (CAST($region AS VARCHAR) IS NULL OR code_region = $region)
  AND (CAST($departement AS VARCHAR) IS NULL OR code_departement = $departement);

-- name: sons
SELECT finess, vague, dispositif, date_installation, donnees_demo FROM sons_etablissements;

-- name: dispositifs
SELECT code, couloir FROM ref_dispositifs;

-- name: completeness
-- La complétude de chaque département × couloir (pipelines/indicators/completeness.py).
SELECT code_geo AS code_departement, couloir, mois, attendues, livrees, complet
FROM completude
WHERE niveau = 'departement' AND couloir <> 'TOUS' AND mois BETWEEN $debut AND $fin;

-- name: delivered_months
-- Les mois livrés de chaque département × couloir (déclarés ou somme de ses établissements) : ce qui tient lieu de
-- mois complet quand l'entrepôt n'a pas de table `completude`.
SELECT code_geo AS code_departement, couloir, mois, 0 AS attendues, 0 AS livrees, TRUE AS complet
FROM indicateurs_flux
WHERE niveau = 'departement' AND couloir <> 'TOUS' AND mois BETWEEN $debut AND $fin;

-- name: latest_month
SELECT max(mois) FROM series_etablissements;

-- name: labels
SELECT d.code_departement, d.nom_departement, d.code_region, r.nom_region
FROM ref_departements AS d
JOIN ref_regions AS r USING (code_region);
