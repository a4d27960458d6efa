#include "lint/rule.h"
#include "core/strbuf.h"
#include "rules/rule_util.h"

/* "(a, b)" from a list of String nodes, SQL-quoted. */
static const char *column_list(struct pgs_check *ctx, PgQuery__Node **items, size_t n,
			       const char *single)
{
	struct pgs_arena *arena = pgs_check_arena(ctx);
	struct pgs_strbuf out;

	if (!n && single)
		return pgs_arena_printf(arena, "(%s)", pgs_check_quote(ctx, single));
	pgs_strbuf_init(&out, arena);
	pgs_strbuf_add(&out, NULL, "(");
	for (size_t i = 0; i < n; i++) {
		const char *s = pgs_node_string(items[i]);
		pgs_strbuf_add(&out, i ? ", " : NULL, s ? pgs_check_quote(ctx, s) : "?");
	}
	pgs_strbuf_add(&out, NULL, ")");
	return pgs_strbuf_str(&out);
}

/* Whether the statement builds an index anywhere (the table or its partitions). */
static bool builds_index(const struct pgs_effects *fx)
{
	for (size_t i = 0; i < fx->n; i++)
		if (fx->items[i].scan)
			return true;
	return false;
}

static void report(struct pgs_check *ctx, size_t i, const PgQuery__Constraint *c,
		   const char *column)
{
	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	struct pgs_table *t = pgs_strmap_get(&model->tables, e->relation);
	struct pgs_arena *arena = pgs_check_arena(ctx);
	bool pk = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
	const char *kind = pk ? "PRIMARY KEY" : "UNIQUE";
	const char *label = pgs_check_relation_label(ctx, e->relation);
	const char *table_name = pgs_check_node(ctx)->alter_table_stmt->relation->relname;
	bool named = c->conname && *c->conname;
	const char *what =
		column ? pgs_arena_printf(arena, "ADD COLUMN %s ... %s", pgs_check_quote(ctx, column),
					  kind)
		: named ? pgs_arena_printf(arena, "ADD CONSTRAINT %s %s",
					   pgs_check_quote(ctx, c->conname), kind)
			: pgs_arena_printf(arena, "ADD %s", kind);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
					"%s builds its unique index while holding %s on %s", what,
					pgs_lock_name(e->lock), label);

	pgs_diag_note_lock(ctx, d, e);
	for (size_t k = 0; k < fx->n; k++)
		if (&fx->items[k] != e && fx->items[k].scan)
			pgs_diag_note_lock(ctx, d, &fx->items[k]);

	if (t && t->kind == 'p') {
		pgs_diag_note(ctx, d, "%s is partitioned: the index is built on every partition "
				      "(matching indexes there are not reused), and ADD CONSTRAINT ... "
				      "USING INDEX is not supported on partitioned tables",
			      label);
		pgs_diag_help(ctx, d, "there is no online path on a partitioned table: set a short "
				      "lock_timeout and run it at a quiet time, or add the constraint "
				      "before the partitions fill up");
		return;
	}
	/* the names PostgreSQL would choose: t_pkey, t_col1_col2_key */
	struct pgs_strbuf joined;
	pgs_strbuf_init(&joined, arena);
	pgs_strbuf_add(&joined, NULL, column ? column : "");
	for (size_t k = 0; !column && k < c->n_keys; k++) {
		const char *col = pgs_node_string(c->keys[k]);
		pgs_strbuf_add(&joined, k ? "_" : NULL, col ? col : "expr");
	}
	const char *cols_part = pgs_strbuf_str(&joined);
	const char *name = named ? c->conname
			   : pk	 ? pgs_arena_printf(arena, "%s_pkey", table_name)
				 : pgs_arena_printf(arena, "%s_%s_key", table_name, cols_part);
	const char *cols = column_list(ctx, c->keys, c->n_keys, column);
	const char *include =
		c->n_including ? pgs_arena_printf(arena, " INCLUDE %s",
						  column_list(ctx, c->including, c->n_including, NULL))
			       : "";
	const char *nulls = c->nulls_not_distinct ? " NULLS NOT DISTINCT" : "";
	const char *deferrable = !c->deferrable	    ? ""
				 : c->initdeferred ? " DEFERRABLE INITIALLY DEFERRED"
						   : " DEFERRABLE";
	const char *qname = pgs_check_quote(ctx, name);
	pgs_diag_help(ctx, d,
		      "%sCREATE UNIQUE INDEX CONCURRENTLY %s ON %s %s%s%s, alone and outside a "
		      "transaction block (reads and writes go on), then ALTER TABLE %s ADD "
		      "CONSTRAINT %s %s USING INDEX %s%s, which only takes a brief lock%s",
		      column ? "add the column first, then " : "", qname, label, cols, include, nulls,
		      label, qname, kind, qname, deferrable,
		      pk ? "; the key's columns must be NOT NULL by then, or it scans to check "
			   "them (see primary-key-using-index-on-nullable)"
			 : "");
}

