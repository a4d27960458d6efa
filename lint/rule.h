/*
 * rule: what a lint rule is, and the only API rules use. A rule looks at one
 * parsed statement at a time, asks the model and the statement's effects
 * questions, and reports diagnostics. It never re-derives lock modes.
 */
#ifndef PGS_RULE_H
#define PGS_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include <pg_query/pg_query.pb-c.h>

#include "lint/diag.h"
#include "core/effects.h"
#include "core/model.h"
#include "core/parse.h"
#include "lint/sections.h"

struct pgs_check;

struct pgs_rule {
	const char *id;   /* "M101": stable, never reused; first digit is the family */
	const char *name; /* kebab-case; the file is rules/<name with _>.c */
	enum pgs_severity severity;
	const char *summary; /* one line */
	const char *docs;    /* markdown: problem, why, safe alternative */
	const char *example_bad, *example_good; /* the registry test lints both */
	/* Called for every parsed statement; NULL for built-ins (syntax-error). */
	void (*check)(struct pgs_check *ctx);
	/* Optional: called once after the file's last statement, with the
	 * transaction state at the end of the file (pgs_check_stmt is NULL). */
	void (*end_of_file)(struct pgs_check *ctx);
};

/* A lock taken earlier in the current transaction (held until it ends). */
struct pgs_txn_lock {
	const char *relation; /* "schema.name" */
	enum pgs_lock lock;
	bool rewrite, scan;   /* the statement that took it rewrote / scanned the table */
	bool new_here;        /* the relation was created earlier in this file */
	uint32_t offset;      /* start of the statement that took it */
};

/* Transaction the statement runs in, as the engine tracked it. */
struct pgs_txn {
	bool active;
	bool by_tool;         /* opened by the migration tool, not by BEGIN */
	bool by_option;       /* --assume-in-transaction (by_tool is set too) */
	const char *opened_by; /* "BEGIN" or "START TRANSACTION" for explicit ones */
	uint32_t began_at;    /* source offset of BEGIN, or of the file start */
	size_t n_statements;  /* statements run in it so far */
	unsigned id;          /* model transaction id (see pgs_model.txn_id) */
	/* locks of SHARE or stronger taken by earlier statements of this
	 * transaction (outside a transaction: none) */
	struct pgs_txn_lock *locks;
	size_t n_locks, cap_locks;
	/* the relations among them that existed before this file (not new_here
	 * when first locked), and the locks on those */
	size_t n_existing, n_existing_locks;
};

/*
 * The locks the current transaction holds on one relation, kept by the
 * engine as they are taken, so rules ask about a relation in constant time
 * however long the transaction is.
 */
struct pgs_txn_relation {
	const char *relation;
	bool new_here;           /* the first lock's new_here */
	size_t first, strongest; /* in pgs_txn.locks: the first lock, the first of the strongest mode */
	unsigned n_by_mode[PGS_LOCK_ACCESS_EXCLUSIVE + 1]; /* how many locks of each mode */
	struct pgs_txn_relation *prev, *next; /* (engine) existing relations of the same
					       * strongest mode, in the order they got it */
};

/* The statement being checked, its node, and its source text. */
const struct pgs_stmt *pgs_check_stmt(const struct pgs_check *ctx);
const PgQuery__Node *pgs_check_node(const struct pgs_check *ctx);
const char *pgs_check_text(const struct pgs_check *ctx);

/* Length of pgs_check_text (the whole file), without scanning it. */
uint32_t pgs_check_text_len(const struct pgs_check *ctx);

/*
 * The statement of the file being linted whose span holds a source offset,
 * or NULL: lets an end-of-file rule point at an earlier statement (see the
 * offsets the model records for tables and constraints). Findings in it are
 * suppressed by the pgstage-ignore comment above that statement.
 */
const struct pgs_stmt *pgs_check_stmt_at(const struct pgs_check *ctx, uint32_t offset);

/* What the statement does to each relation (see effects.h). */
const struct pgs_effects *pgs_check_effects(const struct pgs_check *ctx);

/*
 * The effect on the relation the statement is about (the table of an
 * ALTER TABLE or CREATE INDEX), or NULL when it touches none.
 */
const struct pgs_effect *pgs_check_main_effect(const struct pgs_check *ctx);

/* The file's arena, for strings a rule builds (freed with the file's report). */
struct pgs_arena *pgs_check_arena(const struct pgs_check *ctx);

/*
 * The statement when it is an ALTER TABLE of a table (not a view, index,
 * ...) that existed before this file, with its effect on that table in
 * *effect; NULL otherwise. What most ALTER TABLE rules start with.
 */
