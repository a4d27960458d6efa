#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/options.h"
#include "core/effects.h"
#include "lint/engine.h"
#include "lint/report.h"

/* The statement's SQL, on one line and shortened, for the text header. */
static void print_sql_line(const char *text, struct pgs_span span)
{
	int col = 0;
	bool space = false;

	for (uint32_t i = span.start; i < span.end; i++) {
		char c = text[i];

		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			space = true;
			continue;
		}
		if (col >= 90) {
			fputs(" ...", stdout);
			return;
		}
		if (space && col) {
			fputc(' ', stdout);
			col++;
		}
		space = false;
		fputc(c, stdout);
		col += ((unsigned char)c & 0xC0) != 0x80;
	}
}

static void explain_text(const struct pgs_file_report *f, bool color)
{
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";

	for (size_t i = 0; i < f->parsed.n_stmts; i++) {
		const struct pgs_stmt *s = &f->parsed.stmts[i];
		const struct pgs_effects *fx = &f->effects[i];
		struct pgs_pos pos = pgs_source_pos(&f->src, s->span.start);

		printf("%s%s:%u:%u:%s ", bold, f->src.path, pos.line, pos.column, reset);
		print_sql_line(f->src.text, s->span);
		fputc('\n', stdout);
		if (!s->node) {
			printf("    does not parse: %s\n", s->error);
			continue;
		}
		printf("    transaction: %s%s\n", fx->no_transaction ? "forbidden" : "allowed",
		       f->txns[i].active ? (f->txns[i].by_tool ? " (runs in the tool's transaction)"
							       : " (runs in a transaction block)")
					 : "");
		if (fx->skipped)
			printf("    does nothing: IF NOT EXISTS, and it exists (only the locks to look)\n");
		if (fx->n == 0)
			printf("    no table locks\n");
		for (size_t k = 0; k < fx->n; k++) {
			const struct pgs_effect *e = &fx->items[k];
			const char *blocks = pgs_lock_blocks(e->lock);

			printf("    %s%s%s: %s", bold, e->relation, reset, pgs_lock_name(e->lock));
			if (blocks)
				printf(" (blocks %s)", blocks);
			if (e->rewrite)
				printf(", rewrites the table");
			if (e->reindex)
				printf(", rebuilds indexes");
			if (e->scan)
				printf(", scans the whole table");
			if (e->is_new)
				printf(", new in this migration history");
			if (e->assumed)
				printf(" [assumed: the conservative answer where the input lacks facts or the query plan decides]");
			fputc('\n', stdout);
		}
	}
}

static void explain_json(json_t *stmts, const struct pgs_file_report *f)
{
	for (size_t i = 0; i < f->parsed.n_stmts; i++) {
		const struct pgs_stmt *s = &f->parsed.stmts[i];
		const struct pgs_effects *fx = &f->effects[i];
		json_t *effects = json_array();

		for (size_t k = 0; k < fx->n; k++)
			json_array_append_new(effects, pgs_report_effect_json(&fx->items[k]));
		json_t *o = json_pack(
			"{s:s, s:o, s:o, s:s%, s:s, s:b, s:o}", "path", f->src.path, "start",
			pgs_report_json_position(&f->src, s->span.start), "end",
			pgs_report_json_position(&f->src, s->span.end), "sql", f->src.text + s->span.start,
			(size_t)(s->span.end - s->span.start), "transaction",
			fx->no_transaction ? "forbidden" : "allowed", "in_transaction", f->txns[i].active,
			"effects", effects);
		if (!s->node)
			json_object_set_new(o, "error", json_string(s->error));
		if (fx->skipped)
			json_object_set_new(o, "skipped", json_true());
		json_array_append_new(stmts, o);
	}
}

int pgs_cmd_explain(int argc, char **argv)
{
	struct pgs_cli_options cli;
	struct pgs_inputs inputs;
	int rc = pgs_cli_options_parse(&cli, PGS_CMD_EXPLAIN, 0, argc, argv);

	if (rc != 0) {
		pgs_cli_options_release(&cli);
		return rc > 0 ? PGS_EXIT_CLEAN : PGS_EXIT_USAGE;
	}
	bool json = strcmp(cli.format, "json") == 0;
	json_t *stmts = json ? json_array() : NULL;
	json_t *errors = json ? json_array() : NULL;
	pgs_inputs_init(&inputs);
	bool input_error = !pgs_cli_collect_inputs(&cli, &inputs, errors);
	struct pgs_engine engine;

	cli.lint.no_rules = true;
	pgs_engine_init(&engine, &cli.lint);
	for (size_t i = 0; i < inputs.n; i++) {
		struct pgs_file_report report;
		struct pgs_error err;

		if (pgs_engine_lint_file(&engine, inputs.items[i].path, inputs.items[i].context,
					 &report, &err) < 0) {
			pgs_cli_input_error(errors, inputs.items[i].path, err.message);
			input_error = true;
			continue;
		}
		pgs_cli_warn_overlap(&report);
		if (!report.context) {
			if (json)
				explain_json(stmts, &report);
			else
				explain_text(&report, cli.color);
		}
		pgs_file_report_release(&report);
	}
	if (engine.parsed_any)
		pg_query_exit();
	pgs_engine_release(&engine);
	if (json) {
		json_t *doc = json_pack("{s:i, s:i, s:o, s:o}", "version", 1, "pg_version",
					cli.lint.pg_version, "statements", stmts, "errors", errors);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	}
	pgs_inputs_release(&inputs);
	pgs_cli_options_release(&cli);
	return input_error ? PGS_EXIT_USAGE : PGS_EXIT_CLEAN;
}
