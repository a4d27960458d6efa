#include "lint/columns.h"
#include "lint/rule.h"

static void report(struct pgs_check *ctx, struct pgs_span span, const char *what, const char *label)
{
	struct pgs_diag *d = pgs_report(ctx, span,
					"%s makes %s unlogged: emptied after a crash and missing "
					"on standbys",
					what, label);
	pgs_diag_note(ctx, d,
		      "unlogged tables skip the WAL: after a crash or an immediate shutdown "
		      "PostgreSQL truncates them, and standbys (and a standby promoted after a "
		      "failover) have them empty; logical replication doesn't send them either");
	pgs_diag_help(ctx, d,
		      "keep unlogged tables for data that can be rebuilt (caches, staging of a "
		      "load); if it is that, suppress this finding with a reason");
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	struct pgs_model *model = pgs_check_model(ctx);
	const PgQuery__RangeVar *rv = NULL;
	const char *what = "CREATE UNLOGGED TABLE";

	if (node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		rv = node->create_stmt->relation;
	} else if (node->node_case == PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT &&
		   node->create_table_as_stmt->into &&
		   node->create_table_as_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		rv = node->create_table_as_stmt->into->rel;
		what = "CREATE UNLOGGED TABLE AS";
	} else if (node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
		   node->alter_table_stmt->relation) {
		const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
		for (size_t i = 0; i < as->n_cmds; i++)
			if (as->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
			    as->cmds[i]->alter_table_cmd->subtype ==
				PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged)
				report(ctx, pgs_check_cmd_span(ctx, i), "SET UNLOGGED",
				       pgs_check_relation_label(
					   ctx, pgs_model_key(model, as->relation)));
		return;
	}
	if (!rv || !rv->relpersistence || rv->relpersistence[0] != 'u')
		return;
	struct pgs_span span = stmt->span;
	if (rv->location >= 0)
		span = pgs_name_span(pgs_check_text(ctx), pgs_stmt_offset(stmt, rv->location),
				     stmt->span.end);
	report(ctx, span, what, pgs_check_relation_label(ctx, pgs_model_key(model, rv)));
}

const struct pgs_rule pgs_rule_unlogged_table = {
    .id = "M509",
    .name = "unlogged-table",
    .severity = PGS_SEV_WARNING,
    .summary = "an unlogged table is emptied after a crash and missing on standbys",
    .docs = "## Problem\n\n"
	    "An unlogged table (`CREATE UNLOGGED TABLE`, `ALTER TABLE ... SET UNLOGGED`)\n"
	    "is not written to the WAL. That makes writes faster, and:\n\n"
	    "- after a crash or an immediate shutdown PostgreSQL truncates it;\n"
	    "- physical standbys have it empty (reading it there fails), so after a\n"
	    "  failover the promoted server has lost its contents;\n"
	    "- logical replication doesn't send it, and backups taken from a standby\n"
	    "  don't hold it.\n\n"
	    "`SET UNLOGGED` (and `SET LOGGED`) also rewrites the table under ACCESS\n"
	    "EXCLUSIVE.\n\n"
	    "## Safe alternative\n\n"
	    "Use a regular table for data that must survive. Unlogged tables fit data\n"
	    "that can be rebuilt: caches, staging tables of a bulk load that is\n"
	    "re-run after a failure. For those, suppress the finding with a reason.\n",
    .example_bad = "CREATE UNLOGGED TABLE sessions (id uuid PRIMARY KEY, data jsonb);",
    .example_good = "CREATE TABLE sessions (id uuid PRIMARY KEY, data jsonb);",
    .check = check,
};
