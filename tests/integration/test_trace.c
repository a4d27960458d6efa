/*
 * test_trace: `pgstage trace PATH --db URL` on the server the suite starts,
 * a database built from a context file (parents, t with rows, an index and
 * a foreign key, other) that trace also gets as --context.
 *
 * - agreement across kinds: a migration of ten statements (ADD COLUMN with
 *   a constant and with a volatile default, CREATE INDEX, CHECK and CHECK
 *   NOT VALID, SET NOT NULL, int -> bigint, a foreign key, CREATE INDEX
 *   CONCURRENTLY, DROP TABLE) traces with exit 0 and 0 disagreements, the
 *   CONCURRENTLY build listed as not run; and each statement on its own (so
 *   no earlier statement of the trace holds its lock already) shows the
 *   exact lock, rewrite, index rebuild and scan explain predicts and the
 *   server did (ACCESS EXCLUSIVE + rewrite for the volatile default, SHARE +
 *   scan for CREATE INDEX, no scan for NOT VALID, ...);
 * - rolled back: after the trace the catalog (pgs_catalog_lines) and the row
 *   counts are exactly those of before;
 * - a disagreement is flagged: with a context that lies about the database
 *   (n bigint where it is int; note NOT NULL where it is nullable; no
 *   foreign key where there is one) explain mispredicts, and trace says
 *   exactly how (`DISAGREES: rel: why`), exits 1 and counts it;
 * - in use: while another session holds a lock on t, trace refuses (exit 1,
 *   that session's pid named, nothing printed on stdout, nothing changed);
 *   with --force it runs: a statement the lock does not block agrees, the
 *   one it blocks fails after lock_timeout with SQLSTATE 55P03; nothing
 *   changed either;
 * - wrong version: --pg-version of another major than the server's: exit 1
 *   and the message saying which to pass.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh), PGSTAGE (./pgstage when
 * unset) and the source tree as working directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "exec/catalog.h"
#include "tests/integration/pgtest.h"
#include "tests/integration/planfix.h"

#define APP_NAME "pgstage-test_trace"
#define HOLDER_APP "pgstage-test_trace-holder"
#define DB "pgs_trace_test"

static struct pgf_group group;

/* The context: the database is built from it (with the real t), trace gets it as --context. */
static const char ctx_parents[] =
    "CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL);\n";
static const char t_real[] = "CREATE TABLE t (id int PRIMARY KEY, parent_id int REFERENCES "
			     "parents (id), n int, note text);\n";
static const char ctx_rest[] =
    "CREATE INDEX t_n_idx ON t (n);\n"
    "CREATE TABLE other (id int PRIMARY KEY, t_id int);\n"
    "INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 100) g;\n"
    "INSERT INTO t SELECT g, 1 + g % 100, g, 'x' FROM generate_series(1, 1000) g;\n"
    "INSERT INTO other SELECT g, g FROM generate_series(1, 100) g;\n";

/* The statements of the migration, in order. */
static const char *const migration[] = {
    "ALTER TABLE t ADD COLUMN flag boolean NOT NULL DEFAULT false;",
    "ALTER TABLE t ADD COLUMN created timestamptz DEFAULT clock_timestamp();",
    "CREATE INDEX t_note_idx ON t (note);",
    "ALTER TABLE t ADD CONSTRAINT t_n_pos CHECK (n > 0);",
    "ALTER TABLE t ADD CONSTRAINT t_n_pos2 CHECK (n > 0) NOT VALID;",
    "ALTER TABLE t ALTER COLUMN note SET NOT NULL;",
    "ALTER TABLE t ALTER COLUMN n TYPE bigint;",
    "ALTER TABLE other ADD CONSTRAINT other_t_fk FOREIGN KEY (t_id) REFERENCES t (id);",
    "CREATE INDEX CONCURRENTLY other_t_idx ON other (t_id);",
    "DROP TABLE other;",
};
#define N_MIGRATION (sizeof(migration) / sizeof(migration[0]))

/* group.tmpdir/name */
static void tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", group.tmpdir, name);
}

/* Write the context with t defined as t_def to group.tmpdir/name. */
static void write_context(const char *name, const char *t_def)
{
	char path[256], text[2048];

	tmp_path(path, sizeof(path), name);
	snprintf(text, sizeof(text), "%s%s%s", ctx_parents, t_def, ctx_rest);
	assert_int_equal(pgf_write_text(path, text), 0);
}

