/*
 * cli: the command line. Only code under cli/ prints to the terminal and
 * decides exit codes.
 */
#ifndef PGS_CLI_H
#define PGS_CLI_H

/* Exit codes: frozen, documented in --help and the README. */
enum pgs_exit {
	PGS_EXIT_CLEAN = 0,    /* no finding at or above --fail-on */
	PGS_EXIT_FINDINGS = 1, /* findings at or above --fail-on */
	PGS_EXIT_USAGE = 2,    /* bad usage or unreadable/invalid input */
	PGS_EXIT_INTERNAL = 3, /* a bug in pgstage */
	/* apply: 1 a stage failed, 4 stopped at a checkpoint, 5 interrupted (SIGINT,
	 * SIGTERM) with the progress recorded */
	PGS_EXIT_CHECKPOINT = 4,
	PGS_EXIT_INTERRUPTED = 5,
};

int pgs_cmd_lint(int argc, char **argv);
int pgs_cmd_rules(int argc, char **argv);
int pgs_cmd_explain(int argc, char **argv);
int pgs_cmd_init(int argc, char **argv);
int pgs_cmd_plan(int argc, char **argv);
int pgs_cmd_apply(int argc, char **argv);
int pgs_cmd_verify(int argc, char **argv);
int pgs_cmd_trace(int argc, char **argv);

/* "pgstage: error: ..." on stderr. */
void pgs_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "pgstage: warning: ..." on stderr: the run goes on, but the user should know. */
void pgs_cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
