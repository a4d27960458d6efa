#include "lint/rule.h"

static const char *how_to_leave(enum pgs_tool tool)
{
	switch (tool) {
	case PGS_TOOL_GOOSE:
		return "add '-- +goose NO TRANSACTION' to this migration and keep the statement "
		       "alone in it";
	case PGS_TOOL_DBMATE:
		return "write '-- migrate:up transaction:false' and keep the statement alone in "
		       "this migration";
	case PGS_TOOL_GOLANG_MIGRATE:
		return "golang-migrate sends the file as one multi-statement query, which runs "
		       "as one transaction: put the statement alone in its own migration file";
	case PGS_TOOL_FLYWAY:
		return "put the statement alone in its own migration with "
		       "'executeInTransaction=false' in the script's .conf file";
	default:
		return "run the statement outside BEGIN ... COMMIT";
	}
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (!pgs_check_effects(ctx)->no_transaction || !txn->active)
		return;
	const char *what = node->node_case == PG_QUERY__NODE__NODE_INDEX_STMT
				   ? "CREATE INDEX CONCURRENTLY"
				   : "this statement";
	struct pgs_diag *d;

	if (txn->by_option)
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "%s cannot run inside a transaction block, and "
			       "--assume-in-transaction says this file runs in one",
			       what);
	else if (txn->by_tool)
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "%s cannot run inside a transaction block, and %s runs this file "
			       "in one",
			       what, pgs_tool_name(pgs_check_tool(ctx)));
	else
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "%s cannot run inside a transaction block (opened by %s on line "
			       "%u)",
			       what, txn->opened_by, pgs_check_pos(ctx, txn->began_at).line);
	pgs_diag_note(ctx, d, "PostgreSQL rejects it with \"cannot run inside a transaction block\" "
			      "and the migration fails");
	pgs_diag_help(ctx, d, "%s",
		      txn->by_tool && !txn->by_option ? how_to_leave(pgs_check_tool(ctx))
						      : how_to_leave(PGS_TOOL_PLAIN));
}

const struct pgs_rule pgs_rule_concurrently_in_transaction = {
	.id = "M301",
	.name = "concurrently-in-transaction",
	.severity = PGS_SEV_ERROR,
	.summary = "a CONCURRENTLY statement inside a transaction block fails",
	.docs = "## Problem\n\n"
		"`CREATE INDEX CONCURRENTLY` (and the other CONCURRENTLY forms) cannot run\n"
		"inside a transaction block: PostgreSQL rejects them and the migration fails.\n"
		"The transaction may be an explicit BEGIN, or one the migration tool opens:\n"
		"goose, dbmate and flyway wrap each migration in a transaction, and\n"
		"golang-migrate sends a file as one multi-statement query, which PostgreSQL\n"
		"runs as one implicit transaction when it holds more than one statement.\n\n"
		"## Fix\n\n"
		"Put the statement alone in a migration that runs outside a transaction:\n"
		"goose `-- +goose NO TRANSACTION`, dbmate `-- migrate:up transaction:false`,\n"
		"flyway `executeInTransaction=false`, golang-migrate a file of its own.\n",
	.example_bad = "BEGIN;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCOMMIT;",
	.example_good = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
	.check = check,
};
