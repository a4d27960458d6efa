#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "lint/engine.h"
#include "lint/inputs.h"
#include "lint/report.h"
#include "rules/registry.h"

static const char lint_usage[] =
	"usage: pgstage lint [options] PATH...\n"
	"\n"
	"Lint migration files. PATHs are files, directories (searched for .sql files,\n"
	"applied in natural version order) or - for standard input; together they are\n"
	"one migration history: later files see what earlier ones created.\n"
	"\n"
	"options:\n"
	"  --format FORMAT          text (default) or json\n"
	"  --fail-on LEVEL          exit 1 for findings at or above LEVEL: info, warning\n"
	"                           (default), error; or none\n"
	"  --pg-version N           target PostgreSQL major version, 11 to 18 (default 15)\n"
	"  --tool TOOL              migration tool conventions: auto (default), plain, goose,\n"
	"                           dbmate, golang-migrate, flyway\n"
	"  --context PATH           earlier migrations or a schema dump: feed the model, not\n"
	"                           reported (repeatable)\n"
	"  --down                   lint the down migrations instead of the up ones\n"
	"  --assume-in-transaction  treat every file as run inside one transaction\n"
	"  --no-transaction         treat every file as run without a transaction\n"
	"  --rule NAME              run only this rule (repeatable; name or id)\n"
	"  --disable NAME           do not run this rule (repeatable; name or id)\n"
	"  --color WHEN             auto (default: on a terminal, unless NO_COLOR is set),\n"
	"                           always, never\n"
	"  -h, --help               this help\n"
	"\n"
	"exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error,\n"
	"3 internal error\n";

struct totals {
	size_t by_severity[3];
	size_t files, files_with_findings;
	bool input_error;
	int max_severity;
};

static void lint_one(struct pgs_engine *engine, const struct pgs_input *in, struct pgs_cli_options *cli,
		     json_t *json_diags, json_t *json_errors, struct totals *t)
{
	struct pgs_file_report report;
	struct pgs_error err;

	if (pgs_engine_lint_file(engine, in->path, in->context, &report, &err) < 0) {
		pgs_cli_input_error(json_errors, in->path, err.message);
		t->input_error = true;
		return;
	}
	if (!in->context) {
		t->files++;
		if (report.diags.n)
			t->files_with_findings++;
		for (size_t i = 0; i < report.diags.n; i++)
			t->by_severity[report.diags.items[i].severity]++;
		int max = pgs_file_report_max_severity(&report);
		if (max > t->max_severity)
			t->max_severity = max;
		if (cli->format == PGS_FORMAT_JSON)
			pgs_report_json_append(json_diags, &report);
		else
			pgs_report_text(stdout, &report, cli->color);
	}
	pgs_file_report_release(&report);
}

static void print_summary(const struct totals *t)
{
	size_t total = t->by_severity[0] + t->by_severity[1] + t->by_severity[2];

	if (!total)
		return;
	printf("\n%zu finding%s (%zu error%s, %zu warning%s, %zu info) in %zu of %zu file%s\n", total,
	       total == 1 ? "" : "s", t->by_severity[PGS_SEV_ERROR],
	       t->by_severity[PGS_SEV_ERROR] == 1 ? "" : "s", t->by_severity[PGS_SEV_WARNING],
	       t->by_severity[PGS_SEV_WARNING] == 1 ? "" : "s", t->by_severity[PGS_SEV_INFO],
	       t->files_with_findings, t->files, t->files == 1 ? "" : "s");
}

int pgs_cmd_lint(int argc, char **argv)
{
	struct pgs_cli_options cli;
	struct pgs_inputs inputs;
	struct totals totals = {.max_severity = -1};
	int rc = pgs_cli_options_parse(&cli, lint_usage, PGS_ACCEPT_RULES, argc, argv);

	if (rc != 0) {
		pgs_cli_options_release(&cli);
		return rc > 0 ? PGS_EXIT_CLEAN : PGS_EXIT_USAGE;
	}
	bool json = cli.format == PGS_FORMAT_JSON;
	json_t *json_diags = json ? json_array() : NULL;
	json_t *json_errors = json ? json_array() : NULL;
	pgs_inputs_init(&inputs);
	totals.input_error = !pgs_cli_collect_inputs(&cli, &inputs, json_errors);

	struct pgs_engine engine;
	pgs_engine_init(&engine, &cli.lint);
	for (size_t i = 0; i < inputs.n; i++)
		lint_one(&engine, &inputs.items[i], &cli, json_diags, json_errors, &totals);
	/* libpg_query's top memory context, so valgrind sees no leak; only
	 * safe once the parser has run. */
	if (engine.parsed_any)
		pg_query_exit();
	pgs_engine_release(&engine);

	if (json) {
		json_t *doc = json_pack("{s:i, s:o, s:o}", "version", 1, "diagnostics", json_diags,
					"errors", json_errors);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		print_summary(&totals);
	}

	pgs_inputs_release(&inputs);
	int fail_on = cli.fail_on;
	pgs_cli_options_release(&cli);
	if (totals.input_error)
		return PGS_EXIT_USAGE;
	return totals.max_severity >= fail_on ? PGS_EXIT_FINDINGS : PGS_EXIT_CLEAN;
}
