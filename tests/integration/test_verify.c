/*
 * test_verify: `pgstage verify` on the server the suite starts.
 *
 * - every plan fixture of the server's version (fixtures/plan/<case>.sql),
 *   verified with --db in scratch databases of this server: exit 0 and
 *   "verified: ...", except the fixtures that declare statements the planner
 *   keeps unsafe (`-- unsafe: TABLE: why`): exit 1 with a violation on each
 *   declared table; no scratch database is left behind;
 * - --rows: the tables get generated rows, and the backfills of the plan
 *   then change them (its output says so);
 * - without --db, a throwaway server of its own, removed afterwards;
 * - a wrong plan (--plan FILE, edited): a CHECK added without NOT VALID is a
 *   violation (a scan under ACCESS EXCLUSIVE); a plan missing its last stage
 *   ends with another catalog, each difference listed; both exit 1.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh), PGSTAGE (./pgstage when
 * unset) and the source tree as working directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tests/integration/pgtest.h"
#include "tests/integration/planfix.h"

#define APP_NAME "pgstage-test_verify"
#define FIXTURE_GLOB "fixtures/plan/*.sql"
#define MAX_FIXTURES 256

static struct pgf_group group;
static struct pgf_fixture fixtures[MAX_FIXTURES];
static size_t n_fixtures;

/* pgstage verify of fx with extra options (before the paths); exit status, output in *out. */
static int verify(const struct pgf_fixture *fx, const char *extra, char **out)
{
	char cmd[4096], opts[1024];

	snprintf(opts, sizeof(opts), "%s 2>&1", extra ? extra : "");
	pgf_command(fx, group.pgstage, "verify", opts, cmd, sizeof(cmd));
	return pgf_run_capture(cmd, out);
}

