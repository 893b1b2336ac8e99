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

-- name: establishment_parents
-- Le rattachement de chaque établissement (son dernier mois livré) : département, à défaut région, à défaut France,
-- numéroté pour que la complétude (pipelines/indicators/completeness.py) compte sur des entiers.
WITH rattachements AS (
    SELECT etablissement_id,
           CASE WHEN code_departement <> '' THEN 'departement' WHEN code_region <> '' THEN 'region' ELSE 'pays' END
               AS niveau,
           CASE WHEN code_departement <> '' THEN code_departement WHEN code_region <> '' THEN code_region ELSE 'FR' END
               AS code_geo
    FROM dim_etablissements
)
SELECT etablissement_id, CAST(dense_rank() OVER (ORDER BY niveau, code_geo) AS INTEGER) AS parent, niveau, code_geo
FROM rattachements;

-- name: establishment_deliveries
-- Les livraisons des établissements (un mois × couloir livré) des mois $debut à $fin, en numéros ;
-- `etablissements_parents` est le résultat de `establishment_parents`.
SELECT s.etablissement_id AS unite, p.parent, s.couloir_id AS couloir, s.mois
FROM series_etablissements AS s
JOIN etablissements_parents AS p USING (etablissement_id)
WHERE s.couloir_id <> 0 AND s.mois BETWEEN $debut AND $fin;

-- name: delivered_months
-- Les mois de lignes d'établissements qu'un import de flux a livrés (rangs depuis janvier 1900).
SELECT min(CAST(datediff('month', DATE '1900-01-01', f.mois) AS INTEGER)),
       max(CAST(datediff('month', DATE '1900-01-01', f.mois) AS INTEGER))
FROM raw_flux AS f
JOIN codes_niveaux AS n ON n.numero = f.niveau_num
WHERE f.import_id = $import AND n.valeur = 'etablissement';

-- name: last_feed_month
-- Le dernier mois des indicateurs en place, avant leur remplacement : s'il avance, l'attente de la complétude aussi.
SELECT max(mois) FROM indicateurs_flux;

-- name: indicators_computed
-- Vrai quand les tables d'indicateurs agrégés existent (créées au premier recalcul).
SELECT count(*) = 2 FROM information_schema.tables WHERE table_name IN ('indicateurs_flux', 'completude');

-- name: incremental_ready
-- Vrai quand les tables que le recalcul incrémental reprend sont remplies (un entrepôt d'avant elles, ou dont le
-- recalcul complet n'a jamais tourné, les remplit d'abord par un recalcul complet). Sans aucune série
-- d'établissement, il n'y a rien à garder : le recalcul complet (un premier chargement) est le moins cher.
SELECT (SELECT count(*) FROM series_etablissements) > 0
   AND (SELECT count(*) FROM sommes_etablissements) > 0 AND (SELECT count(*) FROM comptes_etablissements) > 0
   AND (SELECT count(*) FROM completude) > 0;

-- name: clear_counts
DELETE FROM comptes_etablissements;
DELETE FROM enfants_etablissements;

-- name: clear_counts_months
DELETE FROM comptes_etablissements WHERE mois BETWEEN $debut AND $fin;

-- name: clear_children_months
DELETE FROM enfants_etablissements WHERE mois BETWEEN $debut AND $fin;

-- name: store_counts
INSERT INTO comptes_etablissements
SELECT niveau, code_geo, couloir, mois, attendues, livrees, presentes FROM comptes_calcules;

-- name: store_children
INSERT INTO enfants_etablissements
SELECT niveau, code_geo, mois, enfants_attendus, enfants_livres FROM enfants_calcules;

-- name: establishment_counts
SELECT niveau, code_geo, couloir, mois, attendues, livrees, presentes FROM comptes_etablissements;

-- name: establishment_children
SELECT niveau, code_geo, mois, enfants_attendus, enfants_livres FROM enfants_etablissements;

-- name: establishment_couloirs
SELECT couloir_id, couloir FROM dim_couloirs_etablissements WHERE couloir_id <> 0;

-- name: usage
SELECT mois, indicateur, niveau, code_geo, code_region, valeur, donnees_demo FROM stg_usage;

-- name: departements
SELECT code_departement AS code_geo, code_region FROM ref_departements;

-- name: declared_contributions
-- Les contributions déclarées attendues (data/reference/contributions_attendues.csv), rapportées au périmètre auquel
-- elles contribuent : une région à la France, un département à sa région ; `*` vaut chaque couloir du référentiel.
SELECT CASE c.niveau WHEN 'region' THEN 'pays' ELSE 'region' END AS niveau,
       CASE c.niveau WHEN 'region' THEN 'FR' ELSE d.code_region END AS code_geo,
       c.code_geo AS unite,
       k.code AS couloir,
       CAST(c.debut || '-01' AS DATE) AS debut,
       CAST(nullif(c.fin, '') || '-01' AS DATE) AS fin
FROM ref_contributions_attendues AS c
LEFT JOIN ref_departements AS d ON c.niveau = 'departement' AND d.code_departement = c.code_geo
JOIN ref_couloirs AS k ON c.couloir = '*' OR k.code = c.couloir
WHERE c.niveau IN ('region', 'departement');
