/*
 * engine: a migration history linted file by file through
 * pgs_engine_lint_text: what carries over between files, context files,
 * transactions opened by migration tools, options, and exact spans.
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

static struct pgs_lint_options options(int pg_version)
{
	struct pgs_lint_options o = {.pg_version = pg_version, .tool = PGS_TOOL_AUTO};

	return o;
}

/* Lint text as the next file of the engine's history; fails the test on an input error. */
static void lint(struct pgs_engine *e, const char *path, const char *text, bool context,
		 struct pgs_file_report *rep)
{
	struct pgs_error err;

	if (pgs_engine_lint_text(e, path, text, strlen(text), context, rep, &err) != 0)
		fail_msg("%s: %s", path, err.message);
}

static size_t count(const struct pgs_file_report *rep, const char *rule_name)
{
	const struct pgs_rule *rule = pgs_rule_find(rule_name);
	size_t n = 0;

	if (!rule)
		fail_msg("no rule %s", rule_name);
	for (size_t i = 0; i < rep->diags.n; i++)
		if (rep->diags.items[i].rule == rule)
			n++;
	return n;
}

static const struct pgs_diag *first(const struct pgs_file_report *rep, const char *rule_name)
{
	const struct pgs_rule *rule = pgs_rule_find(rule_name);

	for (size_t i = 0; i < rep->diags.n; i++)
		if (rep->diags.items[i].rule == rule)
			return &rep->diags.items[i];
	fail_msg("no %s diagnostic", rule_name);
	return NULL;
}

/* Lint one text alone with opts; the number of diagnostics of rule_name. */
static size_t count_alone(const struct pgs_lint_options *opts, const char *path, const char *text,
			  const char *rule_name)
{
	struct pgs_engine e;
	struct pgs_file_report rep;

	pgs_engine_init(&e, opts);
	lint(&e, path, text, false, &rep);
	size_t n = count(&rep, rule_name);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
	return n;
}

static void test_history_across_files(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report a, b, c;

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "1_create.sql", "CREATE TABLE t (id bigint PRIMARY KEY, c int);\n", false, &a);
	assert_int_equal(a.diags.n, 0);
	assert_false(a.context);
	/* t was created by an earlier file, not this one: the index is flagged */
	lint(&e, "2_index.sql", "CREATE INDEX i ON t (c);\n", false, &b);
	assert_int_equal(count(&b, "require-concurrent-index"), 1);
	assert_int_equal(first(&b, "require-concurrent-index")->severity, PGS_SEV_WARNING);
	assert_non_null(strstr(first(&b, "require-concurrent-index")->message, "CONCURRENTLY"));
	/* (other rules may report the same statement: the lock is taken without a timeout) */
	/* a table created in this file is new and empty: not flagged */
	lint(&e, "3_new.sql", "CREATE TABLE u (id bigint PRIMARY KEY, c int);\nCREATE INDEX j ON u (c);\n",
	     false, &c);
	assert_int_equal(count(&c, "require-concurrent-index"), 0);
	assert_int_equal(count(&c, "require-lock-timeout"), 0);
	pgs_file_report_release(&a);
	pgs_file_report_release(&b);
	pgs_file_report_release(&c);
	pgs_engine_release(&e);

	/* the same statements in one text */
	assert_int_equal(count_alone(&o, "x.sql",
				     "CREATE TABLE t (c int);\nCREATE INDEX i ON t (c);",
				     "require-concurrent-index"),
			 0);
	/* a table the history doesn't know exists in production: flagged */
	assert_int_equal(count_alone(&o, "x.sql", "CREATE INDEX i ON users (email);",
				     "require-concurrent-index"),
			 1);
	/* schema-qualified names are the same table */
	assert_int_equal(count_alone(&o, "x.sql",
				     "CREATE TABLE public.t (c int);\nCREATE INDEX i ON t (c);",
				     "require-concurrent-index"),
			 0);
}

static const char context_text[] =
    "CREATE TABLE t (c int);\n"
    "ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID;\n"
    "ALTER TABLE t VALIDATE CONSTRAINT t_c_nn;\n"
    "CREATE INDEX i ON t (c);\n" /* would be flagged in a reported file */
    "BEGIN;\nCREATE INDEX CONCURRENTLY j ON t (c);\nCOMMIT;\n"
    "selec 1;\n"; /* syntax errors aren't reported either */

