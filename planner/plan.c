#include "planner/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pg_query.h>

#include "core/lexer.h"
#include "core/quote.h"
#include "lint/rule.h"
#include "planner/build.h"
#include "planner/deparse.h"
#include "planner/down.h"
#include "planner/guard.h"

static const char *const kind_names[] = {
    [PGS_STAGE_TRANSACTIONAL] = "transactional",
    [PGS_STAGE_NON_TRANSACTIONAL] = "non-transactional",
    [PGS_STAGE_BACKFILL] = "backfill",
    [PGS_STAGE_CHECKPOINT] = "checkpoint",
};

const char *pgs_stage_kind_name(enum pgs_stage_kind kind)
{
	return kind_names[kind];
}

size_t pgs_plan_count_checkpoints(const struct pgs_plan *plan)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->n_stages; i++)
		n += plan->stages[i].kind == PGS_STAGE_CHECKPOINT;
	return n;
}

void pgs_plan_init(struct pgs_plan *plan, const struct pgs_plan_options *opts)
{
	memset(plan, 0, sizeof(*plan));
	pgs_arena_init(&plan->arena);
	plan->opts = *opts;
}

void pgs_plan_release(struct pgs_plan *plan)
{
	pgs_arena_release(&plan->arena);
	memset(plan, 0, sizeof(*plan));
}

struct pgs_plan_stage *pgs_plan_stage(struct pgs_plan *plan, enum pgs_stage_kind kind,
				      const char *why, const char *locks)
{
	struct pgs_plan_stage *st = pgs_arena_push(&plan->arena, (void **)&plan->stages,
						   &plan->n_stages, &plan->cap_stages, sizeof(*st));
	st->kind = kind;
	st->why = why ? pgs_arena_strdup(&plan->arena, why) : NULL;
	st->locks = locks ? pgs_arena_strdup(&plan->arena, locks) : NULL;
	switch (kind) {
	case PGS_STAGE_TRANSACTIONAL:
		st->lock_timeout = plan->opts.lock_timeout;
		st->statement_timeout = plan->opts.statement_timeout;
		break;
	case PGS_STAGE_NON_TRANSACTIONAL:
		/* a lock_timeout would leave an INVALID index behind, and a build
		 * takes as long as the table is big */
		st->lock_timeout = "0";
		st->statement_timeout = "0";
		break;
	case PGS_STAGE_BACKFILL:
		/* each batch waits for row locks at most lock_timeout, then retries;
		 * the whole DO block is one statement that takes as long as it takes */
		st->lock_timeout = plan->opts.lock_timeout;
		st->statement_timeout = "0";
		break;
	case PGS_STAGE_CHECKPOINT:
		break;
	}
	plan->open = false;
	return st;
}

void pgs_plan_marker(struct pgs_plan *plan, const char *marker)
{
	plan->stages[plan->n_stages - 1].marker = marker;
}

void pgs_plan_index_build(struct pgs_plan *plan, const char *index, bool fresh)
{
	struct pgs_arena *a = &plan->arena;
	struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];

	st->cleanup = pgs_guard_drop_invalid_index(a, index);
	st->verify = pgs_guard_verify_index(a, index);
	if (fresh) {
		st->marker = pgs_guard_index_valid(a, index);
		st->reset = pgs_arena_printf(a, "DROP INDEX CONCURRENTLY IF EXISTS %s", index);
	}
}

static struct pgs_plan_step *add_step(struct pgs_plan *plan, struct pgs_check *ctx)
{
	struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];
	struct pgs_plan_step *step = pgs_arena_push(&plan->arena, (void **)&st->steps, &st->n_steps,
						    &st->cap_steps, sizeof(*step));
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);

	step->origin = stmt->span;
	step->line = pgs_check_pos(ctx, stmt->span.start).line;
	step->path = pgs_arena_strdup(&plan->arena, pgs_check_path(ctx));
	return step;
}

