/*
 * render_files and down: file names and numbering, phases split at
 * checkpoints, the inverse of each kind of step, and writing that never
 * overwrites. Plans are built by hand here: no rewriter makes checkpoints yet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pg_query.h>

#include "planner/down.h"
#include "planner/render.h"

static const struct pgs_plan_options opts = {"2s", "5min", "0", 1000};

static void add_stage(struct pgs_plan *p, enum pgs_stage_kind kind, const char *why,
		      const char *path, const char *sql)
{
	struct pgs_plan_stage *st = pgs_plan_stage(p, kind, why, NULL);

	if (!sql)
		return;
	struct pgs_plan_step *step = pgs_arena_push(&p->arena, (void **)&st->steps, &st->n_steps,
						    &st->cap_steps, sizeof(*step));
	step->sql = sql;
	step->verbatim = true;
	step->path = path;
	step->line = 1;
}

static void assert_file(const struct pgs_plan_files *f, size_t i, const char *name, size_t phase)
{
	assert_true(i < f->n);
	if (name)
		assert_string_equal(f->items[i].name, name);
	else
		assert_null(f->items[i].name);
	assert_int_equal(f->items[i].phase, phase);
}

static void checkpoints_split_phases(void **state)
{
	struct pgs_plan p;
	struct pgs_plan_files f;
	struct pgs_error err;

	(void)state;
	pgs_plan_init(&p, &opts);
	add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, "db/0009_x.sql", "CREATE TABLE t (a int)");
	add_stage(&p, PGS_STAGE_CHECKPOINT, "deploy the code that writes t", NULL, NULL);
	add_stage(&p, PGS_STAGE_NON_TRANSACTIONAL, NULL, "db/0009_x.sql",
		  "CREATE INDEX CONCURRENTLY t_a ON t (a)");
	add_stage(&p, PGS_STAGE_CHECKPOINT, "deploy the code that reads t.a", NULL, NULL);
	add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, "db/0010_y.sql",
		  "ALTER TABLE t ADD COLUMN b int");
	assert_int_equal(pgs_plan_files(&f, &p.arena, &p, PGS_TOOL_GOOSE, "db/0009_x.sql", &err), 0);
	assert_true(f.phased);
	assert_int_equal(f.n, 5);
	assert_file(&f, 0, "phase-1/0009_x_1_create_table.sql", 1);
	assert_file(&f, 1, NULL, 2); /* the checkpoint says which phase follows */
	assert_string_equal(f.items[1].text, "deploy the code that writes t");
	assert_int_equal(f.items[1].stage, 1);
	/* numbering goes on across phases; each file takes its own input's name */
	assert_file(&f, 2, "phase-2/0010_x_3_create_index.sql", 2);
	assert_file(&f, 3, NULL, 3);
	assert_file(&f, 4, "phase-3/0011_y_5_add_column.sql", 3);
	assert_non_null(strstr(f.items[2].text, "-- +goose NO TRANSACTION\n-- +goose Up\n"));

	/* what the user reads on standard output */
	char *listing = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&listing, &len);
	pgs_plan_files_list(out, &f, &p, "db/new/");
	fclose(out);
	assert_string_equal(listing,
			    "db/new/phase-1/0009_x_1_create_table.sql\n"
			    "checkpoint (stage 2/5): deploy the code that writes t\n"
			    "  deploy the application change, then apply db/new/phase-2/\n"
			    "db/new/phase-2/0010_x_3_create_index.sql\n"
			    "checkpoint (stage 4/5): deploy the code that reads t.a\n"
			    "  deploy the application change, then apply db/new/phase-3/\n"
			    "db/new/phase-3/0011_y_5_add_column.sql\n");
	free(listing);
	pgs_plan_release(&p);
}

