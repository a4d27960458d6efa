/*
 * test_effects_pg: pgstage's effects (lock mode, rewrite, scan per table)
 * against what a real PostgreSQL server does.
 *
 * Method (as in /work/shared/reference/pg-lock-truth-table.md): a fixture
 * database is built once; every case runs on a fresh copy of it (CREATE
 * DATABASE ... TEMPLATE fixture). The case's setup statements (if any) are
 * committed first; then, in one transaction that is rolled back, we snapshot
 * the backend's relation locks, pg_relation_filenode and
 * pg_stat_xact_user_tables.seq_scan (which, inside the transaction, counts the
 * transaction's own scans), run the statement, and snapshot again. The
 * observed lock is the strongest mode newly held on the table, rewrite means
 * the filenode changed, scan means seq_scan went up.
 *
 * pgstage sees the same history: the fixture DDL and the case setup are
 * applied to a model as pre-existing schema (file_number 0), then the case
 * statement is parsed and pgs_effects_compute is asked about it.
 *
 * Every table pgstage predicts must match (a prediction marked `assumed` may
 * be conservatively stronger), and every table the server locked in a mode
 * stronger than ACCESS SHARE must be predicted. Indexes and sequences are
 * not compared yet. Each mismatch is printed on one line starting MISMATCH.
 *
 * Needs PGHOST etc. in the environment (tests/pg/with-cluster.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <pg_query.h>

#include "core/arena.h"
#include "core/effects.h"
#include "core/model.h"
#include "core/parse.h"
#include "tests/integration/pgtest.h"

#define FIXTURE_DB "pgs_fixture"

static int server_major; /* the server's major version: pgstage is asked about it */

/* The pre-existing schema: run on the server and fed to pgstage's model. */
static const char fixture_sql[] =
	"CREATE TABLE users (id bigint PRIMARY KEY, email text, name varchar(20),\n"
	"                    n int CHECK (n > 0));\n"
	"CREATE INDEX users_email_idx ON users (email);\n"
	"INSERT INTO users SELECT i, 'user' || i || '@example.com', 'name ' || i, i\n"
	"  FROM generate_series(1, 1000) AS i;\n"
	"CREATE TABLE parent (id int PRIMARY KEY);\n"
	"INSERT INTO parent SELECT generate_series(1, 100);\n"
	"CREATE TABLE child (id int, parent_id int);\n"
	"INSERT INTO child SELECT i, 1 + i % 100 FROM generate_series(1, 500) AS i;\n"
	"ANALYZE;\n";

struct effect_case {
	const char *label; /* the cmocka test name */
	const char *setup; /* committed before the case (NULL: none); also fed to the model */
	const char *sql;   /* one statement */
	int since; /* the first major version with the statement's syntax (0: all) */
};

