-- Couche de préparation : pour chaque clé, la valeur du dernier import qui l'a livrée (les révisions remplacent).
-- Chaque vue est une chaîne d'étapes nommées ; la fenêtre ROW_NUMBER reste en SQL standard (portable).
-- Les petites sources (SONS, SUN-ES, population, cibles) sont classées à la lecture ; les flux, volumineux, non.

-- Les flux : les lignes brutes qu'aucun import plus récent n'a remplacées (`flux_remplacees`, tenue à l'import).
CREATE OR REPLACE VIEW stg_flux AS
SELECT f.mois, f.couloir, f.niveau, f.code_geo, f.code_region, f.code_departement, f.type_document, f.documents,
       f.import_id, f.ligne, i.accepte_le, i.donnees_demo
FROM raw_flux AS f
JOIN imports AS i ON i.id = f.import_id
WHERE NOT EXISTS (
    SELECT 1 FROM flux_remplacees AS r WHERE r.import_id = f.import_id AND r.ligne = f.ligne
);

CREATE OR REPLACE VIEW stg_sons AS
WITH livraisons AS (
    SELECT s.*, i.donnees_demo
    FROM raw_sons AS s
    JOIN imports AS i ON i.id = s.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (
               PARTITION BY date_situation, vague, dispositif, niveau, code_geo
               ORDER BY import_id DESC, ligne DESC
           ) AS rang
    FROM livraisons
)
SELECT date_situation, vague, dispositif, niveau, code_geo, solutions_referencees, cible, bons_de_commande,
       installations, demandes_de_solde, montants_verses_eur, import_id, donnees_demo
FROM classees
WHERE rang = 1;

CREATE OR REPLACE VIEW stg_sunes AS
WITH livraisons AS (
    SELECT s.*, i.donnees_demo
    FROM raw_sunes AS s
    JOIN imports AS i ON i.id = s.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (
               PARTITION BY date_situation, fenetre, domaine, niveau, code_geo
               ORDER BY import_id DESC, ligne DESC
           ) AS rang
    FROM livraisons
)
SELECT date_situation, fenetre, domaine, niveau, code_geo, es_engages, es_valides, import_id, donnees_demo
FROM classees
WHERE rang = 1;

CREATE OR REPLACE VIEW stg_population AS
WITH livraisons AS (
    SELECT p.*, i.donnees_demo
    FROM raw_population AS p
    JOIN imports AS i ON i.id = p.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (PARTITION BY annee, niveau, code ORDER BY import_id DESC, ligne DESC) AS rang
    FROM livraisons
)
SELECT annee, niveau, code, population, import_id, donnees_demo
FROM classees
WHERE rang = 1;

CREATE OR REPLACE VIEW stg_cibles AS
WITH livraisons AS (
    SELECT c.*, i.donnees_demo
    FROM raw_cibles AS c
    JOIN imports AS i ON i.id = c.import_id
),
classees AS (
    SELECT *,
           ROW_NUMBER() OVER (PARTITION BY indicateur, perimetre, echeance ORDER BY import_id DESC, ligne DESC) AS rang
    FROM livraisons
)
SELECT indicateur, perimetre, echeance, valeur, import_id, donnees_demo
FROM classees
WHERE rang = 1;
