-- Chargement d'un répertoire d'établissements validé, présenté à DuckDB sous le nom `lot`.

-- name: compare
WITH courant AS (SELECT *, TRUE AS existe FROM stg_etablissements),
compares AS (
    SELECT c.existe,
           c.finess_juridique IS NOT DISTINCT FROM l.finess_juridique
           AND c.raison_sociale IS NOT DISTINCT FROM l.raison_sociale
           AND c.categorie IS NOT DISTINCT FROM l.categorie
           AND c.libelle_categorie IS NOT DISTINCT FROM l.libelle_categorie
           AND c.code_departement IS NOT DISTINCT FROM l.code_departement AS identique
    FROM lot AS l
    LEFT JOIN courant AS c USING (finess)
)
SELECT COUNT(*) FILTER (WHERE existe IS NULL)           AS nouvelles,
       COUNT(*) FILTER (WHERE existe AND NOT identique) AS revisees,
       COUNT(*) FILTER (WHERE existe AND identique)     AS inchangees
FROM compares;

-- name: insert
INSERT INTO raw_etablissements
SELECT ? AS import_id, ligne, finess, finess_juridique, raison_sociale, categorie, libelle_categorie,
       code_departement, code_region
FROM lot;
