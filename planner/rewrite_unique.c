/*
 * ALTER TABLE t ADD [CONSTRAINT n] UNIQUE | PRIMARY KEY (cols) on an existing
 * table builds the index under ACCESS EXCLUSIVE. Planned as:
 *
 *   1. the statement's other actions, if any (transactional)
 *   2. CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS n ON t (cols) ...
 *   3. PRIMARY KEY on nullable columns (12+): the NOT NULL sequence
 *      (planner/not_null.c)
 *   4. ALTER TABLE t ADD CONSTRAINT n UNIQUE | PRIMARY KEY USING INDEX n
 *
 * The user's own ADD PRIMARY KEY USING INDEX i gets step 3 for i's nullable
 * columns, then runs as written.
 *
 * The index gets the name the constraint will have (the given one, or
 * PostgreSQL's default), so USING INDEX renames nothing and the catalog ends
 * as the original statement leaves it. INCLUDE, WITH (...), USING INDEX
 * TABLESPACE and NULLS NOT DISTINCT go to the index; DEFERRABLE to step 4.
 */
#include <string.h>

#include "core/names.h"
#include "core/quote.h"
#include "lint/rule.h"
#include "planner/build.h"
#include "planner/guard.h"
#include "planner/plan.h"

static bool is_key_constraint(const PgQuery__Node *def)
{
	return def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
	       (def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY);
}

