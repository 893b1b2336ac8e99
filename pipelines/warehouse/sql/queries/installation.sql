-- Ce qui est installé dans l'entrepôt à chaque écriture (schéma, tables de référence de data/reference/) et
-- l'empreinte de ce qui l'a produit : une écriture ne le réinstalle que si ses fichiers ont changé
-- (pipelines/warehouse/connection.py, `is_installed` ; 0,2 à 0,3 s de moins par import). La table est
-- déclarée dans schema/00_raw.sql.

-- name: installed
SELECT empreinte FROM empreintes_installees WHERE objet = ?;

-- name: record
INSERT OR REPLACE INTO empreintes_installees VALUES (?, ?);
