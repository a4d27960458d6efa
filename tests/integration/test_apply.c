/*
 * test_apply: `pgstage apply` on the server the suite starts.
 *
 * - every plan fixture of the server's version (fixtures/plan/<case>.sql):
 *   apply, going on at each checkpoint with --continue after the fixture's
 *   checkpoint SQL, ends with the catalog the migration as written leaves
 *   (the pgstage bookkeeping aside); applied again, every stage is done
 *   already and nothing changes;
 * - a conflicting lock held by another session: apply tries the stage again,
 *   names the blocking session, and stops (exit 1, nothing of the stage kept)
 *   when the lock outlasts every try; once it is released the same command
 *   finishes;
 * - a run id holds one plan: another plan under the same id is refused;
 * - --plan FILE runs the plan `plan --format json` wrote, to the same end;
 * - a CONCURRENTLY build that waits for an older transaction says for whom;
 * - --continue on a run that never stopped stops at the first checkpoint
 *   all the same; --through N stops after stage N (exit 0) and a run
 *   without it goes on; --dry-run says each stage, its locks and timeouts,
 *   and changes nothing (no pgstage schema, no migration);
 * - a unique index built concurrently over duplicate values fails with the
 *   server's error (exit 1) and leaves no INVALID index behind;
 * - a password in the URL and in PGPASSWORD appears nowhere: not in the
 *   output of a run that works nor of one that fails, nor in the recorded
 *   state.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh), PGSTAGE (./pgstage when
 * unset) and the source tree as working directory. PGS_PLAN_ONLY=TEXT runs
 * only the fixtures whose name contains TEXT.
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

#include "tests/integration/pgtest.h"
#include "tests/integration/planfix.h"

#define APP_NAME "pgstage-test_apply"
#define DB_ORIGINAL "pgs_apply_original"
#define DB_APPLY "pgs_apply_run"
#define FIXTURE_GLOB "fixtures/plan/*.sql"
#define MAX_FIXTURES 256

static struct pgf_group group;
static struct pgf_fixture fixtures[MAX_FIXTURES];
static size_t n_fixtures;

/* The catalog of db without apply's bookkeeping, malloc-ed. */
static char *catalog_of(const char *db)
{
	PGconn *conn = pgt_connect(db, APP_NAME);
	char *lines = NULL;

	if (conn && pgt_exec(conn, "SET client_min_messages = warning") == 0 &&
	    pgt_exec(conn, "DROP SCHEMA IF EXISTS pgstage CASCADE") == 0 &&
	    pgt_exec(conn, "DROP TABLE IF EXISTS pgstage_progress") == 0)
		lines = pgf_catalog_lines(conn);
	PQfinish(conn);
	return lines;
}

/* pgstage apply of the fixture on db with extra options; its exit status, output in *out. */
static int apply(const struct pgf_fixture *fx, const char *db, const char *extra, char **out)
{
	char cmd[4096], opts[1024];

	snprintf(opts, sizeof(opts), "--db 'dbname=%s' %s 2>&1", db, extra ? extra : "");
	pgf_command(fx, group.pgstage, "apply", opts, cmd, sizeof(cmd));
	return pgf_run_capture(cmd, out);
}

/* Apply all phases: the fixture's checkpoint SQL between them. 0, or -1 after printing why. */
static int apply_all(const struct pgf_fixture *fx, const char *db)
{
	for (int phase = 1; phase < 32; phase++) {
		char extra[64], *out = NULL;
		snprintf(extra, sizeof(extra), "%s", phase > 1 ? "--continue" : "");
		int st = apply(fx, db, extra, &out);
		if (st == 0) {
			free(out);
			return 0;
		}
		if (st != 4) {
			printf("apply (phase %d) exited %d:\n%s\n", phase, st, out ? out : "");
			free(out);
			return -1;
		}
		free(out);
		PGconn *conn = pgt_connect(db, APP_NAME);
		for (int i = 0; i < fx->n_checkpoints; i++)
			if (fx->checkpoints[i].n == phase &&
			    pgt_exec_script(conn, fx->checkpoints[i].sql) != 0) {
				PQfinish(conn);
				return -1;
			}
		PQfinish(conn);
	}
	printf("apply never finished\n");
	return -1;
}

