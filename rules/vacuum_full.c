#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_NAMED 6 /* as many notes as a finding holds */

static void help(struct pgs_check *ctx, struct pgs_diag *d)
{
	if (pgs_check_pg_version(ctx) >= 19)
		pgs_diag_help(ctx, d,
			      "PostgreSQL 19 rewrites a table online with REPACK (CONCURRENTLY) t "
			      "(SHARE UPDATE EXCLUSIVE, ACCESS EXCLUSIVE only to swap the files; "
			      "from its documentation); a plain VACUUM makes dead space reusable "
			      "while reads and writes go on");
	else
		pgs_diag_help(ctx, d,
			      "a plain VACUUM (SHARE UPDATE EXCLUSIVE) makes dead space reusable "
			      "while reads and writes go on; to give space back to the operating "
			      "system online, use pg_repack or pg_squeeze; otherwise run VACUUM FULL "
			      "in a maintenance window, outside the migration");
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_VACUUM_STMT || !node->vacuum_stmt->is_vacuumcmd)
		return;
	const PgQuery__VacuumStmt *vs = node->vacuum_stmt;
	/* the whole database: no effect names a table */
	if (vs->n_rels == 0) {
		if (!pgs_option_on(vs->options, vs->n_options, "full"))
			return;
		struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
						"VACUUM FULL without a table rewrites every table of "
						"the database, each under ACCESS EXCLUSIVE");
		help(ctx, d);
		return;
	}
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *flagged[MAX_NAMED];
	const char *keys[MAX_NAMED];
	size_t n = 0;

	/* VACUUM FULL rewrites; a plain VACUUM only scans */
	for (size_t i = 0; i < fx->n && n < MAX_NAMED; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (e->rewrite && pgs_lock_blocks(e->lock) &&
		    !pgs_check_created_in_this_file(ctx, e->relation)) {
			flagged[n] = e;
			keys[n++] = e->relation;
		}
	}
	if (!n)
		return;
	/* several tables are done one after the other, each in its own transaction */
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"VACUUM FULL rewrites %s while holding %s on %s",
					pgs_rules_join_relations(ctx, keys, n, true),
					pgs_lock_name(flagged[0]->lock), n > 1 ? "each in turn" : "it");
	for (size_t i = 0; i < n; i++)
		pgs_diag_note_lock(ctx, d, flagged[i]);
	help(ctx, d);
}

const struct pgs_rule pgs_rule_vacuum_full = {
	.id = "M111",
	.name = "vacuum-full",
	.severity = PGS_SEV_WARNING,
	.summary = "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
	.docs = "## Problem\n\n"
		"`VACUUM FULL t` (or `VACUUM (FULL) t`) writes a new copy of the table and all\n"
		"its indexes while holding ACCESS EXCLUSIVE: no reads and no writes until the\n"
		"copy is done. It needs free disk space for the copy, and it can't run inside\n"
		"a transaction block.\n\n"
		"## Safe alternative\n\n"
		"- A plain `VACUUM t` takes SHARE UPDATE EXCLUSIVE: reads and writes go on, and\n"
		"  the dead space becomes reusable (autovacuum usually does this already).\n"
		"- To shrink the files online, pg_repack or pg_squeeze rebuild the table next to\n"
		"  the old one and take ACCESS EXCLUSIVE only briefly to swap. PostgreSQL 19\n"
		"  does it in core: `REPACK (CONCURRENTLY) t` (for a logged, non-partitioned\n"
		"  table with a primary key; `pgstage plan --pg-version 19` writes it; from the\n"
		"  19 documentation).\n"
		"- Otherwise run VACUUM FULL in a maintenance window, not in a migration.\n\n"
		"`VACUUM FULL` without table names rewrites every table of the database, one\n"
		"after the other. Tables created earlier in the same file are not flagged.\n"
		"This rule owns VACUUM FULL: `rewriting-table` does not report it again.\n",
	.example_bad = "VACUUM FULL orders;",
	.example_good = "VACUUM (ANALYZE) orders;",
	.check = check,
};
