/*
 * overlap: a context that already has what an input statement does is
 * found (each kind of statement), never for what an earlier input created
 * or changed, nor for statements written to be re-run; once per file, as a
 * context-includes-migration finding when that rule is on.
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

#include "lint/engine.h"
#include "rules/registry.h"

static int group_teardown(void **state)
{
	(void)state;
	pg_query_exit();
	return 0;
}

/* A schema dump taken after the migrations ran. */
static const char schema[] =
    "CREATE TABLE public.orders (id bigint NOT NULL, order_id bigint NOT NULL, note text,\n"
    "    \"Legacy\" character varying(20));\n"
    "ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);\n"
    "CREATE INDEX orders_note_idx ON public.orders USING btree (note);\n"
    "CREATE SEQUENCE public.invoice_seq;\n"
    "CREATE TYPE public.mood AS ENUM ('ok');\n"
    "CREATE DOMAIN public.email AS text;\n"
    "CREATE VIEW public.recent AS SELECT id FROM public.orders;\n"
    "CREATE TABLE public.users (id bigint, email_address text);\n"
    "ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE (email_address);\n"
    "CREATE TABLE public.kids (age int) INHERITS (public.users);\n";

struct run {
	struct pgs_engine engine;
	struct pgs_file_report reports[4];
	size_t n;
};

/* Lint context (NULL: none), then the inputs (NULL-terminated), all rules on. */
static void run_files(struct run *r, const struct pgs_lint_options *o, const char *context,
		      const char *const *inputs)
{
	struct pgs_error err;

	memset(r, 0, sizeof(*r));
	pgs_engine_init(&r->engine, o);
	if (context && pgs_engine_lint_text(&r->engine, "schema.sql", context, strlen(context),
					    true, &r->reports[r->n++], &err) != 0)
		fail_msg("schema.sql: %s", err.message);
	for (size_t i = 0; inputs[i]; i++) {
		char path[32];
		snprintf(path, sizeof(path), "%zu.sql", i + 1);
		assert_true(r->n < sizeof(r->reports) / sizeof(r->reports[0]));
		if (pgs_engine_lint_text(&r->engine, path, inputs[i], strlen(inputs[i]), false,
					 &r->reports[r->n++], &err) != 0)
			fail_msg("%s: %s", path, err.message);
	}
}

static void run_release(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		pgs_file_report_release(&r->reports[i]);
	pgs_engine_release(&r->engine);
}

static const struct pgs_lint_options defaults = {.pg_version = 15, .tool = PGS_TOOL_PLAIN};

static size_t findings(const struct pgs_file_report *rep)
{
	size_t n = 0;

	for (size_t i = 0; i < rep->diags.n; i++)
		n += rep->diags.items[i].rule == &pgs_rule_context_includes_migration;
	return n;
}

/* The overlap of the last of the inputs after context, or fail when it differs from want. */
static void expect_files(const char *context, const char *const *inputs, const char *want)
{
	struct run r;

	run_files(&r, &defaults, context, inputs);
	const struct pgs_file_report *last = &r.reports[r.n - 1];
	const char *got = last->overlap.what;
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("after the context, %s\n  gives: %s\n  want:  %s", inputs[0],
			 got ? got : "(nothing)", want);
	if (!want && got)
		fail_msg("after the context, %s\n  gives: %s\n  want nothing", inputs[0], got);
	/* the finding says the same, once */
	assert_int_equal(findings(last), want ? 1 : 0);
	run_release(&r);
}

static void expect(const char *input, const char *want)
{
	expect_files(schema, (const char *const[]){input, NULL}, want);
}

