/*
 * options: the options lint, explain (and later plan) share, parsed one way
 * so they mean the same everywhere.
 */
#ifndef PGS_CLI_OPTIONS_H
#define PGS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lint/config.h"
#include "lint/engine.h"
#include "lint/inputs.h"
#include "planner/plan.h"

/* Which of the optional options a command takes. */
enum pgs_cli_accepts {
	PGS_ACCEPT_RULES = 1 << 0,   /* --rule, --disable, --fail-on */
	PGS_ACCEPT_REPORTERS = 1 << 1, /* every --format of lint/report.h, not just text/json */
	PGS_ACCEPT_FIX = 1 << 2,       /* --fix, --unsafe-fixes, --dry-run */
	PGS_ACCEPT_OUTPUT = 1 << 3,    /* -o/--output DIR, --layout (plan) */
	PGS_ACCEPT_DB = 1 << 4,	       /* --db and the other options of apply */
	PGS_ACCEPT_VERIFY = 1 << 5,    /* --db, --rows (verify) */
	PGS_ACCEPT_TRACE = 1 << 6,     /* --db, --force (trace) */
};

struct pgs_cli_options {
	const char *command;
	struct pgs_lint_options lint;
	const char *format; /* "text", "json", or another reporter's name */
	int fail_on; /* a severity, or PGS_SEV_ERROR + 1 for "none" */
	bool color;
	bool *disabled, *selected; /* pgs_n_rules entries */
	int *severity;             /* pgs_n_rules entries: -1, or the configured severity */
	struct pgs_config config;  /* .pgstage.json, when there is one */
	char **config_paths;       /* PATHs taken from the config's "include" (heap) */
	bool fix, unsafe_fixes, dry_run;
	const char *diff_ref; /* --diff REF: lint only what changed since REF */
	const char *output_dir; /* -o DIR: write files there instead of printing */
	const char *output_file; /* lint -o FILE: the report goes there, whole or not at all */
	const char *layout;     /* --layout NAME as given (checked), or NULL */
	const char *db;		/* --db URL (apply) */
	int phase, retries;	/* --phase, --retries (apply) */
	const char *run_id;	/* --run-id (apply) */
	const char *plan_file;	/* --plan FILE (apply): a plan of plan --format json */
	long batch_time_ms, max_replica_lag_ms; /* --batch-time, --max-replica-lag (apply) */
	int max_active;		/* --max-active (apply): 0, no limit */
	long long rows;		/* --rows (verify) */
	bool force;		/* --force (trace) */
	const char *pause_file; /* --pause-file (apply) */
	bool cont;		/* --continue (apply): past the checkpoint the last run stopped at */
	int through;		/* --through N (apply): stop after stage N; 0: all */
	const char **context;
	size_t n_context;
	char **paths;
	int n_paths;
};

/*
 * Parse argv (argv[0] is the command name) against the shared option table.
 * Returns 0 to go on, 1 when --help was printed, -1 after printing a usage
 * error. Release with pgs_cli_options_release in every case.
 */
int pgs_cli_options_parse(struct pgs_cli_options *o, unsigned command, unsigned accepts, int argc,
			  char **argv);

void pgs_cli_options_release(struct pgs_cli_options *o);

/*
 * Expand --context and PATH arguments into inputs in apply order (context
 * first). Errors are printed (and added to errors, a JSON array, when not
 * NULL); returns false when any path was bad.
 */
bool pgs_cli_collect_inputs(const struct pgs_cli_options *o, struct pgs_inputs *in,
			    json_t *errors);

/*
 * "path:line: the context seems to already include this migration (...)"
 * for a reported file whose context already has what one of its statements
 * does (pgs_file_report.overlap), in the report's arena; NULL when it has
 * none.
 */
const char *pgs_cli_overlap(struct pgs_file_report *report);

/* Warn on stderr that the context seems to include the report's file, when it does. */
void pgs_cli_warn_overlap(struct pgs_file_report *report);

/* A plan of the inputs (cli/plan.c), for plan and apply. */
struct pgs_cli_plan {
	struct pgs_plan plan;
	struct pgs_inputs inputs;
	enum pgs_tool detected; /* the tool of the first planned file */
	const char *first_path;
	bool parsed_any;
	/* with record (verify): the statements as written, of the context files
	 * and of the migration, in order (in the plan's arena) */
	bool record;
	const char **context_sql, **original_sql;
	size_t n_context_sql, n_original_sql, cap_context_sql, cap_original_sql;
};

/*
 * Plan the inputs of cli; the exit code: PGS_EXIT_CLEAN when planned (errors
 * are printed). Release with pgs_cli_plan_release in every case.
 */
int pgs_cli_plan_make(struct pgs_cli_plan *p, struct pgs_cli_options *cli, bool record);

/*
 * --plan FILE: the plan `plan --format json` wrote, into plan (released by
 * the caller in every case); errors name command and the file's position.
 */
int pgs_cli_plan_load(struct pgs_plan *plan, const char *path, const char *command);
void pgs_cli_plan_release(struct pgs_cli_plan *p);

/* Print an input error and record it in errors (may be NULL). */
void pgs_cli_input_error(json_t *errors, const char *path, const char *message);

#endif