static size_t set_not_null_after_context(int pg_version, const char *ctx_text)
{
	struct pgs_lint_options o = options(pg_version);
	struct pgs_engine e;
	struct pgs_file_report ctx, rep;

	pgs_engine_init(&e, &o);
	lint(&e, "schema.sql", ctx_text, true, &ctx);
	assert_true(ctx.context);
	assert_int_equal(ctx.diags.n, 0);
	assert_int_equal(pgs_file_report_max_severity(&ctx), -1);
	lint(&e, "1_nn.sql", "ALTER TABLE t ALTER COLUMN c SET NOT NULL;\n", false, &rep);
	size_t n = count(&rep, "set-not-null-without-check");
	pgs_file_report_release(&ctx);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
	return n;
}

static void test_context_files(void **state)
{
	(void)state;
	/* a validated CHECK (c IS NOT NULL) from the context lets SET NOT NULL skip the scan */
	assert_int_equal(set_not_null_after_context(15, context_text), 0);
	/* before PostgreSQL 12 SET NOT NULL always scans */
	assert_int_equal(set_not_null_after_context(11, context_text), 1);
	/* not validated: it still scans */
	assert_int_equal(set_not_null_after_context(
			     15, "CREATE TABLE t (c int);\n"
				 "ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) "
				 "NOT VALID;\n"),
			 1);
	/* without any context */
	struct pgs_lint_options o = options(15);
	assert_int_equal(count_alone(&o, "1_nn.sql", "ALTER TABLE t ALTER COLUMN c SET NOT NULL;",
				     "set-not-null-without-check"),
			 1);

	/* tables from context files existed before the history: indexes on them are flagged */
	struct pgs_engine e;
	struct pgs_file_report ctx, rep;
	pgs_engine_init(&e, &o);
	lint(&e, "schema.sql", "CREATE TABLE t (c int);", true, &ctx);
	lint(&e, "1_i.sql", "CREATE INDEX i ON t (c);", false, &rep);
	assert_int_equal(count(&rep, "require-concurrent-index"), 1);
	pgs_file_report_release(&ctx);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

static const char goose_cic[] = "-- +goose Up\n"
				"CREATE INDEX CONCURRENTLY i ON t (c);\n"
				"\n"
				"-- +goose Down\n"
				"CREATE INDEX j ON t (c);\n";

static const char goose_cic_no_txn[] = "-- +goose NO TRANSACTION\n"
				       "-- +goose Up\n"
				       "CREATE INDEX CONCURRENTLY i ON t (c);\n"
				       "\n"
				       "-- +goose Down\n"
				       "CREATE INDEX j ON t (c);\n";

static void test_goose_transaction(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "20240101_a.sql", goose_cic, false, &rep);
	assert_int_equal(rep.sections.tool, PGS_TOOL_GOOSE);
	assert_int_equal(rep.diags.n, 1);
	const struct pgs_diag *d = first(&rep, "concurrently-in-transaction");
	assert_int_equal(d->severity, PGS_SEV_ERROR);
	assert_non_null(strstr(d->message, "goose"));
	assert_non_null(d->help);
	assert_non_null(strstr(d->help, "NO TRANSACTION"));
	assert_int_equal(pgs_file_report_max_severity(&rep), PGS_SEV_ERROR);
	/* the span is the statement */
	const char *stmt = strstr(goose_cic, "CREATE INDEX CONCURRENTLY");
	assert_int_equal(d->span.start, stmt - goose_cic);
	assert_int_equal(d->span.end, strchr(stmt, ';') - goose_cic);
	/* the Down part is not linted */
	assert_int_equal(count(&rep, "require-concurrent-index"), 0);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);

	assert_int_equal(
	    count_alone(&o, "20240101_a.sql", goose_cic_no_txn, "concurrently-in-transaction"), 0);

	/* down: the Down part is linted instead */
	o.down = true;
	assert_int_equal(count_alone(&o, "20240101_a.sql", goose_cic, "require-concurrent-index"),
			 1);
	assert_int_equal(
	    count_alone(&o, "20240101_a.sql", goose_cic, "concurrently-in-transaction"), 0);
}

