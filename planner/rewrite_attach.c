/*
 * ALTER TABLE parent ATTACH PARTITION part FOR VALUES ... scans part under
 * ACCESS EXCLUSIVE to prove its rows fit the bound, and the parent's DEFAULT
 * partition to prove none of its rows belong in part, unless validated
 * CHECK constraints already prove it. Planned as:
 *
 *   1. CHECK (<the bound>) NOT VALID on part, CHECK (NOT (<the bound>)) NOT
 *      VALID on the DEFAULT partition (brief)
 *   2. VALIDATE each (SHARE UPDATE EXCLUSIVE: reads and writes go on)
 *   3. ATTACH as written, which skips both scans; the helper CHECKs dropped
 *
 * Written for a one-column RANGE or LIST key whose bound values are
 * constants: the CHECK is the constraint PostgreSQL derives from the bound,
 * which it then finds implied. Other keys stay as written with a note.
 */
#include <string.h>

#include "core/quote.h"
#include "lint/rule.h"
#include "planner/build.h"
#include "planner/guard.h"
#include "planner/plan.h"

/* A bound value: a constant, or a constant cast to a type. */
static bool constant(const PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && n->type_cast->arg)
		n = n->type_cast->arg;
	return n->node_case == PG_QUERY__NODE__NODE_A_CONST;
}

/* MINVALUE / MAXVALUE of a range bound. */
static bool unbounded(const PgQuery__Node *n)
{
	const char *word = n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
				   n->column_ref->n_fields == 1
			       ? pgs_node_string(n->column_ref->fields[0])
			       : NULL;
	return word && (strcmp(word, "minvalue") == 0 || strcmp(word, "maxvalue") == 0);
}

/*
 * The partition constraint PostgreSQL derives from the bound, as SQL on
 * column col; NULL when the bound is not one this plan writes a CHECK for.
 */
static const char *bound_sql(struct pgs_plan *plan, const char *col,
			     const PgQuery__PartitionBoundSpec *b)
{
	struct pgs_arena *a = &plan->arena;
	const char *qcol = pgs_quote_ident(a, col);

	if (b->strategy && strcmp(b->strategy, "r") == 0 && b->n_lowerdatums == 1 &&
	    b->n_upperdatums == 1) {
		const char *sql = pgs_arena_printf(a, "%s IS NOT NULL", qcol);
		PgQuery__Node *lo = b->lowerdatums[0], *hi = b->upperdatums[0];
		if (!unbounded(lo)) {
			const char *v = constant(lo) ? pgs_plan_expr_sql(plan, lo) : NULL;
			if (!v)
				return NULL;
			sql = pgs_arena_printf(a, "%s AND %s >= %s", sql, qcol, v);
		}
		if (!unbounded(hi)) {
			const char *v = constant(hi) ? pgs_plan_expr_sql(plan, hi) : NULL;
			if (!v)
				return NULL;
			sql = pgs_arena_printf(a, "%s AND %s < %s", sql, qcol, v);
		}
		return sql;
	}
	if (!b->strategy || strcmp(b->strategy, "l") != 0 || !b->n_listdatums)
		return NULL;
	const char *values = NULL;
	bool null = false;
	for (size_t i = 0; i < b->n_listdatums; i++) {
		PgQuery__Node *d = b->listdatums[i];
		if (d->node_case == PG_QUERY__NODE__NODE_A_CONST && d->a_const->isnull) {
			null = true;
			continue;
		}
		const char *v = constant(d) ? pgs_plan_expr_sql(plan, d) : NULL;
		if (!v)
			return NULL;
		values = values ? pgs_arena_printf(a, "%s, %s", values, v) : v;
	}
	if (!values)
		return pgs_arena_printf(a, "%s IS NULL", qcol);
	if (null)
		return pgs_arena_printf(a, "%s IS NULL OR %s IN (%s)", qcol, qcol, values);
	return pgs_arena_printf(a, "%s IS NOT NULL AND %s IN (%s)", qcol, qcol, values);
}

/* The scan of relation the statement does, unless it is new or spared already. */
static bool scans(struct pgs_check *ctx, const char *relation)
{
	const struct pgs_effect *e = relation ? pgs_effects_find(pgs_check_effects(ctx), relation)
					      : NULL;
	return e && e->scan && !e->assumed && !pgs_check_created_in_this_file(ctx, relation);
}

/* ALTER TABLE rel ADD CONSTRAINT name CHECK (sql) NOT VALID */
static void add_check(struct pgs_plan *plan, struct pgs_check *ctx, const char *rel,
		      const char *name, const char *sql)
{
	struct pgs_arena *a = &plan->arena;

	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s) NOT VALID",
				       rel, pgs_quote_ident(a, name), sql));
}