static void assert_no_scratch_left(void)
{
	PGresult *r = PQexec(group.admin, "SELECT count(*) FROM pg_database WHERE datname LIKE "
					  "'pgstage\\_verify\\_%'");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	if (strcmp(PQgetvalue(r, 0, 0), "0") != 0)
		fail_msg("%s scratch databases of verify are left", PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void test_fixture(void **state)
{
	const struct pgf_fixture *fx = *state;
	char *out = NULL;

	int st = verify(fx, "--db 'dbname=postgres'", &out);
	if (fx->n_unsafe == 0) {
		if (st != 0 || !strstr(out, "pgstage: verified: the plan ("))
			fail_msg("[%s] exit %d:\n%s", fx->name, st, out);
	} else {
		if (st != 1 || !strstr(out, "the plan is NOT proven"))
			fail_msg("[%s] statements kept unsafe, yet exit %d:\n%s", fx->name, st, out);
		for (int i = 0; i < fx->n_unsafe; i++) {
			char expected[256];
			snprintf(expected, sizeof(expected), ") public.%s: ", fx->unsafe[i]);
			if (!strstr(out, expected))
				fail_msg("[%s] no violation on %s:\n%s", fx->name, fx->unsafe[i], out);
		}
	}
	free(out);
	assert_no_scratch_left();
	printf("    ok: %s\n", fx->name);
}

static struct pgf_fixture *fixture(const char *name)
{
	for (size_t i = 0; i < n_fixtures; i++)
		if (strcmp(fixtures[i].name, name) == 0)
			return &fixtures[i];
	fail_msg("no fixture %s", name);
	return NULL;
}

static void test_rows(void **state)
{
	char *out = NULL;

	(void)state;
	/* the context has rows of its own in users and orders: they collide with
	 * generated keys, so its tables are said not seeded, and the backfill
	 * changes the context's rows */
	int st = verify(fixture("add_column_volatile_default"), "--db 'dbname=postgres' --rows 2000",
			&out);
	if (st != 0 || !strstr(out, "pgstage: seeded ") || !strstr(out, " rows changed in ") ||
	    !strstr(out, "verified: "))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
	assert_no_scratch_left();
}

static void test_throwaway_server(void **state)
{
	char *out = NULL, dir[64] = "";

	(void)state;
	int st = verify(fixture("set_not_null"), NULL, &out);
	const char *at = strstr(out, "a throwaway PostgreSQL 15 server in ");
	if (st != 0 || !at || !strstr(out, "verified: "))
		fail_msg("exit %d:\n%s", st, out);
	sscanf(at + strlen("a throwaway PostgreSQL 15 server in "), "%63s", dir);
	struct stat sb;
	if (!dir[0] || stat(dir, &sb) == 0)
		fail_msg("the throwaway server's directory %s is still there", dir);
	free(out);
}

/* The JSON plan of fixture set_not_null, edited by a python snippet, into path. */
static void edited_plan(const char *path, const char *edit)
{
	char cmd[4096], *out = NULL;

	pgf_plan_command(fixture("set_not_null"), group.pgstage, "--format json", cmd, sizeof(cmd));
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
		 " | python3 -c 'import json, sys\nd = json.load(sys.stdin)\n%s\njson.dump(d, "
		 "open(\"%s\", \"w\"))'",
		 edit, path);
	assert_int_equal(pgf_run_capture(cmd, &out), 0);
	free(out);
}

static void test_wrong_plans(void **state)
{
	char file[256], extra[512], *out = NULL;

	(void)state;
	snprintf(file, sizeof(file), "%s/scan.json", group.tmpdir);
	edited_plan(file, "for s in d[\"stages\"]:\n    for t in s[\"steps\"]:\n        t[\"sql\"] = "
			  "t[\"sql\"].replace(\" NOT VALID\", \"\")");
	snprintf(extra, sizeof(extra), "--db 'dbname=postgres' --plan '%s'", file);
	int st = verify(fixture("set_not_null"), extra, &out);
	if (st != 1 ||
	    !strstr(out, "pgstage: violation: stage 1/4, step 1 (`ALTER TABLE users ADD CONSTRAINT "
			 "users_email_pgstage_not_null CHECK (email IS NOT NULL)") ||
	    !strstr(out, "public.users: scans it while the transaction holds ACCESS EXCLUSIVE") ||
	    !strstr(out, "the plan is NOT proven: 0 catalog differences, 1 violation"))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
	remove(file);

	snprintf(file, sizeof(file), "%s/short.json", group.tmpdir);
	edited_plan(file, "d[\"stages\"] = d[\"stages\"][:-1]");
	snprintf(extra, sizeof(extra), "--db 'dbname=postgres' --plan '%s'", file);
	st = verify(fixture("set_not_null"), extra, &out);
	if (st != 1 ||
	    !strstr(out, "pgstage: only after the migration as written: column users.email text "
			 "NOT NULL\n") ||
	    !strstr(out, "pgstage: only after the plan: column users.email text\n") ||
	    !strstr(out, "pgstage: only after the plan: constraint users "
			 "users_email_pgstage_not_null CHECK ((email IS NOT NULL))\n") ||
	    !strstr(out, "the plan is NOT proven: 6 catalog differences, 0 violations"))
		fail_msg("exit %d:\n%s", st, out);
	free(out);
	remove(file);
	assert_no_scratch_left();
}

static int group_setup(void **state)
{
	(void)state;
	return pgf_group_open(&group, APP_NAME, "pgs-verify");
}

static int group_teardown(void **state)
{
	(void)state;
	pgf_group_close(&group);
	return 0;
}

int main(void)
{
	static struct CMUnitTest tests[MAX_FIXTURES + 8];
	static char names[MAX_FIXTURES][sizeof(fixtures[0].name) + 8];
	const char *only = getenv("PGS_PLAN_ONLY");
	int major = pgf_server_major();
	size_t n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	n_fixtures = pgf_find(FIXTURE_GLOB, fixtures, MAX_FIXTURES);
	for (size_t i = 0; i < n_fixtures; i++) {
		if (!pgf_selected(&fixtures[i], only, major))
			continue;
		snprintf(names[i], sizeof(names[i]), "verify_%.*s", (int)sizeof(fixtures[i].name),
			 fixtures[i].name);
		tests[n++] = (struct CMUnitTest){
		    .name = names[i], .test_func = test_fixture, .initial_state = &fixtures[i]};
	}
	if (major == 15 && !only) {
		tests[n++] = (struct CMUnitTest){.name = "rows", .test_func = test_rows};
		tests[n++] = (struct CMUnitTest){.name = "throwaway_server",
						 .test_func = test_throwaway_server};
		tests[n++] = (struct CMUnitTest){.name = "wrong_plans", .test_func = test_wrong_plans};
	}
	return _cmocka_run_group_tests("verify", tests, n, group_setup, group_teardown);
}
