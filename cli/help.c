#include "cli/help.h"

#include <stdbool.h>
#include <string.h>

#include <pg_query.h>

struct option_doc {
	const char *name, *arg;
	unsigned commands;
	const char *help;
};

static const struct option_doc options[] = {
#define DOC(name, arg, commands, help) {name, arg, commands, help},
#include "cli/options.def"
#undef DOC
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

struct command_doc {
	const char *name;
	unsigned mask;
	const char *synopsis;    /* after "pgstage NAME " */
	const char *summary;     /* one line for the command list */
	const char *description; /* paragraph for --help and the man page */
	const char *exit_codes;  /* one line */
};

static const struct command_doc commands[] = {
	{"lint", PGS_CMD_LINT, "[options] PATH...",
	 "report statements that lock, rewrite or scan tables, with the lock, what it blocks and "
	 "the safe alternative",
	 "Lint migration files. PATHs are files, directories (searched for .sql files, applied in "
	 "natural version order) or - for standard input; together they are one migration "
	 "history: later files see what earlier ones created. Without PATH, the \"include\" paths "
	 "of .pgstage.json are linted.",
	 "0 clean, 1 findings at or above --fail-on, 2 usage or input error, 3 internal error"},
	{"explain", PGS_CMD_EXPLAIN, "[options] PATH...",
	 "per statement: relations locked and in which mode, what that blocks, rewrite / index "
	 "rebuild / full scan, transaction rules",
	 "For every statement: each relation it touches, the lock mode taken, what that lock "
	 "blocks, whether the table is rewritten, its indexes rebuilt or the whole table scanned, "
	 "and whether the statement may run inside a transaction block.",
	 "0 done, 2 usage or input error, 3 internal error"},
	{"plan", PGS_CMD_PLAN, "[options] PATH...",
	 "rewrite an unsafe migration into a safe staged plan (one psql script, or migration "
	 "files)",
	 "Rewrite the migration into stages that reach the same schema without long blocking "
	 "locks: CREATE/DROP INDEX CONCURRENTLY alone outside a transaction, foreign keys and "
	 "CHECKs added NOT VALID and validated separately, SET NOT NULL through a validated "
	 "CHECK. Statements that need no rewrite pass through verbatim. Prints one annotated "
	 "script that psql can run as is; with -o DIR, writes one migration file per stage in "
	 "the layout of your migration tool, with down migrations where the tool has them, in "
	 "phase-N directories when application deploys must come between stages.",
	 "0 planned, 2 usage or input error (or syntax errors in the input), 3 internal error"},
	{"apply", PGS_CMD_APPLY, "[options] [--db URL] PATH...",
	 "plan the migration and run the plan on a database, with lock timeouts, retries and "
	 "resumable progress",
	 "Plan PATH as `pgstage plan` does and run the plan on the database, stage by stage: "
	 "transactional stages under a short lock_timeout, tried again after a lock timeout or a "
	 "deadlock (naming the sessions that blocked them), CONCURRENTLY builds after dropping "
	 "what a failed one left, backfills in batches. Every stage done is recorded in the "
	 "pgstage schema of the database, so running the same command again after a failure "
	 "or a kill goes on where it stopped. At a checkpoint it stops: deploy the application "
	 "change, then run it again with --continue. Backfills run in batches sized to "
	 "--batch-time, wait while a standby lags (--max-replica-lag), while the server is busy "
	 "(--max-active) or while paused (--pause-file, SIGUSR1/SIGUSR2), and show their "
	 "progress; SIGINT or SIGTERM stop after the running batch.",
	 "0 done, 1 a stage failed (the message says which, why and what to do), 2 usage or "
	 "input error, 3 internal error, 4 stopped at a checkpoint, 5 interrupted (SIGINT or "
	 "SIGTERM; run the same command again to go on)"},
	{"verify", PGS_CMD_VERIFY, "[options] [--db URL] [--rows N] PATH...",
	 "prove the plan does what the migration does, on scratch databases",
	 "Plan PATH as `pgstage plan` does, then on a throwaway local server (or, with --db, in "
	 "scratch databases made and dropped on that server): run the context, give every table "
	 "--rows generated rows, run the migration as written on one copy and the plan (through "
	 "apply, past every checkpoint) on another, tracing each step of the plan, and compare "
	 "the two catalogs. It fails when they differ, or when a step rewrites, rebuilds an index "
	 "of, or (in a transaction holding a lock that blocks writes) scans a table that existed "
	 "before. Server binaries: PGSTAGE_PG_BINDIR, pg_config --bindir, or "
	 "/usr/lib/postgresql/N/bin for the --pg-version N.",
	 "0 the plan is proven, 1 it is not (the differences and violations are listed), 2 usage "
	 "or input error, 3 internal error"},
	{"trace", PGS_CMD_TRACE, "[options] [--db URL] [--force] PATH...",
	 "run the migration in a transaction that is rolled back and show what the server did "
	 "beside explain's prediction",
	 "Run every statement of PATH on the database in one transaction, rolled back at the end "
	 "(statements that can't run in one, and transaction control, are listed, not run), and "
	 "print per statement the locks it took per relation, whether it rewrote a table, rebuilt "
	 "an index or scanned a table, and how long it took, beside explain's prediction for "
	 "--pg-version (which must be the server's), flagging every disagreement. It refuses a "
	 "server where other sessions hold locks on the migration's tables, unless --force: run "
	 "it on a copy of production, not on production.",
	 "0 explain agrees with the server, 1 a disagreement (or trace could not run: the "
	 "message says why), 2 usage or input error, 3 internal error"},
	{"rules", PGS_CMD_RULES, "[NAME]", "list the rules, or print one rule's documentation",
	 "Without NAME, list every rule: id, name, default severity, summary. With NAME (or id), "
	 "print the rule's documentation with a bad and a good example.",
	 "0 done, 2 unknown rule"},
	{"init", PGS_CMD_INIT, "[--force] [DIR]",
	 "write a commented starter .pgstage.json for the detected migration tool",
	 "Write .pgstage.json in DIR (default: the current directory), with the migration tool "
	 "and directory detected from the files found there. An existing file is kept unless "
	 "--force is given.",
	 "0 written, 2 the file exists or can't be written"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))
#define WIDTH 88
#define COLUMN 27

/* Print text wrapped at WIDTH, continuation lines indented by indent. */
static void wrap(FILE *out, const char *text, int indent, int used)
{
	int col = used;
	bool first = true;

	while (*text) {
		const char *end = text;
		while (*end && *end != ' ')
			end++;
		int len = (int)(end - text);
		if (!first && col + 1 + len > WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		first = false;
		fwrite(text, 1, (size_t)len, out);
		col += len;
		text = *end ? end + 1 : end;
	}
	fputc('\n', out);
}

static const struct command_doc *command_by_mask(unsigned mask)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].mask == mask)
			return &commands[i];
	return &commands[0];
}

