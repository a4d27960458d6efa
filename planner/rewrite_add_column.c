/*
 * ALTER TABLE t ADD COLUMN c type ..., alone, on an existing table.
 *
 * DEFAULT volatile() [NOT NULL] (PostgreSQL 11+; before 11 every default
 * rewrites and the same plan applies to any default):
 *   1. ADD COLUMN c type; SET DEFAULT (new rows)
 *   2. backfill existing rows in batches, each its own transaction
 *   3-5. only for NOT NULL: the NOT NULL sequence (planner/not_null.c):
 *        CHECK (c IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL, DROP the
 *        check (18+: the NOT NULL constraint NOT VALID, VALIDATE)
 *
 * The NOT VALID constraint comes after the backfill: it still applies to
 * every row written, so before the backfill every update of a row not yet
 * filled would fail (old code does not write c).
 *
 * NOT NULL without a default (fails on a table with rows):
 *   1. ADD COLUMN c type, nullable
 *   2. checkpoint: the application writes c and fills existing rows
 *   3-5. the NOT NULL sequence
 */
#include <string.h>

#include "core/pgdata/pgdata.h"
#include "core/quote.h"
#include "lint/rule.h"
#include "core/volatility.h"
#include "planner/backfill.h"
#include "planner/build.h"
#include "planner/deparse.h"
#include "planner/guard.h"
#include "planner/plan.h"

/* ADD COLUMN as written minus its DEFAULT and NOT NULL: instant, no rewrite. */
static PgQuery__Node *bare_add_column(struct pgs_arena *a, const PgQuery__AlterTableCmd *cmd)
{
	PgQuery__ColumnDef *bare = pgs_arena_alloc(a, sizeof(*bare));
	PgQuery__Node *bare_node = pgs_arena_alloc(a, sizeof(*bare_node));

	*bare = *cmd->def->column_def;
	*bare_node = *cmd->def;
	bare->raw_default = NULL;
	bare->is_not_null = false;
	bare->n_constraints = 0;
	bare->constraints = NULL;
	bare_node->column_def = bare;
	return pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, NULL, bare_node);
}

/*
 * NOT NULL without a default on a table with rows fails: existing rows have
 * no value. Add the column nullable; at a checkpoint the application starts
 * writing it and fills the existing rows (only it knows their values); then
 * the NOT NULL sequence.
 */
static void plan_required_column(struct pgs_plan *plan, struct pgs_check *ctx,
				 PgQuery__RangeVar *rel, const char *table,
				 const PgQuery__AlterTableCmd *cmd)
{
	struct pgs_arena *a = &plan->arena;
	const char *col = cmd->def->column_def->colname;
	PgQuery__Node *add = bare_add_column(a, cmd);

	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"add %s nullable: the rows already in %s have no value "
					"for it, and NOT NULL would fail on them",
					pgs_quote_ident(a, col), table),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &add, 1));
	pgs_plan_marker(plan, pgs_guard_column_exists(a, pgs_guard_rel(a, rel), col));
	pgs_plan_stage(plan, PGS_STAGE_CHECKPOINT,
		       pgs_arena_printf(a,
					"deploy application code that writes %s on every insert "
					"and update, and fill it for the existing rows of %s: the "
					"next stages fail while a row has none",
					pgs_quote_ident(a, col), table),
		       NULL);
	pgs_plan_not_null_sequence(plan, ctx, rel, table, &col, 1,
				   pgs_arena_printf(a,
						    "require %s for new rows; existing rows are "
						    "checked in the next stage",
						    pgs_quote_ident(a, col)));
}

/* A column's constraints, sorted by how the plan adds them. */
struct column_constraints {
	PgQuery__Node *dflt;
	bool not_null;
	PgQuery__Node **keep; /* DEFAULT, NOT NULL, NULL: added with the column */
	size_t n_keep;
	PgQuery__Node **later; /* CHECK, REFERENCES: NOT VALID, then VALIDATE */
	size_t n_later;
	PgQuery__Node **keys; /* UNIQUE, PRIMARY KEY: an index built concurrently */
	size_t n_keys;
	bool primary;
	const PgQuery__Node *identity; /* GENERATED ... AS IDENTITY */
};

