#include <string.h>

#include "core/lexer.h"
#include "lint/rule.h"

/* Help per statement kind: how to get the same result without the long lock. */
static const char *help_for(const char *culprit)
{
	if (strcmp(culprit, "SET TABLESPACE") == 0)
		return "pg_repack --tablespace moves a table online; otherwise run it in a "
		       "maintenance window (its indexes need their own SET TABLESPACE)";
	return "there is no online way: run it in a maintenance window, or copy the rows to a "
	       "new table created that way, in batches, and swap the tables";
}

static struct pgs_diag *report(struct pgs_check *ctx, struct pgs_span span,
			       const struct pgs_effect *e, const char *culprit, bool others)
{
	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d;

	if (strcmp(culprit, "SET TABLESPACE") == 0)
		d = pgs_report(ctx, span,
			       "SET TABLESPACE copies all of %s to the new tablespace under %s", label,
			       pgs_lock_name(e->lock));
	else
		d = pgs_report(ctx, span, "%s rewrites all of %s under %s", culprit, label,
			       pgs_lock_name(e->lock));
	pgs_diag_note_lock(ctx, d, e);
	if (others)
		pgs_diag_note_other_locks(ctx, d, e);
	return d;
}

/* Offset just after the VIEW keyword of REFRESH MATERIALIZED VIEW. */
static uint32_t after_view_keyword(const struct pgs_check *ctx)
{
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_token tok;

	for (uint32_t pos = span.start; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (pgs_token_is(text, &tok, "view"))
			return tok.end;
	}
	return span.start;
}

static void alter_table(struct pgs_check *ctx, const PgQuery__AlterTableStmt *as)
{
	const struct pgs_effect *e = pgs_check_main_effect(ctx);

	/* ADD COLUMN and ALTER COLUMN TYPE rewrites have rules of their own */
	if (!e || !e->rewrite || e->cause != PGS_CAUSE_OTHER ||
	    pgs_check_created_in_this_file(ctx, e->relation))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		const char *culprit;

		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
			culprit = "SET LOGGED";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
			culprit = "SET UNLOGGED";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
			culprit = "SET TABLESPACE";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
			culprit = "SET ACCESS METHOD";
			break;
		default:
			continue;
		}
		struct pgs_diag *d = report(ctx, pgs_check_cmd_span(ctx, i), e, culprit, true);
		if (strcmp(culprit, "SET LOGGED") == 0)
			pgs_diag_note(ctx, d, "every row is also written to the WAL, which replicas "
					      "must replay");
		if (strcmp(culprit, "SET UNLOGGED") == 0)
			pgs_diag_note(ctx, d, "an unlogged table is emptied after a crash and is not "
					      "replicated");
		pgs_diag_help(ctx, d, "%s", help_for(culprit));
	}
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		if (node->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
		    node->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW)
			alter_table(ctx, node->alter_table_stmt);
		break;
	/* VACUUM FULL and CLUSTER: vacuum-full and cluster-table report them */
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT: {
		const struct pgs_effect *e = pgs_check_main_effect(ctx);
		if (!e || !e->rewrite || pgs_check_created_in_this_file(ctx, e->relation))
			break;
		struct pgs_diag *d =
			pgs_report(ctx, span, "REFRESH MATERIALIZED VIEW rebuilds %s under %s",
				   pgs_check_relation_label(ctx, e->relation),
				   pgs_lock_name(e->lock));
		pgs_diag_note_lock(ctx, d, e);
		pgs_diag_help(ctx, d,
			      "REFRESH MATERIALIZED VIEW CONCURRENTLY takes EXCLUSIVE instead, so "
			      "reads go on; it needs a unique index on the view covering all rows");
		uint32_t at = after_view_keyword(ctx);
		/* unsafe: it fails without a unique index, and with WITH NO DATA */
		pgs_diag_fix(ctx, d, "add CONCURRENTLY", false);
		pgs_diag_edit(ctx, d, (struct pgs_span){at, at}, " CONCURRENTLY");
		break;
	}
	default:
		break;
	}
}

const struct pgs_rule pgs_rule_rewriting_table = {
	.id = "M212",
	.name = "rewriting-table",
	.severity = PGS_SEV_WARNING,
	.summary = "REFRESH MATERIALIZED VIEW, SET TABLESPACE, SET [UN]LOGGED and SET ACCESS "
		   "METHOD rewrite the table under ACCESS EXCLUSIVE",
	.docs = "## Problem\n\n"
		"These statements write a new copy of the whole table (and its indexes)\n"
		"while holding ACCESS EXCLUSIVE, so nothing reads or writes the table until\n"
		"they finish:\n\n"
		"- `REFRESH MATERIALIZED VIEW mv` (without CONCURRENTLY);\n"
		"- `ALTER TABLE t SET TABLESPACE ts` (copies the data files; indexes stay);\n"
		"- `ALTER TABLE t SET LOGGED` / `SET UNLOGGED` (SET LOGGED also writes the\n"
		"  whole table to the WAL);\n"
		"- `ALTER TABLE t SET ACCESS METHOD am` (PostgreSQL 15).\n\n"
		"Rewrites by ADD COLUMN and ALTER COLUMN TYPE are reported by\n"
		"`adding-field-with-volatile-default`, `adding-column-rewrites-table` and\n"
		"`changing-column-type`; `VACUUM FULL` and `CLUSTER` by `vacuum-full` and\n"
		"`cluster-table` (one finding each, not one more here).\n\n"
		"## Safe alternative\n\n"
		"- `REFRESH MATERIALIZED VIEW CONCURRENTLY mv` takes EXCLUSIVE, which lets\n"
		"  reads go on; it needs a unique index on the view (the fix adds\n"
		"  CONCURRENTLY and is marked unsafe for that reason).\n"
		"- SET TABLESPACE: `pg_repack --tablespace`. The others have no online\n"
		"  form: a maintenance window, or a new table filled in batches.\n\n"
		"Tables created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE orders SET TABLESPACE archive;",
	.example_good = "ALTER INDEX orders_pkey SET TABLESPACE archive;",
	.check = check,
};
