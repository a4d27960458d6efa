#include <string.h>

#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_CREATE_STMT || !node->create_stmt->partbound ||
	    node->create_stmt->n_inh_relations != 1 ||
	    node->create_stmt->inh_relations[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
		return;
	const PgQuery__CreateStmt *cs = node->create_stmt;
	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const char *parent_key = pgs_model_key(model, cs->inh_relations[0]->range_var);
	const char *new_key = pgs_model_key(model, cs->relation);
	const struct pgs_effect *pe = pgs_effects_find(fx, parent_key);
	if (!pe || !pgs_lock_blocks(pe->lock) || pgs_check_created_in_this_file(ctx, parent_key))
		return;

	const char *parent = pgs_check_relation_label(ctx, parent_key);
	const char *part = pgs_check_relation_label(ctx, new_key);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"CREATE TABLE %s PARTITION OF %s takes %s on %s, which blocks %s "
					"on it",
					part, parent, pgs_lock_name(pe->lock), parent,
					pgs_lock_blocks(pe->lock));
	pgs_diag_note_lock(ctx, d, pe);
	/* the DEFAULT partition, scanned for rows that belong to the new one */
	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (e != pe && strcmp(e->relation, new_key) != 0 && e->scan &&
		    !pgs_check_created_in_this_file(ctx, e->relation))
			pgs_diag_note_lock(ctx, d, e);
	}
	if (pgs_check_pg_version(ctx) < 12) {
		d->severity = PGS_SEV_INFO;
		pgs_diag_help(ctx, d,
			      "before PostgreSQL 12 ATTACH PARTITION takes ACCESS EXCLUSIVE on the "
			      "parent too: there is no lighter way; set a short lock_timeout and "
			      "retry");
		return;
	}
	pgs_diag_help(ctx, d,
		      "create %s as a standalone table (CREATE TABLE %s (LIKE %s INCLUDING "
		      "DEFAULTS INCLUDING CONSTRAINTS)), then ALTER TABLE %s ATTACH PARTITION %s "
		      "FOR VALUES ...: it takes only SHARE UPDATE EXCLUSIVE on %s, and the empty "
		      "new table is checked at once",
		      part, part, parent, parent, part, parent);
}

const struct pgs_rule pgs_rule_create_table_partition_of = {
	.id = "M121",
	.name = "create-table-partition-of",
	.severity = PGS_SEV_WARNING,
	.summary = "CREATE TABLE ... PARTITION OF takes ACCESS EXCLUSIVE on the existing parent",
	.docs = "## Problem\n\n"
		"`CREATE TABLE c PARTITION OF p FOR VALUES ...` takes ACCESS EXCLUSIVE on the\n"
		"partitioned table `p`: queries on every partition of `p` wait for it, and it\n"
		"first waits for every transaction using `p`. If `p` has a DEFAULT partition,\n"
		"that one is scanned too, under ACCESS EXCLUSIVE, for rows that belong to the\n"
		"new partition.\n\n"
		"## Safe alternative (PostgreSQL 12 and later)\n\n"
		"1. `CREATE TABLE c (LIKE p INCLUDING DEFAULTS INCLUDING CONSTRAINTS);`\n"
		"2. `ALTER TABLE p ATTACH PARTITION c FOR VALUES ...;` takes only SHARE UPDATE\n"
		"   EXCLUSIVE on `p` (ACCESS EXCLUSIVE on `c`, which nobody uses yet); the new\n"
		"   table is empty, so checking its rows is instant.\n\n"
		"A DEFAULT partition is still scanned by ATTACH unless it has a validated CHECK\n"
		"excluding the new bound (see `attach-partition-without-check`). Before\n"
		"PostgreSQL 12 ATTACH PARTITION locks the parent ACCESS EXCLUSIVE too, so there\n"
		"is no lighter way: the finding is info. Parents created earlier in the same\n"
		"file are not flagged.\n",
	.example_bad = "CREATE TABLE events_2025 PARTITION OF events\n"
		       "    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
	.example_good = "CREATE TABLE events_2025 (LIKE events INCLUDING DEFAULTS INCLUDING "
			"CONSTRAINTS);\n"
			"ALTER TABLE events ATTACH PARTITION events_2025\n"
			"    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
	.check = check,
};