void pgs_help_command(FILE *out, unsigned mask)
{
	const struct command_doc *c = command_by_mask(mask);

	fprintf(out, "usage: pgstage %s %s\n\n", c->name, c->synopsis);
	wrap(out, c->description, 0, 0);
	fputs("\noptions:\n", out);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		char head[64];
		if (!(options[i].commands & mask))
			continue;
		int n = snprintf(head, sizeof(head), "  --%s%s%s", options[i].name,
				 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		if (n >= COLUMN - 1) {
			fprintf(out, "%s\n%*s", head, COLUMN, "");
			wrap(out, options[i].help, COLUMN, COLUMN);
		} else {
			fprintf(out, "%-*s", COLUMN, head);
			wrap(out, options[i].help, COLUMN, COLUMN);
		}
	}
	fputs("\n", out);
	wrap(out, c->exit_codes, 0, fprintf(out, "exit codes: "));
}

void pgs_help_main(FILE *out)
{
	fputs("usage: pgstage <command> [options] [PATH...]\n\n"
	      "Make PostgreSQL schema migrations safe to ship to busy databases.\n\ncommands:\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char head[64];
		const char *syn = commands[i].synopsis;
		if (strncmp(syn, "[options] ", 10) == 0)
			syn += 10; /* the list is about what each command takes */
		snprintf(head, sizeof(head), "  %s %s", commands[i].name, syn);
		if (strlen(head) >= 18) {
			fprintf(out, "%s\n%*s", head, 19, "");
			wrap(out, commands[i].summary, 19, 19);
		} else {
			fprintf(out, "%-19s", head);
			wrap(out, commands[i].summary, 19, 19);
		}
	}
	fputs("\n  pgstage <command> --help   options of a command\n"
	      "  pgstage --version          version and SQL grammar version\n"
	      "\nexit codes:\n"
	      "  0  no finding at or above --fail-on\n"
	      "  1  findings at or above --fail-on (default: warning)\n"
	      "  2  usage error, or a file that can't be read or isn't SQL text\n"
	      "  3  internal error\n",
	      out);
}

/* troff: escape backslashes and leading dots/quotes; hyphens in options are \- */
static void man_text(FILE *out, const char *s, bool option)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-' && option)
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

