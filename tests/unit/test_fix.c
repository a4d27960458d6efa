/*
 * fix: choosing and applying the fixes of a file's findings. Overlapping
 * fixes: the lower rule id wins, whole fixes only; the choice costs about
 * n log n in the number of fixes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lint/fix.h"
#include "lint/rule.h"

static const struct pgs_rule low = {.id = "M100", .name = "low"};
static const struct pgs_rule high = {.id = "M200", .name = "high"};

/* A report on text whose findings are added by add_fix. */
static void report_init(struct pgs_file_report *r, const char *text)
{
	struct pgs_error err;

	memset(r, 0, sizeof(*r));
	pgs_arena_init(&r->arena);
	assert_int_equal(
	    pgs_source_from_memory(&r->src, &r->arena, "m.sql", text, strlen(text), &err), 0);
}

/* A finding of rule whose fix replaces [start, end) by text (and more edits after). */
static struct pgs_fix *add_fix(struct pgs_file_report *r, const struct pgs_rule *rule,
			       uint32_t start, uint32_t end, const char *text)
{
	struct pgs_diag *d = pgs_arena_push(&r->arena, (void **)&r->diags.items, &r->diags.n,
					    &r->diags.cap, sizeof(*d));
	d->rule = rule;
	d->message = "m";
	d->span = (struct pgs_span){start, end};
	d->fix = pgs_arena_alloc(&r->arena, sizeof(*d->fix));
	d->fix->title = "t";
	d->fix->safe = true;
	struct pgs_edit *e = pgs_arena_push(&r->arena, (void **)&d->fix->edits, &d->fix->n_edits,
					    &d->fix->cap, sizeof(*e));
	e->span = (struct pgs_span){start, end};
	e->text = text;
	return d->fix;
}

static void add_edit(struct pgs_file_report *r, struct pgs_fix *f, uint32_t start, uint32_t end,
		     const char *text)
{
	struct pgs_edit *e =
	    pgs_arena_push(&r->arena, (void **)&f->edits, &f->n_edits, &f->cap, sizeof(*e));
	e->span = (struct pgs_span){start, end};
	e->text = text;
}

static void test_lower_rule_id_wins(void **state)
{
	struct pgs_file_report r;
	bool applied[3];
	size_t n;
	(void)state;

	report_init(&r, "CREATE INDEX i ON t (x);");
	add_fix(&r, &high, 7, 12, "HIGH"); /* reported first, loses the overlap */
	add_fix(&r, &low, 0, 12, "LOW");
	add_fix(&r, &high, 23, 23, " -- ok"); /* no overlap: applied too */
	char *out = pgs_fix_apply(&r, false, applied, &n);
	assert_string_equal(out, "LOW i ON t (x) -- ok;");
	assert_int_equal(n, 2);
	assert_false(applied[0]);
	assert_true(applied[1]);
	assert_true(applied[2]);
	free(out);
	pgs_file_report_release(&r);
}

static void test_whole_fixes_only(void **state)
{
	struct pgs_file_report r;
	bool applied[2];
	size_t n;
	(void)state;

	/* the second edit of the high fix overlaps the low fix: none of it is applied */
	report_init(&r, "abcdefghij");
	struct pgs_fix *f = add_fix(&r, &high, 0, 1, "A");
	add_edit(&r, f, 6, 8, "GH");
	add_fix(&r, &low, 7, 9, "HI");
	char *out = pgs_fix_apply(&r, false, applied, &n);
	assert_string_equal(out, "abcdefgHIj");
	assert_int_equal(n, 1);
	assert_false(applied[0]);
	assert_true(applied[1]);
	free(out);
	pgs_file_report_release(&r);
}

static void test_insertions(void **state)
{
	struct pgs_file_report r;
	bool applied[3];
	size_t n;
	(void)state;

	/* two insertions at one point: their order would be a guess, the first rule wins;
	 * an insertion where a replacement starts does not overlap it */
	report_init(&r, "abc");
	add_fix(&r, &high, 1, 1, "X");
	add_fix(&r, &low, 1, 1, "Y");
	add_fix(&r, &high, 1, 2, "B");
	char *out = pgs_fix_apply(&r, false, applied, &n);
	assert_string_equal(out, "aYBc");
	assert_int_equal(n, 2);
	assert_false(applied[0]);
	free(out);
	pgs_file_report_release(&r);
}

/* 40,000 fixes of two rules, interleaved: was quadratic (20,000 took 7 s). */
static void test_many_fixes(void **state)
{
	enum { N = 40000 };
	struct pgs_file_report r;
	char *text = malloc(N * 2 + 1);
	bool *applied = malloc(N);
	size_t n;
	(void)state;

	memset(text, 'x', N * 2);
	text[N * 2] = '\0';
	report_init(&r, text);
	for (uint32_t i = 0; i < N; i++)
		add_fix(&r, i % 2 ? &low : &high, 2 * i, 2 * i + 1, "y");
	clock_t start = clock();
	char *out = pgs_fix_apply(&r, false, applied, &n);
	double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_int_equal(n, N);
	assert_int_equal(out[0], 'y');
	assert_int_equal(out[1], 'x');
	assert_true(seconds < 1.0);
	free(out);
	free(applied);
	free(text);
	pgs_file_report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lower_rule_id_wins),
	    cmocka_unit_test(test_whole_fixes_only),
	    cmocka_unit_test(test_insertions),
	    cmocka_unit_test(test_many_fixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