static const PgQuery__Constraint *column_key(const PgQuery__AlterTableCmd *cmd)
{
	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return NULL;
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Node *n = def->constraints[i];
		if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    (n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		     n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY))
			return n->constraint;
	}
	return NULL;
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as)
		return;
	/* a partitioned table whose partitions the history doesn't know shows no scan */
	struct pgs_table *t = pgs_strmap_get(&pgs_check_model(ctx)->tables, e->relation);
	if (!builds_index(pgs_check_effects(ctx)) && !(t && t->kind == 'p'))
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		const PgQuery__Constraint *c;

		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
			if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
				break;
			c = cmd->def->constraint;
			if ((c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
			     c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) &&
			    !(c->indexname && *c->indexname))
				report(ctx, i, c, NULL);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
			if ((c = column_key(cmd)))
				report(ctx, i, c, cmd->def->column_def->colname);
			break;
		default:
			break;
		}
	}
}

const struct pgs_rule pgs_rule_unique_constraint_builds_index = {
	.id = "M107",
	.name = "unique-constraint-builds-index",
	.severity = PGS_SEV_WARNING,
	.summary = "ADD UNIQUE / PRIMARY KEY without USING INDEX builds the index under ACCESS "
		   "EXCLUSIVE",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t ADD CONSTRAINT c UNIQUE (...)` and `ADD PRIMARY KEY (...)` build\n"
		"the constraint's index while holding ACCESS EXCLUSIVE on the table: no reads and\n"
		"no writes until the whole table has been read and sorted. A primary key also\n"
		"makes its columns NOT NULL, which scans the table when they are nullable.\n"
		"`ADD COLUMN ... UNIQUE` / `PRIMARY KEY` does the same. NOT VALID does not exist\n"
		"for these constraints.\n\n"
		"## Safe alternative\n\n"
		"1. `CREATE UNIQUE INDEX CONCURRENTLY t_c_key ON t (...);` alone and outside a\n"
		"   transaction block: SHARE UPDATE EXCLUSIVE, reads and writes go on. If it\n"
		"   fails (duplicates), drop the INVALID index it leaves.\n"
		"2. `ALTER TABLE t ADD CONSTRAINT t_c_key UNIQUE USING INDEX t_c_key;` (or\n"
		"   `PRIMARY KEY USING INDEX`): a brief ACCESS EXCLUSIVE, no scan. For a primary\n"
		"   key, make the columns NOT NULL first (CHECK ... NOT VALID, VALIDATE, SET NOT\n"
		"   NULL), or it scans to check them.\n\n"
		"On a partitioned table there is no online path: the index is built on every\n"
		"partition (matching indexes are not reused) and USING INDEX is not supported.\n"
		"Tables created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
	.example_good = "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX "
			"users_email_key;",
	.check = check,
};
