/*
 * What each step of a plan does, from the same effects module as explain:
 * the plan's statements run, in order, through a second engine whose model
 * starts from the context files, so every step is judged on the schema as it
 * is when that step runs (a SET NOT NULL after a validated CHECK scans
 * nothing, a VALIDATE sees the constraint an earlier stage added).
 */
#include <string.h>

#include "lint/engine.h"
#include "core/quote.h"
#include "core/strmap.h"
#include "planner/plan.h"

struct text {
	char *buf;
	size_t len, cap;
};

static void append(struct pgs_arena *a, struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *grown = pgs_arena_alloc(a, cap);
		if (t->len)
			memcpy(grown, t->buf, t->len);
		t->buf = grown;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
}

/* The plan as one migration, and where each step starts in it (steps[i] in order). */
static struct text plan_text(struct pgs_plan *plan, struct pgs_plan_step ***steps,
			     uint32_t **starts, size_t *n)
{
	struct pgs_arena *a = &plan->arena;
	struct text t = {0};
	size_t total = 0, k = 0;

	for (size_t i = 0; i < plan->n_stages; i++)
		total += plan->stages[i].n_steps;
	*steps = pgs_arena_array(a, total ? total : 1, sizeof(**steps));
	*starts = pgs_arena_array(a, total ? total : 1, sizeof(**starts));
	for (size_t i = 0; i < plan->n_stages; i++) {
		struct pgs_plan_stage *st = &plan->stages[i];
		bool txn = st->kind == PGS_STAGE_TRANSACTIONAL;
		if (txn)
			append(a, &t, "BEGIN;\n");
		for (size_t s = 0; s < st->n_steps; s++, k++) {
			(*steps)[k] = &st->steps[s];
			(*starts)[k] = (uint32_t)t.len;
			append(a, &t, st->steps[s].stand_in ? st->steps[s].stand_in : st->steps[s].sql);
			append(a, &t, ";\n");
		}
		if (txn)
			append(a, &t, "COMMIT;\n");
	}
	*n = total;
	if (!t.buf)
		append(a, &t, "");
	return t;
}

static void keep(struct pgs_arena *a, struct pgs_plan_step *step, const struct pgs_effects *fx)
{
	struct pgs_effect *items = pgs_arena_array(a, fx->n ? fx->n : 1, sizeof(*items));

	for (size_t i = 0; i < fx->n; i++) {
		items[i] = fx->items[i];
		items[i].relation = pgs_arena_strdup(a, fx->items[i].relation);
		items[i].culprit = fx->items[i].culprit ? pgs_arena_strdup(a, fx->items[i].culprit)
							: NULL;
	}
	step->effects = items;
	step->n_effects = fx->n;
	step->effects_known = true;
}

/* The strongest lock a stage takes on one relation, and whether it reads or rewrites it all. */
struct held {
	const char *relation;
	enum pgs_lock lock;
	bool scan, rewrite;
};

enum { LISTED = 4 }; /* relations named in a locks line; the rest are counted */

/*
 * The locks line of a stage that has none from its rewriter (statements kept
 * as written): each relation's strongest lock, whether it is scanned or
 * rewritten, from the steps' effects.
 */
static const char *describe_locks(struct pgs_arena *a, const struct pgs_plan_stage *st)
{
	struct pgs_strmap seen;
	struct held *held = NULL;
	size_t n = 0, cap = 0;

	pgs_strmap_init(&seen);
	for (size_t k = 0; k < st->n_steps; k++)
		for (size_t e = 0; e < st->steps[k].n_effects; e++) {
			const struct pgs_effect *fx = &st->steps[k].effects[e];
			struct held *h = pgs_strmap_get(&seen, fx->relation);
			if (!h) {
				/* indexes into held survive its growth; pointers would not */
				h = pgs_arena_push(a, (void **)&held, &n, &cap, sizeof(*h));
				h->relation = fx->relation;
				pgs_strmap_put(&seen, fx->relation, (void *)(uintptr_t)n);
			} else {
				h = &held[(uintptr_t)h - 1];
			}
			if (fx->lock > h->lock)
				h->lock = fx->lock;
			/* a table made earlier in the plan is empty: nothing to read or rewrite */
			h->scan |= fx->scan && !fx->is_new;
			h->rewrite |= fx->rewrite && !fx->is_new;
		}
	pgs_strmap_release(&seen);
	if (!n)
		return "no table locks";
	const char *out = "";
	for (size_t i = 0; i < n && i < LISTED; i++)
		out = pgs_arena_printf(a, "%s%s%s on %s%s", out, i ? "; " : "",
				       pgs_lock_name(held[i].lock),
				       pgs_quote_relation(a, held[i].relation),
				       held[i].rewrite ? ", rewritten"
				       : held[i].scan  ? ", read in full"
						       : "");
	if (n > LISTED)
		out = pgs_arena_printf(a, "%s; and %zu more relations", out, n - LISTED);
	return out;
}