void pgs_plan_sql(struct pgs_plan *plan, struct pgs_check *ctx, const char *sql, bool verbatim)
{
	struct pgs_plan_step *step = add_step(plan, ctx);

	step->sql = pgs_arena_strdup(&plan->arena, sql);
	step->verbatim = verbatim;
	if (verbatim) {
		struct pgs_guard g =
		    pgs_guard_statement(&plan->arena, pgs_check_model(ctx), pgs_check_node(ctx));
		step->marker = g.marker;
		step->rerun_safe = g.rerun_safe;
	} else {
		/* the planner makes its own steps safe to run again (stage markers,
		 * IF [NOT] EXISTS, cleanup) */
		step->rerun_safe = true;
	}
}

void pgs_plan_sql_stand_in(struct pgs_plan *plan, struct pgs_check *ctx, const char *sql,
			   const char *stand_in)
{
	pgs_plan_sql(plan, ctx, sql, false);
	struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];
	st->steps[st->n_steps - 1].stand_in = pgs_arena_strdup(&plan->arena, stand_in);
}

void pgs_plan_node(struct pgs_plan *plan, struct pgs_check *ctx, const PgQuery__Node *node)
{
	struct pgs_error err;
	const char *sql = pgs_deparse(&plan->arena, node, &err);

	if (!sql) {
		if (!plan->failed) {
			plan->error = err;
			plan->failed = true;
		}
		return;
	}
	pgs_plan_sql(plan, ctx, sql, false);
}

const char *pgs_plan_do(struct pgs_arena *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	const char *body = pgs_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return pgs_arena_printf(a, "DO %s", pgs_dollar_quote(a, body));
}

const char *pgs_plan_expr_sql(struct pgs_plan *plan, PgQuery__Node *expr)
{
	struct pgs_error err;
	const char *select = pgs_deparse(&plan->arena, pgs_build_select(&plan->arena, expr), &err);

	if (!select || strncmp(select, "SELECT ", 7) != 0) {
		if (!plan->failed) {
			plan->error = err;
			plan->failed = true;
		}
		return NULL;
	}
	return select + 7;
}

void pgs_plan_mark_kept(struct pgs_plan *plan, struct pgs_check *ctx)
{
	struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];

	if (!st->n_steps)
		return;
	struct pgs_plan_step *step = &st->steps[st->n_steps - 1];
	PgQuery__Node *node = pgs_plan_parse_one(&plan->arena, step->sql);
	step->kept = true;
	if (node) {
		/* the user's own actions ride in it: judged like a verbatim statement */
		struct pgs_guard g = pgs_guard_statement(&plan->arena, pgs_check_model(ctx), node);
		step->marker = g.marker;
		step->rerun_safe = g.rerun_safe;
	} else {
		step->rerun_safe = false;
	}
}

void pgs_plan_text(struct pgs_plan *plan, struct pgs_check *ctx, const char *sql)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
	ProtobufCAllocator alloc = pgs_arena_protobuf_allocator(&plan->arena);
	PgQuery__ParseResult *tree =
	    r.error ? NULL
		    : pg_query__parse_result__unpack(&alloc, r.parse_tree.len,
						     (const uint8_t *)r.parse_tree.data);

	if (tree && tree->n_stmts == 1)
		pgs_plan_node(plan, ctx, tree->stmts[0]->stmt);
	else if (!plan->failed) {
		pgs_error_set(&plan->error, "planned SQL is not one statement (%s): %s",
			      r.error ? r.error->message : "several", sql);
		plan->failed = true;
	}
	pg_query_free_protobuf_parse_result(r);
}

void pgs_plan_note(struct pgs_plan *plan, struct pgs_check *ctx, const char *fmt, ...)
{
	va_list ap;
	const char **slot = pgs_arena_push(&plan->arena, (void **)&plan->notes, &plan->n_notes,
					   &plan->cap_notes, sizeof(*slot));
	struct pgs_pos pos = pgs_check_pos(ctx, pgs_check_stmt(ctx)->span.start);

	va_start(ap, fmt);
	const char *what = pgs_arena_vprintf(&plan->arena, fmt, ap);
	va_end(ap);
	*slot = pgs_arena_printf(&plan->arena, "%s:%u: %s", pgs_check_path(ctx), pos.line, what);
}