static const struct effect_case cases[] = {
	{"create_index", NULL, "CREATE INDEX users_name_idx ON users (name)", 0},
	{"create_unique_index", NULL, "CREATE UNIQUE INDEX users_email_uidx ON users (email)", 0},
	{"add_column_nullable", NULL, "ALTER TABLE users ADD COLUMN c int", 0},
	{"add_column_default_const", NULL, "ALTER TABLE users ADD COLUMN c int DEFAULT 0", 0},
	{"add_column_default_now", NULL, "ALTER TABLE users ADD COLUMN c timestamptz DEFAULT now()",
	 15},
	{"add_column_default_gen_random_uuid", NULL,
	 "ALTER TABLE users ADD COLUMN c uuid DEFAULT gen_random_uuid()", 13},
	{"add_column_default_clock_timestamp", NULL,
	 "ALTER TABLE users ADD COLUMN c timestamptz DEFAULT clock_timestamp()", 0},
	{"add_column_serial", NULL, "ALTER TABLE users ADD COLUMN c serial", 0},
	{"add_column_identity", NULL,
	 "ALTER TABLE users ADD COLUMN c int GENERATED ALWAYS AS IDENTITY", 0},
	{"add_column_generated_stored", NULL,
	 "ALTER TABLE users ADD COLUMN c bigint GENERATED ALWAYS AS (id * 2) STORED", 12},
	{"add_column_check", NULL, "ALTER TABLE users ADD COLUMN c int CHECK (c > 0)", 0},
	{"add_column_references", NULL, "ALTER TABLE child ADD COLUMN p2 int REFERENCES parent (id)",
	 15},
	{"set_not_null", NULL, "ALTER TABLE users ALTER COLUMN email SET NOT NULL", 0},
	{"set_not_null_after_valid_check",
	 "ALTER TABLE users ADD CONSTRAINT users_n_not_null CHECK (n IS NOT NULL) NOT VALID;\n"
	 "ALTER TABLE users VALIDATE CONSTRAINT users_n_not_null;\n",
	 "ALTER TABLE users ALTER COLUMN n SET NOT NULL", 0},
	{"add_check", NULL, "ALTER TABLE users ADD CONSTRAINT users_n_small CHECK (n < 1000000)",
	 15},
	{"add_check_not_valid", NULL,
	 "ALTER TABLE users ADD CONSTRAINT users_n_small CHECK (n < 1000000) NOT VALID", 0},
	{"validate_check",
	 "ALTER TABLE users ADD CONSTRAINT users_n_small CHECK (n < 1000000) NOT VALID;\n",
	 "ALTER TABLE users VALIDATE CONSTRAINT users_n_small", 0},
	{"add_foreign_key", NULL,
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id)",
	 15},
	{"validate_foreign_key",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id) NOT VALID;\n",
	 "ALTER TABLE child VALIDATE CONSTRAINT child_parent_fk", 0},
	{"add_foreign_key_not_valid", NULL,
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id) NOT VALID",
	 15},
	{"add_unique", NULL, "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)", 0},
	{"set_statistics", NULL, "ALTER TABLE users ALTER COLUMN name SET STATISTICS 500", 0},
	{"set_fillfactor", NULL, "ALTER TABLE users SET (fillfactor = 70)", 0},
	{"set_autovacuum_enabled", NULL, "ALTER TABLE users SET (autovacuum_enabled = false)", 0},
	{"disable_trigger_all", NULL, "ALTER TABLE users DISABLE TRIGGER ALL", 0},
	{"enable_trigger_all", NULL, "ALTER TABLE users ENABLE TRIGGER ALL", 0},
	{"set_unlogged", NULL, "ALTER TABLE users SET UNLOGGED", 0},
	/* SET LOGGED on a table that is already logged is a no-op: start unlogged. */
	{"set_logged", "ALTER TABLE users SET UNLOGGED;\n", "ALTER TABLE users SET LOGGED", 0},
	{"drop_column", NULL, "ALTER TABLE users DROP COLUMN name", 0},
	{"rename_column", NULL, "ALTER TABLE users RENAME COLUMN name TO full_name", 0},
	{"set_default", NULL, "ALTER TABLE users ALTER COLUMN n SET DEFAULT 1", 0},
	{"drop_default", NULL, "ALTER TABLE users ALTER COLUMN n DROP DEFAULT", 0},
	/* the locking rules (M103..M124) */
	{"drop_index", NULL, "DROP INDEX users_email_idx", 0},
	{"reindex_index", NULL, "REINDEX INDEX users_email_idx", 0},
	{"reindex_table", NULL, "REINDEX TABLE users", 0},
	{"reindex_concurrently_false", NULL, "REINDEX (CONCURRENTLY false) TABLE users", 14},
	{"truncate", NULL, "TRUNCATE child", 0},
	{"truncate_indexed_table", NULL, "TRUNCATE users", 0},
	/* CASCADE goes on through the tables referencing the referencing ones */
	{"truncate_cascade",
	 "ALTER TABLE child ADD PRIMARY KEY (id);\n"
	 "ALTER TABLE child ADD FOREIGN KEY (parent_id) REFERENCES parent (id);\n"
	 "CREATE TABLE grandchild (id int, child_id int REFERENCES child (id));\n"
	 "INSERT INTO grandchild VALUES (1, 1);\n",
	 "TRUNCATE parent CASCADE", 0},
	{"truncate_referencing_table_only",
	 "ALTER TABLE child ADD FOREIGN KEY (parent_id) REFERENCES parent (id);\n",
	 "TRUNCATE child", 0},
	{"lock_table", NULL, "LOCK TABLE users", 0},
	{"lock_table_share", NULL, "LOCK TABLE users IN SHARE MODE", 0},
	{"lock_table_row_exclusive", NULL, "LOCK TABLE users IN ROW EXCLUSIVE MODE", 0},
	{"cluster", NULL, "CLUSTER users USING users_pkey", 0},
	{"add_primary_key", NULL, "ALTER TABLE child ADD PRIMARY KEY (id)", 0},
	{"add_primary_key_using_index_nullable", "CREATE UNIQUE INDEX child_id_uidx ON child (id);\n",
	 "ALTER TABLE child ADD CONSTRAINT child_pkey PRIMARY KEY USING INDEX child_id_uidx", 0},
	/* a validated CHECK (id IS NOT NULL) lets the implicit SET NOT NULL skip its scan */
	{"add_primary_key_using_index_not_null_check",
	 "CREATE UNIQUE INDEX child_id_uidx ON child (id);\n"
	 "ALTER TABLE child ADD CONSTRAINT child_id_nn CHECK (id IS NOT NULL) NOT VALID;\n"
	 "ALTER TABLE child VALIDATE CONSTRAINT child_id_nn;\n",
	 "ALTER TABLE child ADD CONSTRAINT child_pkey PRIMARY KEY USING INDEX child_id_uidx", 0},
	{"add_primary_key_using_index_not_null",
	 "CREATE UNIQUE INDEX child_id_uidx ON child (id);\n"
	 "ALTER TABLE child ALTER COLUMN id SET NOT NULL;\n",
	 "ALTER TABLE child ADD CONSTRAINT child_pkey PRIMARY KEY USING INDEX child_id_uidx", 0},
	{"add_unique_using_index", "CREATE UNIQUE INDEX users_name_uidx ON users (name);\n",
	 "ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE USING INDEX users_name_uidx", 0},
	/* on a partitioned table every partition is locked and gets its own index */
	{"add_unique_partitioned",
	 "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
	 "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO "
	 "('2025-01-01');\n"
	 "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO "
	 "('2026-01-01');\n"
	 "INSERT INTO events VALUES (1, '2024-05-01'), (2, '2025-05-01');\n"
	 "CREATE UNIQUE INDEX events_2024_id_at ON events_2024 (id, at);\n",
	 "ALTER TABLE events ADD CONSTRAINT events_id_at_key UNIQUE (id, at)", 0},
	{"create_index_partitioned",
	 "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
	 "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO "
	 "('2025-01-01');\n"
	 "INSERT INTO events VALUES (1, '2024-05-01');\n",
	 "CREATE INDEX events_at_idx ON events (at)", 0},
	{"create_index_on_only_partitioned",
	 "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
	 "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO "
	 "('2025-01-01');\n"
	 "INSERT INTO events VALUES (1, '2024-05-01');\n",
	 "CREATE INDEX events_at_idx ON ONLY events (at)", 0},
	{"add_exclusion", NULL,
	 "ALTER TABLE child ADD CONSTRAINT child_id_excl EXCLUDE USING btree (id WITH =)", 0},
	{"create_trigger",
	 "CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n",
	 "CREATE TRIGGER users_noop BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION noop()",
	 15},
	{"disable_trigger",
	 "CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
	 "CREATE TRIGGER users_noop BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION noop();\n",
	 "ALTER TABLE users DISABLE TRIGGER users_noop", 0},
	{"attach_partition",
	 "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
	 "CREATE TABLE events_2024 (id int, at date);\n"
	 "INSERT INTO events_2024 VALUES (1, '2024-05-01');\n",
	 "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO "
	 "('2025-01-01')",
	 15},
	{"attach_partition_with_default",
	 "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
	 "CREATE TABLE events_default PARTITION OF events DEFAULT;\n"
	 "INSERT INTO events VALUES (2, '2023-01-01');\n"
	 "CREATE TABLE events_2024 (id int, at date);\n"
	 "INSERT INTO events_2024 VALUES (1, '2024-05-01');\n",
	 "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO "
	 "('2025-01-01')",
	 15},
	{"detach_partition",
	 "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
	 "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO "
	 "('2025-01-01');\n",
	 "ALTER TABLE events DETACH PARTITION events_2024", 0},
	{"add_column_domain_with_check", "CREATE DOMAIN posint AS int CHECK (VALUE > 0);\n",
	 "ALTER TABLE users ADD COLUMN c posint", 0},
	{"add_column_domain_without_check", "CREATE DOMAIN anyint AS int;\n",
	 "ALTER TABLE users ADD COLUMN c anyint", 0},
	/* ALTER COLUMN TYPE (truth table rows 17-32) */
	{"alter_type_int_to_bigint", NULL, "ALTER TABLE users ALTER COLUMN n TYPE bigint", 0},
	{"alter_type_varchar_widen", NULL, "ALTER TABLE users ALTER COLUMN name TYPE varchar(40)",
	 15},
	{"alter_type_varchar_narrow", NULL, "ALTER TABLE users ALTER COLUMN name TYPE varchar(10)",
	 15},
	{"alter_type_varchar_to_text", NULL, "ALTER TABLE users ALTER COLUMN name TYPE text", 0},
	{"alter_type_text_to_varchar_limit", NULL,
	 "ALTER TABLE users ALTER COLUMN email TYPE varchar(100)", 0},
	{"alter_type_text_to_varchar", NULL, "ALTER TABLE users ALTER COLUMN email TYPE varchar",
	 15},
	/* a collation change rebuilds the indexes on the column: none, no scan */
	{"alter_type_collation_indexed", NULL,
	 "ALTER TABLE users ALTER COLUMN email TYPE text COLLATE \"C\"", 0},
	{"alter_type_collation_not_indexed", NULL,
	 "ALTER TABLE users ALTER COLUMN name TYPE varchar(20) COLLATE \"C\"", 0},
	/* row 32: the CHECK on n is re-validated even without a rewrite */
	{"alter_type_same_type_with_check", NULL, "ALTER TABLE users ALTER COLUMN n TYPE int4", 0},
	/* after a rename the CHECK and the index still use the column */
	{"alter_type_renamed_column_with_check", "ALTER TABLE users RENAME COLUMN n TO amount;\n",
	 "ALTER TABLE users ALTER COLUMN amount TYPE int4", 0},
	{"alter_type_collation_renamed_indexed_column",
	 "ALTER TABLE users RENAME COLUMN email TO mail;\n",
	 "ALTER TABLE users ALTER COLUMN mail TYPE text COLLATE \"C\"", 0},
	{"alter_type_using_same_values", NULL,
	 "ALTER TABLE users ALTER COLUMN name TYPE varchar(30) USING name::varchar(30)", 0},
	{"alter_type_using_new_values", NULL,
	 "ALTER TABLE users ALTER COLUMN email TYPE text USING lower(email)", 0},
	{"alter_type_timestamptz_utc",
	 "ALTER TABLE users ADD COLUMN seen timestamp DEFAULT '2020-01-01';\nSET TimeZone = 'UTC';\n",
	 "ALTER TABLE users ALTER COLUMN seen TYPE timestamptz", 0},
	{"alter_type_timestamptz_not_utc",
	 "ALTER TABLE users ADD COLUMN seen timestamp DEFAULT '2020-01-01';\n"
	 "SET TimeZone = 'Europe/Paris';\n",
	 "ALTER TABLE users ALTER COLUMN seen TYPE timestamptz", 0},
	{"alter_type_numeric_precision_raised",
	 "ALTER TABLE users ADD COLUMN price numeric(10,2) DEFAULT 1.5;\n",
	 "ALTER TABLE users ALTER COLUMN price TYPE numeric(12,2)", 0},
	{"alter_type_numeric_scale_changed",
	 "ALTER TABLE users ADD COLUMN price numeric(10,2) DEFAULT 1.5;\n",
	 "ALTER TABLE users ALTER COLUMN price TYPE numeric(12,4)", 0},
	{"alter_type_serial_to_integer", "ALTER TABLE child ADD COLUMN s serial;\n",
	 "ALTER TABLE child ALTER COLUMN s TYPE integer", 0},
	{"alter_type_to_constrained_domain", "CREATE DOMAIN posint AS int CHECK (VALUE > 0);\n",
	 "ALTER TABLE users ALTER COLUMN n TYPE posint", 0},
	/* foreign keys on the column are re-created: ACCESS EXCLUSIVE on the other
	 * table; re-validated (a scan there) only when values are converted */
	{"alter_type_fk_column_same_type",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id);\n",
	 "ALTER TABLE child ALTER COLUMN parent_id TYPE int4", 0},
	{"alter_type_fk_column_converted",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id);\n",
	 "ALTER TABLE child ALTER COLUMN parent_id TYPE bigint", 0},
	{"alter_type_referenced_column_converted",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent;\n",
	 "ALTER TABLE parent ALTER COLUMN id TYPE bigint", 0},
	{"alter_type_referenced_column_same_type",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id);\n",
	 "ALTER TABLE parent ALTER COLUMN id TYPE int4", 0},
	{"alter_type_unreferenced_column_of_referenced_table",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id);\nALTER TABLE parent ADD COLUMN label text;\n",
	 "ALTER TABLE parent ALTER COLUMN label TYPE varchar(5)", 0},
	/* drops: spill-over onto the tables at the other end of foreign keys */
	{"drop_column_in_foreign_key",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id);\n",
	 "ALTER TABLE child DROP COLUMN parent_id", 0},
	{"drop_table_with_foreign_key",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id);\n",
	 "DROP TABLE child", 0},
	{"drop_table_cascade_referenced",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id);\n",
	 "DROP TABLE parent CASCADE", 0},
	/* TRUNCATE ... CASCADE empties the referencing tables, transitively */
	{"truncate_cascade",
	 "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
	 "REFERENCES parent (id);\n"
	 "ALTER TABLE child ADD CONSTRAINT child_id_key UNIQUE (id);\n"
	 "CREATE TABLE toy (child_id int REFERENCES child (id));\n",
	 "TRUNCATE parent CASCADE", 0},
	{"truncate_without_cascade", NULL, "TRUNCATE child", 0},
	/* whole-table DML */
	{"update_without_where", NULL, "UPDATE users SET n = n + 1", 0},
	{"delete_without_where", NULL, "DELETE FROM child", 0},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* ---- libpq helpers ---- */

