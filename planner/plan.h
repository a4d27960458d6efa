/*
 * plan: a safe staged rewrite of a migration. A plan is a list of stages:
 *
 *   transactional      DDL in one transaction, after SET LOCAL lock_timeout and
 *                      statement_timeout; retried by `apply` when the lock times out
 *   non-transactional  exactly one statement that can't run in a transaction
 *                      block (CREATE/DROP INDEX CONCURRENTLY, ...), no short
 *                      lock_timeout (it would leave an INVALID index behind)
 *   backfill           batched, idempotent DML, each batch its own transaction
 *   checkpoint         stop: deploy application code before going on
 *
 * Every stage says why it exists and what lock it takes for how long.
 */
#ifndef PGS_PLAN_H
#define PGS_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "lint/engine.h"
#include "core/error.h"

enum pgs_stage_kind {
	PGS_STAGE_TRANSACTIONAL,
	PGS_STAGE_NON_TRANSACTIONAL,
	PGS_STAGE_BACKFILL,
	PGS_STAGE_CHECKPOINT,
};

struct pgs_backfill;

struct pgs_plan_step {
	const char *sql;      /* without the final semicolon */
	/* SQL of a newer PostgreSQL than the grammar pgstage parses (15): a
	 * statement that grammar parses and that does the same to the catalog as
	 * far as pgstage models it, read in sql's place to compute effects and
	 * down migrations; NULL when sql itself parses */
	const char *stand_in;
	bool verbatim;        /* copied from the input (comments kept) */
	/* re-runs (planner/guard.h): a marker of the statement having run, and
	 * whether running it again after it succeeded is harmless */
	const char *marker;
	bool rerun_safe;
	/* generated, but holds the user's own actions as written (the other actions
	 * of a split ALTER TABLE): like verbatim steps, noted when they stay unsafe */
	bool kept;
	/* validated CHECKs the plan added before it spare its scans (ATTACH
	 * PARTITION, proven by the plan proof), which the effects can only assume */
	bool spared_scans;
	const char *path;     /* where it came from */
	struct pgs_span origin;
	unsigned line;
	/* what the step does when it runs (pgs_plan_compute_effects) */
	const struct pgs_effect *effects;
	size_t n_effects;
	bool effects_known;
};

struct pgs_plan_stage {
	enum pgs_stage_kind kind;
	const char *why;   /* one line: the reason this stage exists */
	const char *locks; /* one line: what it locks, and how long */
	struct pgs_plan_step *steps;
	size_t n_steps, cap_steps;
	/* what it runs under: lock_timeout per lock wait, statement_timeout per
	 * statement ("0": none); from the options, by kind */
	const char *lock_timeout, *statement_timeout;
	/*
	 * Re-runs (planner/guard.h). marker: SQL true once the stage has run
	 * (NULL: none). cleanup: a query whose rows are statements to run first,
	 * removing what a failed run left (an INVALID index). reset: one
	 * statement that does the same where a query can't run first (migration
	 * tools), NULL when there is none that is always safe. verify: a
	 * statement run after the stage, failing when it did not reach its end.
	 */
	const char *marker, *cleanup, *reset, *verify;
	/* a step that running again after it succeeded repeats and that no marker
	 * of this stage shows (an INSERT) */
	const struct pgs_plan_step *unguarded;
	/* for such a stage: its key in the table pgstage_progress, where the
	 * stage records itself as it commits (its marker then looks there) */
	const char *record;
	/* a backfill stage: what its DO block runs, for apply to run the batches
	 * itself (exec/backfill.h); NULL for other stages */
	const struct pgs_backfill *backfill;
};

struct pgs_plan_options {
	const char *lock_timeout;      /* e.g. "2s" */
	const char *statement_timeout; /* e.g. "5min": transactional stages */
	/* statement_timeout of VALIDATE stages, whose scan takes as long as the
	 * table is big but blocks no reads or writes; "0": none */
	const char *validate_timeout;
	size_t batch_size;             /* rows per backfill batch */
};

struct pgs_plan {
	struct pgs_arena arena;
	struct pgs_plan_options opts;
	struct pgs_plan_stage *stages;
	size_t n_stages, cap_stages;
	bool open; /* the last stage is transactional and takes more verbatim statements */
	const char **notes; /* statements left as they are, with why (no safe rewrite) */
	size_t n_notes, cap_notes;
	struct pgs_error error; /* first planning error */
	bool failed;
};

void pgs_plan_init(struct pgs_plan *plan, const struct pgs_plan_options *opts);
void pgs_plan_release(struct pgs_plan *plan);

/*
 * The engine hook (pgs_lint_options.on_statement) that plans each statement:
 * data is the struct pgs_plan.
 */
void pgs_plan_statement(void *data, struct pgs_check *ctx);

/* Finish the file's plan: the statements after the last one close their stage. */
void pgs_plan_end_file(struct pgs_plan *plan);