/* false: a constraint the plan can't split off (GENERATED, IDENTITY, ...) */
static bool sort_constraints(struct pgs_arena *a, const PgQuery__ColumnDef *def,
			     struct column_constraints *cc)
{
	size_t n = def->n_constraints ? def->n_constraints : 1;

	memset(cc, 0, sizeof(*cc));
	cc->dflt = def->raw_default;
	cc->not_null = def->is_not_null;
	cc->keep = pgs_arena_array(a, n + 1, sizeof(*cc->keep));
	cc->later = pgs_arena_array(a, n, sizeof(*cc->later));
	cc->keys = pgs_arena_array(a, n, sizeof(*cc->keys));
	for (size_t i = 0; i < def->n_constraints; i++) {
		PgQuery__Node *node = def->constraints[i];
		if (node->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			return false;
		const PgQuery__Constraint *c = node->constraint;
		switch (c->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			cc->dflt = c->raw_expr;
			cc->keep[cc->n_keep++] = node;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			cc->not_null = true;
			cc->keep[cc->n_keep++] = node;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
			cc->keep[cc->n_keep++] = node;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			cc->later[cc->n_later++] = node;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
			cc->primary |= c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
			cc->keys[cc->n_keys++] = node;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			cc->identity = node;
			break;
		default:
			return false;
		}
	}
	return true;
}

/* The ADD COLUMN action with only the constraints in keep[0..n). */
static PgQuery__AlterTableCmd *with_constraints(struct pgs_arena *a,
						const PgQuery__AlterTableCmd *cmd,
						PgQuery__Node **keep, size_t n)
{
	PgQuery__ColumnDef *def = pgs_arena_alloc(a, sizeof(*def));
	PgQuery__Node *def_node = pgs_arena_alloc(a, sizeof(*def_node));
	PgQuery__AlterTableCmd *out = pgs_arena_alloc(a, sizeof(*out));

	*def = *cmd->def->column_def;
	def->constraints = keep;
	def->n_constraints = n;
	*def_node = *cmd->def;
	def_node->column_def = def;
	*out = *cmd;
	out->def = def_node;
	return out;
}

/* A constraint node of type t (NOT NULL, ...), without options. */
static PgQuery__Node *bare_constraint(struct pgs_arena *a, PgQuery__ConstrType type)
{
	PgQuery__Node *node = pgs_build_node(a);
	PgQuery__Constraint *c = pgs_arena_alloc(a, sizeof(*c));
	PgQuery__Constraint init = PG_QUERY__CONSTRAINT__INIT;

	*c = init;
	c->contype = type;
	c->location = -1;
	node->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	node->constraint = c;
	return node;
}

/*
 * An inline CHECK / REFERENCES / UNIQUE / PRIMARY KEY of column col as the
 * table constraint ADD CONSTRAINT would add (its columns named), an ALTER
 * TABLE action.
 */
static PgQuery__Node *as_table_constraint(struct pgs_arena *a, const PgQuery__Node *node,
					  const char *col)
{
	PgQuery__Node *copy = pgs_build_node(a);
	PgQuery__Constraint *c = pgs_arena_alloc(a, sizeof(*c));
	PgQuery__Node **one = pgs_arena_array(a, 1, sizeof(*one));

	*c = *node->constraint;
	one[0] = pgs_build_string(a, col);
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
		c->fk_attrs = one;
		c->n_fk_attrs = 1;
	} else if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
		c->keys = one;
		c->n_keys = 1;
	}
	copy->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	copy->constraint = c;
	return pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL, copy);
}

/* ALTER TABLE rel with the inline constraints nodes[0..n) of col as table constraints. */
static PgQuery__AlterTableStmt *constraints_stmt(struct pgs_arena *a, PgQuery__RangeVar *rel,
						 PgQuery__Node **nodes, size_t n,
						 const char *col)
{
	PgQuery__Node **cmds = pgs_arena_array(a, n, sizeof(*cmds));

	for (size_t i = 0; i < n; i++)
		cmds[i] = as_table_constraint(a, nodes[i], col);
	return pgs_build_alter_table(a, rel, cmds, n)->alter_table_stmt;
}

/*
 * The column itself (cmd: with DEFAULT and NOT NULL only): true when it
 * needs stages of its own (a default every row must get, NOT NULL nothing
 * fills), false when adding it as written is instant.
 */
