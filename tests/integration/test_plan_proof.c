/*
 * test_plan_proof: `pgstage plan` on a real server. For every planner
 * fixture fixtures/plan/<case>.sql (found by glob; context_*.sql are inputs)
 * it proves that the plan does what the migration does, and does it without
 * blocking writes on the tables that already existed.
 *
 * Per fixture:
 *
 * - The --context files of its `-- args:` line run as SQL (statement by
 *   statement, like psql) in a template database; three copies are made:
 *   ORIGINAL, PLAN and SCRIPT (copies start with the very same rows, even
 *   where the context has volatile defaults).
 * - ORIGINAL gets the migration as written, statement by statement. If it
 *   fails (say, on existing rows) the fixture fails: a fixture must be a
 *   migration that works.
 * - PLAN gets `pgstage plan --format json` stage by stage, the way the
 *   one-script output runs it: a transactional stage is BEGIN, SET LOCAL
 *   lock_timeout and statement_timeout, its steps, COMMIT; a
 *   non-transactional or backfill stage runs after SET lock_timeout = 0,
 *   each step alone outside a transaction block; at the Nth checkpoint stage
 *   the fixture's `-- checkpoint N: <SQL>` lines run (what the deployed
 *   application would do there).
 * - SCRIPT gets the one-script text output of `pgstage plan` through
 *   psql -v ON_ERROR_STOP=1, as is: it stops at each checkpoint, the
 *   checkpoint SQL runs, and psql runs it again with -v pgstage_phase=N+1.
 *
 * Equivalence: ORIGINAL and PLAN, and PLAN and SCRIPT, must end with the same
 * catalog: relations, columns as a set by name (type, NOT NULL, default,
 * identity, generated, collation), constraints with pg_get_constraintdef
 * and convalidated, indexes with pg_get_indexdef and indisvalid/indisready,
 * triggers, functions, views, sequences, enum labels. Differences are
 * printed as a diff. They must also end with the same rows: per table, the
 * sorted to_jsonb rows, where a column whose default calls a function that
 * is not immutable (gen_random_uuid(), clock_timestamp(), now(): values
 * differ between databases by nature) is compared by null-ness only. Such
 * columns are found in the default's node tree (pg_attrdef.adbin funcid and
 * opfuncid, plus SQLValueFunction such as CURRENT_TIMESTAMP): pg_depend
 * records no dependency on built-in (pinned) functions, so it can't find
 * gen_random_uuid(). And every row a table held before the migration must
 * still be there in ORIGINAL and PLAN (projected on the columns that exist
 * before and after), kept for that in temporary tables of a second session.
 *
 * Safety: every step of the plan is traced. Existing tables are those after
 * the context ran; a step that scans (pg_stat seq_scan up, which counts index
 * builds and validation scans too), rewrites (new relfilenode) or rebuilds
 * an index of (an index kept its oid and got a new relfilenode) an existing
 * table while its session holds SHARE or stronger on that table is a
 * violation, printed with the fixture, stage, step and evidence.
 *   Transactional stages: after each step the backend's own pg_locks (locks
 *   held so far in the transaction: they stay until COMMIT) and
 *   pg_stat_xact_user_tables (the backend's unflushed counts: their deltas
 *   are the step's scans). VALIDATE CONSTRAINT scanning under SHARE UPDATE
 *   EXCLUSIVE passes; the same scan after an earlier step of the same
 *   transaction took ACCESS EXCLUSIVE fails.
 *   Non-transactional and backfill steps: seq_scan deltas of
 *   pg_stat_user_tables after pg_stat_force_next_flush(). Their locks come
 *   and go in transactions of their own, so a second session watches them:
 *   before the step it holds ROW EXCLUSIVE on every existing table (what any
 *   writer holds), so a step asking for a lock that blocks writes must wait,
 *   visibly in pg_locks, however briefly it would hold it; the second session
 *   lets go as soon as the step waits for anything (CREATE INDEX CONCURRENTLY
 *   waits for its transaction to end) and then samples the step's granted
 *   locks until it ends. Not observable: a blocking lock taken after that
 *   first wait and held for less than a sampling round; a scan under it is
 *   then missed. A new relfilenode of an existing table or index is a
 *   violation whatever lock was seen (PostgreSQL gives an existing relation
 *   a new file only under SHARE or stronger: rewrite, TRUNCATE, REINDEX,
 *   CLUSTER, VACUUM FULL, SET TABLESPACE).
 * A fixture may declare `-- unsafe: <table>: <reason>` for a statement the
 * planner can't make safe and says so in a note (e.g. SET NOT NULL for
 * PostgreSQL 11): its violations on that table are then expected, and must
 * be seen (a declaration that no longer applies fails).
 *
 * Self-checks: known unsafe migrations go through the same tracer, which
 * must report them (a tracer that sees nothing can't pass): the ORIGINAL of
 * set_not_null (a scan under ACCESS EXCLUSIVE), of
 * add_column_volatile_default (a rewrite), of json run alone (CREATE INDEX
 * without CONCURRENTLY: a scan under SHARE), and a VALIDATE CONSTRAINT in
 * the transaction whose earlier step took ACCESS EXCLUSIVE.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh), PGSTAGE (./pgstage when
 * unset), the source tree as working directory, and psql ($PG_BINDIR/psql,
 * /usr/lib/postgresql/15/bin/psql or psql on PATH). PGS_PLAN_ONLY=TEXT runs
 * only the fixtures whose name contains TEXT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "core/effects.h"
#include "tests/integration/pgtest.h"
#include "tests/integration/planfix.h"

#define APP_NAME "pgstage-test_plan_proof"
#define DB_ORIGINAL "pgs_plan_original"
#define DB_PLAN "pgs_plan_staged"
#define DB_SCRIPT "pgs_plan_script"
#define FIXTURE_GLOB "fixtures/plan/*.sql"
#define MAX_FIXTURES 256
#define MAX_VIOLATIONS 64

static struct pgf_group group;
static int server_major; /* of the server the suite runs on */

/*
 * Make the backend's statistics visible in pg_stat_user_tables: the flush
 * happens when it goes idle after this query. Before PostgreSQL 15 there is
 * no such function: the statistics collector gets them within about half a
 * second, too late to tell one step's scans from the next one's, so on those
 * servers the scans of non-transactional steps are judged by their locks
 * only (a scan that blocks writes needs a lock the monitor sees).
 */
static int flush_stats(PGconn *conn)
{
	return server_major >= 15 ? pgt_exec(conn, "SELECT pg_stat_force_next_flush()") : 0;
}
static PGconn *admin;
static struct pgf_fixture fixtures[MAX_FIXTURES];
static size_t n_fixtures;

/* ---- a fixture's report ---- */

struct violation {
	char table[160];
	char what[16]; /* "scan", "rewrite", "reindex" */
};

