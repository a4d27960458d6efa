#include "cli/options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "core/duration.h"
#include "lint/report.h"
#include "rules/registry.h"

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
	OPT_CONFIG,
	OPT_NO_CONFIG,
	OPT_FIX,
	OPT_UNSAFE_FIXES,
	OPT_DRY_RUN,
	OPT_DIFF,
	OPT_LAYOUT,
	OPT_DB,
	OPT_PHASE,
	OPT_RETRIES,
	OPT_RUN_ID,
	OPT_PLAN,
	OPT_BATCH_TIME,
	OPT_MAX_REPLICA_LAG,
	OPT_MAX_ACTIVE,
	OPT_PAUSE_FILE,
	OPT_CONTINUE,
	OPT_THROUGH,
	OPT_ROWS,
	OPT_FORCE_TRACE,
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
	{"config", required_argument, NULL, OPT_CONFIG},
	{"no-config", no_argument, NULL, OPT_NO_CONFIG},
	{"fix", no_argument, NULL, OPT_FIX},
	{"unsafe-fixes", no_argument, NULL, OPT_UNSAFE_FIXES},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"diff", required_argument, NULL, OPT_DIFF},
	{"output", required_argument, NULL, 'o'},
	{"layout", required_argument, NULL, OPT_LAYOUT},
	{"db", required_argument, NULL, OPT_DB},
	{"phase", required_argument, NULL, OPT_PHASE},
	{"retries", required_argument, NULL, OPT_RETRIES},
	{"run-id", required_argument, NULL, OPT_RUN_ID},
	{"plan", required_argument, NULL, OPT_PLAN},
	{"batch-time", required_argument, NULL, OPT_BATCH_TIME},
	{"max-replica-lag", required_argument, NULL, OPT_MAX_REPLICA_LAG},
	{"max-active", required_argument, NULL, OPT_MAX_ACTIVE},
	{"pause-file", required_argument, NULL, OPT_PAUSE_FILE},
	{"continue", no_argument, NULL, OPT_CONTINUE},
	{"through", required_argument, NULL, OPT_THROUGH},
	{"rows", required_argument, NULL, OPT_ROWS},
	{"force", no_argument, NULL, OPT_FORCE_TRACE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int bad_value(const struct pgs_cli_options *o, const char *option, const char *value,
		     const char *expected)
{
	pgs_cli_error("%s: invalid value '%s' for --%s (expected %s)", o->command, value, option,
		      expected);
	return -1;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < -1000000 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

static int rule_option(struct pgs_cli_options *o, int opt, const char *name, bool *any_selected)
{
	const struct pgs_rule *rule = pgs_rule_find(name);

	if (!rule) {
		pgs_cli_error("%s: no rule named '%s' (pgstage rules lists them)", o->command, name);
		return -1;
	}
	if (opt == OPT_RULE) {
		o->selected[pgs_rule_index(rule)] = true;
		*any_selected = true;
	} else {
		o->disabled[pgs_rule_index(rule)] = true;
	}
	return 0;
}

/* The option getopt stopped at: "-x" inside a group of short options, else the argument. */
static const char *offending(char **argv)
{
	static char short_opt[3];

	if (optopt > 0 && optopt < 256) {
		short_opt[0] = '-';
		short_opt[1] = (char)optopt;
		return short_opt;
	}
	return argv[optind - 1];
}

static int unknown(const struct pgs_cli_options *o, const char *arg)
{
	pgs_cli_error("%s: unknown option '%s' (pgstage %s --help lists them)", o->command, arg,
		      o->command);
	return -1;
}

/* Settings of .pgstage.json that the command line did not give. */
static int apply_config(struct pgs_cli_options *o, const char *config_path, bool no_config,
			bool pg_version_given, bool tool_given, bool fail_on_given)
{
	struct pgs_error err;
	int rc = 0;

	if (no_config)
		return 0;
	rc = config_path ? pgs_config_load(&o->config, config_path, &err)
			 : pgs_config_discover(&o->config, ".", &err);
	if (rc < 0) {
		pgs_cli_error("%s", err.message);
		return -1;
	}
	struct pgs_config *c = &o->config;
	if (!c->path)
		return 0;
	if (!pg_version_given && c->pg_version)
		o->lint.pg_version = c->pg_version;
	if (!tool_given && c->tool >= 0)
		o->lint.tool = (enum pgs_tool)c->tool;
	if (!fail_on_given && c->fail_on >= 0)
		o->fail_on = c->fail_on;
	for (size_t i = 0; i < c->n_disable; i++)
		o->disabled[pgs_rule_index(pgs_rule_find(c->disable[i]))] = true;
	for (size_t i = 0; i < c->n_severity; i++)
		o->severity[pgs_rule_index(pgs_rule_find(c->severity_rules[i]))] =
			c->severity_levels[i];
	return 0;
}

/* PATHs from the config's "include", relative to the config file's directory. */
static void config_paths(struct pgs_cli_options *o)
{
	struct pgs_config *c = &o->config;

	o->config_paths = calloc(c->n_include + 1, sizeof(char *));
	for (size_t i = 0; i < c->n_include; i++) {
		const char *inc = c->include[i];
		if (inc[0] == '/' || strcmp(c->dir, ".") == 0) {
			o->config_paths[i] = pgs_xstrdup(inc);
		} else {
			size_t n = strlen(c->dir) + strlen(inc) + 2;
			o->config_paths[i] = pgs_xmalloc(n);
			snprintf(o->config_paths[i], n, "%s/%s", c->dir, inc);
		}
	}
	o->paths = o->config_paths;
	o->n_paths = (int)c->n_include;
}

int pgs_cli_options_parse(struct pgs_cli_options *o, unsigned command, unsigned accepts, int argc,
			  char **argv)
{
	const char *color = "auto";
	const char *config_path = NULL;
	bool any_selected = false, no_config = false;
	bool pg_version_given = false, tool_given = false, fail_on_given = false;
	int c, v;

	memset(o, 0, sizeof(*o));
	o->command = argv[0];
	o->lint.pg_version = PGS_PG_VERSION_DEFAULT;
	o->lint.tool = PGS_TOOL_AUTO;
	o->fail_on = PGS_SEV_WARNING;
	o->format = "text";
	o->phase = 1;
	o->retries = 5;
	o->run_id = "default";
	o->batch_time_ms = 200;
	o->max_replica_lag_ms = 10000;
	o->disabled = calloc(pgs_n_rules, sizeof(bool));
	o->severity = malloc(pgs_n_rules * sizeof(int));
	for (size_t i = 0; i < pgs_n_rules; i++)
		o->severity[i] = -1;
	pgs_config_init(&o->config);
	o->selected = calloc(pgs_n_rules, sizeof(bool));
	o->context = calloc((size_t)argc, sizeof(char *));
	opterr = 0;
	optind = 1;
	/* optopt is only set for short options: clear it so a long one isn't misnamed */
	int longindex = 0;
	while ((optopt = 0, longindex = -1,
		c = getopt_long(argc, argv, ":ho:", long_options, &longindex)) != -1) {
		bool rules_only = c == OPT_RULE || c == OPT_DISABLE || c == OPT_FAIL_ON;
		bool fix_only = c == OPT_FIX || c == OPT_UNSAFE_FIXES || c == OPT_DIFF ||
				(c == OPT_DRY_RUN && !(accepts & PGS_ACCEPT_DB));
		/* lint's -o is the report's file, plan's the directory of its files */
		bool output_only = (c == 'o' && !(accepts & PGS_ACCEPT_REPORTERS)) || c == OPT_LAYOUT;
		bool verify_only = c == OPT_ROWS;
		bool trace_only = c == OPT_FORCE_TRACE;
		bool db_only = (c == OPT_DB && !(accepts & (PGS_ACCEPT_VERIFY | PGS_ACCEPT_TRACE))) ||
			       c == OPT_PHASE || c == OPT_RETRIES ||
			       c == OPT_RUN_ID || (c == OPT_PLAN && !(accepts & PGS_ACCEPT_VERIFY)) ||
			       c == OPT_BATCH_TIME ||
			       c == OPT_MAX_REPLICA_LAG || c == OPT_MAX_ACTIVE ||
			       c == OPT_PAUSE_FILE || c == OPT_CONTINUE || c == OPT_THROUGH;

		if ((db_only && !(accepts & PGS_ACCEPT_DB)) ||
		    (verify_only && !(accepts & PGS_ACCEPT_VERIFY)) ||
		    (trace_only && !(accepts & PGS_ACCEPT_TRACE)) ||
		    (rules_only && !(accepts & PGS_ACCEPT_RULES)) ||
		    (fix_only && !(accepts & PGS_ACCEPT_FIX)) ||
		    (output_only && !(accepts & PGS_ACCEPT_OUTPUT))) {
			if (longindex < 0) /* -o */
				return unknown(o, "-o");
			pgs_cli_error("%s: unknown option '--%s' (pgstage %s --help lists them)",
				      o->command, long_options[longindex].name, o->command);
			return -1;
		}
		switch (c) {
		case OPT_FORMAT:
			if (accepts & PGS_ACCEPT_REPORTERS) {
				if (!pgs_reporter_find(optarg))
					return bad_value(o, "format", optarg, pgs_reporter_names());
			} else if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
				return bad_value(o, "format", optarg, "text or json");
			}
			o->format = optarg;
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "none") == 0)
				o->fail_on = PGS_SEV_ERROR + 1;
			else if ((o->fail_on = pgs_severity_parse(optarg)) < 0)
				return bad_value(o, "fail-on", optarg, "info, warning, error or none");
			fail_on_given = true;
			break;
		case OPT_PG_VERSION:
			if (parse_int(optarg, &v) < 0 || v < PGS_PG_VERSION_MIN || v > PGS_PG_VERSION_MAX)
				return bad_value(o, "pg-version", optarg, "a major version from 11 to 19");
			o->lint.pg_version = v;
			pg_version_given = true;
			break;
		case OPT_TOOL:
			if ((v = pgs_tool_parse(optarg)) < 0)
				return bad_value(o, "tool", optarg,
						 "auto, plain, goose, dbmate, golang-migrate, flyway, "
						 "diesel, sqlx, refinery, drizzle, prisma or sqitch");
			o->lint.tool = (enum pgs_tool)v;
			tool_given = true;
			break;
		case OPT_CONTEXT:
			o->context[o->n_context++] = optarg;
			break;
		case OPT_DOWN:
			o->lint.down = true;
			break;
		case OPT_ASSUME_TXN:
			o->lint.txn = PGS_TXN_ALWAYS;
			break;
		case OPT_NO_TXN:
			o->lint.txn = PGS_TXN_NEVER;
			break;
		case OPT_RULE:
		case OPT_DISABLE:
			if (rule_option(o, c, optarg, &any_selected) < 0)
				return -1;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "always") != 0 &&
			    strcmp(optarg, "never") != 0)
				return bad_value(o, "color", optarg, "auto, always or never");
			color = optarg;
			break;
		case OPT_CONFIG:
			config_path = optarg;
			break;
		case OPT_NO_CONFIG:
			no_config = true;
			break;
		case OPT_FIX:
			o->fix = true;
			break;
		case OPT_UNSAFE_FIXES:
			o->unsafe_fixes = true;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_DIFF:
			o->diff_ref = optarg;
			break;
		case 'o':
			if (!*optarg)
				return bad_value(o, "output", optarg, "a file name");
			if (accepts & PGS_ACCEPT_REPORTERS)
				o->output_file = optarg;
			else
				o->output_dir = optarg;
			break;
		case OPT_LAYOUT:
			if ((v = pgs_tool_parse(optarg)) < 0 ||
			    (v != PGS_TOOL_AUTO && !pgs_tool_has_layout((enum pgs_tool)v)))
				return bad_value(o, "layout", optarg,
						 "auto, plain, goose, dbmate, golang-migrate, flyway, "
						 "diesel or sqlx");
			o->layout = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_PHASE:
			if (parse_int(optarg, &v) < 0 || v < 1)
				return bad_value(o, "phase", optarg, "a checkpoint number, 1 or more");
			o->phase = v;
			break;
		case OPT_RETRIES:
			if (parse_int(optarg, &v) < 0 || v < 0 || v > 100)
				return bad_value(o, "retries", optarg, "a number from 0 to 100");
			o->retries = v;
			break;
		case OPT_PLAN:
			o->plan_file = optarg;
			break;
		case OPT_BATCH_TIME:
			if ((o->batch_time_ms = pgs_duration_ms(optarg, NULL)) < 10 ||
			    o->batch_time_ms > 60000)
				return bad_value(o, "batch-time", optarg,
						 "a duration from 10ms to 1min, such as 200ms");
			break;
		case OPT_MAX_REPLICA_LAG:
			if ((o->max_replica_lag_ms = pgs_duration_ms(optarg, NULL)) < 0)
				return bad_value(o, "max-replica-lag", optarg,
						 "a duration such as 10s, or 0 for no limit");
			break;
		case OPT_MAX_ACTIVE:
			if (parse_int(optarg, &v) < 0 || v < 0)
				return bad_value(o, "max-active", optarg,
						 "a number of sessions, or 0 for no limit");
			o->max_active = v;
			break;
		case OPT_PAUSE_FILE:
			if (!*optarg)
				return bad_value(o, "pause-file", optarg, "a file name");
			o->pause_file = optarg;
			break;
		case OPT_CONTINUE:
			o->cont = true;
			break;
		case OPT_FORCE_TRACE:
			o->force = true;
			break;
		case OPT_ROWS:
			if (parse_int(optarg, &v) < 0 || v < 0)
				return bad_value(o, "rows", optarg, "a number of rows, 0 or more");
			o->rows = v;
			break;
		case OPT_THROUGH:
			if (parse_int(optarg, &v) < 0 || v < 1)
				return bad_value(o, "through", optarg, "a stage number, 1 or more");
			o->through = v;
			break;
		case OPT_RUN_ID:
			if (!*optarg)
				return bad_value(o, "run-id", optarg, "a name");
			o->run_id = optarg;
			break;
		case 'h':
			pgs_help_command(stdout, command);
			return 1;
		case ':':
			pgs_cli_error("%s: option '%s' needs a value", o->command, offending(argv));
			return -1;
		default:
			return unknown(o, offending(argv));
		}
	}
	if ((o->unsafe_fixes || o->dry_run) && !o->fix && !(accepts & PGS_ACCEPT_DB)) {
		pgs_cli_error("%s: %s needs --fix", o->command,
			      o->dry_run ? "--dry-run" : "--unsafe-fixes");
		return -1;
	}
	if (o->layout && !o->output_dir) {
		pgs_cli_error("%s: --layout needs -o DIR (the directory to write the files to)",
			      o->command);
		return -1;
	}
	if (o->output_dir && strcmp(o->format, "text") != 0) {
		pgs_cli_error("%s: -o writes migration files; --format %s prints the plan: give one "
			      "of them",
			      o->command, o->format);
		return -1;
	}
	if (apply_config(o, config_path, no_config, pg_version_given, tool_given, fail_on_given) < 0)
		return -1;
	for (size_t i = 0; i < pgs_n_rules; i++)
		if (any_selected && !o->selected[i])
			o->disabled[i] = true;
	o->lint.rule_disabled = o->disabled;
	o->lint.severity = o->severity;
	if (strcmp(color, "always") == 0)
		o->color = true;
	else if (strcmp(color, "auto") == 0)
		o->color = strcmp(o->format, "text") == 0 && isatty(STDOUT_FILENO) &&
			   !getenv("NO_COLOR") &&
			   (!o->output_file || strcmp(o->output_file, "-") == 0);
	o->paths = argv + optind;
	o->n_paths = argc - optind;
	if (o->n_paths == 0 && o->config.n_include && !o->plan_file)
		config_paths(o);
	if (o->n_paths == 0 && !o->plan_file) {
		pgs_cli_error("%s: no PATH given (use - for standard input, or \"include\" in %s)",
			      o->command, PGS_CONFIG_NAME);
		return -1;
	}
	return 0;
}