static void leading_checkpoint_makes_no_empty_phase(void **state)
{
	struct pgs_plan p;
	struct pgs_plan_files f;
	struct pgs_error err;

	(void)state;
	pgs_plan_init(&p, &opts);
	add_stage(&p, PGS_STAGE_CHECKPOINT, "deploy first", NULL, NULL);
	add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, "a.sql", "CREATE TABLE t (a int)");
	assert_int_equal(pgs_plan_files(&f, &p.arena, &p, PGS_TOOL_PLAIN, "a.sql", &err), 0);
	assert_int_equal(f.n, 2);
	assert_file(&f, 0, NULL, 1);
	assert_file(&f, 1, "phase-1/1_a_2_create_table.sql", 1);
	pgs_plan_release(&p);

	/* a last checkpoint: nothing follows it */
	pgs_plan_init(&p, &opts);
	add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, "a.sql", "CREATE TABLE t (a int)");
	add_stage(&p, PGS_STAGE_CHECKPOINT, NULL, NULL, NULL);
	assert_int_equal(pgs_plan_files(&f, &p.arena, &p, PGS_TOOL_PLAIN, "a.sql", &err), 0);
	char *listing = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&listing, &len);
	pgs_plan_files_list(out, &f, &p, "out");
	fclose(out);
	assert_string_equal(listing, "out/phase-1/1_a_1_create_table.sql\n"
				     "checkpoint (stage 2/2): application code must be deployed before going on\n"
				     "  deploy the application change; no file follows\n");
	free(listing);
	pgs_plan_release(&p);
}

static void numbers_widen_to_keep_name_order(void **state)
{
	struct pgs_plan p;
	struct pgs_plan_files f;
	struct pgs_error err;

	(void)state;
	pgs_plan_init(&p, &opts);
	for (int i = 0; i < 3; i++)
		add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, "9-add thing.sql", "SELECT 1");
	assert_int_equal(pgs_plan_files(&f, &p.arena, &p, PGS_TOOL_DBMATE, "9-add thing.sql", &err),
			 0);
	assert_false(f.phased);
	assert_file(&f, 0, "09_add_thing_1_select.sql", 1);
	assert_file(&f, 2, "11_add_thing_3_select.sql", 1);
	pgs_plan_release(&p);

	/* flyway's V<n>__ prefix; standard input has no name */
	pgs_plan_init(&p, &opts);
	add_stage(&p, PGS_STAGE_NON_TRANSACTIONAL, NULL, "V3__idx.sql",
		  "CREATE INDEX CONCURRENTLY i ON t (a)");
	add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, "-", "SELECT 1");
	assert_int_equal(pgs_plan_files(&f, &p.arena, &p, PGS_TOOL_FLYWAY, "V3__idx.sql", &err), 0);
	assert_int_equal(f.n, 3);
	assert_file(&f, 0, "V3__idx_1_create_index.sql", 1);
	assert_file(&f, 1, "V3__idx_1_create_index.sql.conf", 1);
	assert_string_equal(f.items[1].text, "executeInTransaction=false\n");
	assert_file(&f, 2, "V4__migration_2_select.sql", 1);
	pgs_plan_release(&p);
}

