#include "planner/widen.h"

#include <string.h>

#include "core/quote.h"
#include "lint/rule.h"
#include "planner/build.h"
#include "planner/guard.h"

/* The name part of a "schema.name" key. */
static const char *bare_name(const char *key)
{
	const char *dot = strchr(key, '.');
	return dot ? dot + 1 : key;
}

/* A table as a relation reference, without the schema when it is public. */
static PgQuery__RangeVar *relation_of(struct pgs_arena *a, const struct pgs_table *t)
{
	return pgs_build_range_var(a, strcmp(t->schema, "public") == 0 ? NULL : t->schema,
				   t->name);
}

struct search {
	struct pgs_arena *a;
	const struct pgs_table *table;
	const char *column;
	struct pgs_widen *w;
	size_t cap_indexes, cap_fks, cap_checks;
	const char *why;
};

static void add_fk(struct search *s, const struct pgs_constraint *c, const struct pgs_table *t)
{
	struct pgs_widen_fk *fk = pgs_arena_push(s->a, (void **)&s->w->fks, &s->w->n_fks,
						  &s->cap_fks, sizeof(*fk));
	fk->c = c;
	fk->rel = relation_of(s->a, t);
	fk->table = pgs_quote_relation(s->a, t->key);
}

/* A foreign key the swap can drop and add back from what the model keeps. */
static bool plain_fk(const struct pgs_constraint *c)
{
	return c->n_columns == 1 && c->columns[0] && c->referenced &&
	       c->n_referenced_columns <= 1 && !c->key_options;
}

static void find_referencing(void *data, struct pgs_table *t)
{
	struct search *s = data;

	for (size_t i = 0; i < t->n_constraints && !s->why; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		int refs = pgs_foreign_key_references_column(c, s->table, s->column);
		if (refs < 0)
			s->why = pgs_arena_printf(s->a,
						  "foreign key %s references the table's primary "
						  "key, which the history does not show",
						  pgs_quote_ident(s->a, c->name));
		else if (refs && !plain_fk(c))
			s->why = pgs_arena_printf(s->a,
						  "foreign key %s references the column with more "
						  "than pgstage can rebuild",
						  pgs_quote_ident(s->a, c->name));
		else if (refs && t == s->table && strcmp(c->columns[0], s->column) == 0)
			s->why = "the column references itself";
		else if (refs)
			add_fk(s, c, t);
	}
}

/* An index that uses the column: a plain one on it alone is rebuilt, else why not. */
static void find_index(void *data, const char *key, void *value)
{
	struct search *s = data;
	const struct pgs_index *ix = value;
	bool uses = ix->unknown || ix->partial;

	(void)key;
	for (size_t i = 0; i < ix->n_columns; i++)
		uses |= !ix->columns[i] || strcmp(ix->columns[i], s->column) == 0;
	if (!uses || s->why)
		return;
	if (s->w->key && s->w->key->index && strcmp(s->w->key->index, ix->key) == 0)
		return; /* the key's own, listed first */
	bool plain = !ix->unknown && !ix->partial && ix->n_columns && !ix->custom_keys &&
		     !ix->has_include && !ix->has_options && ix->method &&
		     strcmp(ix->method, "btree") == 0;
	for (size_t i = 0; plain && i < ix->n_columns; i++)
		plain = ix->columns[i] != NULL;
	if (!plain) {
		s->why = pgs_arena_printf(s->a, "index %s uses the column in a way pgstage can't "
						"rebuild (an expression, WHERE, INCLUDE, an operator "
						"class or options)",
					  pgs_quote_ident(s->a, bare_name(ix->key)));
		return;
	}
	struct pgs_widen_index *wi = pgs_arena_push(s->a, (void **)&s->w->indexes,
						     &s->w->n_indexes, &s->cap_indexes, sizeof(*wi));
	wi->name = bare_name(ix->key);
	wi->tmp = pgs_build_name(s->a, wi->name, NULL, "pgstage_new");
	wi->unique = ix->unique;
	wi->columns = ix->columns;
	wi->n_columns = ix->n_columns;
}