static bool plan_column(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			const char *table, struct pgs_table *t, const char *relation,
			const PgQuery__AlterTableCmd *cmd, PgQuery__Node *dflt, bool not_null)
{
	struct pgs_arena *a = &plan->arena;
	struct pgs_column_add add = pgs_effects_add_column(pgs_check_model(ctx), a, t, cmd,
							   pgs_check_pg_version(ctx));
	if (!dflt) {
		if (!add.needs_value || add.rewrite || !not_null)
			return false;
		plan_required_column(plan, ctx, rel, table, cmd);
		return true;
	}
	if (!add.rewrite || (add.cause != PGS_CAUSE_VOLATILE_DEFAULT &&
			     add.cause != PGS_CAUSE_DEFAULT_BEFORE_11))
		return false;

	const char *col = cmd->def->column_def->colname;
	const char *expr = pgs_plan_expr_sql(plan, dflt);
	if (!expr)
		return true;

	/* 1: the column, empty; the default for new rows */
	PgQuery__Node *bare = bare_add_column(a, cmd);
	PgQuery__Node *set_default =
	    pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault, col, dflt);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"add %s without a default (instant), then give new rows "
					"the default",
					pgs_quote_ident(a, col)),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &bare, 1));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &set_default, 1));
	pgs_plan_marker(plan, pgs_guard_column_exists(a, pgs_guard_rel(a, rel), col));

	/* 2: existing rows, in batches; each row filled once (a volatile default
	 * must not be drawn again for a row that has its value) */
	const char *qcol = pgs_quote_ident(a, col);
	pgs_plan_fill(plan, ctx, t, relation, col, expr, pgs_arena_printf(a, "%s IS NULL", qcol));

	/* 3-5: NOT NULL without a scan under ACCESS EXCLUSIVE, once every row has a value */
	if (not_null)
		pgs_plan_not_null_sequence(
		    plan, ctx, rel, table, &col, 1,
		    pgs_arena_printf(a,
				     "require %s for new rows: every row has a value now; "
				     "existing rows are checked in the next stage",
				     qcol));
	return true;
}

