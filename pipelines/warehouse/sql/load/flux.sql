-- Chargement d'un fichier de flux validé, présenté à DuckDB sous le nom `lot`, ses codes déjà numérotés
-- (pipelines/flux_codes.py : colonnes ligne, mois, couloir_num, niveau_num, geo_num, region_num, departement_num,
-- type_num, documents). Chaque ligne n'est écrite qu'une fois (`raw_flux`) ; les lignes qu'elle remplace sont notées
-- dans `flux_remplacees`, ce qui suffit à `stg_flux`. Les étapes s'exécutent dans l'ordre du fichier, après
-- `compare` (pipelines/ingest.py). Une clé : mois, couloir, niveau, géographie, type de document.

-- name: overlap
-- Vrai s'il existe des valeurs courantes pour les mois du lot. Sinon (un mois livré pour la première fois, un
-- entrepôt neuf), toutes ses clés sont nouvelles : `compare` et les étapes qui lisent le contenu courant sont
-- sautées, seule `insert` s'exécute (pipelines/ingest.py). Comparer 10 M de lignes à un entrepôt vide coûtait 0,9 s.
SELECT EXISTS (SELECT 1 FROM stg_flux_numeros WHERE mois IN (SELECT DISTINCT mois FROM lot));

-- name: compare
-- Combien de clés du lot sont nouvelles, révisées (autre valeur) ou inchangées par rapport aux valeurs courantes.
-- Seules les valeurs courantes des mois du lot peuvent lui correspondre : la jointure ne lit qu'elles.
WITH courantes AS (SELECT * FROM stg_flux_numeros WHERE mois IN (SELECT DISTINCT mois FROM lot))
SELECT
    COUNT(*) FILTER (WHERE c.documents IS NULL)                                    AS nouvelles,
    COUNT(*) FILTER (WHERE c.documents IS NOT NULL AND c.documents <> l.documents) AS revisees,
    COUNT(*) FILTER (WHERE c.documents = l.documents)                              AS inchangees
FROM lot AS l
LEFT JOIN courantes AS c USING (mois, couloir_num, niveau_num, geo_num, type_num);

-- name: match
-- Les clés du lot qui ont une valeur courante, avec la ligne qui la porte : une seule jointure au contenu courant,
-- que les deux étapes suivantes relisent (chacune la refaisait : 0,3 s de plus à 500 000 lignes révisées dans un
-- entrepôt de 30 M de lignes). Après `compare`, qui reste une jointure sans rien garder : un fichier qui ne change
-- rien n'écrit pas cette table. Une table temporaire de la transaction, effacée par `forget_match`.
CREATE OR REPLACE TEMP TABLE lot_courantes AS
WITH courantes AS (SELECT * FROM stg_flux_numeros WHERE mois IN (SELECT DISTINCT mois FROM lot))
SELECT l.mois, l.couloir_num, l.niveau_num, l.geo_num, l.type_num,
       c.documents AS documents_avant, l.documents AS documents_apres, c.import_id, c.ligne
FROM lot AS l
JOIN courantes AS c USING (mois, couloir_num, niveau_num, geo_num, type_num);

-- name: record_revisions
-- Les valeurs remplacées par ce lot, avant / après, codes en clair (la page « Données » et les errata les lisent).
INSERT INTO revisions_flux
SELECT ? AS import_id, r.mois, c.valeur, n.valeur, g.valeur, t.valeur, r.documents_avant, r.documents_apres
FROM lot_courantes AS r
JOIN codes_couloirs AS c ON c.numero = r.couloir_num
JOIN codes_niveaux AS n ON n.numero = r.niveau_num
JOIN codes_geo AS g ON g.numero = r.geo_num
JOIN codes_types AS t ON t.numero = r.type_num
WHERE r.documents_avant <> r.documents_apres;

-- name: forget_replaced
-- Les clés livrées de nouveau cessent d'être courantes dans leur import d'origine (révisées ou non : le dernier
-- import qui livre une clé est celui qu'on cite). Avant l'insertion, sinon le lot se remplacerait lui-même.
INSERT INTO flux_remplacees
SELECT import_id, ligne FROM lot_courantes;

-- name: forget_match
DROP TABLE lot_courantes;

-- name: insert
INSERT INTO raw_flux
SELECT ? AS import_id, ligne, mois, couloir_num, niveau_num, geo_num, region_num, departement_num, type_num, documents
FROM lot;

-- name: month_totals
-- Contrôle après l'insertion, hors des étapes de chargement : le total de chaque mois du lot, toutes lignes courantes
-- comprises, calculé en HUGEINT (il ne peut pas déborder). Au-delà de la borne (paramètre), l'import est refusé :
-- les sommes des indicateurs (entiers de 64 bits, × 12 pour le rythme annuel) ne pourraient plus être exactes.
SELECT mois, sum(CAST(documents AS HUGEINT)) AS total
FROM stg_flux_numeros
WHERE mois IN (SELECT DISTINCT mois FROM lot)
GROUP BY mois
HAVING sum(CAST(documents AS HUGEINT)) > ?
ORDER BY mois;
