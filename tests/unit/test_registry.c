/*
 * registry: rule ids sorted and unique, names kebab-case and matching their
 * files in rules/, lookups, and every rule's bad example firing while its good
 * example does not. Runs from the repository root (tests/run-unit.sh does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>

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

static bool is_id(const char *id)
{
	if (strlen(id) != 4 || id[0] != 'M')
		return false;
	for (int i = 1; i < 4; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	return true;
}

/* ^[a-z][a-z0-9]*(-[a-z0-9]+)*$ */
static bool is_kebab(const char *name)
{
	if (!(name[0] >= 'a' && name[0] <= 'z'))
		return false;
	for (const char *p = name; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');

		if (*p == '-') {
			if (p[1] == '\0' || p[1] == '-')
				return false;
		} else if (!alnum) {
			return false;
		}
	}
	return true;
}

static void test_kebab_helper(void **state)
{
	(void)state;
	assert_true(is_kebab("require-concurrent-index"));
	assert_true(is_kebab("a1-b2"));
	assert_false(is_kebab("Require-x"));
	assert_false(is_kebab("a--b"));
	assert_false(is_kebab("a-"));
	assert_false(is_kebab("-a"));
	assert_false(is_kebab("a_b"));
	assert_true(is_id("M000"));
	assert_false(is_id("M01"));
	assert_false(is_id("m101"));
	assert_false(is_id("M1011"));
	assert_false(is_id("MA01"));
}

static void test_ids_sorted_unique(void **state)
{
	(void)state;
	assert_true(pgs_n_rules > 0);
	for (size_t i = 0; i < pgs_n_rules; i++) {
		const struct pgs_rule *r = pgs_rules[i];

		assert_non_null(r);
		if (!is_id(r->id))
			fail_msg("rule %zu: id \"%s\" is not M followed by three digits", i, r->id);
		if (i > 0 && strcmp(pgs_rules[i - 1]->id, r->id) >= 0)
			fail_msg("rule ids out of order or repeated: %s then %s",
				 pgs_rules[i - 1]->id, r->id);
	}
}