const char *pgs_widen_find(struct pgs_arena *a, struct pgs_model *model, struct pgs_table *t,
			   const char *column, struct pgs_widen *w)
{
	struct search s = {.a = a, .table = t, .column = column, .w = w};

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < t->n_constraints && !s.why; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		bool uses = pgs_names_contain(c->columns, c->n_columns, column) ||
			    (c->kind == PGS_CON_CHECK && !c->n_columns);
		if (c->dropped || !uses)
			continue;
		if ((c->kind == PGS_CON_PRIMARY_KEY || c->kind == PGS_CON_UNIQUE) &&
		    c->n_columns && !c->key_options && !c->deferrable && c->index && !w->key) {
			w->key = c;
			struct pgs_widen_index *wi =
			    pgs_arena_push(a, (void **)&w->indexes, &w->n_indexes, &s.cap_indexes,
					   sizeof(*wi));
			wi->name = c->name;
			wi->tmp = pgs_build_name(a, c->name, NULL, "pgstage_new");
			wi->unique = true;
			wi->columns = c->columns;
			wi->n_columns = c->n_columns;
		} else if (c->kind == PGS_CON_FOREIGN_KEY && plain_fk(c)) {
			add_fk(&s, c, t);
		} else if (c->kind == PGS_CON_CHECK && c->n_columns) {
			const struct pgs_constraint **slot =
			    pgs_arena_push(a, (void **)&w->checks, &w->n_checks, &s.cap_checks,
					   sizeof(*slot));
			*slot = c;
		} else if (c->kind == PGS_CON_CHECK) {
			continue; /* reads no column: the swap leaves it alone */
		} else {
			s.why = pgs_arena_printf(a, "constraint %s uses the column",
						 pgs_quote_ident(a, c->name));
		}
	}
	if (!s.why)
		pgs_model_each_index_of(model, t->key, find_index, &s);
	if (!s.why && w->key)
		pgs_model_each_referencing(model, t->key, find_referencing, &s);
	/* the key's index comes first: the swap attaches it */
	return s.why;
}

void pgs_widen_build(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
		     const char *table, const struct pgs_widen *w, const char *column,
		     const char *new_column)
{
	struct pgs_arena *a = &plan->arena;

	for (size_t i = 0; i < w->n_indexes; i++) {
		const struct pgs_widen_index *wi = &w->indexes[i];
		const char *keys = NULL;
		for (size_t k = 0; k < wi->n_columns; k++) {
			const char *key = pgs_quote_ident(
			    a, strcmp(wi->columns[k], column) == 0 ? new_column : wi->columns[k]);
			keys = keys ? pgs_arena_printf(a, "%s, %s", keys, key) : key;
		}
		pgs_plan_stage(
		    plan, PGS_STAGE_NON_TRANSACTIONAL,
		    pgs_arena_printf(a, "build %s's copy on %s without blocking writes",
				     pgs_quote_ident(a, wi->name), pgs_quote_ident(a, new_column)),
		    pgs_arena_printf(a,
				     "SHARE UPDATE EXCLUSIVE on %s during two scans: reads and "
				     "writes go on; a failed build leaves an INVALID index to drop "
				     "before retrying",
				     table));
		pgs_plan_text(plan, ctx,
			      pgs_arena_printf(a, "CREATE %sINDEX CONCURRENTLY %s ON %s (%s)",
					       wi->unique ? "UNIQUE " : "",
					       pgs_quote_ident(a, wi->tmp), pgs_guard_rel(a, rel), keys));
		pgs_plan_index_build(plan, pgs_guard_sibling(a, rel, wi->tmp), true);
	}
}

