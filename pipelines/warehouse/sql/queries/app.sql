-- Lectures de l'application et des exports (pipelines/queries.py). Toutes lisent des tables matérialisées.

-- name: months
SELECT DISTINCT mois FROM indicateurs_flux WHERE niveau = ? AND code_geo = ? AND couloir = 'TOUS' ORDER BY mois DESC;

-- name: geographies
SELECT DISTINCT niveau, code_geo, libelle_geo, code_region
FROM indicateurs_flux
WHERE niveau IN ('region', 'departement')
ORDER BY niveau, code_geo;

-- name: flux_series
SELECT * FROM indicateurs_flux WHERE niveau = ? AND code_geo = ? ORDER BY couloir, mois;

-- name: flux_month
SELECT * FROM indicateurs_flux WHERE niveau = ? AND mois = ? AND couloir = 'TOUS' ORDER BY code_geo;

-- name: flux_children
SELECT * FROM indicateurs_flux WHERE niveau = 'departement' AND code_region = ? AND mois = ? ORDER BY code_geo, couloir;

-- name: ruptures
-- Un département × couloir « a cessé d'envoyer » quand son dernier mois avec des documents précède le mois choisi.
WITH serie AS (
    SELECT code_geo, libelle_geo, code_region, couloir, mois, documents
    FROM indicateurs_flux
    WHERE niveau = 'departement' AND couloir <> 'TOUS' AND mois <= ?
      AND (CAST(? AS VARCHAR) IS NULL OR code_region = ?)
),
actifs AS (
    SELECT code_geo, couloir, max(mois) AS dernier_mois_avec_envoi,
           arg_max(documents, mois) AS documents_dernier_envoi
    FROM serie
    WHERE documents > 0
    GROUP BY code_geo, couloir
),
geographie AS (SELECT DISTINCT code_geo, libelle_geo, code_region, couloir FROM serie),
dernier AS (SELECT max(mois) AS mois FROM serie)
SELECT g.code_geo, g.libelle_geo, g.code_region, g.couloir, a.dernier_mois_avec_envoi, a.documents_dernier_envoi
FROM actifs AS a
JOIN geographie AS g USING (code_geo, couloir)
CROSS JOIN dernier AS d
WHERE a.dernier_mois_avec_envoi < d.mois
ORDER BY a.dernier_mois_avec_envoi, g.code_geo, g.couloir;

-- name: trajectories
SELECT * FROM trajectoires ORDER BY couloir;

-- name: projections
SELECT * FROM projections WHERE niveau = 'pays' AND code_geo = 'FR' AND couloir = ? ORDER BY mois;

-- name: published_flux
-- Chiffres publiés de flux ramenés en rythme annuel (un mois publié × 12), avec leur source et leur remarque.
SELECT CAST(date_ref || '-01' AS DATE) AS mois,
       CASE WHEN perimetre = 'national' THEN 'TOUS' ELSE perimetre END AS couloir,
       indicateur,
       CASE WHEN indicateur = 'documents_envoyes_mois' THEN valeur * 12 ELSE valeur END AS flux_annualise,
       valeur, source, remarque
FROM chiffres_publies
WHERE theme = 'flux'
  AND indicateur IN ('flux_annualise', 'documents_envoyes_mois')
  AND length(date_ref) = 7
ORDER BY mois;

-- name: milestones
SELECT date, programme, jalon, source FROM jalons ORDER BY date;

-- name: sons
SELECT i.*, d.libelle AS libelle_dispositif, d.couloir
FROM indicateurs_sons AS i
LEFT JOIN ref_dispositifs AS d ON d.code = i.dispositif
WHERE i.niveau = ? AND i.code_geo = ?
ORDER BY i.vague, i.dispositif, i.date_situation;

-- name: sons_deadlines
SELECT * FROM echeances_sons ORDER BY date_echeance;

-- name: sunes
SELECT * FROM indicateurs_sunes WHERE niveau = ? AND code_geo = ? ORDER BY date_situation, fenetre, domaine;

-- name: imports
-- `* EXCLUDE` : un entrepôt d'avant la colonne `auteur` (ajoutée à sa prochaine écriture) se lit encore.
SELECT * EXCLUDE (sha256) FROM imports ORDER BY id DESC;

-- name: revisions
SELECT r.import_id, i.fichier, i.accepte_le, r.mois, i.donnees_demo,
       count(*) AS valeurs_revisees,
       sum(r.documents_avant) AS documents_avant,
       sum(r.documents_apres) AS documents_apres
FROM revisions_flux AS r
JOIN imports AS i ON i.id = r.import_id
GROUP BY r.import_id, i.fichier, i.accepte_le, r.mois, i.donnees_demo
ORDER BY r.import_id DESC, r.mois;

-- name: errata
SELECT * FROM errata ORDER BY date_correction DESC;

-- name: has_demo
SELECT coalesce(bool_or(donnees_demo), FALSE) FROM imports;

-- name: month_completeness
-- Complétude de chaque mois d'un périmètre, tous couloirs (pipelines/indicators/completeness.py) : le mois par défaut
-- est le dernier mois complet ; les autres sont marqués « provisoire » avec leur couverture.
SELECT mois, complet, en_cours, attendues, livrees, niveau_enfants, enfants_attendus, enfants_livres,
       couloirs_attendus, couloirs_livres
FROM completude
WHERE niveau = ? AND code_geo = ? AND couloir = 'TOUS'
ORDER BY mois DESC;

-- name: reconciliation
-- Rapprochement des totaux livrés et des sommes de leurs sous-niveaux (table `rapprochement`), France et régions :
-- au niveau département, l'écart d'un petit total pourrait révéler un compte soumis au secret statistique.
SELECT * FROM rapprochement WHERE niveau IN ('pays', 'region') ORDER BY mois DESC, niveau, code_geo, couloir;