/* diesel: a directory per stage named from the input's directory; sqlx: the marker first */
static void diesel_and_sqlx_files(void **state)
{
	struct pgs_plan p;
	struct pgs_plan_files f;
	struct pgs_error err;
	const char *in = "migrations/2024-01-02-030405_add_idx/up.sql";

	(void)state;
	pgs_plan_init(&p, &opts);
	add_stage(&p, PGS_STAGE_NON_TRANSACTIONAL, NULL, in, "CREATE INDEX CONCURRENTLY i ON t (a)");
	add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, in, "ALTER TABLE t ADD COLUMN b int");
	assert_int_equal(pgs_plan_files(&f, &p.arena, &p, PGS_TOOL_DIESEL, in, &err), 0);
	assert_int_equal(f.n, 5);
	assert_file(&f, 0, "20240102030405_add_idx_1_create_index/up.sql", 1);
	assert_file(&f, 1, "20240102030405_add_idx_1_create_index/down.sql", 1);
	assert_file(&f, 2, "20240102030405_add_idx_1_create_index/metadata.toml", 1);
	assert_string_equal(f.items[2].text, "run_in_transaction = false\n");
	/* diesel runs it in a transaction: no metadata.toml, SET LOCAL, no BEGIN of its own */
	assert_file(&f, 3, "20240102030406_add_idx_2_add_column/up.sql", 1);
	assert_file(&f, 4, "20240102030406_add_idx_2_add_column/down.sql", 1);
	assert_non_null(strstr(f.items[3].text, "SET LOCAL lock_timeout = '2s';\n"));
	assert_null(strstr(f.items[3].text, "BEGIN"));
	/* outside a transaction: the statement alone, no SET that would make it a block */
	assert_null(strstr(f.items[0].text, "SET "));
	assert_non_null(strstr(f.items[0].text, "CREATE INDEX CONCURRENTLY i ON t (a);\n"));

	assert_int_equal(pgs_plan_files(&f, &p.arena, &p, PGS_TOOL_SQLX, "20240102030405_x.sql", &err),
			 0);
	assert_int_equal(f.n, 4);
	assert_file(&f, 0, "20240102030405_add_idx_1_create_index.up.sql", 1);
	assert_file(&f, 1, "20240102030405_add_idx_1_create_index.down.sql", 1);
	/* sqlx reads "-- no-transaction" from the first bytes only, of each file */
	assert_int_equal(strncmp(f.items[0].text, "-- no-transaction\n", 18), 0);
	assert_int_equal(strncmp(f.items[1].text, "-- no-transaction\n", 18), 0);
	assert_file(&f, 2, "20240102030406_add_idx_2_add_column.up.sql", 1);
	assert_null(strstr(f.items[2].text, "no-transaction"));
	assert_null(strstr(f.items[3].text, "no-transaction"));
	pgs_plan_release(&p);
}

/* The down of a one-step stage; its steps' comments and SQL joined by newlines. */
static const char *down_of(struct pgs_plan *p, enum pgs_stage_kind kind, const char *sql)
{
	struct pgs_down d;
	struct pgs_error err;
	char *out = pgs_arena_strdup(&p->arena, "");

	add_stage(p, kind, NULL, "m.sql", sql);
	if (pgs_plan_down(&d, &p->arena, p, p->n_stages - 1, &err) < 0)
		fail_msg("%s", err.message);
	for (size_t i = 0; i < d.n; i++)
		out = pgs_arena_printf(&p->arena, "%s%s%s%s%s", out, *out ? "\n" : "",
				       d.steps[i].comment ? d.steps[i].comment : "",
				       d.steps[i].comment && d.steps[i].sql ? "\n" : "",
				       d.steps[i].sql ? d.steps[i].sql : "");
	return out;
}

static void inverses(void **state)
{
	struct pgs_plan p;

	(void)state;
	pgs_plan_init(&p, &opts);
	/* CONCURRENTLY only where the stage runs outside a transaction */
	assert_string_equal(down_of(&p, PGS_STAGE_TRANSACTIONAL, "CREATE INDEX i ON s.t (a)"),
			    "DROP INDEX IF EXISTS s.i");
	assert_string_equal(
		down_of(&p, PGS_STAGE_NON_TRANSACTIONAL, "CREATE INDEX CONCURRENTLY \"I x\" ON t (a)"),
		"DROP INDEX CONCURRENTLY IF EXISTS \"I x\"");
	assert_string_equal(down_of(&p, PGS_STAGE_TRANSACTIONAL,
				    "-- a comment\nCREATE TABLE \"T\" (id int PRIMARY KEY)"),
			    "DROP TABLE IF EXISTS \"T\"");
	/* the actions of one ALTER TABLE undone in reverse order */
	assert_string_equal(
		down_of(&p, PGS_STAGE_TRANSACTIONAL,
			"ALTER TABLE t ADD COLUMN a int, ADD CONSTRAINT \"A pos\" CHECK (a > 0), "
			"ALTER COLUMN b SET DEFAULT 1, ALTER COLUMN b SET NOT NULL"),
		"ALTER TABLE t ALTER COLUMN b DROP NOT NULL, ALTER COLUMN b DROP DEFAULT, DROP "
		"CONSTRAINT IF EXISTS \"A pos\", DROP IF EXISTS a");
	assert_string_equal(down_of(&p, PGS_STAGE_TRANSACTIONAL,
				    "ALTER TABLE t VALIDATE CONSTRAINT c"),
			    "nothing to undo: ALTER TABLE t VALIDATE CONSTRAINT c");
	assert_string_equal(down_of(&p, PGS_STAGE_BACKFILL, "DO $$BEGIN COMMIT; END$$"),
			    "nothing to undo: the backfill only filled in values of existing rows");
	pgs_plan_release(&p);
}

