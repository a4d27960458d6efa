#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    !node->alter_table_stmt->relation)
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return;
	const char *label = pgs_check_relation_label(ctx, e->relation);

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const char *what, *effect, *help;
		switch (as->cmds[i]->alter_table_cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRowSecurity:
			what = "ENABLE";
			effect =
			    "from the next query on, roles other than the owner see and change "
			    "only the rows a policy allows: none at all while no policy applies "
			    "to them";
			help = "create the policies first, in the same transaction, and test them "
			       "with SET ROLE as each application role";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRowSecurity:
			what = "DISABLE";
			effect = "its policies stop applying: every role with privileges on the "
				 "table sees and changes every row";
			help = "make sure no role relies on the policies to hide rows (other "
			       "tenants' data) before disabling them";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ForceRowSecurity:
			what = "FORCE";
			effect =
			    "the table's owner becomes subject to its policies too: migrations, "
			    "backfills and jobs that run as the owner see only the rows a "
			    "policy allows";
			help = "check the jobs that run as the owner, or give them a policy of "
			       "their own";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_NoForceRowSecurity:
			what = "NO FORCE";
			effect = "the table's owner bypasses its policies again and sees every row";
			help = "make sure nothing that runs as the owner relies on the policies";
			break;
		default:
			continue;
		}
		struct pgs_diag *d =
		    pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "%s ROW LEVEL SECURITY changes which rows every query on "
			       "%s sees, at once",
			       what, label);
		pgs_diag_note(ctx, d, "%s", effect);
		pgs_diag_note_lock(ctx, d, e);
		pgs_diag_help(ctx, d, "%s", help);
	}
}

const struct pgs_rule pgs_rule_row_level_security_toggled = {
    .id = "M508",
    .name = "row-level-security-toggled",
    .severity = PGS_SEV_WARNING,
    .summary = "ENABLE / DISABLE / FORCE ROW LEVEL SECURITY on an existing table",
    .docs = "## Problem\n\n"
	    "Row level security changes the result of every query on the table the\n"
	    "moment the statement commits, for every session:\n\n"
	    "- `ENABLE`: roles other than the owner (and superusers and BYPASSRLS roles)\n"
	    "  see and change only the rows a policy allows; with no policy for them,\n"
	    "  none. An application whose policies are missing or wrong gets empty\n"
	    "  results, not errors.\n"
	    "- `DISABLE`: the policies stop applying; every role with privileges sees\n"
	    "  every row, other tenants' included.\n"
	    "- `FORCE`: the owner is subject to the policies too, which breaks\n"
	    "  migrations, backfills and jobs that run as the owner.\n"
	    "- `NO FORCE`: the owner bypasses the policies again.\n\n"
	    "The statement also takes ACCESS EXCLUSIVE on the table, briefly.\n\n"
	    "Tables created earlier in the same file are not flagged: nothing reads\n"
	    "them yet.\n\n"
	    "## Safe alternative\n\n"
	    "Create and test the policies first (`SET ROLE app_user` and run the\n"
	    "application's queries), then enable row level security in the same\n"
	    "transaction as the policies, with a short `lock_timeout`. Review a DISABLE\n"
	    "as a security change.\n",
    .example_bad = "ALTER TABLE documents ENABLE ROW LEVEL SECURITY;",
    .example_good = "CREATE TABLE documents (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);\n"
		    "CREATE POLICY documents_tenant ON documents\n"
		    "    USING (tenant_id = current_setting('app.tenant_id')::bigint);\n"
		    "ALTER TABLE documents ENABLE ROW LEVEL SECURITY;",
    .check = check,
};
