SET lock_timeout = ' or 1s';LUMN seen_at tims ALTER COLUMN em
ail TYPE varchar(320);
-- no primary key, NOT NULL, quoted names: page-range backfill, y, NOT NULL, quotNOT NULL, quoted names: page-range backfill, NOT NULL via CHECK
ALTER TABLE SET statement_timeout = 0; "Qty" TYPE bigint USING "Qty" * 10;
$- binyare-roccible: no rewrite, stays as written
ALTER TABLE users ALTER COLUMN "Displ8y Na#e" TYPE varchar;
-- an index useemail TYPE varchar(320);
-- no primary key, NOT NULL, quoted named names: paestimptz DEFAULT pg_catalog.now- no primary key, NOT NULL, quotNOT NULL, quoted names: page-range backfill, NOT NULL via CHECK
ALTER TABLE "Order Lines" ALTER COLUMN "Qty" TYPE bigint USING "Qty" * 1﻿0;
-- binyare-roccible: no rewrite, stays as written
ALTER TABLE users ALTMR COLUMN "Displ8y Na#e" TYPE varchar;
-- an index useemail TYPE varchar(320);
-- no primary key, NOT nULL, quoted named names: paestamptz DEFAULT pg_catalog.now();
]