/*
 * The names the model gives unnamed UNIQUE / PRIMARY KEY constraints: as
 * PostgreSQL 15 does (key, key1, key2, ... the first free one), also after a
 * name was freed, while the search for the next name starts where the last
 * one ended (so a table with thousands of them stays linear). The expected
 * lists are what the server printed for the same statements
 * (SELECT conname FROM pg_constraint ... ORDER BY oid).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/model.h"
#include "core/parse.h"

/* The names of t's constraints that are still there, in the order they came, one line. */
static void names_after(const char *sql, char *out, size_t size)
{
	struct pgs_arena arena;
	struct pgs_model model;
	struct pgs_parsed parsed = {0};

	pgs_arena_init(&arena);
	pgs_model_init(&model);
	pgs_parse(&parsed, &arena, sql, (uint32_t)strlen(sql));
	for (size_t i = 0; i < parsed.n_stmts; i++) {
		assert_non_null(parsed.stmts[i].node);
		pgs_model_apply(&model, parsed.stmts[i].node, 0);
	}
	struct pgs_table *t = pgs_strmap_get(&model.tables, "public.t");
	assert_non_null(t);
	out[0] = '\0';
	for (size_t i = 0; i < t->n_constraints; i++)
		if (!t->constraints[i].dropped)
			snprintf(out + strlen(out), size - strlen(out), "%s%s", *out ? " " : "",
				 t->constraints[i].name);
	pgs_model_release(&model);
	pgs_arena_release(&arena);
}

static void test_next_free_name(void **state)
{
	char names[256];

	(void)state;
	names_after("CREATE TABLE t (id bigint PRIMARY KEY, b int);\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n",
		    names, sizeof(names));
	assert_string_equal(names, "t_pkey t_b_key t_b_key1 t_b_key2");
}

static void test_freed_name_is_chosen_again(void **state)
{
	char names[256];

	(void)state;
	/* the server: t_pkey t_b_key t_b_key2 t_b_key1 t_b_key3 (by oid) */
	names_after("CREATE TABLE t (id bigint PRIMARY KEY, b int);\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n"
		    "ALTER TABLE t DROP CONSTRAINT t_b_key1;\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n",
		    names, sizeof(names));
	assert_string_equal(names, "t_pkey t_b_key t_b_key2 t_b_key1 t_b_key3");
}

static void test_name_freed_by_a_drop_of_the_table_s_index(void **state)
{
	char names[256];

	(void)state;
	/* dropping a primary key frees t_pkey for the next one */
	names_after("CREATE TABLE t (id bigint PRIMARY KEY, b int);\n"
		    "ALTER TABLE t DROP CONSTRAINT t_pkey;\n"
		    "ALTER TABLE t ADD PRIMARY KEY (id);\n"
		    "ALTER TABLE t ADD UNIQUE (b);\n",
		    names, sizeof(names));
	assert_string_equal(names, "t_pkey t_b_key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_next_free_name),
	    cmocka_unit_test(test_freed_name_is_chosen_again),
	    cmocka_unit_test(test_name_freed_by_a_drop_of_the_table_s_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
