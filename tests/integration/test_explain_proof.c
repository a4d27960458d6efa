/*
 * test_explain_proof: `pgstage explain` against the server's own record, for
 * well over a hundred DDL forms (the rows of
 * /work/shared/reference/pg-lock-truth-table.md, sections A to J).
 *
 * For every case:
 *
 * - pgstage's side is its real command line: the fixture schema (plus the
 *   case's committed setup) is written to a file passed as --context, the
 *   case to a second file, and `$PGSTAGE explain --format json` is run on
 *   them. The last statement's effects are parsed with jansson.
 *
 * - The server's side runs on a fresh copy of the fixture database (CREATE
 *   DATABASE ... TEMPLATE). A transactional case runs in one transaction
 *   that is rolled back: the `pre` statements, a snapshot, the statement, a
 *   second snapshot. A snapshot is every relation of the user schemas with
 *   its relkind, pg_relation_filenode, pg_stat_xact_user_tables.seq_scan
 *   (which counts the transaction's own scans) and table (for indexes), plus
 *   the backend's granted relation locks from pg_locks.
 *
 * Observed, per table, partitioned table, view and materialized view:
 *   lock    the strongest mode newly held in pg_locks;
 *   rewrite the table's relfilenode changed;
 *   reindex an index of the table kept its name and got a new relfilenode;
 *   scan    seq_scan went up (index builds and validation scans count), except
 *           scans of a heap the statement itself made (a new table, TRUNCATE's
 *           new empty file) that read no row (seq_tup_read): index builds on
 *           an empty heap read nothing that existed before.
 * A partitioned table has no storage: explain's rewrite, reindex or scan on
 * one is a summary of its partitions, so a yes must be seen on one of them
 * (each partition is also compared on its own).
 * Every relation explain names must match in all four; a prediction marked
 * `assumed` may be stronger than what happened (conservative). A relation
 * the server locked beyond ACCESS SHARE, rewrote, reindexed or scanned that
 * explain doesn't name is a mismatch too. Indexes, sequences and TOAST
 * tables are not compared. explain must also say the statement may run in
 * a transaction block (it just did).
 *
 * Statements that can't run in a transaction block (CONCURRENTLY, VACUUM,
 * CLUSTER without a table) are checked the way the truth table's
 * experiment did: explain must say "transaction": "forbidden"; the server
 * must reject the statement inside BEGIN with "cannot run inside a
 * transaction block"; then a second session holds SHARE UPDATE EXCLUSIVE on
 * the case's `hold` table, the statement is sent, and the lock it waits for
 * (pg_locks, granted = false) must be explain's lock on that relation. The
 * holder lets go, the statement must succeed, and relfilenodes before and
 * after give rewrite and reindex for every table. Scans are not compared
 * for these (their seq_scan counts are not in a transaction we can read).
 *
 * The cases run in a few worker processes (each case has its own database,
 * so they don't interfere); the cmocka tests then report each case. Each
 * mismatch is printed on a line starting MISMATCH with the case, its SQL,
 * the relation, the field, pgstage's prediction and the server's record.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh) and PGSTAGE (the binary;
 * ./pgstage when unset). PGS_PROOF_JOBS sets the number of workers (3);
 * PGS_PROOF_ONLY=TEXT runs only the cases whose name contains TEXT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "core/effects.h"
#include "tests/integration/pgtest.h"

#define FIXTURE_DB "pgs_proof_fixture"
#define TABLESPACE "pgs_proof_ts"
#define ROLE "pgs_proof_role"
#define APP_NAME "pgstage-test_explain_proof"

/*
 * The pre-existing schema, created once on the server and given to explain
 * as --context. Cluster-wide objects (the tablespace pgs_proof_ts and the
 * role pgs_proof_role) are made by the group setup.
 */
static const char fixture_head[] =
	"CREATE SCHEMA other;\n"
	"CREATE TABLE parent_ref (id int PRIMARY KEY, label text);\n"
	"INSERT INTO parent_ref SELECT i, 'p' || i FROM generate_series(1, 2000) AS i;\n"
	"CREATE DOMAIN pos_int AS int CHECK (VALUE > 0);\n"
	"CREATE DOMAIN any_int AS int;\n"
	"CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
	"CREATE TYPE pair AS (a int, b int);\n"
	"CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
	"CREATE TABLE t (\n"
	"    id int PRIMARY KEY,\n"
	"    n int CONSTRAINT t_n_check CHECK (n > 0),\n"
	"    m int,\n"
	"    v varchar(10),\n"
	"    txt text,\n"
	"    num numeric(10, 2),\n"
	"    ts timestamp,\n"
	"    f int CONSTRAINT t_f_fkey REFERENCES parent_ref (id),\n"
	"    k_null int,\n"
	"    k_nn int NOT NULL,\n";
/* stored generated columns came in PostgreSQL 12 */
static const char fixture_generated[] = "    g int GENERATED ALWAYS AS (id * 2) STORED,\n";
static const char fixture_tail[] =
	"    ident int GENERATED BY DEFAULT AS IDENTITY,\n"
	"    feel mood,\n"
	"    r int4range\n"
	");\n"
	"CREATE INDEX t_m_idx ON t (m);\n"
	"CREATE INDEX t_v_idx ON t (v);\n"
	"CREATE INDEX t_txt_idx ON t (txt);\n"
	"CREATE INDEX t_num_idx ON t (num);\n"
	"CREATE INDEX t_ts_idx ON t (ts);\n"
	"CREATE UNIQUE INDEX t_k_null_idx ON t (k_null);\n"
	"CREATE UNIQUE INDEX t_k_nn_idx ON t (k_nn);\n"
	"INSERT INTO t (id, n, m, v, txt, num, ts, f, k_null, k_nn, feel, r)\n"
	"  SELECT i, i, i % 50, 'v' || i, 'text ' || i, i / 7.0,\n"
	"         timestamp '2024-01-01' + i * interval '1 hour', 1 + i % 100, i, i, 'ok',\n"
	"         int4range(i, i + 1)\n"
	"    FROM generate_series(1, 1000) AS i;\n"
	"CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();\n"
	"CREATE TABLE orders (id int PRIMARY KEY, parent_id int, note text);\n"
	"INSERT INTO orders SELECT i, 1 + i % 100, 'o' || i FROM generate_series(1, 500) AS i;\n"
	"CREATE TABLE notes (id int, body text);\n"
	"INSERT INTO notes SELECT i, 'n' || i FROM generate_series(1, 200) AS i;\n"
	"CREATE RULE notes_rule AS ON DELETE TO notes WHERE old.id < 0 DO INSTEAD NOTHING;\n"
	"CREATE TABLE nopk (id int NOT NULL, k int);\n"
	"INSERT INTO nopk SELECT i, i FROM generate_series(1, 300) AS i;\n"
	"CREATE UNIQUE INDEX nopk_id_idx ON nopk (id);\n"
	"CREATE UNIQUE INDEX nopk_k_idx ON nopk (k);\n"
	"CREATE TABLE empty_t (id int);\n"
	"CREATE UNLOGGED TABLE ul (id int PRIMARY KEY, x int);\n"
	"INSERT INTO ul SELECT i, i FROM generate_series(1, 300) AS i;\n"
	"CREATE TABLE dom_t (id int, a any_int, p pos_int);\n"
	"INSERT INTO dom_t SELECT i, i, i FROM generate_series(1, 300) AS i;\n"
	"CREATE TABLE src (id int, label text);\n"
	"INSERT INTO src SELECT i, 's' || i FROM generate_series(1, 300) AS i;\n"
	"CREATE MATERIALIZED VIEW mv AS SELECT id, label FROM src;\n"
	"CREATE UNIQUE INDEX mv_id_idx ON mv (id);\n"
	"CREATE VIEW v_src AS SELECT id, label FROM src;\n"
	"CREATE TABLE meas (id int, k int) PARTITION BY RANGE (k);\n"
	"CREATE TABLE meas_1 PARTITION OF meas FOR VALUES FROM (0) TO (100);\n"
	"CREATE TABLE meas_2 PARTITION OF meas FOR VALUES FROM (100) TO (200);\n"
	"INSERT INTO meas SELECT i, i % 200 FROM generate_series(1, 400) AS i;\n"
	"CREATE TRIGGER meas_touch AFTER UPDATE ON meas FOR EACH ROW EXECUTE FUNCTION touch();\n"
	"CREATE TABLE meas_new (id int, k int);\n"
	"INSERT INTO meas_new SELECT i, 200 + i % 100 FROM generate_series(1, 200) AS i;\n"
	"CREATE TABLE meas_checked (id int,\n"
	"    k int NOT NULL CONSTRAINT meas_checked_k CHECK (k >= 300 AND k < 400));\n"
	"INSERT INTO meas_checked SELECT i, 300 + i % 100 FROM generate_series(1, 200) AS i;\n"
	"CREATE TABLE evt (id int, k int) PARTITION BY RANGE (k);\n"
	"CREATE TABLE evt_1 PARTITION OF evt FOR VALUES FROM (0) TO (100);\n"
	"CREATE TABLE evt_def PARTITION OF evt DEFAULT;\n"
	"INSERT INTO evt SELECT i, i % 100 FROM generate_series(1, 200) AS i;\n"
	"INSERT INTO evt SELECT i, 1000 + i FROM generate_series(1, 50) AS i;\n"
	"CREATE TABLE evt_new (id int, k int);\n"
	"INSERT INTO evt_new SELECT i, 100 + i % 100 FROM generate_series(1, 200) AS i;\n"
	"CREATE TABLE inh_parent (id int);\n"
	"CREATE TABLE inh_child (id int);\n"
	"CREATE TABLE inh_kid () INHERITS (inh_parent);\n"
	"INSERT INTO inh_parent SELECT generate_series(1, 100);\n"
	"INSERT INTO inh_kid SELECT generate_series(101, 200);\n"
	"CREATE TABLE pairs OF pair;\n"
	"CREATE TABLE pair_like (a int, b int);\n"
	"ANALYZE;\n";

