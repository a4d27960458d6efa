/*
 * columns: built-in type resolution ("char" is not char(n), pg_catalog.varchar
 * is varchar, serial only unqualified), typmod text, and the token, name and
 * clause spans the column and design rules report on.
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

#include "core/arena.h"
#include "lint/columns.h"

static int group_teardown(void **state)
{
	(void)state;
	pg_query_exit();
	return 0;
}

/* The type of the first column of "CREATE TABLE t (c <type>)", resolved. */
static const char *builtin_of(struct pgs_arena *arena, const char *type, const char **mods)
{
	char sql[256];
	ProtobufCAllocator alloc = pgs_arena_protobuf_allocator(arena);

	snprintf(sql, sizeof(sql), "CREATE TABLE t (c %s)", type);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
	assert_null(r.error);
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(
	    &alloc, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
	pg_query_free_protobuf_parse_result(r);
	assert_non_null(tree);
	const PgQuery__TypeName *tn =
	    tree->stmts[0]->stmt->create_stmt->table_elts[0]->column_def->type_name;
	if (mods)
		*mods = pgs_typmods_text(arena, tn);
	return pgs_builtin_type(tn);
}

static void assert_builtin(struct pgs_arena *arena, const char *type, const char *expected)
{
	const char *got = builtin_of(arena, type, NULL);

	if (!expected ? got != NULL : !got || strcmp(got, expected) != 0)
		fail_msg("%s: got %s, expected %s", type, got ? got : "NULL",
			 expected ? expected : "NULL");
}

static void test_builtin_types(void **state)
{
	struct pgs_arena arena;
	const char *mods;

	(void)state;
	pgs_arena_init(&arena);
	assert_builtin(&arena, "\"char\"", "char");
	assert_builtin(&arena, "pg_catalog.\"char\"", "char");
	assert_builtin(&arena, "char", "bpchar");
	assert_builtin(&arena, "character(3)", "bpchar");
	assert_builtin(&arena, "pg_catalog.varchar(3)", "varchar");
	assert_builtin(&arena, "\"varchar\"(5)", "varchar");
	assert_builtin(&arena, "character varying", "varchar");
	assert_builtin(&arena, "timestamp(3) without time zone", "timestamp");
	assert_builtin(&arena, "timestamp with time zone", "timestamptz");
	assert_builtin(&arena, "double precision", "float8");
	assert_builtin(&arena, "real", "float4");
	assert_builtin(&arena, "int", "int4");
	assert_builtin(&arena, "serial", "serial");
	assert_builtin(&arena, "pg_catalog.serial", NULL);
	assert_builtin(&arena, "app.int4", NULL);
	assert_builtin(&arena, "a.b.c", NULL);

	assert_builtin(&arena, "numeric(12, 2)", "numeric");
	builtin_of(&arena, "numeric(12, 2)", &mods);
	assert_string_equal(mods, "(12, 2)");
	builtin_of(&arena, "char", &mods);
	assert_string_equal(mods, "(1)");
	builtin_of(&arena, "text", &mods);
	assert_string_equal(mods, "");
	pgs_arena_release(&arena);
}

static void assert_span(struct pgs_span got, const char *text, const char *expected)
{
	size_t n = got.end - got.start;

	if (n != strlen(expected) || memcmp(text + got.start, expected, n) != 0)
		fail_msg("span \"%.*s\", expected \"%s\"", (int)n, text + got.start, expected);
}

static void test_spans(void **state)
{
	struct pgs_arena arena;

	(void)state;
	const char *a = "ALTER TABLE app.\"Big Table\" /* c */ ADD x int";
	assert_span(pgs_name_span(a, 12, (uint32_t)strlen(a)), a, "app.\"Big Table\"");
	assert_span(pgs_token_span(a, 12, (uint32_t)strlen(a)), a, "app");

	const char *b = "CREATE TABLE t (a int CHECK (a > 0) NOT NULL, b text)";
	assert_span(pgs_clause_span(b, 16, (uint32_t)strlen(b)), b, "a int CHECK (a > 0) NOT NULL");
	assert_span(pgs_clause_span(b, 46, (uint32_t)strlen(b)), b, "b text");
	const char *c = "ALTER TABLE t ADD c int -- trailing\n, ADD d int";
	assert_span(pgs_clause_span(c, 14, (uint32_t)strlen(c)), c, "ADD c int");

	pgs_arena_init(&arena);
	const char *d = "a  varchar\n\t(20)";
	struct pgs_span all = {0, (uint32_t)strlen(d)};
	assert_string_equal(pgs_span_text(&arena, d, all), "a varchar (20)");
	pgs_arena_release(&arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin_types),
	    cmocka_unit_test(test_spans),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
