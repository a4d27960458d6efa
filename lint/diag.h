/*
 * diag: one finding: rule, severity, the byte span it is about, a message,
 * notes (facts: what is locked, what is blocked), help (what to do instead)
 * and optionally a fix made of byte edits on the original text.
 */
#ifndef PGS_DIAG_H
#define PGS_DIAG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/source.h"

struct pgs_rule;

enum pgs_severity {
	PGS_SEV_INFO,
	PGS_SEV_WARNING,
	PGS_SEV_ERROR,
};

struct pgs_edit {
	struct pgs_span span; /* replaced bytes; empty span = insertion */
	const char *text;
};

struct pgs_fix {
	const char *title;
	bool safe; /* safe fixes keep behaviour and need no review */
	struct pgs_edit *edits;
	size_t n_edits, cap;
};

#define PGS_DIAG_MAX_NOTES 6

struct pgs_diag {
	const struct pgs_rule *rule;
	enum pgs_severity severity;
	struct pgs_span span;
	const char *message;
	const char *notes[PGS_DIAG_MAX_NOTES];
	size_t n_notes;
	const char *help;   /* may be NULL */
	struct pgs_fix *fix; /* may be NULL */
	size_t seq;          /* report order, to keep sorting stable */
};

struct pgs_diags {
	struct pgs_diag *items;
	size_t n, cap;
};

const char *pgs_severity_name(enum pgs_severity sev);

/* Parse "info", "warning" or "error"; -1 when unknown. */
int pgs_severity_parse(const char *name);

#endif
