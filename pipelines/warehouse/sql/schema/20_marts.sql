-- Interface publique de l'entrepôt (docs/ENTREPOT.md). Les analystes et les couches suivantes lisent ces vues.

CREATE OR REPLACE VIEW flux_mensuel AS
SELECT mois, couloir, niveau, code_geo, NULLIF(type_document, '') AS type_document, documents,
       NULLIF(code_region, '') AS code_region, NULLIF(code_departement, '') AS code_departement,
       donnees_demo, import_id
FROM stg_flux;

CREATE OR REPLACE VIEW flux_historique AS
WITH livraisons AS (
    SELECT f.mois, f.couloir, f.niveau, f.code_geo, NULLIF(f.type_document, '') AS type_document, f.documents,
           f.import_id, i.fichier, i.accepte_le, i.donnees_demo,
           LAG(f.documents) OVER (
               PARTITION BY f.mois, f.couloir, f.niveau, f.code_geo, f.type_document
               ORDER BY f.import_id, f.ligne
           ) AS documents_precedent
    FROM flux_livres AS f
    JOIN imports AS i ON i.id = f.import_id
)
SELECT mois, couloir, niveau, code_geo, type_document, documents, import_id, fichier, accepte_le, donnees_demo,
       documents_precedent,
       documents_precedent IS NOT NULL AND documents_precedent <> documents AS est_revision
FROM livraisons;

CREATE OR REPLACE VIEW sons AS
SELECT date_situation, vague, dispositif, niveau, code_geo, solutions_referencees, cible, bons_de_commande,
       installations, demandes_de_solde, montants_verses_eur, donnees_demo, import_id
FROM stg_sons;

CREATE OR REPLACE VIEW sunes AS
SELECT date_situation, fenetre, domaine, niveau, code_geo, es_engages, es_valides, donnees_demo, import_id
FROM stg_sunes;

CREATE OR REPLACE VIEW population AS
SELECT annee, niveau, code, population, donnees_demo, import_id
FROM stg_population;

CREATE OR REPLACE VIEW cibles AS
SELECT indicateur, perimetre, echeance, valeur, donnees_demo, import_id
FROM stg_cibles;

-- Usages de Mon espace santé tels que livrés (valeurs courantes) ; les indicateurs dérivés et les sommes par
-- territoire sont dans la table `indicateurs_usage`.
CREATE OR REPLACE VIEW usage_mes AS
SELECT mois, indicateur, niveau, code_geo, valeur, donnees_demo, import_id
FROM stg_usage;

-- Journal public des révisions : quand un mois a été révisé et combien de valeurs ont changé, sans les valeurs
-- (elles peuvent toucher des séries internes ou des comptes masqués).
CREATE OR REPLACE VIEW journal_revisions AS
SELECT CAST(i.accepte_le AS DATE) AS date_revision, r.mois, count(*) AS valeurs_revisees,
       bool_or(i.donnees_demo) AS donnees_demo
FROM revisions_flux AS r
JOIN imports AS i ON i.id = r.import_id
GROUP BY ALL
ORDER BY date_revision DESC, r.mois;