static PGconn *admin; /* to the maintenance database, for CREATE/DROP DATABASE */
static bool parsed_any; /* pg_query_exit crashes unless libpg_query was used */

static PGconn *connect_db(const char *dbname)
{
	return pgt_connect(dbname, "pgstage-test_effects_pg");
}

static int exec_ok(PGconn *conn, const char *sql)
{
	return pgt_exec(conn, sql);
}

static int create_copy(const char *dbname)
{
	return pgt_create_copy(admin, FIXTURE_DB, dbname);
}

static void drop_db(const char *dbname)
{
	pgt_drop_db(admin, dbname);
}

/* ---- server observations ---- */

#define MAX_RELS 64

struct rel_obs {
	char name[160]; /* "schema.name" */
	unsigned long long filenode_before, filenode_after;
	long long seq_before, seq_after;
	unsigned locks_before, locks_after; /* bit per enum pgs_lock held */
	bool in_before, in_after;
};

struct observed {
	struct rel_obs rels[MAX_RELS];
	size_t n;
};

static struct rel_obs *obs_rel(struct observed *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->rels[i].name, name) == 0)
			return &o->rels[i];
	if (o->n == MAX_RELS)
		return NULL;
	struct rel_obs *r = &o->rels[o->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

static const struct rel_obs *obs_find(const struct observed *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->rels[i].name, name) == 0)
			return &o->rels[i];
	return NULL;
}

