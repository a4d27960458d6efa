#include "lint/rule.h"

static const char *kind_name(PgQuery__ObjectType type)
{
	switch (type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		return "view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		return "materialized view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
		return "foreign table";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		return "table";
	default:
		return NULL;
	}
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_RENAME_STMT)
		return;
	const PgQuery__RenameStmt *rs = node->rename_stmt;
	const char *kind = kind_name(rs->rename_type);
	if (!kind || !rs->relation || !rs->newname)
		return;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return;

	const char *label = pgs_check_relation_label(ctx, e->relation);
	/* the new name stays in the table's schema */
	const char *schema = rs->relation->schemaname && *rs->relation->schemaname
				     ? rs->relation->schemaname
				     : "public";
	const char *new_name = pgs_check_relation_label(
		ctx, pgs_arena_printf(pgs_check_arena(ctx), "%s.%s", schema, rs->newname));
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"renaming %s %s to %s breaks application code that still "
					"uses %s",
					kind, label, new_name, label);
	pgs_diag_note(ctx, d,
		      "the old name stops working when the migration commits; instances of the "
		      "application still running the previous release fail on every query "
		      "that names it until they are replaced");
	pgs_diag_note_lock(ctx, d, e);
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		pgs_diag_help(ctx, d,
			      "in the same transaction, rename it and CREATE VIEW %s AS SELECT * "
			      "FROM %s (a simple view is updatable, so old code keeps reading and "
			      "writing through it), then drop the view once no deployed code uses "
			      "the old name",
			      label, new_name);
	else
		pgs_diag_help(ctx, d,
			      "create the %s under the new name beside the old one, switch the "
			      "application to it, then drop the old one in a later migration",
			      kind);
}

const struct pgs_rule pgs_rule_renaming_table = {
	.id = "M206",
	.name = "renaming-table",
	.severity = PGS_SEV_WARNING,
	.summary = "renaming a table or view breaks application code that still uses the old "
		   "name",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t RENAME TO u` is instant (a catalog change under a brief\n"
		"ACCESS EXCLUSIVE lock), but from the moment it commits every query naming\n"
		"`t` fails with `relation \"t\" does not exist`. During a deployment the\n"
		"previous release of the application is still running and uses the old\n"
		"name. The same holds for views, materialized views and foreign tables.\n\n"
		"## Safe alternative\n\n"
		"Rename and leave a compatibility view under the old name, in one\n"
		"transaction:\n\n"
		"```sql\n"
		"BEGIN;\n"
		"ALTER TABLE t RENAME TO u;\n"
		"CREATE VIEW t AS SELECT * FROM u;\n"
		"COMMIT;\n"
		"```\n\n"
		"A view over a single table is automatically updatable, so old code keeps\n"
		"reading and writing. Drop the view in a later migration, once no deployed\n"
		"code uses `t` (pgstage still reports the rename: suppress it with\n"
		"`-- pgstage-ignore renaming-table: <reason>`). Or expand and contract\n"
		"with a new table, kept in sync and backfilled.\n\n"
		"Tables created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE users RENAME TO accounts;",
	.example_good = "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
			"ALTER TABLE accounts RENAME TO customer_accounts;",
	.check = check,
};
