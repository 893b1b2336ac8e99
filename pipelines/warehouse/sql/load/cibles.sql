-- Chargement d'un fichier de cibles validé, présenté à DuckDB sous le nom `lot`.

-- name: compare
WITH courant AS (SELECT indicateur, perimetre, echeance, valeur FROM stg_cibles)
SELECT
    COUNT(*) FILTER (WHERE c.valeur IS NULL)                              AS nouvelles,
    COUNT(*) FILTER (WHERE c.valeur IS NOT NULL AND c.valeur <> l.valeur) AS revisees,
    COUNT(*) FILTER (WHERE c.valeur = l.valeur)                           AS inchangees
FROM lot AS l
LEFT JOIN courant AS c USING (indicateur, perimetre, echeance);

-- name: insert
INSERT INTO raw_cibles
SELECT ? AS import_id, ligne, indicateur, perimetre, echeance, valeur
FROM lot;
