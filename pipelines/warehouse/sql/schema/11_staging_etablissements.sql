-- Préparation des établissements : pour chaque clé, la ligne du dernier import qui l'a livrée.

CREATE OR REPLACE VIEW stg_etablissements AS
WITH classees AS (
    SELECT e.*, i.donnees_demo,
           ROW_NUMBER() OVER (PARTITION BY e.finess ORDER BY e.import_id DESC, e.ligne DESC) AS rang
    FROM raw_etablissements AS e
    JOIN imports AS i ON i.id = e.import_id
)
SELECT finess, finess_juridique, raison_sociale, categorie, libelle_categorie, code_departement, code_region,
       import_id, donnees_demo
FROM classees
WHERE rang = 1;

CREATE OR REPLACE VIEW stg_sons_etablissements AS
WITH classees AS (
    SELECT s.*, i.donnees_demo,
           ROW_NUMBER() OVER (
               PARTITION BY s.finess, s.vague, s.dispositif ORDER BY s.import_id DESC, s.ligne DESC
           ) AS rang
    FROM raw_sons_etablissements AS s
    JOIN imports AS i ON i.id = s.import_id
)
SELECT finess, vague, dispositif, date_bon_de_commande, date_installation, date_demande_solde, montant_eur,
       import_id, donnees_demo
FROM classees
WHERE rang = 1;
