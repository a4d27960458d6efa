#include "lint/rule.h"
#include "rules/rule_util.h"

/* The transaction already reported, so its later tables are not reported again. */
struct state {
	unsigned txn_id;
	uint32_t at; /* start of the reported statement */
};

static const char *how_to_split(struct pgs_check *ctx)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);

	if (!txn->by_tool)
		return "COMMIT after the statements on one table and BEGIN a new transaction for "
		       "the next (or put each in a migration of its own)";
	if (txn->by_option)
		return "change one table per migration file, so that each runs in a transaction "
		       "of its own";
	if (pgs_check_multi_statement(ctx))
		return pgs_arena_printf(pgs_check_arena(ctx),
					"change one table per migration file: %s sends a file of several "
					"statements as one query, which runs as one transaction",
					pgs_tool_name(pgs_check_tool(ctx)));
	return pgs_arena_printf(pgs_check_arena(ctx),
				"change one table per migration file: %s commits each file as one "
				"transaction",
				pgs_tool_name(pgs_check_tool(ctx)));
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	void **slot = pgs_check_state(ctx);
	struct state *st = *slot;

	if (!txn->active || !txn->n_locks)
		return;
	struct pgs_diag *last = pgs_check_last_diag(ctx);
	if (st && last && st->txn_id == txn->id && last->span.start == st->at)
		return; /* one finding per transaction */

	/* the strongest lock the transaction holds on a table that existed before this file */
	const struct pgs_txn_relation *strongest = pgs_check_txn_strongest(ctx, NULL, NULL);
	if (!strongest)
		return;
	const struct pgs_txn_lock *shown = &txn->locks[strongest->strongest];
	size_t n_tables = txn->n_existing;

	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *added = NULL;
	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (!pgs_rules_blocks_writes(e->lock) || !pgs_rules_is_existing(ctx, e) ||
		    pgs_check_txn_relation(ctx, e->relation))
			continue;
		if (!added || e->lock > added->lock)
			added = e;
	}
	if (!added)
		return;

	const char *held_label = pgs_check_relation_label(ctx, shown->relation);
	const char *label = pgs_check_relation_label(ctx, added->relation);
	struct pgs_diag *d = pgs_report(
		ctx, pgs_check_stmt(ctx)->span,
		"%s takes %s on %s while this transaction still holds %s on %s (taken on line %u)",
		pgs_rules_stmt_name(pgs_check_node(ctx)), pgs_lock_name(added->lock), label,
		pgs_lock_name(shown->lock), held_label, pgs_check_pos(ctx, shown->offset).line);
	pgs_diag_note(ctx, d,
		      "both locks last until the transaction ends, so %s on %s and %s on %s stay "
		      "blocked together until then",
		      pgs_lock_blocks(shown->lock), held_label, pgs_lock_blocks(added->lock), label);
	pgs_diag_note(ctx, d,
		      "an application transaction that has %s %s and then %s %s waits for the "
		      "migration, which waits for it: PostgreSQL breaks such a deadlock by "
		      "aborting one of them",
		      pgs_rules_blocks_reads(added->lock) ? "used" : "written to", label,
		      pgs_rules_blocks_reads(shown->lock) ? "uses" : "writes to", held_label);
	if (n_tables > 1)
		pgs_diag_note(ctx, d, "the transaction already holds such locks on %zu tables",
			      n_tables);
	pgs_diag_help(ctx, d, "%s", how_to_split(ctx));
	if (!st)
		st = *slot = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*st));
	st->txn_id = txn->id;
	st->at = pgs_check_stmt(ctx)->span.start;
}

const struct pgs_rule pgs_rule_multiple_strong_locks = {
	.id = "M304",
	.name = "multiple-strong-locks",
	.severity = PGS_SEV_WARNING,
	.summary = "one transaction holds locks that block traffic on two or more existing tables",
	.docs = "## Problem\n\n"
		"Every lock a statement takes is held until its transaction ends. When one\n"
		"transaction takes locks that block the application (SHARE or stronger:\n"
		"writes blocked; ACCESS EXCLUSIVE: reads too) on two existing tables, both\n"
		"tables stay blocked from the shown lock to COMMIT, through every statement\n"
		"in between: the outage is wider and longer than either change needs.\n\n"
		"It can also deadlock: while the migration holds its lock on the shown table\n"
		"and waits for the second, an application transaction that already wrote to\n"
		"the second table and now needs the shown waits for the migration. PostgreSQL\n"
		"detects the cycle after `deadlock_timeout` and aborts one of the two\n"
		"transactions, possibly the migration.\n\n"
		"pgstage reports the statement that adds the second table to the\n"
		"transaction, once per transaction. The transaction may be an explicit\n"
		"BEGIN ... COMMIT, the one goose, dbmate or flyway wraps a migration in, the\n"
		"implicit one of a golang-migrate file with several statements, or the one\n"
		"`--assume-in-transaction` assumes. Tables created earlier in the file don't\n"
		"count (nobody else uses them yet), nor do locks that block no traffic\n"
		"(SHARE UPDATE EXCLUSIVE: VALIDATE CONSTRAINT, CREATE INDEX CONCURRENTLY).\n"
		"A single statement that locks two tables (a foreign key locks both) is not\n"
		"reported here: it cannot be split.\n\n"
		"## Safe alternative\n\n"
		"Change one table per transaction: COMMIT between the tables, or write one\n"
		"migration file per table. With a lock_timeout on each, each step either\n"
		"gets its lock quickly or fails and can be retried alone.\n",
	.example_bad = "BEGIN;\n"
		       "ALTER TABLE users ADD COLUMN nickname text;\n"
		       "ALTER TABLE orders ADD COLUMN note text;\n"
		       "COMMIT;",
	.example_good = "BEGIN;\n"
			"ALTER TABLE users ADD COLUMN nickname text;\n"
			"COMMIT;\n"
			"BEGIN;\n"
			"ALTER TABLE orders ADD COLUMN note text;\n"
			"COMMIT;",
	.check = check,
};