static char *fixture_sql; /* head, generated column where the server has them, tail */
static int server_major;  /* the server's major version: explain is asked for it */

struct proof_case {
	const char *name;
	const char *sql;   /* the statement compared: the last one of the case file */
	const char *setup; /* committed on the copy first; appended to explain's --context */
	const char *pre;   /* same transaction (and case file) just before sql, e.g. SET */
	const char *hold;  /* non-transactional cases: the table a second session holds in
			    * SHARE UPDATE EXCLUSIVE ("" to skip the lock check) */
	int since;         /* the first major version with the statement's syntax (0: all) */
	int txn_since;     /* with hold "": the first major version that runs it in a
			    * transaction block (older ones forbid it) */
};

/* Transactional: plain, with a committed setup, with statements before it. */
#define T(n, q) {.name = n, .sql = q}
#define TS(n, s, q) {.name = n, .sql = q, .setup = s}
#define TP(n, p, q) {.name = n, .sql = q, .pre = p}
/* Not in a transaction block; hold is the table a second session locks first. */
#define NT(n, h, q) {.name = n, .sql = q, .hold = h}
/* ... for statements older servers reject */
#define T_SINCE(v, n, q) {.name = n, .sql = q, .since = v}
#define NT_SINCE(v, n, h, q) {.name = n, .sql = q, .hold = h, .since = v}
/* ... and for statements older servers forbid in a transaction block */
#define T_TXN_SINCE(v, n, q) {.name = n, .sql = q, .hold = "", .txn_since = v}

