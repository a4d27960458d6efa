#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_NAMED 6 /* as many notes as a finding holds */

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_LOCK_STMT)
		return;
	const PgQuery__LockStmt *ls = node->lock_stmt;
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	const struct pgs_effect *flagged[MAX_NAMED];
	const char *keys[MAX_NAMED];
	size_t n = 0;

	/* modes that block nothing the application does are left alone */
	for (size_t i = 0; i < fx->n && n < MAX_NAMED; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (pgs_lock_blocks(e->lock) && !pgs_check_created_in_this_file(ctx, e->relation)) {
			flagged[n] = e;
			keys[n++] = e->relation;
		}
	}
	if (!n)
		return;
	enum pgs_lock lock = flagged[0]->lock;
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"LOCK TABLE %s IN %s MODE blocks %s on %s until the "
					"transaction ends",
					pgs_rules_join_relations(ctx, keys, n, false),
					pgs_lock_name(lock), pgs_lock_blocks(lock),
					n > 1 ? "them" : "it");
	/* SHARE UPDATE EXCLUSIVE only holds off other schema changes and VACUUM */
	if (!pgs_lock_conflicts(lock, PGS_LOCK_ROW_EXCLUSIVE))
		d->severity = PGS_SEV_INFO;
	for (size_t i = 0; i < n; i++)
		pgs_diag_note_lock(ctx, d, flagged[i]);
	if (!txn->active)
		pgs_diag_note(ctx, d, "outside a transaction block PostgreSQL rejects it: \"LOCK "
				      "TABLE can only be used in transaction blocks\"");
	else if (pgs_rules_txn_goes_on(ctx))
		pgs_diag_note(ctx, d, "it is held through every statement after it, until the "
				      "transaction commits");
	if (ls->nowait)
		pgs_diag_note(ctx, d, "NOWAIT makes it fail at once rather than queue behind "
				      "other sessions' locks");
	pgs_diag_help(ctx, d,
		      "the statements that need a lock take it themselves; lock explicitly only "
		      "when the migration must keep others out between statements, then do it "
		      "right before them, with NOWAIT or a short lock_timeout, and keep the "
		      "transaction short");
}

const struct pgs_rule pgs_rule_lock_table = {
	.id = "M118",
	.name = "lock-table",
	.severity = PGS_SEV_WARNING,
	.summary = "an explicit LOCK TABLE blocks the application until the transaction ends",
	.docs = "## Problem\n\n"
		"`LOCK TABLE t` takes ACCESS EXCLUSIVE (its default mode) and holds it until the\n"
		"transaction ends: no reads and no writes on `t` for the rest of the migration's\n"
		"transaction. Weaker modes block less: SHARE, SHARE ROW EXCLUSIVE and EXCLUSIVE\n"
		"block writes; SHARE UPDATE EXCLUSIVE holds off only other schema changes and\n"
		"VACUUM (reported as info). ACCESS SHARE, ROW SHARE and ROW EXCLUSIVE are not\n"
		"reported. Even a brief lock queues behind running transactions, and every\n"
		"query after it waits in that queue. Outside a transaction block PostgreSQL\n"
		"rejects LOCK TABLE.\n\n"
		"## Safe alternative\n\n"
		"Each statement takes the lock it needs itself. Lock explicitly only when the\n"
		"migration must keep other sessions out between statements; then take the lock\n"
		"right before those statements, with `NOWAIT` or a short `lock_timeout`, and\n"
		"keep the transaction short. Tables created earlier in the same file are not\n"
		"flagged.\n",
	.example_bad = "BEGIN;\nLOCK TABLE orders;\nUPDATE orders SET status = 'new' WHERE status IS "
		       "NULL;\nCOMMIT;",
	.example_good = "BEGIN;\nLOCK TABLE orders IN ROW EXCLUSIVE MODE;\nUPDATE orders SET "
			"status = 'new' WHERE status IS NULL;\nCOMMIT;",
	.check = check,
};
