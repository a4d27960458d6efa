#include "lint/rule.h"
#include "rules/rule_util.h"

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
	case PGS_TOOL_DIESEL:
		return "put the statement alone in its own migration, with 'run_in_transaction = "
		       "false' in its metadata.toml";
	case PGS_TOOL_SQLX:
		return "put the statement alone in its own migration whose first line is "
		       "'-- no-transaction'";
	case PGS_TOOL_REFINERY:
		return "put the statement alone in its own migration with a line "
		       "'-- refinery:noTransaction'";
	case PGS_TOOL_PRISMA:
		return "prisma sends migration.sql as one multi-statement query, which runs as one "
		       "transaction: put the statement alone in a migration of its own";
	case PGS_TOOL_DRIZZLE:
		return "drizzle's migrator runs every migration in a transaction: run this "
		       "statement outside it (e.g. a separate script after the migrator)";
	default:
		return "run the statement outside BEGIN ... COMMIT";
	}
}

/* The statement as PostgreSQL's error message names it. */
static const char *what(const struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return "CREATE INDEX CONCURRENTLY";
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return "DROP INDEX CONCURRENTLY";
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		switch (node->reindex_stmt->kind) {
		case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA:
			return "REINDEX SCHEMA";
		case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE:
			return "REINDEX DATABASE";
		case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM:
			return "REINDEX SYSTEM";
		default:
			return "REINDEX CONCURRENTLY";
		}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		return "VACUUM";
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		return "CLUSTER without a table name";
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		return "ALTER TYPE ... ADD VALUE";
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		return "CREATE DATABASE";
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		return "DROP DATABASE";
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		return "ALTER SYSTEM";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		return "CREATE TABLESPACE";
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
		return "DROP TABLESPACE";
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
		return "ALTER DATABASE ... SET TABLESPACE";
	default:
		return "this statement";
	}
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (!pgs_check_effects(ctx)->no_transaction || !txn->active)
		return;
	const char *stmt = what(ctx);
	struct pgs_diag *d;

	if (txn->by_option)
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "%s cannot run inside a transaction block, and "
			       "--assume-in-transaction says this file runs in one",
			       stmt);
	else if (txn->by_tool)
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "%s cannot run inside a transaction block, and %s runs this file "
			       "in one",
			       stmt, pgs_tool_name(pgs_check_tool(ctx)));
	else
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "%s cannot run inside a transaction block (opened by %s on line "
			       "%u)",
			       stmt, txn->opened_by, pgs_check_pos(ctx, txn->began_at).line);
	pgs_diag_note(ctx, d, "PostgreSQL rejects it with \"cannot run inside a transaction block\" "
			      "and the migration fails");
	if (node->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
		pgs_diag_note(ctx, d,
			      "the target is PostgreSQL %d (--pg-version): ADD VALUE may run in a "
			      "transaction block only from PostgreSQL 12 on, and even then the new "
			      "value can't be used until the transaction commits",
			      pgs_check_pg_version(ctx));
	pgs_diag_help(ctx, d, "%s",
		      txn->by_tool && !txn->by_option ? how_to_leave(pgs_check_tool(ctx))
						      : how_to_leave(PGS_TOOL_PLAIN));
}

const struct pgs_rule pgs_rule_concurrently_in_transaction = {
	.id = "M301",
	.name = "concurrently-in-transaction",
	.severity = PGS_SEV_ERROR,
	.summary = "a statement that can't run in a transaction block (CONCURRENTLY, VACUUM, ...) "
		   "inside one fails",
	.docs = "## Problem\n\n"
		"Some statements cannot run inside a transaction block: PostgreSQL rejects\n"
		"them with \"cannot run inside a transaction block\" and the migration fails.\n"
		"They are:\n\n"
		"- `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`,\n"
		"  `REINDEX ... CONCURRENTLY` and\n"
		"  `ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY`;\n"
		"- `REINDEX SCHEMA`, `REINDEX DATABASE` and `REINDEX SYSTEM`;\n"
		"- `VACUUM` (any form; `ANALYZE` alone may run in a transaction), and `CLUSTER`\n"
		"  without a table name;\n"
		"- `ALTER TYPE ... ADD VALUE` before PostgreSQL 12;\n"
		"- `CREATE DATABASE`, `DROP DATABASE`, `ALTER DATABASE ... SET TABLESPACE`,\n"
		"  `CREATE TABLESPACE`, `DROP TABLESPACE` and `ALTER SYSTEM`.\n\n"
		"The transaction may be an explicit BEGIN, or one the migration tool opens:\n"
		"goose, dbmate and flyway wrap each migration in a transaction, and\n"
		"golang-migrate sends a file as one multi-statement query, which PostgreSQL\n"
		"runs as one implicit transaction when it holds more than one statement.\n"
		"pgstage checks every one of these statements against a real server.\n\n"
		"## Fix\n\n"
		"Put the statement alone in a migration that runs outside a transaction:\n"
		"goose `-- +goose NO TRANSACTION`, dbmate `-- migrate:up transaction:false`,\n"
		"flyway `executeInTransaction=false`, golang-migrate a file of its own.\n"
		"With `--assume-in-transaction` pgstage takes every file to run in one\n"
		"transaction; use `--no-transaction` (or the tool's own marker) for files\n"
		"that don't.\n",
	.example_bad = "BEGIN;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCOMMIT;",
	.example_good = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
	.check = check,
};
