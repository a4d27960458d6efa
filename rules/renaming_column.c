#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_RENAME_STMT)
		return;
	const PgQuery__RenameStmt *rs = node->rename_stmt;
	if (rs->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || !rs->relation ||
	    !rs->subname || !rs->newname)
		return;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return;
	/* a column added earlier in this file is not used by deployed code yet */
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = pgs_model_table(model, rs->relation);
	struct pgs_column *col = t ? pgs_table_column(t, rs->subname) : NULL;
	if (col && col->created_in && col->created_in == model->file_number)
		return;

	const char *label = pgs_check_relation_label(ctx, e->relation);
	const char *old_name = pgs_check_quote(ctx, rs->subname);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"renaming column %s.%s to %s breaks application code that "
					"still uses %s",
					label, old_name, pgs_check_quote(ctx, rs->newname),
					old_name);
	pgs_diag_note(ctx, d,
		      "the old name stops working when the migration commits; instances of the "
		      "application still running the previous release fail on every query "
		      "that names it until they are replaced");
	pgs_diag_note_lock(ctx, d, e);
	pgs_diag_help(ctx, d,
		      "expand and contract: add the new column, write to both (trigger or "
		      "application), backfill it in batches, switch reads to it, and drop %s "
		      "in a later migration once no deployed code uses it",
		      old_name);
}

const struct pgs_rule pgs_rule_renaming_column = {
	.id = "M205",
	.name = "renaming-column",
	.severity = PGS_SEV_WARNING,
	.summary = "RENAME COLUMN breaks application code that still uses the old name",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t RENAME COLUMN a TO b` is instant (a catalog change under a\n"
		"brief ACCESS EXCLUSIVE lock), but from the moment it commits every query\n"
		"naming `a` fails with `column \"a\" does not exist`. During a deployment the\n"
		"previous release of the application is still running, so renaming a\n"
		"column in the same step as the code that uses the new name breaks the old\n"
		"code, and rolling the code back breaks it again.\n\n"
		"## Safe alternative\n\n"
		"Expand and contract, across several deployments:\n\n"
		"1. `ALTER TABLE t ADD COLUMN b ...;` and keep it in sync with `a` (a trigger,\n"
		"   or the application writing both);\n"
		"2. backfill `b` from `a` in batches;\n"
		"3. deploy code that reads `b`;\n"
		"4. in a later migration, `ALTER TABLE t DROP COLUMN a;`.\n\n"
		"Columns of tables created earlier in the same file, and columns added\n"
		"earlier in the same file, are not flagged: no deployed code uses them yet.\n",
	.example_bad = "ALTER TABLE users RENAME COLUMN email TO email_address;",
	.example_good = "ALTER TABLE users ADD COLUMN email_address text;",
	.check = check,
};
