-- Chargement d'un fichier de flux validé, présenté à DuckDB sous le nom `lot`.
-- `flux_courant` (une ligne par clé, la dernière livrée) est entretenue ici plutôt que recalculée à chaque lecture :
-- la comparaison, le recalcul et les pages la lisent sans parcourir tout l'historique brut.

-- name: compare
-- Combien de clés du lot sont nouvelles, révisées (autre valeur) ou inchangées par rapport aux valeurs courantes.
SELECT
    COUNT(*) FILTER (WHERE c.documents IS NULL)                                    AS nouvelles,
    COUNT(*) FILTER (WHERE c.documents IS NOT NULL AND c.documents <> l.documents) AS revisees,
    COUNT(*) FILTER (WHERE c.documents = l.documents)                              AS inchangees
FROM lot AS l
LEFT JOIN flux_courant AS c USING (mois, couloir, niveau, code_geo, type_document);

-- name: record_revisions
-- Les valeurs remplacées par ce lot, avant / après (la page « Données » et les errata les lisent).
INSERT INTO revisions_flux
SELECT ? AS import_id, l.mois, l.couloir, l.niveau, l.code_geo, l.type_document,
       c.documents AS documents_avant, l.documents AS documents_apres
FROM lot AS l
JOIN flux_courant AS c USING (mois, couloir, niveau, code_geo, type_document)
WHERE c.documents <> l.documents;

-- name: insert
INSERT INTO raw_flux
SELECT ? AS import_id, ligne, mois, couloir, niveau, code_geo, code_region, code_departement, type_document, documents
FROM lot;

-- name: forget_replaced
-- Les clés livrées de nouveau quittent la table courante (le lot les remplace, révisées ou non).
DELETE FROM flux_courant AS c
USING lot AS l
WHERE c.mois = l.mois AND c.couloir = l.couloir AND c.niveau = l.niveau AND c.code_geo = l.code_geo
  AND c.type_document = l.type_document;

-- name: insert_current
INSERT INTO flux_courant
SELECT mois, couloir, niveau, code_geo, code_region, code_departement, type_document, documents, ? AS import_id, ligne
FROM lot;