/* The integer type a serial type stands for, or NULL when type is not a serial type. */
static const char *serial_integer(const char *type)
{
	static const char *const map[][2] = {
	    {"smallserial", "int2"}, {"serial2", "int2"}, {"serial", "int4"},
	    {"serial4", "int4"},     {"bigserial", "int8"}, {"serial8", "int8"},
	};

	for (size_t i = 0; type && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(type, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* A column that draws its values from a sequence: serial, or an identity column. */
struct sequence_column {
	const char *column;
	PgQuery__TypeName *type;       /* the column's (a serial's integer type) */
	const PgQuery__Node *identity; /* the GENERATED ... AS IDENTITY constraint, or NULL */
	PgQuery__RangeVar *sequence;   /* the sequence the plan creates */
	const char *sequence_sql;      /* its name as SQL */
};

/* The sequence the plan creates: serial's own, or a helper for an identity column. */
static void plan_sequence_create(struct pgs_plan *plan, struct pgs_check *ctx,
				 const struct sequence_column *sc)
{
	struct pgs_arena *a = &plan->arena;
	const PgQuery__Constraint *id = sc->identity ? sc->identity->constraint : NULL;
	size_t n_opts = id ? id->n_options : 0;
	PgQuery__Node **opts = pgs_arena_array(a, n_opts + 1, sizeof(*opts));
	PgQuery__CreateSeqStmt *cs = pgs_arena_alloc(a, sizeof(*cs));
	PgQuery__CreateSeqStmt init = PG_QUERY__CREATE_SEQ_STMT__INIT;
	PgQuery__Node *as = pgs_build_option(a, "as");
	PgQuery__Node *type = pgs_build_node(a);
	PgQuery__Node *node = pgs_build_node(a);
	size_t n = 0;

	/* AS the column's type, so minimum and maximum are the column's, as PostgreSQL does */
	type->node_case = PG_QUERY__NODE__NODE_TYPE_NAME;
	type->type_name = sc->type;
	as->def_elem->arg = type;
	opts[n++] = as;
	/* the identity's options (START, INCREMENT, ...), but its name: the helper has its own */
	for (size_t i = 0; i < n_opts; i++)
		if (id->options[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
		    strcmp(id->options[i]->def_elem->defname, "sequence_name") != 0)
			opts[n++] = id->options[i];
	*cs = init;
	cs->sequence = sc->sequence;
	cs->options = opts;
	cs->n_options = n;
	node->node_case = PG_QUERY__NODE__NODE_CREATE_SEQ_STMT;
	node->create_seq_stmt = cs;
	pgs_plan_node(plan, ctx, node);
}

/*
 * ADD COLUMN c serial / GENERATED ... AS IDENTITY on an existing table
 * numbers every row under ACCESS EXCLUSIVE (a rewrite). Planned as:
 *   1. the sequence, the column nullable, DEFAULT nextval(sequence) for new
 *      rows (serial: the sequence OWNED BY the column)
 *   2. existing rows numbered from the sequence in batches
 *   3-5. the NOT NULL sequence
 *   6. identity: the default dropped, ADD GENERATED ... AS IDENTITY, its
 *      sequence set past every value the helper gave, the helper dropped
 * The catalog ends as the original leaves it; existing rows are numbered in
 * batch order, not in the order of the table's pages.
 */
static void plan_sequence_column(struct pgs_plan *plan, struct pgs_check *ctx,
				 PgQuery__RangeVar *rel, const char *table, struct pgs_table *t,
				 const char *relation, const PgQuery__AlterTableCmd *cmd,
				 const struct sequence_column *sc)
{
	struct pgs_arena *a = &plan->arena;
	const char *col = sc->column, *qcol = pgs_quote_ident(a, col);
	const char *rel_sql = pgs_quote_relation(a, relation);
	const char *nextval = pgs_arena_printf(a, "nextval(%s::regclass)",
					       pgs_quote_literal(a, sc->sequence_sql));
	PgQuery__AlterTableCmd *typed = pgs_arena_alloc(a, sizeof(*typed));
	PgQuery__ColumnDef *def = pgs_arena_alloc(a, sizeof(*def));
	PgQuery__Node *def_node = pgs_build_node(a);

	*def = *cmd->def->column_def;
	def->type_name = sc->type;
	def_node->node_case = PG_QUERY__NODE__NODE_COLUMN_DEF;
	def_node->column_def = def;
	*typed = *cmd;
	typed->def = def_node;
	PgQuery__Node *add = bare_add_column(a, typed);

	pgs_plan_stage(
	    plan, PGS_STAGE_TRANSACTIONAL,
	    pgs_arena_printf(a,
			     "add %s nullable (instant) with its sequence; new rows get their "
			     "number from it",
			     qcol),
	    pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
	plan_sequence_create(plan, ctx, sc);
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &add, 1));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", rel_sql,
				       qcol, nextval));
	if (!sc->identity)
		pgs_plan_text(plan, ctx,
			      pgs_arena_printf(a, "ALTER SEQUENCE %s OWNED BY %s.%s",
					       sc->sequence_sql, rel_sql, qcol));
	pgs_plan_marker(plan, pgs_guard_column_exists(a, pgs_guard_rel(a, rel), col));

	pgs_plan_fill(plan, ctx, t, relation, col, nextval, pgs_arena_printf(a, "%s IS NULL", qcol));
	pgs_plan_not_null_sequence(plan, ctx, rel, table, &col, 1,
				   pgs_arena_printf(a,
						    "require %s for new rows: every row has a number "
						    "now; existing rows are checked in the next stage",
						    qcol));
	if (!sc->identity)
		return;

	PgQuery__Node *identity = pgs_build_alter_cmd(
	    a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity, col, pgs_build_copy(a, sc->identity));
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"make %s an identity column, numbering on from where the "
					"helper sequence stopped, and drop the helper: catalog "
					"changes only",
					qcol),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no scan", table));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", rel_sql,
				       qcol));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &identity, 1));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a, "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%s, %s), %s)",
				       pgs_quote_literal(a, rel_sql), pgs_quote_literal(a, col),
				       nextval));
	pgs_plan_text(plan, ctx, pgs_arena_printf(a, "DROP SEQUENCE %s", sc->sequence_sql));
	pgs_plan_marker(plan, pgs_guard_column_identity(a, pgs_guard_rel(a, rel), col));
}

