/*
 * report: turning linted files' diagnostics into output, one file per
 * format under lint/report/. A reporter sees each file as it is linted (the
 * file's report is released right after), input errors, and the end of the
 * run; formats that need the whole run (JSON, SARIF, JUnit) keep what they
 * need in their own state. Reporters write to the stream they are given.
 */
#ifndef PGS_REPORT_H
#define PGS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "lint/engine.h"

struct pgs_report_totals {
	size_t by_severity[3];
	size_t files, files_with_findings;
};

struct pgs_report_ctx {
	FILE *out;
	bool color;
	const char *docs_url; /* base of the rule documentation, for SARIF/GitLab links */
	void *state;          /* the reporter's own */
};

struct pgs_reporter {
	const char *name;
	void (*begin)(struct pgs_report_ctx *ctx);
	void (*file)(struct pgs_report_ctx *ctx, const struct pgs_file_report *file);
	void (*input_error)(struct pgs_report_ctx *ctx, const char *path, const char *message);
	void (*end)(struct pgs_report_ctx *ctx, const struct pgs_report_totals *totals);
};

/* The reporter for a --format name, or NULL. */
const struct pgs_reporter *pgs_reporter_find(const char *name);

/* "text, json, sarif, ..." for messages. */
const char *pgs_reporter_names(void);

/* Compiler-style text with code frames; colour only when color is true. */
void pgs_report_text(FILE *out, const struct pgs_file_report *file, bool color);

/* One effect as explain's JSON: relation, lock, blocks, rewrite, reindex, scan, new, assumed. */
json_t *pgs_report_effect_json(const struct pgs_effect *e);

/* A position as {"line", "column", "offset"}, for JSON. */
json_t *pgs_report_json_position(const struct pgs_source *src, uint32_t offset);

/*
 * Write s on one line, its control characters escaped as pgs_escape does
 * ("\n", "\u001b"): a message quoting an identifier that holds a newline stays
 * one finding per line, and no escape sequence from the input reaches a terminal.
 */
void pgs_report_put_line(FILE *out, const char *s);

/* A stable hexadecimal fingerprint of a finding (path, rule, message, statement text). */
const char *pgs_report_fingerprint(struct pgs_arena *arena, const struct pgs_file_report *file,
				   const struct pgs_diag *d);

#endif