/* Write sql to group.tmpdir/name. */
static void write_migration(const char *name, const char *sql)
{
	char path[256];

	tmp_path(path, sizeof(path), name);
	assert_int_equal(pgf_write_text(path, sql), 0);
}

/*
 * pgstage trace --context CONTEXT [extra] MIGRATION (files of group.tmpdir)
 * on DB: its exit status; standard output in *out, standard error in *err.
 */
static int trace(const char *context, const char *migration_file, const char *extra, char **out,
		 char **err)
{
	char cmd[2048], ctx[256], mig[256], errfile[256];

	tmp_path(ctx, sizeof(ctx), context);
	tmp_path(mig, sizeof(mig), migration_file);
	tmp_path(errfile, sizeof(errfile), "stderr");
	snprintf(cmd, sizeof(cmd),
		 "'%s' trace --no-config --db 'dbname=%s' --context '%s' %s '%s' 2>'%s'",
		 group.pgstage, DB, ctx, extra ? extra : "", mig, errfile);
	int st = pgf_run_capture(cmd, out);
	*err = pgf_read_file(errfile);
	remove(errfile);
	assert_non_null(*out);
	assert_non_null(*err);
	return st;
}

/* Whether text has line as one whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void expect_line(const char *out, const char *line, const char *what)
{
	if (!has_line(out, line))
		fail_msg("%s: no line\n%s\nin:\n%s", what, line, out);
}

/* The catalog of DB and its tables' row counts, one text, malloc-ed. */
static char *state_of_db(void)
{
	PGconn *conn = pgt_connect(DB, APP_NAME);
	struct pgs_error e;

	assert_non_null(conn);
	char *lines = pgs_catalog_lines(conn, &e);
	if (!lines)
		fail_msg("catalog: %s", e.message);
	PGresult *r = PQexec(
	    conn, "SELECT format('rows: parents %s, t %s, other %s; md5 %s %s %s', (SELECT "
		  "count(*) FROM parents), (SELECT count(*) FROM t), (SELECT count(*) FROM other), "
		  "(SELECT md5(string_agg(x::text, ',' ORDER BY id)) FROM parents x), (SELECT "
		  "md5(string_agg(x::text, ',' ORDER BY id)) FROM t x), (SELECT "
		  "md5(string_agg(x::text, ',' ORDER BY id)) FROM other x))");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("counts: %s", PQerrorMessage(conn));
	size_t n = strlen(lines) + strlen(PQgetvalue(r, 0, 0)) + 2;
	char *all = malloc(n);
	assert_non_null(all);
	snprintf(all, n, "%s\n%s", lines, PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(conn);
	free(lines);
	return all;
}

static void assert_unchanged(const char *before, const char *what)
{
	char *after = state_of_db();

	if (strcmp(before, after) != 0) {
		pgf_print_diff(before, after, "BEFORE", "AFTER");
		fail_msg("%s: the database changed", what);
	}
	free(after);
}

/* The whole migration in one trace: everything agrees, CONCURRENTLY is listed, not run. */
static void test_agreement_whole_migration(void **state)
{
	char text[4096] = "", line[512], *out, *err;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < N_MIGRATION; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", migration[i]);
	write_migration("all.sql", text);
	int st = trace("context.sql", "all.sql", NULL, &out, &err);
	if (st != 0 || *err)
		fail_msg("exit %d, stderr:\n%s\nstdout:\n%s", st, err, out);
	expect_line(out, "10 statements traced (rolled back): 0 disagreements with explain",
		    "whole");
	/* the first statement takes the lock: judged; the others find it held */
	expect_line(out,
		    "    public.t: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE "
		    "(agrees)",
		    "whole");
	expect_line(out,
		    "    public.t: predicted ACCESS EXCLUSIVE, rewrite, index rebuild, scan, "
		    "observed the lock held already (by an earlier statement), rewrite, "
		    "index rebuild, scan (agrees)",
		    "whole");
	/* a new table's lock is its own */
	expect_line(out,
		    "    public.other: predicted SHARE ROW EXCLUSIVE, scan, observed SHARE ROW "
		    "EXCLUSIVE, scan (agrees)",
		    "whole");
	snprintf(line, sizeof(line),
		 "%s/all.sql:9:1: CREATE INDEX CONCURRENTLY other_t_idx ON other (t_id)",
		 group.tmpdir);
	expect_line(out, line, "whole");
	const char *nr = strstr(out, line);
	const char *want = "\n    not run: it can't run in a transaction block\n"
			   "    public.other: predicted SHARE UPDATE EXCLUSIVE\n";
	if (strncmp(nr + strlen(line), want, strlen(want)) != 0)
		fail_msg("CONCURRENTLY: expected%s after its line in:\n%s", want, out);
	if (strstr(out, "DISAGREES") || strstr(out, "failed:"))
		fail_msg("a disagreement or a failure:\n%s", out);
	free(out);
	free(err);
}

/* Each statement on its own: the exact prediction and observation. */
static void test_agreement_each_kind(void **state)
{
	static const struct {
		const char *sql;
		const char *lines[3];
	} cases[] = {
	    {"ALTER TABLE t ADD COLUMN flag boolean NOT NULL DEFAULT false;",
	     {"    public.t: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE (agrees)"}},
	    {"ALTER TABLE t ADD COLUMN created timestamptz DEFAULT clock_timestamp();",
	     {"    public.t: predicted ACCESS EXCLUSIVE, rewrite, index rebuild, scan, observed "
	      "ACCESS EXCLUSIVE, rewrite, index rebuild, scan (agrees)"}},
	    {"CREATE INDEX t_note_idx ON t (note);",
	     {"    public.t: predicted SHARE, scan, observed SHARE, scan (agrees)"}},
	    {"ALTER TABLE t ADD CONSTRAINT t_n_pos CHECK (n > 0);",
	     {"    public.t: predicted ACCESS EXCLUSIVE, scan, observed ACCESS EXCLUSIVE, scan "
	      "(agrees)"}},
	    {"ALTER TABLE t ADD CONSTRAINT t_n_pos2 CHECK (n > 0) NOT VALID;",
	     {"    public.t: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE (agrees)"}},
	    {"ALTER TABLE t ALTER COLUMN note SET NOT NULL;",
	     {"    public.t: predicted ACCESS EXCLUSIVE, scan, observed ACCESS EXCLUSIVE, scan "
	      "(agrees)"}},
	    {"ALTER TABLE t ALTER COLUMN n TYPE bigint;",
	     {"    public.t: predicted ACCESS EXCLUSIVE, rewrite, index rebuild, scan, observed "
	      "ACCESS EXCLUSIVE, rewrite, index rebuild, scan (agrees)"}},
	    {"ALTER TABLE other ADD CONSTRAINT other_t_fk FOREIGN KEY (t_id) REFERENCES t (id);",
	     {"    public.other: predicted SHARE ROW EXCLUSIVE, scan, observed SHARE ROW "
	      "EXCLUSIVE, scan (agrees)",
	      "    public.t: predicted SHARE ROW EXCLUSIVE, scan, observed SHARE ROW EXCLUSIVE, "
	      "scan (agrees)"}},
	    {"CREATE INDEX CONCURRENTLY other_t_idx ON other (t_id);",
	     {"    not run: it can't run in a transaction block",
	      "    public.other: predicted SHARE UPDATE EXCLUSIVE"}},
	    /* the indexes get new files: their table's index rebuild, not rewrites */
	    {"REINDEX TABLE t;",
	     {"    public.t: predicted SHARE, index rebuild, scan, observed SHARE, index rebuild, "
	      "scan (agrees)",
	      "    public.t_pkey: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE, rewrite "
	      "(agrees)",
	      "    public.t_n_idx: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE, rewrite "
	      "(agrees)"}},
	    /* no row deleted: the foreign key check never runs */
	    {"DELETE FROM parents WHERE id > 1000000;",
	     {"    public.parents: predicted ROW EXCLUSIVE, scan, observed ROW EXCLUSIVE, scan "
	      "(agrees)",
	      "    public.t: predicted ROW SHARE, scan; a foreign key check: it runs for the rows "
	      "the statement changes, here none"}},
	    {"DROP TABLE other;",
	     {"    public.other: predicted ACCESS EXCLUSIVE; dropped by the statement: its lock "
	      "went with it, not seen"}},
	    /* a foreign key to t: dropping it takes t's lock too */
	    {"ALTER TABLE t DROP COLUMN parent_id;",
	     {"    public.t: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE (agrees)",
	      "    public.parents: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE "
	      "(agrees)"}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out, *err, head[512];
		write_migration("one.sql", cases[i].sql);
		int st = trace("context.sql", "one.sql", NULL, &out, &err);
		if (st != 0 || *err)
			fail_msg("%s: exit %d, stderr:\n%s\nstdout:\n%s", cases[i].sql, st, err,
				 out);
		snprintf(head, sizeof(head), "%s/one.sql:1:1: %.*s", group.tmpdir,
			 (int)strlen(cases[i].sql) - 1, cases[i].sql);
		expect_line(out, head, cases[i].sql);
		for (size_t k = 0; k < 3 && cases[i].lines[k]; k++)
			expect_line(out, cases[i].lines[k], cases[i].sql);
		expect_line(out, "1 statement traced (rolled back): 0 disagreements with explain",
			    cases[i].sql);
		/* every relation judged is listed under the statement: none other than these */
		size_t listed = 0;
		for (const char *p = strstr(out, "\n    public."); p;
		     p = strstr(p + 1, "\n    public."))
			listed++;
		size_t expected = 0;
		for (size_t k = 0; k < 3 && cases[i].lines[k]; k++)
			expected += strncmp(cases[i].lines[k], "    public.", 11) == 0;
		if (listed != expected)
			fail_msg("%s: %zu relations listed, expected %zu:\n%s", cases[i].sql,
				 listed, expected, out);
		free(out);
		free(err);
	}
}

/* After a trace the database is exactly as before: catalog and rows. */
static void test_rolled_back(void **state)
{
	char text[4096] = "", *out, *err;
	size_t len = 0;

	(void)state;
	char *before = state_of_db();
	assert_non_null(strstr(before, "rows: parents 100, t 1000, other 100"));
	for (size_t i = 0; i < N_MIGRATION; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", migration[i]);
	write_migration("all.sql", text);
	int st = trace("context.sql", "all.sql", NULL, &out, &err);
	if (st != 0 || !has_line(out, "10 statements traced (rolled back): 0 disagreements with "
				      "explain"))
		fail_msg("exit %d, stderr:\n%s\nstdout:\n%s", st, err, out);
	free(out);
	free(err);
	assert_unchanged(before, "after the migration's trace");

	/* rows: what a migration's DML changes is taken back too */
	write_migration("dml.sql", "UPDATE t SET note = 'y';\n"
				   "INSERT INTO parents VALUES (101, 'new');\n"
				   "DELETE FROM parents WHERE id > 100;\n"
				   "DELETE FROM other;\n");
	st = trace("context.sql", "dml.sql", NULL, &out, &err);
	if (st != 0 ||
	    !has_line(out, "4 statements traced (rolled back): 0 disagreements with "
			   "explain") ||
	    !has_line(out, "    public.other: predicted ROW EXCLUSIVE, scan, observed ROW "
			   "EXCLUSIVE, scan (agrees)"))
		fail_msg("exit %d, stderr:\n%s\nstdout:\n%s", st, err, out);
	free(out);
	free(err);
	assert_unchanged(before, "after the DML's trace");
	free(before);
}

/* A context that lies about the database: explain mispredicts, trace says how. */
static void test_disagreement_flagged(void **state)
{
	static const struct {
		const char *context, *t_def, *sql, *lines[3];
	} cases[] = {
	    /* n is int, not bigint: the type change rewrites t */
	    {"ctx_bigint.sql",
	     "CREATE TABLE t (id int PRIMARY KEY, parent_id int REFERENCES parents (id), n bigint, "
	     "note text);\n",
	     "ALTER TABLE t ALTER COLUMN n TYPE bigint;",
	     {"    public.t: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE, rewrite, index "
	      "rebuild, scan",
	      "    DISAGREES: public.t: rewritten (a new file), not predicted"}},
	    /* note is nullable: SET NOT NULL scans t */
	    {"ctx_notnull.sql",
	     "CREATE TABLE t (id int PRIMARY KEY, parent_id int REFERENCES parents (id), n int, "
	     "note text NOT NULL);\n",
	     "ALTER TABLE t ALTER COLUMN note SET NOT NULL;",
	     {"    public.t: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE, scan",
	      "    DISAGREES: public.t: scanned, not predicted"}},
	    /* parent_id references parents: dropping it locks parents too */
	    {"ctx_nofk.sql",
	     "CREATE TABLE t (id int PRIMARY KEY, parent_id int, n int, note text);\n",
	     "ALTER TABLE t DROP COLUMN parent_id;",
	     {"    public.parents: predicted nothing, observed ACCESS EXCLUSIVE",
	      "    DISAGREES: public.parents: took ACCESS EXCLUSIVE, not predicted",
	      "    public.t: predicted ACCESS EXCLUSIVE, observed ACCESS EXCLUSIVE (agrees)"}},
	};

	(void)state;
	char *before = state_of_db();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out, *err;
		write_context(cases[i].context, cases[i].t_def);
		write_migration("one.sql", cases[i].sql);
		int st = trace(cases[i].context, "one.sql", NULL, &out, &err);
		if (st != 1 || *err)
			fail_msg("%s: exit %d (expected 1), stderr:\n%s\nstdout:\n%s", cases[i].sql,
				 st, err, out);
		for (size_t k = 0; k < 3 && cases[i].lines[k]; k++)
			expect_line(out, cases[i].lines[k], cases[i].sql);
		expect_line(out, "1 statement traced (rolled back): 1 disagreement with explain",
			    cases[i].sql);
		free(out);
		free(err);
	}

	/* all three in one trace, each with its own lie: counted, exit 1 */
	char path[256], text[2048];
	tmp_path(path, sizeof(path), "ctx_lies.sql");
	snprintf(text, sizeof(text),
		 "%sCREATE TABLE t (id int PRIMARY KEY, parent_id int, n bigint, "
		 "note text NOT NULL);\n%s",
		 ctx_parents, ctx_rest);
	assert_int_equal(pgf_write_text(path, text), 0);
	write_migration("lies.sql", "ALTER TABLE t ALTER COLUMN note SET NOT NULL;\n"
				    "ALTER TABLE t ALTER COLUMN n TYPE bigint;\n"
				    "ALTER TABLE t DROP COLUMN parent_id;\n");
	char *out, *err;
	int st = trace("ctx_lies.sql", "lies.sql", NULL, &out, &err);
	if (st != 1 ||
	    !has_line(out, "3 statements traced (rolled back): 3 disagreements with "
			   "explain") ||
	    !has_line(out, "    DISAGREES: public.t: scanned, not predicted") ||
	    !has_line(out, "    DISAGREES: public.t: rewritten (a new file), not predicted") ||
	    !has_line(out, "    DISAGREES: public.parents: took ACCESS EXCLUSIVE, not predicted"))
		fail_msg("exit %d, stderr:\n%s\nstdout:\n%s", st, err, out);
	free(out);
	free(err);
	assert_unchanged(before, "after the disagreeing traces");
	free(before);
}

/* Another session holds a lock on t: refused; with --force, a blocked statement fails. */
static void test_in_use(void **state)
{
	char expected[1024], *out, *err;

	(void)state;
	char *before = state_of_db();
	PGconn *holder = pgt_connect(DB, HOLDER_APP);
	assert_non_null(holder);
	assert_int_equal(pgt_exec(holder, "BEGIN"), 0);
	assert_int_equal(pgt_exec(holder, "LOCK TABLE t IN ACCESS SHARE MODE"), 0);

	write_migration("in_use.sql", "CREATE INDEX t_note_idx ON t (note);\n"
				      "ALTER TABLE t ADD COLUMN z int;\n");
	int st = trace("context.sql", "in_use.sql", NULL, &out, &err);
	snprintf(expected, sizeof(expected),
		 "pgstage: error: trace: other sessions use the migration's tables: pid %d (user "
		 "%s, application %s, idle in transaction) on t; trace takes their locks for real "
		 "(then rolls back): run it on a copy, or pass --force\n",
		 PQbackendPID(holder), PQuser(holder), HOLDER_APP);
	if (st != 1 || strcmp(err, expected) != 0 || *out)
		fail_msg("exit %d (expected 1), stderr:\n%s\nexpected:\n%s\nstdout:\n%s", st, err,
			 expected, out);
	free(out);
	free(err);
	assert_unchanged(before, "after the refusal");

	/* --force: SHARE does not conflict with ACCESS SHARE, ACCESS EXCLUSIVE waits 2s, fails */
	st = trace("context.sql", "in_use.sql", "--force", &out, &err);
	if (*err)
		fail_msg("exit %d, stderr:\n%s\nstdout:\n%s", st, err, out);
	expect_line(out, "    public.t: predicted SHARE, scan, observed SHARE, scan (agrees)",
		    "--force");
	char head[512];
	snprintf(head, sizeof(head), "%s/in_use.sql:2:1: ALTER TABLE t ADD COLUMN z int",
		 group.tmpdir);
	const char *at = strstr(out, head);
	const char *want =
	    "\n    failed: SQLSTATE 55P03: canceling statement due to lock timeout\n";
	if (!at || strncmp(at + strlen(head), want, strlen(want)) != 0)
		fail_msg("--force: expected\n%s%s\nin:\n%s", head, want, out);
	expect_line(out, "2 statements traced (rolled back): 0 disagreements with explain; 1 "
			 "failed, not judged",
		    "--force");
	if (st != 1)
		fail_msg("--force with a statement that failed: exit %d, expected 1", st);
	free(out);
	free(err);

	assert_int_equal(pgt_exec(holder, "COMMIT"), 0);
	PQfinish(holder);
	assert_unchanged(before, "after --force");
	free(before);
}

/* The predictions are for another major version than the server's: refused. */
static void test_wrong_version(void **state)
{
	char extra[64], expected[256], *out, *err;
	int major = pgf_server_major(), other = major == 14 ? 15 : 14;

	(void)state;
	assert_true(major > 0);
	write_migration("one.sql", "ALTER TABLE t ADD COLUMN z int;\n");
	snprintf(extra, sizeof(extra), "--pg-version %d", other);
	int st = trace("context.sql", "one.sql", extra, &out, &err);
	snprintf(expected, sizeof(expected),
		 "pgstage: error: trace: the server is PostgreSQL %d and the predictions are for "
		 "%d: pass --pg-version %d\n",
		 major, other, major);
	if (st != 1 || strcmp(err, expected) != 0 || *out)
		fail_msg("exit %d (expected 1), stderr:\n%s\nexpected:\n%s\nstdout:\n%s", st, err,
			 expected, out);
	free(out);
	free(err);
}

static int group_setup(void **state)
{
	char ctx[256], sql[2048];

	(void)state;
	if (pgf_group_open(&group, APP_NAME, "pgs-trace") != 0)
		return -1;
	if (pgt_drop_database(group.admin, DB) != 0 ||
	    pgt_exec(group.admin, "CREATE DATABASE " DB) != 0)
		return -1;
	tmp_path(ctx, sizeof(ctx), "context.sql");
	snprintf(sql, sizeof(sql), "%s%s%s", ctx_parents, t_real, ctx_rest);
	if (pgf_write_text(ctx, sql) != 0)
		return -1;
	PGconn *conn = pgt_connect(DB, APP_NAME);
	/* statistics: the server's plans (the scans) don't depend on autovacuum's timing */
	int rc = conn && pgt_exec_script(conn, sql) == 0 && pgt_exec(conn, "VACUUM ANALYZE") == 0
		     ? 0
		     : -1;
	PQfinish(conn);
	return rc;
}

static int group_teardown(void **state)
{
	static const char *const files[] = {
	    "context.sql", "ctx_bigint.sql", "ctx_notnull.sql", "ctx_nofk.sql", "ctx_lies.sql",
	    "all.sql",	   "one.sql",	     "lies.sql",	"in_use.sql",	"dml.sql"};
	char path[256];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		tmp_path(path, sizeof(path), files[i]);
		remove(path);
	}
	if (group.admin)
		pgt_drop_db(group.admin, DB);
	pgf_group_close(&group);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_agreement_whole_migration),
	    cmocka_unit_test(test_agreement_each_kind),
	    cmocka_unit_test(test_rolled_back),
	    cmocka_unit_test(test_disagreement_flagged),
	    cmocka_unit_test(test_in_use),
	    cmocka_unit_test(test_wrong_version),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("trace", tests, group_setup, group_teardown);
}