/*
 * Finish the plan after its last file: stage markers from the steps of
 * stages kept as written; a stage whose statements leave no trace in the
 * catalog and would repeat when run again (see pgs_plan_stage.unguarded)
 * records itself in pgstage_progress, which a note says.
 */
void pgs_plan_finish(struct pgs_plan *plan);

/* Whether a stage records itself in pgstage_progress (PGS_PROGRESS_TABLE). */
bool pgs_plan_records(const struct pgs_plan *plan);

/* The table, and its definition, for stages that leave no trace in the catalog. */
#define PGS_PROGRESS_TABLE "pgstage_progress"
#define PGS_PROGRESS_CREATE                                                                  \
	"CREATE TABLE IF NOT EXISTS pgstage_progress (step text PRIMARY KEY, done_at timestamptz " \
	"NOT NULL DEFAULT now())"

/*
 * Fill in every step's effects: the plan's statements run in order through
 * an engine with lint's options (version, ...) whose model starts from the
 * context files. 0, or -1 with err set (unreadable context, a step that does
 * not parse).
 */
int pgs_plan_compute_effects(struct pgs_plan *plan, const struct pgs_lint_options *lint,
			     const char *const *context, size_t n_context, struct pgs_error *err);

/* Invariants every plan keeps; 0, or -1 with a message (a planner bug). */
int pgs_plan_check(const struct pgs_plan *plan, struct pgs_error *err);

/* How many checkpoint stages the plan has (the phases are one more). */
size_t pgs_plan_count_checkpoints(const struct pgs_plan *plan);

/* Stage kind names used in output: "transactional", "non-transactional", ... */
const char *pgs_stage_kind_name(enum pgs_stage_kind kind);

/* --- for the rewriters (planner/rewrite_*.c) --- */

/* Start a new stage. */
struct pgs_plan_stage *pgs_plan_stage(struct pgs_plan *plan, enum pgs_stage_kind kind,
				      const char *why, const char *locks);

/* Add a generated statement to the last stage (deparsed from node). */
void pgs_plan_node(struct pgs_plan *plan, struct pgs_check *ctx, const PgQuery__Node *node);

/* Add SQL text to the last stage. */
void pgs_plan_sql(struct pgs_plan *plan, struct pgs_check *ctx, const char *sql, bool verbatim);

/*
 * Add a generated statement written as SQL text: parsed, then deparsed like a
 * built node (so it is checked and printed the same way). A planner bug when it
 * is not exactly one statement.
 */
void pgs_plan_text(struct pgs_plan *plan, struct pgs_check *ctx, const char *sql);

/* An expression as SQL text; NULL (the plan failed) when it can't be deparsed. */
const char *pgs_plan_expr_sql(struct pgs_plan *plan, PgQuery__Node *expr);

/*
 * DO <body>: body (printf-style) in dollar quotes whose tag it does not
 * contain (a name with "$pgstage$" in it can't end the body early).
 */