static void test_fixture(void **state)
{
	const struct pgf_fixture *fx = *state;
	char tmpl[128], what[256];
	PGconn *orig;

	assert_int_equal(pgf_context_db(group.admin, fx, NULL, tmpl, sizeof(tmpl)), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_ORIGINAL), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_APPLY), 0);
	orig = pgt_connect(DB_ORIGINAL, APP_NAME);
	assert_non_null(orig);
	size_t failed = pgf_run_original(orig, fx, what, sizeof(what));
	PQfinish(orig);
	if (failed)
		fail_msg("the migration as written fails at statement %zu: %s", failed, what);

	assert_int_equal(apply_all(fx, DB_APPLY), 0);
	/* again: everything is done already and stays as it is */
	char *out = NULL;
	char extra[64];
	snprintf(extra, sizeof(extra), "--phase %d", fx->n_checkpoints + 32); /* the old way */
	int st = apply(fx, DB_APPLY, extra, &out);
	if (st != 0 || !strstr(out, "done already"))
		fail_msg("applied again: exit %d\n%s", st, out ? out : "");
	assert_null(strstr(out, "transactional:"));
	free(out);

	char *a = catalog_of(DB_ORIGINAL), *b = catalog_of(DB_APPLY);
	assert_non_null(a);
	assert_non_null(b);
	if (strcmp(a, b) != 0 &&
	    pgf_print_diff(a, b, "ORIGINAL (the migration as written)", "APPLY (pgstage apply)"))
		fail_msg("[%s] the catalogs differ", fx->name);
	printf("    ok: %s\n", fx->name);
	free(a);
	free(b);
}

static struct pgf_fixture *fixture(const char *name)
{
	for (size_t i = 0; i < n_fixtures; i++)
		if (strcmp(fixtures[i].name, name) == 0)
			return &fixtures[i];
	fail_msg("no fixture %s", name);
	return NULL;
}

/* A copy of set_not_null's context, with a session holding a lock on users. */
static PGconn *hold_lock(const struct pgf_fixture *fx)
{
	char tmpl[128];

	assert_int_equal(pgf_context_db(group.admin, fx, NULL, tmpl, sizeof(tmpl)), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_APPLY), 0);
	PGconn *holder = pgt_connect(DB_APPLY, "pgstage-test-holder");
	assert_non_null(holder);
	assert_int_equal(pgt_exec(holder, "BEGIN"), 0);
	assert_int_equal(pgt_exec(holder, "LOCK TABLE users IN ACCESS SHARE MODE"), 0);
	return holder;
}

static void test_lock_held_then_released(void **state)
{
	const struct pgf_fixture *fx = fixture("set_not_null");
	PGconn *holder = hold_lock(fx);
	char pid[32], expected[64], *out = NULL;

	(void)state;
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(holder));
	int st = apply(fx, DB_APPLY, "--retries 1", &out);
	assert_int_equal(st, 1);
	snprintf(expected, sizeof(expected), "blocked by pid %s (user", pid);
	if (!strstr(out, expected) || !strstr(out, "lock timeout") ||
	    !strstr(out, "trying again") || !strstr(out, "SQLSTATE 55P03") ||
	    !strstr(out, "run the same command again"))
		fail_msg("unexpected output:\n%s", out);
	free(out);
	/* nothing of the stage was kept */
	PGconn *conn = pgt_connect(DB_APPLY, APP_NAME);
	PGresult *r = PQexec(conn, "SELECT count(*) FROM pg_constraint WHERE conname LIKE "
				   "'users%pgstage_not_null'");
	assert_string_equal(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	PQfinish(conn);

	assert_int_equal(pgt_exec(holder, "COMMIT"), 0);
	PQfinish(holder);
	st = apply(fx, DB_APPLY, NULL, &out);
	if (st != 0 || !strstr(out, "done: 4 stages"))
		fail_msg("after the release: exit %d\n%s", st, out);
	free(out);
}

static void test_run_id_holds_one_plan(void **state)
{
	const struct pgf_fixture *a = fixture("set_not_null"), *b = fixture("json");
	char tmpl[128], *out = NULL;

	(void)state;
	assert_int_equal(pgf_context_db(group.admin, a, NULL, tmpl, sizeof(tmpl)), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_APPLY), 0);
	assert_int_equal(apply(a, DB_APPLY, "--run-id r1", &out), 0);
	free(out);
	int st = apply(b, DB_APPLY, "--run-id r1", &out);
	assert_int_equal(st, 1);
	if (!strstr(out, "run \"r1\" in pgstage.runs is another plan"))
		fail_msg("unexpected output:\n%s", out);
	free(out);
}

