-- Indicateurs des établissements (niveau FINESS), calculés en SQL DuckDB plutôt qu'en Polars : à l'échelle nationale
-- (des dizaines de millions de lignes), DuckDB les calcule en flux, sous la limite de mémoire de l'entrepôt
-- (MES_MEMOIRE_MAX_MO), en débordant sur disque s'il le faut. Les définitions sont celles de
-- pipelines/indicators/flux.py (mêmes noms de colonnes), restreintes à ce qui a un sens pour un établissement.
-- SQL standard (fenêtres RANGE sur intervalles) hormis bool_or / any_value.

-- name: collapse_types
-- Un flux par établissement × couloir × mois : la ligne « tous types » si elle est livrée, sinon la somme des types
-- (même règle que `collapse_document_types`).
CREATE OR REPLACE TEMP TABLE tmp_flux_etablissements AS
WITH etablissements AS (
    SELECT mois, couloir, code_geo, code_region, code_departement, type_document, documents, donnees_demo
    FROM stg_flux
    WHERE niveau = 'etablissement'
),
totaux AS (
    SELECT mois, couloir, code_geo, code_region, code_departement, documents, donnees_demo
    FROM etablissements
    WHERE type_document = ''
),
par_type AS (
    SELECT mois, couloir, code_geo, code_region, code_departement, CAST(sum(documents) AS BIGINT) AS documents,
           bool_or(donnees_demo) AS donnees_demo
    FROM etablissements
    WHERE type_document <> ''
    GROUP BY mois, couloir, code_geo, code_region, code_departement
),
types_sans_total AS (
    SELECT p.*
    FROM par_type AS p
    ANTI JOIN totaux AS t USING (mois, couloir, code_geo)
)
SELECT * FROM totaux
UNION ALL
SELECT * FROM types_sans_total;

-- name: sums_by_department
-- Ce que les établissements apportent aux niveaux supérieurs : la somme par département (ou par région, ou pour la
-- France, quand l'établissement n'est rattaché qu'à ce niveau). Présentée comme un établissement fictif par
-- rattachement, que la consolidation géographique (Polars) additionne comme les autres.
SELECT mois, couloir, 'etablissement' AS niveau,
       '*' || code_region || '/' || code_departement AS code_geo,
       code_region, code_departement, '' AS type_document,
       CAST(sum(documents) AS BIGINT) AS documents, bool_or(donnees_demo) AS donnees_demo
FROM tmp_flux_etablissements
GROUP BY mois, couloir, code_region, code_departement;

-- name: establishments
-- Un numéro entier par établissement (rattachement : celui de son dernier mois livré).
DELETE FROM dim_etablissements;
INSERT INTO dim_etablissements
SELECT CAST(row_number() OVER (ORDER BY code_geo) AS BIGINT) AS etablissement_id, code_geo,
       arg_max(code_region, mois) AS code_region, arg_max(code_departement, mois) AS code_departement
FROM tmp_flux_etablissements
GROUP BY code_geo;

-- name: couloirs
-- Un numéro entier par couloir ; 0 pour TOUS.
DELETE FROM dim_couloirs_etablissements;
INSERT INTO dim_couloirs_etablissements
SELECT CAST(0 AS BIGINT) AS couloir_id, 'TOUS' AS couloir
UNION ALL
SELECT CAST(row_number() OVER (ORDER BY couloir) AS BIGINT), couloir
FROM (SELECT DISTINCT couloir FROM tmp_flux_etablissements);

-- name: keyed_series
-- Chaque valeur (hors TOUS, ajouté par Polars) sous une clé entière croissante `cle` = (établissement × 64 + couloir) × 4096 + rang du mois depuis
-- janvier 1900 : trier sur `cle` range chaque série dans l'ordre des mois, et « le même mois un an plus tôt » est
-- `cle − 12`. Les calculs par série se font alors sans tri sur des textes (pipelines/indicators/establishments.py).
CREATE OR REPLACE TEMP TABLE tmp_series AS
SELECT (e.etablissement_id * 64 + c.couloir_id) * 4096 + datediff('month', DATE '1900-01-01', f.mois) AS cle,
       f.documents, f.donnees_demo
FROM tmp_flux_etablissements AS f
JOIN dim_etablissements AS e USING (code_geo)
JOIN dim_couloirs_etablissements AS c USING (couloir);

-- name: series_slice
-- Les séries d'un bloc d'établissements (bornes de `cle`) : calculées bloc par bloc, la mémoire tient à un bloc.
SELECT cle, documents, donnees_demo FROM tmp_series WHERE cle >= ? AND cle < ?;

-- name: slice_bounds
SELECT count(*), max(etablissement_id) FROM dim_etablissements;

-- name: clear_series
DELETE FROM series_etablissements;

-- name: store_series
-- `series_calculees` : les séries calculées en Polars (cle, documents, documents_m1, documents_m12, cumul_12_mois).
INSERT INTO series_etablissements
SELECT cle // 262144 AS etablissement_id, (cle // 4096) % 64 AS couloir_id,
       CAST(DATE '1900-01-01' + to_months(CAST(cle % 4096 AS INTEGER)) AS DATE) AS mois,
       documents, documents_m1, documents_m12, cumul_12_mois, donnees_demo
FROM series_calculees;

-- name: cleanup
DROP TABLE IF EXISTS tmp_flux_etablissements;
DROP TABLE IF EXISTS tmp_series;
