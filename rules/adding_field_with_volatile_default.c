#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as || !e->rewrite)
		return;

	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), as->relation);

	/* each column with its own default: the rewrite may come from any of them */
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;

		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		const PgQuery__ColumnDef *def = cmd->def->column_def;
		struct pgs_column_add a = pgs_effects_add_column(
			pgs_check_model(ctx), pgs_check_arena(ctx), t, cmd, pgs_check_pg_version(ctx));
		bool before_11 = a.cause == PGS_CAUSE_DEFAULT_BEFORE_11;
		if (!a.rewrite || (!before_11 && a.cause != PGS_CAUSE_VOLATILE_DEFAULT))
			continue;

		struct pgs_span span = pgs_check_cmd_span(ctx, i);
		const char *column = pgs_check_quote(ctx, def->colname);
		struct pgs_diag *d;
		if (before_11)
			d = pgs_report(ctx, span,
				       "adding column %s with a default rewrites %s before "
				       "PostgreSQL 11",
				       column, label);
		else
			d = pgs_report(ctx, span,
				       "adding column %s with a volatile default (%s()) rewrites %s",
				       column, a.culprit ? a.culprit : "?", label);
		pgs_diag_note_lock(ctx, d, e);
		if (!before_11 && a.assumed)
			pgs_diag_note(ctx, d,
				      "%s() is not a built-in function of known volatility; assumed "
				      "volatile",
				      a.culprit ? a.culprit : "the default");
		pgs_diag_help(ctx, d,
			      "add the column without a default, SET DEFAULT for new rows, then "
			      "backfill existing rows in batches (pgstage plan does this)");
	}
}

const struct pgs_rule pgs_rule_adding_field_with_volatile_default = {
	.id = "M201",
	.name = "adding-field-with-volatile-default",
	.severity = PGS_SEV_WARNING,
	.summary = "ADD COLUMN with a volatile default (or any default before PostgreSQL 11) "
		   "rewrites the table",
	.docs = "## Problem\n\n"
		"Since PostgreSQL 11 a non-volatile default is stored once in the catalog and\n"
		"adding the column is instant. A volatile default (`gen_random_uuid()`,\n"
		"`clock_timestamp()`, `random()`, a user function of unknown volatility) must\n"
		"be computed for every row: PostgreSQL rewrites the table and all its indexes\n"
		"under ACCESS EXCLUSIVE, blocking reads and writes until done. Before\n"
		"PostgreSQL 11 any non-NULL default rewrites.\n\n"
		"`now()` and `CURRENT_TIMESTAMP` are stable, not volatile: they are safe.\n\n"
		"## Safe alternative\n\n"
		"1. `ALTER TABLE t ADD COLUMN c uuid;` (no default: instant)\n"
		"2. `ALTER TABLE t ALTER COLUMN c SET DEFAULT gen_random_uuid();` (new rows)\n"
		"3. backfill existing rows in small batches, each its own transaction\n"
		"4. if the column must be NOT NULL: the CHECK ... NOT VALID sequence\n",
	.example_bad = "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
	.example_good = "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();",
	.check = check,
};