struct report {
	const struct pgf_fixture *fx;
	bool self_check; /* every violation is expected: the tracer must see them */
	int problems;
	int steps, catalog_lines, tables, ddl_checked; /* what was checked, for the summary */
	struct violation violations[MAX_VIOLATIONS];
	int n_violations;
};

static void problem(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print one failure line (with the fixture) and count it. */
static void problem(struct report *r, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL [%s] ", r->fx->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	r->problems++;
}

static bool declared_unsafe(const struct pgf_fixture *fx, const struct pgs_snapshot_rel *table)
{
	for (int i = 0; i < fx->n_unsafe; i++)
		if (strcmp(fx->unsafe[i], table->name) == 0 ||
		    strcmp(fx->unsafe[i], table->relname) == 0)
			return true;
	return false;
}

/* ---- databases ---- */

/* Connect to dbname with notices off (the context's NOTICEs would clutter the report). */
static PGconn *connect_quiet(const char *dbname)
{
	PGconn *conn = pgt_connect(dbname, APP_NAME);

	if (conn && pgt_exec(conn, "SET client_min_messages = warning") != 0) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* The database where the fixture's --context files ran, in name[64]. */
static int build_context(struct report *r, char *name)
{
	if (pgf_context_db(admin, r->fx, NULL, name, 64) == 0)
		return 0;
	problem(r, "the context does not run");
	return -1;
}

/* The user tables (and materialized views) with storage, as oid and quoted name. */
struct table {
	unsigned oid;
	char name[256]; /* oid::regclass::text: quoted as needed */
};

struct tables {
	struct table *items;
	size_t n;
};

static int list_tables(PGconn *conn, struct tables *t)
{
	PGresult *res = PQexec(conn, "SELECT c.oid, c.oid::regclass::text FROM pg_class c"
				     "  JOIN pg_namespace n ON n.oid = c.relnamespace"
				     " WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN"
				     "       ('pg_catalog', 'information_schema')"
				     "   AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 2");

	memset(t, 0, sizeof(*t));
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		printf("listing tables failed: %s", PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}
	t->n = (size_t)PQntuples(res);
	t->items = calloc(t->n + 1, sizeof(*t->items));
	for (size_t i = 0; t->items && i < t->n; i++) {
		t->items[i].oid = (unsigned)strtoul(PQgetvalue(res, (int)i, 0), NULL, 10);
		snprintf(t->items[i].name, sizeof(t->items[i].name), "%s",
			 PQgetvalue(res, (int)i, 1));
	}
	PQclear(res);
	return t->items ? 0 : -1;
}

static bool has_table(const struct tables *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i].name, name) == 0)
			return true;
	return false;
}

/* ---- the catalog, as sorted lines ---- */

static void compare_catalogs(struct report *r, PGconn *a, PGconn *b, const char *what,
			     const char *label_a, const char *label_b)
{
	char *ca = pgf_catalog_lines(a), *cb = pgf_catalog_lines(b);

	if (!ca || !cb)
		problem(r, "%s: could not read a catalog", what);
	else if (strcmp(ca, cb) != 0) {
		problem(r, "%s: the catalogs differ:", what);
		pgf_print_diff(ca, cb, label_a, label_b);
	} else {
		r->catalog_lines = 1;
		for (const char *c = ca; *c; c++)
			r->catalog_lines += *c == '\n';
	}
	free(ca);
	free(cb);
}

/* ---- rows ---- */

/*
 * A table's rows as sorted to_jsonb texts, one a line; columns whose default
 * is not immutable become true/false (not null or null). $1 is the table.
 */
static const char rows_sql[] =
    "WITH vol AS (\n"
    "  SELECT a.attname::text AS name FROM pg_attrdef d JOIN pg_attribute a"
    "    ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
    "   WHERE d.adrelid = $1::regclass"
    "     AND (d.adbin::text LIKE '%%{SQLVALUEFUNCTION%%'"
    "          OR EXISTS (SELECT 1 FROM regexp_matches(d.adbin::text,"
    "                     ':(?:func|opfunc)id (\\d+)', 'g') AS m"
    "                     JOIN pg_proc p ON p.oid = m[1]::oid WHERE p.provolatile <> 'i')))\n"
    "SELECT coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '') FROM (\n"
    "  SELECT (SELECT coalesce(jsonb_object_agg(e.key, CASE WHEN e.key IN (SELECT name FROM vol)"
    "          THEN to_jsonb(e.value <> 'null'::jsonb) ELSE e.value END), '{}')"
    "          FROM jsonb_each(to_jsonb(t)) AS e) AS r FROM %s AS t) AS rows";

static char *table_rows(PGconn *conn, const char *table)
{
	char sql[sizeof(rows_sql) + 256];
	const char *params[1] = {table};
	char *out = NULL;

	snprintf(sql, sizeof(sql), rows_sql, table);
	PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		out = strdup(PQgetvalue(res, 0, 0));
	else
		printf("reading the rows of %s failed: %s", table, PQerrorMessage(conn));
	PQclear(res);
	return out;
}

/* Every table of b must hold the same rows in a (the catalogs are compared apart). */
static void compare_rows(struct report *r, PGconn *a, PGconn *b, const char *what,
			 const char *label_a, const char *label_b)
{
	struct tables t, in_a;

	if (list_tables(b, &t) != 0 || list_tables(a, &in_a) != 0) {
		problem(r, "%s: could not list the tables", what);
		return;
	}
	for (size_t i = 0; i < t.n; i++) {
		if (!has_table(&in_a, t.items[i].name))
			continue; /* the catalog comparison reports it */
		r->tables++;
		char *ra = table_rows(a, t.items[i].name), *rb = table_rows(b, t.items[i].name);
		if (!ra || !rb)
			problem(r, "%s: could not read the rows of %s", what, t.items[i].name);
		else if (strcmp(ra, rb) != 0) {
			problem(r, "%s: the rows of %s differ:", what, t.items[i].name);
			pgf_print_diff(ra, rb, label_a, label_b);
		}
		free(ra);
		free(rb);
	}
	free(t.items);
	free(in_a.items);
}

/* ---- rows before and after, in a second session's temporary tables ---- */

/* Copy each table's rows (to_jsonb) into the temporary table pgs_before_<i> of keeper. */
static int keep_rows(PGconn *keeper, const struct tables *t)
{
	char sql[512];

	for (size_t i = 0; i < t->n; i++) {
		snprintf(sql, sizeof(sql),
			 "CREATE TEMP TABLE pgs_before_%zu AS SELECT to_jsonb(t) AS j FROM %s AS t",
			 i, t->items[i].name);
		if (pgt_exec(keeper, sql) != 0)
			return -1;
		/* the column types: a column whose type changes has new values */
		snprintf(sql, sizeof(sql),
			 "CREATE TEMP TABLE pgs_before_types_%zu AS SELECT attname::text AS name,"
			 " format_type(atttypid, atttypmod) AS type FROM pg_attribute"
			 " WHERE attrelid = %u AND attnum > 0 AND NOT attisdropped",
			 i, t->items[i].oid);
		if (pgt_exec(keeper, sql) != 0)
			return -1;
	}
	/* flush its scans now, not in the middle of a traced step (the counts of
	 * pg_stat_user_tables are the whole database's) */
	return flush_stats(keeper);
}

