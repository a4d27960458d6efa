#include <string.h>

#include "lint/rule.h"

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	bool update = node->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT;

	if (!update && node->node_case != PG_QUERY__NODE__NODE_DELETE_STMT)
		return;
	const PgQuery__RangeVar *target =
		update ? node->update_stmt->relation : node->delete_stmt->relation;
	const PgQuery__Node *where =
		update ? node->update_stmt->where_clause : node->delete_stmt->where_clause;
	if (!target || where)
		return;
	const struct pgs_effect *e = pgs_effects_find(
		pgs_check_effects(ctx), pgs_model_key(pgs_check_model(ctx), target));
	/* every row is affected (no WHERE); effects scan the target */
	if (!e || !e->scan || pgs_check_created_in_this_file(ctx, e->relation))
		return;

	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d =
		pgs_report(ctx, pgs_check_stmt(ctx)->span,
			   update ? "UPDATE without WHERE changes every row of %s in one transaction"
				  : "DELETE without WHERE deletes every row of %s in one transaction",
			   label);
	pgs_diag_note(ctx, d,
		      "every %s row stays locked until the transaction commits: other sessions' "
		      "UPDATE, DELETE and SELECT ... FOR UPDATE of those rows wait that long",
		      update ? "updated" : "deleted");
	if (update)
		pgs_diag_note(ctx, d,
			      "each row leaves its old version behind until VACUUM reclaims it "
			      "(the table can double in size), and the whole change reaches the WAL "
			      "at once, so replicas fall behind");
	else
		pgs_diag_note(ctx, d,
			      "the deleted rows stay on disk as dead versions until VACUUM reclaims "
			      "them, and the whole change reaches the WAL at once, so replicas fall "
			      "behind");
	/* a strong lock taken earlier in the transaction is held for the whole change */
	const struct pgs_txn_relation *r = pgs_check_txn_relation(ctx, e->relation);
	const struct pgs_txn_lock *l = r && !r->new_here ? &pgs_check_txn(ctx)->locks[r->first] : NULL;
	if (l && pgs_lock_blocks(l->lock))
		pgs_diag_note(ctx, d,
			      "this transaction took %s on %s on line %u: %s wait until the %s "
			      "is done and the transaction commits",
			      pgs_lock_name(l->lock), label, pgs_check_pos(ctx, l->offset).line,
			      pgs_lock_blocks(l->lock), update ? "UPDATE" : "DELETE");
	if (update)
		pgs_diag_help(ctx, d,
			      "backfill in batches by primary key (WHERE id >= $1 AND id < $1 + "
			      "10000), each batch in its own transaction, outside the migration's "
			      "transaction (pgstage plan does this)");
	else
		pgs_diag_help(ctx, d,
			      "delete in batches by primary key, each batch in its own "
			      "transaction; to empty the table, TRUNCATE %s is instant (but takes "
			      "ACCESS EXCLUSIVE briefly)",
			      label);
}

const struct pgs_rule pgs_rule_update_or_delete_without_where = {
	.id = "M210",
	.name = "update-or-delete-without-where",
	.severity = PGS_SEV_WARNING,
	.summary = "UPDATE or DELETE of every row of an existing table in one statement",
	.docs = "## Problem\n\n"
		"An `UPDATE` or `DELETE` without `WHERE` (a backfill, a cleanup) changes\n"
		"every row of the table in one transaction:\n\n"
		"- every changed row stays locked until the transaction commits, so the\n"
		"  application's own updates and deletes of those rows wait, possibly for\n"
		"  minutes; inside a migration transaction that also ran DDL, the DDL's\n"
		"  locks are held that long too;\n"
		"- each changed row leaves a dead row version behind until VACUUM reclaims\n"
		"  it: an UPDATE of every row can double the table's size;\n"
		"- the whole change is written to the WAL at once, and replicas fall behind\n"
		"  while they replay it.\n\n"
		"## Safe alternative\n\n"
		"Change the rows in batches by primary key, each batch in its own\n"
		"transaction, outside the migration's transaction:\n\n"
		"```sql\n"
		"UPDATE orders SET status = 'new' WHERE id >= 1 AND id < 10001 AND status IS NULL;\n"
		"-- commit, then the next range, pausing if replicas lag\n"
		"```\n\n"
		"To empty a table, `TRUNCATE` is instant (it takes ACCESS EXCLUSIVE\n"
		"briefly). Tables created earlier in the same file are not flagged.\n",
	.example_bad = "UPDATE orders SET status = 'new';",
	.example_good = "UPDATE orders SET status = 'new' WHERE id >= 1 AND id < 10001;",
	.check = check,
};
