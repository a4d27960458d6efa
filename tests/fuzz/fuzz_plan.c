/*
 * Fuzz target: `pgstage plan` (after a context file, split at the first NUL
 * byte), as cli/plan.c drives it, rendered every way: the one script, JSON,
 * and the migration files of every layout (in memory; nothing is written).
 * What the CLI reports as an internal error (exit 3) is a planner bug: a
 * failed plan, a plan that breaks its invariants, files that can't be made.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "planner/plan.h"
#include "planner/render.h"
#include "tests/fuzz/fuzz.h"

static void render(struct pgs_plan *plan, const char *first_path)
{
	struct pgs_fuzz_stream out;
	struct pgs_error err;

	pgs_fuzz_stream_open(&out);
	pgs_plan_render_sql(out.f, plan);
	json_t *doc = pgs_plan_render_json(plan);
	char *json = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!json)
		pgs_fuzz_bug("the plan has no JSON");
	free(json);
	json_decref(doc);

	for (int layout = PGS_TOOL_PLAIN; layout <= PGS_TOOL_LAST; layout++) {
		struct pgs_plan_files files;

		if (!pgs_tool_has_layout((enum pgs_tool)layout))
			continue;
		if (pgs_plan_files(&files, &plan->arena, plan, (enum pgs_tool)layout, first_path,
				   &err) < 0)
			pgs_fuzz_bug("internal error: %s", err.message);
		/* -o writes them all into one directory tree: no two may share a name */
		for (size_t i = 0; i < files.n; i++)
			for (size_t k = 0; k < i && files.items[i].name; k++)
				if (files.items[k].name &&
				    strcmp(files.items[i].name, files.items[k].name) == 0)
					pgs_fuzz_bug("layout %s names two files %s",
						     pgs_tool_name((enum pgs_tool)layout),
						     files.items[i].name);
		pgs_plan_files_list(out.f, &files, plan, "out");
	}
	pgs_fuzz_stream_close(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgs_fuzz_case c;
	struct pgs_engine engine;
	struct pgs_file_report report;
	struct pgs_error err;
	/* cli/plan.c's, when the config sets no timeouts */
	struct pgs_plan_options popts = {.lock_timeout = "2s",
					 .statement_timeout = "5min",
					 .validate_timeout = "0",
					 .batch_size = 1000};
	struct pgs_plan plan;
	bool planned = false;

	pgs_fuzz_case_init(&c, data, size, true);
	pgs_plan_init(&plan, &popts);
	c.lint.no_rules = true;
	c.lint.on_statement = pgs_plan_statement;
	c.lint.on_statement_data = &plan;
	pgs_engine_init(&engine, &c.lint);
	/* an unreadable context is an input error (exit 2): nothing is planned */
	bool input_ok = true;
	if (c.context) {
		input_ok = pgs_engine_lint_file(&engine, c.context_path, true, &report, &err) == 0;
		if (input_ok) {
			pgs_plan_end_file(&plan);
			pgs_file_report_release(&report);
		}
	}
	if (input_ok &&
	    pgs_engine_lint_text(&engine, c.name, c.text, c.len, false, &report, &err) == 0) {
		/* the CLI refuses to plan a file with syntax errors (exit 2) */
		planned = !pgs_fuzz_has_syntax_error(&report);
		pgs_plan_end_file(&plan);
		pgs_file_report_release(&report);
	}
	pgs_engine_release(&engine);

	const char *context[1] = {c.context_path};
	if (planned && !plan.failed &&
	    pgs_plan_compute_effects(&plan, &c.lint, context, c.context ? 1 : 0, &err) < 0) {
		plan.error = err;
		plan.failed = true;
	}
	if (planned && plan.failed)
		pgs_fuzz_bug("internal error: %s", plan.error.message);
	if (planned && pgs_plan_check(&plan, &err) < 0)
		pgs_fuzz_bug("internal error: %s", err.message);
	if (planned)
		render(&plan, c.name);
	pgs_plan_release(&plan);
	pgs_fuzz_case_release(&c);
	return 0;
}