/*
 * Rows of pgs_before_%zu missing from the table now (by oid $1, whatever
 * its name), both projected on the columns it has before and after with the
 * same type (a type change rewrites the values; ORIGINAL and PLAN are
 * compared on those apart).
 */
static const char survival_sql[] =
    "WITH k AS (SELECT array(SELECT a.attname::text FROM pg_attribute a"
    "             JOIN pgs_before_types_%zu AS bt ON bt.name = a.attname::text"
    "               AND bt.type = format_type(a.atttypid, a.atttypmod)"
    "             WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped)"
    "           AS keep),\n"
    " b AS (SELECT (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}')"
    "               FROM jsonb_each(j) AS e WHERE e.key = ANY (k.keep)) AS r"
    "         FROM pgs_before_%zu, k),\n"
    " a AS (SELECT (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}')"
    "               FROM jsonb_each(to_jsonb(t)) AS e WHERE e.key = ANY (k.keep)) AS r"
    "         FROM %s AS t, k),\n"
    " m AS (SELECT r FROM b EXCEPT ALL SELECT r FROM a)\n"
    "SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM a), (SELECT count(*) FROM m),"
    "       (SELECT string_agg(r::text, E'\\n    ') FROM (SELECT r FROM m ORDER BY r::text"
    "         LIMIT 3) AS x)";

/* The table's name now, or "" when it is gone. */
static void current_name(PGconn *conn, unsigned oid, char *name, size_t size)
{
	char param[16];
	const char *params[1] = {param};

	snprintf(param, sizeof(param), "%u", oid);
	PGresult *res =
	    PQexecParams(conn, "SELECT oid::regclass::text FROM pg_class WHERE oid = $1", 1, NULL,
			 params, NULL, NULL, 0);
	snprintf(name, size, "%s",
		 PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
		     ? PQgetvalue(res, 0, 0)
		     : "");
	PQclear(res);
}

/* Every row kept by keep_rows must still be in its table (unless the table was dropped). */
static void check_survival(struct report *r, PGconn *keeper, const struct tables *t, const char *db)
{
	char sql[sizeof(survival_sql) + 512], name[256], param[16];
	const char *params[1] = {param};

	for (size_t i = 0; i < t->n; i++) {
		current_name(keeper, t->items[i].oid, name, sizeof(name));
		if (!*name || pgf_changes_rows(r->fx, name))
			continue; /* dropped (the catalog comparison judges that), or changed by design */
		snprintf(sql, sizeof(sql), survival_sql, i, i, name);
		snprintf(param, sizeof(param), "%u", t->items[i].oid);
		PGresult *res = PQexecParams(keeper, sql, 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			problem(r, "%s: checking the rows of %s failed: %s", db, name,
				PQerrorMessage(keeper));
		else if (strcmp(PQgetvalue(res, 0, 2), "0") != 0)
			problem(r,
				"%s: %s rows of %s (of %s before, %s now) are gone, e.g.\n    %s",
				db, PQgetvalue(res, 0, 2), name, PQgetvalue(res, 0, 0),
				PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 3));
		PQclear(res);
	}
}

/* ---- the safety tracer ---- */

struct tracer {
	struct report *r;
	PGconn *conn;		      /* runs the steps */
	PGconn *monitor;	      /* samples pg_locks during non-transactional steps */
	struct pgs_snapshot existing; /* after the context: what "existing" means */
	const char *stage;	      /* "stage 2/6 (transactional)" */
	int step;		      /* from 1 within the stage */
};

static void violation(struct tracer *t, const char *sql, const struct pgs_snapshot_rel *table,
		      const char *what, const char *evidence)
{
	struct report *r = t->r;
	bool expected = r->self_check || declared_unsafe(r->fx, table);
	char line[400];

	printf("%s [%s] %s, step %d: %s\n    %s: %s\n",
	       r->self_check ? "VIOLATION (expected by the self-check)"
	       : expected    ? "VIOLATION (declared unsafe)"
			     : "FAIL VIOLATION",
	       r->fx->name, t->stage, t->step, pgf_one_line(sql, line, sizeof(line)), table->name,
	       evidence);
	if (!expected)
		r->problems++;
	if (r->n_violations < MAX_VIOLATIONS) {
		struct violation *v = &r->violations[r->n_violations++];
		snprintf(v->table, sizeof(v->table), "%s", table->name);
		snprintf(v->what, sizeof(v->what), "%s", what);
	}
}

/*
 * What happened to the existing table e between two snapshots: a scan, a
 * rewrite, an index with a new file. Evidence in buf; "" for nothing.
 */
static const char *changes(const struct tracer *t, const struct pgs_snapshot_rel *e,
			   const struct pgs_snapshot *before, const struct pgs_snapshot *after,
			   const char **what, char *buf, size_t size)
{
	const struct pgs_snapshot_rel *b = pgs_snapshot_by_oid(before, e->oid),
			     *a = pgs_snapshot_by_oid(after, e->oid);

	buf[0] = 0;
	if (!a || !b)
		return buf; /* dropped (or not seen): nothing left to block */
	if (a->filenode != b->filenode) {
		*what = "rewrite";
		snprintf(buf, size, "rewritten: relfilenode %llu -> %llu", b->filenode,
			 a->filenode);
		return buf;
	}
	for (size_t i = 0; i < t->existing.n; i++) {
		const struct pgs_snapshot_rel *x = &t->existing.rels[i];
		const struct pgs_snapshot_rel *ib = pgs_snapshot_by_oid(before, x->oid);
		const struct pgs_snapshot_rel *ia = pgs_snapshot_by_oid(after, x->oid);
		if (x->table == e->oid && ib && ia && ib->filenode != ia->filenode) {
			*what = "reindex";
			snprintf(buf, size, "index %s rebuilt: relfilenode %llu -> %llu", x->name,
				 ib->filenode, ia->filenode);
			return buf;
		}
	}
	if (a->seq_scan > b->seq_scan) {
		*what = "scan";
		snprintf(buf, size, "scanned: seq_scan +%lld (seq_tup_read +%lld)",
			 a->seq_scan - b->seq_scan, a->seq_tup_read - b->seq_tup_read);
	}
	return buf;
}

static bool is_existing_table(const struct pgs_snapshot_rel *x)
{
	return x->kind == 'r' || x->kind == 'm';
}

