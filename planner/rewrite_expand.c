/*
 * Expand/contract of one column: a new column replaces it, kept in step by
 * a trigger while both exist, filled for existing rows in batches, and after
 * a checkpoint (deploy the code that uses the new one) the old column goes
 * in one brief transaction. Two statements are planned this way:
 *
 *   ALTER COLUMN c TYPE new [USING expr] that rewrites: the new column
 *   c_pgstage_new holds expr; the trigger copies one way (c -> new); at the
 *   end it takes c's name.
 *
 *   RENAME COLUMN c TO d: the new column d holds c's values; the trigger
 *   copies both ways (old code writes c, new code writes d); at the end c
 *   goes.
 *
 * Stages: 1. ADD the new column, the trigger, CHECK (new IS NOT NULL) NOT
 * VALID if c is NOT NULL (18+: the NOT NULL constraint NOT VALID); 2.
 * backfill; 3. VALIDATE; 4. checkpoint; 5. drop the trigger, [swap the
 * names,] drop the old column, SET NOT NULL (proven by the check on 12+) and
 * drop the check (18+: the constraint takes the old one's name).
 *
 * A rename swaps only plain columns: no default, not in an index or
 * constraint, that no foreign key references. A type change also takes what
 * planner/widen.c rebuilds on the new column (plain btree indexes, a
 * PRIMARY KEY or UNIQUE, one-column foreign keys from and to the column,
 * CHECKs) and moves the default and the sequences it owns, or its identity,
 * at the swap. Otherwise, and on tables
 * with children, the statement stays as written with a note. The new column
 * comes last in the table, which a note says.
 */
#include <string.h>

#include "lint/columns.h"
#include "core/quote.h"
#include "lint/rule.h"
#include "core/walk.h"
#include "planner/backfill.h"
#include "planner/build.h"
#include "planner/deparse.h"
#include "planner/guard.h"
#include "planner/plan.h"
#include "planner/widen.h"

struct uses {
	const char *column;
	bool found;
};

static void index_uses(void *data, const char *key, void *value)
{
	struct uses *u = data;
	const struct pgs_index *ix = value;

	(void)key;
	for (size_t i = 0; i < ix->n_columns; i++)
		u->found |= !ix->columns[i] || strcmp(ix->columns[i], u->column) == 0;
	u->found |= ix->partial || ix->unknown; /* known by name only: may use it */
}

struct referencing {
	const struct pgs_table *table;
	const char *column;
	const char *by; /* a foreign key that references the column (or may) */
};

static void fk_uses(void *data, struct pgs_table *t)
{
	struct referencing *r = data;

	for (size_t i = 0; i < t->n_constraints && !r->by; i++)
		if (pgs_foreign_key_references_column(&t->constraints[i], r->table, r->column))
			r->by = t->constraints[i].name;
}

/*
 * Why no column of the table can be swapped for a new one, or NULL; an
 * identity column can when its type changes (widened: the identity moves).
 */
static const char *not_swappable(struct pgs_table *t, const char *column, bool type_change)
{
	struct pgs_column *col = t ? pgs_table_column(t, column) : NULL;

	if (!t || t->partial || !col)
		return "the migration history does not show the table's columns";
	if (t->kind != 'r' || t->has_children)
		return "the table is partitioned or has inheritance children";
	if (col->generates == 's')
		return "it is a generated column";
	if (col->generates == 'i' && !type_change)
		return "it is an identity column";
	return NULL;
}

/* Why the column can't be renamed by a swap (nothing else may use it), or NULL. */
static const char *not_plain(struct pgs_arena *a, struct pgs_model *model, struct pgs_table *t,
			     const char *column)
{
	const char *why = not_swappable(t, column, false);
	if (why)
		return why;
	struct pgs_column *col = pgs_table_column(t, column);
	/* a foreign key of another table that references other columns is
	 * untouched by the swap */
	struct referencing r = {t, column, NULL};
	pgs_model_each_referencing(model, t->key, fk_uses, &r);
	if (r.by)
		return pgs_arena_printf(a, "foreign key %s references the column", r.by);
	if (col->has_default)
		return "the column has a default";
	for (size_t i = 0; i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (!c->dropped && (pgs_names_contain(c->columns, c->n_columns, column) ||
				    (c->kind == PGS_CON_CHECK && !c->n_columns)))
			return pgs_arena_printf(a, "constraint %s uses the column", c->name);
	}
	struct uses u = {column, false};
	pgs_model_each_index_of(model, t->key, index_uses, &u);
	if (u.found)
		return "an index uses the column";
	return NULL;
}