void pgs_plan_note_first(struct pgs_plan *plan, const char *const *notes, size_t n)
{
	size_t before = plan->n_notes;

	if (!n)
		return; /* notes may still be NULL */
	for (size_t i = 0; i < n; i++)
		pgs_arena_push(&plan->arena, (void **)&plan->notes, &plan->n_notes,
			       &plan->cap_notes, sizeof(*plan->notes));
	memmove(plan->notes + n, plan->notes, before * sizeof(*plan->notes));
	for (size_t i = 0; i < n; i++)
		plan->notes[i] = pgs_arena_strdup(&plan->arena, notes[i]);
}

/* The statement's text as written, with the comments that lead it. */
static const char *verbatim_text(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	const char *text = pgs_check_text(ctx);
	uint32_t start = stmt->raw_start;

	while (start < stmt->span.start && (text[start] == ' ' || text[start] == '\t' ||
					    text[start] == '\n' || text[start] == '\r'))
		start++;
	return pgs_arena_strndup(&plan->arena, text + start, stmt->span.end - start);
}

const PgQuery__AlterTableCmd *pgs_plan_column_action(struct pgs_check *ctx,
						     PgQuery__AlterTableType subtype)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    node->alter_table_stmt->n_cmds != 1 ||
	    node->alter_table_stmt->cmds[0]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
		return NULL;
	const PgQuery__AlterTableCmd *cmd = node->alter_table_stmt->cmds[0]->alter_table_cmd;
	if (cmd->subtype != subtype || !cmd->def ||
	    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return NULL;
	return cmd;
}

static bool is_transaction_control(const PgQuery__Node *node)
{
	return node->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT;
}

/* SET [LOCAL] lock_timeout / statement_timeout: the plan sets its own per stage. */
static bool is_timeout_setting(const PgQuery__Node *node)
{
	if (node->node_case != PG_QUERY__NODE__NODE_VARIABLE_SET_STMT)
		return false;
	const char *name = node->variable_set_stmt->name;
	return name &&
	       (strcmp(name, "lock_timeout") == 0 || strcmp(name, "statement_timeout") == 0);
}

/* How far the plan got before a statement's rewriting. */
struct plan_mark {
	size_t n_stages, n_steps, n_notes;
	bool open;
};

static struct plan_mark plan_mark(const struct pgs_plan *plan)
{
	return (struct plan_mark){
	    .n_stages = plan->n_stages,
	    .n_steps = plan->n_stages ? plan->stages[plan->n_stages - 1].n_steps : 0,
	    .n_notes = plan->n_notes,
	    .open = plan->open,
	};
}

/*
 * A rewrite failed half-way: part of it could not be written back as SQL
 * (libpg_query's deparser can't write every tree it parses, e.g. a type
 * modifier that is an expression). Drop what it added; the statement stays
 * as written, with a note: no input makes the planner fail.
 */
static void undo_rewrite(struct pgs_plan *plan, struct plan_mark m, struct pgs_check *ctx)
{
	const char *why = pgs_arena_strdup(&plan->arena, plan->error.message);

	plan->n_stages = m.n_stages;
	if (m.n_stages)
		plan->stages[m.n_stages - 1].n_steps = m.n_steps;
	plan->n_notes = m.n_notes;
	plan->open = m.open;
	plan->failed = false;
	pgs_plan_note(plan, ctx, "stays as written: pgstage could not write its rewrite as SQL (%s)",
		      why);
}

