#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_NAMED 6 /* as many notes as a finding holds */

struct referenced {
	const struct pgs_effect *items[MAX_NAMED];
	const char *keys[MAX_NAMED];
	size_t n;
};

/*
 * Whether an earlier statement of the transaction already holds a lock on
 * the relation at least as strong as lock: the foreign key then blocks
 * nothing more until the commit (the modes from SHARE ROW EXCLUSIVE up each
 * conflict with all that the weaker ones conflict with).
 */
static bool held_already(struct pgs_check *ctx, const char *relation, enum pgs_lock lock)
{
	const struct pgs_txn_relation *r = pgs_check_txn_relation(ctx, relation);

	return r && lock >= PGS_LOCK_SHARE_ROW_EXCLUSIVE &&
	       pgs_check_txn(ctx)->locks[r->strongest].lock >= lock;
}

/* A foreign key constraint node: the referenced table's effect, when it is worth reporting. */
static void add_reference(struct pgs_check *ctx, struct referenced *r, const PgQuery__Node *n,
			  const char *self)
{
	if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT ||
	    n->constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || !n->constraint->pktable)
		return;
	const char *key = pgs_model_key(pgs_check_model(ctx), n->constraint->pktable);
	const struct pgs_effect *e = pgs_effects_find(pgs_check_effects(ctx), key);
	/* a validating foreign key is constraint-missing-not-valid's; a new table is
	 * nobody else's yet */
	if (!e || e->scan || !pgs_lock_blocks(e->lock) || strcmp(key, self) == 0 ||
	    pgs_check_created_in_this_file(ctx, key) || held_already(ctx, key, e->lock))
		return;
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i] == e)
			return;
	if (r->n < MAX_NAMED) {
		r->items[r->n] = e;
		r->keys[r->n++] = e->relation;
	}
}

static void constraints_of(struct pgs_check *ctx, struct referenced *r, const PgQuery__Node *n,
			   const char *self)
{
	if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
		for (size_t k = 0; k < n->column_def->n_constraints; k++)
			add_reference(ctx, r, n->column_def->constraints[k], self);
	} else {
		add_reference(ctx, r, n, self);
	}
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	struct referenced r = {.n = 0};
	const char *self;

	if (!pgs_check_txn(ctx)->active)
		return;
	if (node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT && node->create_stmt->relation) {
		const PgQuery__CreateStmt *cs = node->create_stmt;
		self = pgs_model_key(pgs_check_model(ctx), cs->relation);
		for (size_t i = 0; i < cs->n_table_elts; i++)
			constraints_of(ctx, &r, cs->table_elts[i], self);
		for (size_t i = 0; i < cs->n_constraints; i++)
			constraints_of(ctx, &r, cs->constraints[i], self);
	} else if (node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
		   node->alter_table_stmt->relation &&
		   node->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
		self = pgs_model_key(pgs_check_model(ctx), as->relation);
		for (size_t i = 0; i < as->n_cmds; i++) {
			const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
			if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD || !cmd->def)
				continue;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn ||
			    cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint)
				constraints_of(ctx, &r, cmd->def, self);
		}
	} else {
		return;
	}
	if (!r.n || !pgs_rules_txn_goes_on(ctx))
		return;

	const char *list = pgs_rules_join_relations(ctx, r.keys, r.n, true);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"the foreign key%s to %s take%s %s on %s, and the transaction "
					"keeps it until it commits: %s on %s wait that long",
					r.n > 1 ? "s" : "", list, r.n > 1 ? "" : "s",
					pgs_lock_name(r.items[0]->lock), r.n > 1 ? "them" : "it",
					pgs_lock_blocks(r.items[0]->lock), list);
	for (size_t i = 0; i < r.n; i++)
		pgs_diag_note_lock(ctx, d, r.items[i]);
	pgs_diag_note(ctx, d, "no rows are checked here, so the statement itself is quick; the "
			      "statements after it in the transaction are what keep the lock");
	pgs_diag_help(ctx, d,
		      "end the transaction right after this statement, or add the foreign key "
		      "last; a migration tool's transaction ends with the file, so a migration of "
		      "its own also works");
}

const struct pgs_rule pgs_rule_foreign_key_lock_held_in_transaction = {
	.id = "M122",
	.name = "foreign-key-lock-held-in-transaction",
	.severity = PGS_SEV_INFO,
	.summary = "a new foreign key locks the referenced table SHARE ROW EXCLUSIVE until the "
		   "transaction commits",
	.docs = "## Problem\n\n"
		"Adding a foreign key takes SHARE ROW EXCLUSIVE on the referenced table, which\n"
		"blocks its writes. When nothing needs validating the statement is quick:\n\n"
		"- `CREATE TABLE c (..., p_id bigint REFERENCES p)`: the new table is empty;\n"
		"- `ALTER TABLE c ADD COLUMN p_id bigint REFERENCES p`: the new column is NULL;\n"
		"- `ALTER TABLE c ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID`.\n\n"
		"But locks are held until the transaction ends. Inside a transaction that goes\n"
		"on after the statement (a BEGIN block, or the transaction goose, dbmate or\n"
		"flyway wrap a file in), every INSERT, UPDATE and DELETE on the referenced table\n"
		"waits until the whole transaction commits. This is info, not a warning: no\n"
		"table is scanned, and the cost is the length of the rest of the transaction.\n"
		"A foreign key that validates existing rows is `constraint-missing-not-valid`'s.\n\n"
		"## Safe alternative\n\n"
		"End the transaction right after the statement, or add the foreign key last in\n"
		"it (with a migration tool, a file of its own ends the transaction). Referenced\n"
		"tables created earlier in the same file are not flagged, nor those an earlier\n"
		"statement of the transaction already locks as strongly (its lock is held until\n"
		"the commit anyway).\n",
	.example_bad = "BEGIN;\n"
		       "CREATE TABLE invoices (id bigint, customer_id bigint REFERENCES customers (id));\n"
		       "INSERT INTO invoices SELECT id, customer_id FROM legacy_invoices;\n"
		       "COMMIT;",
	.example_good = "BEGIN;\n"
			"CREATE TABLE invoices (id bigint, customer_id bigint);\n"
			"INSERT INTO invoices SELECT id, customer_id FROM legacy_invoices;\n"
			"ALTER TABLE invoices ADD CONSTRAINT invoices_customer_fk\n"
			"    FOREIGN KEY (customer_id) REFERENCES customers (id);\n"
			"COMMIT;",
	.check = check,
};
