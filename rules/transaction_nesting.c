#include "lint/rule.h"
#include "rules/rule_util.h"

struct state {
	bool option;       /* --assume-in-transaction: the file started in the runner's transaction */
	uint32_t ended_at; /* the last COMMIT or ROLLBACK that ended a transaction, + 1 */
};

/* What to do in a file the tool (or the runner) wraps in a transaction. */
static const char *own_transactions(struct pgs_check *ctx, bool option, const char *remove)
{
	const char *rest;

	if (option)
		rest = "the runner already wraps the file in a transaction "
		       "(--assume-in-transaction); lint files that manage their own transactions "
		       "with --no-transaction";
	else if (pgs_check_tool(ctx) == PGS_TOOL_GOOSE)
		rest = "goose already runs the file in one transaction; a file that manages its "
		       "own transactions needs '-- +goose NO TRANSACTION'";
	else if (pgs_check_tool(ctx) == PGS_TOOL_DBMATE)
		rest = "dbmate already runs the file in one transaction; a file that manages its "
		       "own transactions needs '-- migrate:up transaction:false'";
	else if (pgs_check_tool(ctx) == PGS_TOOL_FLYWAY)
		rest = "flyway already runs the script in one transaction; a script that manages "
		       "its own transactions needs 'executeInTransaction=false' in its .conf file";
	else
		rest = "the file already runs in one transaction";
	return pgs_arena_printf(pgs_check_arena(ctx), "remove %s: %s", remove, rest);
}

/* The transaction the runner opened, in words. */
static const char *runner_txn(struct pgs_check *ctx, const struct pgs_txn *txn)
{
	if (txn->by_option)
		return "the transaction --assume-in-transaction says the migration runner opened";
	return pgs_arena_printf(pgs_check_arena(ctx), "the transaction %s runs this file in",
				pgs_tool_name(pgs_check_tool(ctx)));
}

static void nested_begin(struct pgs_check *ctx, const struct pgs_txn *txn, const char *what)
{
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_diag *d;

	if (!txn->by_tool) {
		d = pgs_report(ctx, span,
			       "%s inside the transaction opened by %s on line %u: PostgreSQL only "
			       "warns \"there is already a transaction in progress\"",
			       what, txn->opened_by, pgs_check_pos(ctx, txn->began_at).line);
		pgs_diag_note(ctx, d,
			      "transactions don't nest: the first COMMIT ends the one transaction, "
			      "and the statements after it run outside any");
		pgs_diag_help(ctx, d,
			      "COMMIT the first transaction before this %s, or remove this one "
			      "(use SAVEPOINT for a part that may be rolled back alone)",
			      what);
		return;
	}
	d = pgs_report(ctx, span,
		       "%s inside %s: PostgreSQL only warns \"there is already a transaction in "
		       "progress\"",
		       what, runner_txn(ctx, txn));
	pgs_diag_note(ctx, d,
		      "a COMMIT in the file then commits that transaction early: the "
		      "statements after it run outside any transaction, so a failure there "
		      "leaves the migration half applied");
	pgs_diag_help(ctx, d, "%s", own_transactions(ctx, txn->by_option, "BEGIN and its COMMIT"));
}

