#include "lint/rule.h"
#include "rules/rule_util.h"

/* The slow part of the statement: a rewrite, else a full scan, of a table that existed before. */
static const struct pgs_effect *slow_effect(struct pgs_check *ctx)
{
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *best = NULL;

	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (!(e->rewrite || e->scan) || !pgs_rules_is_existing(ctx, e))
			continue;
		if (!best || (e->rewrite && !best->rewrite))
			best = e;
	}
	return best;
}

/* Whether holding `held` blocks traffic that the statement's own lock `own` would let through. */
static bool blocks_more(enum pgs_lock held, enum pgs_lock own)
{
	return (pgs_rules_blocks_reads(held) && !pgs_rules_blocks_reads(own)) ||
	       (pgs_rules_blocks_writes(held) && !pgs_rules_blocks_writes(own));
}

/* Whether the statement's own lock on r blocks as much as the transaction's strongest there. */
static bool not_prolonged(void *data, const struct pgs_txn_relation *r)
{
	struct pgs_check *ctx = data;
	const struct pgs_effect *own = pgs_effects_find(pgs_check_effects(ctx), r->relation);

	return !blocks_more(pgs_check_txn(ctx)->locks[r->strongest].lock,
			    own ? own->lock : PGS_LOCK_NONE);
}

/*
 * How many locks taken earlier on existing tables the statement prolongs:
 * all but those on tables it locks itself at least as strongly (its
 * effects, a few, are all that is looked at).
 */
static size_t held_through(struct pgs_check *ctx)
{
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	size_t n = pgs_check_txn(ctx)->n_existing_locks;

	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_txn_relation *r = pgs_check_txn_relation(ctx, fx->items[i].relation);
		for (int mode = PGS_LOCK_SHARE; r && !r->new_here && mode <= PGS_LOCK_ACCESS_EXCLUSIVE;
		     mode++)
			if (!blocks_more((enum pgs_lock)mode, fx->items[i].lock))
				n -= r->n_by_mode[mode];
	}
	return n;
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);

	if (!txn->active || !txn->n_locks)
		return;
	const struct pgs_effect *slow = slow_effect(ctx);
	if (!slow)
		return;

	/* the strongest lock held from an earlier statement that this one prolongs */
	const struct pgs_txn_relation *r = pgs_check_txn_strongest(ctx, not_prolonged, ctx);
	if (!r)
		return;
	const struct pgs_txn_lock *worst = &txn->locks[r->strongest];
	size_t n_held = held_through(ctx);

	const char *slow_label = pgs_check_relation_label(ctx, slow->relation);
	const char *held_label = pgs_check_relation_label(ctx, worst->relation);
	const char *work = slow->rewrite ? "rewrite" : "scan";
	unsigned line = pgs_check_pos(ctx, worst->offset).line;
	struct pgs_diag *d = pgs_report(
		ctx, pgs_check_stmt(ctx)->span,
		"%s %s %s while this transaction holds %s on %s (taken on line %u)",
		pgs_rules_stmt_name(pgs_check_node(ctx)), slow->rewrite ? "rewrites" : "scans",
		slow_label, pgs_lock_name(worst->lock), held_label, line);
	pgs_diag_note(ctx, d,
		      "a lock is held until the transaction ends: %s on %s stay blocked through "
		      "the whole %s of %s, which grows with the table, not just for the "
		      "statement on line %u",
		      pgs_lock_blocks(worst->lock), held_label, work, slow_label, line);
	if (n_held > 1)
		pgs_diag_note(ctx, d, "%zu locks taken earlier in the transaction are held through it",
			      n_held);
	bool dml = pgs_check_node(ctx)->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT ||
		   pgs_check_node(ctx)->node_case == PG_QUERY__NODE__NODE_DELETE_STMT ||
		   pgs_check_node(ctx)->node_case == PG_QUERY__NODE__NODE_MERGE_STMT;
	if (strcmp(slow->relation, worst->relation) == 0 && dml)
		pgs_diag_help(ctx, d,
			      "commit right after the statement on line %u, then change the rows in "
			      "batches, each batch in a transaction of its own",
			      line);
	else if (strcmp(slow->relation, worst->relation) == 0)
		pgs_diag_help(ctx, d,
			      "commit right after the statement on line %u, then run this one in a "
			      "transaction of its own",
			      line);
	else
		pgs_diag_help(ctx, d,
			      "run the %s of %s in a transaction of its own, before the statement on "
			      "line %u or after the transaction that took its lock commits",
			      work, slow_label, line);
}

const struct pgs_rule pgs_rule_slow_statement_after_strong_lock = {
	.id = "M305",
	.name = "slow-statement-after-strong-lock",
	.severity = PGS_SEV_WARNING,
	.summary = "a statement rewrites or scans a table while the transaction holds a lock that "
		   "blocks traffic",
	.docs = "## Problem\n\n"
		"A lock is held until the end of the transaction that took it, not the end of\n"
		"the statement. A quick statement that takes ACCESS EXCLUSIVE (ADD COLUMN,\n"
		"DROP CONSTRAINT, LOCK TABLE, ...) or another lock that blocks the\n"
		"application (SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE) is harmless alone; but\n"
		"when a later statement of the same transaction rewrites or scans a large\n"
		"table (an UPDATE of every row, CREATE INDEX, ALTER COLUMN TYPE, ADD CHECK\n"
		"...), the earlier lock stays held for the whole of that slow work. The\n"
		"classic case is a backfill in the same transaction as the ADD COLUMN:\n\n"
		"    BEGIN;\n"
		"    ALTER TABLE users ADD COLUMN active boolean;  -- ACCESS EXCLUSIVE\n"
		"    UPDATE users SET active = true;                -- every row, under it\n"
		"    COMMIT;\n\n"
		"Nobody can read or write `users` until the UPDATE ends.\n\n"
		"pgstage reports the slow statement and names the lock held, its table and\n"
		"the line where it was taken. It is not reported when the slow statement\n"
		"takes as strong a lock on that table itself (its own rewrite is then the\n"
		"problem, which other rules report), or when the locked table was created\n"
		"earlier in the file.\n\n"
		"## Safe alternative\n\n"
		"Commit right after the statement that takes the strong lock, and do the slow\n"
		"work in its own transaction; a backfill runs in batches, each batch its own\n"
		"transaction:\n\n"
		"    BEGIN;\n"
		"    ALTER TABLE users ADD COLUMN active boolean;\n"
		"    COMMIT;\n"
		"    UPDATE users SET active = true WHERE id BETWEEN 1 AND 10000;\n"
		"    -- ... next batches\n",
	.example_bad = "BEGIN;\n"
		       "ALTER TABLE users ADD COLUMN active boolean;\n"
		       "UPDATE users SET active = true;\n"
		       "COMMIT;",
	.example_good = "BEGIN;\n"
			"ALTER TABLE users ADD COLUMN active boolean;\n"
			"COMMIT;\n"
			"UPDATE users SET active = true;",
	.check = check,
};