static void test_would_fail_or_change_nothing(void **state)
{
	(void)state;
	/* a type change to the type the column has */
	expect("ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;",
	       "its orders.order_id is already bigint");
	expect("ALTER TABLE public.orders ALTER order_id SET DATA TYPE int8;",
	       "its orders.order_id is already int8");
	expect("ALTER TABLE orders ALTER COLUMN \"Legacy\" TYPE varchar(20);",
	       "its orders.\"Legacy\" is already varchar(20)");
	/* columns that exist */
	expect("ALTER TABLE orders ADD COLUMN note text;", "it already has column orders.note");
	expect("ALTER TABLE orders ADD note varchar(10) NOT NULL DEFAULT '';",
	       "it already has column orders.note");
	/* objects that exist */
	expect("CREATE TABLE orders (id int);", "it already has table orders");
	expect("CREATE TABLE orders AS SELECT 1 AS id;", "it already has table orders");
	expect("CREATE INDEX orders_note_idx ON orders (note);",
	       "it already has index orders_note_idx");
	expect("CREATE UNIQUE INDEX CONCURRENTLY orders_note_idx ON public.orders (note);",
	       "it already has index orders_note_idx");
	expect("CREATE VIEW recent AS SELECT 1;", "it already has view recent");
	expect("CREATE SEQUENCE invoice_seq;", "it already has sequence invoice_seq");
	expect("CREATE TYPE mood AS ENUM ('ok', 'meh');", "it already has type mood");
	expect("CREATE DOMAIN public.email AS varchar(200);", "it already has type email");
	expect("ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);",
	       "it already has constraint orders_pkey on orders");
	expect("ALTER TABLE orders ADD PRIMARY KEY (id);",
	       "it already has a primary key on orders");
	/* renames done already */
	expect("ALTER TABLE users RENAME COLUMN email TO email_address;",
	       "it has column users.email_address and no users.email");
	expect("ALTER TABLE users RENAME CONSTRAINT users_email_unique TO users_email_key;",
	       "it has constraint users_email_key on users and no users_email_unique");
	expect("ALTER INDEX orders_by_note RENAME TO orders_note_idx;",
	       "it has index orders_note_idx and no orders_by_note");
	expect("ALTER TABLE accounts RENAME TO users;", "it has table users and no accounts");
	/* a drop of what a fully known table doesn't have */
	expect("ALTER TABLE orders DROP COLUMN legacy_ref;",
	       "it has no column orders.legacy_ref to drop");
}

static void test_not_counted(void **state)
{
	(void)state;
	/* a real change */
	expect("ALTER TABLE orders ALTER COLUMN \"Legacy\" TYPE varchar(30);", NULL);
	expect("ALTER TABLE orders ALTER COLUMN \"Legacy\" TYPE varchar;", NULL);
	expect("ALTER TABLE orders ALTER COLUMN order_id TYPE bigint[];", NULL);
	expect("ALTER TABLE orders ALTER COLUMN order_id TYPE numeric;", NULL);
	/* USING computes new values; another collation is a change */
	expect("ALTER TABLE orders ALTER COLUMN order_id TYPE bigint USING order_id + 1;", NULL);
	expect("ALTER TABLE orders ALTER COLUMN note TYPE text COLLATE \"C\";", NULL);
	expect("ALTER TABLE orders ADD COLUMN total numeric;", NULL);
	expect("ALTER TABLE orders DROP COLUMN note;", NULL);
	expect("ALTER TABLE users RENAME COLUMN email_address TO email;", NULL);
	expect("ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email_address <> '');",
	       NULL);
	expect("CREATE INDEX orders_order_id_idx ON orders (order_id);", NULL);
	/* written to be re-run */
	expect("ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;", NULL);
	expect("ALTER TABLE orders DROP COLUMN IF EXISTS legacy_ref;", NULL);
	expect("CREATE TABLE IF NOT EXISTS orders (id int);", NULL);
	expect("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);", NULL);
	expect("CREATE OR REPLACE VIEW recent AS SELECT id FROM orders;", NULL);
	expect("CREATE SEQUENCE IF NOT EXISTS invoice_seq;", NULL);
	expect("ALTER TABLE IF EXISTS accounts RENAME TO users;", NULL);
	/* PostgreSQL picks a free name */
	expect("CREATE INDEX ON orders (note);", NULL);
	/* a temporary table lives in its own schema */
	expect("CREATE TEMP TABLE orders (id int);", NULL);
	/* columns the context may not know: inherited ones, tables it never created */
	expect("ALTER TABLE kids DROP COLUMN nickname;", NULL);
	expect("ALTER TABLE invoices DROP COLUMN legacy_ref;", NULL);
	expect("ALTER TABLE invoices ADD COLUMN note text;", NULL);
	/* other schema */
	expect("CREATE TABLE audit.orders (id int);", NULL);
}

