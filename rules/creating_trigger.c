#include "lint/rule.h"
#include "rules/rule_util.h"

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_CREATE_TRIG_STMT ||
	    !node->create_trig_stmt->relation)
		return;
	const PgQuery__CreateTrigStmt *ts = node->create_trig_stmt;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || !pgs_lock_blocks(e->lock) || pgs_check_created_in_this_file(ctx, e->relation))
		return;

	const char *label = pgs_check_relation_label(ctx, e->relation);
	bool goes_on = pgs_rules_txn_goes_on(ctx);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"CREATE TRIGGER %s takes %s on %s, which blocks %s on it%s",
					pgs_check_quote(ctx, ts->trigname), pgs_lock_name(e->lock),
					label, pgs_lock_blocks(e->lock),
					goes_on ? " until the transaction commits" : "");
	pgs_diag_note_lock(ctx, d, e);
	pgs_diag_note(ctx, d, "the statement is quick, but the lock queues behind transactions "
			      "writing to the table, and new writes queue behind it");
	pgs_diag_help(ctx, d, "%s", goes_on ? "end the transaction right after it, or create the "
					      "trigger last, with a short lock_timeout"
					    : "set a short lock_timeout before it and retry if it "
					      "times out");
}

const struct pgs_rule pgs_rule_creating_trigger = {
	.id = "M123",
	.name = "creating-trigger",
	.severity = PGS_SEV_INFO,
	.summary = "CREATE TRIGGER takes SHARE ROW EXCLUSIVE on an existing table (writes wait)",
	.docs = "## Problem\n\n"
		"`CREATE TRIGGER ... ON t` takes SHARE ROW EXCLUSIVE on `t`: reads go on, but\n"
		"INSERT, UPDATE and DELETE wait. The statement itself is quick, so this is\n"
		"info, not a warning; what makes it hurt is waiting: the lock queues behind\n"
		"every transaction writing to `t`, and new writes queue behind it. Inside a\n"
		"transaction that goes on after it, writes wait until the commit.\n\n"
		"## Safe alternative\n\n"
		"Set a short `lock_timeout` before it and retry on timeout. Inside a\n"
		"transaction, create the trigger last (or end the transaction after it).\n"
		"Triggers on tables created earlier in the same file are not flagged.\n",
	.example_bad = "CREATE TRIGGER orders_audit AFTER UPDATE ON orders\n"
		       "    FOR EACH ROW EXECUTE FUNCTION audit_row();",
	.example_good = "CREATE TABLE orders_archive (id bigint);\n"
			"CREATE TRIGGER orders_archive_audit AFTER UPDATE ON orders_archive\n"
			"    FOR EACH ROW EXECUTE FUNCTION audit_row();",
	.check = check,
};