/* Judge one step: held(oid) is the strongest lock seen on that table during it. */
static void judge(struct tracer *t, const char *sql, const struct pgs_snapshot *before,
		  const struct pgs_snapshot *after, const unsigned *masks, bool in_transaction)
{
	char evidence[400], full[600];

	for (size_t i = 0; i < t->existing.n; i++) {
		const struct pgs_snapshot_rel *e = &t->existing.rels[i];
		const char *what = "";
		if (!is_existing_table(e) ||
		    !*changes(t, e, before, after, &what, evidence, sizeof(evidence)))
			continue;
		enum pgs_lock held = pgs_lock_strongest(masks[i]);
		bool new_file = strcmp(what, "scan") != 0;
		if (held < PGS_LOCK_SHARE && !(new_file && !in_transaction))
			continue;
		snprintf(full, sizeof(full), "%s while %s %s", evidence,
			 in_transaction ? "the transaction holds" : "the step takes (pg_locks)",
			 held ? pgs_lock_name(held) : "no lock (a new file needs SHARE or more)");
		violation(t, sql, e, what, full);
	}
}

/* In the open transaction: run sql with a snapshot (own locks, xact counters) around it. */
static int trace_in_transaction(struct tracer *t, const char *sql)
{
	struct pgs_snapshot before, after;
	char err[512] = "";
	int rc = -1;
	unsigned *masks = calloc(t->existing.n + 1, sizeof(*masks));

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	if (!masks || pgt_snapshot_take(t->conn, &before, PGS_SNAP_LOCKS, err, sizeof(err)) != 0)
		goto out;
	if (pgt_exec(t->conn, sql) != 0)
		goto out;
	if (pgt_snapshot_take(t->conn, &after, PGS_SNAP_LOCKS, err, sizeof(err)) != 0)
		goto out;
	for (size_t i = 0; i < t->existing.n; i++)
		masks[i] = pgs_snapshot_lock_mask(&after, t->existing.rels[i].oid);
	judge(t, sql, &before, &after, masks, true);
	rc = 0;
out:
	if (rc != 0 && err[0])
		printf("%s\n", err);
	pgs_snapshot_free(&before);
	pgs_snapshot_free(&after);
	free(masks);
	return rc;
}

/*
 * One sample of the relation locks pid holds or waits for, or-ed into masks
 * (indexed like t->existing). Returns whether pid waits for any lock.
 */
static bool sample_locks(struct tracer *t, const char *pid, unsigned *masks)
{
	const char *params[1] = {pid};
	PGresult *res =
	    PQexecParams(t->monitor,
			 "SELECT coalesce(relation, 0), mode, granted FROM pg_locks"
			 " WHERE pid = $1::int AND (locktype = 'relation' OR NOT granted)",
			 1, NULL, params, NULL, NULL, 0);
	bool waits = false;

	for (int k = 0; PQresultStatus(res) == PGRES_TUPLES_OK && k < PQntuples(res); k++) {
		unsigned oid = (unsigned)strtoul(PQgetvalue(res, k, 0), NULL, 10);
		enum pgs_lock l = pgs_lock_from_pg(PQgetvalue(res, k, 1));
		waits |= strcmp(PQgetvalue(res, k, 2), "f") == 0;
		for (size_t i = 0; i < t->existing.n; i++)
			if (t->existing.rels[i].oid == oid && l != PGS_LOCK_NONE)
				masks[i] |= 1u << l;
	}
	PQclear(res);
	return waits;
}

/*
 * The monitor opens a transaction holding ROW EXCLUSIVE (what any writer
 * holds) on every existing table: a step that asks for a lock blocking
 * writes must wait for it, in pg_locks, however briefly it would hold it.
 * Returns whether the monitor now holds the locks.
 */
static bool hold_like_a_writer(struct tracer *t)
{
	size_t size = 512 + t->existing.n * 12, len;
	char *sql = malloc(size);
	int n = 0;

	if (!sql)
		return false;
	len = (size_t)snprintf(sql, size,
			       "BEGIN; DO $$ DECLARE r regclass; BEGIN"
			       " FOR r IN SELECT oid FROM pg_class WHERE oid = ANY ('{");
	for (size_t i = 0; i < t->existing.n; i++)
		if (t->existing.rels[i].kind == 'r')
			len += (size_t)snprintf(sql + len, size - len, "%s%u", n++ ? "," : "",
						t->existing.rels[i].oid);
	snprintf(sql + len, size - len,
		 "}') LOOP EXECUTE format('LOCK TABLE %%s IN ROW EXCLUSIVE MODE', r);"
		 " END LOOP; END $$");
	bool held = n > 0 && pgt_exec(t->monitor, sql) == 0;
	if (n > 0 && !held)
		(void)pgt_exec(t->monitor, "ROLLBACK");
	free(sql);
	return held;
}

/* Flushed statistics of this backend: its seq_scan counts show in pg_stat_user_tables. */
static int flushed_snapshot(PGconn *conn, struct pgs_snapshot *s)
{
	char err[512];

	if (flush_stats(conn) != 0)
		return -1;
	if (pgt_snapshot_take(conn, s, PGS_SNAP_FLUSHED, err, sizeof(err)) != 0) {
		printf("%s\n", err);
		return -1;
	}
	return 0;
}

/* Outside a transaction block: run sql while the monitor samples its locks. */
static int trace_alone(struct tracer *t, const char *sql)
{
	struct pgs_snapshot before, after;
	unsigned *masks = calloc(t->existing.n + 1, sizeof(*masks));
	char pid[16];
	int rc = -1;
	PGresult *res;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	if (!masks || flushed_snapshot(t->conn, &before) != 0)
		goto out;
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(t->conn));
	/* held until the step waits for anything (a blocking lock, or CREATE
	 * INDEX CONCURRENTLY waiting for the monitor's transaction to end) */
	bool holding = hold_like_a_writer(t);
	if (!PQsendQuery(t->conn, sql)) {
		printf("could not send: %s", PQerrorMessage(t->conn));
		if (holding)
			(void)pgt_exec(t->monitor, "ROLLBACK");
		goto out;
	}
	do {
		if (sample_locks(t, pid, masks) && holding) {
			(void)pgt_exec(t->monitor, "ROLLBACK");
			holding = false;
		}
		if (!PQconsumeInput(t->conn))
			break;
	} while (PQisBusy(t->conn));
	if (holding)
		(void)pgt_exec(t->monitor, "ROLLBACK");
	rc = 0;
	while ((res = PQgetResult(t->conn))) {
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			printf("SQL failed: %s\n  error: %s", sql, PQerrorMessage(t->conn));
			rc = -1;
		}
		PQclear(res);
	}
	if (rc == 0 && (rc = flushed_snapshot(t->conn, &after)) == 0)
		judge(t, sql, &before, &after, masks, false);
out:
	pgs_snapshot_free(&before);
	pgs_snapshot_free(&after);
	free(masks);
	return rc;
}

