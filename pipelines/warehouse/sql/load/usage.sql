-- Chargement d'un fichier d'usages validé, présenté à DuckDB sous le nom `lot`.

-- name: compare
WITH courant AS (SELECT mois, indicateur, niveau, code_geo, valeur FROM stg_usage)
SELECT
    COUNT(*) FILTER (WHERE c.valeur IS NULL)                              AS nouvelles,
    COUNT(*) FILTER (WHERE c.valeur IS NOT NULL AND c.valeur <> l.valeur) AS revisees,
    COUNT(*) FILTER (WHERE c.valeur = l.valeur)                           AS inchangees
FROM lot AS l
LEFT JOIN courant AS c USING (mois, indicateur, niveau, code_geo);

-- name: insert
INSERT INTO raw_usage
SELECT ? AS import_id, ligne, mois, indicateur, niveau, code_geo, code_region, valeur
FROM lot;
