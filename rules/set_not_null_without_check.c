#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as)
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), as->relation);

		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull)
			continue;
		if (pgs_check_pg_version(ctx) >= 12 && t &&
		    pgs_model_has_valid_not_null_check(pgs_check_model(ctx), t, cmd->name))
			continue;

		const char *label = pgs_check_relation_label(ctx, e->relation);
		const char *column = pgs_check_quote(ctx, cmd->name);
		struct pgs_diag *d = pgs_report(
			ctx, pgs_check_cmd_span(ctx, i),
			"SET NOT NULL on %s.%s scans the whole table under ACCESS EXCLUSIVE", label,
			column);
		pgs_diag_note_lock(ctx, d, e);
		if (pgs_check_pg_version(ctx) >= 12)
			pgs_diag_help(ctx, d,
				      "add CHECK (%s IS NOT NULL) NOT VALID, VALIDATE it in a later "
				      "transaction (reads and writes continue), then SET NOT NULL "
				      "skips the scan and the check can be dropped",
				      column);
		else
			pgs_diag_help(ctx, d,
				      "before PostgreSQL 12 SET NOT NULL always scans; keep a "
				      "validated CHECK (%s IS NOT NULL) instead, added NOT VALID and "
				      "validated separately",
				      column);
	}
}

const struct pgs_rule pgs_rule_set_not_null_without_check = {
	.id = "M102",
	.name = "set-not-null-without-check",
	.severity = PGS_SEV_WARNING,
	.summary = "SET NOT NULL scans the table under ACCESS EXCLUSIVE unless a validated CHECK "
		   "proves it",
	.docs = "## Problem\n\n"
		"`ALTER TABLE ... ALTER COLUMN c SET NOT NULL` checks every row while holding\n"
		"ACCESS EXCLUSIVE: no reads and no writes until the scan ends.\n\n"
		"## Safe alternative (PostgreSQL 12 and later)\n\n"
		"1. `ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID;`\n"
		"   (brief lock, no scan)\n"
		"2. `ALTER TABLE t VALIDATE CONSTRAINT t_c_nn;` in its own transaction\n"
		"   (SHARE UPDATE EXCLUSIVE: reads and writes continue during the scan)\n"
		"3. `ALTER TABLE t ALTER COLUMN c SET NOT NULL;` now skips the scan\n"
		"4. `ALTER TABLE t DROP CONSTRAINT t_c_nn;`\n\n"
		"Don't name the CHECK `t_c_not_null`: PostgreSQL 18 gives that name to the NOT\n"
		"NULL constraint of step 3, which would then be `t_c_not_null1`. On 18 the NOT\n"
		"NULL constraint itself can be added NOT VALID and validated instead:\n"
		"`ALTER TABLE t ADD CONSTRAINT t_c_not_null NOT NULL c NOT VALID;`, then\n"
		"`ALTER TABLE t VALIDATE CONSTRAINT t_c_not_null;`.\n\n"
		"pgstage tracks the constraint through the migration history, so step 3 is not\n"
		"flagged once steps 1 and 2 have run (in this file or an earlier one).\n",
	.example_bad = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
	.example_good = "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) "
			"NOT VALID;\n"
			"ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n"
			"ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
	.check = check,
};