static void test_plan_file(void **state)
{
	const struct pgf_fixture *fx = fixture("unique_and_primary_key");
	char tmpl[128], cmd[4096], file[256], what[256], *out = NULL;

	(void)state;
	assert_int_equal(pgf_context_db(group.admin, fx, NULL, tmpl, sizeof(tmpl)), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_ORIGINAL), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_APPLY), 0);
	PGconn *orig = pgt_connect(DB_ORIGINAL, APP_NAME);
	assert_int_equal(pgf_run_original(orig, fx, what, sizeof(what)), 0);
	PQfinish(orig);
	snprintf(file, sizeof(file), "%s/plan.json", group.tmpdir);
	pgf_plan_command(fx, group.pgstage, NULL, cmd, sizeof(cmd));
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " --format json > '%s'", file);
	assert_int_equal(pgf_run_capture(cmd, &out), 0);
	free(out);
	snprintf(cmd, sizeof(cmd), "'%s' apply --no-config --db 'dbname=%s' --plan '%s' 2>&1",
		 group.pgstage, DB_APPLY, file);
	int st = pgf_run_capture(cmd, &out);
	if (st != 0 || !strstr(out, "done: "))
		fail_msg("apply --plan: exit %d\n%s", st, out);
	free(out);
	remove(file);
	char *a = catalog_of(DB_ORIGINAL), *b = catalog_of(DB_APPLY);
	if (strcmp(a, b) != 0 && pgf_print_diff(a, b, "ORIGINAL", "APPLY --plan"))
		fail_msg("the catalogs differ");
	free(a);
	free(b);
}

static void test_concurrent_build_waits_said(void **state)
{
	const struct pgf_fixture *fx = fixture("set_not_null"); /* for its context */
	char tmpl[128], cmd[4096], file[256], expected[64], *out = NULL;

	(void)state;
	assert_int_equal(pgf_context_db(group.admin, fx, NULL, tmpl, sizeof(tmpl)), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_APPLY), 0);
	snprintf(file, sizeof(file), "%s/index.sql", group.tmpdir);
	assert_int_equal(pgf_write_text(file, "CREATE INDEX users_email_idx ON users (email);\n"),
			 0);
	/* an older transaction that holds a snapshot: CREATE INDEX CONCURRENTLY waits for it */
	PGconn *old = pgt_connect(DB_APPLY, "pgstage-test-old-transaction");
	assert_int_equal(pgt_exec(old, "BEGIN ISOLATION LEVEL REPEATABLE READ"), 0);
	assert_int_equal(pgt_exec(old, "SELECT count(*) FROM users"), 0);
	snprintf(expected, sizeof(expected), "for pid %d (user", PQbackendPID(old));
	snprintf(cmd, sizeof(cmd),
		 "(sleep 4; '%s' -q -d %s -c \"SELECT pg_terminate_backend(%d)\" >/dev/null) & "
		 "'%s' apply --no-config --db 'dbname=%s' --context "
		 "fixtures/plan/context_schema.sql '%s' 2>&1; wait",
		 group.psql, DB_APPLY, PQbackendPID(old), group.pgstage, DB_APPLY, file);
	int st = pgf_run_capture(cmd, &out);
	PQfinish(old);
	remove(file);
	if (st != 0 || !strstr(out, "waiting") || !strstr(out, expected) ||
	    !strstr(out, "done: 1 stage"))
		fail_msg("exit %d, expected \"waiting ... %s\":\n%s", st, expected, out);
	free(out);
}

/* A copy of fx's context in DB_APPLY. */
static void fresh_copy(const struct pgf_fixture *fx)
{
	char tmpl[128];

	assert_int_equal(pgf_context_db(group.admin, fx, NULL, tmpl, sizeof(tmpl)), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_APPLY), 0);
}