/* ColumnRef c -> NEW.c: the trigger reads the row being written. */
static bool qualify_with_new(void *data, const PgQuery__Node *n)
{
	struct pgs_arena *a = data;

	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return true;
	PgQuery__ColumnRef *cr = n->column_ref;
	if (cr->n_fields != 1 || cr->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	PgQuery__Node **fields = pgs_arena_array(a, 2, sizeof(*fields));
	fields[0] = pgs_build_string(a, "new");
	fields[1] = cr->fields[0];
	cr->fields = fields;
	cr->n_fields = 2;
	return false;
}

/* Whether every column reference in the expression is a bare column name. */
static bool bare_refs(void *data, const PgQuery__Node *n)
{
	bool *ok = data;

	if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
		*ok &= n->column_ref->n_fields == 1;
		return false;
	}
	/* a sub-select could read other tables or name columns of its own */
	*ok &= n->node_case != PG_QUERY__NODE__NODE_SUB_LINK;
	return true;
}

/* One column's expand/contract. */
struct expand {
	PgQuery__RangeVar *rel;
	const char *relation; /* the table's key */
	struct pgs_table *table;
	const char *column;	 /* the column replaced */
	const char *new_column;	 /* the column replacing it */
	PgQuery__TypeName *type; /* of the new column */
	PgQuery__CollateClause *collate;
	PgQuery__Node *value; /* the new column's value, from the row's own columns */
	bool two_way;	      /* writes to the new column flow back (a rename) */
	bool swap;	      /* the new column takes the old one's name at the end */
	const char *deploy;   /* what the checkpoint waits for */
	const char *swapped;  /* SQL true once the contract ran (NULL: can't tell) */
	/* a type change: what depends on the column, rebuilt on the new one; and
	 * whether its default (and the sequences it owns) move to the new one */
	const struct pgs_widen *widen;
	bool move_default;
	bool move_identity; /* an identity column: its identity moves, numbering on */
};

/*
 * An identity column's identity, at the swap: before the old column goes,
 * its kind, sequence name and options and position are kept in
 * transaction-local settings and the identity is dropped (its sequence
 * with it, so the name is free again); once the new column (with the old
 * name) is NOT NULL, it gets the same identity, numbering on. A minimum or
 * maximum that is the old type's bound is left to the new type's, as ALTER
 * COLUMN TYPE does.
 */
static const char *identity_keep_sql(struct pgs_arena *a, const char *rel_sql, const char *old_col)
{
	return pgs_plan_do(
	    a,
	    ""
	    "DECLARE\n"
	    "  rel regclass := %s;\n"
	    "  seq regclass := pg_catalog.pg_get_serial_sequence(%s, %s)::regclass;\n"
	    "  s record;\n"
	    "  v bigint;\n"
	    "  called boolean;\n"
	    "BEGIN\n"
	    "  SELECT p.*, a.attidentity,\n"
	    "         CASE p.seqtypid WHEN 'int2'::regtype THEN -32768 WHEN 'int4'::regtype THEN "
	    "-2147483648 ELSE -9223372036854775808 END AS type_min,\n"
	    "         CASE p.seqtypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN "
	    "2147483647 ELSE 9223372036854775807 END AS type_max\n"
	    "    INTO s FROM pg_catalog.pg_sequence p, pg_catalog.pg_attribute a\n"
	    "    WHERE p.seqrelid = seq AND a.attrelid = rel AND a.attname = %s;\n"
	    "  EXECUTE format('SELECT last_value, is_called FROM %%s', seq) INTO v, called;\n"
	    "  PERFORM pg_catalog.set_config('pgstage.identity', format('GENERATED %%s AS IDENTITY "
	    "(SEQUENCE NAME %%s INCREMENT BY %%s%%s%%s START WITH %%s CACHE %%s%%s)', CASE "
	    "s.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END, seq, s.seqincrement, CASE WHEN s.seqmin = s.type_min THEN '' "
	    "ELSE ' MINVALUE ' || s.seqmin END, CASE WHEN s.seqmax = s.type_max THEN '' ELSE ' "
	    "MAXVALUE ' || s.seqmax END, s.seqstart, s.seqcache, CASE WHEN s.seqcycle THEN ' CYCLE' "
	    "ELSE '' END), true);\n"
	    "  PERFORM pg_catalog.set_config('pgstage.identity_value', v::text, true);\n"
	    "  PERFORM pg_catalog.set_config('pgstage.identity_called', called::text, true);\n"
	    "  EXECUTE format('ALTER TABLE %%s ALTER COLUMN %%I DROP IDENTITY', rel, %s);\n"
	    "END\n",
	    pgs_quote_literal(a, rel_sql), pgs_quote_literal(a, rel_sql),
	    pgs_quote_literal(a, old_col), pgs_quote_literal(a, old_col),
	    pgs_quote_literal(a, old_col));
}