void pgs_plan_statement(void *data, struct pgs_check *ctx)
{
	struct pgs_plan *plan = data;
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (plan->failed)
		return;
	/* the plan draws its own transaction boundaries and timeouts */
	if (is_transaction_control(node) || is_timeout_setting(node))
		return;
	size_t notes_before = plan->n_notes;
	struct plan_mark start = plan_mark(plan);
	bool planned = pgs_rewrite_rename_table(plan, ctx) || pgs_rewrite_rename_column(plan, ctx);
	if (planned && !plan->failed)
		return;
	if (plan->failed) {
		undo_rewrite(plan, start, ctx);
		notes_before = start.n_notes;
	}
	pgs_plan_checkpoint_before(plan, ctx);
	struct plan_mark before = plan_mark(plan);
	planned = pgs_rewrite_create_index(plan, ctx) || pgs_rewrite_drop_index(plan, ctx) ||
		  pgs_rewrite_reindex(plan, ctx) || pgs_rewrite_unique(plan, ctx) ||
		  pgs_rewrite_attach_partition(plan, ctx) || pgs_rewrite_repack(plan, ctx) ||
		  pgs_rewrite_add_column(plan, ctx) || pgs_rewrite_column_type(plan, ctx) ||
		  pgs_rewrite_alter_table(plan, ctx) || pgs_rewrite_dml(plan, ctx);
	if (planned && !plan->failed)
		return;
	if (plan->failed) {
		undo_rewrite(plan, before, ctx);
		notes_before = before.n_notes;
	}

	const struct pgs_effects *fx = pgs_check_effects(ctx);
	/* the plan never hides a danger: what stays as written and still rewrites
	 * or scans an existing table under a lock that blocks writes is said; when
	 * a rewriter that declined said why already, its note gets the facts */
	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (!(e->rewrite || e->scan) || e->lock < PGS_LOCK_SHARE ||
		    pgs_check_created_in_this_file(ctx, e->relation))
			continue;
		const char *what = pgs_arena_printf(
		    &plan->arena, "still %s %s under %s%s", e->rewrite ? "rewrites" : "scans",
		    pgs_check_relation_label(ctx, e->relation), pgs_lock_name(e->lock),
		    pgs_check_pg_version(ctx) < 12 && e->cause == PGS_CAUSE_NOT_NULL_SCAN
			? " (no way around the scan before PostgreSQL 12)"
			: "");
		if (plan->n_notes > notes_before)
			plan->notes[plan->n_notes - 1] = pgs_arena_printf(
			    &plan->arena, "%s; it %s", plan->notes[plan->n_notes - 1], what);
		else
			pgs_plan_note(plan, ctx, "stays as written and %s", what);
		break;
	}
	if (fx->no_transaction) {
		pgs_plan_stage(plan, PGS_STAGE_NON_TRANSACTIONAL,
			       "runs outside a transaction block, alone", NULL);
		pgs_plan_sql(plan, ctx, verbatim_text(plan, ctx), true);
		if (node->node_case == PG_QUERY__NODE__NODE_INDEX_STMT &&
		    node->index_stmt->idxname &&
		    *node->index_stmt->idxname) /* the user's own CONCURRENTLY build */
			pgs_plan_index_build(plan,
					     pgs_guard_sibling(&plan->arena,
							       node->index_stmt->relation,
							       node->index_stmt->idxname),
					     !node->index_stmt->if_not_exists);
		return;
	}
	if (!plan->open) {
		pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL, "statements kept as written", NULL);
		plan->open = true;
	}
	pgs_plan_sql(plan, ctx, verbatim_text(plan, ctx), true);
}

void pgs_plan_end_file(struct pgs_plan *plan)
{
	plan->open = false;
}

/* The strongest lock the stage's steps before step k hold on relation. */
static enum pgs_lock held_before(const struct pgs_plan_stage *st, size_t k, const char *relation)
{
	enum pgs_lock held = PGS_LOCK_NONE;

	for (size_t i = 0; i < k; i++)
		for (size_t e = 0; e < st->steps[i].n_effects; e++)
			if (strcmp(st->steps[i].effects[e].relation, relation) == 0 &&
			    st->steps[i].effects[e].lock > held)
				held = st->steps[i].effects[e].lock;
	return held;
}

const struct pgs_effect *pgs_plan_step_danger(const struct pgs_plan_stage *st, size_t k,
					      enum pgs_lock *held)
{
	const struct pgs_plan_step *step = &st->steps[k];

	if (st->kind != PGS_STAGE_TRANSACTIONAL)
		return NULL;
	for (size_t e = 0; e < step->n_effects; e++) {
		const struct pgs_effect *fx = &step->effects[e];
		if (fx->is_new || (!fx->rewrite && !fx->scan) ||
		    (step->spared_scans && !fx->rewrite && fx->assumed))
			continue;
		enum pgs_lock lock = held_before(st, k, fx->relation);
		if (fx->lock > lock)
			lock = fx->lock;
		if (lock >= PGS_LOCK_SHARE) {
			*held = lock;
			return fx;
		}
	}
	return NULL;
}

