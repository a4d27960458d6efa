#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pg_query.h> /* PG_VERSION */

#include "cli/cli.h"

#ifndef PGS_VERSION
#define PGS_VERSION "0.1.0-dev"
#endif

static const char usage[] =
	"usage: pgstage <command> [options] [PATH...]\n"
	"\n"
	"Make PostgreSQL schema migrations safe to ship to busy databases.\n"
	"\n"
	"commands:\n"
	"  lint PATH...     report statements that lock, rewrite or scan tables, with the\n"
	"                   lock taken, what it blocks and the safe alternative\n"
	"  explain PATH...  per statement: relations locked and in which mode, what that\n"
	"                   blocks, rewrite / index rebuild / full scan, transaction rules\n"
	"  rules [NAME]     list the rules, or print one rule's documentation\n"
	"\n"
	"  pgstage <command> --help   options of a command\n"
	"  pgstage --version          version and SQL grammar version\n"
	"\n"
	"exit codes:\n"
	"  0  no finding at or above --fail-on\n"
	"  1  findings at or above --fail-on (default: warning)\n"
	"  2  usage error, or a file that can't be read or isn't SQL text\n"
	"  3  internal error\n";

void pgs_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pgstage: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fputs(usage, stderr);
		return PGS_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return PGS_EXIT_CLEAN;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("pgstage %s (libpg_query, PostgreSQL %s grammar)\n", PGS_VERSION, PG_VERSION);
		return PGS_EXIT_CLEAN;
	}
	if (strcmp(cmd, "lint") == 0)
		rc = pgs_cmd_lint(argc - 1, argv + 1);
	else if (strcmp(cmd, "explain") == 0)
		rc = pgs_cmd_explain(argc - 1, argv + 1);
	else if (strcmp(cmd, "rules") == 0)
		rc = pgs_cmd_rules(argc - 1, argv + 1);
	else {
		pgs_cli_error("unknown command '%s'", cmd);
		fputs(usage, stderr);
		rc = PGS_EXIT_USAGE;
	}
	return rc;
}