/* ADD [CONSTRAINT n] UNIQUE / PRIMARY KEY (cols), not yet USING INDEX. */
static const PgQuery__Constraint *added_key(const PgQuery__Node *cmd)
{
	if (cmd->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
		return NULL;
	const PgQuery__AlterTableCmd *c = cmd->alter_table_cmd;
	if (c->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint ||
	    !is_key_constraint(c->def) ||
	    (c->def->constraint->indexname && *c->def->constraint->indexname))
		return NULL;
	return c->def->constraint;
}

/* An action planner/rewrite_alter_table.c splits into steps of its own. */
static bool split_elsewhere(const PgQuery__AlterTableCmd *c)
{
	if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull)
		return true;
	if (c->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || !c->def ||
	    c->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
		return false;
	const PgQuery__Constraint *k = c->def->constraint;
	return !k->skip_validation && (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
				       k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK);
}

/* ADD COLUMN with a UNIQUE or PRIMARY KEY column constraint. */
static bool column_with_key(const PgQuery__AlterTableCmd *c)
{
	if (c->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || !c->def ||
	    c->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return false;
	for (size_t i = 0; i < c->def->column_def->n_constraints; i++)
		if (is_key_constraint(c->def->column_def->constraints[i]))
			return true;
	return false;
}

/*
 * PostgreSQL's name for the constraint and its index (ChooseIndexName), as
 * the model picks it. NULL when the statement's other actions may free or
 * take names first (the name needs a number), so the history can't tell
 * which one PostgreSQL picks.
 */
static const char *default_name(struct pgs_arena *a, struct pgs_model *model, struct pgs_table *t,
				const char *relname, const PgQuery__Constraint *c, bool alone)
{
	bool pk = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
	size_t n = c->n_keys + c->n_including;
	const char **cols = pgs_arena_array(a, n ? n : 1, sizeof(*cols));

	for (size_t i = 0; i < n; i++)
		cols[i] = pgs_node_string(i < c->n_keys ? c->keys[i] : c->including[i - c->n_keys]);
	const char *plain = pgs_build_name(
	    a, relname, pk ? NULL : pgs_index_name_addition(a, cols, n), pk ? "pkey" : "key");
	if (!t)
		return plain;
	const char *name = pgs_model_index_constraint_name(model, t, pk, cols, n);
	return alone || strcmp(name, plain) == 0 ? name : NULL;
}

/* Whether another action of the statement drops constraint name. */
static bool drops_constraint(const PgQuery__AlterTableStmt *as, const char *name)
{
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__Node *n = as->cmds[i];
		if (n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
		    n->alter_table_cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint &&
		    strcmp(n->alter_table_cmd->name, name) == 0)
			return true;
	}
	return false;
}

/* Columns of a primary key (names[0..n)) that may hold NULLs and have no proof they don't. */
static size_t nullable_columns(struct pgs_arena *a, struct pgs_table *t, const char *const *names,
			       size_t n_names, const char ***out)
{
	const char **cols = pgs_arena_array(a, n_names ? n_names : 1, sizeof(*cols));
	size_t n = 0;

	for (size_t i = 0; i < n_names; i++) {
		const char *name = names[i];
		struct pgs_column *col = t && name ? pgs_table_column(t, name) : NULL;
		/* a column the history doesn't know may be nullable: the sequence is
		 * harmless on a NOT NULL one */
		if (!name || (col && col->not_null) ||
		    (t && pgs_table_has_valid_not_null_check(t, name)))
			continue;
		cols[n++] = name;
	}
	*out = cols;
	return n;
}

/* The same for the key of c, but for column not_null (NOT NULL already; may be NULL). */
static size_t nullable_key_columns(struct pgs_arena *a, struct pgs_table *t,
				   const PgQuery__Constraint *c, const char *not_null,
				   const char ***out)
{
	const char **names = pgs_arena_array(a, c->n_keys ? c->n_keys : 1, sizeof(*names));
	size_t n = 0;

	for (size_t i = 0; i < c->n_keys; i++) {
		const char *name = pgs_node_string(c->keys[i]);
		if (!not_null || !name || strcmp(name, not_null) != 0)
			names[n++] = name;
	}
	return nullable_columns(a, t, names, n, out);
}

/* Steps 3: the NOT NULL sequence for a primary key's nullable columns (12+). */
static void plan_not_null(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			  const char *table, const char **cols, size_t n)
{
	pgs_plan_not_null_sequence(plan, ctx, rel, table, cols, n,
				   "the primary key's columns must be NOT NULL: NOT VALID first, "
				   "so the check of existing rows moves to the next stage");
}

/* Why the statement stays as written, or NULL when it can be planned. */
static const char *obstacle(const PgQuery__AlterTableStmt *as, const struct pgs_table *t)
{
	if (t && t->kind == 'p')
		return "CREATE INDEX CONCURRENTLY is not supported on a partitioned table "
		       "(build the index on each partition, then CREATE INDEX ON ONLY and "
		       "ATTACH PARTITION)";
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__Node *n = as->cmds[i];
		if (n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			return "pgstage can't read one of its actions";
		if (!added_key(n) && split_elsewhere(n->alter_table_cmd))
			return "give it an ALTER TABLE of its own, apart from the actions that are "
			       "split into NOT VALID and VALIDATE";
	}
	return NULL;
}

/* ADD [CONSTRAINT n] PRIMARY KEY USING INDEX i: the index, or NULL. */
static const PgQuery__Constraint *pk_using_index(const PgQuery__Node *cmd)
{
	if (cmd->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
		return NULL;
	const PgQuery__AlterTableCmd *c = cmd->alter_table_cmd;
	if (c->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || !c->def ||
	    c->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT ||
	    c->def->constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
	    !c->def->constraint->indexname || !*c->def->constraint->indexname)
		return NULL;
	return c->def->constraint;
}

/*
 * ADD PRIMARY KEY USING INDEX i makes i's columns NOT NULL, which scans the
 * table under ACCESS EXCLUSIVE for each nullable one: the NOT NULL sequence
 * first (12+), then the statement as written, which finds them NOT NULL.
 */
static bool plan_pk_using_index(struct pgs_plan *plan, struct pgs_check *ctx,
				const PgQuery__AlterTableStmt *as, const char *table)
{
	const PgQuery__Constraint *c = as->n_cmds == 1 ? pk_using_index(as->cmds[0]) : NULL;
	struct pgs_arena *a = &plan->arena;
	struct pgs_model *model = pgs_check_model(ctx);

	if (!c || pgs_check_pg_version(ctx) < 12)
		return false; /* judged by its effects: a note says it still scans */
	struct pgs_table *t = pgs_model_table(model, as->relation);
	const char *schema = t ? t->schema
			       : as->relation->schemaname && *as->relation->schemaname
				     ? as->relation->schemaname
				     : "public";
	struct pgs_index *ix =
	    pgs_model_index(model, pgs_arena_printf(a, "%s.%s", schema, c->indexname));
	bool known = ix && !ix->unknown && ix->n_columns;
	for (size_t i = 0; known && i < ix->n_columns; i++)
		known = ix->columns[i] != NULL;
	if (!known) {
		pgs_plan_note(plan, ctx,
			      "ADD PRIMARY KEY USING INDEX %s stays as written: the migration "
			      "history does not show the index's columns, so pgstage can't make "
			      "them NOT NULL first",
			      pgs_quote_ident(a, c->indexname));
		return false;
	}
	const char **cols;
	size_t n = nullable_columns(a, t, ix->columns, ix->n_columns, &cols);
	if (!n)
		return false; /* no scan: fine as written */
	plan_not_null(plan, ctx, as->relation, table, cols, n);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       "the primary key on the index, as written: its columns are NOT NULL now",
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no scan", table));
	pgs_plan_node(plan, ctx, pgs_check_node(ctx));
	pgs_plan_mark_kept(plan, ctx);
	return true;
}

static bool plan_keys(struct pgs_plan *plan, struct pgs_check *ctx,
		      const PgQuery__AlterTableStmt *as, const char *table, size_t n_keys,
		      bool rewrite, const char *not_null, bool check_only);

bool pgs_rewrite_unique(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as)
		return false;
	const char *table = pgs_check_relation_label(ctx, e->relation);
	size_t n_keys = 0;
	for (size_t i = 0; i < as->n_cmds; i++) {
		n_keys += added_key(as->cmds[i]) != NULL;
		/* alone, pgs_rewrite_add_column plans it */
		if (as->n_cmds > 1 &&
		    as->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
		    column_with_key(as->cmds[i]->alter_table_cmd))
			pgs_plan_note(
			    plan, ctx,
			    "ADD COLUMN ... UNIQUE / PRIMARY KEY on %s stays as written: give it "
			    "an ALTER TABLE of its own to have its index built concurrently",
			    table);
	}
	if (!n_keys)
		return plan_pk_using_index(plan, ctx, as, table);
	return plan_keys(plan, ctx, as, table, n_keys, e->rewrite, NULL, false);
}

bool pgs_plan_keys(struct pgs_plan *plan, struct pgs_check *ctx, const PgQuery__AlterTableStmt *as,
		   const char *table, const char *not_null, bool check_only)
{
	return plan_keys(plan, ctx, as, table, as->n_cmds, false, not_null, check_only);
}

/*
 * The n_keys UNIQUE / PRIMARY KEY actions of as, and its other actions
 * first (rewrite: those rewrite the table); not_null: see pgs_plan_keys.
 */
static bool plan_keys(struct pgs_plan *plan, struct pgs_check *ctx,
		      const PgQuery__AlterTableStmt *as, const char *table, size_t n_keys,
		      bool rewrite, const char *not_null, bool check_only)
{
	struct pgs_arena *a = &plan->arena;
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = pgs_model_table(model, as->relation);
	const char *why_not = obstacle(as, t);
	bool alone = n_keys == as->n_cmds;
	const char **names = pgs_arena_array(a, n_keys, sizeof(*names));
	const PgQuery__Constraint **keys = pgs_arena_array(a, n_keys, sizeof(*keys));
	PgQuery__Node **others = pgs_arena_array(a, as->n_cmds, sizeof(*others));
	size_t k = 0, n_others = 0;

	for (size_t i = 0; i < as->n_cmds && !why_not; i++) {
		const PgQuery__Constraint *c = added_key(as->cmds[i]);
		if (!c) {
			others[n_others++] = as->cmds[i];
			continue;
		}
		const char *name = c->conname && *c->conname
				       ? c->conname
				       : default_name(a, model, t, as->relation->relname, c, alone);
		if (!name)
			why_not = "PostgreSQL's name for the constraint depends on what the other "
				  "actions drop: name the constraint";
		else if (t && pgs_model_name_taken(model, t, name) && !drops_constraint(as, name))
			why_not = pgs_arena_printf(a, "the name %s is taken already",
						   pgs_quote_ident(a, name));
		for (size_t j = 0; name && j < k; j++)
			if (strcmp(names[j], name) == 0)
				why_not = "two constraints would get the same name";
		names[k] = name;
		keys[k++] = c;
	}
	if (why_not) {
		pgs_plan_note(plan, ctx, "ADD UNIQUE / PRIMARY KEY on %s stays as written: %s",
			      table, why_not);
		return false;
	}
	if (check_only)
		return true;

	if (n_others) {
		/* the constraint rewrites nothing: a rewrite is the other actions' */
		if (rewrite)
			pgs_plan_note(
			    plan, ctx,
			    "the other actions of the statement stay as written and still "
			    "rewrite %s under ACCESS EXCLUSIVE",
			    table);
		pgs_plan_stage(
		    plan, PGS_STAGE_TRANSACTIONAL,
		    "the statement's other actions, before the constraint's index is built",
		    pgs_arena_printf(a,
				     "ACCESS EXCLUSIVE on %s at most, for those actions "
				     "only",
				     table));
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, as->relation, others, n_others));
		pgs_plan_mark_kept(plan, ctx);
	}
	for (size_t i = 0; i < n_keys; i++) {
		pgs_plan_stage(
		    plan, PGS_STAGE_NON_TRANSACTIONAL,
		    pgs_arena_printf(a,
				     "build the index of %s without blocking writes (ADD %s builds "
				     "it under ACCESS EXCLUSIVE on %s)",
				     pgs_quote_ident(a, names[i]),
				     keys[i]->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY
					 ? "PRIMARY KEY"
					 : "UNIQUE",
				     table),
		    pgs_arena_printf(a,
				     "SHARE UPDATE EXCLUSIVE on %s during two scans: reads and "
				     "writes go on; a failed build leaves an INVALID index to drop "
				     "before retrying",
				     table));
		pgs_plan_node(plan, ctx,
			      pgs_build_unique_index(a, names[i], as->relation, keys[i]));
		/* the constraint's name was free: so is the index's */
		pgs_plan_index_build(plan, pgs_guard_sibling(a, as->relation, names[i]), true);
	}

	bool pk_scan = false;
	for (size_t i = 0; i < n_keys; i++) {
		const char **cols;
		size_t n;
		if (keys[i]->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		    !(n = nullable_key_columns(a, t, keys[i], not_null, &cols)))
			continue;
		if (pgs_check_pg_version(ctx) >= 12) {
			plan_not_null(plan, ctx, as->relation, table, cols, n);
		} else {
			pk_scan = true;
			pgs_plan_note(
			    plan, ctx,
			    "before PostgreSQL 12 ADD PRIMARY KEY USING INDEX scans %s for "
			    "NULLs under ACCESS EXCLUSIVE (its columns may be nullable)",
			    table);
		}
	}

	PgQuery__Node **attach = pgs_arena_array(a, n_keys, sizeof(*attach));
	for (size_t i = 0; i < n_keys; i++)
		attach[i] = pgs_build_add_using_index(a, names[i], names[i], keys[i]);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       "make the built index the constraint (USING INDEX): no build",
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief%s", table,
					pk_scan ? " but for the scan for NULLs" : ": no scan"));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, as->relation, attach, n_keys));
	pgs_plan_marker(plan,
			pgs_guard_constraint_exists(a, pgs_guard_rel(a, as->relation), names[0]));
	if (pk_scan) /* the scan PostgreSQL 11 can't skip, said in the note above */
		pgs_plan_mark_kept(plan, ctx);
	return true;
}
