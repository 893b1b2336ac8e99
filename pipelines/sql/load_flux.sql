-- Chargement d'un fichier de flux validé, présenté à DuckDB sous le nom `lot`. Chaque ligne n'est écrite qu'une
-- fois (`raw_flux`) ; les lignes qu'elle remplace sont notées dans `flux_remplacees`, ce qui suffit à `stg_flux`.
-- Les étapes s'exécutent dans l'ordre du fichier, après `compare` (pipelines/ingest.py).

-- name: compare
-- Combien de clés du lot sont nouvelles, révisées (autre valeur) ou inchangées par rapport aux valeurs courantes.
SELECT
    COUNT(*) FILTER (WHERE c.documents IS NULL)                                    AS nouvelles,
    COUNT(*) FILTER (WHERE c.documents IS NOT NULL AND c.documents <> l.documents) AS revisees,
    COUNT(*) FILTER (WHERE c.documents = l.documents)                              AS inchangees
FROM lot AS l
LEFT JOIN stg_flux AS c USING (mois, couloir, niveau, code_geo, type_document);

-- name: record_revisions
-- Les valeurs remplacées par ce lot, avant / après (la page « Données » et les errata les lisent).
INSERT INTO revisions_flux
SELECT ? AS import_id, l.mois, l.couloir, l.niveau, l.code_geo, l.type_document,
       c.documents AS documents_avant, l.documents AS documents_apres
FROM lot AS l
JOIN stg_flux AS c USING (mois, couloir, niveau, code_geo, type_document)
WHERE c.documents <> l.documents;

-- name: forget_replaced
-- Les clés livrées de nouveau cessent d'être courantes dans leur import d'origine (révisées ou non : le dernier
-- import qui livre une clé est celui qu'on cite). Avant l'insertion, sinon le lot se remplacerait lui-même.
INSERT INTO flux_remplacees
SELECT c.import_id, c.ligne
FROM lot AS l
JOIN stg_flux AS c USING (mois, couloir, niveau, code_geo, type_document);

-- name: insert
INSERT INTO raw_flux
SELECT ? AS import_id, ligne, mois, couloir, niveau, code_geo, code_region, code_departement, type_document, documents
FROM lot;