/* The first value of sql on DB_APPLY, malloc-ed. */
static char *query(const char *sql)
{
	PGconn *conn = pgt_connect(DB_APPLY, APP_NAME);
	PGresult *r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	char *v = strdup(PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(conn);
	return v;
}

static void assert_query(const char *sql, const char *expected)
{
	char *v = query(sql);
	if (strcmp(v, expected) != 0)
		fail_msg("%s: %s, expected %s", sql, v, expected);
	free(v);
}

static void test_continue_needs_a_stop(void **state)
{
	const struct pgf_fixture *fx = fixture("add_required_column");
	char *out = NULL;

	(void)state;
	fresh_copy(fx);
	/* nothing stopped at the checkpoint yet: --continue stops there all the same */
	int st = apply(fx, DB_APPLY, "--continue", &out);
	if (st != 4 || !strstr(out, "stopped at checkpoint 1; after the deploy, run the same "
				    "command again with --continue"))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
	assert_query("SELECT status FROM pgstage.stages s WHERE stage = (SELECT max(stage) FROM "
		     "pgstage.stages)",
		     "waiting");
	/* now it did: --continue goes on */
	st = apply(fx, DB_APPLY, "--continue", &out);
	if ((st != 0 && st != 4) || !strstr(out, "checkpoint 1: going on after the deploy"))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
}

static void test_through(void **state)
{
	const struct pgf_fixture *fx = fixture("set_not_null");
	char *out = NULL;

	(void)state;
	fresh_copy(fx);
	int st = apply(fx, DB_APPLY, "--through 2", &out);
	if (st != 0 || !strstr(out, "stopped after stage 2 as asked (--through 2)") ||
	    strstr(out, "stage 3/4"))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
	assert_query("SELECT max(stage) FROM pgstage.stages WHERE status = 'done'", "2");
	st = apply(fx, DB_APPLY, NULL, &out);
	if (st != 0 || !strstr(out, "stage 2/4: done already") || !strstr(out, "done: 4 stages"))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
}

static void test_dry_run(void **state)
{
	const struct pgf_fixture *fx = fixture("column_type_change");
	char *out = NULL, *before = NULL, *after = NULL;

	(void)state;
	fresh_copy(fx);
	before = catalog_of(DB_APPLY);
	int st = apply(fx, DB_APPLY, "--dry-run", &out);
	if (st != 0 || !strstr(out, "dry run: nothing is changed; the server is PostgreSQL 15") ||
	    !strstr(out, ": backfill: ") || !strstr(out, "in batches by key") ||
	    !strstr(out, "  locks: ") || !strstr(out, "under: lock_timeout 2s") ||
	    !strstr(out, ": checkpoint 1: "))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
	assert_query("SELECT to_regnamespace('pgstage') IS NULL", "t");
	after = catalog_of(DB_APPLY);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_failed_unique_build(void **state)
{
	const struct pgf_fixture *fx = fixture("set_not_null"); /* for its context */
	char cmd[4096], file[256], *out = NULL;

	(void)state;
	fresh_copy(fx);
	PGconn *conn = pgt_connect(DB_APPLY, APP_NAME);
	assert_int_equal(pgt_exec(conn, "UPDATE users SET email = 'same@example.com' WHERE id IN "
					"(1, 2)"),
			 0);
	PQfinish(conn);
	snprintf(file, sizeof(file), "%s/unique.sql", group.tmpdir);
	assert_int_equal(pgf_write_text(file, "CREATE UNIQUE INDEX users_email_key ON users "
					      "(email);\n"),
			 0);
	snprintf(cmd, sizeof(cmd),
		 "'%s' apply --no-config --db 'dbname=%s' --context "
		 "fixtures/plan/context_schema.sql '%s' 2>&1",
		 group.pgstage, DB_APPLY, file);
	int st = pgf_run_capture(cmd, &out);
	remove(file);
	if (st != 1 || !strstr(out, "SQLSTATE 23505") ||
	    !strstr(out, "dropped what the failed build left") ||
	    !strstr(out, "run the same command again"))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
	assert_query("SELECT count(*) FROM pg_index WHERE indrelid = 'users'::regclass AND NOT "
		     "indisvalid",
		     "0");
	assert_query("SELECT to_regclass('users_email_key') IS NULL", "t");
}

static void assert_no_secret(const char *text, const char *what)
{
	if (strstr(text, "UrlS3cret") || strstr(text, "EnvS3cret"))
		fail_msg("a password shows in %s:\n%s", what, text);
}

static void test_passwords_never_shown(void **state)
{
	const struct pgf_fixture *fx = fixture("set_not_null");
	const char *host = getenv("PGHOST"), *port = getenv("PGPORT");
	char tmpl[128], cmd[4096], opts[1024], *out = NULL;

	(void)state;
	assert_int_equal(pgf_context_db(group.admin, fx, NULL, tmpl, sizeof(tmpl)), 0);
	assert_int_equal(pgt_create_copy(group.admin, tmpl, DB_APPLY), 0);
	/* trust authentication: the password is accepted and must never be shown */
	snprintf(opts, sizeof(opts),
		 "--db 'postgresql://postgres:UrlS3cret@/%s?host=%s&port=%s' 2>&1", DB_APPLY,
		 host ? host : "", port ? port : "5432");
	pgf_command(fx, group.pgstage, "apply", opts, cmd, sizeof(cmd));
	char env_cmd[4200];
	snprintf(env_cmd, sizeof(env_cmd), "PGPASSWORD=EnvS3cret %s", cmd);
	int st = pgf_run_capture(env_cmd, &out);
	if (st != 0)
		fail_msg("exit %d:\n%s", st, out);
	assert_no_secret(out, "the output of a run that works");
	free(out);

	/* a run that fails to connect: the message names no password either */
	snprintf(opts, sizeof(opts),
		 "--db 'postgresql://postgres:UrlS3cret@/no_such_db?host=%s&port=%s' 2>&1",
		 host ? host : "", port ? port : "5432");
	pgf_command(fx, group.pgstage, "apply", opts, cmd, sizeof(cmd));
	snprintf(env_cmd, sizeof(env_cmd), "PGPASSWORD=EnvS3cret %s", cmd);
	st = pgf_run_capture(env_cmd, &out);
	assert_int_equal(st, 1);
	if (!strstr(out, "could not connect"))
		fail_msg("unexpected output:\n%s", out);
	assert_no_secret(out, "the output of a run that fails");
	free(out);

	PGconn *conn = pgt_connect(DB_APPLY, APP_NAME);
	PGresult *r = PQexec(conn, "SELECT (SELECT string_agg(t::text, ' ') FROM pgstage.runs t) || "
				   "(SELECT string_agg(t::text, ' ') FROM pgstage.stages t)");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_no_secret(PQgetvalue(r, 0, 0), "the recorded state");
	PQclear(r);
	PQfinish(conn);
}

static int group_setup(void **state)
{
	(void)state;
	return pgf_group_open(&group, APP_NAME, "pgs-apply");
}

static int group_teardown(void **state)
{
	(void)state;
	pgt_drop_db(group.admin, DB_ORIGINAL);
	pgt_drop_db(group.admin, DB_APPLY);
	pgf_group_close(&group);
	return 0;
}

int main(void)
{
	static struct CMUnitTest tests[MAX_FIXTURES + 16];
	static char names[MAX_FIXTURES][sizeof(fixtures[0].name) + 8];
	const char *only = getenv("PGS_PLAN_ONLY");
	int major = pgf_server_major();
	size_t n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	n_fixtures = pgf_find(FIXTURE_GLOB, fixtures, MAX_FIXTURES);
	for (size_t i = 0; i < n_fixtures; i++) {
		if (!pgf_selected(&fixtures[i], only, major))
			continue;
		snprintf(names[i], sizeof(names[i]), "apply_%.*s", (int)sizeof(fixtures[i].name),
			 fixtures[i].name);
		tests[n++] = (struct CMUnitTest){
		    .name = names[i], .test_func = test_fixture, .initial_state = &fixtures[i]};
	}
	if (major == 15 && !only) {
		tests[n++] = (struct CMUnitTest){.name = "lock_held_then_released",
						 .test_func = test_lock_held_then_released};
		tests[n++] = (struct CMUnitTest){.name = "run_id_holds_one_plan",
						 .test_func = test_run_id_holds_one_plan};
		tests[n++] = (struct CMUnitTest){.name = "passwords_never_shown",
						 .test_func = test_passwords_never_shown};
		tests[n++] = (struct CMUnitTest){.name = "plan_file", .test_func = test_plan_file};
		tests[n++] = (struct CMUnitTest){.name = "continue_needs_a_stop",
						 .test_func = test_continue_needs_a_stop};
		tests[n++] = (struct CMUnitTest){.name = "through", .test_func = test_through};
		tests[n++] = (struct CMUnitTest){.name = "dry_run", .test_func = test_dry_run};
		tests[n++] = (struct CMUnitTest){.name = "failed_unique_build",
						 .test_func = test_failed_unique_build};
		tests[n++] = (struct CMUnitTest){.name = "concurrent_build_waits_said",
						 .test_func = test_concurrent_build_waits_said};
	}
	return _cmocka_run_group_tests("apply", tests, n, group_setup, group_teardown);
}