/* SET [LOCAL] lock_timeout and statement_timeout to a stage's values, quoted by the server. */
static int set_timeouts(PGconn *conn, const char *lock_timeout, const char *statement_timeout,
			bool local)
{
	const char *values[2] = {lock_timeout, statement_timeout};
	PGresult *res = PQexecParams(
	    conn,
	    "SELECT set_config('lock_timeout', $1, $3::bool), "
	    "set_config('statement_timeout', $2, $3::bool)",
	    3, NULL, (const char *const[]){values[0], values[1], local ? "t" : "f"}, NULL, NULL, 0);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;

	if (rc)
		printf("setting the stage's timeouts failed: %s", PQerrorMessage(conn));
	PQclear(res);
	return rc;
}

/* One transactional stage: BEGIN, the stage's timeouts, each step traced, COMMIT. */
static int trace_transaction(struct tracer *t, char *const *steps, size_t n,
			     const char *lock_timeout, const char *statement_timeout)
{
	char line[400];

	if (pgt_exec(t->conn, "BEGIN") != 0)
		return -1;
	if (set_timeouts(t->conn, lock_timeout, statement_timeout, true) != 0)
		goto fail;
	for (size_t k = 0; k < n; k++) {
		t->step = (int)k + 1;
		t->r->steps++;
		if (trace_in_transaction(t, steps[k]) != 0) {
			problem(t->r, "%s, step %d failed: %s", t->stage, t->step,
				pgf_one_line(steps[k], line, sizeof(line)));
			goto fail;
		}
	}
	if (pgt_exec(t->conn, "COMMIT") == 0)
		return 0;
	problem(t->r, "%s: COMMIT failed", t->stage);
fail:
	(void)pgt_exec(t->conn, "ROLLBACK");
	return -1;
}

/* Run the rows of query as statements, like psql's \gexec. */
static int gexec(PGconn *conn, const char *query)
{
	PGresult *res = PQexec(conn, query);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;

	if (rc)
		printf("%s: %s", query, PQerrorMessage(conn));
	for (int i = 0; rc == 0 && i < PQntuples(res); i++)
		rc = pgt_exec(conn, PQgetvalue(res, i, 0));
	PQclear(res);
	return rc;
}

/* Steps that run alone, as the script runs them: the stage's timeouts, its cleanup,
 * each step traced, its verification (stage NULL: none of them, no timeouts). */
static int trace_alone_steps(struct tracer *t, char *const *steps, size_t n, json_t *stage)
{
	const char *cleanup = json_string_value(json_object_get(stage, "cleanup"));
	const char *verify = json_string_value(json_object_get(stage, "verify"));
	char line[400];

	const char *lt = json_string_value(json_object_get(stage, "lock_timeout"));
	const char *st = json_string_value(json_object_get(stage, "statement_timeout"));

	if (set_timeouts(t->conn, lt ? lt : "0", st ? st : "0", false) != 0)
		return -1;
	if (cleanup && gexec(t->conn, cleanup) != 0) {
		problem(t->r, "%s: its cleanup fails", t->stage);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		t->step = (int)k + 1;
		t->r->steps++;
		if (trace_alone(t, steps[k]) != 0) {
			problem(t->r, "%s, step %d failed: %s", t->stage, t->step,
				pgf_one_line(steps[k], line, sizeof(line)));
			return -1;
		}
	}
	if (verify && pgt_exec(t->conn, verify) != 0) {
		problem(t->r, "%s: its verification fails", t->stage);
		return -1;
	}
	return 0;
}

/* Set t up on dbname: the existing relations and two sessions. */
static int tracer_open(struct tracer *t, struct report *r, const char *dbname)
{
	char err[512];

	memset(t, 0, sizeof(*t));
	t->r = r;
	if (!(t->conn = connect_quiet(dbname)) || !(t->monitor = connect_quiet(dbname)))
		return -1;
	if (pgt_snapshot_take(t->conn, &t->existing, 0, err, sizeof(err)) != 0) {
		printf("%s\n", err);
		return -1;
	}
	return 0;
}

static void tracer_close(struct tracer *t)
{
	pgs_snapshot_free(&t->existing);
	PQfinish(t->conn);
	PQfinish(t->monitor);
	t->conn = t->monitor = NULL;
}

/* ---- running the plan ---- */

/* The steps' SQL of a JSON stage, as a malloc-ed array (the strings belong to the JSON). */
static char **stage_steps(json_t *stage, size_t *n)
{
	json_t *steps = json_object_get(stage, "steps");
	char **out = calloc(json_array_size(steps) + 1, sizeof(*out));

	*n = 0;
	for (size_t k = 0; out && k < json_array_size(steps); k++) {
		const char *sql =
		    json_string_value(json_object_get(json_array_get(steps, k), "sql"));
		if (sql)
			out[(*n)++] = (char *)(uintptr_t)sql;
	}
	return out;
}

/* The fixture's SQL for the Nth checkpoint, run on conn. */
static int run_checkpoint(struct report *r, PGconn *conn, int n, const char *db)
{
	for (int i = 0; i < r->fx->n_checkpoints; i++) {
		if (r->fx->checkpoints[i].n != n)
			continue;
		if (pgt_exec_script(conn, r->fx->checkpoints[i].sql) != 0) {
			problem(r, "%s: the SQL of checkpoint %d fails", db, n);
			return -1;
		}
	}
	return 0;
}

/* Run every stage of the JSON plan on t's database, traced. */
static int run_plan(struct tracer *t, json_t *plan)
{
	json_t *stages = json_object_get(plan, "stages");
	size_t n_stages = json_array_size(stages);
	char where[96];
	int checkpoint = 0, rc = 0;

	for (size_t i = 0; rc == 0 && i < n_stages; i++) {
		json_t *stage = json_array_get(stages, i);
		const char *kind = json_string_value(json_object_get(stage, "kind"));
		size_t n;
		char **steps = stage_steps(stage, &n);

		snprintf(where, sizeof(where), "stage %zu/%zu (%s)", i + 1, n_stages,
			 kind ? kind : "?");
		t->stage = where;
		if (!steps || !kind)
			rc = -1;
		else if (strcmp(kind, "transactional") == 0)
			rc = trace_transaction(
			    t, steps, n, json_string_value(json_object_get(stage, "lock_timeout")),
			    json_string_value(json_object_get(stage, "statement_timeout")));
		else if (strcmp(kind, "non-transactional") == 0 || strcmp(kind, "backfill") == 0)
			rc = trace_alone_steps(t, steps, n, stage);
		else if (strcmp(kind, "checkpoint") == 0)
			rc = run_checkpoint(t->r, t->conn, ++checkpoint, "PLAN");
		else
			problem(t->r, "%s: unknown stage kind", where), rc = -1;
		free(steps);
	}
	for (int i = 0; i < t->r->fx->n_checkpoints; i++)
		if (t->r->fx->checkpoints[i].n < 1 || t->r->fx->checkpoints[i].n > checkpoint)
			problem(t->r, "`-- checkpoint %d:` but the plan has %d checkpoint stage(s)",
				t->r->fx->checkpoints[i].n, checkpoint);
	return rc;
}

