-- Lectures des usages de Mon espace santé (pages Usages et Méthode, API JSON, cartes de territoire).

-- name: usage_months
SELECT DISTINCT mois FROM indicateurs_usage WHERE niveau = 'pays' ORDER BY mois DESC;

-- name: usage_series
-- Toute la série d'un territoire, tous indicateurs.
SELECT * FROM indicateurs_usage WHERE niveau = ? AND code_geo = ? ORDER BY indicateur, mois;

-- name: usage_level
-- Un indicateur pour tous les territoires d'un niveau, un mois (carte, classement).
SELECT * FROM indicateurs_usage WHERE indicateur = ? AND niveau = ? AND mois = ? ORDER BY code_geo;

-- name: usage_compare
-- Un indicateur dans le temps pour quelques territoires d'un même niveau (comparaison).
SELECT * FROM indicateurs_usage WHERE indicateur = ? AND niveau = ? AND list_contains(?, code_geo) ORDER BY code_geo, mois;

-- name: flux_compare
-- Documents par habitant et par an dans le temps pour quelques territoires d'un même niveau (comparaison).
SELECT mois, niveau, code_geo, libelle_geo, documents_par_habitant_an AS valeur, donnees_demo
FROM indicateurs_flux
WHERE couloir = 'TOUS' AND niveau = ? AND list_contains(?, code_geo)
ORDER BY code_geo, mois;

-- name: usage_all
SELECT * FROM indicateurs_usage WHERE mois <= ? ORDER BY indicateur, niveau, code_geo, mois;

-- name: published_usage
-- Les points d'usage publiés (data/reference/usage_publie.csv), avec leur source citée.
SELECT CAST(mois || '-01' AS DATE) AS mois, indicateur, valeur, source FROM usage_publie ORDER BY mois, indicateur;


-- name: revision_log
SELECT * FROM journal_revisions ORDER BY date_revision DESC, mois;