/* User tables (plain and partitioned), outside the system schemas. */
#define USER_TABLE_FILTER                                                                          \
	"c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "      \
	"AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"

static const char snapshot_sql[] =
	"SELECT n.nspname || '.' || c.relname, coalesce(pg_relation_filenode(c.oid), 0),"
	"       coalesce(s.seq_scan, 0)"
	"  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	"  LEFT JOIN pg_stat_xact_user_tables s ON s.relid = c.oid"
	" WHERE " USER_TABLE_FILTER;

static const char locks_sql[] =
	"SELECT n.nspname || '.' || c.relname, l.mode"
	"  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
	"  JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted"
	"   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
	"   AND " USER_TABLE_FILTER;

static int snapshot(PGconn *conn, struct observed *o, bool after)
{
	PGresult *r = PQexec(conn, snapshot_sql);
	int rc = 0;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("snapshot failed: %s", PQerrorMessage(conn));
		rc = -1;
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		struct rel_obs *rel = obs_rel(o, PQgetvalue(r, i, 0));
		if (!rel) {
			printf("snapshot: more than %d tables\n", MAX_RELS);
			rc = -1;
			goto out;
		}
		unsigned long long fn = strtoull(PQgetvalue(r, i, 1), NULL, 10);
		long long seq = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		if (after) {
			rel->filenode_after = fn;
			rel->seq_after = seq;
			rel->in_after = true;
		} else {
			rel->filenode_before = fn;
			rel->seq_before = seq;
			rel->in_before = true;
		}
	}
	PQclear(r);
	r = PQexec(conn, locks_sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("pg_locks query failed: %s", PQerrorMessage(conn));
		rc = -1;
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		struct rel_obs *rel = obs_rel(o, PQgetvalue(r, i, 0));
		enum pgs_lock l = pgs_lock_from_pg(PQgetvalue(r, i, 1));
		if (!rel) {
			rc = -1;
			goto out;
		}
		if (l == PGS_LOCK_NONE)
			continue;
		if (after)
			rel->locks_after |= 1u << l;
		else
			rel->locks_before |= 1u << l;
	}
out:
	PQclear(r);
	return rc;
}