/* The migration as written, statement by statement; failing is the fixture's failure. */
static int run_original(struct report *r, PGconn *conn)
{
	char what[400];
	size_t failed = pgf_run_original(conn, r->fx, what, sizeof(what));

	if (failed)
		problem(r, "the ORIGINAL migration fails at statement %zu: %s", failed, what);
	return failed ? -1 : 0;
}

/*
 * psql -v pgstage_phase=phase -f file on dbname, as a user runs it (the
 * script sets ON_ERROR_STOP itself), with session defaults for the timeouts
 * that no stage may rely on; its output is printed when it fails. *out gets
 * the output when out is not NULL (the caller frees it).
 */
static int run_psql(struct report *r, const char *file, const char *dbname, int phase, char **out)
{
	char cmd[1024], *text = NULL;

	snprintf(cmd, sizeof(cmd),
		 "PGOPTIONS='-c lock_timeout=17s -c statement_timeout=19min' '%s' -X -q -v "
		 "pgstage_phase=%d -d %s -f '%s' 2>&1",
		 group.psql, phase, dbname, file);
	int st = pgf_run_capture(cmd, &text);
	if (st != 0)
		problem(r, "SCRIPT: psql exits with %d on %s (phase %d):\n%s", st, file, phase,
			text ? text : "");
	if (out)
		*out = text;
	else
		free(text);
	return st == 0 ? 0 : -1;
}

/* ---- the script's own timeouts, as the server saw them ---- */

/*
 * An event trigger in SCRIPT reports, for every DDL command, the
 * lock_timeout and statement_timeout in force, as a NOTICE psql prints
 * (writing a row instead would break DROP INDEX CONCURRENTLY, which must
 * come first in its transaction): each must be its stage's.
 */
#define DDL_NOTICE "NOTICE:  pgstage-ddl "

static const char ddl_log_install[] =
    "CREATE SCHEMA pgstage_test;\n"
    "CREATE FUNCTION pgstage_test.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  RAISE NOTICE 'pgstage-ddl %', json_build_object('query', current_query(),\n"
    "    'lock_timeout', current_setting('lock_timeout'),\n"
    "    'statement_timeout', current_setting('statement_timeout'));\n"
    "END $$;\n"
    "CREATE EVENT TRIGGER pgstage_test_log ON ddl_command_start\n"
    "  EXECUTE FUNCTION pgstage_test.log_ddl();\n";

static const char ddl_log_remove[] = "DROP EVENT TRIGGER pgstage_test_log;\n"
				     "DROP SCHEMA pgstage_test CASCADE;\n";

/* sql without leading blanks and comment lines, trailing blanks and ';', in buf. */
static const char *bare_sql(const char *sql, char *buf, size_t size)
{
	for (;;) {
		while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r')
			sql++;
		if (sql[0] != '-' || sql[1] != '-')
			break;
		sql += strcspn(sql, "\n");
	}
	snprintf(buf, size, "%s", sql);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == ';' || buf[n - 1] == ' ' || buf[n - 1] == '\n' ||
		     buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}

/* The first stage from *from on that holds a step whose SQL is query (bare), or -1. */
static long stage_of(json_t *stages, size_t from, const char *query)
{
	static char a[65536], b[65536];

	bare_sql(query, a, sizeof(a));
	for (size_t i = from; i < json_array_size(stages); i++) {
		json_t *steps = json_object_get(json_array_get(stages, i), "steps");
		for (size_t k = 0; k < json_array_size(steps); k++) {
			const char *sql =
			    json_string_value(json_object_get(json_array_get(steps, k), "sql"));
			if (sql && strcmp(bare_sql(sql, b, sizeof(b)), a) == 0)
				return (long)i;
		}
	}
	return -1;
}

/* Every DDL command psql ran (reported in its output) ran under the timeouts of its stage. */
static void check_ddl_log(struct report *r, const char *output, json_t *plan)
{
	json_t *stages = json_object_get(plan, "stages");
	size_t from = 0;
	char line[400];

	for (const char *p = output; p && (p = strstr(p, DDL_NOTICE)); p++) {
		const char *start = p + strlen(DDL_NOTICE);
		json_error_t jerr;
		json_t *o = json_loadb(start, strcspn(start, "\n"), 0, &jerr);
		const char *query = json_string_value(json_object_get(o, "query"));
		const char *seen_lt = json_string_value(json_object_get(o, "lock_timeout"));
		const char *seen_st = json_string_value(json_object_get(o, "statement_timeout"));
		long k = query ? stage_of(stages, from, query) : -1;
		if (query && strstr(query, "CREATE TABLE IF NOT EXISTS pgstage_progress")) {
			json_decref(o); /* the script's own record, made before any stage */
			continue;
		}
		if (!query || !seen_lt || !seen_st)
			problem(r, "SCRIPT: an unreadable DDL report: %.200s", start);
		else if (k < 0)
			problem(r, "SCRIPT: psql ran DDL that no stage holds (in order): %s",
				pgf_one_line(query, line, sizeof(line)));
		if (!query || !seen_lt || !seen_st || k < 0) {
			json_decref(o);
			continue;
		}
		json_t *st = json_array_get(stages, (size_t)k);
		const char *lt = json_string_value(json_object_get(st, "lock_timeout"));
		const char *stt = json_string_value(json_object_get(st, "statement_timeout"));
		if (!lt || !stt || strcmp(lt, seen_lt) != 0 || strcmp(stt, seen_st) != 0)
			problem(r,
				"SCRIPT: stage %ld ran `%s` under lock_timeout %s and "
				"statement_timeout %s; the plan says %s and %s",
				k + 1, pgf_one_line(query, line, sizeof(line)), seen_lt, seen_st,
				lt ? lt : "(none)", stt ? stt : "(none)");
		r->ddl_checked++;
		from = (size_t)k;
		json_decref(o);
	}
}

/* The catalog, then every table's rows exactly (volatile values too), malloc-ed. */
static char *exact_state(PGconn *conn)
{
	struct tables t;
	char *cat = pgf_catalog_lines(conn), *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!cat || !f || list_tables(conn, &t) != 0) {
		free(cat);
		if (f)
			fclose(f);
		free(out);
		return NULL;
	}
	fprintf(f, "%s\n", cat);
	for (size_t i = 0; i < t.n; i++) {
		char sql[512];
		snprintf(sql, sizeof(sql),
			 "SELECT coalesce(string_agg(to_jsonb(t)::text, E'\\n' ORDER BY "
			 "to_jsonb(t)::text), '') FROM %s AS t",
			 t.items[i].name);
		PGresult *res = PQexec(conn, sql);
		fprintf(f, "-- %s\n%s\n", t.items[i].name,
			PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "(error)");
		PQclear(res);
	}
	fclose(f);
	free(cat);
	free(t.items);
	return out;
}

