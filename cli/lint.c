#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <pg_query.h>

#include "cli/cli.h"
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

enum {
	OPT_FORMAT = 256,
	OPT_FAIL_ON,
	OPT_PG_VERSION,
	OPT_TOOL,
	OPT_CONTEXT,
	OPT_DOWN,
	OPT_ASSUME_TXN,
	OPT_NO_TXN,
	OPT_RULE,
	OPT_DISABLE,
	OPT_COLOR,
};

static const struct option long_options[] = {
	{"format", required_argument, NULL, OPT_FORMAT},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"pg-version", required_argument, NULL, OPT_PG_VERSION},
	{"tool", required_argument, NULL, OPT_TOOL},
	{"context", required_argument, NULL, OPT_CONTEXT},
	{"down", no_argument, NULL, OPT_DOWN},
	{"assume-in-transaction", no_argument, NULL, OPT_ASSUME_TXN},
	{"no-transaction", no_argument, NULL, OPT_NO_TXN},
	{"rule", required_argument, NULL, OPT_RULE},
	{"disable", required_argument, NULL, OPT_DISABLE},
	{"color", required_argument, NULL, OPT_COLOR},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct lint_cli {
	struct pgs_lint_options opts;
	bool json;
	int fail_on; /* severity, or PGS_SEV_ERROR + 1 for none */
	bool color;
	bool *disabled;
	bool *selected;
	bool any_selected;
	const char **context;
	size_t n_context;
};

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < -1000000 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

static int bad_value(const char *option, const char *value, const char *expected)
{
	pgs_cli_error("lint: invalid value '%s' for --%s (expected %s)", value, option, expected);
	return -1;
}

static int parse_options(struct lint_cli *cli, int argc, char **argv)
{
	const char *color = "auto";
	int c;

	cli->opts.pg_version = PGS_PG_VERSION_DEFAULT;
	cli->opts.tool = PGS_TOOL_AUTO;
	cli->fail_on = PGS_SEV_WARNING;
	cli->disabled = calloc(pgs_n_rules, sizeof(bool));
	cli->selected = calloc(pgs_n_rules, sizeof(bool));
	cli->context = calloc((size_t)argc, sizeof(char *));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		const struct pgs_rule *rule;
		int v;

		switch (c) {
		case OPT_FORMAT:
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
				return bad_value("format", optarg, "text or json");
			cli->json = strcmp(optarg, "json") == 0;
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "none") == 0)
				cli->fail_on = PGS_SEV_ERROR + 1;
			else if ((cli->fail_on = pgs_severity_parse(optarg)) < 0)
				return bad_value("fail-on", optarg, "info, warning, error or none");
			break;
		case OPT_PG_VERSION:
			if (parse_int(optarg, &v) < 0 || v < PGS_PG_VERSION_MIN || v > PGS_PG_VERSION_MAX)
				return bad_value("pg-version", optarg, "a major version from 11 to 18");
			cli->opts.pg_version = v;
			break;
		case OPT_TOOL:
			if ((v = pgs_tool_parse(optarg)) < 0)
				return bad_value("tool", optarg,
						 "auto, plain, goose, dbmate, golang-migrate or flyway");
			cli->opts.tool = (enum pgs_tool)v;
			break;
		case OPT_CONTEXT:
			cli->context[cli->n_context++] = optarg;
			break;
		case OPT_DOWN:
			cli->opts.down = true;
			break;
		case OPT_ASSUME_TXN:
			cli->opts.txn = PGS_TXN_ALWAYS;
			break;
		case OPT_NO_TXN:
			cli->opts.txn = PGS_TXN_NEVER;
			break;
		case OPT_RULE:
		case OPT_DISABLE:
			if (!(rule = pgs_rule_find(optarg))) {
				pgs_cli_error("lint: no rule named '%s' (pgstage rules lists them)", optarg);
				return -1;
			}
			if (c == OPT_RULE) {
				cli->selected[pgs_rule_index(rule)] = true;
				cli->any_selected = true;
			} else {
				cli->disabled[pgs_rule_index(rule)] = true;
			}
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "always") != 0 &&
			    strcmp(optarg, "never") != 0)
				return bad_value("color", optarg, "auto, always or never");
			color = optarg;
			break;
		case 'h':
			fputs(lint_usage, stdout);
			return 1;
		case ':':
			pgs_cli_error("lint: option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			pgs_cli_error("lint: unknown option '%s' (pgstage lint --help lists them)",
				      argv[optind - 1]);
			return -1;
		}
	}
	for (size_t i = 0; i < pgs_n_rules; i++)
		if (cli->any_selected && !cli->selected[i])
			cli->disabled[i] = true;
	cli->opts.rule_disabled = cli->disabled;
	if (strcmp(color, "always") == 0)
		cli->color = true;
	else if (strcmp(color, "auto") == 0)
		cli->color = !cli->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	return 0;
}

struct totals {
	size_t by_severity[3];
	size_t files, files_with_findings;
	bool input_error;
	int max_severity;
};

static void lint_one(struct pgs_engine *engine, const struct pgs_input *in, struct lint_cli *cli,
		     json_t *json_diags, json_t *json_errors, struct totals *t)
{
	struct pgs_file_report report;
	struct pgs_error err;

	if (pgs_engine_lint_file(engine, in->path, in->context, &report, &err) < 0) {
		pgs_cli_error("%s", err.message);
		if (json_errors)
			json_array_append_new(json_errors,
					      json_pack("{s:s, s:s}", "path", in->path, "message",
							err.message));
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
		if (cli->json)
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
	struct lint_cli cli = {0};
	struct pgs_inputs inputs;
	struct totals totals = {.max_severity = -1};
	struct pgs_error err;
	int rc = parse_options(&cli, argc, argv);

	pgs_inputs_init(&inputs);
	if (rc != 0 || optind >= argc) {
		if (rc == 0)
			pgs_cli_error("lint: no PATH given (use - for standard input)");
		free(cli.disabled);
		free(cli.selected);
		free(cli.context);
		return rc > 0 ? PGS_EXIT_CLEAN : PGS_EXIT_USAGE;
	}
	for (size_t i = 0; i < cli.n_context; i++)
		if (pgs_inputs_add(&inputs, cli.context[i], true, false, &err) < 0) {
			pgs_cli_error("%s", err.message);
			totals.input_error = true;
		}
	for (int i = optind; i < argc; i++)
		if (pgs_inputs_add(&inputs, argv[i], false, cli.opts.down, &err) < 0) {
			pgs_cli_error("%s", err.message);
			totals.input_error = true;
		}

	json_t *json_diags = cli.json ? json_array() : NULL;
	json_t *json_errors = cli.json ? json_array() : NULL;
	struct pgs_engine engine;
	pgs_engine_init(&engine, &cli.opts);
	for (size_t i = 0; i < inputs.n; i++)
		lint_one(&engine, &inputs.items[i], &cli, json_diags, json_errors, &totals);
	/* libpg_query's top memory context, so valgrind sees no leak; only
	 * safe once the parser has run. */
	if (engine.parsed_any)
		pg_query_exit();
	pgs_engine_release(&engine);

	if (cli.json) {
		json_t *doc = json_pack("{s:i, s:o, s:o}", "version", 1, "diagnostics", json_diags,
					"errors", json_errors);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		print_summary(&totals);
	}

	pgs_inputs_release(&inputs);
	free(cli.disabled);
	free(cli.selected);
	free(cli.context);
	if (totals.input_error)
		return PGS_EXIT_USAGE;
	return totals.max_severity >= cli.fail_on ? PGS_EXIT_FINDINGS : PGS_EXIT_CLEAN;
}