/* The relkind of a relation by "schema.name", or 0 when it doesn't exist. */
static char relkind_of(PGconn *conn, const char *relation)
{
	const char *params[1] = {relation};
	PGresult *r = PQexecParams(conn,
				   "SELECT c.relkind FROM pg_class c JOIN pg_namespace n"
				   " ON n.oid = c.relnamespace WHERE n.nspname || '.' || c.relname = $1",
				   1, NULL, params, NULL, NULL, 0);
	char kind = 0;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		kind = PQgetvalue(r, 0, 0)[0];
	PQclear(r);
	return kind;
}

/*
 * Run the case on a fresh copy of the fixture and record what the server
 * did. known[] gets the relkind of each predicted relation (looked up inside
 * the transaction, so relations the statement creates count too).
 */
static int observe(const struct effect_case *c, const char *dbname, struct observed *o,
		   const struct pgs_effects *fx, char *kinds)
{
	PGconn *conn;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	if (create_copy(dbname) != 0)
		return -1;
	if (!(conn = connect_db(dbname)))
		goto drop;
	if (c->setup && exec_ok(conn, c->setup) != 0)
		goto finish;
	if (exec_ok(conn, "BEGIN") != 0)
		goto finish;
	/* relations the statement drops (DROP INDEX) are only there before it */
	for (size_t i = 0; i < fx->n; i++)
		kinds[i] = relkind_of(conn, fx->items[i].relation);
	if (snapshot(conn, o, false) != 0 || exec_ok(conn, c->sql) != 0 ||
	    snapshot(conn, o, true) != 0)
		goto rollback;
	for (size_t i = 0; i < fx->n; i++) {
		char kind = relkind_of(conn, fx->items[i].relation);
		if (kind)
			kinds[i] = kind;
	}
	rc = 0;
rollback:
	(void)exec_ok(conn, "ROLLBACK");
finish:
	PQfinish(conn);
drop:
	drop_db(dbname);
	return rc;
}

/* ---- pgstage's prediction ---- */

struct prediction {
	struct pgs_arena arena;
	struct pgs_model model;
	struct pgs_parsed parsed;
	struct pgs_effects fx;
};

/* Apply every statement of sql to the model as pre-existing schema. */
static int feed_model(struct prediction *p, const char *sql, const char *what)
{
	struct pgs_parsed parsed = {0};

	parsed_any = true;
	pgs_parse(&parsed, &p->arena, sql, (uint32_t)strlen(sql));
	p->model.file_number = 0;
	for (size_t i = 0; i < parsed.n_stmts; i++) {
		if (!parsed.stmts[i].node) {
			printf("pgstage could not parse the %s: %s\n", what,
			       parsed.stmts[i].error ? parsed.stmts[i].error : "?");
			return -1;
		}
		pgs_model_apply(&p->model, parsed.stmts[i].node, 0);
	}
	return 0;
}

static int predict(struct prediction *p, const struct effect_case *c)
{
	pgs_arena_init(&p->arena);
	pgs_model_init(&p->model);
	memset(&p->parsed, 0, sizeof(p->parsed));
	memset(&p->fx, 0, sizeof(p->fx));
	if (feed_model(p, fixture_sql, "fixture") != 0)
		return -1;
	if (c->setup && feed_model(p, c->setup, "case setup") != 0)
		return -1;
	pgs_parse(&p->parsed, &p->arena, c->sql, (uint32_t)strlen(c->sql));
	if (p->parsed.n_stmts != 1 || !p->parsed.stmts[0].node) {
		printf("pgstage parsed %zu statements (want 1) from: %s\n", p->parsed.n_stmts,
		       c->sql);
		return -1;
	}
	p->model.file_number = 1;
	pgs_effects_compute(&p->fx, &p->arena, &p->model, p->parsed.stmts[0].node, server_major);
	return 0;
}

static void prediction_release(struct prediction *p)
{
	pgs_model_release(&p->model);
	pgs_arena_release(&p->arena);
}

/* ---- comparison ---- */

static void mismatch(const struct effect_case *c, const char *relation, const char *field,
		     const char *predicted, const char *observed, bool assumed)
{
	printf("MISMATCH [%s] %s\n    relation %s, %s: pgstage predicts %s%s, server did %s\n",
	       c->label, c->sql, relation, field, predicted, assumed ? " (assumed)" : "", observed);
}

