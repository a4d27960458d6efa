/*
 * guard: what the planner knows about running a statement again. Statements
 * kept as written get a marker (a catalog query true once they ran) when
 * they leave a trace and would fail or repeat when run again; statements
 * that are harmless run again get none; typmods are those the server
 * stores. (The predicates themselves run on a real server in the plan proof
 * and tests/integration/test_quote_pg.c covers their quoting.)
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
#include <pg_query.h>

#include "core/model.h"
#include "planner/down.h"
#include "planner/guard.h"

struct fixture {
	struct pgs_arena arena;
	struct pgs_model model;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	pgs_arena_init(&f->arena);
	pgs_model_init(&f->model);
	/* what existed before the history (file 0: context) */
	pgs_model_begin_file(&f->model, 0);
	const char *schema = "CREATE TABLE t (id bigint PRIMARY KEY, a int)";
	PgQuery__Node *n = pgs_plan_parse_one(&f->arena, schema);
	pgs_model_apply(&f->model, n, 0);
	pgs_model_begin_file(&f->model, 1);
	n = pgs_plan_parse_one(&f->arena, "CREATE TABLE fresh (id int)");
	pgs_model_apply(&f->model, n, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pgs_model_release(&f->model);
	pgs_arena_release(&f->arena);
	free(f);
	pg_query_exit();
	return 0;
}

static struct pgs_guard guard_of(struct fixture *f, const char *sql)
{
	PgQuery__Node *n = pgs_plan_parse_one(&f->arena, sql);

	assert_non_null(n);
	return pgs_guard_statement(&f->arena, &f->model, n);
}

static void expect(struct fixture *f, const char *sql, const char *marker, bool rerun_safe)
{
	struct pgs_guard g = guard_of(f, sql);

	if (marker) {
		assert_non_null(g.marker);
		assert_string_equal(g.marker, marker);
	} else {
		assert_null(g.marker);
	}
	assert_int_equal(g.rerun_safe, rerun_safe);
}

static void test_creates_leave_a_marker(void **state)
{
	struct fixture *f = *state;

	expect(f, "CREATE TABLE n (id int)", "to_regclass('n') IS NOT NULL", false);
	expect(f, "CREATE TABLE IF NOT EXISTS n (id int)", NULL, true);
	expect(f, "CREATE INDEX \"I x\" ON app.t (a)", "to_regclass('app.\"I x\"') IS NOT NULL",
	       false);
	/* PostgreSQL names it anew each time: run again, it makes a second index */
	expect(f, "CREATE INDEX ON t (a)", NULL, false);
	expect(f, "CREATE OR REPLACE VIEW v AS SELECT 1", NULL, true);
	expect(f, "ALTER TABLE t ADD COLUMN b text",
	       "EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('t') AND "
	       "attname = 'b' AND NOT attisdropped)",
	       false);
	expect(f, "ALTER TABLE t ADD COLUMN IF NOT EXISTS b text", NULL, true);
	expect(f, "ALTER TABLE t ADD CONSTRAINT \"it's\" CHECK (a > 0)",
	       "EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass('t') AND "
	       "conname = 'it''s')",
	       false);
	expect(f, "CREATE TYPE mood AS ENUM ('a')", "to_regtype('mood') IS NOT NULL", false);
	expect(f, "ALTER TYPE mood ADD VALUE 'b'",
	       "EXISTS (SELECT FROM pg_catalog.pg_enum WHERE enumtypid = to_regtype('mood') AND "
	       "enumlabel = 'b')",
	       false);
	expect(f, "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'b'", NULL, true);
}

static void test_drops_of_what_existed_before_leave_a_marker(void **state)
{
	struct fixture *f = *state;

	expect(f, "DROP TABLE t", "NOT to_regclass('t') IS NOT NULL", false);
	expect(f, "DROP TABLE IF EXISTS t", NULL, true);
	/* made by the history: gone before it too, so its absence shows nothing */
	expect(f, "DROP TABLE fresh", NULL, false);
	expect(f, "ALTER TABLE t DROP COLUMN a",
	       "NOT (EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('t') "
	       "AND attname = 'a' AND NOT attisdropped))",
	       false);
	expect(f, "ALTER TABLE t RENAME COLUMN a TO b",
	       "NOT (EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('t') "
	       "AND attname = 'a' AND NOT attisdropped)) AND EXISTS (SELECT FROM "
	       "pg_catalog.pg_attribute WHERE attrelid = to_regclass('t') AND attname = 'b' AND NOT "
	       "attisdropped)",
	       false);
}

static void test_harmless_again_or_unknown(void **state)
{
	struct fixture *f = *state;

	expect(f, "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", NULL, true);
	expect(f, "ALTER TABLE t ALTER COLUMN a TYPE bigint", NULL, true);
	/* a USING expression runs again on the converted values */
	expect(f, "ALTER TABLE t ALTER COLUMN a TYPE bigint USING a * 10", NULL, false);
	expect(f, "UPDATE t SET a = 1 WHERE id = 2", NULL, true);
	expect(f, "UPDATE t SET a = a + 1", NULL, false);
	expect(f, "DELETE FROM t WHERE a = 1", NULL, true);
	expect(f, "INSERT INTO t VALUES (1, 1)", NULL, false);
	expect(f, "INSERT INTO t VALUES (1, 1) ON CONFLICT DO NOTHING", NULL, true);
	expect(f, "COMMENT ON TABLE t IS 'x'", NULL, true);
	expect(f, "DO $$ BEGIN END $$", NULL, false);
}

static void test_typmods(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *type;
		int typmod;
	} cases[] = {
		{"bigint", -1},	       {"varchar(20)", 24},	{"char(5)", 9},
		{"char", 5},	       {"numeric(10,2)", 655366}, {"numeric(7)", 458756},
		{"timestamp(3)", 3},   {"timestamptz(0)", 0},	{"bit(8)", 8},
		{"interval(2)", -2},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT NULL::%s", cases[i].type);
		PgQuery__Node *n = pgs_plan_parse_one(&f->arena, sql);
		assert_non_null(n);
		const PgQuery__TypeCast *cast =
			n->select_stmt->target_list[0]->res_target->val->type_cast;
		assert_int_equal(pgs_guard_typmod(cast->type_name), cases[i].typmod);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creates_leave_a_marker),
		cmocka_unit_test(test_drops_of_what_existed_before_leave_a_marker),
		cmocka_unit_test(test_harmless_again_or_unknown),
		cmocka_unit_test(test_typmods),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
