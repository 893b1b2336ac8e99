-- Chargement d'un fichier de flux validé, présenté à DuckDB sous le nom `lot`.

-- name: compare
-- Combien de clés du lot sont nouvelles, révisées (autre valeur) ou inchangées par rapport aux valeurs courantes.
WITH courant AS (
    SELECT mois, couloir, niveau, code_geo, type_document, documents FROM stg_flux
)
SELECT
    COUNT(*) FILTER (WHERE c.documents IS NULL)                                    AS nouvelles,
    COUNT(*) FILTER (WHERE c.documents IS NOT NULL AND c.documents <> l.documents) AS revisees,
    COUNT(*) FILTER (WHERE c.documents = l.documents)                              AS inchangees
FROM lot AS l
LEFT JOIN courant AS c USING (mois, couloir, niveau, code_geo, type_document);

-- name: insert
INSERT INTO raw_flux
SELECT ? AS import_id, ligne, mois, couloir, niveau, code_geo, code_region, code_departement, type_document, documents
FROM lot;
