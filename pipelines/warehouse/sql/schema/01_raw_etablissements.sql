-- Couche brute des établissements : le répertoire (FINESS) et SONS par établissement. Ajout seulement.

CREATE TABLE IF NOT EXISTS raw_etablissements (
    import_id         INTEGER NOT NULL,
    ligne             INTEGER NOT NULL,
    finess            VARCHAR NOT NULL,  -- FINESS géographique
    finess_juridique  VARCHAR,
    raison_sociale    VARCHAR NOT NULL,
    categorie         VARCHAR,           -- code de catégorie FINESS (trois chiffres)
    libelle_categorie VARCHAR,
    code_departement  VARCHAR NOT NULL,
    code_region       VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS raw_sons_etablissements (
    import_id            INTEGER NOT NULL,
    ligne                INTEGER NOT NULL,
    finess               VARCHAR NOT NULL,  -- FINESS du bon de commande (géographique ou juridique : maille PMSI)
    vague                VARCHAR NOT NULL,
    dispositif           VARCHAR NOT NULL,
    date_bon_de_commande DATE,
    date_installation    DATE,
    date_demande_solde   DATE,
    montant_eur          DECIMAL(18, 2)
);
