-- Chargement d'un fichier SUN-ES validé, présenté à DuckDB sous le nom `lot`.

-- name: compare
WITH courant AS (
    SELECT date_situation, fenetre, domaine, niveau, code_geo, es_engages, es_valides FROM stg_sunes
)
SELECT
    COUNT(*) FILTER (WHERE c.es_engages IS NULL) AS nouvelles,
    COUNT(*) FILTER (WHERE c.es_engages IS NOT NULL
                     AND (c.es_engages <> l.es_engages OR c.es_valides <> l.es_valides)) AS revisees,
    COUNT(*) FILTER (WHERE c.es_engages = l.es_engages AND c.es_valides = l.es_valides) AS inchangees
FROM lot AS l
LEFT JOIN courant AS c USING (date_situation, fenetre, domaine, niveau, code_geo);

-- name: insert
INSERT INTO raw_sunes
SELECT ? AS import_id, ligne, date_situation, fenetre, domaine, niveau, code_geo, es_engages, es_valides
FROM lot;
