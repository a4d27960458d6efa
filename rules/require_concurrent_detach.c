#include <string.h>

#include "lint/rule.h"

static void report(struct pgs_check *ctx, size_t i, const PgQuery__PartitionCmd *pc,
		   const struct pgs_effect *e)
{
	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effect *pe =
	    pgs_effects_find(pgs_check_effects(ctx), pgs_model_key(model, pc->name));
	const char *parent = pgs_check_relation_label(ctx, e->relation);
	const char *part = pgs_check_relation_label(ctx, pgs_model_key(model, pc->name));
	int pg = pgs_check_pg_version(ctx);
	struct pgs_diag *d;
	if (pc->concurrent) /* only before 14: from 14 the lock would be SHARE UPDATE EXCLUSIVE */
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "DETACH PARTITION %s CONCURRENTLY does not exist before PostgreSQL "
			       "14, and the plain form blocks %s on %s",
			       part, pgs_lock_blocks(e->lock), parent);
	else
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "DETACH PARTITION %s without CONCURRENTLY blocks %s on %s while it "
			       "waits for its lock and runs",
			       part, pgs_lock_blocks(e->lock), parent);

	pgs_diag_note_lock(ctx, d, e);
	if (pe)
		pgs_diag_note_lock(ctx, d, pe);
	if (pg < 14) {
		d->severity = PGS_SEV_INFO;
		pgs_diag_note(ctx, d,
			      "DETACH PARTITION ... CONCURRENTLY needs PostgreSQL 14 or "
			      "later%s",
			      pc->concurrent ? ": the server rejects this statement" : "");
		pgs_diag_help(ctx, d,
			      "before 14 there is no concurrent form: set a short "
			      "lock_timeout and retry, at a quiet time");
		return;
	}

	struct pgs_table *pt = pgs_strmap_get(&model->tables, e->relation);
	const struct pgs_table *def = pgs_model_default_partition(model, e->relation);
	if (def) {
		pgs_diag_note(ctx, d,
			      "%s has a DEFAULT partition, %s: PostgreSQL refuses DETACH ... "
			      "CONCURRENTLY then",
			      parent, pgs_check_relation_label(ctx, def->key));
		pgs_diag_help(ctx, d,
			      "with a DEFAULT partition there is no concurrent form: set "
			      "a short lock_timeout and retry, at a quiet time");
		return;
	}
	pgs_diag_help(ctx, d,
		      "use DETACH PARTITION ... CONCURRENTLY, alone and outside a transaction "
		      "block: it takes SHARE UPDATE EXCLUSIVE on %s, so reads and writes go on; "
		      "if it is interrupted, finish it with DETACH PARTITION ... FINALIZE",
		      parent);
	/* Unsafe inside a transaction block (it fails), and when the history can't
	 * rule out a DEFAULT partition (PostgreSQL refuses it then). */
	bool known = pt && !pt->partial;
	struct pgs_span span = pgs_check_cmd_span(ctx, i);
	pgs_diag_fix(ctx, d,
		     known ? "add CONCURRENTLY"
			   : "add CONCURRENTLY (the parent must have no DEFAULT partition)",
		     known && !pgs_check_txn(ctx)->active);
	pgs_diag_edit(ctx, d, (struct pgs_span){span.end, span.end}, " CONCURRENTLY");
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	/* CONCURRENTLY shows as SHARE UPDATE EXCLUSIVE on the parent */
	if (!e || e->lock <= PGS_LOCK_SHARE_UPDATE_EXCLUSIVE ||
	    pgs_check_created_in_this_file(ctx, e->relation))
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
		    cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
		    cmd->def->partition_cmd->name)
			report(ctx, i, cmd->def->partition_cmd, e);
	}
}

const struct pgs_rule pgs_rule_require_concurrent_detach = {
    .id = "M119",
    .name = "require-concurrent-detach",
    .severity = PGS_SEV_WARNING,
    .summary = "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent",
    .docs = "## Problem\n\n"
	    "`ALTER TABLE p DETACH PARTITION c` takes ACCESS EXCLUSIVE on the partitioned\n"
	    "table `p` and on `c`. It is quick, but it first waits for every transaction\n"
	    "using `p` (any partition of it), and every query on `p` waits behind it.\n\n"
	    "## Safe alternative\n\n"
	    "From PostgreSQL 14, `ALTER TABLE p DETACH PARTITION c CONCURRENTLY` takes SHARE\n"
	    "UPDATE EXCLUSIVE on `p` instead (ACCESS EXCLUSIVE only on `c`, at the end):\n"
	    "reads and writes of the other partitions go on. It runs in two transactions,\n"
	    "so it cannot run inside a transaction block; it is refused when `p` has a\n"
	    "DEFAULT partition; and if it is interrupted, `ALTER TABLE p DETACH PARTITION c\n"
	    "FINALIZE` completes it.\n\n"
	    "Before 14 there is no concurrent form: the finding is info. The fix appends\n"
	    "CONCURRENTLY; it is marked safe only outside a transaction block and when the\n"
	    "migration history shows the parent and no DEFAULT partition.\n",
    .example_bad = "ALTER TABLE events DETACH PARTITION events_2019;",
    .example_good = "ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;",
    .check = check,
};