/*
 * A generated step that rewrites or scans an existing table while its
 * transaction holds a lock that blocks writes on it: the very thing the plan
 * exists to avoid. The user's own statements (verbatim or kept) are judged
 * in notes instead.
 */
static int check_safe_stage(const struct pgs_plan_stage *st, size_t stage, struct pgs_error *err)
{
	for (size_t k = 0; k < st->n_steps; k++) {
		const struct pgs_plan_step *step = &st->steps[k];
		enum pgs_lock held;
		const struct pgs_effect *fx;

		if (step->verbatim || step->kept || !(fx = pgs_plan_step_danger(st, k, &held)))
			continue;
		return pgs_error_set(err, "plan stage %zu: a generated step %s %s under %s: %s",
				     stage, fx->rewrite ? "rewrites" : "scans", fx->relation,
				     pgs_lock_name(held), step->sql);
	}
	return 0;
}

int pgs_plan_check(const struct pgs_plan *plan, struct pgs_error *err)
{
	for (size_t i = 0; i < plan->n_stages; i++) {
		const struct pgs_plan_stage *st = &plan->stages[i];

		if (check_safe_stage(st, i + 1, err) < 0)
			return -1;

		if (st->kind == PGS_STAGE_NON_TRANSACTIONAL && st->n_steps != 1)
			return pgs_error_set(err,
					     "plan stage %zu: a non-transactional stage holds %zu "
					     "statements, not one",
					     i + 1, st->n_steps);
		if (st->kind != PGS_STAGE_CHECKPOINT && st->n_steps == 0)
			return pgs_error_set(err, "plan stage %zu is empty", i + 1);
	}
	return 0;
}

/* A stage's marker from its steps (atomic stages: any step's shows the whole ran). */
static void derive_marker(struct pgs_plan_stage *st)
{
	if (st->kind == PGS_STAGE_CHECKPOINT)
		return;
	for (size_t k = 0; k < st->n_steps && !st->marker; k++)
		if (st->kind == PGS_STAGE_TRANSACTIONAL || st->n_steps == 1)
			st->marker = st->steps[k].marker;
	for (size_t k = 0; k < st->n_steps && !st->unguarded; k++)
		if (!st->steps[k].rerun_safe && !st->marker)
			st->unguarded = &st->steps[k];
}

/* FNV-1a of the stage's SQL: the same statements give the same key in every plan of them. */
static unsigned long long stage_hash(const struct pgs_plan_stage *st)
{
	unsigned long long h = 14695981039346656037ULL;

	for (size_t k = 0; k < st->n_steps; k++)
		for (const char *p = st->steps[k].sql; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

void pgs_plan_finish(struct pgs_plan *plan)
{
	struct pgs_arena *a = &plan->arena;

	for (size_t i = 0; i < plan->n_stages; i++)
		derive_marker(&plan->stages[i]);
	for (size_t i = 0; i < plan->n_stages; i++) {
		struct pgs_plan_stage *st = &plan->stages[i];
		if (!st->unguarded)
			continue;
		/* with the stage's number: the same statements twice are two stages */
		st->record = pgs_arena_printf(a, "%016llx-%zu", stage_hash(st), i + 1);
		st->marker = pgs_arena_printf(
			a, "EXISTS (SELECT FROM " PGS_PROGRESS_TABLE " WHERE step = %s)",
			pgs_quote_literal(a, st->record));
		const char **slot = pgs_arena_push(a, (void **)&plan->notes, &plan->n_notes,
						   &plan->cap_notes, sizeof(*slot));
		*slot = pgs_arena_printf(
			a,
			"%s:%u: stage %zu runs statements that leave no trace in the catalog and "
			"would repeat when run again: the script records the stage in table "
			"%s as it commits, and a run again skips it",
			st->unguarded->path, st->unguarded->line, i + 1, PGS_PROGRESS_TABLE);
	}
}

bool pgs_plan_records(const struct pgs_plan *plan)
{
	for (size_t i = 0; i < plan->n_stages; i++)
		if (plan->stages[i].record)
			return true;
	return false;
}