/* Number of mismatches between the prediction and what the server did. */
static int compare(const struct effect_case *c, const struct pgs_effects *fx,
		   const struct observed *o, const char *kinds)
{
	int bad = 0;

	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		char kind = kinds[i];

		if (kind == 'i' || kind == 'I' || kind == 'S')
			continue; /* indexes and sequences: not compared yet */
		const struct rel_obs *r = obs_find(o, e->relation);
		/* a table the statement dropped is gone from the catalog at the
		 * second snapshot: its locks can't be read */
		if (r && r->in_before && !r->in_after)
			continue;
		if (!r || !r->in_before || !r->in_after) {
			mismatch(c, e->relation, "relation", "an existing table",
				 kind ? "something that is not a user table" : "no such relation",
				 e->assumed);
			bad++;
			continue;
		}
		enum pgs_lock got = pgs_lock_strongest(r->locks_after & ~r->locks_before);
		bool rewrote = r->filenode_before != r->filenode_after;
		bool scanned = r->seq_after > r->seq_before;

		/* TRUNCATE (a new file, nothing copied: rewrite without a pass over
		 * the data) rebuilds the indexes on the new, empty heap, and each
		 * build counts a seq_scan of those zero rows */
		if (e->rewrite && !e->scan && rewrote)
			scanned = false;

		if (e->lock != got && !(e->assumed && e->lock > got)) {
			mismatch(c, e->relation, "lock", pgs_lock_name(e->lock), pgs_lock_name(got),
				 e->assumed);
			bad++;
		}
		if (e->rewrite != rewrote && !(e->assumed && e->rewrite)) {
			mismatch(c, e->relation, "rewrite", pgt_yes_no(e->rewrite), pgt_yes_no(rewrote),
				 e->assumed);
			bad++;
		}
		/* TRUNCATE rebuilds the indexes of each table it empties, reading the
		 * new, empty heap, which seq_scan counts: scans are not compared */
		bool truncates = strncmp(c->sql, "TRUNCATE", 8) == 0;
		if (e->scan != scanned && !(e->assumed && e->scan) && !truncates) {
			char obs[64];
			snprintf(obs, sizeof(obs), "%s (seq_scan %lld -> %lld)", pgt_yes_no(scanned),
				 r->seq_before, r->seq_after);
			mismatch(c, e->relation, "scan", pgt_yes_no(e->scan), obs, e->assumed);
			bad++;
		}
	}
	/* Tables the server locked beyond ACCESS SHARE must all be predicted. */
	for (size_t i = 0; i < o->n; i++) {
		const struct rel_obs *r = &o->rels[i];
		enum pgs_lock got = pgs_lock_strongest(r->locks_after & ~r->locks_before);

		if (got > PGS_LOCK_ACCESS_SHARE && !pgs_effects_find(fx, r->name)) {
			char obs[96];
			snprintf(obs, sizeof(obs), "%s (rewrite %s, scan %s)", pgs_lock_name(got),
				 pgt_yes_no(r->filenode_before != r->filenode_after),
				 pgt_yes_no(r->seq_after > r->seq_before));
			mismatch(c, r->name, "lock", "nothing (relation missing)", obs, false);
			bad++;
		}
	}
	return bad;
}

static void test_effect_case(void **state)
{
	const struct effect_case *c = *state;
	size_t idx = (size_t)(c - cases);
	char dbname[32];
	struct prediction p;
	struct observed *o = calloc(1, sizeof(*o));
	char kinds[MAX_RELS] = {0};
	int bad = -1;

	assert_non_null(o);
	if (c->since > server_major) {
		free(o);
		skip(); /* syntax this server doesn't have */
	}
	snprintf(dbname, sizeof(dbname), "pgs_case_%02zu", idx + 1);
	if (predict(&p, c) == 0) {
		if (p.fx.n > MAX_RELS)
			printf("pgstage predicts too many relations (%zu)\n", p.fx.n);
		else if (observe(c, dbname, o, &p.fx, kinds) == 0)
			bad = compare(c, &p.fx, o, kinds);
	}
	if (bad == 0) {
		for (size_t i = 0; i < p.fx.n; i++)
			printf("    ok: %s lock %s, rewrite %s, scan %s%s\n", p.fx.items[i].relation,
			       pgs_lock_name(p.fx.items[i].lock), pgt_yes_no(p.fx.items[i].rewrite),
			       pgt_yes_no(p.fx.items[i].scan), p.fx.items[i].assumed ? " (assumed)" : "");
	}
	fflush(stdout);
	prediction_release(&p);
	free(o);
	if (bad < 0)
		fail_msg("case %s could not be run: %s", c->label, c->sql);
	if (bad > 0)
		fail_msg("case %s: %d mismatch(es) between pgstage and PostgreSQL", c->label, bad);
}

/* ---- CREATE INDEX CONCURRENTLY and transaction blocks ---- */

static bool failed_in_txn_block(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	bool ok = PQresultStatus(r) == PGRES_FATAL_ERROR &&
		  strstr(PQerrorMessage(conn), "cannot run inside a transaction block") != NULL;

	printf("    %s\n      -> %s: %s", sql, PQresStatus(PQresultStatus(r)),
	       PQresultStatus(r) == PGRES_FATAL_ERROR ? PQerrorMessage(conn) : "(no error)\n");
	PQclear(r);
	return ok;
}

/*
 * The claim behind concurrently-in-transaction: CIC fails in an explicit
 * block and in a multi-statement simple query (golang-migrate sends a whole
 * file that way), and works alone. pgstage must flag it as no_transaction.
 */
static void test_cic_transaction_block(void **state)
{
	(void)state;
	static const char cic[] = "CREATE INDEX CONCURRENTLY users_name_cic ON users (name)";
	static const char multi[] = "SELECT 1; CREATE INDEX CONCURRENTLY users_name_cic ON users (name)";
	const char *db = "pgs_case_cic";
	bool explicit_fails = false, multi_fails = false, alone_ok = false, valid = false;
	bool flagged = false;

	/* pgstage's side */
	struct pgs_arena arena;
	struct pgs_model model;
	struct pgs_parsed parsed = {0};
	struct pgs_effects fx;

	pgs_arena_init(&arena);
	pgs_model_init(&model);
	parsed_any = true;
	pgs_parse(&parsed, &arena, cic, (uint32_t)strlen(cic));
	if (parsed.n_stmts == 1 && parsed.stmts[0].node) {
		pgs_effects_compute(&fx, &arena, &model, parsed.stmts[0].node, server_major);
		flagged = fx.no_transaction;
	}
	pgs_model_release(&model);
	pgs_arena_release(&arena);

	/* the server's side */
	PGconn *conn = NULL;
	if (create_copy(db) == 0 && (conn = connect_db(db))) {
		if (exec_ok(conn, "BEGIN") == 0) {
			explicit_fails = failed_in_txn_block(conn, cic);
			(void)exec_ok(conn, "ROLLBACK");
		}
		multi_fails = failed_in_txn_block(conn, multi);

		PGresult *r = PQexec(conn, cic);
		alone_ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		printf("    %s\n      -> %s%s%s", cic, PQresStatus(PQresultStatus(r)),
		       alone_ok ? "" : ": ", alone_ok ? "\n" : PQerrorMessage(conn));
		PQclear(r);
		r = PQexec(conn, "SELECT indisvalid FROM pg_index WHERE indexrelid = "
				 "'users_name_cic'::regclass");
		valid = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
			strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		PQclear(r);
	}
	PQfinish(conn);
	drop_db(db);
	fflush(stdout);

	if (!flagged)
		printf("MISMATCH [cic] %s\n    pgstage: no_transaction = false, server: cannot "
		       "run inside a transaction block\n",
		       cic);
	assert_true(flagged);
	assert_true(explicit_fails);
	assert_true(multi_fails);
	assert_true(alone_ok);
	assert_true(valid);
}

