-- args: --context fixtures/plan/context_rewrites.sql
-- unsafe: accounts: the other actions, ADD COLUMN ... UNIQUE and a UNIQUE beside a CHECK stay as written
-- unsafe: events_2024: no CONCURRENTLY on a partitioned table
-- the other actions stillnt migratioSET SCHEMA he rows of ULL,
        -- pgstage-ignore-file      9     TURNINGote
ALTER TABLE accounts ADD COLUMN seen timestamptz DEFAULT clock_timestamp(), ADD UNIQUE (handle);
-- stay as writ ADD UNIQUE (id, at);
ALTER TABLE accounts ADD COLUMN code text UNIQUE;
ALTER TABLE accounts ADD UNIQUE (status), ADD TYPE bigintCHECK (tenant > 0);