static void dropped_check_of_this_plan_comes_back_not_valid(void **state)
{
	struct pgs_plan p;

	(void)state;
	pgs_plan_init(&p, &opts);
	add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, "m.sql",
		  "ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID");
	add_stage(&p, PGS_STAGE_TRANSACTIONAL, NULL, "m.sql", "ALTER TABLE t VALIDATE CONSTRAINT t_a_nn");
	assert_string_equal(down_of(&p, PGS_STAGE_TRANSACTIONAL,
				    "ALTER TABLE t DROP CONSTRAINT t_a_nn"),
			    "ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID");
	/* a constraint the plan did not add: its definition is unknown */
	const char *other = down_of(&p, PGS_STAGE_TRANSACTIONAL, "ALTER TABLE t DROP CONSTRAINT u");
	assert_non_null(strstr(other, "no known inverse: ALTER TABLE t DROP CONSTRAINT u (m.sql:1)"));
	pgs_plan_release(&p);
}

static void no_inverse_raises_naming_the_statement(void **state)
{
	struct pgs_plan p;

	(void)state;
	pgs_plan_init(&p, &opts);
	const char *d = down_of(&p, PGS_STAGE_TRANSACTIONAL,
				"-- why\nUPDATE t\n   SET note = 'it''s'\n WHERE a > 0");
	assert_string_equal(
		d, "no known inverse: UPDATE t SET note = 'it''s' WHERE a > 0 (m.sql:1)\n"
		   "DO $$\nBEGIN\n  RAISE EXCEPTION USING MESSAGE = 'pgstage: no down migration for "
		   "UPDATE t SET note = ''it''''s'' WHERE a > 0 (m.sql:1)',\n    HINT = 'write this "
		   "down migration by hand';\nEND\n$$");
	/* an unnamed constraint: PostgreSQL chose its name, so the down can't know it */
	assert_non_null(strstr(down_of(&p, PGS_STAGE_TRANSACTIONAL, "ALTER TABLE t ADD CHECK (a > 0)"),
			       "RAISE EXCEPTION"));
	pgs_plan_release(&p);
}

static void write_never_overwrites(void **state)
{
	char dir[] = "/tmp/pgstage-files-XXXXXX";
	struct pgs_plan_file items[] = {
		{"phase-1/1_a.sql", "one\n", 1, 0},
		{NULL, "deploy", 2, 1},
		{"phase-2/2_a.sql", "two\n", 2, 2},
	};
	struct pgs_plan_files f = {items, 3, 3, true};
	struct pgs_error err;
	char path[256];
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir); /* missing: created with its phases */
	assert_int_equal(pgs_plan_files_write(&f, path, &err), 0);
	snprintf(path, sizeof(path), "%s/out/phase-2/2_a.sql", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	char buf[16] = {0};
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "two\n");
	/* again: the first file exists, so nothing is written and the message names it */
	snprintf(path, sizeof(path), "%s/out/phase-2/2_a.sql", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/out", dir);
	assert_int_equal(pgs_plan_files_write(&f, path, &err), -1);
	snprintf(path, sizeof(path), "%s/out/phase-1/1_a.sql exists", dir);
	assert_non_null(strstr(err.message, path));
	snprintf(path, sizeof(path), "%s/out/phase-2/2_a.sql", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checkpoints_split_phases),
		cmocka_unit_test(diesel_and_sqlx_files),
		cmocka_unit_test(leading_checkpoint_makes_no_empty_phase),
		cmocka_unit_test(numbers_widen_to_keep_name_order),
		cmocka_unit_test(inverses),
		cmocka_unit_test(dropped_check_of_this_plan_comes_back_not_valid),
		cmocka_unit_test(no_inverse_raises_naming_the_statement),
		cmocka_unit_test(write_never_overwrites),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	pg_query_exit();
	return rc;
}
