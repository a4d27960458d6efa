#include "lint/rule.h"
#include "rules/rule_util.h"

/* The strongest lock the transaction already holds on relation, or NULL. */
static const struct pgs_txn_lock *held(struct pgs_check *ctx, const char *relation)
{
	const struct pgs_txn_relation *r = pgs_check_txn_relation(ctx, relation);

	return r ? &pgs_check_txn(ctx)->locks[r->strongest] : NULL;
}

/* The earlier action of this ALTER TABLE that adds constraint name NOT VALID, or NULL. */
static const PgQuery__Constraint *added_earlier_in_statement(const PgQuery__AlterTableStmt *as,
							     size_t before, const char *name)
{
	for (size_t i = 0; i < before; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if ((cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint ||
		     cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse) &&
		    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cmd->def->constraint->skip_validation && cmd->def->constraint->conname &&
		    strcmp(cmd->def->constraint->conname, name) == 0)
			return cmd->def->constraint;
	}
	return NULL;
}

/* Where the transaction comes from, for the message. */
static const char *which_transaction(struct pgs_check *ctx, bool same_statement)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);

	if (same_statement)
		return "the same ALTER TABLE";
	if (txn->by_option)
		return "the transaction --assume-in-transaction says this file runs in";
	if (txn->by_tool)
		return pgs_arena_printf(pgs_check_arena(ctx), "the transaction %s runs this file in",
					pgs_tool_name(pgs_check_tool(ctx)));
	return pgs_arena_printf(pgs_check_arena(ctx), "the transaction block opened by %s on line %u",
				txn->opened_by, pgs_check_pos(ctx, txn->began_at).line);
}

static const char *how_to_split(struct pgs_check *ctx, bool same_statement)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);

	if (same_statement)
		return "make them two statements in two transactions: ADD CONSTRAINT ... NOT VALID, "
		       "commit, then VALIDATE CONSTRAINT, ideally in a later migration";
	if (!txn->by_tool || txn->by_option)
		return "COMMIT after the ADD CONSTRAINT ... NOT VALID and VALIDATE in a new "
		       "transaction, ideally a later migration";
	return pgs_arena_printf(pgs_check_arena(ctx),
				"move the VALIDATE CONSTRAINT to a later migration file (%s runs "
				"each file in one transaction)",
				pgs_tool_name(pgs_check_tool(ctx)));
}

static void report(struct pgs_check *ctx, size_t i, const char *table,
		   const struct pgs_constraint *con, bool same_statement)
{
	const struct pgs_effect *self = pgs_check_main_effect(ctx);
	const char *label = pgs_check_relation_label(ctx, table);
	const struct pgs_txn_lock *l = same_statement ? NULL : held(ctx, table);
	enum pgs_lock lock = l ? l->lock : self->lock;
	struct pgs_diag *d = pgs_report(
		ctx, pgs_check_cmd_span(ctx, i),
		"VALIDATE CONSTRAINT %s runs in the same transaction as its ADD CONSTRAINT ... NOT "
		"VALID (%s): the scan happens while %s on %s is still held",
		pgs_check_quote(ctx, con->name), which_transaction(ctx, same_statement),
		pgs_lock_name(lock), label);

	if (l)
		pgs_diag_note(ctx, d, "%s on %s, taken on line %u, is held until the transaction ends: "
				      "it blocks %s during the whole scan",
			      pgs_lock_name(l->lock), label, pgs_check_pos(ctx, l->offset).line,
			      pgs_lock_blocks(l->lock));
	else
		pgs_diag_note_lock(ctx, d, self);
	if (con->kind == PGS_CON_FOREIGN_KEY && con->referenced &&
	    strcmp(con->referenced, table) != 0) {
		const struct pgs_txn_lock *r = same_statement ? NULL : held(ctx, con->referenced);
		const struct pgs_effect *re = pgs_effects_find(pgs_check_effects(ctx), con->referenced);
		enum pgs_lock rl = r ? r->lock : re ? re->lock : PGS_LOCK_NONE;
		if (pgs_lock_blocks(rl))
			pgs_diag_note(ctx, d,
				      "%s on the referenced table %s is held too: it blocks %s "
				      "there",
				      pgs_lock_name(rl), pgs_check_relation_label(ctx, con->referenced),
				      pgs_lock_blocks(rl));
	}
	pgs_diag_help(ctx, d,
		      "%s; on its own, VALIDATE CONSTRAINT takes only SHARE UPDATE EXCLUSIVE, so "
		      "reads and writes go on during the scan",
		      how_to_split(ctx, same_statement));
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    !node->alter_table_stmt->relation)
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	/* NULL for a table first seen in this very statement */
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), as->relation);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if ((cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint &&
		     cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse) ||
		    !cmd->name)
			continue;
		const PgQuery__Constraint *c = added_earlier_in_statement(as, i, cmd->name);
		if (c) {
			bool fk = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && c->pktable;
			struct pgs_constraint added = {
				.name = cmd->name,
				.kind = fk ? PGS_CON_FOREIGN_KEY : PGS_CON_CHECK,
				.referenced = fk ? pgs_model_key(pgs_check_model(ctx), c->pktable)
						 : NULL,
			};
			report(ctx, i, e->relation, &added, true);
			continue;
		}
		/* each VALIDATE is judged by its own constraint only */
		const struct pgs_constraint *con = t ? pgs_table_constraint(t, cmd->name) : NULL;
		if (con && !con->validated && txn->active && con->txn_id == txn->id)
			report(ctx, i, e->relation, con, false);
	}
}

const struct pgs_rule pgs_rule_validate_in_same_transaction = {
	.id = "M106",
	.name = "validate-in-same-transaction",
	.severity = PGS_SEV_WARNING,
	.summary = "VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID scans "
		   "under the ADD's lock",
	.docs = "## Problem\n\n"
		"`ADD CONSTRAINT ... NOT VALID` followed by `VALIDATE CONSTRAINT` is the safe way\n"
		"to add a CHECK or a foreign key, but only when the two run in different\n"
		"transactions. Locks are held until the transaction ends: in the same\n"
		"transaction, the VALIDATE's full scan runs while the ADD's lock is still held,\n"
		"ACCESS EXCLUSIVE for a CHECK (no reads, no writes) or SHARE ROW EXCLUSIVE on\n"
		"both tables for a foreign key (no writes). That is exactly what NOT VALID was\n"
		"meant to avoid.\n\n"
		"The transaction may be an explicit BEGIN ... COMMIT, or the one the migration\n"
		"tool wraps each file in (goose, dbmate and flyway do; so does golang-migrate\n"
		"for a file of several statements).\n\n"
		"## Safe alternative\n\n"
		"Commit after the `ADD CONSTRAINT ... NOT VALID` and run `VALIDATE CONSTRAINT`\n"
		"in a new transaction, usually a later migration file. On its own it takes SHARE\n"
		"UPDATE EXCLUSIVE (and ROW SHARE on a foreign key's referenced table), so reads\n"
		"and writes go on during the scan.\n\n"
		"Each VALIDATE is judged by its own constraint: validating a constraint added\n"
		"in an earlier transaction is fine even if another one was added in this one.\n",
	.example_bad = "BEGIN;\n"
		       "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) "
		       "NOT VALID;\n"
		       "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\n"
		       "COMMIT;",
	.example_good = "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) "
			"NOT VALID;\n"
			"ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
	.check = check,
};
