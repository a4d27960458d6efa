#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_NAMED 6 /* as many notes as a finding holds */

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_TRUNCATE_STMT)
		return;
	const PgQuery__TruncateStmt *ts = node->truncate_stmt;
	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *flagged[MAX_NAMED];
	const char *keys[MAX_NAMED];
	size_t n = 0;

	/* the tables named in the statement; CASCADE's are truncate-cascade's */
	for (size_t i = 0; i < ts->n_relations && n < MAX_NAMED; i++) {
		if (ts->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		const char *key = pgs_model_key(model, ts->relations[i]->range_var);
		const struct pgs_effect *e = pgs_effects_find(fx, key);
		if (!e || !pgs_lock_blocks(e->lock) || pgs_check_created_in_this_file(ctx, key))
			continue;
		bool seen = false;
		for (size_t k = 0; k < n; k++)
			seen |= flagged[k] == e;
		if (!seen) {
			flagged[n] = e;
			keys[n++] = e->relation;
		}
	}
	if (!n)
		return;
	const char *list = pgs_rules_join_relations(ctx, keys, n, true);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"TRUNCATE deletes every row of %s while holding %s on %s", list,
					pgs_lock_name(flagged[0]->lock), n > 1 ? "them" : "it");
	for (size_t i = 0; i < n; i++) {
		/* a new, empty file replaces the old one: nothing is copied */
		struct pgs_effect lock_only = *flagged[i];
		lock_only.rewrite = lock_only.scan = false;
		pgs_diag_note_lock(ctx, d, &lock_only);
	}
	pgs_diag_note(ctx, d, "TRUNCATE is not MVCC-safe: transactions whose snapshot is older "
			      "see the table empty once it commits");
	if (ts->restart_seqs)
		pgs_diag_note(ctx, d, "RESTART IDENTITY also resets the sequences owned by columns "
				      "of the truncated tables");
	pgs_diag_help(ctx, d,
		      "if the table is in use, DELETE the rows in batches instead (ROW EXCLUSIVE: "
		      "reads and other writes go on); if it must be emptied at once, keep the "
		      "TRUNCATE alone with a short lock_timeout and make sure the data is meant to "
		      "go");
}

const struct pgs_rule pgs_rule_truncate_table = {
	.id = "M116",
	.name = "truncate-table",
	.severity = PGS_SEV_WARNING,
	.summary = "TRUNCATE takes ACCESS EXCLUSIVE and deletes every row of an existing table",
	.docs = "## Problem\n\n"
		"`TRUNCATE t` takes ACCESS EXCLUSIVE on each table it empties: it is quick, but\n"
		"it waits for every transaction using the table, and every query after it waits\n"
		"behind it. All rows are gone at commit, and TRUNCATE is not MVCC-safe:\n"
		"transactions with an older snapshot see the table empty. `RESTART IDENTITY`\n"
		"also resets the sequences the table owns. In a migration it is usually either\n"
		"a data loss or a table that should have been handled differently.\n\n"
		"## Safe alternative\n\n"
		"- If the table is in use, `DELETE` the rows in batches: ROW EXCLUSIVE lets\n"
		"  reads and other writes go on.\n"
		"- If it must be emptied at once, keep the TRUNCATE alone with a short\n"
		"  `lock_timeout`, and be sure the data is meant to go.\n\n"
		"The tables `CASCADE` adds are reported by `truncate-cascade`. Tables created\n"
		"earlier in the same file are not flagged.\n",
	.example_bad = "TRUNCATE audit_log;",
	.example_good = "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log LIMIT 10000);",
	.check = check,
};