static const struct proof_case cases[] = {
	/* A. ALTER TABLE: adding and dropping columns */
	T("add_column_nullable", "ALTER TABLE t ADD COLUMN c int"),
	T("add_column_default_const", "ALTER TABLE t ADD COLUMN c int DEFAULT 0"),
	T("add_column_not_null_default", "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0"),
	T("add_column_default_now", "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()"),
	T("add_column_default_clock_timestamp",
	  "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()"),
	T("add_column_default_random", "ALTER TABLE t ADD COLUMN c float8 DEFAULT random()"),
	T_SINCE(13, "add_column_default_gen_random_uuid",
	  "ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()"),
	/* volatility changed between versions (core/pgdata/versions.c) */
	T("add_column_default_timezone_now",
	  "ALTER TABLE t ADD COLUMN c timestamp DEFAULT timezone('UTC', now())"),
	T("add_column_serial", "ALTER TABLE t ADD COLUMN c serial"),
	T("add_column_bigserial", "ALTER TABLE t ADD COLUMN c bigserial"),
	T("add_column_identity", "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY"),
	T("add_column_identity_primary_key",
	  "ALTER TABLE nopk ADD COLUMN c int GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
	T_SINCE(12, "add_column_generated_stored",
	  "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (id * 3) STORED"),
	T("add_column_constrained_domain", "ALTER TABLE t ADD COLUMN c pos_int"),
	T("add_column_plain_domain", "ALTER TABLE t ADD COLUMN c any_int"),
	T("add_column_not_null_empty_table", "ALTER TABLE empty_t ADD COLUMN c int NOT NULL"),
	T("add_column_check", "ALTER TABLE t ADD COLUMN c int CHECK (c > 0)"),
	T("add_column_unique", "ALTER TABLE t ADD COLUMN c int UNIQUE"),
	T("add_column_references",
	  "ALTER TABLE orders ADD COLUMN p2 int REFERENCES parent_ref (id)"),
	/* ... with a default (even DEFAULT NULL) the new foreign key is validated:
	 * a join of both tables under the ALTER's locks; IDENTITY has no default
	 * expression, and PostgreSQL skips the validation */
	T("add_column_references_not_null_default",
	  "ALTER TABLE orders ADD COLUMN p2 int REFERENCES parent_ref (id) NOT NULL DEFAULT 1"),
	T("add_column_references_default_null",
	  "ALTER TABLE orders ADD COLUMN p2 int DEFAULT NULL REFERENCES parent_ref (id)"),
	T("add_column_references_serial",
	  "ALTER TABLE orders ADD COLUMN p2 serial REFERENCES parent_ref (id)"),
	T("add_column_references_identity",
	  "ALTER TABLE orders ADD COLUMN p2 int GENERATED BY DEFAULT AS IDENTITY "
	  "REFERENCES parent_ref (id)"),
	T("add_column_json", "ALTER TABLE t ADD COLUMN c json"),
	/* IF NOT EXISTS of a column that exists: the ALTER's lock, nothing else */
	T("add_column_if_not_exists_known",
	  "ALTER TABLE t ADD COLUMN IF NOT EXISTS m int NOT NULL DEFAULT (random() * 10)::int"),
	T("add_column_if_not_exists_references_known",
	  "ALTER TABLE orders ADD COLUMN IF NOT EXISTS parent_id int NOT NULL DEFAULT 1 "
	  "REFERENCES parent_ref (id)"),
	T("add_two_columns_one_volatile",
	  "ALTER TABLE t ADD COLUMN c int, ADD COLUMN d float8 DEFAULT random()"),
	T("drop_column", "ALTER TABLE t DROP COLUMN txt"),
	T("drop_column_in_foreign_key", "ALTER TABLE t DROP COLUMN f"),

	/* B. ALTER COLUMN ... TYPE */
	T("type_int_to_bigint", "ALTER TABLE t ALTER COLUMN m TYPE bigint"),
	T("type_int_to_text", "ALTER TABLE t ALTER COLUMN m TYPE text"),
	T("type_same_using_expression", "ALTER TABLE t ALTER COLUMN m TYPE int USING m + 0"),
	T("type_bigint_using_cast", "ALTER TABLE t ALTER COLUMN m TYPE bigint USING m::bigint"),
	T("type_varchar_widen", "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)"),
	T("type_varchar_narrow", "ALTER TABLE t ALTER COLUMN v TYPE varchar(8)"),
	T("type_varchar_unbounded", "ALTER TABLE t ALTER COLUMN v TYPE varchar"),
	T("type_varchar_to_text", "ALTER TABLE t ALTER COLUMN v TYPE text"),
	T("type_text_to_varchar", "ALTER TABLE t ALTER COLUMN txt TYPE varchar"),
	T("type_text_to_varchar_n", "ALTER TABLE t ALTER COLUMN txt TYPE varchar(100)"),
	T("type_text_collation", "ALTER TABLE t ALTER COLUMN txt TYPE text COLLATE \"POSIX\""),
	T("type_numeric_precision_up", "ALTER TABLE t ALTER COLUMN num TYPE numeric(12, 2)"),
	T("type_numeric_unbounded", "ALTER TABLE t ALTER COLUMN num TYPE numeric"),
	T("type_numeric_scale_change", "ALTER TABLE t ALTER COLUMN num TYPE numeric(12, 4)"),
	T("type_numeric_precision_down", "ALTER TABLE t ALTER COLUMN num TYPE numeric(8, 2)"),
	TP("type_timestamp_to_timestamptz_utc", "SET TimeZone = 'UTC'",
	   "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
	TP("type_timestamp_to_timestamptz_paris", "SET TimeZone = 'Europe/Paris'",
	   "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
	T("type_timestamp_to_timestamptz_unset", "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
	T("type_to_constrained_domain", "ALTER TABLE t ALTER COLUMN n TYPE pos_int"),
	T("type_to_plain_domain", "ALTER TABLE t ALTER COLUMN m TYPE any_int"),
	T("type_from_constrained_domain", "ALTER TABLE dom_t ALTER COLUMN p TYPE int"),
	T("type_from_plain_domain", "ALTER TABLE dom_t ALTER COLUMN a TYPE int"),
	T("type_noop_on_check_column", "ALTER TABLE t ALTER COLUMN n TYPE int4"),
	T("type_bigint_on_check_column", "ALTER TABLE t ALTER COLUMN n TYPE bigint"),
	T("type_bigint_on_foreign_key_column", "ALTER TABLE t ALTER COLUMN f TYPE bigint"),
	T("type_noop_on_foreign_key_column", "ALTER TABLE t ALTER COLUMN f TYPE int4"),
	T("type_bigint_on_referenced_column", "ALTER TABLE parent_ref ALTER COLUMN id TYPE bigint"),

	/* the enum swap: the column's type was renamed with the type, so this
	 * converts to another enum */
	TS("type_enum_swapped_by_rename",
	   "ALTER TYPE mood RENAME TO mood_old;\n"
	   "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'great');\n",
	   "ALTER TABLE t ALTER COLUMN feel TYPE mood USING feel::text::mood"),

	/* C. defaults, NOT NULL, identity, generated, per-column settings */
	T("set_default", "ALTER TABLE t ALTER COLUMN m SET DEFAULT 5"),
	T("set_default_volatile", "ALTER TABLE t ALTER COLUMN m SET DEFAULT (random() * 10)::int"),
	T("drop_default", "ALTER TABLE t ALTER COLUMN m DROP DEFAULT"),
	T("set_not_null", "ALTER TABLE t ALTER COLUMN m SET NOT NULL"),
	TS("set_not_null_with_valid_check",
	   "ALTER TABLE t ADD CONSTRAINT t_m_nn CHECK (m IS NOT NULL) NOT VALID;\n"
	   "ALTER TABLE t VALIDATE CONSTRAINT t_m_nn;\n",
	   "ALTER TABLE t ALTER COLUMN m SET NOT NULL"),
	TS("set_not_null_with_not_valid_check",
	   "ALTER TABLE t ADD CONSTRAINT t_m_nn CHECK (m IS NOT NULL) NOT VALID;\n",
	   "ALTER TABLE t ALTER COLUMN m SET NOT NULL"),
	T("set_not_null_already_not_null", "ALTER TABLE t ALTER COLUMN k_nn SET NOT NULL"),
	T("drop_not_null", "ALTER TABLE t ALTER COLUMN k_nn DROP NOT NULL"),
	T_SINCE(13, "drop_expression", "ALTER TABLE t ALTER COLUMN g DROP EXPRESSION"),
	T("add_identity", "ALTER TABLE t ALTER COLUMN k_nn ADD GENERATED BY DEFAULT AS IDENTITY"),
	T("set_generated_always", "ALTER TABLE t ALTER COLUMN ident SET GENERATED ALWAYS"),
	T("identity_restart", "ALTER TABLE t ALTER COLUMN ident RESTART WITH 5000"),
	T("identity_set_increment", "ALTER TABLE t ALTER COLUMN ident SET INCREMENT BY 2"),
	T("drop_identity", "ALTER TABLE t ALTER COLUMN ident DROP IDENTITY"),
	T("set_statistics", "ALTER TABLE t ALTER COLUMN m SET STATISTICS 500"),
	T("set_column_options", "ALTER TABLE t ALTER COLUMN m SET (n_distinct = 100)"),
	T("reset_column_options", "ALTER TABLE t ALTER COLUMN m RESET (n_distinct)"),
	T("set_storage", "ALTER TABLE t ALTER COLUMN txt SET STORAGE EXTERNAL"),
	T_SINCE(14, "set_compression", "ALTER TABLE t ALTER COLUMN txt SET COMPRESSION pglz"),

	/* D. constraints */
	T("add_check", "ALTER TABLE t ADD CONSTRAINT t_m_check CHECK (m >= 0)"),
	T("add_check_not_valid", "ALTER TABLE t ADD CONSTRAINT t_m_check CHECK (m >= 0) NOT VALID"),
	TS("validate_check", "ALTER TABLE t ADD CONSTRAINT t_m_check CHECK (m >= 0) NOT VALID;\n",
	   "ALTER TABLE t VALIDATE CONSTRAINT t_m_check"),
	T("validate_check_already_valid", "ALTER TABLE t VALIDATE CONSTRAINT t_n_check"),
	T("add_foreign_key",
	  "ALTER TABLE orders ADD CONSTRAINT orders_parent_fk FOREIGN KEY (parent_id) "
	  "REFERENCES parent_ref (id)"),
	T("add_foreign_key_not_valid",
	  "ALTER TABLE orders ADD CONSTRAINT orders_parent_fk FOREIGN KEY (parent_id) "
	  "REFERENCES parent_ref (id) NOT VALID"),
	TS("validate_foreign_key",
	   "ALTER TABLE orders ADD CONSTRAINT orders_parent_fk FOREIGN KEY (parent_id) "
	   "REFERENCES parent_ref (id) NOT VALID;\n",
	   "ALTER TABLE orders VALIDATE CONSTRAINT orders_parent_fk"),
	T("add_unique", "ALTER TABLE t ADD CONSTRAINT t_txt_key UNIQUE (txt)"),
	T("add_primary_key_nullable", "ALTER TABLE notes ADD PRIMARY KEY (id)"),
	T("add_primary_key_not_null", "ALTER TABLE nopk ADD PRIMARY KEY (id)"),
	T("add_unique_using_index",
	  "ALTER TABLE t ADD CONSTRAINT t_k_null_key UNIQUE USING INDEX t_k_null_idx"),
	T("add_primary_key_using_index_nullable",
	  "ALTER TABLE nopk ADD PRIMARY KEY USING INDEX nopk_k_idx"),
	T("add_primary_key_using_index_not_null",
	  "ALTER TABLE nopk ADD PRIMARY KEY USING INDEX nopk_id_idx"),
	T("add_exclusion", "ALTER TABLE t ADD CONSTRAINT t_r_excl EXCLUDE USING gist (r WITH &&)"),
	T("alter_constraint_deferrable", "ALTER TABLE t ALTER CONSTRAINT t_f_fkey DEFERRABLE"),
	T("drop_check", "ALTER TABLE t DROP CONSTRAINT t_n_check"),
	T("drop_primary_key", "ALTER TABLE orders DROP CONSTRAINT orders_pkey"),
	T("drop_foreign_key", "ALTER TABLE t DROP CONSTRAINT t_f_fkey"),
	T("drop_referenced_primary_key_cascade",
	  "ALTER TABLE parent_ref DROP CONSTRAINT parent_ref_pkey CASCADE"),
	T("rename_constraint", "ALTER TABLE t RENAME CONSTRAINT t_n_check TO t_n_positive"),

	/* E. triggers, rules, RLS, physical storage, replication */
	T("disable_trigger", "ALTER TABLE t DISABLE TRIGGER t_touch"),
	T("enable_trigger", "ALTER TABLE t ENABLE TRIGGER t_touch"),
	T("enable_replica_trigger", "ALTER TABLE t ENABLE REPLICA TRIGGER t_touch"),
	T("enable_always_trigger", "ALTER TABLE t ENABLE ALWAYS TRIGGER t_touch"),
	T("disable_trigger_all", "ALTER TABLE t DISABLE TRIGGER ALL"),
	T("disable_trigger_user", "ALTER TABLE t DISABLE TRIGGER USER"),
	T("disable_rule", "ALTER TABLE notes DISABLE RULE notes_rule"),
	T("enable_replica_rule", "ALTER TABLE notes ENABLE REPLICA RULE notes_rule"),
	T("enable_row_level_security", "ALTER TABLE t ENABLE ROW LEVEL SECURITY"),
	T("disable_row_level_security", "ALTER TABLE t DISABLE ROW LEVEL SECURITY"),
	T("force_row_level_security", "ALTER TABLE t FORCE ROW LEVEL SECURITY"),
	T("no_force_row_level_security", "ALTER TABLE t NO FORCE ROW LEVEL SECURITY"),
	T("cluster_on", "ALTER TABLE t CLUSTER ON t_pkey"),
	T("set_without_cluster", "ALTER TABLE t SET WITHOUT CLUSTER"),
	T_SINCE(15, "set_access_method_heap", "ALTER TABLE t SET ACCESS METHOD heap"),
	T("set_tablespace", "ALTER TABLE t SET TABLESPACE " TABLESPACE),
	T("set_unlogged", "ALTER TABLE orders SET UNLOGGED"),
	T("set_logged", "ALTER TABLE ul SET LOGGED"),
	T("set_logged_already_logged", "ALTER TABLE orders SET LOGGED"),
	T("set_fillfactor", "ALTER TABLE t SET (fillfactor = 70)"),
	T("set_autovacuum_enabled", "ALTER TABLE t SET (autovacuum_enabled = false)"),
	T("set_toast_option", "ALTER TABLE t SET (toast.autovacuum_enabled = false)"),
	T("set_parallel_workers", "ALTER TABLE t SET (parallel_workers = 2)"),
	T("reset_fillfactor", "ALTER TABLE t RESET (fillfactor)"),
	T("set_user_catalog_table", "ALTER TABLE t SET (user_catalog_table = true)"),
	T("replica_identity_full", "ALTER TABLE t REPLICA IDENTITY FULL"),
	T("replica_identity_using_index", "ALTER TABLE t REPLICA IDENTITY USING INDEX t_k_nn_idx"),
	T("set_without_oids", "ALTER TABLE t SET WITHOUT OIDS"),

	/* F. inheritance, typed tables, owner, names, schema */
	T("inherit", "ALTER TABLE inh_child INHERIT inh_parent"),
	T("no_inherit", "ALTER TABLE inh_kid NO INHERIT inh_parent"),
	T("of_type", "ALTER TABLE pair_like OF pair"),
	T("not_of", "ALTER TABLE pairs NOT OF"),
	T("owner_to", "ALTER TABLE t OWNER TO " ROLE),
	T("rename_table", "ALTER TABLE t RENAME TO t_renamed"),
	T("rename_column", "ALTER TABLE t RENAME COLUMN m TO m2"),
	T("rename_index", "ALTER INDEX t_m_idx RENAME TO t_m2_idx"),
	T("alter_index_set_fillfactor", "ALTER INDEX t_m_idx SET (fillfactor = 80)"),
	T("rename_trigger", "ALTER TRIGGER t_touch ON t RENAME TO t_touched"),
	T("set_schema", "ALTER TABLE t SET SCHEMA other"),

	/* G. partitioning */
	T("attach_partition",
	  "ALTER TABLE meas ATTACH PARTITION meas_new FOR VALUES FROM (200) TO (300)"),
	T("attach_partition_with_valid_check",
	  "ALTER TABLE meas ATTACH PARTITION meas_checked FOR VALUES FROM (300) TO (400)"),
	T("attach_partition_with_default",
	  "ALTER TABLE evt ATTACH PARTITION evt_new FOR VALUES FROM (100) TO (200)"),
	T("detach_partition", "ALTER TABLE meas DETACH PARTITION meas_2"),
	T("detach_partition_with_default", "ALTER TABLE evt DETACH PARTITION evt_1"),
	T("create_partition_of",
	  "CREATE TABLE meas_3 PARTITION OF meas FOR VALUES FROM (200) TO (300)"),
	T("create_partition_of_with_default",
	  "CREATE TABLE evt_2 PARTITION OF evt FOR VALUES FROM (100) TO (200)"),
	T("drop_partition", "DROP TABLE meas_1"),
	T("create_index_partitioned", "CREATE INDEX meas_k_idx ON meas (k)"),
	T("partitioned_add_column", "ALTER TABLE meas ADD COLUMN c int"),
	T("partitioned_add_column_volatile_default",
	  "ALTER TABLE meas ADD COLUMN c float8 DEFAULT random()"),
	T("partitioned_set_not_null", "ALTER TABLE meas ALTER COLUMN k SET NOT NULL"),
	T("partitioned_add_check", "ALTER TABLE meas ADD CONSTRAINT meas_k_check CHECK (k >= 0)"),
	T("partitioned_type_change", "ALTER TABLE meas ALTER COLUMN id TYPE bigint"),
	T("partitioned_add_unique", "ALTER TABLE meas ADD CONSTRAINT meas_id_k_key UNIQUE (id, k)"),
	T("partitioned_add_primary_key", "ALTER TABLE meas ADD PRIMARY KEY (id, k)"),
	T("partitioned_add_foreign_key",
	  "ALTER TABLE meas ADD CONSTRAINT meas_id_fk FOREIGN KEY (id) REFERENCES parent_ref (id)"),
	T("partitioned_set_statistics", "ALTER TABLE meas ALTER COLUMN k SET STATISTICS 200"),
	T("partitioned_disable_trigger", "ALTER TABLE meas DISABLE TRIGGER meas_touch"),
	T("partitioned_set_default", "ALTER TABLE meas ALTER COLUMN k SET DEFAULT 1"),
	T("partitioned_only_set_default", "ALTER TABLE ONLY meas ALTER COLUMN k SET DEFAULT 1"),
	T("partitioned_drop_column", "ALTER TABLE meas DROP COLUMN id"),
	T("partitioned_rename_column", "ALTER TABLE meas RENAME COLUMN id TO ident"),
	T("partitioned_select_all", "SELECT count(*) FROM meas"),
	T("partitioned_update_all", "UPDATE meas SET id = id + 1"),
	T("partitioned_truncate", "TRUNCATE meas"),
	T("inheritance_add_column", "ALTER TABLE inh_parent ADD COLUMN c int"),
	T("inheritance_set_not_null", "ALTER TABLE inh_parent ALTER COLUMN id SET NOT NULL"),
	T("inheritance_lock", "LOCK TABLE inh_parent IN SHARE MODE"),
	T("inheritance_truncate", "TRUNCATE inh_parent"),
	T("partitioned_add_check_not_valid",
	  "ALTER TABLE meas ADD CONSTRAINT meas_k_nv CHECK (k >= 0) NOT VALID"),
	TS("partitioned_validate_check",
	   "ALTER TABLE meas ADD CONSTRAINT meas_k_nv CHECK (k >= 0) NOT VALID;\n",
	   "ALTER TABLE meas VALIDATE CONSTRAINT meas_k_nv"),
	T("partitioned_type_change_text", "ALTER TABLE meas ALTER COLUMN id TYPE text"),
	T("partitioned_replica_identity_full", "ALTER TABLE meas REPLICA IDENTITY FULL"),
	T("partitioned_enable_row_level_security", "ALTER TABLE meas ENABLE ROW LEVEL SECURITY"),
	T("partitioned_create_unique_index", "CREATE UNIQUE INDEX meas_id_k_uidx ON meas (id, k)"),
	/* from 14 each partition is reindexed in its own transaction */
	NT_SINCE(14, "partitioned_reindex", "meas_1", "REINDEX TABLE meas"),
	T("partitioned_analyze", "ANALYZE meas"),
	T("partitioned_delete_where", "DELETE FROM meas WHERE k = 5"),
	T("partition_set_not_null", "ALTER TABLE meas_1 ALTER COLUMN id SET NOT NULL"),
	T("partition_add_column_check", "ALTER TABLE meas_1 ADD CONSTRAINT meas_1_id CHECK (id > 0)"),
	/* NOT VALID foreign keys on partitioned tables came in 18 */
	T_SINCE(18, "partitioned_add_foreign_key_not_valid",
		"ALTER TABLE meas ADD CONSTRAINT meas_id_fk FOREIGN KEY (id) "
		"REFERENCES parent_ref (id) NOT VALID"),
	/* a new or attached partition gets the parent's foreign keys: the
	 * referenced table is locked, an attached one's rows are checked */
	TS("create_partition_of_with_foreign_key",
	   "ALTER TABLE meas ADD CONSTRAINT meas_id_fk FOREIGN KEY (id) REFERENCES parent_ref (id);\n",
	   "CREATE TABLE meas_3 PARTITION OF meas FOR VALUES FROM (200) TO (300)"),
	TS("attach_partition_with_foreign_key",
	   "ALTER TABLE meas ADD CONSTRAINT meas_id_fk FOREIGN KEY (id) REFERENCES parent_ref (id);\n",
	   "ALTER TABLE meas ATTACH PARTITION meas_new FOR VALUES FROM (200) TO (300)"),
	TS("attach_partition_with_index",
	   "CREATE INDEX meas_k_idx ON meas (k);\n",
	   "ALTER TABLE meas ATTACH PARTITION meas_new FOR VALUES FROM (200) TO (300)"),
	TS("attach_partition_with_unique",
	   "ALTER TABLE meas ADD CONSTRAINT meas_id_k_key UNIQUE (id, k);\n",
	   "ALTER TABLE meas ATTACH PARTITION meas_new FOR VALUES FROM (200) TO (300)"),
	TS("attach_index_partition",
	   "CREATE INDEX meas_k_idx ON ONLY meas (k);\nCREATE INDEX meas_1_k_idx ON meas_1 (k);\n",
	   "ALTER INDEX meas_k_idx ATTACH PARTITION meas_1_k_idx"),

	/* H. indexes */
	T("create_index", "CREATE INDEX t_n_idx ON t (n)"),
	T("create_unique_index", "CREATE UNIQUE INDEX t_txt_uidx ON t (txt)"),
	T("create_index_partial", "CREATE INDEX t_n_part_idx ON t (n) WHERE n > 500"),
	T("create_index_expression", "CREATE INDEX t_lower_idx ON t (lower(txt))"),
	T("create_index_gist", "CREATE INDEX t_r_idx ON t USING gist (r)"),
	T("drop_index", "DROP INDEX t_m_idx"),
	T("reindex_index", "REINDEX INDEX t_m_idx"),
	T("reindex_table", "REINDEX TABLE t"),
	/* IF NOT EXISTS of an index that exists: the table's lock (taken before
	 * the name is looked up), no build, no scan */
	T("create_index_if_not_exists_known", "CREATE INDEX IF NOT EXISTS t_m_idx ON t (m)"),
	TS("create_index_if_not_exists_partitioned_known", "CREATE INDEX meas_k_idx ON meas (k);\n",
	   "CREATE INDEX IF NOT EXISTS meas_k_idx ON meas (k)"),

	/* materialized views */
	T("mv_create_index", "CREATE INDEX mv_label_idx ON mv (label)"),
	T("mv_rename", "ALTER MATERIALIZED VIEW mv RENAME TO mv2"),
	T("mv_rename_column", "ALTER MATERIALIZED VIEW mv RENAME COLUMN label TO lbl"),
	T("mv_set_tablespace", "ALTER MATERIALIZED VIEW mv SET TABLESPACE " TABLESPACE),
	T("mv_set_statistics", "ALTER MATERIALIZED VIEW mv ALTER COLUMN id SET STATISTICS 100"),
	T("mv_set_schema", "ALTER MATERIALIZED VIEW mv SET SCHEMA other"),
	T("mv_owner_to", "ALTER MATERIALIZED VIEW mv OWNER TO " ROLE),
	T("mv_refresh_with_no_data", "REFRESH MATERIALIZED VIEW mv WITH NO DATA"),
	T("mv_reindex", "REINDEX TABLE mv"),
	T("mv_cluster", "CLUSTER mv USING mv_id_idx"),
	T("mv_drop_source_cascade", "DROP TABLE src CASCADE"),

	/* tablespaces */
	T("index_set_tablespace", "ALTER INDEX t_m_idx SET TABLESPACE " TABLESPACE),
	T("create_index_in_tablespace", "CREATE INDEX t_n_ts_idx ON t (n) TABLESPACE " TABLESPACE),
	T("partitioned_set_tablespace", "ALTER TABLE meas SET TABLESPACE " TABLESPACE),

	/* constraints on existing indexes */
	T("add_unique_using_index_deferrable",
	  "ALTER TABLE t ADD CONSTRAINT t_k_nn_key UNIQUE USING INDEX t_k_nn_idx DEFERRABLE"),
	T("add_foreign_key_to_unique_index",
	  "ALTER TABLE orders ADD CONSTRAINT orders_t_fk FOREIGN KEY (parent_id) "
	  "REFERENCES t (k_nn)"),

	/* privileges */
	T("grant_all_tables_in_schema", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " ROLE),
	T("grant_column", "GRANT UPDATE (m) ON t TO " ROLE),
	T("revoke_all_from_public", "REVOKE ALL ON t FROM PUBLIC"),
	T("alter_default_privileges",
	  "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO " ROLE),
	T_SINCE(17, "grant_maintain", "GRANT MAINTAIN ON t TO " ROLE),

	/* type changes whose cost depends on TimeZone */
	{.name = "type_timestamptz_to_timestamp_utc",
	 .setup = "ALTER TABLE t ADD COLUMN tz timestamptz;\n",
	 .pre = "SET TimeZone = 'UTC'",
	 .sql = "ALTER TABLE t ALTER COLUMN tz TYPE timestamp"},
	{.name = "type_timestamptz_to_timestamp_paris",
	 .setup = "ALTER TABLE t ADD COLUMN tz timestamptz;\n",
	 .pre = "SET TimeZone = 'Europe/Paris'",
	 .sql = "ALTER TABLE t ALTER COLUMN tz TYPE timestamp"},
	TP("type_timestamp_to_timestamptz_set_local_utc", "SET LOCAL TimeZone = 'UTC'",
	   "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
	TP("type_timestamp_to_timestamptz_set_config_utc",
	   "SELECT set_config('TimeZone', 'UTC', false)",
	   "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
	TP("type_timestamp_to_timestamptz_utc_then_reset", "SET TimeZone = 'UTC';\nRESET TimeZone",
	   "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),

	/* I. whole-table maintenance and data commands */
	T("cluster_using", "CLUSTER t USING t_pkey"),
	T("analyze", "ANALYZE t"),
	T("analyze_columns", "ANALYZE t (m, n)"),
	T("truncate", "TRUNCATE notes"),
	T("truncate_restart_identity", "TRUNCATE t RESTART IDENTITY"),
	T("truncate_cascade", "TRUNCATE parent_ref CASCADE"),
	T("drop_table", "DROP TABLE notes"),
	T("drop_table_with_foreign_key", "DROP TABLE t"),
	T("drop_referenced_table_cascade", "DROP TABLE parent_ref CASCADE"),
	T("drop_view", "DROP VIEW v_src"),
	T("drop_materialized_view", "DROP MATERIALIZED VIEW mv"),
	T("lock_table_default", "LOCK TABLE t"),
	T("lock_access_share", "LOCK TABLE t IN ACCESS SHARE MODE"),
	T("lock_row_share", "LOCK TABLE t IN ROW SHARE MODE"),
	T("lock_row_exclusive", "LOCK TABLE t IN ROW EXCLUSIVE MODE"),
	T("lock_share_update_exclusive", "LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE"),
	T("lock_share", "LOCK TABLE t IN SHARE MODE"),
	T("lock_share_row_exclusive", "LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE"),
	T("lock_exclusive", "LOCK TABLE t IN EXCLUSIVE MODE"),
	T("lock_access_exclusive", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"),
	T("lock_partitioned_table", "LOCK TABLE meas IN SHARE MODE"),
	T("lock_only_partitioned_table", "LOCK TABLE ONLY meas IN SHARE MODE"),
	T("lock_view", "LOCK TABLE v_src IN EXCLUSIVE MODE"),
	T("refresh_materialized_view", "REFRESH MATERIALIZED VIEW mv"),
	T("refresh_materialized_view_concurrently", "REFRESH MATERIALIZED VIEW CONCURRENTLY mv"),
	T("update_all_rows", "UPDATE t SET m = m + 1"),
	T("update_where", "UPDATE t SET m = 0 WHERE id = 5"),
	/* a WHERE no index serves: the server reads the whole table (explain: assumed) */
	T("update_where_unindexed", "UPDATE t SET m = 0 WHERE m = -12345"),
	T("delete_where_unindexed", "DELETE FROM orders WHERE note = 'nothing like this'"),
	T("update_foreign_key_column", "UPDATE t SET f = 2 WHERE id = 5"),
	T("delete_where", "DELETE FROM t WHERE id = 5"),
	T("delete_all_rows", "DELETE FROM orders"),
	T("insert_select_generated",
	  "INSERT INTO t (id, n, k_nn, f) SELECT i, i, i, 1 FROM generate_series(2001, 2100) AS i"),
	T("insert_select_from_table", "INSERT INTO notes SELECT id, label FROM src"),
	T("insert_select_from_view", "INSERT INTO notes SELECT id, label FROM v_src"),
	T("insert_values_without_foreign_key",
	  "INSERT INTO t (id, n, k_nn) VALUES (3001, 1, 3001)"),
	T("delete_referenced_row", "DELETE FROM parent_ref WHERE id = 2000"),
	TS("delete_referenced_row_indexed", "CREATE INDEX t_f_idx ON t (f);\n",
	   "DELETE FROM parent_ref WHERE id = 2000"),
	TS("delete_referenced_row_cascade",
	   "ALTER TABLE orders ADD CONSTRAINT orders_parent_fk FOREIGN KEY (parent_id) "
	   "REFERENCES parent_ref (id) ON DELETE CASCADE;\n",
	   "DELETE FROM parent_ref WHERE id = 2000"),
	T("update_referenced_key", "UPDATE parent_ref SET id = 5000 WHERE id = 2000"),
	T("update_referenced_non_key", "UPDATE parent_ref SET label = 'x' WHERE id = 5"),

	/* J. other DDL that touches existing tables */
	T("create_view", "CREATE VIEW v_src2 AS SELECT id FROM src"),
	T("create_or_replace_view", "CREATE OR REPLACE VIEW v_src AS SELECT id, label FROM src"),
	T("create_materialized_view", "CREATE MATERIALIZED VIEW mv2 AS SELECT id, label FROM src"),
	T("create_materialized_view_with_no_data",
	  "CREATE MATERIALIZED VIEW mv2 AS SELECT id, label FROM src WITH NO DATA"),
	T("create_table_as", "CREATE TABLE src_copy AS SELECT * FROM src"),
	T("create_table_as_from_view", "CREATE TABLE src_copy AS SELECT * FROM v_src"),
	T("create_view_on_view", "CREATE VIEW v_src2 AS SELECT id FROM v_src"),
	T("create_table_like", "CREATE TABLE t_like (LIKE t INCLUDING ALL)"),
	T("create_table_references",
	  "CREATE TABLE newref (id int, pid int REFERENCES parent_ref (id))"),
	T("create_table_plain", "CREATE TABLE plain_new (id int PRIMARY KEY)"),
	T("create_table_inherits", "CREATE TABLE inh_new () INHERITS (inh_parent)"),
	/* IF NOT EXISTS of a relation that exists: a notice, nothing locked or made */
	T("create_table_if_not_exists_known",
	  "CREATE TABLE IF NOT EXISTS orders (id int, pid int REFERENCES parent_ref (id))"),
	T("create_table_if_not_exists_like_known",
	  "CREATE TABLE IF NOT EXISTS notes (LIKE t INCLUDING ALL)"),
	T("create_partition_if_not_exists_known",
	  "CREATE TABLE IF NOT EXISTS meas_1 PARTITION OF evt FOR VALUES FROM (100) TO (200)"),
	/* ... the query is parsed (its relations locked), never run */
	T("create_table_as_if_not_exists_known",
	  "CREATE TABLE IF NOT EXISTS notes AS SELECT id, label FROM src"),
	T("create_materialized_view_if_not_exists_known",
	  "CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT id, label FROM src"),
	T("create_trigger",
	  "CREATE TRIGGER t_touch2 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch()"),
	T("drop_trigger", "DROP TRIGGER t_touch ON t"),
	T("create_rule", "CREATE RULE notes_upd AS ON UPDATE TO notes DO ALSO NOTHING"),
	T("drop_rule", "DROP RULE notes_rule ON notes"),
	T("create_policy", "CREATE POLICY t_pol ON t USING (id > 0)"),
	TS("alter_policy", "CREATE POLICY t_pol ON t USING (id > 0);\n",
	   "ALTER POLICY t_pol ON t USING (id > 1)"),
	TS("drop_policy", "CREATE POLICY t_pol ON t USING (id > 0);\n", "DROP POLICY t_pol ON t"),
	T("create_statistics", "CREATE STATISTICS t_stats (dependencies) ON m, n FROM t"),
	T("comment_on_table", "COMMENT ON TABLE t IS 'the main table'"),
	T("comment_on_column", "COMMENT ON COLUMN t.m IS 'a number'"),
	T("grant", "GRANT SELECT ON t TO " ROLE),
	TS("revoke", "GRANT SELECT ON t TO " ROLE ";\n", "REVOKE SELECT ON t FROM " ROLE),
	T_TXN_SINCE(12, "enum_add_value", "ALTER TYPE mood ADD VALUE 'meh'"),
	T_TXN_SINCE(12, "enum_add_value_before", "ALTER TYPE mood ADD VALUE 'awful' BEFORE 'sad'"),
	T("enum_rename_value", "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'"),
	T("alter_domain_add_check",
	  "ALTER DOMAIN any_int ADD CONSTRAINT any_int_positive CHECK (VALUE > 0)"),
	T("alter_domain_add_check_not_valid",
	  "ALTER DOMAIN any_int ADD CONSTRAINT any_int_positive CHECK (VALUE > 0) NOT VALID"),
	TS("alter_domain_validate",
	   "ALTER DOMAIN any_int ADD CONSTRAINT any_int_positive CHECK (VALUE > 0) NOT VALID;\n",
	   "ALTER DOMAIN any_int VALIDATE CONSTRAINT any_int_positive"),
	T("alter_domain_set_not_null", "ALTER DOMAIN any_int SET NOT NULL"),

	/* Statements that can't run in a transaction block */
	NT("create_index_concurrently", "t", "CREATE INDEX CONCURRENTLY t_n_cidx ON t (n)"),
	NT("create_index_concurrently_if_not_exists_known", "t",
	   "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_m_idx ON t (m)"),
	NT("create_unique_index_concurrently", "t",
	   "CREATE UNIQUE INDEX CONCURRENTLY t_txt_cuidx ON t (txt)"),
	NT("drop_index_concurrently", "t", "DROP INDEX CONCURRENTLY t_m_idx"),
	NT_SINCE(12, "reindex_table_concurrently", "t", "REINDEX TABLE CONCURRENTLY t"),
	/* through the parent, CONCURRENTLY too gathers the partitions under SHARE */
	NT_SINCE(14, "reindex_partitioned_concurrently", "meas_1", "REINDEX TABLE CONCURRENTLY meas"),
	NT_SINCE(12, "reindex_index_concurrently", "t", "REINDEX INDEX CONCURRENTLY t_m_idx"),
	NT("vacuum", "t", "VACUUM t"),
	NT("vacuum_analyze", "t", "VACUUM (ANALYZE) t"),
	NT("vacuum_full", "t", "VACUUM FULL t"),
	NT_SINCE(14, "detach_partition_concurrently", "meas",
	   "ALTER TABLE meas DETACH PARTITION meas_2 CONCURRENTLY"),
	NT("cluster_all", "", "CLUSTER"),
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static bool is_transactional(const struct proof_case *c)
{
	return c->hold == NULL || (c->txn_since && server_major >= c->txn_since);
}

/* ---- per-case results, shared with the worker processes ---- */

#define REPORT_SIZE 8192

struct case_result {
	int status; /* 0 ok, > 0 mismatches, -1 could not run, -2 never run, -3 skipped */
	size_t len;
	char text[REPORT_SIZE];
};

struct shared {
	atomic_size_t next; /* next case to take */
	struct case_result results[N_CASES];
};

static struct shared *shared;
static char tmpdir[64];
static char fixture_path[128];
static const char *pgstage = "./pgstage";

static void say(struct case_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct case_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->len >= REPORT_SIZE - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(r->text + r->len, REPORT_SIZE - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n < REPORT_SIZE - r->len ? (size_t)n : REPORT_SIZE - 1 - r->len;
}

/* ---- pgstage's prediction: the explain command line ---- */

struct predicted {
	char relation[160];
	enum pgs_lock lock;
	bool rewrite, reindex, scan, assumed, is_new;
	bool matched; /* set while comparing */
};

struct prediction {
	struct predicted *items;
	size_t n;
	bool forbidden; /* "transaction": "forbidden" */
};

/* Write a, then b and c when not NULL, to path. */
static int write_file(const char *path, const char *a, const char *b, const char *c)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(a, f);
	if (b)
		fputs(b, f);
	if (c)
		fputs(c, f);
	return fclose(f) == 0 ? 0 : -1;
}

static enum pgs_lock lock_from_name(const char *name)
{
	for (int l = PGS_LOCK_NONE; l <= PGS_LOCK_ACCESS_EXCLUSIVE; l++)
		if (strcmp(pgs_lock_name((enum pgs_lock)l), name) == 0)
			return (enum pgs_lock)l;
	return (enum pgs_lock)-1;
}

static int parse_effects(json_t *stmt, struct prediction *p, struct case_result *r)
{
	json_t *effects = json_object_get(stmt, "effects");
	const char *txn = json_string_value(json_object_get(stmt, "transaction"));
	size_t i;
	json_t *e;

	if (!json_is_array(effects) || !txn) {
		say(r, "explain JSON: statement without effects or transaction\n");
		return -1;
	}
	p->forbidden = strcmp(txn, "forbidden") == 0;
	p->n = json_array_size(effects);
	p->items = calloc(p->n ? p->n : 1, sizeof(*p->items));
	if (!p->items)
		return -1;
	json_array_foreach(effects, i, e)
	{
		struct predicted *it = &p->items[i];
		const char *rel = json_string_value(json_object_get(e, "relation"));
		const char *lock = json_string_value(json_object_get(e, "lock"));

		if (!rel || !lock || (int)lock_from_name(lock) < 0) {
			say(r, "explain JSON: effect without relation or with an unknown lock\n");
			return -1;
		}
		snprintf(it->relation, sizeof(it->relation), "%s", rel);
		it->lock = lock_from_name(lock);
		it->rewrite = json_is_true(json_object_get(e, "rewrite"));
		it->reindex = json_is_true(json_object_get(e, "reindex"));
		it->scan = json_is_true(json_object_get(e, "scan"));
		it->assumed = json_is_true(json_object_get(e, "assumed"));
		it->is_new = json_is_true(json_object_get(e, "new"));
	}
	return 0;
}

/* Run `pgstage explain --format json --context CONTEXT CASE` and keep the last statement. */
static int predict(const struct proof_case *c, size_t idx, struct prediction *p,
		   struct case_result *r)
{
	char ctx[160], file[160], cmd[600];
	const char *ctx_path = fixture_path;

	memset(p, 0, sizeof(*p));
	if (c->setup) {
		snprintf(ctx, sizeof(ctx), "%s/context_%03zu.sql", tmpdir, idx + 1);
		if (write_file(ctx, fixture_sql, c->setup, NULL) != 0) {
			say(r, "could not write %s\n", ctx);
			return -1;
		}
		ctx_path = ctx;
	}
	snprintf(file, sizeof(file), "%s/case_%03zu.sql", tmpdir, idx + 1);
	if (write_file(file, c->pre ? c->pre : "", c->pre ? ";\n" : "", c->sql) != 0) {
		say(r, "could not write %s\n", file);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "'%s' explain --format json --pg-version %d --context '%s' '%s'",
		 pgstage, server_major, ctx_path, file);
	FILE *pipe = popen(cmd, "r");
	if (!pipe) {
		say(r, "could not run %s\n", cmd);
		return -1;
	}
	json_error_t jerr;
	json_t *doc = json_loadf(pipe, 0, &jerr);
	int st = pclose(pipe);
	int rc = -1;
	if (!doc) {
		say(r, "%s: no JSON (%s), exit status %d\n", cmd, jerr.text, st);
		return -1;
	}
	json_t *stmts = json_object_get(doc, "statements");
	json_t *errors = json_object_get(doc, "errors");
	size_t n = json_array_size(stmts);
	if (st != 0 || json_array_size(errors) != 0 || n == 0) {
		char *dump = json_dumps(errors, JSON_COMPACT);
		say(r, "%s: exit status %d, %zu statements, errors %s\n", cmd, st, n,
		    dump ? dump : "?");
		free(dump);
		goto out;
	}
	json_t *last = json_array_get(stmts, n - 1);
	const char *sql = json_string_value(json_object_get(last, "sql"));
	if (json_object_get(last, "error") || !sql || strncmp(sql, c->sql, strlen(c->sql)) != 0) {
		say(r, "explain's last statement is not the case's: %s (%s)\n", sql ? sql : "?",
		    json_string_value(json_object_get(last, "error"))
			    ? json_string_value(json_object_get(last, "error"))
			    : "no parse error");
		goto out;
	}
	rc = parse_effects(last, p, r);
out:
	json_decref(doc);
	return rc;
}

/* ---- the server's record ---- */

/* Run through pgt_snapshot_take; a failure is said in the case's report. */
static int take_snapshot(PGconn *conn, struct pgs_snapshot *s, bool with_locks,
			 struct case_result *r)
{
	char err[512];

	if (pgt_snapshot_take(conn, s, with_locks ? PGS_SNAP_LOCKS : 0, err, sizeof(err)) == 0)
		return 0;
	say(r, "%s", err);
	return -1;
}

/* Tables, partitioned tables, views, materialized views, foreign tables. */
static bool compared_kind(char kind)
{
	return kind == 'r' || kind == 'p' || kind == 'v' || kind == 'm' || kind == 'f';
}

struct observation {
	struct pgs_snapshot before, after;
	/* non-transactional cases: the lock the statement waited for */
	unsigned blocked_oid;
	enum pgs_lock blocked_lock;
};

/* Whether an index of table oid kept its name and got a new relfilenode. */
static bool reindexed(const struct observation *o, unsigned oid)
{
	for (size_t i = 0; i < o->before.n; i++) {
		const struct pgs_snapshot_rel *b = &o->before.rels[i];
		if (b->table != oid || !b->filenode)
			continue;
		for (size_t k = 0; k < o->after.n; k++) {
			const struct pgs_snapshot_rel *a = &o->after.rels[k];
			if (a->table == oid && strcmp(a->relname, b->relname) == 0 &&
			    a->filenode != b->filenode)
				return true;
		}
	}
	return false;
}

struct changes {
	bool rewrite, reindex, scan;
};

/*
 * What happened to relation oid: rewrite, index rebuild, scan (scan only in
 * a transaction). A partitioned table, which has no storage, gets what
 * happened to any of its partitions.
 */
static void observed_changes(const struct observation *o, unsigned oid, bool txn,
			     struct changes *ch, int depth)
{
	const struct pgs_snapshot_rel *b = pgs_snapshot_by_oid(&o->before, oid);
	const struct pgs_snapshot_rel *a = pgs_snapshot_by_oid(&o->after, oid);
	const struct pgs_snapshot_rel *x = b ? b : a;

	memset(ch, 0, sizeof(*ch));
	if (!x)
		return;
	if (x->kind == 'p') {
		for (int pass = 0; pass < 2 && depth < 8; pass++) {
			const struct pgs_snapshot *s = pass == 0 ? &o->before : &o->after;
			for (size_t i = 0; i < s->n; i++) {
				struct changes part;
				if (s->rels[i].parent != oid ||
				    (pass == 1 && pgs_snapshot_by_oid(&o->before, s->rels[i].oid)))
					continue;
				observed_changes(o, s->rels[i].oid, txn, &part, depth + 1);
				ch->rewrite |= part.rewrite;
				ch->reindex |= part.reindex;
				ch->scan |= part.scan;
			}
		}
		return;
	}
	ch->rewrite = b && a && b->filenode && a->filenode != b->filenode;
	ch->reindex = b && a && reindexed(o, oid);
	ch->scan = txn && a && a->seq_scan > (b ? b->seq_scan : 0);
	/* index builds on a heap the statement made (a new table, or TRUNCATE's
	 * empty file) count as scans but read no rows */
	bool new_heap = !b || (a && b->filenode && a->filenode != b->filenode);
	if (ch->scan && new_heap && a->seq_tup_read == (b ? b->seq_tup_read : 0))
		ch->scan = false;
}

static void observation_free(struct observation *o)
{
	pgs_snapshot_free(&o->before);
	pgs_snapshot_free(&o->after);
}

/* One transaction, rolled back: pre, snapshot, the statement, snapshot. */
static int observe_in_transaction(PGconn *conn, const struct proof_case *c, struct observation *o,
				  struct case_result *r)
{
	PGresult *res;
	int rc = -1;

	if (pgt_exec(conn, "BEGIN") != 0)
		return -1;
	if (c->pre) {
		res = PQexec(conn, c->pre);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
			say(r, "pre statements failed: %s", PQerrorMessage(conn));
		else
			rc = 0;
		PQclear(res);
		if (rc != 0)
			goto rollback;
		rc = -1;
	}
	if (take_snapshot(conn, &o->before, true, r) != 0)
		goto rollback;
	res = PQexec(conn, c->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		say(r, "the server rejected the statement: %s", PQerrorMessage(conn));
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	rc = take_snapshot(conn, &o->after, true, r);
rollback:
	(void)pgt_exec(conn, "ROLLBACK");
	return rc;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Outside a transaction block: the server must refuse it inside one; then,
 * with a second session holding SHARE UPDATE EXCLUSIVE on c->hold, the lock
 * the statement waits for is read from pg_locks; then it must succeed.
 */
static int observe_outside_transaction(PGconn *conn, const char *dbname,
				       const struct proof_case *c, struct observation *o,
				       struct case_result *r)
{
	PGresult *res;
	PGconn *holder = NULL;
	int rc = -1;
	char sql[256];

	if (pgt_exec(conn, "BEGIN") != 0)
		return -1;
	res = PQexec(conn, c->sql);
	bool refused = PQresultStatus(res) == PGRES_FATAL_ERROR &&
		       strstr(PQerrorMessage(conn), "cannot run inside a transaction block");
	if (!refused)
		say(r, "inside BEGIN the server did not refuse it: %s\n",
		    PQresultStatus(res) == PGRES_FATAL_ERROR ? PQerrorMessage(conn) : "it ran");
	PQclear(res);
	(void)pgt_exec(conn, "ROLLBACK");
	if (!refused)
		return -1;

	if (take_snapshot(conn, &o->before, false, r) != 0)
		return -1;
	if (*c->hold) {
		if (!(holder = pgt_connect(dbname, APP_NAME)))
			return -1;
		snprintf(sql, sizeof(sql), "BEGIN; LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE",
			 c->hold);
		if (pgt_exec(holder, sql) != 0)
			goto out;
	}
	if (!PQsendQuery(conn, c->sql)) {
		say(r, "could not send the statement: %s", PQerrorMessage(conn));
		goto out;
	}
	if (holder) {
		char pid[16];
		const char *params[1] = {pid};
		double deadline = now_seconds() + 10;

		snprintf(pid, sizeof(pid), "%d", PQbackendPID(conn));
		while (!o->blocked_oid && now_seconds() < deadline) {
			res = PQexecParams(holder,
					   "SELECT relation, mode FROM pg_locks WHERE pid = $1::int"
					   " AND locktype = 'relation' AND NOT granted",
					   1, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) {
				o->blocked_oid = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
				o->blocked_lock = pgs_lock_from_pg(PQgetvalue(res, 0, 1));
			}
			PQclear(res);
			if (!o->blocked_oid)
				usleep(5000);
		}
		if (!o->blocked_oid)
			say(r, "the statement never waited for a lock on %s\n", c->hold);
		(void)pgt_exec(holder, "ROLLBACK");
	}
	bool ok = true;
	while ((res = PQgetResult(conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			say(r, "outside a transaction block the server rejected it: %s",
			    PQerrorMessage(conn));
			ok = false;
		}
		PQclear(res);
	}
	if (ok && (!holder || o->blocked_oid))
		rc = take_snapshot(conn, &o->after, false, r);
out:
	PQfinish(holder);
	return rc;
}

static int observe(PGconn *admin, const struct proof_case *c, size_t idx, struct observation *o,
		   struct case_result *r)
{
	char dbname[32];
	PGconn *conn;
	int rc = -1;

	snprintf(dbname, sizeof(dbname), "pgs_proof_%03zu", idx + 1);
	if (pgt_create_copy(admin, FIXTURE_DB, dbname) != 0) {
		say(r, "could not copy the fixture database\n");
		return -1;
	}
	if (!(conn = pgt_connect(dbname, APP_NAME)))
		goto drop;
	/* the fixture copy must not print notices into the report */
	(void)pgt_exec(conn, "SET client_min_messages = warning");
	if (c->setup && pgt_exec(conn, c->setup) != 0) {
		say(r, "the case's setup failed\n");
		goto finish;
	}
	rc = is_transactional(c) ? observe_in_transaction(conn, c, o, r)
				 : observe_outside_transaction(conn, dbname, c, o, r);
finish:
	PQfinish(conn);
drop:
	pgt_drop_db(admin, dbname);
	return rc;
}

/* ---- comparison ---- */

static int mismatch(struct case_result *r, const struct proof_case *c, const char *relation,
		    const char *field, const char *predicted, bool assumed, const char *observed)
{
	say(r, "MISMATCH [%s] %s\n    relation %s, %s: explain says %s%s, server did %s\n", c->name,
	    c->sql, relation, field, predicted, assumed ? " (assumed)" : "", observed);
	return 1;
}

static struct predicted *find_predicted(struct prediction *p, const char *a, const char *b)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->items[i].relation, a) == 0 || (b && strcmp(p->items[i].relation, b) == 0))
			return &p->items[i];
	return NULL;
}

/* A yes/no field: equal, or assumed and conservatively yes. */
static int compare_flag(struct case_result *r, const struct proof_case *c, const char *relation,
			const char *field, bool predicted, bool assumed, bool observed,
			const char *detail)
{
	char obs[128];

	if (predicted == observed || (assumed && predicted))
		return 0;
	snprintf(obs, sizeof(obs), "%s%s", pgt_yes_no(observed), detail ? detail : "");
	return mismatch(r, c, relation, field, pgt_yes_no(predicted), assumed, obs);
}

static int compare(const struct proof_case *c, struct prediction *p, const struct observation *o,
		   struct case_result *r)
{
	bool txn = is_transactional(c);
	int bad = 0;
	char buf[256];

	if (p->forbidden == txn)
		bad += mismatch(r, c, "-", "transaction", p->forbidden ? "forbidden" : "allowed",
				false,
				txn ? "run it inside a transaction block"
				    : "refuse it inside a transaction block");

	/* every table-like relation that existed before or after the statement */
	for (int pass = 0; pass < 2; pass++) {
		const struct pgs_snapshot *s = pass == 0 ? &o->before : &o->after;
		for (size_t i = 0; i < s->n; i++) {
			const struct pgs_snapshot_rel *x = &s->rels[i];
			if (pass == 1 && pgs_snapshot_by_oid(&o->before, x->oid))
				continue; /* seen in the first pass */
			if (!compared_kind(x->kind))
				continue;
			const struct pgs_snapshot_rel *b = pgs_snapshot_by_oid(&o->before, x->oid);
			const struct pgs_snapshot_rel *a = pgs_snapshot_by_oid(&o->after, x->oid);
			const char *name = b ? b->name : a->name;
			struct predicted *pr = find_predicted(p, name, a ? a->name : NULL);
			enum pgs_lock lock = PGS_LOCK_NONE;
			bool lock_known = txn;

			if (txn)
				lock = pgs_lock_strongest(pgs_snapshot_lock_mask(&o->after, x->oid) &
						     ~pgs_snapshot_lock_mask(&o->before, x->oid));
			else if (o->blocked_oid == x->oid) {
				lock = o->blocked_lock;
				lock_known = true;
			}
			struct changes ch;
			observed_changes(o, x->oid, txn, &ch, 0);
			bool rewrite = ch.rewrite, reindex = ch.reindex, scan = ch.scan;
			long long seq_before = b ? b->seq_scan : 0;
			/* a partitioned table has no storage: explain's yes is a summary of
			 * its partitions (each compared on its own); a no can't be observed */
			if (x->kind == 'p' && pr) {
				rewrite = rewrite && pr->rewrite;
				reindex = reindex && pr->reindex;
				scan = scan && pr->scan;
			} else if (x->kind == 'p') {
				/* unnamed: only a lock on the parent itself counts */
				rewrite = reindex = scan = false;
			}

			int bad_before = bad;
			if (pr)
				pr->matched = true;
			if (!pr) {
				if ((lock_known && lock > PGS_LOCK_ACCESS_SHARE) || rewrite || reindex ||
				    scan) {
					snprintf(buf, sizeof(buf),
						 "lock %s, rewrite %s, reindex %s, scan %s",
						 lock_known ? pgs_lock_name(lock) : "not observed",
						 pgt_yes_no(rewrite), pgt_yes_no(reindex),
						 txn ? pgt_yes_no(scan) : "not observed");
					bad += mismatch(r, c, name, "relation", "nothing", false, buf);
				}
				continue;
			}
			if (lock_known && pr->lock != lock && !(pr->assumed && pr->lock > lock))
				bad += mismatch(r, c, name, "lock", pgs_lock_name(pr->lock),
						pr->assumed, pgs_lock_name(lock));
			bad += compare_flag(r, c, name, "rewrite", pr->rewrite, pr->assumed, rewrite,
					    NULL);
			bad += compare_flag(r, c, name, "reindex", pr->reindex, pr->assumed, reindex,
					    NULL);
			if (txn) {
				snprintf(buf, sizeof(buf), " (seq_scan %lld -> %lld)", seq_before,
					 a ? a->seq_scan : seq_before);
				bad += compare_flag(r, c, name, "scan", pr->scan, pr->assumed, scan,
						    buf);
			}
			if (bad == bad_before)
				say(r, "    ok: %s lock %s, rewrite %s, reindex %s, scan %s%s\n", name,
				    lock_known ? pgs_lock_name(lock) : "(not observed)",
				    pgt_yes_no(rewrite), pgt_yes_no(reindex),
				    txn ? pgt_yes_no(scan) : "(not observed)",
				    pr->assumed ? " (explain: assumed)" : "");
		}
	}
	/* what explain names that is not a table-like relation of the server */
	for (size_t i = 0; i < p->n; i++) {
		const struct predicted *pr = &p->items[i];
		if (pr->matched)
			continue;
		const struct pgs_snapshot_rel *x = pgs_snapshot_by_name(&o->before, pr->relation);
		if (!x)
			x = pgs_snapshot_by_name(&o->after, pr->relation);
		if (x && !compared_kind(x->kind))
			continue; /* an index, sequence or TOAST table: not compared */
		bad += mismatch(r, c, pr->relation, "relation", "it is touched", pr->assumed,
				"nothing: no such relation");
	}
	if (!txn && o->blocked_oid) {
		const struct pgs_snapshot_rel *x = pgs_snapshot_by_oid(&o->before, o->blocked_oid);
		if (!x || !compared_kind(x->kind)) {
			snprintf(buf, sizeof(buf), "wait for %s on %s (oid %u)",
				 pgs_lock_name(o->blocked_lock), x ? x->name : "a relation",
				 o->blocked_oid);
			bad += mismatch(r, c, c->hold, "lock", "a lock on a table", false, buf);
		}
	}
	return bad;
}

static void run_case(PGconn *admin, size_t idx)
{
	const struct proof_case *c = &cases[idx];
	struct case_result *r = &shared->results[idx];
	struct prediction p;
	struct observation o;

	memset(&o, 0, sizeof(o));
	r->len = 0;
	r->text[0] = 0;
	if (predict(c, idx, &p, r) != 0 || observe(admin, c, idx, &o, r) != 0)
		r->status = -1;
	else
		r->status = compare(c, &p, &o, r);
	free(p.items);
	observation_free(&o);
}

/* A worker: its own admin connection; takes cases until none are left. */
static int worker(void)
{
	PGconn *admin = pgt_connect(NULL, APP_NAME);

	if (!admin)
		return 1;
	(void)pgt_exec(admin, "SET client_min_messages = warning");
	for (;;) {
		size_t idx = atomic_fetch_add(&shared->next, 1);
		if (idx >= N_CASES)
			break;
		if (shared->results[idx].status != -3)
			run_case(admin, idx);
	}
	PQfinish(admin);
	return 0;
}

static int run_all_cases(void)
{
	const char *env = getenv("PGS_PROOF_JOBS");
	long jobs = env ? strtol(env, NULL, 10) : 3;
	pid_t pids[16];
	int n = 0;

	if (jobs < 1)
		jobs = 1;
	if (jobs > 16)
		jobs = 16;
	fflush(NULL);
	for (long i = 0; i < jobs; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(worker());
		if (pid > 0)
			pids[n++] = pid;
	}
	int rc = n ? 0 : -1;
	for (int i = 0; i < n; i++) {
		int st;
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = -1;
	}
	return rc;
}

/* ---- cmocka ---- */

static void test_case(void **state)
{
	const struct proof_case *c = *state;
	const struct case_result *r = &shared->results[c - cases];

	fputs(r->text, stdout);
	fflush(stdout);
	if (r->status == -3)
		skip();
	if (r->status == -2)
		fail_msg("case %s was never run (a worker died?)", c->name);
	if (r->status < 0)
		fail_msg("case %s could not be run: %s", c->name, c->sql);
	if (r->status > 0)
		fail_msg("case %s: %d mismatch(es) between explain and PostgreSQL", c->name,
			 r->status);
}

static PGconn *admin_conn;

/* The fixture for the server's version: head, the generated column (12+), tail. */
static char *fixture_for(int major)
{
	const char *mid = major >= 12 ? fixture_generated : "";
	size_t n = strlen(fixture_head) + strlen(mid) + strlen(fixture_tail) + 1;
	char *sql = malloc(n);

	if (sql)
		snprintf(sql, n, "%s%s%s", fixture_head, mid, fixture_tail);
	return sql;
}

static int group_setup(void **state)
{
	(void)state;
	if (pgt_find_pgstage(&pgstage) != 0)
		return -1;
	if (!(admin_conn = pgt_connect(NULL, APP_NAME)))
		return -1;
	server_major = PQserverVersion(admin_conn) / 10000;
	printf("PostgreSQL %d: explain --pg-version %d\n", server_major, server_major);
	if (!(fixture_sql = fixture_for(server_major)))
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pgs-proof.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(fixture_path, sizeof(fixture_path), "%s/fixture.sql", tmpdir);
	if (write_file(fixture_path, fixture_sql, NULL, NULL) != 0)
		return -1;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (shared == MAP_FAILED) {
		shared = NULL;
		return -1;
	}
	atomic_init(&shared->next, 0);
	/* skipped (-3): not asked for, or syntax this server doesn't have */
	const char *only = getenv("PGS_PROOF_ONLY");
	for (size_t i = 0; i < N_CASES; i++)
		shared->results[i].status =
			(only && !strstr(cases[i].name, only)) || cases[i].since > server_major ? -3
												 : -2;

	if (pgt_exec(admin_conn, "SET client_min_messages = warning") != 0 ||
	    pgt_drop_database(admin_conn, FIXTURE_DB) != 0 ||
	    pgt_exec(admin_conn, "DROP TABLESPACE IF EXISTS " TABLESPACE) != 0 ||
	    pgt_exec(admin_conn, "DROP ROLE IF EXISTS " ROLE) != 0 ||
	    pgt_exec(admin_conn, "CREATE ROLE " ROLE) != 0 ||
	    /* a tablespace inside the data directory: no directory to prepare */
	    pgt_exec(admin_conn, "SET allow_in_place_tablespaces = on") != 0 ||
	    pgt_exec(admin_conn, "CREATE TABLESPACE " TABLESPACE " LOCATION ''") != 0 ||
	    pgt_exec(admin_conn, "CREATE DATABASE " FIXTURE_DB) != 0)
		return -1;
	PGconn *conn = pgt_connect(FIXTURE_DB, APP_NAME);
	if (!conn)
		return -1;
	int rc = pgt_exec(conn, fixture_sql);
	PQfinish(conn); /* a template must have no connections */
	if (rc != 0)
		return -1;
	double start = now_seconds();
	rc = run_all_cases();
	printf("%zu cases in %.1f s\n", N_CASES, now_seconds() - start);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	if (admin_conn) {
		pgt_drop_db(admin_conn, FIXTURE_DB);
		(void)pgt_exec(admin_conn, "DROP TABLESPACE IF EXISTS " TABLESPACE);
		(void)pgt_exec(admin_conn, "DROP ROLE IF EXISTS " ROLE);
		PQfinish(admin_conn);
		admin_conn = NULL;
	}
	if (*tmpdir) {
		char path[192];
		snprintf(path, sizeof(path), "%s/fixture.sql", tmpdir);
		(void)remove(path);
		for (size_t i = 0; i < N_CASES; i++) {
			snprintf(path, sizeof(path), "%s/case_%03zu.sql", tmpdir, i + 1);
			(void)remove(path);
			snprintf(path, sizeof(path), "%s/context_%03zu.sql", tmpdir, i + 1);
			(void)remove(path);
		}
		(void)rmdir(tmpdir);
	}
	if (shared)
		munmap(shared, sizeof(*shared));
	free(fixture_sql);
	return 0;
}

int main(void)
{
	static struct CMUnitTest tests[N_CASES];

	for (size_t i = 0; i < N_CASES; i++)
		tests[i] = (struct CMUnitTest){.name = cases[i].name,
					       .test_func = test_case,
					       .initial_state = (void *)&cases[i]};
	setvbuf(stdout, NULL, _IOLBF, 0);
	return _cmocka_run_group_tests("explain_proof", tests, N_CASES, group_setup,
				       group_teardown);
}
