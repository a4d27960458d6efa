#include "lint/rule.h"

static bool is_primary_key(const PgQuery__ColumnDef *def)
{
	for (size_t i = 0; i < def->n_constraints; i++)
		if (def->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    def->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
			return true;
	return false;
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as)
		return;
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), as->relation);
	const char *label = pgs_check_relation_label(ctx, e->relation);
	bool pg12 = pgs_check_pg_version(ctx) >= 12;

	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;

		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		struct pgs_column_add a = pgs_effects_add_column(
			pgs_check_model(ctx), pgs_check_arena(ctx), t, cmd, pgs_check_pg_version(ctx));
		/* emptied earlier in this transaction, and kept empty: no row to fail on */
		if (!a.needs_value || pgs_model_table_emptied(pgs_check_model(ctx), t))
			continue;
		const PgQuery__ColumnDef *def = cmd->def->column_def;
		const char *column = pgs_check_quote(ctx, def->colname);
		struct pgs_diag *d = pgs_report(
			ctx, pgs_check_cmd_span(ctx, i),
			"adding %s column %s without a default fails if %s has any row",
			is_primary_key(def) ? "primary key" : "NOT NULL", column, label);
		pgs_diag_note(ctx, d,
			      "existing rows get NULL in the new column; PostgreSQL checks every "
			      "row and stops with: column \"%s\" of relation \"%s\" contains null "
			      "values",
			      def->colname, as->relation->relname);
		pgs_diag_note_lock(ctx, d, e);
		if (pgs_model_table_deleted_unlocked(pgs_check_model(ctx), t))
			pgs_diag_note(ctx, d,
				      "the DELETE before it in this transaction emptied %s, but it "
				      "lets other sessions insert: rows they commit before this "
				      "statement gets its lock are checked too. LOCK TABLE %s IN "
				      "SHARE MODE before the DELETE keeps them out (or use TRUNCATE)",
				      label, label);
		if (is_primary_key(def))
			pgs_diag_help(ctx, d,
				      "add the column nullable, fill it in batches, make it NOT NULL "
				      "(CHECK (%s IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL), "
				      "build a unique index CONCURRENTLY, then ADD PRIMARY KEY USING "
				      "INDEX; or add an identity or serial column instead",
				      column);
		else if (pg12)
			pgs_diag_help(ctx, d,
				      "give it a non-volatile DEFAULT (instant since PostgreSQL 11); "
				      "or add it nullable, backfill it in batches, then add CHECK "
				      "(%s IS NOT NULL) NOT VALID, VALIDATE it in a later transaction "
				      "and SET NOT NULL, which then skips its scan",
				      column);
		else
			pgs_diag_help(ctx, d,
				      "give it a non-volatile DEFAULT (instant since PostgreSQL 11); "
				      "or add it nullable, backfill it in batches and enforce it with "
				      "CHECK (%s IS NOT NULL) NOT VALID, validated in a later "
				      "transaction (before PostgreSQL 12, SET NOT NULL always scans)",
				      column);
	}
}

const struct pgs_rule pgs_rule_adding_required_field = {
	.id = "M203",
	.name = "adding-required-field",
	.severity = PGS_SEV_ERROR,
	.summary = "ADD COLUMN ... NOT NULL without a default fails on a table that has rows",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t ADD COLUMN c int NOT NULL` (or `PRIMARY KEY`) with no\n"
		"default, or with `DEFAULT NULL`, gives every existing row NULL in the new\n"
		"column. PostgreSQL checks every row under ACCESS EXCLUSIVE and the\n"
		"statement fails with `ERROR: column \"c\" of relation \"t\" contains null\n"
		"values`: the migration only works on an empty table. Serial, identity and\n"
		"generated columns make their own values and are not flagged.\n\n"
		"## Safe alternative\n\n"
		"- Give the column a non-volatile default:\n"
		"  `ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;` is instant from\n"
		"  PostgreSQL 11 (the default is stored once in the catalog).\n"
		"- Or, when each row needs its own value: add the column nullable, backfill\n"
		"  it in batches, then `ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT\n"
		"  NULL) NOT VALID;`, `ALTER TABLE t VALIDATE CONSTRAINT t_c_nn;` in\n"
		"  a later transaction, and `ALTER TABLE t ALTER COLUMN c SET NOT NULL;`,\n"
		"  which skips its scan from PostgreSQL 12 because the valid CHECK proves it.\n\n"
		"Tables created earlier in the same file are not flagged, nor a table the same\n"
		"transaction emptied before and nothing was inserted into since: a `TRUNCATE`\n"
		"(its ACCESS EXCLUSIVE keeps other sessions out until the end), or a `DELETE`\n"
		"without `WHERE` while the transaction holds a lock that keeps other sessions'\n"
		"writes out (`LOCK TABLE t IN SHARE MODE` or stronger, or an earlier statement\n"
		"that took one). A plain `DELETE` lets other sessions insert until the `ALTER\n"
		"TABLE` gets its lock, and the rows they commit are checked too: still reported,\n"
		"with a note.\n",
	.example_bad = "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;",
	.example_good = "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;",
	.check = check,
};
