#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pg_query.h> /* PG_VERSION */

#include "cli/cli.h"
#include "cli/help.h"

#ifndef PGS_VERSION
#define PGS_VERSION "0.1.0-dev"
#endif

static void say(const char *label, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void say(const char *label, const char *fmt, va_list ap)
{
	fprintf(stderr, "pgstage: %s: ", label);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pgs_cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("error", fmt, ap);
	va_end(ap);
}

void pgs_cli_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		pgs_help_main(stderr);
		return PGS_EXIT_USAGE;
	}
	/* a file-size limit (ulimit -f) makes write() fail with EFBIG, reported
	 * like any write error, rather than kill us with half a file written */
	signal(SIGXFSZ, SIG_IGN);
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		pgs_help_main(stdout);
		return PGS_EXIT_CLEAN;
	}
	/* generated documents, for make install */
	if (strcmp(cmd, "--man") == 0) {
		pgs_help_man(stdout);
		return PGS_EXIT_CLEAN;
	}
	if (strcmp(cmd, "--completion") == 0 && argc == 3 && strcmp(argv[2], "bash") == 0) {
		pgs_help_bash_completion(stdout);
		return PGS_EXIT_CLEAN;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("pgstage %s (libpg_query, PostgreSQL %s grammar)\n", PGS_VERSION, PG_VERSION);
		/* what make check proves on real servers (README: "What the suite proves") */
		printf("proven on real servers: explain on PostgreSQL 11 to 18 (make check: 11, 15 "
		       "and 18); plans, apply and verify on 11, 13, 15 and 18; PostgreSQL 19 from "
		       "its documentation\n");
		return PGS_EXIT_CLEAN;
	}
	if (strcmp(cmd, "lint") == 0)
		rc = pgs_cmd_lint(argc - 1, argv + 1);
	else if (strcmp(cmd, "explain") == 0)
		rc = pgs_cmd_explain(argc - 1, argv + 1);
	else if (strcmp(cmd, "plan") == 0)
		rc = pgs_cmd_plan(argc - 1, argv + 1);
	else if (strcmp(cmd, "apply") == 0)
		rc = pgs_cmd_apply(argc - 1, argv + 1);
	else if (strcmp(cmd, "verify") == 0)
		rc = pgs_cmd_verify(argc - 1, argv + 1);
	else if (strcmp(cmd, "trace") == 0)
		rc = pgs_cmd_trace(argc - 1, argv + 1);
	else if (strcmp(cmd, "init") == 0)
		rc = pgs_cmd_init(argc - 1, argv + 1);
	else if (strcmp(cmd, "rules") == 0)
		rc = pgs_cmd_rules(argc - 1, argv + 1);
	else {
		pgs_cli_error("unknown command '%s'", cmd);
		pgs_help_main(stderr);
		rc = PGS_EXIT_USAGE;
	}
	/* what was printed must have arrived: a full disk is not a clean exit */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* the reason is known when the last flush is what failed */
		pgs_cli_error("cannot write to standard output%s%s", errno ? ": " : "",
			      errno ? strerror(errno) : "");
		if (rc == PGS_EXIT_CLEAN || rc == PGS_EXIT_FINDINGS)
			rc = PGS_EXIT_USAGE;
	}
	return rc;
}
