#include <string.h>

#include "lint/columns.h"
#include "lint/rule.h"

/* Whether a list of String nodes is just column. */
static bool names_only(PgQuery__Node **names, size_t n, const char *column)
{
	const char *s = n == 1 ? pgs_node_string(names[0]) : NULL;

	return s && strcmp(s, column) == 0;
}

/* Whether the statement declares a PRIMARY KEY of just column outside its definition. */
static bool in_statement_primary_key(const PgQuery__Node *node, const char *column)
{
	PgQuery__Node **items = NULL;
	size_t n = 0;

	if (node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		items = node->create_stmt->table_elts;
		n = node->create_stmt->n_table_elts;
	} else if (node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) {
		items = node->alter_table_stmt->cmds;
		n = node->alter_table_stmt->n_cmds;
	}
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *item = items[i];
		if (item->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
			const PgQuery__AlterTableCmd *cmd = item->alter_table_cmd;
			if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint)
				continue;
			item = cmd->def;
		}
		if (!item || item->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		const PgQuery__Constraint *con = item->constraint;
		if (con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY &&
		    names_only(con->keys, con->n_keys, column))
			return true;
	}
	return false;
}

/* "primary key", "identity" or NULL: what makes the column a key in its definition. */
static const char *key_kind_of_def(const PgQuery__ColumnDef *def)
{
	const char *kind = NULL;

	for (size_t i = 0; def && i < def->n_constraints; i++) {
		const PgQuery__Node *n = def->constraints[i];
		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		if (n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
			return "primary key";
		if (n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY)
			kind = "identity";
	}
	return kind;
}

static bool model_primary_key_has(struct pgs_check *ctx, const PgQuery__RangeVar *rv,
				  const char *column)
{
	struct pgs_table *t = rv ? pgs_model_table(pgs_check_model(ctx), rv) : NULL;

	for (size_t i = 0; t && i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (!c->dropped && c->kind == PGS_CON_PRIMARY_KEY && c->n_columns == 1 &&
		    c->columns[0] && strcmp(c->columns[0], column) == 0)
			return true;
	}
	return false;
}

static void check_column(struct pgs_check *ctx, const struct pgs_coldef *c, void *data)
{
	static const struct {
		const char *type, *wider, *max;
		bool serial;
	} narrow[] = {
	    {"int4", "bigint", "2147483647", false},
	    {"int2", "bigint", "32767", false},
	    {"serial", "bigserial", "2147483647", true},
	    {"serial4", "bigserial", "2147483647", true},
	    {"smallserial", "bigserial", "32767", true},
	    {"serial2", "bigserial", "32767", true},
	};
	const size_t n = sizeof(narrow) / sizeof(narrow[0]);
	size_t k;

	(void)data;
	if (!c->builtin || c->type->n_array_bounds > 0)
		return;
	for (k = 0; k < n; k++)
		if (strcmp(c->builtin, narrow[k].type) == 0)
			break;
	if (k == n)
		return;

	const char *kind = key_kind_of_def(c->def);
	if (!kind && in_statement_primary_key(pgs_check_node(ctx), c->column))
		kind = "primary key";
	if (!kind && c->kind == PGS_COLDEF_ALTER_TYPE &&
	    model_primary_key_has(ctx, c->relation, c->column))
		kind = "primary key";
	if (!kind && narrow[k].serial)
		kind = "serial"; /* a generated key, even without a PRIMARY KEY */
	if (!kind)
		return;

	const char *text = pgs_check_text(ctx);
	const char *written = pgs_span_text(pgs_check_arena(ctx), text, c->base_span);
	const char *column = pgs_check_quote(ctx, c->column);
	struct pgs_diag *d;
	if (strcmp(kind, "primary key") == 0)
		d = pgs_report(ctx, c->type_span,
			       "primary key column %s is %s: values above %s don't fit", column,
			       written, narrow[k].max);
	else
		d = pgs_report(ctx, c->type_span, "%scolumn %s is %s: its sequence stops at %s",
			       strcmp(kind, "identity") == 0 ? "identity " : "", column, written,
			       narrow[k].max);
	pgs_diag_note(
	    ctx, d,
	    "widening it later rewrites the table and its indexes under ACCESS "
	    "EXCLUSIVE, and every foreign key column that references it must be widened too");
	pgs_diag_help(ctx, d, "use %s: 4 more bytes per row now, no key migration later",
		      narrow[k].wider);
	/* ALTER COLUMN ... TYPE may carry a USING written for that type: no fix */
	if (c->kind == PGS_COLDEF_ALTER_TYPE)
		return;
	pgs_diag_fix(ctx, d, narrow[k].serial ? "use bigserial" : "use bigint", false);
	pgs_diag_edit(ctx, d, c->base_span, narrow[k].wider);
}

static void check(struct pgs_check *ctx)
{
	pgs_coldefs_each(ctx, check_column, NULL);
}

const struct pgs_rule pgs_rule_prefer_bigint_key = {
    .id = "M401",
    .name = "prefer-bigint-key",
    .severity = PGS_SEV_INFO,
    .summary = "a primary key, identity or serial column of type integer or smallint",
    .docs = "## Problem\n\n"
	    "A key column of type `integer` (`int`, `int4`, `serial`) holds values up to\n"
	    "2147483647, a `smallint` (`int2`, `smallserial`) up to 32767. Generated ids\n"
	    "never come back, so a busy table reaches the limit and every INSERT fails.\n"
	    "Widening the column then rewrites the table and all its indexes under ACCESS\n"
	    "EXCLUSIVE, and every foreign key column that references it must be widened\n"
	    "the same way.\n\n"
	    "Flagged, in CREATE TABLE, ADD COLUMN and ALTER COLUMN ... TYPE:\n\n"
	    "- the only column of the table's PRIMARY KEY (declared on the column, as a\n"
	    "  table constraint of the same statement, or, for ALTER COLUMN ... TYPE, known\n"
	    "  from the migration history),\n"
	    "- a `GENERATED ... AS IDENTITY` column,\n"
	    "- a `serial`, `serial4`, `smallserial` or `serial2` column.\n\n"
	    "Other `integer` columns are not flagged: counts and quantities are as wide\n"
	    "as the data they hold, a foreign key column follows the key it references,\n"
	    "and the columns of a composite primary key are usually such foreign keys\n"
	    "or small discriminators (a line number). Arrays are not keys.\n\n"
	    "## Safe alternative\n\n"
	    "Use `bigint` (`bigserial`, or better `bigint GENERATED BY DEFAULT AS\n"
	    "IDENTITY`). In CREATE TABLE and ADD COLUMN the fix replaces the type; it is\n"
	    "marked unsafe because it changes the column's type, which foreign keys\n"
	    "referencing it (and application code) must match. No fix is offered for\n"
	    "ALTER COLUMN ... TYPE, whose USING clause was written for the type given.\n",
    .example_bad = "CREATE TABLE orders (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    .example_good = "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
		    "                     quantity integer NOT NULL);",
    .check = check,
};
