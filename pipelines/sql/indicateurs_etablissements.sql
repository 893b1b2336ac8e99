-- Établissements (niveau FINESS) : des flux courants (`stg_flux_numeros`, codes numérotés) aux séries à clé entière
-- que pipelines/indicators/establishments.py calcule, et à leur somme par département qui entre dans
-- `indicateurs_flux`. À l'échelle nationale (des dizaines de millions de lignes), les tables intermédiaires ne portent
-- que des entiers, et restent sous la limite de mémoire de DuckDB (MES_MEMOIRE_MAX_MO).
-- Les définitions sont celles de pipelines/indicators/flux.py, restreintes à ce qui a un sens pour un établissement.

-- name: establishments
-- Les établissements et leur rattachement affiché (celui de leur dernier mois livré). Le numéro d'un établissement
-- est celui de son code FINESS (`codes_geo`) : les séries se calculent sans jointure sur 10 M de lignes.
DELETE FROM dim_etablissements;
INSERT INTO dim_etablissements
SELECT d.geo_num AS etablissement_id, g.valeur AS code_geo, r.valeur AS code_region, c.valeur AS code_departement
FROM (
    SELECT geo_num, arg_max(region_num, mois) AS region_num, arg_max(departement_num, mois) AS departement_num
    FROM stg_flux_numeros
    WHERE niveau_num IN (SELECT numero FROM codes_niveaux WHERE valeur = 'etablissement')
    GROUP BY geo_num
) AS d
JOIN codes_geo AS g ON g.numero = d.geo_num
JOIN codes_geo AS r ON r.numero = d.region_num
JOIN codes_geo AS c ON c.numero = d.departement_num;

-- name: couloirs
-- Les couloirs livrés par des établissements, sous leur numéro (`codes_couloirs`, moins de 64 : vérifié par
-- pipelines/indicators/establishments.py) ; 0 pour TOUS.
DELETE FROM dim_couloirs_etablissements;
INSERT INTO dim_couloirs_etablissements
SELECT CAST(0 AS BIGINT) AS couloir_id, 'TOUS' AS couloir
UNION ALL
SELECT numero, valeur
FROM codes_couloirs
WHERE numero IN (
    SELECT DISTINCT couloir_num FROM stg_flux_numeros
    WHERE niveau_num IN (SELECT numero FROM codes_niveaux WHERE valeur = 'etablissement')
);

-- name: numbers
-- Le plus grand numéro de couloir (la clé en tient 63) ; les numéros du niveau « etablissement » et du type « tous
-- types » (''), −1 s'ils n'ont jamais été livrés : passés en paramètres à `collapse_types`.
SELECT (SELECT coalesce(max(numero), 0) FROM codes_couloirs),
       coalesce((SELECT numero FROM codes_niveaux WHERE valeur = 'etablissement'), -1),
       coalesce((SELECT numero FROM codes_types WHERE valeur = ''), -1);

-- name: collapse_types
-- Un flux par établissement × couloir × mois : la ligne « tous types » si elle est livrée, sinon la somme des types
-- (même règle que `collapse_document_types`). Chaque valeur sous une clé entière croissante
-- `cle` = (établissement × 64 + couloir) × 4096 + rang du mois depuis janvier 1900 : trier sur `cle` range chaque
-- série dans l'ordre des mois, et « le même mois un an plus tôt » est `cle − 12`. Le rattachement (région,
-- département) reste celui de chaque ligne. Tout se calcule sur les numéros des codes, sans jointure ni sous-requête
-- (mesuré à 10 M de lignes, 512 Mo : une jointure vers les numéros d'établissement faisait bâtir à DuckDB sa table
-- de hachage sur les 10 M de lignes ; un drapeau « tous types » calculé par sous-requête lui faisait garder la table
-- intermédiaire et déborder sur disque — 3 à 6 s au lieu de 1,2 s).
CREATE OR REPLACE TEMP TABLE tmp_flux_etablissements AS
WITH numerotees AS (
    SELECT (CAST(f.geo_num AS BIGINT) * 64 + f.couloir_num) * 4096
               + datediff('month', DATE '1900-01-01', f.mois) AS cle,
           f.region_num, f.departement_num, f.type_num, f.documents, f.donnees_demo
    FROM stg_flux_numeros AS f
    WHERE f.niveau_num = $etablissement
),
totaux AS (
    SELECT cle, region_num, departement_num, documents, donnees_demo FROM numerotees WHERE type_num = $tous_types
),
par_type AS (
    SELECT cle, region_num, departement_num, CAST(sum(documents) AS BIGINT) AS documents,
           bool_or(donnees_demo) AS donnees_demo
    FROM numerotees
    WHERE type_num <> $tous_types
    GROUP BY cle, region_num, departement_num
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
    SELECT cle % 4096 AS rang_mois, (cle // 4096) % 64 AS couloir_num, region_num, departement_num,
           CAST(sum(documents) AS BIGINT) AS documents, bool_or(donnees_demo) AS donnees_demo
    FROM tmp_flux_etablissements
    GROUP BY ALL
)
SELECT CAST(DATE '1900-01-01' + to_months(CAST(s.rang_mois AS INTEGER)) AS DATE) AS mois, c.valeur AS couloir,
       'etablissement' AS niveau, '*' || r.valeur || '/' || d.valeur AS code_geo,
       r.valeur AS code_region, d.valeur AS code_departement, '' AS type_document, s.documents, s.donnees_demo
FROM sommes AS s
JOIN codes_couloirs AS c ON c.numero = s.couloir_num
JOIN codes_geo AS r ON r.numero = s.region_num
JOIN codes_geo AS d ON d.numero = s.departement_num;

-- name: series_slice
-- Les valeurs d'un bloc d'établissements (bornes de `cle`) : calculées bloc par bloc, la mémoire tient à un bloc.
SELECT cle, documents, donnees_demo FROM tmp_flux_etablissements WHERE cle >= ? AND cle < ?;

-- name: establishment_ids
SELECT etablissement_id FROM dim_etablissements ORDER BY etablissement_id;

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