static void test_dbmate_transaction(void **state)
{
	struct pgs_lint_options o = options(15);

	(void)state;
	assert_int_equal(count_alone(&o, "20240101_a.sql",
				     "-- migrate:up\nCREATE INDEX CONCURRENTLY i ON t (c);\n"
				     "-- migrate:down\nDROP INDEX i;\n",
				     "concurrently-in-transaction"),
			 1);
	assert_int_equal(count_alone(&o, "20240101_a.sql",
				     "-- migrate:up transaction:false\n"
				     "CREATE INDEX CONCURRENTLY i ON t (c);\n"
				     "-- migrate:down\nDROP INDEX i;\n",
				     "concurrently-in-transaction"),
			 0);
}

static void test_golang_migrate_transaction(void **state)
{
	struct pgs_lint_options o = options(15);

	(void)state;
	/* one statement: one simple-query message, no implicit transaction block */
	assert_int_equal(count_alone(&o, "1_x.up.sql", "CREATE INDEX CONCURRENTLY i ON t (c);\n",
				     "concurrently-in-transaction"),
			 0);
	/* two statements in one message are one implicit transaction */
	assert_int_equal(count_alone(&o, "1_x.up.sql",
				     "CREATE TABLE u (id int);\n"
				     "CREATE INDEX CONCURRENTLY i ON t (c);\n",
				     "concurrently-in-transaction"),
			 1);
	/* comments don't count as statements */
	assert_int_equal(
	    count_alone(&o, "db/2_y.up.sql",
			"-- add an index\nCREATE INDEX CONCURRENTLY i ON t (c); -- done\n",
			"concurrently-in-transaction"),
	    0);
}

static void test_explicit_begin(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;
	static const char text[] = "BEGIN;\n"
				   "CREATE INDEX CONCURRENTLY i ON t (c);\n"
				   "COMMIT;\n"
				   "CREATE INDEX CONCURRENTLY j ON t (c);\n";

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "x.sql", text, false, &rep);
	assert_int_equal(rep.sections.tool, PGS_TOOL_PLAIN);
	assert_int_equal(count(&rep, "concurrently-in-transaction"), 1);
	const struct pgs_diag *d = first(&rep, "concurrently-in-transaction");
	assert_int_equal(d->span.start, strstr(text, "CREATE INDEX CONCURRENTLY i") - text);
	assert_non_null(strstr(d->message, "line 1"));
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

static void test_txn_overrides(void **state)
{
	struct pgs_lint_options o = options(15);
	const char *cic = "CREATE INDEX CONCURRENTLY i ON t (c);\n";

	(void)state;
	/* plain: statement by statement */
	assert_int_equal(count_alone(&o, "x.sql", cic, "concurrently-in-transaction"), 0);
	o.txn = PGS_TXN_ALWAYS;
	assert_int_equal(count_alone(&o, "x.sql", cic, "concurrently-in-transaction"), 1);
	assert_int_equal(count_alone(&o, "1_x.up.sql", cic, "concurrently-in-transaction"), 1);
	o.txn = PGS_TXN_NEVER;
	assert_int_equal(
	    count_alone(&o, "20240101_a.sql", goose_cic, "concurrently-in-transaction"), 0);
	assert_int_equal(count_alone(&o, "1_x.up.sql",
				     "CREATE TABLE u (id int);\n"
				     "CREATE INDEX CONCURRENTLY i ON t (c);\n",
				     "concurrently-in-transaction"),
			 0);
	/* an explicit BEGIN still counts */
	assert_int_equal(count_alone(&o, "x.sql", "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (c);",
				     "concurrently-in-transaction"),
			 1);
	/* the tool option overrides detection */
	o = options(15);
	o.tool = PGS_TOOL_PLAIN;
	assert_int_equal(count_alone(&o, "1_x.up.sql",
				     "CREATE TABLE u (id int);\n"
				     "CREATE INDEX CONCURRENTLY i ON t (c);\n",
				     "concurrently-in-transaction"),
			 0);
}

