/*
 * SARIF output against the required structure of the SARIF 2.1.0 schema
 * (sarifLog, run, tool, toolComponent, reportingDescriptor, result,
 * message, location, physicalLocation, artifactLocation, region, fix,
 * artifactChange, replacement, invocation).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lint/engine.h"
#include "lint/report.h"
#include "rules/registry.h"

static const char migration[] = "CREATE INDEX users_email_idx ON users (email);\n"
				"ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n"
				"selec 1;\n";

/* Lint migration and render it as SARIF; the caller owns the returned document. */
static json_t *render(const char *text, bool input_error)
{
	/* only the three rules the migration is about, so the counts below hold */
	static bool disabled[512];
	for (size_t i = 0; i < pgs_n_rules; i++)
		disabled[i] = strcmp(pgs_rules[i]->id, "M000") != 0 &&
			      strcmp(pgs_rules[i]->id, "M101") != 0 &&
			      strcmp(pgs_rules[i]->id, "M201") != 0;
	struct pgs_lint_options opts = {.pg_version = 15, .tool = PGS_TOOL_PLAIN,
					.rule_disabled = disabled};
	struct pgs_engine engine;
	struct pgs_file_report report;
	struct pgs_error err;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	const struct pgs_reporter *r = pgs_reporter_find("sarif");
	struct pgs_report_ctx ctx = {.out = out, .docs_url = "https://example.invalid/rules.md"};
	struct pgs_report_totals totals = {0};

	assert_non_null(r);
	r->begin(&ctx);
	pgs_engine_init(&engine, &opts);
	assert_int_equal(pgs_engine_lint_text(&engine, "db/0001_users.sql", text, strlen(text), false,
					      &report, &err),
			 0);
	r->file(&ctx, &report);
	if (input_error)
		r->input_error(&ctx, "db/missing.sql", "db/missing.sql: cannot read");
	r->end(&ctx, &totals);
	fclose(out);
	pgs_file_report_release(&report);
	pgs_engine_release(&engine);

	json_error_t jerr;
	json_t *doc = json_loads(buf, 0, &jerr);
	free(buf);
	assert_non_null(doc);
	return doc;
}

static json_t *member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		fail_msg("missing required property \"%s\"", key);
	return v;
}

static void check_region(json_t *region)
{
	json_int_t start_line = json_integer_value(member(region, "startLine"));
	json_int_t start_col = json_integer_value(member(region, "startColumn"));
	json_int_t end_line = json_integer_value(member(region, "endLine"));

	assert_true(start_line >= 1);
	assert_true(start_col >= 1);
	assert_true(end_line >= start_line);
	assert_true(json_integer_value(member(region, "charOffset")) >= 0);
}

static void check_physical_location(json_t *loc)
{
	json_t *phys = member(loc, "physicalLocation");
	assert_true(json_is_string(member(member(phys, "artifactLocation"), "uri")));
	if (json_object_get(phys, "region"))
		check_region(json_object_get(phys, "region"));
}

static void test_required_structure(void **state)
{
	(void)state;
	json_t *doc = render(migration, true);

	assert_string_equal(json_string_value(member(doc, "version")), "2.1.0");
	assert_true(json_is_string(member(doc, "$schema")));
	json_t *runs = member(doc, "runs");
	assert_true(json_is_array(runs));
	assert_int_equal(json_array_size(runs), 1);
	json_t *run = json_array_get(runs, 0);
	json_t *driver = member(member(run, "tool"), "driver");
	assert_string_equal(json_string_value(member(driver, "name")), "pgstage");
	json_t *rules = member(driver, "rules");
	assert_true(json_array_size(rules) > 3);

	size_t i;
	json_t *rule;
	json_array_foreach(rules, i, rule) {
		assert_true(json_is_string(member(rule, "id")));
		assert_true(json_is_string(member(member(rule, "shortDescription"), "text")));
		assert_true(json_is_string(member(member(rule, "help"), "text")));
		const char *uri = json_string_value(member(rule, "helpUri"));
		assert_true(strncmp(uri, "https://example.invalid/rules.md#", 33) == 0);
		const char *level =
			json_string_value(member(member(rule, "defaultConfiguration"), "level"));
		assert_true(strcmp(level, "error") == 0 || strcmp(level, "warning") == 0 ||
			    strcmp(level, "note") == 0);
	}

	json_t *results = member(run, "results");
	/* require-concurrent-index, adding-field-with-volatile-default, syntax-error */
	assert_int_equal(json_array_size(results), 3);
	json_t *result;
	json_array_foreach(results, i, result) {
		const char *id = json_string_value(member(result, "ruleId"));
		json_int_t index = json_integer_value(member(result, "ruleIndex"));
		assert_true(index >= 0 && (size_t)index < json_array_size(rules));
		assert_string_equal(json_string_value(json_object_get(json_array_get(rules, index), "id")),
				    id);
		assert_true(json_is_string(member(member(result, "message"), "text")));
		json_t *locations = member(result, "locations");
		assert_int_equal(json_array_size(locations), 1);
		check_physical_location(json_array_get(locations, 0));
	}

	/* the first result is the index build at 1:1 with its CONCURRENTLY fix */
	json_t *first = json_array_get(results, 0);
	assert_string_equal(json_string_value(member(first, "ruleId")), "M101");
	assert_string_equal(json_string_value(member(first, "level")), "warning");
	json_t *region = member(member(json_array_get(member(first, "locations"), 0),
				       "physicalLocation"),
				"region");
	assert_int_equal(json_integer_value(member(region, "startLine")), 1);
	assert_int_equal(json_integer_value(member(region, "endColumn")), 46);
	json_t *fix = json_array_get(member(first, "fixes"), 0);
	json_t *change = json_array_get(member(fix, "artifactChanges"), 0);
	assert_string_equal(json_string_value(member(member(change, "artifactLocation"), "uri")),
			    "db/0001_users.sql");
	json_t *repl = json_array_get(member(change, "replacements"), 0);
	check_region(member(repl, "deletedRegion"));
	assert_string_equal(json_string_value(member(member(repl, "insertedContent"), "text")),
			    " CONCURRENTLY");

	/* the syntax error is an error-level result on line 3 */
	json_t *third = json_array_get(results, 2);
	assert_string_equal(json_string_value(member(third, "level")), "error");

	/* the unreadable file is an invocation notification, and the run failed */
	json_t *inv = json_array_get(member(run, "invocations"), 0);
	assert_false(json_boolean_value(member(inv, "executionSuccessful")));
	json_t *note = json_array_get(member(inv, "toolExecutionNotifications"), 0);
	assert_true(json_is_string(member(member(note, "message"), "text")));
	json_decref(doc);
}

static void test_clean_run(void **state)
{
	(void)state;
	json_t *doc = render("SELECT 1;\n", false);
	json_t *run = json_array_get(member(doc, "runs"), 0);

	assert_int_equal(json_array_size(member(run, "results")), 0);
	assert_true(json_boolean_value(
		member(json_array_get(member(run, "invocations"), 0), "executionSuccessful")));
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required_structure),
		cmocka_unit_test(test_clean_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