const char *pgs_plan_do(struct pgs_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Mark the last step added as kept (see pgs_plan_step.kept). */
void pgs_plan_mark_kept(struct pgs_plan *plan, struct pgs_check *ctx);

/* Set the last stage's marker (SQL, see pgs_plan_stage.marker). */
void pgs_plan_marker(struct pgs_plan *plan, const char *marker);

/*
 * The last stage builds index (SQL name) CONCURRENTLY: drop an INVALID
 * leftover of a failed build first, check it valid after. fresh: the index
 * can't exist before the plan builds it (the statement had no IF NOT
 * EXISTS), so it also marks the stage and may be dropped before a retry.
 */
void pgs_plan_index_build(struct pgs_plan *plan, const char *index, bool fresh);

/*
 * The effect by which step k of a transactional stage rewrites or scans an
 * existing table while the stage holds a lock that blocks writes on it (taken
 * by this step or an earlier one), and that lock in *held; NULL when none.
 */
const struct pgs_effect *pgs_plan_step_danger(const struct pgs_plan_stage *st, size_t k,
					      enum pgs_lock *held);

/*
 * Put n notes (copied) before the plan's other notes: what concerns a whole
 * input file (its context seems to include it) heads the plan.
 */
void pgs_plan_note_first(struct pgs_plan *plan, const char *const *notes, size_t n);

/* Record that a statement stays as written although it is unsafe, and why. */
void pgs_plan_note(struct pgs_plan *plan, struct pgs_check *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A backfill stage that sets column (of the model's table t, key relation)
 * to value (SQL) in the rows where pending (SQL) holds, in batches, until
 * no row is pending.
 */
void pgs_plan_fill(struct pgs_plan *plan, struct pgs_check *ctx, struct pgs_table *t,
		   const char *relation, const char *column, const char *value,
		   const char *pending);

/*
 * A stage of its own that validates constraint name of rel: the scan runs under
 * SHARE UPDATE EXCLUSIVE (fk: ROW SHARE on the referenced table too).
 */
void pgs_plan_validate(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
		       const char *table, const char *name, bool fk);

/* Add SQL the PostgreSQL 15 grammar can't parse, with its stand_in (see pgs_plan_step). */
void pgs_plan_sql_stand_in(struct pgs_plan *plan, struct pgs_check *ctx, const char *sql,
			   const char *stand_in);

/*
 * The NOT NULL sequence (planner/not_null.c): make columns NOT NULL without
 * scanning the table under a lock that blocks writes. Before PostgreSQL 18 a
 * helper CHECK (c IS NOT NULL) is added NOT VALID, validated, then SET NOT
 * NULL (which it spares the scan on 12+) and the CHECK dropped. On 18+ the
 * NOT NULL constraint itself is added NOT VALID and validated.
 */

/* Whether the target version adds NOT NULL constraints NOT VALID (18+). */
bool pgs_plan_native_not_null(struct pgs_check *ctx);

/*
 * The name of what makes col of relname NOT NULL in the meantime: 18+, the
 * NOT NULL constraint under PostgreSQL's own name for it; before, a helper
 * CHECK named apart from that name (a plan for 15 run on 18 must not collide).
 */
const char *pgs_plan_not_null_name(struct pgs_plan *plan, struct pgs_check *ctx,
				   const char *relname, const char *col);

/* A step in the current stage: cols[i] NOT NULL NOT VALID, named names[i]. */
void pgs_plan_not_null_not_valid(struct pgs_plan *plan, struct pgs_check *ctx,
				 PgQuery__RangeVar *rel, const char **cols, const char **names,
				 size_t n);

/*
 * The whole sequence for cols of rel: a stage (why) adding them NOT VALID,
 * a VALIDATE stage for each, then (before 18) the SET NOT NULL stage.
 */
void pgs_plan_not_null_sequence(struct pgs_plan *plan, struct pgs_check *ctx,
				PgQuery__RangeVar *rel, const char *table, const char **cols,
				size_t n, const char *why);

/*
 * The sequence's last stage before 18: SET NOT NULL on cols (proven by the
 * validated CHECKs named checks, so no scan on 12+; before 12 it scans,
 * which a note says), then DROP those CHECKs. Nothing on 18+, where the
 * VALIDATE made them NOT NULL.
 */
void pgs_plan_set_not_null(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			   const char *table, const char **cols, const char **checks, size_t n);

/* The same statements added to the current stage (one that does more, e.g. a swap). */
void pgs_plan_set_not_null_steps(struct pgs_plan *plan, struct pgs_check *ctx,
				 PgQuery__RangeVar *rel, const char *table, const char **cols,
				 const char **checks, size_t n);

/*
 * The actions of ALTER TABLE as (of an existing table, named table in
 * messages) split as pgs_rewrite_alter_table does: FOREIGN KEY and CHECK
 * added NOT VALID then validated, SET NOT NULL via a CHECK, the other
 * actions with the first stage. False when no action needs a split.
 */
bool pgs_plan_split_alter(struct pgs_plan *plan, struct pgs_check *ctx,
			  const PgQuery__AlterTableStmt *as, const char *table);

/*
 * ADD UNIQUE / PRIMARY KEY actions of as (and no others) planned as
 * pgs_rewrite_unique does: each index built concurrently under the
 * constraint's name, the NOT NULL sequence for a primary key's nullable
 * columns, then ADD CONSTRAINT ... USING INDEX. not_null: a column the
 * statement being planned makes NOT NULL before (the model does not know it
 * yet), or NULL. False, with a note, when they can't be planned; check_only:
 * only that (nothing planned).
 */
bool pgs_plan_keys(struct pgs_plan *plan, struct pgs_check *ctx, const PgQuery__AlterTableStmt *as,
		   const char *table, const char *not_null, bool check_only);

/*
 * The statement's one action when it is an ALTER TABLE of a table with a
 * single action, of subtype, whose definition is a column definition (ADD
 * COLUMN, ALTER COLUMN TYPE); NULL otherwise.
 */
const PgQuery__AlterTableCmd *pgs_plan_column_action(struct pgs_check *ctx,
						     PgQuery__AlterTableType subtype);

/* Rewriters (planner/rewrite_*.c): each returns true when it planned the statement. */
bool pgs_rewrite_add_column(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_create_index(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_drop_index(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_reindex(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_alter_table(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_dml(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_unique(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_column_type(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_rename_table(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_rename_column(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_attach_partition(struct pgs_plan *plan, struct pgs_check *ctx);
bool pgs_rewrite_repack(struct pgs_plan *plan, struct pgs_check *ctx);

/*
 * A checkpoint stage before a statement that drops or renames a table or
 * column running code may still use (planner/rewrite_contract.c).
 */
void pgs_plan_checkpoint_before(struct pgs_plan *plan, struct pgs_check *ctx);

#endif
