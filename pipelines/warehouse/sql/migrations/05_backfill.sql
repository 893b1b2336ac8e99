-- Mise à niveau d'un entrepôt créé avant `flux_remplacees` et `revisions_flux` (novembre 2026) : les deux tables
-- se déduisent entièrement de `raw_flux`. Exécuté une fois, à la première écriture après la mise à niveau, après la
-- numérotation des codes (04_codes_flux.sql) et la création des vues (10_staging.sql).

-- name: flux_remplacees
INSERT INTO flux_remplacees
WITH classees AS (
    SELECT import_id, ligne,
           ROW_NUMBER() OVER (
               PARTITION BY mois, couloir_num, niveau_num, geo_num, type_num
               ORDER BY import_id DESC, ligne DESC
           ) AS rang
    FROM raw_flux
)
SELECT import_id, ligne
FROM classees
WHERE rang > 1;

-- name: revisions_flux
INSERT INTO revisions_flux
WITH livraisons AS (
    SELECT import_id, mois, couloir, niveau, code_geo, type_document, documents,
           LAG(documents) OVER (
               PARTITION BY mois, couloir, niveau, code_geo, type_document
               ORDER BY import_id, ligne
           ) AS documents_precedent
    FROM flux_livres
)
SELECT import_id, mois, couloir, niveau, code_geo, type_document, documents_precedent, documents
FROM livraisons
WHERE documents_precedent IS NOT NULL AND documents_precedent <> documents;
