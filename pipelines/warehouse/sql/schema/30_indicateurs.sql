-- Indicateurs des établissements : stockés compacts (entiers, remplis par pipelines/indicators/establishments.py),
-- présentés avec leurs codes et leurs indicateurs dérivés par la vue `indicateurs_etablissements`.
-- Écrire 10 millions de lignes d'entiers coûte une seconde ; les mêmes avec leurs textes, cinq.

CREATE TABLE IF NOT EXISTS dim_etablissements (
    etablissement_id INTEGER NOT NULL,   -- numéro du FINESS dans codes_geo
    code_geo         VARCHAR NOT NULL,   -- FINESS
    code_region      VARCHAR NOT NULL,   -- rattachement du dernier mois livré
    code_departement VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS dim_couloirs_etablissements (
    couloir_id INTEGER NOT NULL,
    couloir    VARCHAR NOT NULL          -- 0 = TOUS
);

CREATE TABLE IF NOT EXISTS series_etablissements (
    etablissement_id INTEGER NOT NULL,
    couloir_id       INTEGER NOT NULL,
    mois             DATE    NOT NULL,
    documents        BIGINT  NOT NULL,
    documents_m1     BIGINT,
    documents_m12    BIGINT,
    cumul_12_mois    BIGINT,
    donnees_demo     BOOLEAN NOT NULL
);

CREATE OR REPLACE VIEW indicateurs_etablissements AS
SELECT s.mois, 'etablissement' AS niveau, e.code_geo, e.code_region, e.code_departement, c.couloir, s.documents,
       s.documents * 12 AS flux_annualise,
       s.cumul_12_mois,
       s.documents_m1,
       CASE WHEN s.documents_m1 > 0 THEN s.documents / s.documents_m1 - 1 END AS evolution_1_mois,
       s.documents_m12,
       CASE WHEN s.documents_m12 > 0 THEN s.documents / s.documents_m12 - 1 END AS evolution_12_mois,
       s.donnees_demo
FROM series_etablissements AS s
JOIN dim_etablissements AS e USING (etablissement_id)
JOIN dim_couloirs_etablissements AS c USING (couloir_id);

-- Ce qu'un recalcul incrémental reprend sans relire tout l'historique (pipelines/indicators/refresh.py) : la somme
-- des établissements par mois, couloir et rattachement de chaque ligne (elle entre dans `indicateurs_flux`), et
-- leurs comptes de complétude par rattachement (pipelines/indicators/completeness.py, `establishment_counts`).
-- Chacune se remplace mois par mois : le mois est la partition que prendraient des fichiers Parquet partitionnés.
CREATE TABLE IF NOT EXISTS sommes_etablissements (
    rang_mois       SMALLINT NOT NULL,   -- mois depuis janvier 1900
    couloir_num     INTEGER  NOT NULL,
    region_num      INTEGER  NOT NULL,
    departement_num INTEGER  NOT NULL,
    documents       BIGINT   NOT NULL,
    donnees_demo    BOOLEAN  NOT NULL
);

CREATE TABLE IF NOT EXISTS comptes_etablissements (
    niveau    VARCHAR NOT NULL,
    code_geo  VARCHAR NOT NULL,
    couloir   VARCHAR NOT NULL,
    mois      DATE    NOT NULL,
    attendues BIGINT  NOT NULL,
    livrees   BIGINT  NOT NULL,
    presentes BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS enfants_etablissements (
    niveau           VARCHAR NOT NULL,
    code_geo         VARCHAR NOT NULL,
    mois             DATE    NOT NULL,
    enfants_attendus BIGINT  NOT NULL,
    enfants_livres   BIGINT  NOT NULL
);
