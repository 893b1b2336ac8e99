-- Couche brute : tout ce qui a été accepté, ligne à ligne, avec l'import d'où il vient. Ajout seulement.

-- L'empreinte des fichiers d'où viennent le schéma et les tables de référence en place : une écriture ne les
-- réinstalle que si ces fichiers ont changé (queries/installation.sql).
CREATE TABLE IF NOT EXISTS empreintes_installees (
    objet     VARCHAR PRIMARY KEY,  -- schema / reference
    empreinte VARCHAR NOT NULL      -- SHA-256 des fichiers qui les ont produits
);

CREATE TABLE IF NOT EXISTS imports (
    id              INTEGER PRIMARY KEY,
    fichier         VARCHAR   NOT NULL,  -- nom du fichier tel que fourni (jamais utilisé comme chemin)
    sha256          VARCHAR   NOT NULL,
    nature          VARCHAR   NOT NULL,  -- flux / sons / sunes / population / cibles / usage / etablissements…
    lignes          BIGINT    NOT NULL,
    accepte_le      TIMESTAMP NOT NULL,
    statut          VARCHAR   NOT NULL,  -- nouveau / revision
    message         VARCHAR,
    donnees_demo    BOOLEAN   NOT NULL DEFAULT FALSE,
    source          VARCHAR,
    auteur          VARCHAR              -- identité qui a importé (mode interne), « poste local », compte système
);
-- Un entrepôt d'avant `auteur` (0.4) reçoit la colonne, vide pour ses imports passés.
ALTER TABLE imports ADD COLUMN IF NOT EXISTS auteur VARCHAR;