/*
 * The one-script output through psql, as a user runs it: it stops at each
 * checkpoint (saying so), the checkpoint's SQL runs, and the script runs
 * again with -v pgstage_phase=N+1, skipping what is done. Then the finished
 * script runs once more: it must exit 0 and change nothing.
 */
static int run_script(struct report *r, const char *script, PGconn *conn, json_t *plan)
{
	char file[400], stop[100];
	int rc, phase;

	char *all = NULL;
	size_t all_len = 0;
	FILE *outputs = open_memstream(&all, &all_len);

	snprintf(file, sizeof(file), "%s/%s.script.sql", group.tmpdir, r->fx->name);
	if (!outputs || pgf_write_text(file, script) != 0 ||
	    pgt_exec_script(conn, ddl_log_install) != 0) {
		if (outputs)
			fclose(outputs);
		free(all);
		return -1;
	}
	for (phase = 1;; phase++) {
		char *out = NULL;
		rc = run_psql(r, file, DB_SCRIPT, phase, &out);
		snprintf(stop, sizeof(stop), "pgstage: stopped at checkpoint %d;", phase);
		bool stopped = rc == 0 && out && strstr(out, stop);
		fputs(out ? out : "", outputs);
		free(out);
		if (rc != 0 || !stopped)
			break;
		if ((rc = run_checkpoint(r, conn, phase, "SCRIPT")) != 0)
			break;
	}
	fclose(outputs);
	if (rc == 0)
		check_ddl_log(r, all, plan);
	free(all);
	if (pgt_exec_script(conn, ddl_log_remove) != 0)
		rc = -1;
	if (rc == 0) {
		char *before = exact_state(conn), *out = NULL, *after;
		rc = run_psql(r, file, DB_SCRIPT, phase, &out);
		if (rc == 0 && out && strstr(out, "pgstage: stopped at checkpoint"))
			problem(r, "SCRIPT: run again when finished, it stops at a checkpoint:\n%s",
				out);
		after = exact_state(conn);
		if (!before || !after)
			problem(r, "SCRIPT: could not read the database around the run again");
		else if (strcmp(before, after) != 0) {
			problem(r,
				"SCRIPT: running the finished script again changed the database:");
			pgf_print_diff(before, after, "SCRIPT (finished)", "SCRIPT (run again)");
		}
		free(before);
		free(after);
		free(out);
	}
	/* pgstage's own record of stages that leave no trace in the catalog: not part of
	 * the schema PLAN and ORIGINAL are compared on */
	if (rc == 0 && pgt_exec(conn, "DROP TABLE IF EXISTS pgstage_progress") != 0)
		rc = -1;
	(void)remove(file);
	return rc;
}

/* ---- one fixture ---- */

struct plan_outputs {
	json_t *json;
	char *script;
};

static int get_plan(struct report *r, struct plan_outputs *p)
{
	char cmd[2048], *out = NULL;
	json_error_t jerr;

	memset(p, 0, sizeof(*p));
	pgf_plan_command(r->fx, group.pgstage, "--format json", cmd, sizeof(cmd));
	int st = pgf_run_capture(cmd, &out);
	p->json = out ? json_loads(out, 0, &jerr) : NULL;
	free(out);
	if (st != 0 || !json_is_array(json_object_get(p->json, "stages"))) {
		problem(r, "%s: exit status %d, no plan", cmd, st);
		return -1;
	}
	pgf_plan_command(r->fx, group.pgstage, NULL, cmd, sizeof(cmd));
	st = pgf_run_capture(cmd, &p->script);
	if (st != 0 || !p->script) {
		problem(r, "%s: exit status %d", cmd, st);
		return -1;
	}
	return 0;
}

/* Each `-- unsafe:` table must have been seen violated; the planner must say why in a note. */
static void check_declarations(struct report *r, json_t *plan)
{
	for (int i = 0; i < r->fx->n_unsafe; i++) {
		bool seen = false;
		for (int k = 0; k < r->n_violations; k++) {
			const char *t = r->violations[k].table, *dot = strchr(t, '.');
			seen |= strcmp(t, r->fx->unsafe[i]) == 0 ||
				(dot && strcmp(dot + 1, r->fx->unsafe[i]) == 0);
		}
		if (!seen)
			problem(r, "`-- unsafe: %s` is declared but no violation on it was seen",
				r->fx->unsafe[i]);
	}
	if (r->fx->n_unsafe && json_array_size(json_object_get(plan, "notes")) == 0)
		problem(r, "`-- unsafe:` is declared but the plan has no note saying why");
}

struct sessions {
	PGconn *original, *original_keeper, *script;
	struct tracer plan;
	PGconn *plan_keeper;
	struct tables before; /* the tables after the context (same oids in every copy) */
};

static int open_sessions(struct report *r, struct sessions *s)
{
	memset(s, 0, sizeof(*s));
	char context[64];

	if (build_context(r, context) != 0 || pgt_create_copy(admin, context, DB_ORIGINAL) != 0 ||
	    pgt_create_copy(admin, context, DB_PLAN) != 0 ||
	    pgt_create_copy(admin, context, DB_SCRIPT) != 0)
		return -1;
	if (!(s->original = connect_quiet(DB_ORIGINAL)) ||
	    !(s->original_keeper = connect_quiet(DB_ORIGINAL)) ||
	    !(s->script = connect_quiet(DB_SCRIPT)) || !(s->plan_keeper = connect_quiet(DB_PLAN)) ||
	    tracer_open(&s->plan, r, DB_PLAN) != 0 || list_tables(s->original, &s->before) != 0)
		return -1;
	if (keep_rows(s->original_keeper, &s->before) != 0 ||
	    keep_rows(s->plan_keeper, &s->before) != 0)
		return -1;
	return 0;
}

static void close_sessions(struct sessions *s)
{
	PQfinish(s->original);
	PQfinish(s->original_keeper);
	PQfinish(s->script);
	PQfinish(s->plan_keeper);
	tracer_close(&s->plan);
	free(s->before.items);
	pgt_drop_db(admin, DB_ORIGINAL);
	pgt_drop_db(admin, DB_PLAN);
	pgt_drop_db(admin, DB_SCRIPT);
}

