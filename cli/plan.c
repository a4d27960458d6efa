/*
 * pgstage plan: the safe staged rewrite of a migration, as one psql script,
 * as JSON, or (-o DIR) as migration files in the layout of a migration tool.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/options.h"
#include "lint/rule.h"
#include "planner/plan.h"
#include "planner/render.h"

/* --layout, else the config's "layout", else auto: the tool detected for the input. */
static enum pgs_tool layout_of(const struct pgs_cli_options *cli, enum pgs_tool detected)
{
	const char *name = cli->layout		? cli->layout
			   : cli->config.layout ? cli->config.layout
						: "auto";
	int layout = pgs_tool_parse(name);

	/* a tool whose layout plan can't write (drizzle, prisma, ...): psql scripts */
	if (layout < 0 || layout == PGS_TOOL_AUTO)
		return pgs_tool_has_layout(detected) ? detected : PGS_TOOL_PLAIN;
	return (enum pgs_tool)layout;
}

/* Write the files and list them (and the checkpoints between phases) on stdout. */
static int write_files(const struct pgs_cli_options *cli, struct pgs_plan *plan,
		       enum pgs_tool layout, const char *first_path)
{
	struct pgs_plan_files files;
	struct pgs_error err;
	const char *dir = cli->output_dir;

	if (pgs_plan_files(&files, &plan->arena, plan, layout, first_path, &err) < 0) {
		pgs_cli_error("internal error: %s", err.message);
		return PGS_EXIT_INTERNAL;
	}
	if (pgs_plan_files_write(&files, dir, &err) < 0) {
		pgs_cli_error("plan: %s", err.message);
		return PGS_EXIT_USAGE;
	}
	pgs_plan_files_list(stdout, &files, plan, dir);
	return PGS_EXIT_CLEAN;
}

/* A statement as written, kept in the plan's arena. */
static void keep(struct pgs_cli_plan *p, struct pgs_check *ctx, const char ***list, size_t *n,
		 size_t *cap)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	const char **slot = pgs_arena_push(&p->plan.arena, (void **)list, n, cap, sizeof(*slot));

	*slot = pgs_arena_strndup(&p->plan.arena, pgs_check_text(ctx) + stmt->span.start,
				  stmt->span.end - stmt->span.start);
}

static void each_statement(void *data, struct pgs_check *ctx)
{
	struct pgs_cli_plan *p = data;

	if (p->record)
		keep(p, ctx, &p->original_sql, &p->n_original_sql, &p->cap_original_sql);
	pgs_plan_statement(&p->plan, ctx);
}

static void each_context_statement(void *data, struct pgs_check *ctx)
{
	struct pgs_cli_plan *p = data;

	keep(p, ctx, &p->context_sql, &p->n_context_sql, &p->cap_context_sql);
}

int pgs_cli_plan_load(struct pgs_plan *plan, const char *path, const char *command)
{
	json_error_t jerr;
	struct pgs_error err;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	int rc = PGS_EXIT_CLEAN;

	if (!doc) {
		struct pgs_plan_options none = {0};
		pgs_plan_init(plan, &none);
		if (jerr.line > 0)
			pgs_cli_error("%s: %s:%d:%d: %s", command, path, jerr.line, jerr.column,
				      jerr.text);
		else
			pgs_cli_error("%s: %s", command, jerr.text);
		return PGS_EXIT_USAGE;
	}
	if (pgs_plan_load_json(plan, doc, &err) < 0) {
		pgs_cli_error("%s: %s: %s", command, path, err.message);
		rc = PGS_EXIT_USAGE;
	}
	json_decref(doc);
	return rc;
}