void pgs_widen_swap_lock(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			 const struct pgs_widen *w)
{
	struct pgs_arena *a = &plan->arena;
	const char *rel_sql = pgs_guard_rel(a, rel), *list = NULL;

	if (!w->n_fks)
		return;
	/*
	 * Every table a foreign key of the swap joins: dropping one locks both
	 * its tables. The other tables first: writers that insert into them lock
	 * the table they reference after their own.
	 */
	const char **seen = pgs_arena_alloc(a, sizeof(*seen) * (2 * w->n_fks + 1));
	size_t n_seen = 0;
	seen[n_seen++] = rel_sql;
	for (size_t i = 0; i < 2 * w->n_fks; i++) {
		const struct pgs_widen_fk *fk = &w->fks[i / 2];
		const char *t = i % 2 ? pgs_quote_relation(a, fk->c->referenced) : fk->table;
		bool known = false;
		for (size_t j = 0; j < n_seen && !known; j++)
			known = strcmp(seen[j], t) == 0;
		if (known)
			continue;
		seen[n_seen++] = t;
		list = list ? pgs_arena_printf(a, "%s, %s", list, t) : t;
	}
	list = list ? pgs_arena_printf(a, "%s, %s", list, rel_sql) : rel_sql;
	plan->stages[plan->n_stages - 1].locks = pgs_arena_printf(
	    a, "ACCESS EXCLUSIVE on %s, all taken at once or none, brief: no rewrite, no scan", list);
	/*
	 * All at once or none (NOWAIT), polled until lock_timeout: a swap that
	 * waited for one table while holding another could close a deadlock with
	 * a writer, and the deadlock detector may pick the writer. Not queued, it
	 * also never holds up writers while it waits.
	 */
	pgs_plan_text(
	    plan, ctx,
	    pgs_plan_do(
	    a,
	    ""
		"DECLARE\n"
		"  deadline timestamptz := clock_timestamp() + coalesce(nullif(current_setting("
		"'lock_timeout'), '0')::interval, interval '100 years');\n"
		"BEGIN\n"
		"  LOOP\n"
		"    BEGIN\n"
		"      LOCK TABLE %s IN ACCESS EXCLUSIVE MODE NOWAIT;\n"
		"      RETURN;\n"
		"    EXCEPTION WHEN lock_not_available THEN\n"
		"      IF clock_timestamp() > deadline THEN\n"
		"        RAISE lock_not_available USING MESSAGE = %s;\n"
		"      END IF;\n"
		"      PERFORM pg_sleep(0.01);\n"
		"    END;\n"
		"  END LOOP;\n"
		"END\n",
		list,
		pgs_quote_literal(a, pgs_arena_printf(a,
						      "pgstage: could not lock %s within "
						      "lock_timeout: run again",
						      list))));
}

void pgs_widen_swap_drop(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			 const struct pgs_widen *w, const char *column)
{
	struct pgs_arena *a = &plan->arena;

	/* what the catalog says of them while the column still has its name, which
	 * the new column takes: DROP COLUMN drops them with the old one */
	if (w->n_checks) {
		const char *rel_sql = pgs_guard_rel(a, rel);
		pgs_plan_text(
		    plan, ctx,
		    pgs_plan_do(
	    a,
	    ""
			"BEGIN\n"
			"  PERFORM pg_catalog.set_config('pgstage.checks', coalesce(json_agg(json_build_array("
			"c.conname, regexp_replace(pg_catalog.pg_get_constraintdef(c.oid), ' NOT VALID$', "
			"'')))::text, '[]'), true)\n"
			"    FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_attribute a ON a.attrelid = "
			"c.conrelid AND a.attnum = ANY (c.conkey)\n"
			"    WHERE c.conrelid = %s::regclass AND c.contype = 'c' AND a.attname = %s;\n"
			"END\n",
			pgs_quote_literal(a, rel_sql), pgs_quote_literal(a, column)));
	}

	/* those to the column hold on to its key's index: DROP COLUMN would fail */
	for (size_t i = 0; i < w->n_fks; i++)
		pgs_plan_text(plan, ctx,
			      pgs_arena_printf(a, "ALTER TABLE %s DROP CONSTRAINT %s", w->fks[i].table,
					       pgs_quote_ident(a, w->fks[i].c->name)));
}