static void test_rule_disabled(void **state)
{
	struct pgs_lint_options o = options(15);
	bool *disabled = calloc(pgs_n_rules, sizeof(bool));
	const struct pgs_rule *rci = pgs_rule_find("require-concurrent-index");

	(void)state;
	assert_non_null(disabled);
	assert_non_null(rci);
	o.rule_disabled = disabled;
	/* all false: everything enabled */
	assert_int_equal(
	    count_alone(&o, "x.sql", "CREATE INDEX i ON t (c);", "require-concurrent-index"), 1);
	disabled[pgs_rule_index(rci)] = true;
	assert_int_equal(
	    count_alone(&o, "x.sql", "CREATE INDEX i ON t (c);", "require-concurrent-index"), 0);
	/* the others still run */
	assert_int_equal(count_alone(&o, "x.sql", "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (c);",
				     "concurrently-in-transaction"),
			 1);
	assert_int_equal(count_alone(&o, "x.sql", "ALTER TABLE t ALTER COLUMN c SET NOT NULL;",
				     "set-not-null-without-check"),
			 1);
	free(disabled);
}

static void test_exact_span(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;
	static const char text[] = "\n-- c\nCREATE INDEX i ON t (c);";

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "x.sql", text, false, &rep);
	assert_int_equal(count(&rep, "require-concurrent-index"), 1);
	const struct pgs_diag *d = first(&rep, "require-concurrent-index");
	assert_int_equal(d->span.start, 6);		 /* the C of CREATE */
	assert_int_equal(d->span.end, sizeof(text) - 2); /* before the semicolon */
	assert_int_equal(text[d->span.start], 'C');
	assert_int_equal(text[d->span.end], ';');
	struct pgs_pos p = pgs_source_pos(&rep.src, d->span.start);
	assert_int_equal(p.line, 3);
	assert_int_equal(p.column, 1);
	p = pgs_source_pos(&rep.src, d->span.end);
	assert_int_equal(p.line, 3);
	assert_int_equal(p.column, 24);
	/* the fix inserts CONCURRENTLY after INDEX; safe outside a transaction */
	assert_non_null(d->fix);
	assert_true(d->fix->safe);
	assert_int_equal(d->fix->n_edits, 1);
	assert_int_equal(d->fix->edits[0].span.start, 18);
	assert_int_equal(d->fix->edits[0].span.end, 18);
	assert_string_equal(d->fix->edits[0].text, " CONCURRENTLY");
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

static void test_exact_span_crlf_bom_utf8(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;
	static const char text[] = "\xef\xbb\xbf-- caf\xc3\xa9\r\n"
				   "CREATE INDEX \"\xc3\xa9t\xc3\xa9\" ON t (c) ; -- x\r\n";

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "x.sql", text, false, &rep);
	assert_int_equal(count(&rep, "require-concurrent-index"), 1);
	const struct pgs_diag *d = first(&rep, "require-concurrent-index");
	const char *create = strstr(text, "CREATE");
	assert_int_equal(d->span.start, create - text);
	assert_int_equal(d->span.end, strstr(text, " ;") - text);
	struct pgs_pos p = pgs_source_pos(&rep.src, d->span.start);
	assert_int_equal(p.line, 2);
	assert_int_equal(p.column, 1);
	p = pgs_source_pos(&rep.src, d->span.end);
	assert_int_equal(p.column, 28); /* é counts one column */
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

static void test_exact_clause_span(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;
	static const char text[] =
	    "ALTER TABLE t ADD COLUMN a int,\n"
	    "  ADD COLUMN b uuid DEFAULT gen_random_uuid() , ADD COLUMN c int;";

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "x.sql", text, false, &rep);
	assert_int_equal(count(&rep, "adding-field-with-volatile-default"), 1);
	const struct pgs_diag *d = first(&rep, "adding-field-with-volatile-default");
	/* only the ADD COLUMN clause at fault, without the comma or spaces around it */
	const char *clause = "ADD COLUMN b uuid DEFAULT gen_random_uuid()";
	assert_int_equal(d->span.start, strstr(text, clause) - text);
	assert_int_equal(d->span.end, strstr(text, clause) - text + (long)strlen(clause));
	struct pgs_pos p = pgs_source_pos(&rep.src, d->span.start);
	assert_int_equal(p.line, 2);
	assert_int_equal(p.column, 3);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);

	/* a constant default is stored in the catalog from PostgreSQL 11 on: no rewrite */
	o = options(PGS_PG_VERSION_MIN);
	assert_int_equal(count_alone(&o, "x.sql", "ALTER TABLE t ADD COLUMN a int DEFAULT 0;",
				     "adding-field-with-volatile-default"),
			 0);
}

