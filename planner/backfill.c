#include "planner/backfill.h"

#include "lint/quote.h"
#include "lint/rule.h"
#include "planner/plan.h"

#include <string.h>

const char *pgs_backfill_primary_key(struct pgs_table *t)
{
	for (size_t i = 0; t && i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (!c->dropped && c->kind == PGS_CON_PRIMARY_KEY)
			return c->n_columns == 1 ? c->columns[0] : NULL;
	}
	return NULL;
}

/* template with {name} placeholders replaced by values[i] for names[i] */
static const char *fill(struct pgs_arena *a, const char *template, const char *const *names,
			const char *const *values, size_t n)
{
	size_t len = 0;
	char *out = NULL;

	for (int pass = 0; pass < 2; pass++) {
		size_t o = 0;
		for (const char *p = template; *p;) {
			size_t k = n;
			if (*p == '{')
				for (k = 0; k < n; k++)
					if (strncmp(p + 1, names[k], strlen(names[k])) == 0 &&
					    p[1 + strlen(names[k])] == '}')
						break;
			if (k < n) {
				size_t vl = strlen(values[k]);
				if (pass)
					memcpy(out + o, values[k], vl);
				o += vl;
				p += strlen(names[k]) + 2;
			} else {
				if (pass)
					out[o] = *p;
				o++;
				p++;
			}
		}
		if (!pass) {
			len = o;
			out = pgs_arena_alloc(a, len + 1);
		}
	}
	out[len] = '\0';
	return out;
}

/* s as the body of a string literal: quotes doubled */
static const char *literal_body(struct pgs_arena *a, const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 2 : 1;
	char *lit = pgs_arena_alloc(a, n + 1), *o = lit;
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			*o++ = '\'';
		*o++ = *p;
	}
	*o = '\0';
	return lit;
}

const char *pgs_backfill_sql(struct pgs_arena *a, const char *rel, const char *body,
			     const char *extra, const char *pk, size_t batch)
{
	/* ORDER BY ... LIMIT 1 rather than min/max: uuid keys have no min() */
	static const char by_key[] =
	    "DO $pgstage$\n"
	    "DECLARE\n"
	    "  pgstage_lo {rel}.{pk}%TYPE;\n"
	    "  pgstage_hi {rel}.{pk}%TYPE;\n"
	    "BEGIN\n"
	    "  SELECT {pk} INTO pgstage_lo FROM {rel} ORDER BY {pk} LIMIT 1;\n"
	    "  WHILE pgstage_lo IS NOT NULL LOOP\n"
	    "    SELECT {pk} INTO pgstage_hi FROM (SELECT {pk} FROM {rel} WHERE {pk} >= "
	    "pgstage_lo ORDER BY {pk} LIMIT {batch}) AS batch ORDER BY {pk} DESC LIMIT 1;\n"
	    "    {body} WHERE {pk} >= pgstage_lo AND {pk} <= pgstage_hi{extra};\n"
	    "    COMMIT;\n"
	    "    SELECT {pk} INTO pgstage_lo FROM {rel} WHERE {pk} > pgstage_hi ORDER BY {pk} "
	    "LIMIT 1;\n"
	    "  END LOOP;\n"
	    "END\n"
	    "$pgstage$";
	static const char by_pages[] =
	    "DO $pgstage$\n"
	    "DECLARE\n"
	    "  pgstage_pages bigint;\n"
	    "  pgstage_page bigint := 0;\n"
	    "BEGIN\n"
	    "  SELECT pg_relation_size('{rel_literal}'::regclass) / "
	    "current_setting('block_size')::int INTO pgstage_pages;\n"
	    "  WHILE pgstage_page <= pgstage_pages LOOP\n"
	    "    {body} WHERE ctid >= format('(%s,0)', pgstage_page)::tid AND ctid < "
	    "format('(%s,0)', pgstage_page + {batch})::tid{extra};\n"
	    "    COMMIT;\n"
	    "    pgstage_page := pgstage_page + {batch};\n"
	    "  END LOOP;\n"
	    "END\n"
	    "$pgstage$";
	const char *names[] = {"rel", "pk", "body", "extra", "batch", "rel_literal"};
	const char *values[] = {
	    rel,
	    pk ? pk : "",
	    body,
	    extra ? pgs_arena_printf(a, " AND %s", extra) : "",
	    pgs_arena_printf(a, "%zu", pk ? batch : (batch / 100 ? batch / 100 : 1)),
	    literal_body(a, rel),
	};
	return fill(a, pk ? by_key : by_pages, names, values, 6);
}

void pgs_plan_fill(struct pgs_plan *plan, struct pgs_check *ctx, struct pgs_table *t,
		   const char *relation, const char *column, const char *value)
{
	struct pgs_arena *a = &plan->arena;
	const char *pk = pgs_backfill_primary_key(t);
	const char *rel = pgs_quote_relation(a, relation);
	const char *col = pgs_quote_ident(a, column);

	pgs_plan_stage(plan, PGS_STAGE_BACKFILL,
		       pgs_arena_printf(a, "fill %s for existing rows, %zu rows per transaction%s",
					col, plan->opts.batch_size,
					pk ? ", by primary key" : ", by ranges of table pages"),
		       pgs_arena_printf(a, "ROW EXCLUSIVE on %s: the rows of one batch at a time",
					pgs_check_relation_label(ctx, relation)));
	pgs_plan_sql(plan, ctx,
		     pgs_backfill_sql(a, rel,
				      pgs_arena_printf(a, "UPDATE %s SET %s = %s", rel, col, value),
				      pgs_arena_printf(a, "%s IS NULL", col),
				      pk ? pgs_quote_ident(a, pk) : NULL, plan->opts.batch_size),
		     false);
}
