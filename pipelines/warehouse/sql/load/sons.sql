-- Chargement d'un fichier SONS validé, présenté à DuckDB sous le nom `lot`.

-- name: compare
WITH courant AS (
    SELECT date_situation, vague, dispositif, niveau, code_geo, solutions_referencees, cible, bons_de_commande,
           installations, demandes_de_solde, montants_verses_eur, TRUE AS existe
    FROM stg_sons
),
compares AS (
    SELECT c.existe,
           c.solutions_referencees IS NOT DISTINCT FROM l.solutions_referencees
           AND c.cible IS NOT DISTINCT FROM l.cible
           AND c.bons_de_commande IS NOT DISTINCT FROM l.bons_de_commande
           AND c.installations IS NOT DISTINCT FROM l.installations
           AND c.demandes_de_solde IS NOT DISTINCT FROM l.demandes_de_solde
           AND c.montants_verses_eur IS NOT DISTINCT FROM CAST(l.montants_verses_eur AS DECIMAL(18, 2)) AS identique
    FROM lot AS l
    LEFT JOIN courant AS c USING (date_situation, vague, dispositif, niveau, code_geo)
)
SELECT COUNT(*) FILTER (WHERE existe IS NULL)                 AS nouvelles,
       COUNT(*) FILTER (WHERE existe AND NOT identique)       AS revisees,
       COUNT(*) FILTER (WHERE existe AND identique)           AS inchangees
FROM compares;

-- name: insert
INSERT INTO raw_sons
SELECT ? AS import_id, ligne, date_situation, vague, dispositif, niveau, code_geo, solutions_referencees, cible,
       bons_de_commande, installations, demandes_de_solde, CAST(montants_verses_eur AS DECIMAL(18, 2))
FROM lot;