const PgQuery__AlterTableStmt *pgs_check_alter_existing_table(const struct pgs_check *ctx,
							      const struct pgs_effect **effect);

/* The schema as it is before the statement runs. */
struct pgs_model *pgs_check_model(const struct pgs_check *ctx);

/* Whether the relation was created earlier in the file being linted. */
bool pgs_check_created_in_this_file(const struct pgs_check *ctx, const char *relation);

const struct pgs_txn *pgs_check_txn(const struct pgs_check *ctx);

/* What the current transaction holds on relation (locks of SHARE or stronger), or NULL. */
const struct pgs_txn_relation *pgs_check_txn_relation(const struct pgs_check *ctx,
						      const char *relation);

/*
 * Of the relations that existed before this file, the one on which the
 * current transaction holds the strongest lock (of equals, the one that got
 * it first), passing over those skip(data, r) refuses; NULL when none is
 * left. It costs the relations passed over, so skip should refuse few
 * (say, those the statement locks itself). skip may be NULL.
 */
const struct pgs_txn_relation *pgs_check_txn_strongest(const struct pgs_check *ctx,
						       bool (*skip)(void *data,
								    const struct pgs_txn_relation *r),
						       void *data);

/* How many statements (parsed or not) follow the current one in the file's linted part. */
size_t pgs_check_stmts_after(const struct pgs_check *ctx);

/*
 * A slot the current rule may use for state that carries from one statement
 * of the file to the next (and to its end_of_file hook): NULL at the start of
 * every file. Allocate what it points to with pgs_check_arena.
 */
void **pgs_check_state(struct pgs_check *ctx);

/*
 * The current rule's latest finding in this file that is still reported (a
 * suppressed one is gone), or NULL. Valid until the next finding of any rule
 * is reported. Lets a once-per-file rule add notes or adjust its fix later.
 */
struct pgs_diag *pgs_check_last_diag(struct pgs_check *ctx);

/* The migration tool whose conventions the file follows (never AUTO). */
enum pgs_tool pgs_check_tool(const struct pgs_check *ctx);

/*
 * Whether the tool sends the file (or its part) as one multi-statement query,
 * an implicit transaction (golang-migrate, prisma; diesel, sqlx and refinery
 * files that opt out of their transaction).
 */
bool pgs_check_multi_statement(const struct pgs_check *ctx);
int pgs_check_pg_version(const struct pgs_check *ctx);

/* The path of the file being linted, as shown to the user. */
const char *pgs_check_path(const struct pgs_check *ctx);

/* Line and column of a source offset of the file being linted. */
struct pgs_pos pgs_check_pos(const struct pgs_check *ctx, uint32_t offset);

/* A line (1-based) of the file being linted, as bytes without its line break. */
struct pgs_span pgs_check_line(const struct pgs_check *ctx, uint32_t line);

/* Record a finding of the current rule; message is printf-formatted. */
struct pgs_diag *pgs_report(struct pgs_check *ctx, struct pgs_span span, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void pgs_diag_note(struct pgs_check *ctx, struct pgs_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pgs_diag_help(struct pgs_check *ctx, struct pgs_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Attach a fix (title, safe or not) and add byte edits to it. */
void pgs_diag_fix(struct pgs_check *ctx, struct pgs_diag *d, const char *title, bool safe);
void pgs_diag_edit(struct pgs_check *ctx, struct pgs_diag *d, struct pgs_span span,
		   const char *text);

/* "the lock blocks X" note, shared wording for every locking rule. */
void pgs_diag_note_lock(struct pgs_check *ctx, struct pgs_diag *d, const struct pgs_effect *e);

/*
 * pgs_diag_note_lock for every other relation the statement locks in a mode
 * that blocks someone (the other end of a foreign key, a partition's parent,
 * ...), except relations created earlier in this file.
 */
void pgs_diag_note_other_locks(struct pgs_check *ctx, struct pgs_diag *d,
			       const struct pgs_effect *main);

/* Display form of a "schema.name" key: SQL-quoted where needed, without "public.". */
const char *pgs_check_relation_label(struct pgs_check *ctx, const char *relation);

/* An identifier as SQL, quoted where needed (for help text and fixes). */
const char *pgs_check_quote(struct pgs_check *ctx, const char *name);

/*
 * The span of the i-th action of an ALTER TABLE statement (actions are the
 * comma-separated clauses, in the order of the statement's cmds).
 */
struct pgs_span pgs_check_cmd_span(const struct pgs_check *ctx, size_t i);

#endif