static void test_syntax_error_reported(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;
	static const char text[] = "select 1;\nselec 2;\nCREATE INDEX i ON t (c);\n";

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "x.sql", text, false, &rep);
	assert_int_equal(count(&rep, "syntax-error"), 1);
	assert_int_equal(count(&rep, "require-concurrent-index"), 1);
	/* in statement order: the statement after the syntax error is still linted */
	assert_ptr_equal(rep.diags.items[0].rule, &pgs_rule_syntax_error);
	assert_true(first(&rep, "require-concurrent-index") > &rep.diags.items[0]);
	const struct pgs_diag *d = &rep.diags.items[0];
	assert_int_equal(d->severity, PGS_SEV_ERROR);
	assert_string_equal(d->message, "syntax error at or near \"selec\"");
	assert_int_equal(d->span.start, 10);
	assert_int_equal(d->span.end, 15); /* the offending token */
	assert_int_equal(pgs_file_report_max_severity(&rep), PGS_SEV_ERROR);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

static void test_input_error(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep, ok;
	struct pgs_error err;
	static const char bad[] = "select 1;\n\xff";

	(void)state;
	pgs_engine_init(&e, &o);
	err.message[0] = '\0';
	assert_int_equal(
	    pgs_engine_lint_text(&e, "bad.sql", bad, sizeof(bad) - 1, false, &rep, &err), -1);
	assert_non_null(strstr(err.message, "bad.sql:2:1:"));
	assert_int_equal(rep.diags.n, 0);
	assert_null(rep.arena.head);
	/* the engine goes on with the next file */
	lint(&e, "ok.sql", "CREATE INDEX i ON t (c);", false, &ok);
	assert_int_equal(count(&ok, "require-concurrent-index"), 1);
	pgs_file_report_release(&ok);
	pgs_engine_release(&e);
}

static void test_empty_file(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "empty.sql", "", false, &rep);
	assert_int_equal(rep.parsed.n_stmts, 0);
	assert_int_equal(rep.diags.n, 0);
	assert_int_equal(pgs_file_report_max_severity(&rep), -1);
	pgs_file_report_release(&rep);
	lint(&e, "comments.sql", "-- nothing\n/* here */\n", false, &rep);
	assert_int_equal(rep.parsed.n_stmts, 0);
	assert_int_equal(rep.diags.n, 0);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

