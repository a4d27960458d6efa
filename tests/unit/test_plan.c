/*
 * plan: the invariants pgs_plan_check proves on every plan (one statement per
 * non-transactional stage, no empty stage, no generated step that rewrites or
 * scans an existing table while its transaction blocks writes), and the
 * 63-byte names the planner gives constraints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "planner/build.h"
#include "planner/plan.h"

static const struct pgs_plan_options opts = {"2s", "5min", "0", 1000};

/* A step with one effect on public.t (verbatim steps are the user's own). */
static void step(struct pgs_plan *plan, const char *sql, enum pgs_lock lock, bool scan,
		 bool rewrite, bool verbatim)
{
	struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];
	struct pgs_plan_step *s = pgs_arena_push(&plan->arena, (void **)&st->steps, &st->n_steps,
						 &st->cap_steps, sizeof(*s));
	struct pgs_effect *e = pgs_arena_alloc(&plan->arena, sizeof(*e));

	e->relation = "public.t";
	e->lock = lock;
	e->scan = scan;
	e->rewrite = rewrite;
	s->sql = sql;
	s->verbatim = verbatim;
	s->path = "m.sql";
	s->effects = e;
	s->n_effects = 1;
	s->effects_known = true;
}

static void test_scan_under_access_exclusive_fails(void **state)
{
	struct pgs_plan plan;
	struct pgs_error err;

	(void)state;
	pgs_plan_init(&plan, &opts);
	pgs_plan_stage(&plan, PGS_STAGE_TRANSACTIONAL, "why", "locks");
	step(&plan, "ALTER TABLE t ALTER COLUMN c SET NOT NULL", PGS_LOCK_ACCESS_EXCLUSIVE, true,
	     false, false);
	assert_int_equal(pgs_plan_check(&plan, &err), -1);
	assert_string_equal(err.message, "plan stage 1: a generated step scans public.t under "
					 "ACCESS EXCLUSIVE: ALTER TABLE t ALTER COLUMN c SET NOT NULL");
	pgs_plan_release(&plan);
}

static void test_scan_after_strong_lock_in_same_stage_fails(void **state)
{
	struct pgs_plan plan;
	struct pgs_error err;

	(void)state;
	pgs_plan_init(&plan, &opts);
	pgs_plan_stage(&plan, PGS_STAGE_TRANSACTIONAL, "why", "locks");
	step(&plan, "ALTER TABLE t ADD CONSTRAINT k CHECK (c > 0) NOT VALID",
	     PGS_LOCK_ACCESS_EXCLUSIVE, false, false, false);
	step(&plan, "ALTER TABLE t VALIDATE CONSTRAINT k", PGS_LOCK_SHARE_UPDATE_EXCLUSIVE, true,
	     false, false);
	assert_int_equal(pgs_plan_check(&plan, &err), -1);
	assert_string_equal(err.message, "plan stage 1: a generated step scans public.t under "
					 "ACCESS EXCLUSIVE: ALTER TABLE t VALIDATE CONSTRAINT k");
	pgs_plan_release(&plan);
}

static void test_validate_in_its_own_stage_passes(void **state)
{
	struct pgs_plan plan;
	struct pgs_error err;

	(void)state;
	pgs_plan_init(&plan, &opts);
	pgs_plan_stage(&plan, PGS_STAGE_TRANSACTIONAL, "why", "locks");
	step(&plan, "ALTER TABLE t ADD CONSTRAINT k CHECK (c > 0) NOT VALID",
	     PGS_LOCK_ACCESS_EXCLUSIVE, false, false, false);
	pgs_plan_stage(&plan, PGS_STAGE_TRANSACTIONAL, "why", "locks");
	step(&plan, "ALTER TABLE t VALIDATE CONSTRAINT k", PGS_LOCK_SHARE_UPDATE_EXCLUSIVE, true,
	     false, false);
	assert_int_equal(pgs_plan_check(&plan, &err), 0);
	pgs_plan_release(&plan);
}

static void test_verbatim_rewrite_is_the_users_and_noted_elsewhere(void **state)
{
	struct pgs_plan plan;
	struct pgs_error err;

	(void)state;
	pgs_plan_init(&plan, &opts);
	pgs_plan_stage(&plan, PGS_STAGE_TRANSACTIONAL, "why", "locks");
	step(&plan, "VACUUM FULL t", PGS_LOCK_ACCESS_EXCLUSIVE, false, true, true);
	assert_int_equal(pgs_plan_check(&plan, &err), 0);
	pgs_plan_release(&plan);
}

static void test_non_transactional_stage_holds_one_statement(void **state)
{
	struct pgs_plan plan;
	struct pgs_error err;

	(void)state;
	pgs_plan_init(&plan, &opts);
	pgs_plan_stage(&plan, PGS_STAGE_NON_TRANSACTIONAL, "why", "locks");
	step(&plan, "CREATE INDEX CONCURRENTLY a ON t (c)", PGS_LOCK_SHARE_UPDATE_EXCLUSIVE, true,
	     false, false);
	step(&plan, "CREATE INDEX CONCURRENTLY b ON t (c)", PGS_LOCK_SHARE_UPDATE_EXCLUSIVE, true,
	     false, false);
	assert_int_equal(pgs_plan_check(&plan, &err), -1);
	assert_string_equal(err.message,
			    "plan stage 1: a non-transactional stage holds 2 statements, not one");
	pgs_plan_release(&plan);
}

static void test_names_are_cut_like_postgresql(void **state)
{
	struct pgs_arena a;
	char table[80];

	(void)state;
	pgs_arena_init(&a);
	assert_string_equal(pgs_build_name(&a, "users", "email", "not_null"),
			    "users_email_not_null");
	/* the longer part loses bytes until the name fits in 63 */
	memset(table, 't', 70);
	table[70] = '\0';
	const char *name = pgs_build_name(&a, table, "email", "key");
	assert_int_equal(strlen(name), 63);
	assert_string_equal(name + 53, "_email_key");
	/* never in the middle of a UTF-8 character: "é" is two bytes; 53 bytes are
	 * left for "x" and the "é"s, and the 53rd is the first half of one */
	char wide[80] = "x";
	for (int i = 0; i < 30; i++)
		memcpy(wide + 1 + 2 * i, "\xc3\xa9", 3); /* each copy brings the NUL along */
	name = pgs_build_name(&a, wide, "c", "not_null");
	assert_true(strlen(name) <= 63);
	assert_string_equal(name + strlen(name) - 11, "_c_not_null");
	assert_int_equal(strlen(name), 51 + 11);
	pgs_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_under_access_exclusive_fails),
		cmocka_unit_test(test_scan_after_strong_lock_in_same_stage_fails),
		cmocka_unit_test(test_validate_in_its_own_stage_passes),
		cmocka_unit_test(test_verbatim_rewrite_is_the_users_and_noted_elsewhere),
		cmocka_unit_test(test_non_transactional_stage_holds_one_statement),
		cmocka_unit_test(test_names_are_cut_like_postgresql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