void pgs_cli_options_release(struct pgs_cli_options *o)
{
	free(o->disabled);
	free(o->selected);
	free(o->severity);
	free(o->context);
	for (int i = 0; o->config_paths && i < o->n_paths; i++)
		free(o->config_paths[i]);
	free(o->config_paths);
	pgs_config_release(&o->config);
	memset(o, 0, sizeof(*o));
}

const char *pgs_cli_overlap(struct pgs_file_report *report)
{
	if (!report->overlap.what)
		return NULL;
	struct pgs_pos pos = pgs_source_pos(&report->src, report->overlap.span.start);
	return pgs_arena_printf(&report->arena,
				"%s:%u: the context seems to already include this migration (%s)",
				report->src.path, pos.line, report->overlap.what);
}

void pgs_cli_warn_overlap(struct pgs_file_report *report)
{
	const char *overlap = pgs_cli_overlap(report);

	if (overlap)
		pgs_cli_warning("%s: give --context the schema from before it", overlap);
}

void pgs_cli_input_error(json_t *errors, const char *path, const char *message)
{
	pgs_cli_error("%s", message);
	if (errors)
		json_array_append_new(errors,
				      json_pack("{s:s, s:s}", "path", path, "message", message));
}

bool pgs_cli_collect_inputs(const struct pgs_cli_options *o, struct pgs_inputs *in,
			    json_t *errors)
{
	struct pgs_error err;
	bool ok = true;

	in->exclude = o->config.exclude;
	in->n_exclude = o->config.n_exclude;
	in->exclude_base = o->config.dir;
	for (size_t i = 0; i < o->n_context; i++)
		if (pgs_inputs_add(in, o->context[i], true, false, &err) < 0) {
			pgs_cli_input_error(errors, o->context[i], err.message);
			ok = false;
		}
	for (int i = 0; i < o->n_paths; i++)
		if (pgs_inputs_add(in, o->paths[i], false, o->lint.down, &err) < 0) {
			pgs_cli_input_error(errors, o->paths[i], err.message);
			ok = false;
		}
	pgs_inputs_tidy_context(in, o->lint.down);
	for (size_t i = 0; i < in->n_warnings; i++)
		pgs_cli_warning("%s", in->warnings[i]);
	return ok;
}