static const char *identity_restore_sql(struct pgs_arena *a, const char *rel_sql, const char *col)
{
	return pgs_plan_do(
	    a,
	    ""
	    "BEGIN\n"
	    "  EXECUTE format('ALTER TABLE %%s ALTER COLUMN %%I ADD %%s', %s::regclass, %s, "
	    "current_setting('pgstage.identity'));\n"
	    "  PERFORM pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%s, %s), "
	    "current_setting('pgstage.identity_value')::bigint, "
	    "current_setting('pgstage.identity_called')::boolean);\n"
	    "END\n",
	    pgs_quote_literal(a, rel_sql), pgs_quote_literal(a, col), pgs_quote_literal(a, rel_sql),
	    pgs_quote_literal(a, col));
}

/*
 * At the swap, after the renames: the old column's default, and ownership of
 * the sequences it owns (serial), go to the new column, which has the old
 * name now. Read from the catalog: the history does not keep the default.
 */
static const char *move_default_sql(struct pgs_arena *a, const char *rel_sql, const char *old_col,
				    const char *col)
{
	return pgs_plan_do(
	    a,
	    ""
	    "DECLARE\n"
	    "  rel regclass := %s;\n"
	    "  old int2;\n"
	    "  expr text;\n"
	    "  seq regclass;\n"
	    "BEGIN\n"
	    "  SELECT attnum INTO old FROM pg_catalog.pg_attribute WHERE attrelid = rel AND attname "
	    "= %s;\n"
	    "  SELECT pg_catalog.pg_get_expr(adbin, adrelid) INTO expr FROM pg_catalog.pg_attrdef "
	    "WHERE adrelid = rel AND adnum = old;\n"
	    "  IF expr IS NOT NULL THEN\n"
	    "    EXECUTE format('ALTER TABLE %%s ALTER COLUMN %%I SET DEFAULT %%s', rel, %s, expr);\n"
	    "  END IF;\n"
	    "  FOR seq IN SELECT objid::regclass FROM pg_catalog.pg_depend WHERE classid = "
	    "'pg_catalog.pg_class'::regclass AND refclassid = 'pg_catalog.pg_class'::regclass AND "
	    "refobjid = rel AND refobjsubid = old AND deptype = 'a' LOOP\n"
	    "    EXECUTE format('ALTER SEQUENCE %%s OWNED BY %%s.%%I', seq, rel, %s);\n"
	    "  END LOOP;\n"
	    "END\n",
	    pgs_quote_literal(a, rel_sql), pgs_quote_literal(a, old_col), pgs_quote_literal(a, col),
	    pgs_quote_literal(a, col));
}

/* The trigger function's body: keep the new column in step with the old one. */
static const char *sync_body(struct pgs_arena *a, const struct expand *x, const char *value)
{
	const char *col = pgs_quote_ident(a, x->column), *nc = pgs_quote_ident(a, x->new_column);

	if (!x->two_way)
		return pgs_arena_printf(a, "BEGIN\n  NEW.%s := %s;\n  RETURN NEW;\nEND\n", nc,
					value);
	/* old code writes col, new code writes nc: whichever changed wins */
	return pgs_arena_printf(
	    a,
	    "BEGIN\n"
	    "  IF TG_OP = 'INSERT' THEN\n"
	    "    IF NEW.%s IS NULL THEN NEW.%s := NEW.%s; ELSE NEW.%s := NEW.%s; "
	    "END IF;\n"
	    "  ELSIF NEW.%s IS DISTINCT FROM OLD.%s THEN\n"
	    "    NEW.%s := NEW.%s;\n"
	    "  ELSE\n"
	    "    NEW.%s := NEW.%s;\n"
	    "  END IF;\n"
	    "  RETURN NEW;\n"
	    "END\n",
	    nc, nc, col, col, nc, nc, nc, col, nc, nc, col);
}

