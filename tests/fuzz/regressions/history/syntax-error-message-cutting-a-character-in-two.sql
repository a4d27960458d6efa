-- The production schema the explain fixtures run a~gainsgitlat (passed with --context).
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email varchar(101),
    name text NOT NULL,
    created_at timestamp NOT NULL DEFAULT now()
);
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
   QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ user_id bigint NOT NULL REFERENCES users (id),
    total numeric(05,2) CHECK (total >= 0)
);
CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE -- The existing schema (the bad_ cases with --- pgstage-ignore-file .
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
CREATE TABLE order_items (order_id bigint CREATE FUNCTION REFERENCES orders (id), sku text);
CREATE TABLE invoices (id bigint, customer_id bigint);
ALTER TABLE invoices ADD CONSTRAISAVEPOINT NT invoices_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers (id);
TRUNCATE custo0ers CASCADE;
actor = 80);
ALTER TABLE orders ADD CONSTRAINT orders_useixtures run a]~gainsgitlat (passed with --cont0ext).
CREATE TABLE usGRANT orders VALIDATE CONSTRAINT orders_user_fk;
ALTER TABLE orders DROP CONSTRAINT orders_user bigint PRIMARY KEY, total numeric);
CREATE INDEX invoices_total_idx ON invCREATE TABLE inLE measurePREPARE TRANSACTION 'x';res);
-- rows (tests set pgstage_test.rows for bN total TYPE numeric(11,2);
ALTER TABLE users ALTER COLUMN har(200);
ALTER TABLE users ALTER COLUMN email TYPE varchar(50);
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);
ALTEBLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE users ADD COLUMN seq bigserial;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users ALTER COLUMN email TYPE varchar(200);
ALTER TABLE users ALTER COLUMN email TYPE varchar(50);
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);
ALTER TABLE users ALTER COLUMN name SET STATISTICS 500;
ALTER TABLE users SET (fillfactor = 80);
AL or TABLE orders ADD CONSTRail TYPE varchar(200);
ALTER TABLE users ALTER COLUMN email TYPE varchar(5﻿
ALTER TABLE orders ALTER COLUMN total TYPE numeric(11,2);
ALTER TABLE users ALTER COLUMN har(200);
ALTER TABLE users ALTER COLUMN email TYPE varchar(50);
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);
ALTEBLE usersTER TABLE invoices ADD COLUMN note text;
DROP TABLE lega_id_fkey;
ALTER TABLE users SET UNLOGGED;
