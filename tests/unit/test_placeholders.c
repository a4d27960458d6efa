/*
 * placeholders: substitution of templated migrations and the map from the
 * substituted text back to the original file's offsets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "lint/placeholders.h"

static struct pgs_arena arena;

static uint32_t at(const char *text, const char *needle)
{
	return (uint32_t)(strstr(text, needle) - text);
}

static void test_go_template_literal(void **state)
{
	(void)state;
	const char *src = "CREATE TABLE {{ index .Options \"Namespace\" }}.users (id int);\n"
			  "CREATE INDEX i ON {{ index .Options \"Namespace\" }}.users (id);\n";
	struct pgs_placeholder defs[] = {{"{{ index .Options \"Namespace\" }}", "auth"}};
	struct pgs_substitution s;

	pgs_placeholders_substitute(&s, &arena, src, (uint32_t)strlen(src), defs, 1, false);
	assert_string_equal(s.text, "CREATE TABLE auth.users (id int);\n"
				    "CREATE INDEX i ON auth.users (id);\n");
	assert_int_equal(s.n_expansions, 2);
	assert_int_equal(s.n_unknown, 0);
	/* "users" of the second statement maps to its place in the original */
	uint32_t users2 = at(s.text, "i ON auth.users") + 10;
	assert_int_equal(pgs_placeholders_original(&s, users2, false),
			 at(src, "i ON {{") + 5 + (uint32_t)strlen(defs[0].text) + 1);
	/* offsets inside "auth" point at the placeholder: start, or its end for a span's end */
	uint32_t auth2 = at(s.text, "i ON auth") + 5;
	assert_int_equal(pgs_placeholders_original(&s, auth2 + 2, false), at(src, "i ON {{") + 5);
	assert_int_equal(pgs_placeholders_original(&s, auth2 + 2, true),
			 at(src, "i ON {{") + 5 + (uint32_t)strlen(defs[0].text));
	/* before any expansion, offsets are the same; the end of the text maps to the end */
	assert_int_equal(pgs_placeholders_original(&s, 3, false), 3);
	assert_int_equal(pgs_placeholders_original(&s, s.len, true), (uint32_t)strlen(src));
}

static void test_flyway_syntax(void **state)
{
	(void)state;
	const char *src = "CREATE TABLE ${schema}.t (id int);\n"
			  "ALTER TABLE ${flyway:defaultSchema}.t ADD COLUMN ${col} text;\n"
			  "ALTER TABLE ${schema}.t ADD COLUMN ${col} text;\n";
	struct pgs_placeholder defs[] = {{"${schema}", "app"}};
	struct pgs_substitution s;

	pgs_placeholders_substitute(&s, &arena, src, (uint32_t)strlen(src), defs, 1, true);
	assert_string_equal(s.text, "CREATE TABLE app.t (id int);\n"
				    "ALTER TABLE public.t ADD COLUMN ${col} text;\n"
				    "ALTER TABLE app.t ADD COLUMN ${col} text;\n");
	/* the unknown ${col}: once, at its first place in the original */
	assert_int_equal(s.n_unknown, 1);
	assert_int_equal(s.unknown[0].start, at(src, "${col}"));
	assert_int_equal(s.unknown[0].end, at(src, "${col}") + 6);
	/* without flyway syntax only definitions count */
	pgs_placeholders_substitute(&s, &arena, src, (uint32_t)strlen(src), defs, 1, false);
	assert_int_equal(s.n_unknown, 0);
	assert_non_null(strstr(s.text, "${flyway:defaultSchema}"));
}

static void test_longest_definition_and_no_change(void **state)
{
	(void)state;
	const char *src = "SELECT __S__, __SCHEMA__;";
	struct pgs_placeholder defs[] = {{"__S__", "a"}, {"__SCHEMA__", "bbbbbbbbbbbbbbbb"}};
	struct pgs_substitution s;

	pgs_placeholders_substitute(&s, &arena, src, (uint32_t)strlen(src), defs, 2, false);
	assert_string_equal(s.text, "SELECT a, bbbbbbbbbbbbbbbb;");
	/* ";" after a longer expansion maps back */
	assert_int_equal(pgs_placeholders_original(&s, s.len - 1, false),
			 (uint32_t)strlen(src) - 1);
	const char *plain = "SELECT 1;";
	pgs_placeholders_substitute(&s, &arena, plain, 9, defs, 2, true);
	assert_ptr_equal(s.text, plain); /* nothing to do: the original text itself */
	assert_int_equal(s.n_expansions, 0);
	assert_int_equal(pgs_placeholders_original(&s, 5, false), 5);
}

static void test_touches(void **state)
{
	(void)state;
	const char *src = "DROP INDEX ${schema}.i;";
	struct pgs_placeholder defs[] = {{"${schema}", "app"}};
	struct pgs_substitution s;

	pgs_placeholders_substitute(&s, &arena, src, (uint32_t)strlen(src), defs, 1, true);
	uint32_t app = at(s.text, "app");
	/* an insertion before the expansion ("IF EXISTS") does not touch it */
	assert_false(pgs_placeholders_touches(&s, (struct pgs_span){app, app}));
	assert_false(pgs_placeholders_touches(&s, (struct pgs_span){0, app}));
	/* replacing text that holds it, or inserting inside it, does */
	assert_true(pgs_placeholders_touches(&s, (struct pgs_span){0, app + 1}));
	assert_true(pgs_placeholders_touches(&s, (struct pgs_span){app + 1, app + 1}));
	assert_false(pgs_placeholders_touches(&s, (struct pgs_span){app + 3, app + 5}));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_go_template_literal),
	    cmocka_unit_test(test_flyway_syntax),
	    cmocka_unit_test(test_longest_definition_and_no_change),
	    cmocka_unit_test(test_touches),
	};
	pgs_arena_init(&arena);
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	pgs_arena_release(&arena);
	return failed;
}