/* ADD COLUMN of the new column: nullable, no default (instant, unless its type rewrites). */
static PgQuery__Node *add_new_column(struct pgs_arena *a, const struct expand *x)
{
	PgQuery__Node *nd_node = pgs_build_node(a);
	PgQuery__ColumnDef *nd = pgs_arena_alloc(a, sizeof(*nd));
	PgQuery__ColumnDef nd_init = PG_QUERY__COLUMN_DEF__INIT;

	*nd = nd_init;
	nd->colname = (char *)x->new_column;
	nd->type_name = x->type;
	nd->coll_clause = x->collate;
	nd->is_local = true;
	nd->location = -1;
	nd_node->node_case = PG_QUERY__NODE__NODE_COLUMN_DEF;
	nd_node->column_def = nd;
	return pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, NULL, nd_node);
}

/*
 * Why adding the new column would rewrite the table (a domain with a CHECK
 * checks every row), or NULL: then expand/contract gains nothing.
 */
static const char *add_rewrites(struct pgs_arena *a, struct pgs_check *ctx, const struct expand *x)
{
	PgQuery__Node *add = add_new_column(a, x);
	struct pgs_column_add r = pgs_effects_add_column(pgs_check_model(ctx), a, x->table,
							 add->alter_table_cmd,
							 pgs_check_pg_version(ctx));
	return r.rewrite ? "adding a column of the new type rewrites the table too (a domain "
			   "with a CHECK)"
			 : NULL;
}

