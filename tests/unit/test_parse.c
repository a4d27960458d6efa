/*
 * parse: statement spans (first token to last token, no semicolon, no
 * surrounding comments), and the statement-by-statement fallback that keeps
 * one syntax error from hiding the rest of the file.
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

#include "core/parse.h"

struct fixture {
	struct pgs_arena arena;
	struct pgs_parsed parsed;
	const char *text;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	pgs_arena_init(&f->arena);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pgs_arena_release(&f->arena);
	free(f);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pg_query_exit();
	return 0;
}

static const struct pgs_parsed *parse(struct fixture *f, const char *text)
{
	memset(&f->parsed, 0, sizeof(f->parsed));
	f->text = text;
	pgs_parse(&f->parsed, &f->arena, text, (uint32_t)strlen(text));
	return &f->parsed;
}

/* Offset of the n-th (0-based) occurrence of needle in the parsed text. */
static uint32_t at(const struct fixture *f, const char *needle, int nth)
{
	const char *p = f->text;

	for (;;) {
		p = strstr(p, needle);
		if (!p)
			fail_msg("\"%s\" not in the text", needle);
		if (nth-- == 0)
			return (uint32_t)(p - f->text);
		p++;
	}
}

/* The statement's span must cover exactly want. */
static void check_span(const struct fixture *f, size_t i, const char *want, int nth)
{
	const struct pgs_stmt *s = &f->parsed.stmts[i];
	uint32_t start = at(f, want, nth);
	uint32_t end = start + (uint32_t)strlen(want);

	if (s->span.start != start || s->span.end != end)
		fail_msg("statement %zu: span [%u,%u) \"%.*s\", want [%u,%u) \"%s\"", i,
			 s->span.start, s->span.end, (int)(s->span.end - s->span.start),
			 f->text + s->span.start, start, end, want);
}

static void test_spans(void **state)
{
	struct fixture *f = *state;
	const struct pgs_parsed *p = parse(f, "-- lead; comment\n  select 1;\n"
					      "/* c; */ create table t (c int) ; -- tail\n"
					      "\n  select 2\n;\n");

	assert_int_equal(p->n_stmts, 3);
	check_span(f, 0, "select 1", 0);
	check_span(f, 1, "create table t (c int)", 0);
	check_span(f, 2, "select 2", 0);
	assert_int_equal(p->stmts[0].raw_start, 0);
	assert_int_equal(p->stmts[1].raw_start, at(f, "select 1;", 0) + 9);
	assert_int_equal(p->stmts[2].raw_start, at(f, "int) ;", 0) + 6);
	for (size_t i = 0; i < 3; i++) {
		assert_non_null(p->stmts[i].node);
		assert_null(p->stmts[i].error);
	}
	assert_int_equal(p->stmts[0].node->node_case, PG_QUERY__NODE__NODE_SELECT_STMT);
	assert_int_equal(p->stmts[1].node->node_case, PG_QUERY__NODE__NODE_CREATE_STMT);
	assert_int_equal(p->stmts[2].node->node_case, PG_QUERY__NODE__NODE_SELECT_STMT);

	/* node locations map back to source offsets */
	const PgQuery__CreateStmt *cs = p->stmts[1].node->create_stmt;
	assert_string_equal(cs->relation->relname, "t");
	assert_int_equal(pgs_stmt_offset(&p->stmts[1], cs->relation->location),
			 at(f, "t (c int)", 0));
	assert_int_equal(pgs_stmt_offset(&p->stmts[1], -1), p->stmts[1].span.start);
}

static void test_last_statement_without_semicolon(void **state)
{
	struct fixture *f = *state;
	const struct pgs_parsed *p = parse(f, "select 1;\nselect 2 -- tail; not code\n");

	assert_int_equal(p->n_stmts, 2);
	check_span(f, 0, "select 1", 0);
	check_span(f, 1, "select 2", 0);
	assert_non_null(p->stmts[1].node);

	p = parse(f, "select 3 /* tail */");
	assert_int_equal(p->n_stmts, 1);
	check_span(f, 0, "select 3", 0);
	assert_non_null(p->stmts[0].node);
}

static void test_syntax_error_in_the_middle(void **state)
{
	struct fixture *f = *state;
	const struct pgs_parsed *p = parse(f, "select 1; selec 2; select 3;");

	assert_int_equal(p->n_stmts, 3);
	check_span(f, 0, "select 1", 0);
	check_span(f, 1, "selec 2", 0);
	check_span(f, 2, "select 3", 0);
	assert_non_null(p->stmts[0].node);
	assert_null(p->stmts[0].error);
	assert_null(p->stmts[1].node);
	assert_non_null(p->stmts[1].error);
	assert_string_equal(p->stmts[1].error, "syntax error at or near \"selec\"");
	assert_int_equal(p->stmts[1].error_offset, 10);
	assert_non_null(p->stmts[2].node);
	assert_null(p->stmts[2].error);
	assert_int_equal(p->stmts[2].node->node_case, PG_QUERY__NODE__NODE_SELECT_STMT);

	/* node locations of the statements after the error still map back */
	const PgQuery__SelectStmt *sel = p->stmts[2].node->select_stmt;
	assert_int_equal(sel->n_target_list, 1);
	const PgQuery__ResTarget *rt = sel->target_list[0]->res_target;
	assert_int_equal(pgs_stmt_offset(&p->stmts[2], rt->location), at(f, "3", 0));
}

