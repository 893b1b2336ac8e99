-- Interface des établissements (docs/ENTREPOT.md) : le répertoire et SONS par établissement (le couloir d'un
-- dispositif est dans `ref_dispositifs`). Diffusion interne seulement : ces vues ne sortent pas dans le paquet de
-- transparence.

CREATE OR REPLACE VIEW etablissements AS
SELECT finess, finess_juridique, raison_sociale, categorie, libelle_categorie, code_departement, code_region,
       donnees_demo, import_id
FROM stg_etablissements;

CREATE OR REPLACE VIEW sons_etablissements AS
SELECT finess, vague, dispositif, date_bon_de_commande, date_installation, date_demande_solde, montant_eur,
       donnees_demo, import_id
FROM stg_sons_etablissements;