static void plan_expand(struct pgs_plan *plan, struct pgs_check *ctx, const struct expand *x)
{
	struct pgs_arena *a = &plan->arena;
	PgQuery__RangeVar *rel = x->rel;
	const char *table = pgs_check_relation_label(ctx, x->relation);
	const char *col = x->column, *new_col = x->new_column;
	bool not_null = pgs_table_column(x->table, col)->not_null;
	const char *old_col = pgs_build_name(a, col, NULL, "pgstage_old");
	const char *sync = pgs_build_name(a, rel->relname, col, "pgstage_sync");
	/* 18+: the new column's own NOT NULL constraint, renamed at the end to the
	 * name the old column's has (which the original statement keeps) */
	bool native = pgs_plan_native_not_null(ctx);
	const char *check =
	    native ? pgs_build_name(a, rel->relname, new_col, "not_null")
		   : pgs_plan_not_null_name(plan, ctx, rel->relname, x->swap ? col : new_col);
	const char *schema = rel->schemaname && *rel->schemaname ? rel->schemaname : NULL;
	const char *sync_fn = schema ? pgs_arena_printf(a, "%s.%s", pgs_quote_ident(a, schema),
							pgs_quote_ident(a, sync))
				     : pgs_quote_ident(a, sync);
	const char *rel_sql = pgs_quote_relation(a, x->relation);

	const char *backfill_expr = pgs_plan_expr_sql(plan, x->value);
	PgQuery__Node *row_value = pgs_build_copy(a, x->value);
	pgs_walk(row_value, qualify_with_new, a);
	const char *trigger_expr = pgs_plan_expr_sql(plan, row_value);
	if (!backfill_expr || !trigger_expr)
		return;

	/* 1: the new column, kept in step by a trigger */
	PgQuery__Node *add = add_new_column(a, x);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"add %s, kept %s %s by a trigger on every insert and "
					"update",
					pgs_quote_ident(a, new_col),
					x->two_way ? "in step with" : "equal to",
					pgs_quote_ident(a, col)),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &add, 1));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a,
				       "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS %s",
				       sync_fn,
				       pgs_dollar_quote(a, sync_body(a, x, trigger_expr))));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a,
				       "CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH "
				       "ROW EXECUTE FUNCTION %s()",
				       pgs_quote_ident(a, sync), rel_sql, sync_fn));
	/* a NOT VALID check applies to rows written from now on: the trigger fills
	 * the new column in every one of them */
	if (not_null)
		pgs_plan_not_null_not_valid(plan, ctx, rel, &new_col, &check, 1);
	const char *rel_guard = pgs_guard_rel(a, rel);
	pgs_plan_marker(plan, pgs_guard_column_exists(a, rel_guard, new_col));

	/* 2: existing rows: those whose new column still lacks the value the old one gives */
	const char *qnew = pgs_quote_ident(a, new_col);
	pgs_plan_fill(plan, ctx, x->table, x->relation, new_col, backfill_expr,
		      pgs_arena_printf(a, "%s IS NULL AND (%s) IS NOT NULL", qnew, backfill_expr));

	/* 3: NOT NULL proven without a lock that blocks writes; the indexes of the
	 * new column built without one */
	if (not_null)
		pgs_plan_validate(plan, ctx, rel, table, check, false);
	if (x->widen)
		pgs_widen_build(plan, ctx, rel, table, x->widen, col, new_col);

	/* 4, 5: the contract, after the application has moved */
	pgs_plan_stage(plan, PGS_STAGE_CHECKPOINT, x->deploy, NULL);
	pgs_plan_stage(
	    plan, PGS_STAGE_TRANSACTIONAL,
	    x->swap ? pgs_arena_printf(a,
				       "swap %s in for %s and drop the old column: "
				       "catalog changes only",
				       qnew, pgs_quote_ident(a, col))
		    : pgs_arena_printf(a,
				       "drop the trigger and the old column %s: "
				       "catalog changes only",
				       pgs_quote_ident(a, col)),
	    pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite, no scan", table));
	if (x->widen)
		pgs_widen_swap_lock(plan, ctx, rel, x->widen);
	pgs_plan_text(
	    plan, ctx,
	    pgs_arena_printf(a, "DROP TRIGGER %s ON %s", pgs_quote_ident(a, sync), rel_sql));
	pgs_plan_text(plan, ctx, pgs_arena_printf(a, "DROP FUNCTION %s()", sync_fn));
	if (x->widen)
		pgs_widen_swap_drop(plan, ctx, rel, x->widen, col);
	const char *final = new_col, *drop = col;
	if (x->swap) {
		pgs_plan_text(plan, ctx,
			      pgs_arena_printf(a, "ALTER TABLE %s RENAME COLUMN %s TO %s", rel_sql,
					       pgs_quote_ident(a, col),
					       pgs_quote_ident(a, old_col)));
		pgs_plan_text(plan, ctx,
			      pgs_arena_printf(a, "ALTER TABLE %s RENAME COLUMN %s TO %s", rel_sql,
					       qnew, pgs_quote_ident(a, col)));
		final = col;
		drop = old_col;
	}
	if (x->move_default)
		pgs_plan_text(plan, ctx, move_default_sql(a, rel_sql, old_col, col));
	if (x->move_identity)
		pgs_plan_text(plan, ctx, identity_keep_sql(a, rel_sql, old_col));
	/* the old column (and on 18+ its NOT NULL constraint) goes first: its
	 * constraint's name is free then */
	PgQuery__Node *drop_old =
	    pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn, drop, NULL);
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &drop_old, 1));
	const char *kept_name = pgs_build_name(a, rel->relname, col, "not_null");
	if (not_null && !native)
		pgs_plan_set_not_null_steps(plan, ctx, rel, table, &final, &check, 1);
	else if (not_null && strcmp(check, kept_name) != 0)
		pgs_plan_text(plan, ctx,
			      pgs_arena_printf(a, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
					       rel_sql, pgs_quote_ident(a, check),
					       pgs_quote_ident(a, kept_name)));
	if (x->move_identity) /* the new column is NOT NULL now, as an identity must be */
		pgs_plan_text(plan, ctx, identity_restore_sql(a, rel_sql, col));
	if (x->widen)
		pgs_widen_swap_add(plan, ctx, rel, x->widen);
	pgs_plan_marker(plan, x->swapped);
	if (x->widen)
		pgs_widen_validate(plan, ctx, rel, table, x->widen, x->swapped);
	/* what changes besides the schema: SELECT * and INSERT without a column
	 * list see the columns in another order */
	if (strcmp(x->table->columns[x->table->n_columns - 1].name, col) != 0)
		pgs_plan_note(plan, ctx,
			      "expand/contract moves column %s to the end of %s: SELECT * and "
			      "INSERT without a column list see the columns in a new order",
			      pgs_quote_ident(a, final), table);
}

/*
 * SQL true once the column has the new type: only then the swap ran. NULL
 * when the catalog can't tell the new type from the old one (the same type
 * with a typmod pgstage can't compute).
 */
