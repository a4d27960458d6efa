/*
 * engine: lints a migration history file by file. It owns the schema model
 * that carries over from one file to the next, tracks transactions (explicit
 * ones and the ones the migration tool opens), runs the enabled rules on
 * every statement and collects their findings per file.
 */
#ifndef PGS_ENGINE_H
#define PGS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "lint/diag.h"
#include "core/error.h"
#include "core/model.h"
#include "lint/overlap.h"
#include "core/parse.h"
#include "lint/rule.h"
#include "lint/sections.h"
#include "core/source.h"

#define PGS_PG_VERSION_MIN 11
/* 19: what pgstage knows of it comes from its documentation (no 19 server to prove it on yet) */
#define PGS_PG_VERSION_MAX 19
#define PGS_PG_VERSION_DEFAULT 15

enum pgs_txn_override {
	PGS_TXN_AS_TOOL,   /* what the migration tool does */
	PGS_TXN_ALWAYS,    /* --assume-in-transaction */
	PGS_TXN_NEVER,     /* --no-transaction */
};

struct pgs_lint_options {
	int pg_version;
	enum pgs_tool tool;
	bool down;                       /* lint down parts instead of up parts */
	enum pgs_txn_override txn;
	bool *rule_disabled;             /* pgs_n_rules entries, or NULL: all enabled */
	bool no_rules;                   /* compute effects only (explain) */
	const int *severity;             /* pgs_n_rules entries, -1 keeps the rule's own; or NULL */
	/* Called for every parsed top-level statement of a reported file, after the
	 * rules and before the model records it (the planner builds on this). */
	void (*on_statement)(void *data, struct pgs_check *ctx);
	void *on_statement_data;
	/* the same for each statement of a context file that parses, which
	 * feeds the model only (verify runs them to build its databases) */
	void (*on_context_statement)(void *data, struct pgs_check *ctx);
};

struct pgs_engine {
	struct pgs_lint_options opts;
	struct pgs_model model;
	struct pgs_overlap overlap; /* what the context alone describes (lint/overlap.h) */
	unsigned n_files; /* reported files seen so far */
	bool parsed_any;  /* libpg_query was used (pg_query_exit is only safe then) */
};

/* One linted file: owns its arena and everything in it. */
struct pgs_file_report {
	struct pgs_arena arena;
	struct pgs_source src;
	struct pgs_sections sections;
	struct pgs_parsed parsed;
	struct pgs_diags diags; /* in statement order */
	size_t n_seq;           /* diagnostics made so far (pgs_diag.seq counts them) */
	struct pgs_effects *effects; /* one per statement of parsed (empty for context files) */
	struct pgs_txn *txns;        /* the transaction each statement runs in */
	const char *analysed;   /* the text the parser saw (parts outside are blanked) */
	bool context;           /* feeds the model only; not reported */
	/* The first statement of a reported file whose effect the context already
	 * has (the context seems to include this migration): what (see
	 * pgs_overlap_hit) and where; what is NULL when there is none. Found
	 * whatever the rules; lint also reports it as context-includes-migration. */
	struct {
		const char *what;
		struct pgs_span span;
	} overlap;
};

/* Copy opts (rule_disabled is borrowed and must outlive the engine). */
void pgs_engine_init(struct pgs_engine *engine, const struct pgs_lint_options *opts);
void pgs_engine_release(struct pgs_engine *engine);

/*
 * Lint one file (path "-" for standard input) as the next file of the
 * history. Context files update the model but get no diagnostics; they feed
 * what applying them did (their up part, also with opts.down). On an
 * input error returns -1 with a message naming the file; out is then empty
 * and need not be released, and the engine is ready for the next file.
 */
int pgs_engine_lint_file(struct pgs_engine *engine, const char *path, bool context,
			 struct pgs_file_report *out, struct pgs_error *err);

/* The same for text already in memory (tests, stdin already read). */
int pgs_engine_lint_text(struct pgs_engine *engine, const char *path, const char *text,
			 size_t len, bool context, struct pgs_file_report *out,
			 struct pgs_error *err);

void pgs_file_report_release(struct pgs_file_report *report);

/* Highest severity among the report's diagnostics, or -1 when there are none. */
int pgs_file_report_max_severity(const struct pgs_file_report *report);

#endif