/*
 * What --help has no room for: suppressions, the settings file, exit codes of
 * every command in one place, and how to run and resume a plan. troff as is.
 */
static const char man_topics[] =
	".SH SUPPRESSIONS\n"
	"A comment suppresses findings:\n"
	".TP\n.B \\-\\- pgstage\\-ignore RULE[, RULE...]: reason\n"
	"the next statement's findings of those rules (names or ids, e.g. M101).\n"
	".TP\n.B \\-\\- pgstage\\-ignore\\-file RULE[, RULE...]: reason\n"
	"the whole file's findings of those rules.\n"
	".PP\n"
	"A suppression that suppresses nothing is reported (unused\\-ignore); one without a rule "
	"name, or naming an unknown rule, is an error (invalid\\-ignore).\n"
	".SH CONFIGURATION\n"
	"\\fI.pgstage.json\\fR, found in the current directory or the nearest parent (or "
	"\\fB\\-\\-config\\fR FILE; \\fB\\-\\-no\\-config\\fR ignores it), is one JSON "
	"object; options on the command line win over it. \\fBpgstage init\\fR writes a "
	"commented one. Keys:\n"
	".TP\n.B pg_version\nthe target major version, 11 to 19 (\\-\\-pg\\-version).\n"
	".TP\n.B tool\nthe migration tool, or \\(dqauto\\(dq (\\-\\-tool).\n"
	".TP\n.B layout\nthe conventions of plan \\-o files (\\-\\-layout).\n"
	".TP\n.B include\nthe paths lint checks when given no PATH, relative to the file.\n"
	".TP\n.B exclude\nglobs of files to skip: * within a directory, ** across.\n"
	".TP\n.B disable\nrules not to run (\\-\\-disable).\n"
	".TP\n.B severity\nan object: rule name to \\(dqinfo\\(dq, \\(dqwarning\\(dq or "
	"\\(dqerror\\(dq.\n"
	".TP\n.B fail_on\nthe lowest severity that makes lint exit 1, or \\(dqnone\\(dq "
	"(\\-\\-fail\\-on).\n"
	".TP\n.B lock_timeout, statement_timeout, validate_timeout\nwhat plan sets for its "
	"stages (default 2s, 5min, 0): milliseconds or a number and a unit us, ms, s, min, h, d.\n"
	".TP\n.B batch_size\nrows per backfill transaction, 1 to 1000000 (default 1000).\n"
	".TP\n.B //\nkeys starting with // are notes.\n"
	".PP\n"
	"Unknown keys, wrong types and bad values are errors naming the file, line and column.\n"
	".SH EXIT STATUS\n"
	".TP\n.B 0\nclean: no finding at or above \\-\\-fail\\-on (lint); done (plan, apply, "
	"verify, trace).\n"
	".TP\n.B 1\nlint: findings at or above \\-\\-fail\\-on; apply: a stage failed; verify: "
	"the plan does not end like the migration or blocks writes; trace: explain disagrees.\n"
	".TP\n.B 2\nusage error, or an input that can't be read or isn't SQL text (lint still "
	"checks the other files), or a report or file that can't be written.\n"
	".TP\n.B 3\ninternal error (a bug in pgstage); also the exit code of a plan script psql "
	"stops at a failed stage.\n"
	".TP\n.B 4\napply stopped at a checkpoint: deploy, then run it again with "
	"\\-\\-continue.\n"
	".TP\n.B 5\napply interrupted by SIGINT or SIGTERM after the running batch: run the same "
	"command again.\n"
	".SH RUNNING A PLAN\n"
	"\\fBpgstage plan\\fR prints one psql script: run it with \\fBpsql \\-f\\fR. It stops "
	"at the first error (exit 3, the failed stage the last one echoed); fix the cause and run "
	"the same command again: each stage has a catalog marker, and stages already done are "
	"skipped. At a checkpoint the script stops (exit 0) and says to deploy the application "
	"change; then run it again with \\fBpsql \\-v pgstage_phase=N \\-f\\fR, N as printed.\n"
	".PP\n"
	"\\fBpgstage apply \\-\\-db\\fR URL runs the plan itself and records each stage done "
	"in the schema pgstage of the database (\\-\\-run\\-id names the run). After a failure, "
	"a kill or an interrupt (exit 1 or 5), the same command goes on after the last stage (and "
	"backfill batch) done. At a checkpoint it stops with exit 4: after the deploy, run it "
	"again with \\-\\-continue. \\-\\-through N stops after stage N; \\-\\-dry\\-run "
	"shows what would run and what an earlier run did; \\-\\-plan FILE runs a reviewed plan "
	"of \\fBplan \\-\\-format json\\fR.\n";