/* Only what comes from the context counts, never what an earlier input made or changed. */
static void test_only_what_the_context_made(void **state)
{
	(void)state;
	/* an earlier input dropped it, this one adds it back */
	expect_files(schema,
		     (const char *const[]){"ALTER TABLE orders DROP COLUMN note;",
					   "ALTER TABLE orders ADD COLUMN note text;", NULL},
		     NULL);
	expect_files(schema,
		     (const char *const[]){"DROP SEQUENCE invoice_seq;",
					   "CREATE SEQUENCE invoice_seq;", NULL},
		     NULL);
	expect_files(schema,
		     (const char *const[]){"DROP TABLE orders CASCADE;",
					   "CREATE TABLE orders (id bigint);", NULL},
		     NULL);
	/* an earlier input made it: a broken history, not a context that includes it */
	expect_files(
	    schema,
	    (const char *const[]){"CREATE TABLE t2 (id int);", "CREATE TABLE t2 (id int);", NULL},
	    NULL);
	expect_files(schema,
		     (const char *const[]){"CREATE SEQUENCE s2;", "CREATE SEQUENCE s2;", NULL},
		     NULL);
	expect_files(
	    schema,
	    (const char *const[]){"CREATE TABLE z (a int);\nALTER TABLE z ADD COLUMN a int;", NULL},
	    NULL);
	/* an earlier input changed the type: this one changes nothing, but not because of the
	 * context */
	expect_files(schema,
		     (const char *const[]){"ALTER TABLE orders ALTER COLUMN order_id TYPE int;",
					   "ALTER TABLE orders ALTER COLUMN order_id TYPE int;",
					   NULL},
		     NULL);
	/* a table an input only referenced is known by name, not from the context */
	expect_files(schema,
		     (const char *const[]){"ALTER TABLE a ADD CONSTRAINT a_b_fkey FOREIGN KEY (b) "
					   "REFERENCES b (id);",
					   "CREATE TABLE b (id int);", NULL},
		     NULL);
	/* no context at all: tables first seen in an ALTER are not the context's */
	expect_files(NULL,
		     (const char *const[]){"ALTER TABLE orders ALTER COLUMN x SET NOT NULL;\n"
					   "ALTER TABLE orders ADD COLUMN x int;",
					   NULL},
		     NULL);
	/* a rename in the context moves what it has */
	expect_files(
	    "CREATE SEQUENCE a_seq;\nALTER SEQUENCE a_seq RENAME TO b_seq;\n"
	    "CREATE TYPE t1 AS (x int);\nALTER TYPE t1 RENAME TO t2;\n",
	    (const char *const[]){"CREATE SEQUENCE a_seq;\nCREATE TYPE t1 AS (x int);", NULL},
	    NULL);
	expect_files("CREATE SEQUENCE a_seq;\nALTER SEQUENCE a_seq RENAME TO b_seq;\n",
		     (const char *const[]){"CREATE SEQUENCE b_seq;", NULL},
		     "it already has sequence b_seq");
	expect_files("CREATE TYPE t1 AS (x int);\nALTER TYPE t1 RENAME TO t2;\n",
		     (const char *const[]){"CREATE TYPE t2 AS (x int);", NULL},
		     "it already has type t2");
	/* and a drop in the context removes it */
	expect_files("CREATE TYPE m AS ENUM ('a');\nDROP TYPE m;\n",
		     (const char *const[]){"CREATE TYPE m AS ENUM ('a');", NULL}, NULL);
}

