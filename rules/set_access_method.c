#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    (node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
	     node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW))
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	/* no rewrite: the table already uses that access method */
	if (!e || !e->rewrite || pgs_check_created_in_this_file(ctx, e->relation))
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
		    as->cmds[i]->alter_table_cmd->subtype !=
			    PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod)
			continue;
		const char *label = pgs_check_relation_label(ctx, e->relation);
		const char *am = as->cmds[i]->alter_table_cmd->name;
		struct pgs_diag *d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
						"SET ACCESS METHOD %s rewrites %s while holding %s on "
						"it",
						am ? pgs_check_quote(ctx, am) : "", label,
						pgs_lock_name(e->lock));
		pgs_diag_note_lock(ctx, d, e);
		if (e->assumed)
			pgs_diag_note(ctx, d, "assumed: the migration history does not show whether "
					      "%s already uses %s, which would make this a no-op",
				      label, am ? pgs_check_quote(ctx, am) : "it");
		if (pgs_check_pg_version(ctx) < 15)
			pgs_diag_note(ctx, d, "ALTER TABLE ... SET ACCESS METHOD needs PostgreSQL 15 "
					      "or later");
		pgs_diag_help(ctx, d,
			      "there is no online form: create a new table with USING %s, copy "
			      "the rows in batches and swap the names, or run it in a maintenance "
			      "window",
			      am ? pgs_check_quote(ctx, am) : "the access method");
	}
}

const struct pgs_rule pgs_rule_set_access_method = {
	.id = "M115",
	.name = "set-access-method",
	.severity = PGS_SEV_WARNING,
	.summary = "ALTER TABLE ... SET ACCESS METHOD rewrites the table under ACCESS EXCLUSIVE",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t SET ACCESS METHOD am` (PostgreSQL 15+) rewrites the table and\n"
		"its indexes into the new table access method while holding ACCESS EXCLUSIVE:\n"
		"no reads and no writes until the rewrite is done. Setting the access method\n"
		"the table already has is a no-op; pgstage knows that only for tables the\n"
		"history created with the default `heap`.\n\n"
		"## Safe alternative\n\n"
		"There is no online form: create a new table `USING am`, copy the rows in\n"
		"batches and swap the names, or run the ALTER in a maintenance window. Tables\n"
		"created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE events SET ACCESS METHOD columnar;",
	.example_good = "CREATE TABLE events_archive (id bigint, payload jsonb) USING columnar;",
	.check = check,
};
