#include "lint/rule.h"

/* Whether the model knows a primary key on the table. */
static bool has_primary_key(struct pgs_table *t)
{
	for (size_t i = 0; t && i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].kind == PGS_CON_PRIMARY_KEY)
			return true;
	return false;
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    !node->alter_table_stmt->relation)
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	struct pgs_model *model = pgs_check_model(ctx);

	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
		    cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ReplicaIdentity || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_REPLICA_IDENTITY_STMT ||
		    !cmd->def->replica_identity_stmt->identity_type ||
		    cmd->def->replica_identity_stmt->identity_type[0] != 'f')
			continue;
		const char *label =
		    pgs_check_relation_label(ctx, pgs_model_key(model, as->relation));
		struct pgs_diag *d =
		    pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "REPLICA IDENTITY FULL makes every UPDATE and DELETE on "
			       "%s write the whole old row to the WAL",
			       label);
		pgs_diag_note(ctx, d,
			      "the WAL and what logical replication sends grow with the row width, "
			      "and a subscriber without a usable index finds each changed row by "
			      "scanning its copy of %s",
			      label);
		struct pgs_table *t = pgs_model_table(model, as->relation);
		if (has_primary_key(t))
			pgs_diag_help(
			    ctx, d,
			    "%s has a primary key: the DEFAULT replica identity logs just "
			    "the key, which is what replication needs",
			    label);
		else
			pgs_diag_help(ctx, d,
				      "give %s a primary key (the DEFAULT identity then logs just "
				      "the key), or use REPLICA IDENTITY USING INDEX on a unique "
				      "index of NOT NULL columns",
				      label);
	}
}

const struct pgs_rule pgs_rule_replica_identity_full = {
    .id = "M507",
    .name = "replica-identity-full",
    .severity = PGS_SEV_WARNING,
    .summary = "REPLICA IDENTITY FULL logs the whole old row of every update and delete",
    .docs = "## Problem\n\n"
	    "The replica identity decides what PostgreSQL writes to the WAL about the old\n"
	    "version of an updated or deleted row, for logical decoding. `FULL` writes\n"
	    "every column of it: WAL volume, replication traffic and the work of every\n"
	    "logical decoding client (replication, change data capture) grow with the\n"
	    "row width. On a subscriber, each change is applied by finding the old row:\n"
	    "without a primary key or a usable index there, that is a scan of the table\n"
	    "per changed row.\n\n"
	    "It is often set to silence \"cannot update table ... because it does not\n"
	    "have a replica identity\" on a table without a primary key.\n\n"
	    "## Safe alternative\n\n"
	    "Give the table a primary key and keep `REPLICA IDENTITY DEFAULT`, or use\n"
	    "`REPLICA IDENTITY USING INDEX` with a unique index on NOT NULL columns.\n"
	    "Keep FULL only when consumers really need the old values of every column\n"
	    "(some change data capture setups), and suppress the finding there.\n",
    .example_bad = "ALTER TABLE events REPLICA IDENTITY FULL;",
    .example_good = "ALTER TABLE events REPLICA IDENTITY USING INDEX events_id_key;",
    .check = check,
};
