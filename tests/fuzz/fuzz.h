/*
 * fuzz: what the libFuzzer targets under tests/fuzz/ share. Each target
 * calls the library (lint/, planner/) in process, the way cli/ drives it,
 * and aborts when an invariant a user relies on breaks, so the fuzzer
 * reports it like a crash.
 *
 * An input is a migration file. Its first line may be a golden fixture's
 * "-- args: ..." line, read for the options below (others are ignored):
 *
 *   --pg-version N  --tool NAME  --down  --no-transaction
 *   --assume-in-transaction  --name FILE (the file's name; default fuzz.sql)
 *   --format sarif (SARIF output too: its rule catalog is large and the same
 *                   for every input, so it runs only when asked)
 *
 * Targets that lint a history split the input at its first NUL byte: the
 * part before is a context file (--context), the part after the migration
 * (whose first line is the one read for options).
 */
#ifndef PGS_FUZZ_H
#define PGS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lint/engine.h"

#define PGS_FUZZ_NAME_MAX 64

struct pgs_fuzz_case {
	struct pgs_lint_options lint;	  /* all rules on; the options of the args line */
	bool sarif;			  /* --format sarif */
	char name[PGS_FUZZ_NAME_MAX + 1]; /* the migration's file name */
	const char *text;		  /* the migration (not NUL-terminated) */
	size_t len;
	const char *context;   /* the context file, or NULL */
	char context_path[32]; /* /proc/self/fd/N of a memfd holding it */
	int context_fd;
};

/* Read the options and split data (at its first NUL when split is true). */
void pgs_fuzz_case_init(struct pgs_fuzz_case *c, const uint8_t *data, size_t size, bool split);
void pgs_fuzz_case_release(struct pgs_fuzz_case *c);

/*
 * Lint the context file (when there is one) and then the migration through
 * engine, which c->lint (possibly changed by the caller) configured. 0, or
 * -1 with err set when either is not valid input (out is then empty).
 */
int pgs_fuzz_lint(struct pgs_fuzz_case *c, struct pgs_engine *engine, struct pgs_file_report *out,
		  struct pgs_error *err);

/* Report a bug on stderr and abort (the fuzzer saves the input). */
_Noreturn void pgs_fuzz_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether any statement of the report failed to parse. */
bool pgs_fuzz_has_syntax_error(const struct pgs_file_report *report);

/*
 * Check what every linted report must hold: spans inside the text, fix
 * edits inside it and in order.
 */
void pgs_fuzz_check_report(const struct pgs_file_report *report);

/*
 * Run every reporter (text, json, github, ...; sarif when c->sarif) over the
 * linted file of c, or over one input error when report is NULL, and check
 * each output holds every finding (JSON documents parse, one line per
 * finding where the format says so).
 */
void pgs_fuzz_run_reporters(const struct pgs_fuzz_case *c, const struct pgs_file_report *report,
			    const char *error);

/*
 * lint --fix, safe and unsafe: apply the fixes of the migration's report and,
 * when the migration parsed, check the fixed text still does (linted again
 * after the same context).
 */
void pgs_fuzz_run_fixes(struct pgs_fuzz_case *c, const struct pgs_file_report *report);

/*
 * The lint target (and, with split, the history target): lint the migration
 * with every rule, run every reporter over the result (or over the input
 * error), check the report and apply its fixes.
 */
void pgs_fuzz_lint_all(const uint8_t *data, size_t size, bool split);

/* libFuzzer's entry point, which each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stream collecting output in memory (pgs_fuzz_stream_close frees it). */
struct pgs_fuzz_stream {
	FILE *f;
	char *buf;
	size_t len;
};

void pgs_fuzz_stream_open(struct pgs_fuzz_stream *s);
/* Flush: s->buf holds what was written, NUL-terminated. */
void pgs_fuzz_stream_flush(struct pgs_fuzz_stream *s);
void pgs_fuzz_stream_close(struct pgs_fuzz_stream *s);

#endif
