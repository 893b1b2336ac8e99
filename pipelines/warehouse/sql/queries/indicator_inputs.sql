-- Entrées des calculs d'indicateurs (lues en Polars par pipelines/indicators/refresh.py).

-- name: flux
-- Les établissements arrivent déjà sommés par rattachement (indicateurs_etablissements.sql, `sums_by_department`).
SELECT mois, couloir, niveau, code_geo, code_region, code_departement, type_document, documents, donnees_demo
FROM stg_flux
WHERE niveau <> 'etablissement';

-- name: population
SELECT annee, niveau, code AS code_geo, population FROM stg_population;

-- name: cibles
SELECT indicateur, perimetre, echeance, valeur FROM stg_cibles;

-- name: cosui
SELECT date FROM jalons WHERE programme = 'COSUI';

-- name: jalons
SELECT date, programme, jalon FROM jalons;

-- name: sons
SELECT date_situation, vague, dispositif, niveau, code_geo, solutions_referencees, cible, bons_de_commande,
       installations, demandes_de_solde, montants_verses_eur, donnees_demo
FROM stg_sons;

-- name: dispositifs
SELECT code, couloir FROM ref_dispositifs;

-- name: sunes
SELECT date_situation, fenetre, domaine, niveau, code_geo, es_engages, es_valides, donnees_demo FROM stg_sunes;

-- name: geo_labels
SELECT 'pays' AS niveau, 'FR' AS code_geo, 'France' AS libelle_geo
UNION ALL SELECT 'region', code_region, nom_region FROM ref_regions
UNION ALL SELECT 'departement', code_departement, nom_departement FROM ref_departements;