static void prove_fixture(struct report *r)
{
	struct plan_outputs p;
	struct sessions s;

	if (get_plan(r, &p) != 0)
		goto out;
	if (open_sessions(r, &s) != 0) {
		problem(r, "could not set up the databases");
		goto close;
	}
	if (run_original(r, s.original) != 0 || run_plan(&s.plan, p.json) != 0 ||
	    run_script(r, p.script, s.script, p.json) != 0)
		goto close;
	compare_catalogs(r, s.original, s.plan.conn, "ORIGINAL vs PLAN",
			 "ORIGINAL (the migration as written)",
			 "PLAN (pgstage plan, stage by stage)");
	compare_rows(r, s.original, s.plan.conn, "ORIGINAL vs PLAN", "ORIGINAL", "PLAN");
	check_survival(r, s.original_keeper, &s.before, "ORIGINAL");
	check_survival(r, s.plan_keeper, &s.before, "PLAN");
	compare_catalogs(r, s.plan.conn, s.script, "PLAN vs SCRIPT", "PLAN (stage by stage)",
			 "SCRIPT (the one-script output through psql)");
	compare_rows(r, s.plan.conn, s.script, "PLAN vs SCRIPT", "PLAN", "SCRIPT");
	check_declarations(r, p.json);
	if (!r->problems)
		printf("    ok: %zu stage(s), %d step(s) traced; catalogs of %d lines and %d table "
		       "comparisons of rows equal; %d DDL command(s) ran under their stage's "
		       "timeouts; the finished script run again changed nothing\n",
		       json_array_size(json_object_get(p.json, "stages")), r->steps,
		       r->catalog_lines, r->tables, r->ddl_checked);
close:
	close_sessions(&s);
out:
	json_decref(p.json);
	free(p.script);
}

static void test_fixture(void **state)
{
	struct report *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->fx = *state;
	prove_fixture(r);
	int problems = r->problems;
	free(r);
	if (problems)
		fail_msg("fixture %s: %d problem(s), see the FAIL lines above",
			 ((struct pgf_fixture *)*state)->name, problems);
}

/* ---- self-checks: the tracer must see a known unsafe ORIGINAL ---- */

struct self_check {
	const char *name;    /* the cmocka test */
	const char *fixture; /* a fixture name */
	bool alone;	     /* its statements run alone, like non-transactional steps */
	const char *table;   /* where the violation must be seen */
	const char *what;    /* its kind */
	const char *sql;     /* instead of the fixture's migration (NULL: the fixture's) */
};

static const struct self_check self_checks[] = {
    {"self_check_set_not_null_scans", "set_not_null", false, "public.users", "scan", NULL},
    {"self_check_add_column_volatile_default_rewrites", "add_column_volatile_default", false,
     "public.users", "rewrite", NULL},
    /* CREATE INDEX without CONCURRENTLY, outside a transaction block: SHARE for the build */
    {"self_check_create_index_alone_scans", "json", true, "public.users", "scan", NULL},
    /* VALIDATE scans under SHARE UPDATE EXCLUSIVE (allowed, as the plans show), but
     * here the transaction still holds the ACCESS EXCLUSIVE of the step before */
    {"self_check_validate_after_access_exclusive", "set_not_null", false, "public.users", "scan",
     "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
     "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n"},
};

#define N_SELF_CHECKS (sizeof(self_checks) / sizeof(self_checks[0]))

static const struct pgf_fixture *fixture_named(const char *name)
{
	for (size_t i = 0; i < n_fixtures; i++)
		if (strcmp(fixtures[i].name, name) == 0)
			return &fixtures[i];
	return NULL;
}

/* The statements of sql traced as one transaction, or alone; the violations go to r. */
static void trace_original(struct report *r, const char *sql, bool alone)
{
	struct tracer t;
	char **stmts = NULL;
	size_t n = 0;

	memset(&t, 0, sizeof(t));
	char context[64];

	if (build_context(r, context) != 0 || pgt_create_copy(admin, context, DB_ORIGINAL) != 0 ||
	    tracer_open(&t, r, DB_ORIGINAL) != 0 || !(stmts = pgt_split_statements(sql)))
		problem(r, "could not set up the self-check");
	else {
		while (stmts[n])
			n++;
		t.stage = alone ? "traced statement by statement" : "traced as one transaction";
		if (alone)
			(void)trace_alone_steps(&t, stmts, n, NULL);
		else
			(void)trace_transaction(&t, stmts, n, "2s", "5min");
	}
	pgs_free_statements(stmts);
	tracer_close(&t);
	pgt_drop_db(admin, DB_ORIGINAL);
}

static void test_self_check(void **state)
{
	const struct self_check *c = *state;
	struct report *r = calloc(1, sizeof(*r));
	bool seen = false;

	assert_non_null(r);
	if (!(r->fx = fixture_named(c->fixture)))
		fail_msg("self-check: no fixture %s", c->fixture);
	r->self_check = true;
	trace_original(r, c->sql ? c->sql : r->fx->text, c->alone);
	for (int i = 0; i < r->n_violations; i++)
		seen |= strcmp(r->violations[i].table, c->table) == 0 &&
			strcmp(r->violations[i].what, c->what) == 0;
	int problems = r->problems, n = r->n_violations;
	free(r);
	if (problems || !seen)
		fail_msg("self-check %s: the tracer must report a %s of %s (%d violation(s) seen, "
			 "%d problem(s))",
			 c->fixture, c->what, c->table, n, problems);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
	(void)state;
	if (pgf_group_open(&group, APP_NAME, "pgs-plan-proof") != 0)
		return -1;
	admin = group.admin;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pgf_group_close(&group);
	admin = NULL;
	return 0;
}

/* Every fixtures/plan/ *.sql but the context_*.sql inputs (the first MAX_FIXTURES). */
static void test_no_fixtures(void **state)
{
	(void)state;
	fail_msg("no fixtures matched %s: run from the source tree", FIXTURE_GLOB);
}

int main(void)
{
	static struct CMUnitTest tests[MAX_FIXTURES + N_SELF_CHECKS + 1];
	static char names[MAX_FIXTURES][sizeof(fixtures[0].name) + 8];
	const char *only = getenv("PGS_PLAN_ONLY");
	size_t n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	int major = server_major = pgf_server_major();
	n_fixtures = pgf_find(FIXTURE_GLOB, fixtures, MAX_FIXTURES);
	for (size_t i = 0; i < n_fixtures; i++) {
		if (!pgf_selected(&fixtures[i], only, major))
			continue;
		snprintf(names[i], sizeof(names[i]), "plan_%.*s", (int)sizeof(fixtures[i].name),
			 fixtures[i].name);
		tests[n++] = (struct CMUnitTest){
		    .name = names[i], .test_func = test_fixture, .initial_state = &fixtures[i]};
	}
	for (size_t i = 0; i < N_SELF_CHECKS && major == 15; i++)
		tests[n++] =
		    (struct CMUnitTest){.name = self_checks[i].name,
					.test_func = test_self_check,
					.initial_state = (void *)(uintptr_t)&self_checks[i]};
	if (n_fixtures == 0)
		tests[n++] =
		    (struct CMUnitTest){.name = "fixtures_found", .test_func = test_no_fixtures};
	return _cmocka_run_group_tests("plan_proof", tests, n, group_setup, group_teardown);
}
