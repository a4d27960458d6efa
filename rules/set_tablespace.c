#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	bool is_index = as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
	if (!is_index && as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
	    as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW)
		return;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	/* a table's files are rewritten; an index's are copied (its table's
	 * effect says so) */
	if (!e || !(e->rewrite || is_index) || !pgs_lock_blocks(e->lock))
		return;
	/* an index: judged by its table */
	const struct pgs_index *ix = is_index ? pgs_model_index(pgs_check_model(ctx), e->relation)
					      : NULL;
	const char *table = is_index ? (ix ? ix->table : NULL) : e->relation;
	if (table && pgs_check_created_in_this_file(ctx, table))
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
		    as->cmds[i]->alter_table_cmd->subtype !=
			    PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace)
			continue;
		const char *label = pgs_check_relation_label(ctx, e->relation);
		const char *space = as->cmds[i]->alter_table_cmd->name;
		struct pgs_diag *d = pgs_report(
			ctx, pgs_check_cmd_span(ctx, i),
			"SET TABLESPACE %s copies every block of %s while holding %s on it",
			space ? pgs_check_quote(ctx, space) : "", label, pgs_lock_name(e->lock));
		pgs_diag_note_lock(ctx, d, e);
		if (is_index)
			pgs_diag_note(ctx, d,
				      "the planner locks every index of a table, so nearly every "
				      "query on %s waits too",
				      table ? pgs_check_relation_label(ctx, table) : "its table");
		else
			pgs_diag_note(ctx, d, "the indexes stay where they are: each needs its own "
					      "ALTER INDEX ... SET TABLESPACE");
		pgs_diag_help(ctx, d,
			      "pg_repack can move a table and its indexes online (--tablespace, "
			      "--moveidx), taking ACCESS EXCLUSIVE only briefly; otherwise run it "
			      "in a maintenance window. New tables and indexes can be created in "
			      "the new tablespace directly");
	}
}

const struct pgs_rule pgs_rule_set_tablespace = {
	.id = "M114",
	.name = "set-tablespace",
	.severity = PGS_SEV_WARNING,
	.summary = "ALTER TABLE / INDEX ... SET TABLESPACE copies the relation under ACCESS "
		   "EXCLUSIVE",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t SET TABLESPACE ts` copies every data file of the table to the\n"
		"new tablespace while holding ACCESS EXCLUSIVE: no reads and no writes until\n"
		"the copy, as long as the table is big, is done. The table's indexes are not\n"
		"moved. `ALTER INDEX i SET TABLESPACE ts` does the same for an index; since the\n"
		"planner locks every index of a table, nearly every query on the table waits\n"
		"too. (`ALTER MATERIALIZED VIEW ... SET TABLESPACE` likewise.)\n\n"
		"## Safe alternative\n\n"
		"There is no online form in PostgreSQL. pg_repack moves a table and its indexes\n"
		"online (`--tablespace`, `--moveidx`), taking ACCESS EXCLUSIVE only briefly at\n"
		"the end. Otherwise move the table in a maintenance window. Tables and indexes\n"
		"created later can name the tablespace directly.\n\n"
		"`ALTER TABLE ALL IN TABLESPACE ... SET TABLESPACE` is not checked. Tables\n"
		"created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE events SET TABLESPACE archive;",
	.example_good = "CREATE TABLE events_2019 (id bigint, payload jsonb) TABLESPACE archive;",
	.check = check,
};
