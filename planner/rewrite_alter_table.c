/*
 * ALTER TABLE on an existing table: the actions that scan under a strong
 * lock are split so the scan runs under SHARE UPDATE EXCLUSIVE instead.
 *
 *   ADD FOREIGN KEY / CHECK   ->  ADD ... NOT VALID; then VALIDATE CONSTRAINT
 *   SET NOT NULL (12+)        ->  the NOT NULL sequence (planner/not_null.c):
 *                                 ADD CHECK (c IS NOT NULL) NOT VALID; VALIDATE;
 *                                 SET NOT NULL (no scan); DROP the check (18+:
 *                                 ADD ... NOT NULL c NOT VALID; VALIDATE)
 *
 * The other actions of the statement stay together in the first stage.
 */
#include <stdio.h>
#include <string.h>

#include "core/quote.h"
#include "lint/rule.h"
#include "core/walk.h"
#include "planner/build.h"
#include "planner/guard.h"
#include "planner/plan.h"

/* PostgreSQL's name for an unnamed foreign key (ChooseConstraintName). */
static const char *constraint_name(struct pgs_arena *a, const char *table,
				   const PgQuery__Constraint *c)
{
	if (c->conname && *c->conname)
		return c->conname;
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
		/* table_col1_col2_fkey */
		char cols[256] = "";
		for (size_t i = 0; i < c->n_fk_attrs; i++) {
			const char *col = pgs_node_string(c->fk_attrs[i]);
			size_t used = strlen(cols);
			snprintf(cols + used, sizeof(cols) - used, "%s%s", i ? "_" : "",
				 col ? col : "");
		}
		return pgs_build_name(a, table, cols[0] ? cols : NULL, "fkey");
	}
	return NULL; /* CHECK names depend on the expression: the caller names those */
}

/*
 * The column a CHECK expression reads, for its default name: PostgreSQL
 * names it table_column_check when the expression reads exactly one column,
 * table_check otherwise.
 */
struct only_column {
	const char *name;
	bool several;
};

static bool only_column(void *data, const PgQuery__Node *n)
{
	struct only_column *oc = data;

	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return true;
	const PgQuery__ColumnRef *cr = n->column_ref;
	const char *col = cr->n_fields ? pgs_node_string(cr->fields[cr->n_fields - 1]) : NULL;
	if (!col || (oc->name && strcmp(oc->name, col) != 0))
		oc->several = true;
	else
		oc->name = col;
	return false;
}

enum action { KEEP, NOT_VALID_THEN_VALIDATE, NOT_NULL_VIA_CHECK };

static enum action classify(struct pgs_check *ctx, const PgQuery__AlterTableCmd *cmd,
			    struct pgs_table *t)
{
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
	    cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
		const PgQuery__Constraint *c = cmd->def->constraint;
		if (!c->skip_validation && (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
					    c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK))
			return NOT_VALID_THEN_VALIDATE;
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull &&
	    pgs_check_pg_version(ctx) >= 12) {
		struct pgs_column *col = t ? pgs_table_column(t, cmd->name) : NULL;
		if (col && col->not_null)
			return KEEP;
		if (t && pgs_table_has_valid_not_null_check(t, cmd->name))
			return KEEP;
		return NOT_NULL_VIA_CHECK;
	}
	return KEEP;
}

void pgs_plan_validate(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
		       const char *table, const char *name, bool fk)
{
	struct pgs_arena *a = &plan->arena;
	PgQuery__Node *cmd =
	    pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint, name, NULL);

	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"validate %s: scans the table without blocking reads or "
					"writes",
					pgs_quote_ident(a, name)),
		       pgs_arena_printf(a, "SHARE UPDATE EXCLUSIVE on %s during the scan%s", table,
					fk ? " (ROW SHARE on a referenced table)" : ""));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &cmd, 1));
	struct pgs_plan_stage *st = &plan->stages[plan->n_stages - 1];
	st->statement_timeout = plan->opts.validate_timeout;
	st->marker = pgs_guard_constraint_valid(a, pgs_guard_rel(a, rel), name);
}