static void test_names_and_descriptors(void **state)
{
	(void)state;
	for (size_t i = 0; i < pgs_n_rules; i++) {
		const struct pgs_rule *r = pgs_rules[i];

		if (!r->name || !is_kebab(r->name))
			fail_msg("rule %s: name \"%s\" is not kebab-case", r->id,
				 r->name ? r->name : "(null)");
		for (size_t j = 0; j < i; j++)
			if (strcmp(pgs_rules[j]->name, r->name) == 0)
				fail_msg("rule name \"%s\" used twice", r->name);
		assert_true(r->severity == PGS_SEV_INFO || r->severity == PGS_SEV_WARNING ||
			    r->severity == PGS_SEV_ERROR);
		assert_non_null(r->summary);
		assert_true(strlen(r->summary) > 0);
		assert_null(strchr(r->summary, '\n')); /* one line */
		assert_non_null(r->docs);
		assert_true(strlen(r->docs) > 0);
		assert_non_null(r->example_bad);
		assert_non_null(r->example_good);
	}
	/* the built-in syntax-error rule is listed, without a check */
	assert_ptr_equal(pgs_rule_find("syntax-error"), &pgs_rule_syntax_error);
	assert_string_equal(pgs_rule_syntax_error.id, "M000");
	assert_null(pgs_rule_syntax_error.check);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every rules/<sym>.c but registry.c is a rule named sym with _ -> -, and back. */
static void test_every_rule_file_listed(void **state)
{
	DIR *d = opendir("rules");
	struct dirent *ent;
	size_t n_files = 0;

	(void)state;
	if (!d)
		fail_msg("cannot open rules/: the test must run from the repository root");
	while ((ent = readdir(d))) {
		char name[256];
		size_t len = strlen(ent->d_name);

		if (ent->d_name[0] == '.' || !has_suffix(ent->d_name, ".c") ||
		    strcmp(ent->d_name, "registry.c") == 0)
			continue;
		assert_true(len - 2 < sizeof(name));
		memcpy(name, ent->d_name, len - 2);
		name[len - 2] = '\0';
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		const struct pgs_rule *r = pgs_rule_find(name);
		if (!r)
			fail_msg("rules/%s has no rule named \"%s\" in rules/rules.def",
				 ent->d_name, name);
		assert_string_equal(r->name, name);
		n_files++;
	}
	closedir(d);

	/* and every listed rule has its file */
	for (size_t i = 0; i < pgs_n_rules; i++) {
		char path[256];
		int k = snprintf(path, sizeof(path), "rules/%s.c", pgs_rules[i]->name);

		assert_true(k > 0 && (size_t)k < sizeof(path));
		for (char *p = path + strlen("rules/"); *p && *p != '.'; p++)
			if (*p == '-')
				*p = '_';
		if (access(path, R_OK) != 0)
			fail_msg("rule %s (%s) has no file %s", pgs_rules[i]->id,
				 pgs_rules[i]->name, path);
	}
	assert_int_equal(n_files, pgs_n_rules);
}

static void test_find(void **state)
{
	(void)state;
	const struct pgs_rule *r = pgs_rule_find("M101");
	assert_non_null(r);
	assert_string_equal(r->name, "require-concurrent-index");
	assert_ptr_equal(pgs_rule_find("require-concurrent-index"), r);
	assert_null(pgs_rule_find("m101"));
	assert_null(pgs_rule_find("M999"));
	assert_null(pgs_rule_find("require_concurrent_index"));
	assert_null(pgs_rule_find(""));
	for (size_t i = 0; i < pgs_n_rules; i++) {
		assert_ptr_equal(pgs_rule_find(pgs_rules[i]->id), pgs_rules[i]);
		assert_ptr_equal(pgs_rule_find(pgs_rules[i]->name), pgs_rules[i]);
		assert_int_equal(pgs_rule_index(pgs_rules[i]), i);
	}
}

/* Diagnostics of rule in text linted alone with default options. */
static size_t count_of_rule(const struct pgs_rule *rule, const char *text, size_t *total)
{
	struct pgs_lint_options opts = {.pg_version = PGS_PG_VERSION_DEFAULT,
					.tool = PGS_TOOL_PLAIN};
	struct pgs_engine engine;
	struct pgs_file_report rep;
	struct pgs_error err;
	size_t n = 0;

	assert_int_equal(PGS_PG_VERSION_DEFAULT, 15);
	pgs_engine_init(&engine, &opts);
	if (pgs_engine_lint_text(&engine, "example.sql", text, strlen(text), false, &rep, &err) !=
	    0)
		fail_msg("%s: %s", rule->name, err.message);
	for (size_t i = 0; i < rep.diags.n; i++) {
		assert_non_null(rep.diags.items[i].rule);
		assert_non_null(rep.diags.items[i].message);
		assert_true(rep.diags.items[i].span.start <= rep.diags.items[i].span.end);
		assert_true(rep.diags.items[i].span.end <= rep.src.len);
		if (rep.diags.items[i].rule == rule)
			n++;
	}
	if (total)
		*total = rep.diags.n;
	pgs_file_report_release(&rep);
	pgs_engine_release(&engine);
	return n;
}

static void test_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < pgs_n_rules; i++) {
		const struct pgs_rule *r = pgs_rules[i];
		size_t total = 0;

		if (!r->check && !r->end_of_file)
			continue;
		if (count_of_rule(r, r->example_bad, NULL) == 0)
			fail_msg("%s (%s): example_bad gives no diagnostic:\n%s", r->id, r->name,
				 r->example_bad);
		size_t good = count_of_rule(r, r->example_good, &total);
		if (good != 0)
			fail_msg("%s (%s): example_good gives %zu diagnostics:\n%s", r->id, r->name,
				 good, r->example_good);
		/* a good example has no syntax error either */
		if (count_of_rule(&pgs_rule_syntax_error, r->example_good, NULL) != 0)
			fail_msg("%s (%s): example_good does not parse", r->id, r->name);
	}
}

static void test_syntax_error_examples(void **state)
{
	const struct pgs_rule *r = &pgs_rule_syntax_error;
	size_t total = 0;

	(void)state;
	assert_true(count_of_rule(r, r->example_bad, &total) >= 1);
	assert_true(count_of_rule(r, r->example_good, NULL) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kebab_helper),
	    cmocka_unit_test(test_ids_sorted_unique),
	    cmocka_unit_test(test_names_and_descriptors),
	    cmocka_unit_test(test_every_rule_file_listed),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_syntax_error_examples),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
