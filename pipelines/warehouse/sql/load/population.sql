-- Chargement d'un fichier de population validé, présenté à DuckDB sous le nom `lot`.

-- name: compare
WITH courant AS (SELECT annee, niveau, code, population FROM stg_population)
SELECT
    COUNT(*) FILTER (WHERE c.population IS NULL)                                      AS nouvelles,
    COUNT(*) FILTER (WHERE c.population IS NOT NULL AND c.population <> l.population) AS revisees,
    COUNT(*) FILTER (WHERE c.population = l.population)                               AS inchangees
FROM lot AS l
LEFT JOIN courant AS c USING (annee, niveau, code);

-- name: insert
INSERT INTO raw_population
SELECT ? AS import_id, ligne, annee, niveau, code, population
FROM lot;
