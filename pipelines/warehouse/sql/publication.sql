-- Identifiant de publication : un UUID neuf à chaque publication (write_session), lu par l'application par la
-- connexion qui sert la page, comme clé de ses caches.

-- name: create
CREATE TABLE IF NOT EXISTS publication (id VARCHAR NOT NULL, publie_le TIMESTAMP NOT NULL);

-- name: clear
DELETE FROM publication;

-- name: insert
INSERT INTO publication VALUES (?, now()::TIMESTAMP);

-- name: read
SELECT id FROM publication LIMIT 1;
