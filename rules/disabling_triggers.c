#include "lint/rule.h"
#include "rules/rule_util.h"

/* "trigger x", "all triggers" or "user triggers", for the message. */
static const char *which(struct pgs_check *ctx, const PgQuery__AlterTableCmd *cmd)
{
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll)
		return "every trigger, including the ones enforcing foreign keys,";
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser)
		return "every user trigger";
	return pgs_arena_printf(pgs_check_arena(ctx), "trigger %s", pgs_check_quote(ctx, cmd->name));
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as || !pgs_lock_blocks(e->lock))
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig &&
		    cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll &&
		    cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser)
			continue;
		const char *label = pgs_check_relation_label(ctx, e->relation);
		struct pgs_diag *d;

		/* Until the transaction commits other sessions still see the trigger
		 * enabled, and the lock keeps their writes out; once it commits, the
		 * trigger is off for everyone. */
		if (pgs_rules_txn_goes_on(ctx)) {
			d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
				       "disabling %s on %s holds %s on it until the transaction "
				       "commits: %s on it wait for the rest of the transaction",
				       which(ctx, cmd), label, pgs_lock_name(e->lock),
				       pgs_lock_blocks(e->lock));
			pgs_diag_note_lock(ctx, d, e);
		} else {
			d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
				       "disabling %s on %s turns %s off for every session until "
				       "enabled again, not only for this migration",
				       which(ctx, cmd), label,
				       cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig ? "it"
												   : "them");
			pgs_diag_note_lock(ctx, d, e);
			pgs_diag_note(ctx, d, "the application's writes in the meantime are not seen "
					      "by the trigger: what it maintains or checks goes out of "
					      "step");
		}
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll)
			pgs_diag_note(ctx, d, "DISABLE TRIGGER ALL also turns off foreign key "
					      "enforcement (and needs superuser)");
		bool in_txn = pgs_rules_txn_goes_on(ctx);
		pgs_diag_help(ctx, d,
			      "to skip a trigger for the migration's own writes only, have the "
			      "trigger check a setting the migration sets with SET LOCAL (for "
			      "example current_setting('app.skip_audit', true)) and leave it "
			      "enabled; %s",
			      in_txn ? "otherwise keep the transaction short: write in small batches, "
				       "each in its own DISABLE ... ENABLE transaction"
				     : "otherwise put the DISABLE, the writes and the ENABLE in one "
				       "short transaction, so other sessions never see it off");
	}
}

const struct pgs_rule pgs_rule_disabling_triggers = {
	.id = "M124",
	.name = "disabling-triggers",
	.severity = PGS_SEV_WARNING,
	.summary = "ALTER TABLE ... DISABLE TRIGGER affects every session and locks out writes",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t DISABLE TRIGGER x` (or `ALL`, `USER`) takes SHARE ROW EXCLUSIVE\n"
		"on `t` (writes wait) and switches the trigger off in the catalog, for every\n"
		"session:\n\n"
		"- committed on its own, the trigger stays off for the application too until\n"
		"  `ENABLE TRIGGER` runs: the application's writes in the meantime skip it, and\n"
		"  whatever it maintains (audit rows, denormalised columns, checks) goes out of\n"
		"  step;\n"
		"- inside a transaction that goes on (the usual DISABLE; UPDATE ...; ENABLE),\n"
		"  other sessions don't see it off, because the lock keeps their writes out\n"
		"  until the commit: the table is read-only for the whole transaction.\n\n"
		"`DISABLE TRIGGER ALL` also turns off the internal triggers that enforce foreign\n"
		"keys (it needs superuser for them).\n\n"
		"## Safe alternative\n\n"
		"To skip a trigger for the migration's own writes only, make the trigger check a\n"
		"setting that the migration sets with `SET LOCAL` (for example\n"
		"`current_setting('app.skip_audit', true)`), and leave it enabled. If it must be\n"
		"disabled, keep the DISABLE, the writes and the ENABLE in one short transaction\n"
		"(batches small enough that the write lock is brief). Tables created earlier in\n"
		"the same file are not flagged.\n",
	.example_bad = "ALTER TABLE orders DISABLE TRIGGER orders_audit;",
	.example_good = "ALTER TABLE orders ENABLE TRIGGER orders_audit;",
	.check = check,
};
