#include "lint/fix.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lint/rule.h"

struct planned {
	const struct pgs_edit *edit;
	size_t diag;
};

static int by_start(const void *pa, const void *pb)
{
	const struct planned *a = pa, *b = pb;

	if (a->edit->span.start != b->edit->span.start)
		return a->edit->span.start < b->edit->span.start ? -1 : 1;
	return a->diag < b->diag ? -1 : a->diag > b->diag;
}

static bool overlaps(struct pgs_span a, struct pgs_span b)
{
	/* two insertions at one point overlap too: their order would be a guess */
	if (a.start == a.end && b.start == b.end)
		return a.start == b.start;
	return a.start < b.end && b.start < a.end;
}

/* A fix to choose, with its rule's id: lowest id first, then as reported. */
struct ranked {
	const char *rule_id;
	size_t diag;
};

static int by_rule(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int c = strcmp(a->rule_id, b->rule_id);

	return c ? c : (a->diag > b->diag) - (a->diag < b->diag);
}

/*
 * Whether an edit overlaps an edit of a fix already chosen. cand holds every
 * candidate edit by start, max_end[i] the largest end among cand[0..i]: the
 * search goes left from the last edit that starts early enough and stops where
 * no edit reaches back to e (edits stay within their statement, so this looks
 * at a few neighbours, not at every fix).
 */
static bool clashes(const struct planned *cand, const uint32_t *max_end, size_t n,
		    const bool *applied, const struct pgs_edit *e)
{
	uint32_t last_start = e->span.start == e->span.end ? e->span.start : e->span.end - 1;
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first candidate starting after last_start */
		size_t mid = lo + (hi - lo) / 2;
		if (cand[mid].edit->span.start <= last_start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t j = lo; j > 0 && max_end[j - 1] >= e->span.start; j--)
		if (applied[cand[j - 1].diag] && cand[j - 1].edit != e &&
		    overlaps(cand[j - 1].edit->span, e->span))
			return true;
	return false;
}

char *pgs_fix_apply(const struct pgs_file_report *file, bool unsafe, bool *applied,
		    size_t *n_applied)
{
	const struct pgs_diags *diags = &file->diags;
	size_t n_edits = 0, n_cand = 0;

	*n_applied = 0;
	memset(applied, 0, diags->n * sizeof(*applied));

	struct ranked *order = pgs_xmalloc((diags->n + 1) * sizeof(*order));
	size_t n_order = 0;
	for (size_t i = 0; i < diags->n; i++) {
		const struct pgs_fix *f = diags->items[i].fix;
		if (f && f->n_edits && (f->safe || unsafe)) {
			order[n_order].rule_id = diags->items[i].rule->id;
			order[n_order++].diag = i;
			n_cand += f->n_edits;
		}
	}
	qsort(order, n_order, sizeof(*order), by_rule);

	struct planned *cand = pgs_xmalloc((n_cand + 1) * sizeof(*cand));
	uint32_t *max_end = pgs_xmalloc((n_cand + 1) * sizeof(*max_end));
	size_t c = 0;
	for (size_t i = 0; i < n_order; i++) {
		const struct pgs_fix *f = diags->items[order[i].diag].fix;
		for (size_t e = 0; e < f->n_edits; e++) {
			cand[c].edit = &f->edits[e];
			cand[c++].diag = order[i].diag;
		}
	}
	qsort(cand, n_cand, sizeof(*cand), by_start);
	for (size_t i = 0; i < n_cand; i++)
		max_end[i] = i && max_end[i - 1] > cand[i].edit->span.end ? max_end[i - 1]
									  : cand[i].edit->span.end;

	/* choose whole fixes, skipping any that overlaps one chosen before */
	for (size_t i = 0; i < n_order; i++) {
		const struct pgs_fix *f = diags->items[order[i].diag].fix;
		bool clash = false;
		for (size_t e = 0; e < f->n_edits && !clash; e++)
			clash = clashes(cand, max_end, n_cand, applied, &f->edits[e]);
		if (!clash) {
			applied[order[i].diag] = true;
			n_edits += f->n_edits;
			(*n_applied)++;
		}
	}
	free(order);
	free(cand);
	free(max_end);
	if (!*n_applied)
		return NULL;

	struct planned *plan = pgs_xmalloc(n_edits * sizeof(*plan));
	size_t n = 0, grow = 0;
	for (size_t i = 0; i < diags->n; i++) {
		if (!applied[i])
			continue;
		const struct pgs_fix *f = diags->items[i].fix;
		for (size_t k = 0; k < f->n_edits; k++) {
			plan[n].edit = &f->edits[k];
			plan[n++].diag = i;
			grow += strlen(f->edits[k].text);
		}
	}
	qsort(plan, n, sizeof(*plan), by_start);

	char *out = pgs_xmalloc((size_t)file->src.len + grow + 1);
	size_t o = 0;
	uint32_t at = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pgs_edit *e = plan[i].edit;
		memcpy(out + o, file->src.text + at, e->span.start - at);
		o += e->span.start - at;
		size_t t = strlen(e->text);
		memcpy(out + o, e->text, t);
		o += t;
		at = e->span.end;
	}
	memcpy(out + o, file->src.text + at, file->src.len - at);
	o += file->src.len - at;
	out[o] = '\0';
	free(plan);
	return out;
}
