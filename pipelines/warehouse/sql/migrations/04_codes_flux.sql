-- Mise à niveau d'un entrepôt dont `raw_flux` porte ses codes en texte (avant la version 0.3) : les codes sont
-- numérotés, puis chaque ligne recopiée avec ses numéros (pipelines/warehouse.py, `apply_schema`, a renommé
-- l'ancienne table en `raw_flux_textes` et 00_raw.sql créé la nouvelle). Exécuté une fois, à la première écriture.

-- name: numbering
INSERT INTO codes_couloirs
SELECT row_number() OVER (ORDER BY valeur), valeur FROM (SELECT DISTINCT couloir AS valeur FROM raw_flux_textes);
INSERT INTO codes_niveaux
SELECT row_number() OVER (ORDER BY valeur), valeur FROM (SELECT DISTINCT niveau AS valeur FROM raw_flux_textes);
INSERT INTO codes_geo
SELECT row_number() OVER (ORDER BY valeur), valeur
FROM (
    SELECT code_geo AS valeur FROM raw_flux_textes
    UNION SELECT code_region FROM raw_flux_textes
    UNION SELECT code_departement FROM raw_flux_textes
);
INSERT INTO codes_types
SELECT row_number() OVER (ORDER BY valeur), valeur
FROM (SELECT DISTINCT type_document AS valeur FROM raw_flux_textes);

-- name: copy
INSERT INTO raw_flux
SELECT f.import_id, f.ligne, f.mois, c.numero, n.numero, g.numero, r.numero, d.numero, t.numero, f.documents
FROM raw_flux_textes AS f
JOIN codes_couloirs AS c ON c.valeur = f.couloir
JOIN codes_niveaux AS n ON n.valeur = f.niveau
JOIN codes_geo AS g ON g.valeur = f.code_geo
JOIN codes_geo AS r ON r.valeur = f.code_region
JOIN codes_geo AS d ON d.valeur = f.code_departement
JOIN codes_types AS t ON t.valeur = f.type_document;

-- name: drop
DROP TABLE raw_flux_textes;
