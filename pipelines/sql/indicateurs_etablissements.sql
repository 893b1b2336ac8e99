-- Établissements (niveau FINESS) : de `stg_flux` aux séries à clé entière que pipelines/indicators/establishments.py
-- calcule, et à leur somme par département qui entre dans `indicateurs_flux`. À l'échelle nationale (des dizaines de
-- millions de lignes), les textes (FINESS, couloir, région, département) sont numérotés d'abord : les tables
-- intermédiaires ne portent que des entiers, et restent sous la limite de mémoire de DuckDB (MES_MEMOIRE_MAX_MO).
-- Les définitions sont celles de pipelines/indicators/flux.py, restreintes à ce qui a un sens pour un établissement.

-- name: establishments
-- Un numéro entier par établissement (rattachement affiché : celui de son dernier mois livré).
DELETE FROM dim_etablissements;
INSERT INTO dim_etablissements
SELECT CAST(row_number() OVER (ORDER BY code_geo) AS BIGINT) AS etablissement_id, code_geo,
       arg_max(code_region, mois) AS code_region, arg_max(code_departement, mois) AS code_departement
FROM stg_flux
WHERE niveau = 'etablissement'
GROUP BY code_geo;

-- name: couloirs
-- Un numéro entier par couloir ; 0 pour TOUS.
DELETE FROM dim_couloirs_etablissements;
INSERT INTO dim_couloirs_etablissements
SELECT CAST(0 AS BIGINT) AS couloir_id, 'TOUS' AS couloir
UNION ALL
SELECT CAST(row_number() OVER (ORDER BY couloir) AS BIGINT), couloir
FROM (SELECT DISTINCT couloir FROM stg_flux WHERE niveau = 'etablissement');

-- name: attachments
-- Un numéro entier par rattachement (région, département) livré sur une ligne : la somme par département se fait
-- ligne à ligne, même pour un établissement qui a changé de département.
CREATE OR REPLACE TEMP TABLE tmp_rattachements AS
SELECT CAST(row_number() OVER (ORDER BY code_region, code_departement) AS BIGINT) AS rattachement_id,
       code_region, code_departement
FROM (SELECT DISTINCT code_region, code_departement FROM stg_flux WHERE niveau = 'etablissement');

-- name: collapse_types
-- Un flux par établissement × couloir × mois : la ligne « tous types » si elle est livrée, sinon la somme des types
-- (même règle que `collapse_document_types`). Chaque valeur sous une clé entière croissante
-- `cle` = (établissement × 64 + couloir) × 4096 + rang du mois depuis janvier 1900 : trier sur `cle` range chaque
-- série dans l'ordre des mois, et « le même mois un an plus tôt » est `cle − 12`.
CREATE OR REPLACE TEMP TABLE tmp_flux_etablissements AS
WITH numerotees AS (
    SELECT (e.etablissement_id * 64 + c.couloir_id) * 4096 + datediff('month', DATE '1900-01-01', f.mois) AS cle,
           r.rattachement_id, f.type_document, f.documents, f.donnees_demo
    FROM stg_flux AS f
    JOIN dim_etablissements AS e USING (code_geo)
    JOIN dim_couloirs_etablissements AS c USING (couloir)
    JOIN tmp_rattachements AS r ON r.code_region = f.code_region AND r.code_departement = f.code_departement
    WHERE f.niveau = 'etablissement'
),
totaux AS (
    SELECT cle, rattachement_id, documents, donnees_demo FROM numerotees WHERE type_document = ''
),
par_type AS (
    SELECT cle, rattachement_id, CAST(sum(documents) AS BIGINT) AS documents, bool_or(donnees_demo) AS donnees_demo
    FROM numerotees
    WHERE type_document <> ''
    GROUP BY cle, rattachement_id
),
types_sans_total AS (
    SELECT p.* FROM par_type AS p ANTI JOIN totaux AS t USING (cle)
)
SELECT * FROM totaux
UNION ALL
SELECT * FROM types_sans_total;

-- name: sums_by_department
-- Ce que les établissements apportent aux niveaux supérieurs : la somme par département (ou par région, ou pour la
-- France, quand l'établissement n'est rattaché qu'à ce niveau). Présentée comme un établissement fictif par
-- rattachement, que la consolidation géographique (Polars) additionne comme les autres.
WITH sommes AS (
    SELECT cle % 4096 AS rang_mois, (cle // 4096) % 64 AS couloir_id, rattachement_id,
           CAST(sum(documents) AS BIGINT) AS documents, bool_or(donnees_demo) AS donnees_demo
    FROM tmp_flux_etablissements
    GROUP BY ALL
)
SELECT CAST(DATE '1900-01-01' + to_months(CAST(s.rang_mois AS INTEGER)) AS DATE) AS mois, c.couloir,
       'etablissement' AS niveau, '*' || r.code_region || '/' || r.code_departement AS code_geo,
       r.code_region, r.code_departement, '' AS type_document, s.documents, s.donnees_demo
FROM sommes AS s
JOIN dim_couloirs_etablissements AS c USING (couloir_id)
JOIN tmp_rattachements AS r USING (rattachement_id);

-- name: series_slice
-- Les valeurs d'un bloc d'établissements (bornes de `cle`) : calculées bloc par bloc, la mémoire tient à un bloc.
SELECT cle, documents, donnees_demo FROM tmp_flux_etablissements WHERE cle >= ? AND cle < ?;

-- name: slice_bounds
SELECT count(*), max(etablissement_id) FROM dim_etablissements;

-- name: clear_series
DELETE FROM series_etablissements;

-- name: store_series
-- `series_calculees` : les séries calculées et décodées en Polars (`decode_keys` ; décoder le mois ici, par calcul de
-- date, coûtait 0,8 s à 10 M de lignes, contre une indexation en Polars), colonnes dans l'ordre de la table.
INSERT INTO series_etablissements
SELECT etablissement_id, couloir_id, mois, documents, documents_m1, documents_m12, cumul_12_mois, donnees_demo
FROM series_calculees;

-- name: cleanup
DROP TABLE IF EXISTS tmp_flux_etablissements;
DROP TABLE IF EXISTS tmp_rattachements;
