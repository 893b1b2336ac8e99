-- Lectures du journal des imports faites par l'import lui-même.

-- name: last_import
-- Le dernier import accepté : un fichier aux mêmes octets que lui ne peut rien changer (l'appliquer deux fois de
-- suite laisse l'état qu'il a produit).
SELECT id, fichier, sha256, nature, accepte_le, lignes, donnees_demo
FROM imports
ORDER BY id DESC
LIMIT 1;

-- name: first_import_of
-- Le premier import aux mêmes octets et de la même nature (pour nommer l'import dont le contenu est repris).
SELECT id, accepte_le
FROM imports
WHERE sha256 = ? AND nature = ?
ORDER BY id
LIMIT 1;
