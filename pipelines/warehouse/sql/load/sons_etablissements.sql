-- Chargement d'un fichier SONS par établissement validé, présenté à DuckDB sous le nom `lot`.

-- name: compare
WITH courant AS (SELECT *, TRUE AS existe FROM stg_sons_etablissements),
compares AS (
    SELECT c.existe,
           c.date_bon_de_commande IS NOT DISTINCT FROM l.date_bon_de_commande
           AND c.date_installation IS NOT DISTINCT FROM l.date_installation
           AND c.date_demande_solde IS NOT DISTINCT FROM l.date_demande_solde
           AND c.montant_eur IS NOT DISTINCT FROM CAST(l.montant_eur AS DECIMAL(18, 2)) AS identique
    FROM lot AS l
    LEFT JOIN courant AS c USING (finess, vague, dispositif)
)
SELECT COUNT(*) FILTER (WHERE existe IS NULL)           AS nouvelles,
       COUNT(*) FILTER (WHERE existe AND NOT identique) AS revisees,
       COUNT(*) FILTER (WHERE existe AND identique)     AS inchangees
FROM compares;

-- name: insert
INSERT INTO raw_sons_etablissements
SELECT ? AS import_id, ligne, finess, vague, dispositif, date_bon_de_commande, date_installation,
       date_demande_solde, CAST(montant_eur AS DECIMAL(18, 2))
FROM lot;
