#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	/* no rewrite: the table already has that persistence */
	if (!as || !e->rewrite)
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		bool logged = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged;
		if (!logged && cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged)
			continue;

		const char *label = pgs_check_relation_label(ctx, e->relation);
		struct pgs_diag *d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
						"SET %s rewrites %s while holding %s on it",
						logged ? "LOGGED" : "UNLOGGED", label,
						pgs_lock_name(e->lock));
		pgs_diag_note_lock(ctx, d, e);
		if (logged)
			pgs_diag_note(ctx, d, "the whole table goes through the write-ahead log: "
					      "standbys and WAL archiving get a burst the size of "
					      "the table");
		else
			pgs_diag_note(ctx, d, "an unlogged table is emptied after a crash and is not "
					      "replicated to standbys or kept in WAL archives");
		if (e->assumed)
			pgs_diag_note(ctx, d, "assumed: the migration history does not show whether "
					      "%s is already %s, which would make this a no-op",
				      label, logged ? "logged" : "unlogged");
		pgs_diag_help(ctx, d,
			      "there is no online way to change a table's persistence: create a new "
			      "%s table, copy the rows in batches and swap the names, or run it in "
			      "a maintenance window",
			      logged ? "logged" : "unlogged");
	}
}

const struct pgs_rule pgs_rule_set_logged_or_unlogged = {
	.id = "M113",
	.name = "set-logged-or-unlogged",
	.severity = PGS_SEV_WARNING,
	.summary = "ALTER TABLE ... SET LOGGED / SET UNLOGGED rewrites the table under ACCESS "
		   "EXCLUSIVE",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t SET LOGGED` and `SET UNLOGGED` write a new copy of the table\n"
		"and its indexes while holding ACCESS EXCLUSIVE: no reads and no writes until\n"
		"it is done (from PostgreSQL 15 the table's identity and serial sequences\n"
		"change persistence too).\n\n"
		"- SET LOGGED also sends the whole table through the write-ahead log: standbys\n"
		"  and WAL archiving receive a burst the size of the table.\n"
		"- SET UNLOGGED makes the table unsafe: an unlogged table is emptied after a\n"
		"  crash, and it is not replicated to standbys.\n\n"
		"It is a no-op when the table already has that persistence; pgstage assumes a\n"
		"rewrite when the history doesn't show the table's persistence.\n\n"
		"## Safe alternative\n\n"
		"There is no online form. Create a new table with the wanted persistence, copy\n"
		"the rows in batches, and swap the names; or run the ALTER in a maintenance\n"
		"window. Tables created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE events SET LOGGED;",
	.example_good = "CREATE UNLOGGED TABLE import_rows (id bigint, payload jsonb);\n"
			"ALTER TABLE import_rows SET LOGGED;",
	.check = check,
};