bool pgs_rewrite_attach_partition(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as || as->n_cmds != 1 ||
	    as->cmds[0]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
	    as->cmds[0]->alter_table_cmd->subtype !=
		PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition ||
	    !as->cmds[0]->alter_table_cmd->def ||
	    as->cmds[0]->alter_table_cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD)
		return false;
	const PgQuery__PartitionCmd *pc = as->cmds[0]->alter_table_cmd->def->partition_cmd;
	struct pgs_arena *a = &plan->arena;
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *parent = pgs_model_table(model, as->relation);
	if (!pc->name || !pc->bound || pc->bound->is_default || !parent)
		return false;
	const char *part_key = pgs_model_key(model, pc->name);
	struct pgs_table *dflt = pgs_model_default_partition(model, parent->key);
	bool part_scan = scans(ctx, part_key);
	bool dflt_scan = dflt && scans(ctx, dflt->key);
	if (!part_scan && !dflt_scan)
		return false;

	const char *why = NULL, *bound = NULL;
	if (!parent->partition_column)
		why = parent->partition_strategy
			  ? "its partition key is not one plain column"
			  : "the migration history does not show the partition key";
	else if (parent->partition_strategy == 'h')
		why = "a CHECK can't state a hash partition's bound";
	else if (!(bound = bound_sql(plan, parent->partition_column, pc->bound)))
		why = "its bound is not made of constants";
	if (why) {
		if (!plan->failed)
			pgs_plan_note(plan, ctx,
				      "ATTACH PARTITION %s stays as written: no CHECK can spare "
				      "its scan because %s",
				      pgs_check_relation_label(ctx, part_key), why);
		return false;
	}

	const char *parent_label = pgs_check_relation_label(ctx, e->relation);
	const char *part_label = pgs_check_relation_label(ctx, part_key);
	const char *part_rel = pgs_quote_relation(a, part_key);
	const char *part_check = pgs_build_name(a, pc->name->relname, NULL, "pgstage_bound");
	const char *dflt_rel = dflt_scan ? pgs_quote_relation(a, dflt->key) : NULL;
	const char *dflt_check =
	    dflt_scan ? pgs_build_name(a, dflt->name, pc->name->relname, "pgstage_excluded") : NULL;
	PgQuery__RangeVar *part_rv = pgs_build_range_var(a, pc->name->schemaname, pc->name->relname);
	PgQuery__RangeVar *dflt_rv =
	    dflt_scan ? pgs_build_range_var(a, strcmp(dflt->schema, "public") == 0 ? NULL : dflt->schema,
					    dflt->name)
		      : NULL;

	pgs_plan_stage(
	    plan, PGS_STAGE_TRANSACTIONAL,
	    dflt_scan ? pgs_arena_printf(a,
					 "CHECKs that state the bound, NOT VALID: on %s its rows "
					 "fit it, on the DEFAULT partition %s none does (from here "
					 "on a row of the new partition's range can't go to the "
					 "DEFAULT partition: the ATTACH would fail on it)",
					 part_label, pgs_check_relation_label(ctx, dflt->key))
		      : pgs_arena_printf(a,
					 "a CHECK that states the bound on %s, NOT VALID: the scan "
					 "moves to the next stage",
					 part_label),
	    pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s%s%s, brief: no scan", part_label,
			     dflt_scan ? " and " : "",
			     dflt_scan ? pgs_check_relation_label(ctx, dflt->key) : ""));
	if (part_scan)
		add_check(plan, ctx, part_rel, part_check, bound);
	if (dflt_scan)
		add_check(plan, ctx, dflt_rel, dflt_check, pgs_arena_printf(a, "NOT (%s)", bound));
	pgs_plan_marker(plan, pgs_guard_constraint_exists(a, part_scan ? part_rel : dflt_rel,
							 part_scan ? part_check : dflt_check));
	if (part_scan)
		pgs_plan_validate(plan, ctx, part_rv, part_label, part_check, false);
	if (dflt_scan)
		pgs_plan_validate(plan, ctx, dflt_rv, pgs_check_relation_label(ctx, dflt->key),
				  dflt_check, false);

	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       "attach as written: the validated CHECKs spare its scans; then drop them",
		       pgs_arena_printf(a, "%s on %s, ACCESS EXCLUSIVE on %s%s%s, brief: no scan",
					pgs_lock_name(e->lock), parent_label, part_label,
					dflt ? " and " : "",
					dflt ? pgs_check_relation_label(ctx, dflt->key) : ""));
	pgs_plan_node(plan, ctx, pgs_check_node(ctx));
	pgs_plan_mark_kept(plan, ctx);
	struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];
	if (st->n_steps)
		st->steps[st->n_steps - 1].spared_scans = true;
	if (part_scan)
		pgs_plan_text(plan, ctx,
			      pgs_arena_printf(a, "ALTER TABLE %s DROP CONSTRAINT %s", part_rel,
					       pgs_quote_ident(a, part_check)));
	if (dflt_scan)
		pgs_plan_text(plan, ctx,
			      pgs_arena_printf(a, "ALTER TABLE %s DROP CONSTRAINT %s", dflt_rel,
					       pgs_quote_ident(a, dflt_check)));
	pgs_plan_marker(plan, pgs_guard_partition_of(a, part_rel, pgs_quote_relation(a, e->relation)));
	return true;
}