static void stray_end(struct pgs_check *ctx, const struct pgs_txn *txn, uint32_t ended_at,
		      bool rollback, const char *what)
{
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_diag *d;

	if (!txn->active) {
		d = pgs_report(ctx, span,
			       "%s with no transaction in progress: PostgreSQL only warns \"there is "
			       "no transaction in progress\"",
			       what);
		if (ended_at)
			pgs_diag_note(ctx, d, "the transaction before it already ended on line %u",
				      pgs_check_pos(ctx, ended_at - 1).line);
		else
			pgs_diag_note(ctx, d,
				      "the statements before it were not in a transaction: each one "
				      "was committed on its own as it ran%s",
				      rollback ? ", and this ROLLBACK undoes none of them" : "");
		pgs_diag_help(ctx, d, "remove it, or add the BEGIN it was meant to close");
		return;
	}
	d = pgs_report(ctx, span, "%s ends %s", what, runner_txn(ctx, txn));
	if (rollback)
		pgs_diag_note(ctx, d,
			      "it undoes what the file did so far, the statements after it run "
			      "outside any transaction, and the runner may still record the "
			      "migration as applied");
	else
		pgs_diag_note(ctx, d,
			      "the statements after it run outside any transaction, so a failure "
			      "there leaves the migration half applied; the runner's own COMMIT "
			      "then finds no transaction");
	pgs_diag_help(ctx, d, "%s",
		      own_transactions(ctx, txn->by_option, rollback ? "the ROLLBACK" : "the COMMIT"));
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	const PgQuery__Node *node = pgs_check_node(ctx);
	void **slot = pgs_check_state(ctx);
	struct state *st = *slot;

	if (!st) {
		st = *slot = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*st));
		st->option = txn->by_option;
	}
	if (node->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return;
	/* golang-migrate: a BEGIN or COMMIT in the one multi-statement query turns its
	 * implicit transaction into an explicit one, or commits it: both are legitimate */
	bool implicit = txn->active && txn->by_tool && !txn->by_option &&
			pgs_check_multi_statement(ctx);

	switch (node->transaction_stmt->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START: {
		const char *what = node->transaction_stmt->kind ==
						   PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START
					   ? "START TRANSACTION"
					   : "BEGIN";
		if (txn->active && !implicit)
			nested_begin(ctx, txn, what);
		break;
	}
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK: {
		bool rollback = node->transaction_stmt->kind ==
				PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK;
		const char *what = rollback ? "ROLLBACK" : "COMMIT";
		if (implicit)
			break;
		if (!txn->active || txn->by_tool) {
			stray_end(ctx, txn, st->ended_at, rollback, what);
		} else if (st->option) {
			struct pgs_diag *d = pgs_report(
				ctx, pgs_check_stmt(ctx)->span,
				"%s ends the transaction the migration runner opened "
				"(--assume-in-transaction), not only the one %s opened on line %u",
				what, txn->opened_by, pgs_check_pos(ctx, txn->began_at).line);
			pgs_diag_note(ctx, d,
				      "the statements after it run outside any transaction, and the "
				      "runner's own COMMIT finds none");
			pgs_diag_help(ctx, d, "%s", own_transactions(ctx, true, "BEGIN and its COMMIT"));
		}
		if (txn->active)
			st->ended_at = pgs_check_stmt(ctx)->span.start + 1;
		break;
	}
	default:
		break;
	}
}

const struct pgs_rule pgs_rule_transaction_nesting = {
	.id = "M306",
	.name = "transaction-nesting",
	.severity = PGS_SEV_WARNING,
	.summary = "BEGIN inside a transaction, or COMMIT / ROLLBACK with none open or ending the "
		   "migration tool's",
	.docs = "## Problem\n\n"
		"PostgreSQL has no nested transactions. A BEGIN (or START TRANSACTION)\n"
		"inside a transaction only draws the warning \"there is already a transaction\n"
		"in progress\", and the first COMMIT then ends the one transaction there is.\n"
		"That matters most when the migration tool opened it: goose, dbmate and\n"
		"flyway run each migration in a transaction, so a file's own\n"
		"`BEGIN; ... COMMIT;` commits the tool's transaction at that COMMIT. What\n"
		"follows runs outside any transaction, a failure there leaves the migration\n"
		"half applied, and the tool's own COMMIT finds no transaction. A ROLLBACK in\n"
		"the file undoes the work so far while the tool may still record the\n"
		"migration as applied.\n\n"
		"A COMMIT or ROLLBACK with no transaction open only draws the warning \"there\n"
		"is no transaction in progress\": the statements before it were already\n"
		"committed one by one, which is rarely what its author meant.\n\n"
		"pgstage reports:\n\n"
		"- BEGIN / START TRANSACTION inside an explicit transaction, or inside the\n"
		"  one the tool runs the file in;\n"
		"- COMMIT / ROLLBACK with no transaction open, or ending the tool's\n"
		"  transaction;\n"
		"- with `--assume-in-transaction`, every explicit BEGIN, COMMIT and ROLLBACK\n"
		"  (the runner is said to wrap the file in a transaction).\n\n"
		"golang-migrate is not reported: it sends a file as one multi-statement\n"
		"query, in which an explicit BEGIN ... COMMIT is the documented way to\n"
		"control the transaction.\n\n"
		"## Fix\n\n"
		"In a file the tool runs in a transaction, remove BEGIN and COMMIT. A file that\n"
		"must manage its own transactions (or run statements outside any) tells the\n"
		"tool so: goose `-- +goose NO TRANSACTION`, dbmate\n"
		"`-- migrate:up transaction:false`, flyway `executeInTransaction=false`.\n"
		"Elsewhere, COMMIT the first transaction before the next BEGIN, and remove a\n"
		"COMMIT that closes nothing (or add the BEGIN it was meant to close).\n",
	.example_bad = "BEGIN;\n"
		       "ALTER TABLE users ADD COLUMN nickname text;\n"
		       "BEGIN;\n"
		       "ALTER TABLE users ADD COLUMN avatar_url text;\n"
		       "COMMIT;",
	.example_good = "BEGIN;\n"
			"ALTER TABLE users ADD COLUMN nickname text;\n"
			"ALTER TABLE users ADD COLUMN avatar_url text;\n"
			"COMMIT;",
	.check = check,
};