/* SET LOCAL lasts until its transaction ends; outside one it changes nothing. */
static void test_set_local_scope(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;

	(void)state;
	assert_int_equal(count_alone(&o, "x.sql",
				     "SET LOCAL lock_timeout = '5s';\n"
				     "ALTER TABLE t ADD COLUMN c int;\n",
				     "require-lock-timeout"),
			 1);
	assert_int_equal(count_alone(&o, "x.sql",
				     "BEGIN;\nSET LOCAL lock_timeout = '5s';\n"
				     "ALTER TABLE t ADD COLUMN c int;\nCOMMIT;\n",
				     "require-lock-timeout"),
			 0);
	/* golang-migrate: COMMIT in the multi-statement query ends the implicit transaction */
	static const char multi[] = "SET LOCAL lock_timeout = '5s';\n"
				    "ALTER TABLE t ADD COLUMN c int;\n"
				    "COMMIT;\n"
				    "ALTER TABLE t ADD COLUMN d int;\n";
	pgs_engine_init(&e, &o);
	lint(&e, "1_x.up.sql", multi, false, &rep);
	assert_int_equal(count(&rep, "require-lock-timeout"), 1);
	assert_int_equal(first(&rep, "require-lock-timeout")->span.start,
			 strstr(multi, "ALTER TABLE t ADD COLUMN d") - multi);
	pgs_file_report_release(&rep);
	/* set_config names are case-insensitive, like PostgreSQL's */
	lint(&e, "2_y.sql", "SELECT set_config('TimeZone', 'UTC', false);\n", false, &rep);
	assert_non_null(e.model.settings.timezone.value);
	assert_string_equal(e.model.settings.timezone.value, "UTC");
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

/* Rule state and settings start over with every file of the history. */
static void test_per_file_state(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report a, b;

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "1_a.sql",
	     "SET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN c int;\n", false, &a);
	assert_int_equal(count(&a, "require-lock-timeout"), 0);
	/* a new file is a new session: the earlier SET does not count */
	lint(&e, "2_b.sql", "ALTER TABLE t ADD COLUMN d int;\nALTER TABLE t ADD COLUMN e int;\n",
	     false, &b);
	assert_int_equal(count(&b, "require-lock-timeout"), 1);
	const struct pgs_diag *d = first(&b, "require-lock-timeout");
	bool counted = false;
	for (size_t i = 0; i < d->n_notes; i++)
		counted = counted || (strstr(d->notes[i], "1 more statement") &&
				       strstr(d->notes[i], "(line 2)"));
	assert_true(counted);
	pgs_file_report_release(&a);
	pgs_file_report_release(&b);
	pgs_engine_release(&e);
}

/* Locks held in a transaction know whether their table is new in this file. */
static void test_txn_locks_new_here(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;

	(void)state;
	pgs_engine_init(&e, &o);
	lint(&e, "x.sql",
	     "BEGIN;\nCREATE TABLE t (c int);\nALTER TABLE users ADD COLUMN c int;\nSELECT 1;\n"
	     "COMMIT;\n",
	     false, &rep);
	assert_int_equal(rep.parsed.n_stmts, 5);
	const struct pgs_txn *before_select = &rep.txns[3];
	assert_true(before_select->active);
	assert_int_equal(before_select->n_locks, 2);
	assert_string_equal(before_select->locks[0].relation, "public.t");
	assert_true(before_select->locks[0].new_here);
	assert_string_equal(before_select->locks[1].relation, "public.users");
	assert_false(before_select->locks[1].new_here);
	assert_int_equal(rep.txns[4].n_locks, 2);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

/* End-of-file findings: pgstage-ignore-file suppresses them (and is then used). */
static void test_end_of_file_findings(void **state)
{
	struct pgs_lint_options o = options(15);
	struct pgs_engine e;
	struct pgs_file_report rep;

	(void)state;
	assert_int_equal(count_alone(&o, "x.sql", "BEGIN;\nCREATE TABLE u (c int);\n",
				     "uncommitted-transaction"),
			 1);
	pgs_engine_init(&e, &o);
	lint(&e, "x.sql",
	     "-- pgstage-ignore-file uncommitted-transaction: psql -1 commits it\n"
	     "BEGIN;\nCREATE TABLE u (c int);\n",
	     false, &rep);
	assert_int_equal(count(&rep, "uncommitted-transaction"), 0);
	assert_int_equal(count(&rep, "unused-ignore"), 0);
	pgs_file_report_release(&rep);
	pgs_engine_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_history_across_files),
	    cmocka_unit_test(test_context_files),
	    cmocka_unit_test(test_goose_transaction),
	    cmocka_unit_test(test_dbmate_transaction),
	    cmocka_unit_test(test_golang_migrate_transaction),
	    cmocka_unit_test(test_explicit_begin),
	    cmocka_unit_test(test_txn_overrides),
	    cmocka_unit_test(test_rule_disabled),
	    cmocka_unit_test(test_exact_span),
	    cmocka_unit_test(test_exact_span_crlf_bom_utf8),
	    cmocka_unit_test(test_exact_clause_span),
	    cmocka_unit_test(test_syntax_error_reported),
	    cmocka_unit_test(test_input_error),
	    cmocka_unit_test(test_empty_file),
	    cmocka_unit_test(test_set_local_scope),
	    cmocka_unit_test(test_per_file_state),
	    cmocka_unit_test(test_txn_locks_new_here),
	    cmocka_unit_test(test_end_of_file_findings),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