static void test_syntax_error_after_multibyte(void **state)
{
	struct fixture *f = *state;
	/* 'é€' then an alias, then a stray word: the error is at "t" */
	const struct pgs_parsed *p =
	    parse(f, "select '\xe2\x82\xac';\nselect '\xc3\xa9\xe2\x82\xac' x t;\n");

	assert_int_equal(p->n_stmts, 2);
	assert_non_null(p->stmts[0].node);
	assert_null(p->stmts[1].node);
	assert_string_equal(p->stmts[1].error, "syntax error at or near \"t\"");
	assert_int_equal(p->stmts[1].error_offset, at(f, " t;", 0) + 1);

	/* the same with the error in the first statement and text after it */
	p = parse(f, "select '\xf0\x9f\x98\x80' as a b;\nselect 2;");
	assert_int_equal(p->n_stmts, 2);
	assert_null(p->stmts[0].node);
	assert_string_equal(p->stmts[0].error, "syntax error at or near \"b\"");
	assert_int_equal(p->stmts[0].error_offset, at(f, "b;", 0));
	assert_non_null(p->stmts[1].node);
}

static void test_unterminated_string_at_end(void **state)
{
	struct fixture *f = *state;
	const struct pgs_parsed *p = parse(f, "select 1;\nselect 'abc;\n");

	assert_int_equal(p->n_stmts, 2);
	assert_non_null(p->stmts[0].node);
	assert_null(p->stmts[1].node);
	assert_int_equal(p->stmts[1].span.start, at(f, "select 'abc", 0));
	assert_int_equal(p->stmts[1].span.end, strlen(f->text));
	assert_non_null(p->stmts[1].error);
	assert_non_null(strstr(p->stmts[1].error, "unterminated quoted string"));
	assert_int_equal(p->stmts[1].error_offset, at(f, "'abc", 0));
}

static void test_empty_and_comment_only(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "")->n_stmts, 0);
	assert_int_equal(parse(f, "  \n\t\n")->n_stmts, 0);
	assert_int_equal(parse(f, "-- one\n/* two; */\n-- three")->n_stmts, 0);
	assert_int_equal(parse(f, ";;\n;")->n_stmts, 0);
}

static void test_appends(void **state)
{
	struct fixture *f = *state;
	const char *a = "select 1; select 2;";
	const char *b = "select 3";

	/* pgs_parse appends to out */
	memset(&f->parsed, 0, sizeof(f->parsed));
	pgs_parse(&f->parsed, &f->arena, a, (uint32_t)strlen(a));
	pgs_parse(&f->parsed, &f->arena, b, (uint32_t)strlen(b));
	assert_int_equal(f->parsed.n_stmts, 3);
	assert_int_equal(f->parsed.stmts[2].span.start, 0);
	assert_int_equal(f->parsed.stmts[2].span.end, 8);
}

static void test_many_statements(void **state)
{
	struct fixture *f = *state;
	/* more than one parse batch (64 KiB), with an error far into it */
	size_t n = 6000, cap = n * 40;
	char *text = malloc(cap);
	size_t len = 0;

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%sselect %zu as c;\n",
					i == 4321 ? "x" : "", i);
	const struct pgs_parsed *p = parse(f, text);
	assert_int_equal(p->n_stmts, n);
	for (size_t i = 0; i < n; i++) {
		const struct pgs_stmt *s = &p->stmts[i];
		char want[40];

		snprintf(want, sizeof(want), "%sselect %zu as c", i == 4321 ? "x" : "", i);
		assert_int_equal(s->span.end - s->span.start, strlen(want));
		assert_memory_equal(text + s->span.start, want, strlen(want));
		if (i == 4321) {
			assert_null(s->node);
			assert_string_equal(s->error, "syntax error at or near \"xselect\"");
			assert_int_equal(s->error_offset, s->span.start);
		} else {
			assert_non_null(s->node);
			const PgQuery__ResTarget *rt =
			    s->node->select_stmt->target_list[0]->res_target;
			/* "select " is 7 bytes: the target starts right after it */
			assert_int_equal(pgs_stmt_offset(s, rt->location), s->span.start + 7);
		}
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_spans, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_last_statement_without_semicolon, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syntax_error_in_the_middle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syntax_error_after_multibyte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unterminated_string_at_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_and_comment_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_appends, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_statements, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