bool pgs_rewrite_add_column(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__AlterTableCmd *cmd =
	    pgs_plan_column_action(ctx, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn);
	if (!cmd)
		return false;
	const PgQuery__Node *node = pgs_check_node(ctx);
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return false;

	struct pgs_arena *a = &plan->arena;
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	struct column_constraints cc;
	if (!sort_constraints(a, def, &cc))
		return false;
	PgQuery__RangeVar *rel = node->alter_table_stmt->relation;
	const char *table = pgs_check_relation_label(ctx, e->relation);
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), rel);
	const char *col = def->colname;
	bool split = cc.n_later || cc.n_keys;
	PgQuery__AlterTableStmt *later =
	    cc.n_later ? constraints_stmt(a, rel, cc.later, cc.n_later, col) : NULL;
	PgQuery__AlterTableStmt *keys =
	    cc.n_keys ? constraints_stmt(a, rel, cc.keys, cc.n_keys, col) : NULL;
	/* all or nothing: a key that can't be built concurrently keeps the statement
	 * whole (a note says why) */
	if (keys && !pgs_plan_keys(plan, ctx, keys, table, col, true))
		return false;

	/* a primary key makes the column NOT NULL: the column's stages do */
	if (cc.primary && !cc.not_null) {
		cc.keep[cc.n_keep++] = bare_constraint(a, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL);
		cc.not_null = true;
	}
	const PgQuery__AlterTableCmd *column = with_constraints(a, cmd, cc.keep, cc.n_keep);
	const char *serial = serial_integer(pgs_type_name_last(def->type_name));
	bool planned;
	if (serial || cc.identity) {
		if (pgs_check_pg_version(ctx) < 12)
			return false; /* the NOT NULL would scan: no better than as written */
		struct sequence_column sc = {
		    .column = col,
		    .type = serial ? pgs_build_type_name(a, serial) : def->type_name,
		    .identity = cc.identity,
		};
		const char *seq = pgs_build_name(a, rel->relname, col,
						 cc.identity ? "pgstage_seq" : "seq");
		if (t && pgs_model_name_taken(pgs_check_model(ctx), t, seq)) {
			pgs_plan_note(plan, ctx,
				      "ADD COLUMN %s on %s stays as written: the sequence name %s "
				      "is taken",
				      pgs_quote_ident(a, col), table, pgs_quote_ident(a, seq));
			return false;
		}
		sc.sequence = pgs_build_range_var(a, rel->schemaname, seq);
		sc.sequence_sql = pgs_guard_sibling(a, rel, seq);
		plan_sequence_column(plan, ctx, rel, table, t, e->relation, column, &sc);
		planned = true;
	} else {
		planned = plan_column(plan, ctx, rel, table, t, e->relation, column, cc.dflt,
				      cc.not_null);
	}
	if (!split || plan->failed)
		return planned;
	if (!planned && pgs_effects_add_column(pgs_check_model(ctx), a, t, column,
					       pgs_check_pg_version(ctx))
			    .rewrite) {
		/* a column whose every row is checked or computed (a domain with a
		 * CHECK, GENERATED): splitting its constraints off gains nothing */
		pgs_plan_note(plan, ctx,
			      "ADD COLUMN %s on %s stays as written: adding the column rewrites "
			      "the table whatever its constraints",
			      pgs_quote_ident(a, col), table);
		return false;
	}
	if (!planned) {
		PgQuery__Node *add = pgs_build_node(a);
		add->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_CMD;
		add->alter_table_cmd = (PgQuery__AlterTableCmd *)column;
		pgs_plan_stage(
		    plan, PGS_STAGE_TRANSACTIONAL,
		    pgs_arena_printf(a,
				     "add %s without its constraints (instant): they follow in "
				     "stages of their own",
				     pgs_quote_ident(a, col)),
		    pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &add, 1));
		pgs_plan_marker(plan, pgs_guard_column_exists(a, pgs_guard_rel(a, rel), col));
	}
	/* each constraint by the recipe of its ADD CONSTRAINT form, under the name
	 * PostgreSQL gives the column constraint */
	if (later) /* always split: a column constraint can't be NOT VALID */
		pgs_plan_split_alter(plan, ctx, later, table);
	if (keys)
		pgs_plan_keys(plan, ctx, keys, table, col, false);
	return true;
}