/* The note about the statement at path:line (prefix "path:line: "), or NULL. */
static const char **note_of(const struct pgs_plan *plan, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < plan->n_notes; i++)
		if (strncmp(plan->notes[i], prefix, n) == 0)
			return &plan->notes[i];
	return NULL;
}

/*
 * Kept steps (the user's own actions of a split statement) that still rewrite
 * or scan under a lock that blocks writes: the plan never hides that, so a
 * note says it unless the rewriter said so already, and the stage's locks
 * line says what they take.
 */
static void note_kept_dangers(struct pgs_plan *plan)
{
	for (size_t i = 0; i < plan->n_stages; i++) {
		struct pgs_plan_stage *st = &plan->stages[i];
		for (size_t k = 0; k < st->n_steps; k++) {
			const struct pgs_plan_step *step = &st->steps[k];
			enum pgs_lock held;
			const struct pgs_effect *fx;
			if (!step->kept || !(fx = pgs_plan_step_danger(st, k, &held)))
				continue;
			/* the rewriter's locks line spoke for its own actions only */
			st->locks = describe_locks(&plan->arena, st);
			struct pgs_arena *a = &plan->arena;
			const char *at = pgs_arena_printf(a, "%s:%u: ", step->path, step->line);
			const char *what = pgs_arena_printf(
				a, "still %s %s under %s", fx->rewrite ? "rewrite" : "scan",
				pgs_quote_relation(a, fx->relation), pgs_lock_name(held));
			const char *where = pgs_arena_printf(a, "%s under %s",
							     pgs_quote_relation(a, fx->relation),
							     pgs_lock_name(held));
			const char **note = note_of(plan, at);
			if (note && strstr(*note, where)) /* the rewriter said it already */
				continue;
			if (note) {
				*note = pgs_arena_printf(a, "%s; the actions kept as written %s", *note,
							 what);
				continue;
			}
			const char **slot = pgs_arena_push(a, (void **)&plan->notes, &plan->n_notes,
							   &plan->cap_notes, sizeof(*slot));
			*slot = pgs_arena_printf(a, "%sactions kept as written %s", at, what);
		}
	}
}

int pgs_plan_compute_effects(struct pgs_plan *plan, const struct pgs_lint_options *lint,
			     const char *const *context, size_t n_context, struct pgs_error *err)
{
	struct pgs_lint_options opts = *lint;
	struct pgs_engine engine;
	struct pgs_file_report report;
	struct pgs_plan_step **steps;
	uint32_t *starts;
	size_t n_steps;
	int rc = 0;

	opts.no_rules = true;
	opts.on_statement = NULL;
	opts.on_context_statement = NULL;
	opts.tool = PGS_TOOL_PLAIN; /* the plan draws its own transactions */
	opts.txn = PGS_TXN_AS_TOOL;
	opts.down = false;
	pgs_engine_init(&engine, &opts);
	for (size_t i = 0; i < n_context && rc == 0; i++) {
		rc = pgs_engine_lint_file(&engine, context[i], true, &report, err);
		if (rc == 0)
			pgs_file_report_release(&report);
	}
	struct text t = plan_text(plan, &steps, &starts, &n_steps);
	if (rc == 0)
		rc = pgs_engine_lint_text(&engine, "plan", t.buf, t.len, false, &report, err);
	if (rc == 0) {
		size_t k = 0;
		for (size_t i = 0; i < report.parsed.n_stmts && rc == 0; i++) {
			const struct pgs_stmt *s = &report.parsed.stmts[i];
			if (!s->node) {
				rc = pgs_error_set(err, "planned SQL does not parse: %s", s->error);
				break;
			}
			if (s->node->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT)
				continue;
			while (k + 1 < n_steps && starts[k + 1] <= s->span.start)
				k++;
			if (k < n_steps && starts[k] <= s->span.start)
				keep(&plan->arena, steps[k], &report.effects[i]);
		}
		pgs_file_report_release(&report);
	}
	pgs_engine_release(&engine);
	if (rc == 0)
		note_kept_dangers(plan);
	for (size_t i = 0; rc == 0 && i < plan->n_stages; i++)
		if (!plan->stages[i].locks && plan->stages[i].kind != PGS_STAGE_CHECKPOINT)
			plan->stages[i].locks = describe_locks(&plan->arena, &plan->stages[i]);
	return rc;
}