static const char *has_new_type(struct pgs_arena *a, const PgQuery__RangeVar *rel,
				const struct pgs_column *old, PgQuery__TypeName *type)
{
	struct pgs_error err;
	PgQuery__TypeCast cast = PG_QUERY__TYPE_CAST__INIT;
	PgQuery__Node null_node = PG_QUERY__NODE__INIT, cast_node = PG_QUERY__NODE__INIT;
	PgQuery__AConst null_const = PG_QUERY__A__CONST__INIT;
	int typmod = pgs_guard_typmod(type);
	bool same_type = old && old->type && strcmp(old->type, pgs_type_name_last(type)) == 0;

	if (typmod == -2 && same_type)
		return NULL;
	/* the type as SQL: deparse SELECT NULL::type */
	null_const.isnull = true;
	null_const.location = -1;
	null_node.node_case = PG_QUERY__NODE__NODE_A_CONST;
	null_node.a_const = &null_const;
	cast.arg = &null_node;
	cast.type_name = type;
	cast.location = -1;
	cast_node.node_case = PG_QUERY__NODE__NODE_TYPE_CAST;
	cast_node.type_cast = &cast;
	const char *select = pgs_deparse(a, pgs_build_select(a, &cast_node), &err);
	if (!select || strncmp(select, "SELECT NULL::", 13) != 0)
		return NULL;
	const char *rel_sql = pgs_guard_rel(a, rel);
	return pgs_guard_and(
	    a, pgs_guard_column_type(a, rel_sql, old->name, select + 13, typmod),
	    pgs_guard_not(a, pgs_guard_column_exists(
				 a, rel_sql, pgs_build_name(a, old->name, NULL, "pgstage_new"))));
}

bool pgs_rewrite_column_type(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__AlterTableCmd *cmd =
	    pgs_plan_column_action(ctx, PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType);
	if (!cmd)
		return false;
	const PgQuery__Node *node = pgs_check_node(ctx);
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || !e->rewrite || pgs_check_created_in_this_file(ctx, e->relation))
		return false;

	struct pgs_arena *a = &plan->arena;
	struct pgs_model *model = pgs_check_model(ctx);
	PgQuery__RangeVar *rel = node->alter_table_stmt->relation;
	struct pgs_table *t = pgs_model_table(model, rel);
	const char *col = cmd->name;
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	struct pgs_widen *widen = pgs_arena_alloc(a, sizeof(*widen));
	const char *why = not_swappable(t, col, true);
	if (!why)
		why = pgs_widen_find(a, model, t, col, widen);
	const char *swapped =
	    why ? NULL : has_new_type(a, rel, pgs_table_column(t, col), def->type_name);
	if (!why && !swapped && (widen->n_indexes || widen->n_fks))
		why = "the catalog can't tell the new type from the old one, so a run again "
		      "could not tell the swap done";
	bool bare = true;
	if (!why && def->raw_default)
		pgs_walk(def->raw_default, bare_refs, &bare);
	if (!why && !bare)
		why = "its USING expression reads more than the row's own columns";
	if (!why) {
		struct expand probe = {.table = t, .new_column = col, .type = def->type_name};
		why = add_rewrites(a, ctx, &probe);
	}
	if (why) {
		pgs_plan_note(plan, ctx,
			      "the type change of %s.%s stays as written: no expand/contract plan "
			      "because %s",
			      pgs_check_relation_label(ctx, e->relation), pgs_quote_ident(a, col),
			      why);
		return false;
	}
	struct expand x = {
	    .rel = rel,
	    .relation = e->relation,
	    .table = t,
	    .column = col,
	    .new_column = pgs_build_name(a, col, NULL, "pgstage_new"),
	    .type = def->type_name,
	    .collate = def->coll_clause,
	    /* USING expr, or the column itself (an assignment cast, as ALTER TYPE does) */
	    .value = def->raw_default ? pgs_build_copy(a, def->raw_default)
				      : pgs_build_column_ref(a, col),
	    .swap = true,
	    .deploy = pgs_arena_printf(a,
				       "deploy application code that works with %s.%s as "
				       "the new type before the swap",
				       pgs_check_relation_label(ctx, e->relation),
				       pgs_quote_ident(a, col)),
	    .swapped = swapped,
	    .widen = widen,
	    .move_default = pgs_table_column(t, col)->has_default &&
			    pgs_table_column(t, col)->generates != 'i',
	    .move_identity = pgs_table_column(t, col)->generates == 'i',
	};
	plan_expand(plan, ctx, &x);
	/* ALTER COLUMN TYPE leaves a serial's sequence as it was: the plan too */
	const char *old_type = pgs_table_column(t, col)->type;
	const char *new_type = pgs_type_name_last(def->type_name);
	if (old_type && new_type && strcmp(new_type, "int8") == 0 &&
	    (strcmp(old_type, "serial") == 0 || strcmp(old_type, "serial4") == 0 ||
	     strcmp(old_type, "smallserial") == 0 || strcmp(old_type, "serial2") == 0))
		pgs_plan_note(plan, ctx,
			      "%s.%s is a serial: its sequence keeps its type, as ALTER COLUMN TYPE "
			      "leaves it, and nextval fails past the old type's maximum; ALTER "
			      "SEQUENCE %s AS bigint widens it (brief, no scan)",
			      pgs_check_relation_label(ctx, e->relation), pgs_quote_ident(a, col),
			      pgs_guard_sibling(a, rel, pgs_build_name(a, rel->relname, col, "seq")));
	return true;
}