bool pgs_rewrite_alter_table(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return false;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return false;
	return pgs_plan_split_alter(plan, ctx, node->alter_table_stmt,
				    pgs_check_relation_label(ctx, e->relation));
}

bool pgs_plan_split_alter(struct pgs_plan *plan, struct pgs_check *ctx,
			  const PgQuery__AlterTableStmt *as, const char *table)
{
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), as->relation);
	struct pgs_arena *a = &plan->arena;
	size_t n = as->n_cmds;
	enum action *what = pgs_arena_array(a, n ? n : 1, sizeof(*what));
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		what[i] = as->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD
			      ? classify(ctx, as->cmds[i]->alter_table_cmd, t)
			      : KEEP;
		any |= what[i] != KEEP;
	}
	if (!any)
		return false;

	const char *relname = as->relation->relname;
	PgQuery__Node **first = pgs_arena_array(a, n, sizeof(*first));
	const char **validate = pgs_arena_array(a, n, sizeof(*validate));
	const char **not_null_cols = pgs_arena_array(a, n, sizeof(*not_null_cols));
	const char **not_null_checks = pgs_arena_array(a, n, sizeof(*not_null_checks));
	size_t n_first = 0, n_validate = 0, n_not_null = 0;
	bool fk = false;

	for (size_t i = 0; i < n; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;

		if (what[i] == KEEP) {
			first[n_first++] = as->cmds[i];
		} else if (what[i] == NOT_VALID_THEN_VALIDATE) {
			PgQuery__Constraint *c = pgs_arena_alloc(a, sizeof(*c));
			*c = *cmd->def->constraint;
			const char *name = constraint_name(a, relname, c);
			if (!name) {
				struct only_column oc = {NULL, false};
				pgs_walk(c->raw_expr, only_column, &oc);
				name = pgs_build_name(a, relname, oc.several ? NULL : oc.name,
						      "check");
			}
			c->conname = (char *)name;
			c->skip_validation = true;
			c->initially_valid = false;
			fk |= c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
			PgQuery__Node *def = pgs_arena_alloc(a, sizeof(*def));
			*def = *cmd->def;
			def->constraint = c;
			first[n_first++] = pgs_build_alter_cmd(
			    a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL, def);
			validate[n_validate++] = name;
		} else {
			const char *check = pgs_plan_not_null_name(plan, ctx, relname, cmd->name);
			/* 18+: a NOT NULL constraint, in a statement of its own (newer syntax) */
			if (!pgs_plan_native_not_null(ctx))
				first[n_first++] = pgs_build_alter_cmd(
				    a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL,
				    pgs_build_check(a, check, pgs_build_is_not_null(a, cmd->name),
						    true));
			validate[n_validate++] = check;
			not_null_cols[n_not_null] = cmd->name;
			not_null_checks[n_not_null++] = check;
		}
	}
	size_t n_kept = 0;
	for (size_t i = 0; i < n; i++)
		n_kept += what[i] == KEEP;

	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       "add the constraints NOT VALID: the check of existing rows moves to the "
		       "next stage",
		       pgs_arena_printf(a, "%s on %s%s, brief: no scan",
					fk ? "SHARE ROW EXCLUSIVE or stronger" : "ACCESS EXCLUSIVE",
					table, fk ? " and the referenced table" : ""));
	if (n_first) {
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, as->relation, first, n_first));
		if (n_kept) /* the user's other actions ride along as written */
			pgs_plan_mark_kept(plan, ctx);
	}
	if (n_not_null && pgs_plan_native_not_null(ctx))
		pgs_plan_not_null_not_valid(plan, ctx, as->relation, not_null_cols,
					    not_null_checks, n_not_null);
	pgs_plan_marker(
	    plan, pgs_guard_constraint_exists(a, pgs_guard_rel(a, as->relation), validate[0]));

	for (size_t i = 0; i < n_validate; i++)
		pgs_plan_validate(plan, ctx, as->relation, table, validate[i], fk);
	if (n_not_null)
		pgs_plan_set_not_null(plan, ctx, as->relation, table, not_null_cols,
				      not_null_checks, n_not_null);
	return true;
}