/* ---- every statement that cannot run in a transaction block ---- */

struct no_txn_case {
	const char *label;
	const char *setup; /* committed first (NULL: none); also fed to the model */
	const char *sql;   /* "%s" is replaced by the case's database name */
	bool no_transaction; /* pgstage's claim, and what the server must do */
	int since;	     /* the first major version with the statement's syntax (0: all) */
};

static const struct no_txn_case no_txn_cases[] = {
	{"nt_create_index_concurrently", NULL,
	 "CREATE INDEX CONCURRENTLY users_name_cic ON users (name)", true, 0},
	{"nt_drop_index_concurrently", NULL, "DROP INDEX CONCURRENTLY users_email_idx", true, 0},
	{"nt_reindex_index_concurrently", NULL, "REINDEX INDEX CONCURRENTLY users_email_idx", true, 12},
	{"nt_reindex_table_concurrently", NULL, "REINDEX TABLE CONCURRENTLY users", true, 12},
	{"nt_reindex_schema", NULL, "REINDEX SCHEMA public", true, 0},
	{"nt_reindex_database", NULL, "REINDEX DATABASE %s", true, 0},
	{"nt_reindex_system", NULL, "REINDEX SYSTEM %s", true, 0},
	{"nt_detach_partition_concurrently",
	 "CREATE TABLE parts (id int) PARTITION BY RANGE (id);\n"
	 "CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (10);\n",
	 "ALTER TABLE parts DETACH PARTITION parts_1 CONCURRENTLY", true, 14},
	{"nt_reindex_partitioned_table",
	 "CREATE TABLE parts (id int) PARTITION BY RANGE (id);\n"
	 "CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (10);\n"
	 "CREATE INDEX parts_id_idx ON parts (id);\n",
	 "REINDEX TABLE parts", true, 14},
	{"nt_reindex_partitioned_index",
	 "CREATE TABLE parts (id int) PARTITION BY RANGE (id);\n"
	 "CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (10);\n"
	 "CREATE INDEX parts_id_idx ON parts (id);\n",
	 "REINDEX INDEX parts_id_idx", true, 14},
	{"nt_vacuum", NULL, "VACUUM users", true, 0},
	{"nt_vacuum_analyze", NULL, "VACUUM (ANALYZE) users", true, 0},
	{"nt_vacuum_full", NULL, "VACUUM FULL users", true, 0},
	{"nt_cluster_all", NULL, "CLUSTER", true, 0},
	{"nt_create_database", NULL, "CREATE DATABASE pgs_never_created", true, 0},
	{"nt_drop_database", NULL, "DROP DATABASE IF EXISTS pgs_never_created", true, 0},
	{"nt_alter_system", NULL, "ALTER SYSTEM RESET work_mem", true, 0},
	{"nt_create_tablespace", NULL,
	 "CREATE TABLESPACE pgs_never_created LOCATION '/nonexistent/pgstage'", true, 0},
	{"nt_drop_tablespace", NULL, "DROP TABLESPACE IF EXISTS pgs_never_created", true, 0},
	{"nt_alter_database_set_tablespace", NULL, "ALTER DATABASE %s SET TABLESPACE pg_default",
	 true, 0},
	/* and some that can: pgstage must not claim otherwise */
	{"nt_analyze", NULL, "ANALYZE users", false, 0},
	{"nt_reindex_table", NULL, "REINDEX TABLE users", false, 0},
	{"nt_cluster_table", "CLUSTER users USING users_pkey;\n", "CLUSTER users", false, 0},
	{"nt_detach_partition",
	 "CREATE TABLE parts (id int) PARTITION BY RANGE (id);\n"
	 "CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (10);\n",
	 "ALTER TABLE parts DETACH PARTITION parts_1", false, 0},
	{"nt_enum_add_value_pg12", "CREATE TYPE mood AS ENUM ('ok');\n",
	 "ALTER TYPE mood ADD VALUE 'great'", false, 12},
	{"nt_alter_database_set", NULL, "ALTER DATABASE %s SET work_mem = '8MB'", false, 0},
};

#define N_NO_TXN_CASES (sizeof(no_txn_cases) / sizeof(no_txn_cases[0]))

/* Whether sql fails with "cannot run inside a transaction block"; prints what happened. */
static bool rejected_in_block(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	bool rejected = PQresultStatus(r) == PGRES_FATAL_ERROR &&
			strstr(PQerrorMessage(conn), "cannot run inside a transaction block");

	printf("    %s\n      -> %s%s%s", sql, PQresStatus(PQresultStatus(r)),
	       PQresultStatus(r) == PGRES_FATAL_ERROR ? ": " : "\n",
	       PQresultStatus(r) == PGRES_FATAL_ERROR ? PQerrorMessage(conn) : "");
	PQclear(r);
	return rejected;
}

