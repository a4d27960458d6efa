#include "planner/backfill.h"

#include "core/quote.h"
#include "lint/rule.h"
#include "core/walk.h"
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

struct reads_assigned {
	PgQuery__Node **targets; /* the SET list's ResTargets */
	size_t n;
	const char *relname, *alias;
	const char *column; /* out: the assigned column read, or "*" for a whole row */
};

static bool assigned(const struct reads_assigned *r, const char *name)
{
	for (size_t i = 0; name && i < r->n; i++)
		if (r->targets[i]->node_case == PG_QUERY__NODE__NODE_RES_TARGET &&
		    r->targets[i]->res_target->name &&
		    strcmp(r->targets[i]->res_target->name, name) == 0)
			return true;
	return false;
}

static bool find_assigned_read(void *data, const PgQuery__Node *n)
{
	struct reads_assigned *r = data;

	if (r->column || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return !r->column;
	const PgQuery__ColumnRef *cr = n->column_ref;
	const PgQuery__Node *last = cr->n_fields ? cr->fields[cr->n_fields - 1] : NULL;
	const char *name = last ? pgs_node_string(last) : NULL;
	if (!name) /* t.* */
		r->column = "*";
	else if (assigned(r, name))
		r->column = name;
	else if (cr->n_fields == 1 &&
		 (strcmp(name, r->relname) == 0 || (r->alias && strcmp(name, r->alias) == 0)))
		r->column = "*"; /* the whole row, as a composite value */
	return false;
}

const char *pgs_backfill_update_reads_assigned(const PgQuery__UpdateStmt *us)
{
	struct reads_assigned r = {
	    us->target_list, us->n_target_list, us->relation ? us->relation->relname : "",
	    us->relation && us->relation->alias ? us->relation->alias->aliasname : NULL, NULL};

	for (size_t i = 0; i < us->n_target_list && !r.column; i++)
		pgs_walk(us->target_list[i], find_assigned_read, &r);
	return r.column;
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

/*
 * A batch, retried when it waits too long for a lock (the stage's
 * lock_timeout) or dies in a deadlock with the application: the batch
 * rolls back alone (an exception block is a subtransaction), then waits a
 * little longer each time. {where} is the batch's range.
 */
static const char retry_batch[] =
    "{indent}pgstage_tries := 0;\n"
    "{indent}LOOP\n"
    "{indent}  BEGIN\n"
    "{indent}    {body} WHERE {where}{pending};\n"
    "{indent}    EXIT;\n"
    "{indent}  EXCEPTION WHEN lock_not_available OR deadlock_detected THEN\n"
    "{indent}    pgstage_tries := pgstage_tries + 1;\n"
    "{indent}    IF pgstage_tries >= {tries} THEN\n"
    "{indent}      RAISE EXCEPTION 'pgstage: a batch of % gave up after % tries: %', "
    "{rel_literal}, pgstage_tries, SQLERRM\n"
    "{indent}        USING HINT = 'see what holds locks on the table (pg_locks), then run the "
    "plan again: the batches go on where they stopped';\n"
    "{indent}    END IF;\n"
    "{indent}    PERFORM pg_sleep(0.1 * pgstage_tries);\n"
    "{indent}  END;\n"
    "{indent}END LOOP;\n"
    "{indent}COMMIT;\n";

/*
 * Before each pass: done when no row is pending (a finished backfill run
 * again costs one scan); rows still pending after a pass (moved by the
 * application's updates to pages already passed, or missed otherwise) get
 * another pass, a bounded number of times.
 */
static const char next_pass[] =
    "    EXIT WHEN NOT EXISTS (SELECT FROM {from} WHERE {pending_expr});\n"
    "    IF pgstage_pass > {passes} THEN\n"
    "      RAISE EXCEPTION 'pgstage: rows of % are still not done after % passes', "
    "{rel_literal}, {passes}\n"
    "        USING HINT = 'something keeps writing rows the backfill must change; "
    "stop it, then run the plan again';\n"
    "    END IF;\n";

/* ORDER BY ... LIMIT 1 rather than min/max: uuid keys have no min() */
static const char by_key[] =
    "DECLARE\n"
    "  pgstage_lo {rel}.{pk}%TYPE;\n"
    "  pgstage_hi {rel}.{pk}%TYPE;\n"
    "  pgstage_last {rel}.{pk}%TYPE;\n"
    "  pgstage_pass int := 1;\n"
    "  pgstage_tries int;\n"
    "BEGIN\n"
    "  LOOP\n"
    "{next_pass}"
    "    -- one pass over the keys there are when it starts, {batch} rows a transaction\n"
    "    SELECT {pk} INTO pgstage_last FROM {rel} ORDER BY {pk} DESC LIMIT 1;\n"
    "    SELECT {pk} INTO pgstage_lo FROM {rel} ORDER BY {pk} LIMIT 1;\n"
    "    WHILE pgstage_lo <= pgstage_last LOOP\n"
    "      SELECT {pk} INTO pgstage_hi FROM (SELECT {pk} FROM {rel} WHERE {pk} >= "
    "pgstage_lo ORDER BY {pk} LIMIT {batch}) AS batch ORDER BY {pk} DESC LIMIT 1;\n"
    "{retry}"
    "      SELECT {pk} INTO pgstage_lo FROM {rel} WHERE {pk} > pgstage_hi ORDER BY {pk} "
    "LIMIT 1;\n"
    "    END LOOP;\n"
    "{after_pass}"
    "  END LOOP;\n"
    "END\n";

static const char by_pages[] =
    "DECLARE\n"
    "  pgstage_pages bigint;\n"
    "  pgstage_page bigint;\n"
    "  pgstage_pass int := 1;\n"
    "  pgstage_tries int;\n"
    "BEGIN\n"
    "  LOOP\n"
    "{next_pass}"
    "    -- one pass over the pages there are when it starts, {batch} pages a transaction\n"
    "    SELECT pg_relation_size({rel_literal}::regclass) / "
    "current_setting('block_size')::int INTO pgstage_pages;\n"
    "    pgstage_page := 0;\n"
    "    WHILE pgstage_page <= pgstage_pages LOOP\n"
    "{retry}"
    "      pgstage_page := pgstage_page + {batch};\n"
    "    END LOOP;\n"
    "{after_pass}"
    "  END LOOP;\n"
    "END\n";

const char *pgs_backfill_sql(struct pgs_arena *a, const struct pgs_backfill *b)
{
	const char *batch = pgs_arena_printf(a, "%zu", b->pk ? b->batch_rows : b->batch_pages);
	const char *names[] = {"rel",	       "pk",	      "body",	"pending",
			       "batch",	       "rel_literal", "tries",	"passes",
			       "pending_expr", "where",	      "indent", "from"};
	const char *values[] = {
	    b->rel,
	    b->pk ? b->pk : "",
	    b->body,
	    b->pending ? pgs_arena_printf(a, " AND %s", b->pending) : "",
	    batch,
	    pgs_quote_literal(a, b->rel),
	    "10",
	    "5",
	    b->pending ? b->pending : "true",
	    b->pk ? pgs_arena_printf(a, "%s >= pgstage_lo AND %s <= pgstage_hi", b->pk, b->pk)
		  : pgs_arena_printf(a,
				     "ctid >= format('(%%s,0)', pgstage_page)::tid AND ctid < "
				     "format('(%%s,0)', pgstage_page + %s)::tid",
				     batch),
	    "      ",
	    b->alias ? pgs_arena_printf(a, "%s AS %s", b->rel, b->alias) : b->rel,
	};
	/* the template whole first, then one round of values: the user's SQL in
	 * them is never read for placeholders */
	const char *outer_names[] = {"retry", "next_pass", "after_pass"};
	const char *outer_values[] = {retry_batch, b->pending ? next_pass : "",
				      b->pending ? "    pgstage_pass := pgstage_pass + 1;\n"
						 : "    EXIT; -- one pass\n"};
	const char *template = fill(a, b->pk ? by_key : by_pages, outer_names, outer_values, 3);
	const char *body = fill(a, template, names, values, sizeof(names) / sizeof(names[0]));

	return pgs_arena_printf(a, "DO %s", pgs_dollar_quote(a, body));
}

void pgs_plan_fill(struct pgs_plan *plan, struct pgs_check *ctx, struct pgs_table *t,
		   const char *relation, const char *column, const char *value, const char *pending)
{
	struct pgs_arena *a = &plan->arena;
	const char *pk = pgs_backfill_primary_key(t);
	const char *rel = pgs_quote_relation(a, relation);
	const char *col = pgs_quote_ident(a, column);
	struct pgs_backfill b =
		pgs_backfill_of(rel, pgs_arena_printf(a, "UPDATE %s SET %s = %s", rel, col, value),
				pk ? pgs_quote_ident(a, pk) : NULL, plan->opts.batch_size);

	b.pending = pending;

	pgs_plan_stage(
	    plan, PGS_STAGE_BACKFILL,
	    pk ? pgs_arena_printf(a,
				  "fill %s for existing rows, %zu rows per transaction by "
				  "primary key, then again over any row still without it",
				  col, b.batch_rows)
	       : pgs_arena_printf(a,
				  "fill %s for existing rows, %zu table pages per "
				  "transaction (no single-column primary key to go by), then "
				  "again over the rows still without it until none is left",
				  col, b.batch_pages),
	    pgs_arena_printf(a, "ROW EXCLUSIVE on %s: the rows of one batch at a time",
			     pgs_check_relation_label(ctx, relation)));
	pgs_backfill_add(plan, ctx, &b);
	if (!pk && (!t || t->partial))
		pgs_plan_note(
		    plan, ctx,
		    "the migration history does not show the primary key of %s (no CREATE "
		    "TABLE of it in the inputs or --context files): its backfill goes by "
		    "ranges of table pages, slower and with more passes under writes (pass "
		    "the table's schema with --context to have it go by primary key)",
		    pgs_check_relation_label(ctx, relation));
}

struct pgs_backfill pgs_backfill_of(const char *rel, const char *body, const char *pk,
				    size_t rows)
{
	return (struct pgs_backfill){
		.rel = rel,
		.body = body,
		.pk = pk,
		.batch_rows = rows,
		/* about 100 narrow rows fit in an 8 kB page */
		.batch_pages = rows / 100 ? rows / 100 : 1,
	};
}

void pgs_backfill_add(struct pgs_plan *plan, struct pgs_check *ctx, const struct pgs_backfill *b)
{
	struct pgs_backfill *copy = pgs_arena_alloc(&plan->arena, sizeof(*copy));

	/* the strings may be the statement's or the model's, gone after planning */
	*copy = *b;
	copy->rel = pgs_arena_strdup(&plan->arena, b->rel);
	copy->body = pgs_arena_strdup(&plan->arena, b->body);
	copy->alias = b->alias ? pgs_arena_strdup(&plan->arena, b->alias) : NULL;
	copy->pending = b->pending ? pgs_arena_strdup(&plan->arena, b->pending) : NULL;
	copy->pk = b->pk ? pgs_arena_strdup(&plan->arena, b->pk) : NULL;
	pgs_plan_sql(plan, ctx, pgs_backfill_sql(&plan->arena, b), false);
	plan->stages[plan->n_stages - 1].backfill = copy;
}