/* Once per file, at the first statement; the finding points at the action. */
static void test_once_per_file(void **state)
{
	struct run r;
	const char *text = "SET lock_timeout = '2s';\n"
			   "ALTER TABLE orders ADD COLUMN total numeric, ADD COLUMN note text;\n"
			   "CREATE INDEX orders_note_idx ON orders (note);\n";

	(void)state;
	run_files(&r, &defaults, schema, (const char *const[]){text, text, NULL});
	for (size_t i = 1; i <= 2; i++) {
		const struct pgs_file_report *rep = &r.reports[i];
		assert_string_equal(rep->overlap.what, "it already has column orders.note");
		assert_int_equal(findings(rep), 1);
		const struct pgs_diag *d = NULL;
		for (size_t k = 0; k < rep->diags.n; k++)
			if (rep->diags.items[k].rule == &pgs_rule_context_includes_migration)
				d = &rep->diags.items[k];
		assert_non_null(d);
		assert_int_equal(d->severity, PGS_SEV_ERROR);
		assert_string_equal(d->message, "the context seems to already include this "
						"migration: it already has column orders.note");
		/* the second action of the statement on line 2 */
		assert_int_equal(d->span.start, (uint32_t)(strstr(text, "ADD COLUMN note") - text));
		assert_int_equal(d->span.end, (uint32_t)(strstr(text, ";\nCREATE") - text));
		assert_int_equal(rep->overlap.span.start, d->span.start);
	}
	run_release(&r);
}

static void test_rule_off_or_suppressed(void **state)
{
	struct run r;
	bool disabled[512] = {false};
	struct pgs_lint_options o = defaults;

	(void)state;
	assert_true(pgs_n_rules < sizeof(disabled));
	/* suppressed: no finding, but the report still says it (the CLI warns) */
	run_files(&r, &defaults, schema,
		  (const char *const[]){
		      "-- pgstage-ignore context-includes-migration: the dump is checked by hand\n"
		      "ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;\n",
		      NULL});
	assert_int_equal(findings(&r.reports[1]), 0);
	assert_string_equal(r.reports[1].overlap.what, "its orders.order_id is already bigint");
	run_release(&r);

	/* disabled */
	disabled[pgs_rule_index(&pgs_rule_context_includes_migration)] = true;
	o.rule_disabled = disabled;
	run_files(
	    &r, &o, schema,
	    (const char *const[]){"ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;", NULL});
	assert_int_equal(findings(&r.reports[1]), 0);
	assert_non_null(r.reports[1].overlap.what);
	run_release(&r);

	/* explain and plan run no rules */
	o = defaults;
	o.no_rules = true;
	run_files(
	    &r, &o, schema,
	    (const char *const[]){"ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;", NULL});
	assert_int_equal(r.reports[1].diags.n, 0);
	assert_non_null(r.reports[1].overlap.what);
	/* a context file itself has none */
	assert_null(r.reports[0].overlap.what);
	run_release(&r);
}

/* With --down a context file still feeds what applying it did: its up part. */
static void test_context_up_part_with_down(void **state)
{
	struct run r;
	struct pgs_lint_options o = defaults;

	(void)state;
	o.down = true;
	o.tool = PGS_TOOL_AUTO;
	run_files(&r, &o,
		  "-- +goose Up\nCREATE TABLE t (id int, a int);\n-- +goose Down\nDROP TABLE t;\n",
		  (const char *const[]){"-- +goose Up\nALTER TABLE t ADD COLUMN b int;\n"
					"-- +goose Down\nALTER TABLE t DROP COLUMN b;\n",
					NULL});
	/* created by the context's up part, not first seen in the input's ALTER */
	struct pgs_table *t = pgs_strmap_get(&r.engine.model.tables, "public.t");
	assert_non_null(t);
	assert_false(t->partial);
	assert_non_null(pgs_table_column(t, "a"));
	/* the down part of the input is what is linted */
	assert_int_equal(r.reports[1].parsed.n_stmts, 1);
	assert_non_null(strstr(r.reports[1].analysed, "DROP COLUMN b"));
	run_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_would_fail_or_change_nothing),
	    cmocka_unit_test(test_not_counted),
	    cmocka_unit_test(test_only_what_the_context_made),
	    cmocka_unit_test(test_once_per_file),
	    cmocka_unit_test(test_rule_off_or_suppressed),
	    cmocka_unit_test(test_context_up_part_with_down),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