/* The column's type as a type name, when it is a built-in one without a collation. */
static PgQuery__TypeName *builtin_type(struct pgs_arena *a, const struct pgs_column *c)
{
	if (!c->type || c->collation)
		return NULL;
	/* the name alone must denote a built-in type: a domain, enum or other type
	 * of that name may come first on the search path */
	PgQuery__TypeName probe = PG_QUERY__TYPE_NAME__INIT;
	PgQuery__Node *name = pgs_build_string(a, c->type);
	probe.names = &name;
	probe.n_names = 1;
	probe.typemod = -1;
	if (!pgs_builtin_type(&probe))
		return NULL;
	PgQuery__TypeName *tn = pgs_build_type_name(a, c->type);
	tn->n_typmods = (size_t)c->n_mods;
	tn->typmods = pgs_arena_array(a, c->n_mods ? (size_t)c->n_mods : 1, sizeof(*tn->typmods));
	for (int i = 0; i < c->n_mods; i++)
		tn->typmods[i] = pgs_build_int_const(a, c->mods[i]);
	if (c->is_array) {
		tn->n_array_bounds = 1;
		tn->array_bounds = pgs_arena_array(a, 1, sizeof(*tn->array_bounds));
		tn->array_bounds[0] = pgs_build_integer(a, -1);
	}
	return tn;
}

bool pgs_rewrite_rename_column(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_RENAME_STMT ||
	    node->rename_stmt->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN ||
	    node->rename_stmt->relation_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    !node->rename_stmt->relation)
		return false;
	const PgQuery__RenameStmt *rs = node->rename_stmt;
	struct pgs_arena *a = &plan->arena;
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = pgs_model_table(model, rs->relation);
	if (!t || pgs_check_created_in_this_file(ctx, t->key))
		return false;
	const char *why = not_plain(a, model, t, rs->subname);
	PgQuery__TypeName *type = why ? NULL : builtin_type(a, pgs_table_column(t, rs->subname));
	if (!why && !type)
		why = "its type is not a built-in one pgstage can name";
	if (why) {
		pgs_plan_note(plan, ctx,
			      "the rename of %s.%s has no expand/contract plan because %s: the "
			      "plan stops at a checkpoint before it instead",
			      pgs_check_relation_label(ctx, t->key),
			      pgs_quote_ident(a, rs->subname), why);
		return false; /* pgs_plan_checkpoint_before has put the checkpoint */
	}
	struct expand x = {
	    .rel = rs->relation,
	    .relation = t->key,
	    .table = t,
	    .column = rs->subname,
	    .new_column = rs->newname,
	    .type = type,
	    .value = pgs_build_column_ref(a, rs->subname),
	    .two_way = true,
	    .swapped = pgs_guard_and(
		a,
		pgs_guard_not(
		    a, pgs_guard_column_exists(a, pgs_guard_rel(a, rs->relation), rs->subname)),
		pgs_guard_column_exists(a, pgs_guard_rel(a, rs->relation), rs->newname)),
	    .deploy =
		pgs_arena_printf(a, "deploy application code that uses %s, not %s, of %s",
				 pgs_quote_ident(a, rs->newname), pgs_quote_ident(a, rs->subname),
				 pgs_check_relation_label(ctx, t->key)),
	};
	plan_expand(plan, ctx, &x);
	return true;
}