void pgs_help_man(FILE *out)
{
	fputs(".\\\" generated by pgstage --man from cli/options.def; do not edit\n"
	      ".TH PGSTAGE 1 \"\" \"pgstage\" \"User Commands\"\n"
	      ".SH NAME\npgstage \\- make PostgreSQL schema migrations safe to ship\n"
	      ".SH SYNOPSIS\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		fprintf(out, ".B pgstage %s\n", commands[i].name);
		man_text(out, commands[i].synopsis, true);
		fputs("\n.br\n", out);
	}
	fputs(".SH DESCRIPTION\n"
	      "pgstage parses migration SQL with libpg_query, PostgreSQL's own parser (PostgreSQL "
	      PG_MAJORVERSION " grammar), and tells for every statement which tables it locks in which "
	      "mode, whether it rewrites or scans them, what that blocks, and what to write instead.\n"
	      ".SH COMMANDS\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		fprintf(out, ".SS %s\n", commands[i].name);
		man_text(out, commands[i].description, false);
		fputc('\n', out);
		for (size_t k = 0; k < N_OPTIONS; k++) {
			if (!(options[k].commands & commands[i].mask))
				continue;
			fputs(".TP\n.B \\-\\-", out);
			man_text(out, options[k].name, true);
			if (options[k].arg)
				fprintf(out, " \\fI%s\\fR", options[k].arg);
			fputc('\n', out);
			man_text(out, options[k].help, false);
			fputc('\n', out);
		}
		fputs(".PP\nExit codes: ", out);
		man_text(out, commands[i].exit_codes, false);
		fputs(".\n", out);
	}
	fputs(man_topics, out);
	fputs(".SH FILES\n.TP\n.I .pgstage.json\nproject settings, found in the current directory or "
	      "the nearest parent (see CONFIGURATION).\n"
	      ".SH ENVIRONMENT\n.TP\n.B NO_COLOR\nno colour in text output.\n"
	      ".SH SEE ALSO\nThe rule reference: \\fBpgstage rules\\fR.\n",
	      out);
}

void pgs_help_bash_completion(FILE *out)
{
	fputs("# bash completion for pgstage; generated by pgstage --completion bash\n"
	      "_pgstage() {\n"
	      "\tlocal cur prev cmd\n"
	      "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	      "\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tcmd=${COMP_WORDS[1]}\n"
	      "\tif ((COMP_CWORD == 1)); then\n"
	      "\t\tCOMPREPLY=($(compgen -W '",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "%s ", commands[i].name);
	fputs("--help --version' -- \"$cur\"))\n\t\treturn\n\tfi\n"
	      "\tcase $prev in\n"
	      "\t--format) COMPREPLY=($(compgen -W 'text json sarif github gitlab junit gcc' -- "
	      "\"$cur\")); return ;;\n"
	      "\t--fail-on) COMPREPLY=($(compgen -W 'info warning error none' -- \"$cur\")); return ;;\n"
	      "\t--tool) COMPREPLY=($(compgen -W 'auto plain goose dbmate golang-migrate flyway' -- "
	      "\"$cur\")); return ;;\n"
	      "\t--color) COMPREPLY=($(compgen -W 'auto always never' -- \"$cur\")); return ;;\n"
	      "\t--pg-version) COMPREPLY=($(compgen -W '11 12 13 14 15 16 17 18' -- \"$cur\")); "
	      "return ;;\n"
	      "\t--rule|--disable) COMPREPLY=($(compgen -W \"$(pgstage rules 2>/dev/null | awk "
	      "'{print $2}')\" -- \"$cur\")); return ;;\n"
	      "\tesac\n"
	      "\tcase $cmd in\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		fprintf(out, "\t%s) COMPREPLY=($(compgen -W '", commands[i].name);
		for (size_t k = 0; k < N_OPTIONS; k++) {
			bool dup = false;
			for (size_t j = 0; j < k; j++)
				dup |= strcmp(options[j].name, options[k].name) == 0 &&
				       (options[j].commands & commands[i].mask);
			if ((options[k].commands & commands[i].mask) && !dup)
				fprintf(out, "--%s ", options[k].name);
		}
		fputs("' -- \"$cur\") $(compgen -f -- \"$cur\")) ;;\n", out);
	}
	fputs("\tesac\n}\ncomplete -o filenames -F _pgstage pgstage\n", out);
}
