-- Établissements (niveau FINESS) : des flux courants (`stg_flux_numeros`, codes numérotés), lus en entiers, aux
-- séries que pipelines/indicators/establishments.py calcule (cube dense, numpy) et à leur somme par département qui
-- entre dans `indicateurs_flux`. Ici, seulement ce qui lit et écrit l'entrepôt : tout se passe en numéros de codes,
-- décodés par jointure aux tables de codes sur les petites tables (établissements, couloirs, sommes).
-- Les définitions sont celles de pipelines/indicators/flux.py, restreintes à ce qui a un sens pour un établissement.

-- name: numbers
-- Les numéros du niveau « etablissement » et du type « tous types » (''), −1 s'ils n'ont jamais été livrés.
SELECT coalesce((SELECT numero FROM codes_niveaux WHERE valeur = 'etablissement'), -1),
       coalesce((SELECT numero FROM codes_types WHERE valeur = ''), -1);

-- name: clear
-- Recalcul complet : tout est remplacé.
DELETE FROM dim_etablissements;
DELETE FROM dim_couloirs_etablissements;
DELETE FROM series_etablissements;
DELETE FROM sommes_etablissements;

-- name: clear_series_months
-- Recalcul incrémental : les séries des mois recalculés (tous établissements), du mois $debut au mois $fin.
DELETE FROM series_etablissements
WHERE mois BETWEEN $debut AND $fin;

-- name: clear_sums_months
-- Les sommes des mois relivrés, rangs $debut à $fin.
DELETE FROM sommes_etablissements WHERE rang_mois BETWEEN $debut AND $fin;

-- name: established_after
-- Les établissements livrés après le dernier mois relu : leur rattachement (celui de leur dernier mois) ne change pas.
SELECT DISTINCT etablissement_id FROM series_etablissements
WHERE couloir_id = 0 AND mois > $fin;

-- name: moved_establishments
-- Les établissements déjà connus dont le rattachement change (`etablissements_calcules`, avant son écriture) : leurs
-- livraisons passées changent de rattachement, et la complétude se recompte en entier.
SELECT count(*)
FROM etablissements_calcules AS e
JOIN dim_etablissements AS d USING (etablissement_id)
JOIN codes_geo AS r ON r.numero = e.region_num
JOIN codes_geo AS g ON g.numero = e.departement_num
WHERE d.code_region <> r.valeur OR d.code_departement <> g.valeur;

-- name: clear_establishments
DELETE FROM dim_etablissements WHERE etablissement_id IN (SELECT etablissement_id FROM etablissements_calcules);

-- name: clear_couloirs
DELETE FROM dim_couloirs_etablissements;

-- name: known_couloirs
-- Recalcul incrémental : les couloirs que des établissements livraient déjà. Un import n'efface aucune ligne : ceux-là
-- restent, et s'y ajoutent ceux des mois relus (relire les séries entières coûtait 0,06 s à 30 M de lignes).
SELECT couloir_id AS couloir_num FROM dim_couloirs_etablissements WHERE couloir_id <> 0;

-- name: current_rows
-- Les valeurs courantes des établissements, en entiers (lues une fois, en tableaux numpy) : numéros des codes, rang
-- du mois depuis janvier 1900, et si la ligne est le total « tous types » (mois de $debut à $fin).
SELECT geo_num, couloir_num, CAST(datediff('month', DATE '1900-01-01', mois) AS SMALLINT) AS rang_mois,
       type_num = $tous_types AS tous_types, documents, donnees_demo, region_num, departement_num
FROM stg_flux_numeros
WHERE niveau_num = $etablissement
  AND mois BETWEEN $debut AND $fin;

-- name: stored_series
-- Recalcul incrémental : les séries déjà calculées des mois relus hors des mois livrés ($debut à $fin, sauf
-- $livre_debut à $livre_fin), par couloir (TOUS se recalcule). Rien n'y a changé : une ligne par case livrée, sa
-- valeur et sa démo sont celles que les lignes courantes donneraient, sans relire ces lignes ni leurs types. Cela
-- tient parce que rien ne change les lignes courantes ni la démo d'un import sans passer par ce recalcul : un import
-- ne fait qu'ajouter des lignes et en remplacer (flux_remplacees), jamais en effacer ni modifier.
SELECT etablissement_id, couloir_id, CAST(datediff('month', DATE '1900-01-01', mois) AS SMALLINT) AS rang_mois,
       documents, donnees_demo
FROM series_etablissements
WHERE couloir_id <> 0
  AND mois BETWEEN $debut AND $fin
  AND NOT mois BETWEEN $livre_debut AND $livre_fin;

-- name: store_establishments
-- `etablissements_calcules` : numéro de chaque établissement (celui de son FINESS dans `codes_geo`) et de son
-- rattachement affiché (celui de son dernier mois livré), calculés en numpy.
INSERT INTO dim_etablissements
SELECT e.etablissement_id, g.valeur AS code_geo, r.valeur AS code_region, d.valeur AS code_departement
FROM etablissements_calcules AS e
JOIN codes_geo AS g ON g.numero = e.etablissement_id
JOIN codes_geo AS r ON r.numero = e.region_num
JOIN codes_geo AS d ON d.numero = e.departement_num;

-- name: store_couloirs
-- Les couloirs livrés par des établissements, sous leur numéro (`codes_couloirs`, à partir de 1) ; 0 pour TOUS.
INSERT INTO dim_couloirs_etablissements
SELECT CAST(0 AS INTEGER) AS couloir_id, 'TOUS' AS couloir
UNION ALL
SELECT numero, valeur FROM codes_couloirs WHERE numero IN (SELECT couloir_num FROM couloirs_calcules);

-- name: attachment_sums
-- Ce que les établissements apportent aux niveaux supérieurs : la somme par département (ou par région, ou pour la
-- France, quand l'établissement n'est rattaché qu'à ce niveau), calculée en numpy et gardée en numéros
-- (`sommes_etablissements`, une ligne par mois × couloir × rattachement), décodée ici. Présentée comme un établissement fictif par rattachement, que la
-- consolidation géographique (Polars) additionne comme les autres.
SELECT CAST(DATE '1900-01-01' + to_months(CAST(s.rang_mois AS INTEGER)) AS DATE) AS mois, c.valeur AS couloir,
       'etablissement' AS niveau, '*' || r.valeur || '/' || d.valeur AS code_geo,
       r.valeur AS code_region, d.valeur AS code_departement, '' AS type_document,
       CAST(s.documents AS BIGINT) AS documents, s.donnees_demo
FROM sommes_etablissements AS s
JOIN codes_couloirs AS c ON c.numero = s.couloir_num
JOIN codes_geo AS r ON r.numero = s.region_num
JOIN codes_geo AS d ON d.numero = s.departement_num;

-- name: store_series
-- `series_calculees` : les séries d'un bloc, mois déjà en dates (décoder le mois ici, par calcul de date, coûtait
-- 0,8 s à 10 M de lignes, contre une indexation en numpy), colonnes dans l'ordre de la table.
INSERT INTO series_etablissements
SELECT etablissement_id, couloir_id, mois, documents, documents_m1, documents_m12, cumul_12_mois, donnees_demo
FROM series_calculees;

-- name: store_sums
INSERT INTO sommes_etablissements
SELECT rang_mois, couloir_num, region_num, departement_num, documents, donnees_demo FROM sommes_calculees;
