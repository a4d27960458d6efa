#include "lint/rule.h"

static void help(struct pgs_check *ctx, struct pgs_diag *d)
{
	if (pgs_check_pg_version(ctx) >= 19) {
		pgs_diag_help(ctx, d,
			      "PostgreSQL 19 reorders a table online with REPACK (CONCURRENTLY) t "
			      "USING INDEX i (SHARE UPDATE EXCLUSIVE, ACCESS EXCLUSIVE only to swap "
			      "the files; from its documentation)");
		return;
	}
	pgs_diag_help(ctx, d,
		      "reorder online with pg_repack (--order-by, or its CLUSTER mode) or pg_squeeze, "
		      "which hold ACCESS EXCLUSIVE only briefly at the end; otherwise run it in a "
		      "maintenance window. ALTER TABLE ... CLUSTER ON only marks the index (SHARE "
		      "UPDATE EXCLUSIVE) and reorders nothing");
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_CLUSTER_STMT)
		return;
	if (!node->cluster_stmt->relation) {
		struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
						"CLUSTER without a table rewrites every table clustered "
						"before, each under ACCESS EXCLUSIVE");
		help(ctx, d);
		return;
	}
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || !e->rewrite || pgs_check_created_in_this_file(ctx, e->relation))
		return;

	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"CLUSTER %s rewrites the whole table in index order while "
					"holding %s on it",
					label, pgs_lock_name(e->lock));
	pgs_diag_note_lock(ctx, d, e);
	pgs_diag_note(ctx, d, "the order is not kept: later inserts and updates go wherever there "
			      "is room, so CLUSTER has to be run again");
	help(ctx, d);
}

const struct pgs_rule pgs_rule_cluster_table = {
	.id = "M110",
	.name = "cluster-table",
	.severity = PGS_SEV_WARNING,
	.summary = "CLUSTER rewrites the table under ACCESS EXCLUSIVE",
	.docs = "## Problem\n\n"
		"`CLUSTER t [USING i]` rewrites the table and all its indexes in the order of\n"
		"the index while holding ACCESS EXCLUSIVE: no reads and no writes until the\n"
		"copy is done, which takes as long as reading, sorting and writing the whole\n"
		"table. It also needs free disk space for a full copy. The order is not\n"
		"maintained afterwards.\n\n"
		"## Safe alternative\n\n"
		"Before PostgreSQL 19 there is no in-core online CLUSTER (19 has `REPACK\n"
		"(CONCURRENTLY) t USING INDEX i`, which `pgstage plan --pg-version 19`\n"
		"writes; from the 19 documentation). pg_repack (`--order-by`, or its cluster\n"
		"mode) and pg_squeeze rebuild the table next to the old one and take ACCESS\n"
		"EXCLUSIVE only briefly to swap. Otherwise run CLUSTER in a maintenance window,\n"
		"outside the migration.\n\n"
		"`ALTER TABLE t CLUSTER ON i` is not flagged: it only records the index (SHARE\n"
		"UPDATE EXCLUSIVE). `CLUSTER` without a table name rewrites every table\n"
		"clustered before, one after the other. Tables created earlier in the same\n"
		"file are not flagged. This rule owns CLUSTER: `rewriting-table` does not\n"
		"report it again.\n",
	.example_bad = "CLUSTER orders USING orders_created_at_idx;",
	.example_good = "ALTER TABLE orders CLUSTER ON orders_created_at_idx;",
	.check = check,
};