/* FOREIGN KEY (col) REFERENCES ref [(col)] with c's actions, NOT VALID. */
static PgQuery__Node *foreign_key(struct pgs_arena *a, struct pgs_model *model,
				  const struct pgs_constraint *c)
{
	PgQuery__Constraint *k = pgs_arena_alloc(a, sizeof(*k));
	PgQuery__Constraint init = PG_QUERY__CONSTRAINT__INIT;
	PgQuery__Node *node = pgs_build_node(a);
	struct pgs_table *ref = pgs_strmap_get(&model->tables, c->referenced);
	const char *dot = strchr(c->referenced, '.');
	const char *schema = dot ? pgs_arena_strndup(a, c->referenced, (size_t)(dot - c->referenced))
				 : NULL;

	*k = init;
	k->contype = PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
	k->conname = (char *)c->name;
	k->location = -1;
	k->fk_attrs = pgs_arena_array(a, 1, sizeof(*k->fk_attrs));
	k->fk_attrs[0] = pgs_build_string(a, c->columns[0]);
	k->n_fk_attrs = 1;
	k->pktable = ref ? relation_of(a, ref)
			 : pgs_build_range_var(a, schema && strcmp(schema, "public") != 0 ? schema
											 : NULL,
					       bare_name(c->referenced));
	if (c->n_referenced_columns) {
		k->pk_attrs = pgs_arena_array(a, 1, sizeof(*k->pk_attrs));
		k->pk_attrs[0] = pgs_build_string(a, c->referenced_columns[0]);
		k->n_pk_attrs = 1;
	}
	k->fk_matchtype = pgs_arena_printf(a, "%c", c->match_type ? c->match_type : 's');
	k->fk_upd_action = pgs_arena_printf(a, "%c", c->update_action ? c->update_action : 'a');
	k->fk_del_action = pgs_arena_printf(a, "%c", c->delete_action ? c->delete_action : 'a');
	k->deferrable = c->deferrable;
	k->initdeferred = c->initially_deferred;
	k->skip_validation = true;
	node->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	node->constraint = k;
	return node;
}

void pgs_widen_swap_add(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			const struct pgs_widen *w)
{
	struct pgs_arena *a = &plan->arena;
	const char *rel_sql = pgs_guard_rel(a, rel);

	for (size_t i = 0; i < w->n_indexes; i++) {
		const struct pgs_widen_index *wi = &w->indexes[i];
		if (i == 0 && w->key)
			pgs_plan_text(
			    plan, ctx,
			    pgs_arena_printf(a, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s",
					     rel_sql, pgs_quote_ident(a, w->key->name),
					     w->key->kind == PGS_CON_PRIMARY_KEY ? "PRIMARY KEY"
										 : "UNIQUE",
					     pgs_quote_ident(a, wi->tmp)));
		else
			pgs_plan_text(plan, ctx,
				      pgs_arena_printf(a, "ALTER INDEX %s RENAME TO %s",
						       pgs_guard_sibling(a, rel, wi->tmp),
						       pgs_quote_ident(a, wi->name)));
	}
	for (size_t i = 0; i < w->n_fks; i++) {
		PgQuery__Node *add =
		    pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL,
					foreign_key(a, pgs_check_model(ctx), w->fks[i].c));
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, w->fks[i].rel, &add, 1));
	}
	if (w->n_checks)
		pgs_plan_text(
		    plan, ctx,
		    pgs_plan_do(
	    a,
	    ""
			"DECLARE\n"
			"  c json;\n"
			"BEGIN\n"
			"  FOR c IN SELECT * FROM json_array_elements(current_setting('pgstage.checks')::json) "
			"LOOP\n"
			"    EXECUTE format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s NOT VALID', %s::regclass, "
			"c->>0, c->>1);\n"
			"  END LOOP;\n"
			"END\n",
			pgs_quote_literal(a, rel_sql)));
}

void pgs_widen_validate(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			const char *table, const struct pgs_widen *w, const char *swapped)
{
	for (size_t i = 0; i < w->n_fks; i++) {
		pgs_plan_validate(plan, ctx, w->fks[i].rel, w->fks[i].table, w->fks[i].c->name, true);
		/* the foreign key had this name, validated, before the plan: done once
		 * the swap is */
		struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];
		st->marker = pgs_guard_and(&plan->arena, swapped, st->marker);
	}
	for (size_t i = 0; i < w->n_checks; i++) {
		if (!w->checks[i]->validated)
			continue; /* NOT VALID before: NOT VALID after */
		pgs_plan_validate(plan, ctx, rel, table, w->checks[i]->name, false);
		struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];
		st->marker = pgs_guard_and(&plan->arena, swapped, st->marker);
	}
}
