/*
 * help: --help for every command, the man page and the bash completion, all
 * generated from one table of commands and one of options (cli/options.def).
 */
#ifndef PGS_CLI_HELP_H
#define PGS_CLI_HELP_H

#include <stdio.h>

enum pgs_command_mask {
	PGS_CMD_LINT = 1 << 0,
	PGS_CMD_EXPLAIN = 1 << 1,
	PGS_CMD_RULES = 1 << 2,
	PGS_CMD_INIT = 1 << 3,
	PGS_CMD_PLAN = 1 << 4,
	PGS_CMD_APPLY = 1 << 5,
	PGS_CMD_VERIFY = 1 << 6,
	PGS_CMD_TRACE = 1 << 7,
};

/* The top-level usage: commands, exit codes. */
void pgs_help_main(FILE *out);

/* One command's --help. */
void pgs_help_command(FILE *out, unsigned command);

/* The man page pgstage(1), in troff. */
void pgs_help_man(FILE *out);

/* A bash completion script. */
void pgs_help_bash_completion(FILE *out);

#endif