int pgs_cli_plan_make(struct pgs_cli_plan *p, struct pgs_cli_options *cli, bool record)
{
	struct pgs_plan_options popts = {
	    .lock_timeout = cli->config.lock_timeout ? cli->config.lock_timeout : "2s",
	    .statement_timeout =
		cli->config.statement_timeout ? cli->config.statement_timeout : "5min",
	    .validate_timeout = cli->config.validate_timeout ? cli->config.validate_timeout : "0",
	    .batch_size = cli->config.batch_size ? (size_t)cli->config.batch_size : 1000,
	};
	struct pgs_plan *plan = &p->plan;
	struct pgs_inputs *inputs = &p->inputs;
	int rc = PGS_EXIT_CLEAN;

	memset(p, 0, sizeof(*p));
	p->record = record;
	p->detected = PGS_TOOL_AUTO; /* of the first planned file */
	pgs_plan_init(plan, &popts);
	pgs_inputs_init(inputs);
	bool input_error = !pgs_cli_collect_inputs(cli, inputs, NULL);

	struct pgs_engine engine;
	cli->lint.no_rules = true;
	cli->lint.on_statement = each_statement;
	cli->lint.on_context_statement = record ? each_context_statement : NULL;
	cli->lint.on_statement_data = p;
	pgs_engine_init(&engine, &cli->lint);
	/* files whose context seems to include them: notes that head the plan */
	const char **overlaps =
	    pgs_arena_array(&plan->arena, inputs->n ? inputs->n : 1, sizeof(*overlaps));
	size_t n_overlaps = 0;
	for (size_t i = 0; i < inputs->n && !input_error; i++) {
		struct pgs_file_report report;
		struct pgs_error err;

		if (pgs_engine_lint_file(&engine, inputs->items[i].path, inputs->items[i].context,
					 &report, &err) < 0) {
			pgs_cli_error("%s", err.message);
			input_error = true;
			continue;
		}
		const char *overlap = pgs_cli_overlap(&report);
		pgs_cli_warn_overlap(&report);
		if (overlap)
			overlaps[n_overlaps++] = pgs_arena_printf(
			    &plan->arena,
			    "%s: this plan starts from a schema that already has its changes",
			    overlap);
		if (!report.context && !p->first_path) {
			p->detected = report.sections.tool;
			p->first_path = inputs->items[i].path;
		}
		for (size_t k = 0; k < report.parsed.n_stmts && !report.context; k++)
			if (!report.parsed.stmts[k].node) {
				struct pgs_pos pos = pgs_source_pos(
				    &report.src, report.parsed.stmts[k].error_offset);
				pgs_cli_error(
				    "%s:%u:%u: %s; a file with syntax errors is not planned",
				    report.src.path, pos.line, pos.column,
				    report.parsed.stmts[k].error);
				input_error = true;
				break;
			}
		pgs_plan_end_file(plan);
		pgs_file_report_release(&report);
	}
	if (!input_error && !plan->failed)
		pgs_plan_finish(plan);
	p->parsed_any = engine.parsed_any; /* pg_query_exit is only safe then */
	pgs_engine_release(&engine);

	struct pgs_error err;
	if (!input_error && !plan->failed) {
		/* what each step does: the JSON shows it, pgs_plan_check proves the plan safe */
		const char **context =
		    pgs_arena_array(&plan->arena, inputs->n ? inputs->n : 1, sizeof(*context));
		size_t n_context = 0;
		for (size_t i = 0; i < inputs->n; i++)
			if (inputs->items[i].context)
				context[n_context++] = inputs->items[i].path;
		if (pgs_plan_compute_effects(plan, &cli->lint, context, n_context, &err) < 0) {
			plan->error = err;
			plan->failed = true;
		}
		/* after the effects, whose notes are found by "path:line: " */
		pgs_plan_note_first(plan, overlaps, n_overlaps);
	}
	if (input_error) {
		rc = PGS_EXIT_USAGE;
	} else if (plan->failed) {
		pgs_cli_error("internal error: %s", plan->error.message);
		rc = PGS_EXIT_INTERNAL;
	} else if (pgs_plan_check(plan, &err) < 0) {
		pgs_cli_error("internal error: %s", err.message);
		rc = PGS_EXIT_INTERNAL;
	}
	return rc;
}

void pgs_cli_plan_release(struct pgs_cli_plan *p)
{
	/* after any files: their down migrations are parsed and deparsed too */
	if (p->parsed_any)
		pg_query_exit();
	pgs_plan_release(&p->plan);
	pgs_inputs_release(&p->inputs);
}

int pgs_cmd_plan(int argc, char **argv)
{
	struct pgs_cli_options cli;
	struct pgs_cli_plan p;
	int rc = pgs_cli_options_parse(&cli, PGS_CMD_PLAN, PGS_ACCEPT_OUTPUT, argc, argv);

	if (rc != 0) {
		pgs_cli_options_release(&cli);
		return rc > 0 ? PGS_EXIT_CLEAN : PGS_EXIT_USAGE;
	}
	rc = pgs_cli_plan_make(&p, &cli, false);
	if (rc == PGS_EXIT_CLEAN) {
		if (cli.output_dir) {
			rc = write_files(&cli, &p.plan, layout_of(&cli, p.detected), p.first_path);
		} else if (strcmp(cli.format, "json") == 0) {
			json_t *doc = pgs_plan_render_json(&p.plan);
			json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
			json_decref(doc);
		} else {
			pgs_plan_render_sql(stdout, &p.plan);
		}
	}
	pgs_cli_plan_release(&p);
	pgs_cli_options_release(&cli);
	return rc;
}