/*
 * The claim behind concurrently-in-transaction for every such statement: the
 * server rejects it in an explicit block and in a multi-statement simple
 * query (one implicit block, as golang-migrate sends a file) exactly when
 * pgstage's effects say no_transaction.
 */
static void test_no_txn_case(void **state)
{
	const struct no_txn_case *c = *state;
	char dbname[32], sql[256], multi[300];
	bool flagged = false, parsed_ok = false, block = false, implicit = false, ran = false;

	if (c->since > server_major)
		skip(); /* syntax this server doesn't have */
	snprintf(dbname, sizeof(dbname), "pgs_nt_%02zu", (size_t)(c - no_txn_cases) + 1);
	const char *hole = strstr(c->sql, "%s");
	if (hole)
		snprintf(sql, sizeof(sql), "%.*s%s%s", (int)(hole - c->sql), c->sql, dbname, hole + 2);
	else
		snprintf(sql, sizeof(sql), "%s", c->sql);
	snprintf(multi, sizeof(multi), "SELECT 1; %s", sql);

	/* pgstage's side */
	struct prediction p;
	pgs_arena_init(&p.arena);
	pgs_model_init(&p.model);
	memset(&p.parsed, 0, sizeof(p.parsed));
	if (feed_model(&p, fixture_sql, "fixture") == 0 &&
	    (!c->setup || feed_model(&p, c->setup, "case setup") == 0)) {
		pgs_parse(&p.parsed, &p.arena, sql, (uint32_t)strlen(sql));
		if (p.parsed.n_stmts == 1 && p.parsed.stmts[0].node) {
			pgs_effects_compute(&p.fx, &p.arena, &p.model, p.parsed.stmts[0].node, server_major);
			flagged = p.fx.no_transaction;
			parsed_ok = true;
		}
	}
	prediction_release(&p);

	/* the server's side */
	PGconn *conn = NULL;
	if (create_copy(dbname) == 0 && (conn = connect_db(dbname)) &&
	    (!c->setup || exec_ok(conn, c->setup) == 0) && exec_ok(conn, "BEGIN") == 0) {
		block = rejected_in_block(conn, sql);
		(void)exec_ok(conn, "ROLLBACK");
		/* a statement the block accepts is not run again outside one */
		implicit = c->no_transaction ? rejected_in_block(conn, multi) : false;
		ran = true;
	}
	PQfinish(conn);
	drop_db(dbname);
	fflush(stdout);

	if (!parsed_ok)
		fail_msg("pgstage could not parse: %s", sql);
	if (!ran)
		fail_msg("case %s could not be run", c->label);
	if (flagged != c->no_transaction)
		printf("MISMATCH [%s] %s\n    pgstage: no_transaction = %s, expected %s\n", c->label,
		       sql, pgt_yes_no(flagged), pgt_yes_no(c->no_transaction));
	if (block != c->no_transaction)
		printf("MISMATCH [%s] %s\n    server %s it in a transaction block\n", c->label, sql,
		       block ? "rejected" : "accepted");
	assert_true(flagged == c->no_transaction);
	assert_true(block == c->no_transaction);
	assert_true(implicit == c->no_transaction);
}

/* ---- group setup ---- */

static int group_setup(void **state)
{
	(void)state;
	if (!getenv("PGHOST")) {
		printf("PGHOST is not set: run under tests/pg/with-cluster.sh\n");
		return -1;
	}
	if (!(admin = connect_db(NULL)))
		return -1;
	server_major = PQserverVersion(admin) / 10000;
	printf("PostgreSQL %d: effects for version %d\n", server_major, server_major);
	/* no "database ... does not exist, skipping" notices for every case */
	if (exec_ok(admin, "SET client_min_messages = warning") != 0)
		return -1;
	if (pgt_drop_database(admin, FIXTURE_DB) != 0 ||
	    exec_ok(admin, "CREATE DATABASE " FIXTURE_DB) != 0)
		return -1;
	PGconn *conn = connect_db(FIXTURE_DB);
	if (!conn)
		return -1;
	int rc = exec_ok(conn, fixture_sql);
	PQfinish(conn); /* a template must have no connections */
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	if (admin) {
		drop_db(FIXTURE_DB);
		PQfinish(admin);
		admin = NULL;
	}
	if (parsed_any)
		pg_query_exit();
	return 0;
}

int main(void)
{
	struct CMUnitTest tests[N_CASES + 1 + N_NO_TXN_CASES];

	for (size_t i = 0; i < N_CASES; i++) {
		tests[i] = (struct CMUnitTest){.name = cases[i].label,
					       .test_func = test_effect_case,
					       .initial_state = (void *)&cases[i]};
	}
	tests[N_CASES] = (struct CMUnitTest){.name = "cic_transaction_block",
					     .test_func = test_cic_transaction_block};
	for (size_t i = 0; i < N_NO_TXN_CASES; i++)
		tests[N_CASES + 1 + i] = (struct CMUnitTest){.name = no_txn_cases[i].label,
							     .test_func = test_no_txn_case,
							     .initial_state = (void *)&no_txn_cases[i]};
	setvbuf(stdout, NULL, _IOLBF, 0);
	return _cmocka_run_group_tests("effects_pg", tests, N_CASES + 1 + N_NO_TXN_CASES,
				       group_setup, group_teardown);
}
