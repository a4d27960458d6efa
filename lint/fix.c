#include "lint/fix.h"

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

char *pgs_fix_apply(const struct pgs_file_report *file, bool unsafe, bool *applied,
		    size_t *n_applied)
{
	const struct pgs_diags *diags = &file->diags;
	size_t n_edits = 0;

	*n_applied = 0;
	memset(applied, 0, diags->n * sizeof(*applied));

	/* choose whole fixes, lowest rule id first, skipping any that overlap */
	size_t *order = pgs_xmalloc((diags->n + 1) * sizeof(*order));
	size_t n_order = 0;
	for (size_t i = 0; i < diags->n; i++) {
		const struct pgs_fix *f = diags->items[i].fix;
		if (f && f->n_edits && (f->safe || unsafe))
			order[n_order++] = i;
	}
	for (size_t i = 1; i < n_order; i++) /* insertion sort by rule id: few fixes */
		for (size_t k = i; k > 0 && strcmp(diags->items[order[k]].rule->id,
						   diags->items[order[k - 1]].rule->id) < 0;
		     k--) {
			size_t t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	for (size_t i = 0; i < n_order; i++) {
		const struct pgs_fix *f = diags->items[order[i]].fix;
		bool clash = false;
		for (size_t k = 0; k < i && !clash; k++) {
			if (!applied[order[k]])
				continue;
			const struct pgs_fix *g = diags->items[order[k]].fix;
			for (size_t a = 0; a < f->n_edits && !clash; a++)
				for (size_t b = 0; b < g->n_edits && !clash; b++)
					clash = overlaps(f->edits[a].span, g->edits[b].span);
		}
		if (!clash) {
			applied[order[i]] = true;
			n_edits += f->n_edits;
			(*n_applied)++;
		}
	}
	free(order);
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
