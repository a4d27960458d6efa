/*
 * A plan read back from `pgstage plan --format json` (planner/render.h):
 * what `pgstage apply --plan FILE` runs, as the user reviewed it.
 */
#include <string.h>

#include "planner/backfill.h"
#include "planner/plan.h"
#include "planner/render.h"

static const char *text(struct pgs_plan *plan, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? pgs_arena_strdup(&plan->arena, json_string_value(v)) : NULL;
}

static int kind_of(const char *name)
{
	for (int k = PGS_STAGE_TRANSACTIONAL; k <= PGS_STAGE_CHECKPOINT; k++)
		if (name && strcmp(name, pgs_stage_kind_name((enum pgs_stage_kind)k)) == 0)
			return k;
	return -1;
}

/*
 * A stage's backfill, which apply runs in batches itself: its DO block, the
 * stage's one step, must be the one it makes (the plan was not edited in
 * one place and not the other). 0, or -1 with err set.
 */
static int load_backfill(struct pgs_plan *plan, struct pgs_plan_stage *st, const json_t *o,
			 size_t i, struct pgs_error *err)
{
	struct pgs_backfill *b = pgs_arena_alloc(&plan->arena, sizeof(*b));
	json_int_t rows = json_integer_value(json_object_get(o, "batch_rows"));
	json_int_t pages = json_integer_value(json_object_get(o, "batch_pages"));

	*b = (struct pgs_backfill){
	    .rel = text(plan, o, "table"),
	    .alias = text(plan, o, "alias"),
	    .body = text(plan, o, "statement"),
	    .pending = text(plan, o, "pending"),
	    .pk = text(plan, o, "key"),
	    .batch_rows = rows > 0 ? (size_t)rows : 0,
	    .batch_pages = pages > 0 ? (size_t)pages : 0,
	};
	if (!json_is_object(o) || !b->rel || !b->body || !b->batch_rows || !b->batch_pages)
		return pgs_error_set(err, "stage %zu: a backfill needs table, statement, batch_rows "
					  "and batch_pages",
				     i + 1);
	if (st->n_steps != 1 || strcmp(st->steps[0].sql, pgs_backfill_sql(&plan->arena, b)) != 0)
		return pgs_error_set(err, "stage %zu: its backfill and its statement differ: edit "
					  "the migration and plan it again rather than the plan",
				     i + 1);
	st->backfill = b;
	return 0;
}

int pgs_plan_load_json(struct pgs_plan *plan, const json_t *doc, struct pgs_error *err)
{
	const json_t *stages = json_object_get(doc, "stages");
	struct pgs_plan_options opts = {.validate_timeout = "0", .batch_size = 1000};

	pgs_plan_init(plan, &opts);
	if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "version")) != 1 ||
	    !json_is_array(stages))
		return pgs_error_set(err, "not a plan of `pgstage plan --format json` (version 1)");
	plan->opts.lock_timeout = text(plan, doc, "lock_timeout");
	plan->opts.statement_timeout = text(plan, doc, "statement_timeout");
	if (!plan->opts.lock_timeout || !plan->opts.statement_timeout)
		return pgs_error_set(err, "the plan has no lock_timeout or statement_timeout");
	for (size_t i = 0; i < json_array_size(stages); i++) {
		const json_t *s = json_array_get(stages, i), *steps = json_object_get(s, "steps");
		int kind = kind_of(json_string_value(json_object_get(s, "kind")));
		if (!json_is_object(s) || kind < 0 || !json_is_array(steps))
			return pgs_error_set(err, "stage %zu: no kind or steps of a plan", i + 1);
		struct pgs_plan_stage *st = pgs_plan_stage(plan, (enum pgs_stage_kind)kind,
							   text(plan, s, "why"), NULL);
		st->locks = text(plan, s, "locks");
		st->marker = text(plan, s, "marker");
		st->cleanup = text(plan, s, "cleanup");
		st->reset = text(plan, s, "reset");
		st->verify = text(plan, s, "verify");
		st->record = text(plan, s, "record");
		if (kind != PGS_STAGE_CHECKPOINT) {
			st->lock_timeout = text(plan, s, "lock_timeout");
			st->statement_timeout = text(plan, s, "statement_timeout");
			if (!st->lock_timeout || !st->statement_timeout)
				return pgs_error_set(err, "stage %zu: no lock_timeout or "
							  "statement_timeout",
						     i + 1);
		}
		for (size_t k = 0; k < json_array_size(steps); k++) {
			const json_t *step = json_array_get(steps, k);
			const json_t *origin = json_object_get(step, "origin");
			struct pgs_plan_step *p =
			    pgs_arena_push(&plan->arena, (void **)&st->steps, &st->n_steps,
					   &st->cap_steps, sizeof(*p));
			p->sql = text(plan, step, "sql");
			if (!p->sql)
				return pgs_error_set(err, "stage %zu, step %zu: no sql", i + 1, k + 1);
			p->verbatim = json_is_true(json_object_get(step, "verbatim"));
			p->path = text(plan, origin, "path");
			p->line = (unsigned)json_integer_value(json_object_get(origin, "line"));
			p->rerun_safe = true;
		}
		const json_t *backfill = json_object_get(s, "backfill");
		if (backfill && !json_is_null(backfill) &&
		    load_backfill(plan, st, backfill, i, err) < 0)
			return -1;
	}
	const json_t *notes = json_object_get(doc, "notes");
	for (size_t i = 0; i < json_array_size(notes); i++) {
		const char **slot = pgs_arena_push(&plan->arena, (void **)&plan->notes,
						   &plan->n_notes, &plan->cap_notes, sizeof(*slot));
		const char *note = json_string_value(json_array_get(notes, i));
		*slot = pgs_arena_strdup(&plan->arena, note ? note : "");
	}
	/* the invariants every plan keeps (one statement per non-transactional stage, ...) */
	return pgs_plan_check(plan, err);
}