-- Les flux ne portent pas leurs codes en texte mais leur numéro, attribué à la première livraison de chaque code
-- (pipelines/flux_codes.py) : écrire 10 M de lignes d'entiers coûte 1 s, les mêmes avec leurs textes 2,8 s, et
-- l'entrepôt en est d'autant plus petit. `stg_flux` (10_staging.sql) les présente décodés.
CREATE TABLE IF NOT EXISTS codes_couloirs (numero INTEGER PRIMARY KEY, valeur VARCHAR NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS codes_niveaux  (numero INTEGER PRIMARY KEY, valeur VARCHAR NOT NULL UNIQUE);
-- Codes géographiques (région, département, FINESS) : une seule numérotation pour `code_geo`, `code_region` et
-- `code_departement`, le même code y ayant le même numéro.
CREATE TABLE IF NOT EXISTS codes_geo      (numero INTEGER PRIMARY KEY, valeur VARCHAR NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS codes_types    (numero INTEGER PRIMARY KEY, valeur VARCHAR NOT NULL UNIQUE);

CREATE TABLE IF NOT EXISTS raw_flux (
    import_id       INTEGER NOT NULL,
    ligne           INTEGER NOT NULL,
    mois            DATE    NOT NULL,
    couloir_num     INTEGER NOT NULL,   -- codes_couloirs
    niveau_num      INTEGER NOT NULL,   -- codes_niveaux : pays / region / departement / etablissement
    geo_num         INTEGER NOT NULL,   -- codes_geo : code_geo
    region_num      INTEGER NOT NULL,   -- codes_geo : code_region, '' pour le niveau pays
    departement_num INTEGER NOT NULL,   -- codes_geo : code_departement, '' au-dessus du département
    type_num        INTEGER NOT NULL,   -- codes_types : '' quand le fichier ne ventile pas par type
    documents       BIGINT  NOT NULL
);

-- Entretenues à l'import (sql/load/flux.sql), dans la même transaction que `raw_flux` : les lignes livrées puis
-- remplacées par un import plus récent de la même clé, et chaque valeur changée par une révision. Déductibles de
-- `raw_flux` (voir 05_backfill.sql), tenues à part pour que la valeur courante se lise sans classer tout
-- l'historique (`stg_flux` = les lignes brutes non remplacées) et sans recopier chaque ligne reçue.
CREATE TABLE IF NOT EXISTS flux_remplacees (
    import_id INTEGER NOT NULL,
    ligne     INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS revisions_flux (
    import_id        INTEGER NOT NULL,
    mois             DATE    NOT NULL,
    couloir          VARCHAR NOT NULL,
    niveau           VARCHAR NOT NULL,
    code_geo         VARCHAR NOT NULL,
    type_document    VARCHAR NOT NULL,
    documents_avant  BIGINT  NOT NULL,
    documents_apres  BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS raw_sons (
    import_id             INTEGER NOT NULL,
    ligne                 INTEGER NOT NULL,
    date_situation        DATE    NOT NULL,
    vague                 VARCHAR NOT NULL,
    dispositif            VARCHAR NOT NULL,
    niveau                VARCHAR NOT NULL,
    code_geo              VARCHAR NOT NULL,
    solutions_referencees BIGINT,
    cible                 BIGINT,
    bons_de_commande      BIGINT,
    installations         BIGINT,
    demandes_de_solde     BIGINT,
    montants_verses_eur   DECIMAL(18, 2)
);

CREATE TABLE IF NOT EXISTS raw_sunes (
    import_id      INTEGER NOT NULL,
    ligne          INTEGER NOT NULL,
    date_situation DATE    NOT NULL,
    fenetre        VARCHAR NOT NULL,
    domaine        VARCHAR NOT NULL,
    niveau         VARCHAR NOT NULL,
    code_geo       VARCHAR NOT NULL,
    es_engages     BIGINT  NOT NULL,
    es_valides     BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS raw_population (
    import_id  INTEGER NOT NULL,
    ligne      INTEGER NOT NULL,
    annee      INTEGER NOT NULL,
    niveau     VARCHAR NOT NULL,
    code       VARCHAR NOT NULL,
    population BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS raw_cibles (
    import_id   INTEGER NOT NULL,
    ligne       INTEGER NOT NULL,
    indicateur  VARCHAR NOT NULL,
    perimetre   VARCHAR NOT NULL,
    echeance    DATE    NOT NULL,
    valeur      DOUBLE  NOT NULL
);

-- Usages de Mon espace santé (pipelines/sources/usage.py) : un compte par mois, indicateur et géographie.
CREATE TABLE IF NOT EXISTS raw_usage (
    import_id   INTEGER NOT NULL,
    ligne       INTEGER NOT NULL,
    mois        DATE    NOT NULL,
    indicateur  VARCHAR NOT NULL,   -- code de data/reference/indicateurs_usage.csv
    niveau      VARCHAR NOT NULL,   -- pays / region / departement
    code_geo    VARCHAR NOT NULL,
    code_region VARCHAR NOT NULL,   -- '' au niveau pays
    valeur      BIGINT  NOT NULL
);

-- Chiffres de tête diffusés : ce que chaque paquet de transparence a publié (France et régions, par mois et couloir,
-- valeurs non masquées), inscrit par `python -m pipelines export`. Un import qui change l'un d'eux révise un chiffre
-- publié, comme pour `chiffres_publies` (pipelines/warehouse/headlines.py).
CREATE TABLE IF NOT EXISTS chiffres_diffuses (
    diffusion_id  INTEGER   NOT NULL,   -- un numéro par paquet, croissant
    publie_le     TIMESTAMP NOT NULL,
    mois_paquet   DATE      NOT NULL,   -- le mois du paquet (ses chiffres clés)
    donnees_demo  BOOLEAN   NOT NULL,   -- paquet de démonstration, filigrané
    mois          DATE      NOT NULL,
    niveau        VARCHAR   NOT NULL,   -- pays / region
    code_geo      VARCHAR   NOT NULL,
    couloir       VARCHAR   NOT NULL,
    documents     BIGINT    NOT NULL
);

-- Révisions de chiffres publiés : un import qui change un chiffre de tête déjà publié (`chiffres_publies`) y inscrit
-- les deux valeurs (pipelines/warehouse/headlines.py), dans sa transaction. La page Données les liste aux errata.
CREATE TABLE IF NOT EXISTS revisions_publiees (
    import_id          INTEGER NOT NULL,
    mois               DATE    NOT NULL,
    niveau             VARCHAR NOT NULL,
    code_geo           VARCHAR NOT NULL,
    couloir            VARCHAR NOT NULL,
    indicateur_publie  VARCHAR NOT NULL,
    valeur_publiee     DOUBLE  NOT NULL,
    source_publiee     VARCHAR,
    documents_avant    BIGINT,
    documents_apres    BIGINT
);
