-- A feature branch adds a login token and makes email mandatory.

-- Rewrites the whole table: gen_random_uuid() is volatile.
ALTER TABLE users ADD COLUMN login_token uuid DEFAULT gen_random_uuid();

-- Blocks every write to users while the index is built.
CREATE INDEX users_email_idx ON users (email);

-- Scans all of users under ACCESS EXCLUSIVE: no reads, no writes.
ALTER TABLE users ALTER COLUMN email SET NOT NULL;

-- Safe: now() is stable, so the default is stored once in the catalog.
ALTER TABLE users ADD COLUMN last_seen_at timestamptz DEFAULT now();
