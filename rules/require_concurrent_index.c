#include "core/lexer.h"
#include "lint/rule.h"

/* Offset just after the INDEX keyword of CREATE [UNIQUE] INDEX. */
static uint32_t after_index_keyword(const struct pgs_check *ctx)
{
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_token tok;

	for (uint32_t pos = span.start; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (pgs_token_is(text, &tok, "index"))
			return tok.end;
	}
	return span.start;
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	/* IF NOT EXISTS of an index that exists builds nothing */
	if (node->node_case != PG_QUERY__NODE__NODE_INDEX_STMT || node->index_stmt->concurrent ||
	    pgs_check_effects(ctx)->skipped)
		return;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return;

	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"CREATE INDEX on %s without CONCURRENTLY blocks writes to it "
					"until the index is built",
					label);
	pgs_diag_note_lock(ctx, d, e);
	pgs_diag_help(ctx, d,
		      "use CREATE INDEX CONCURRENTLY, alone and outside a transaction block; it "
		      "takes SHARE UPDATE EXCLUSIVE, so reads and writes go on during the build");

	uint32_t at = after_index_keyword(ctx);
	/* Inside a transaction block the fixed statement would fail. */
	pgs_diag_fix(ctx, d, "add CONCURRENTLY", !pgs_check_txn(ctx)->active);
	pgs_diag_edit(ctx, d, (struct pgs_span){at, at}, " CONCURRENTLY");
}

const struct pgs_rule pgs_rule_require_concurrent_index = {
	.id = "M101",
	.name = "require-concurrent-index",
	.severity = PGS_SEV_WARNING,
	.summary = "CREATE INDEX without CONCURRENTLY blocks writes to an existing table",
	.docs = "## Problem\n\n"
		"`CREATE INDEX` takes a SHARE lock on the table for the whole build: every\n"
		"INSERT, UPDATE and DELETE waits until the index is built, which on a large\n"
		"table takes minutes.\n\n"
		"## Safe alternative\n\n"
		"`CREATE INDEX CONCURRENTLY` takes SHARE UPDATE EXCLUSIVE instead: reads and\n"
		"writes continue. It scans the table twice and waits for older transactions,\n"
		"and it cannot run inside a transaction block, so it must be the only\n"
		"statement of a migration the tool runs without a transaction. If it fails it\n"
		"leaves an INVALID index behind: drop it and retry (`IF NOT EXISTS` alone would\n"
		"keep the invalid one).\n\n"
		"Tables created earlier in the same file are empty and unseen by the\n"
		"application, so indexes on them are not flagged, nor is `CREATE INDEX IF NOT\n"
		"EXISTS` of an index the history (or the context) already has: it builds\n"
		"nothing (it still takes SHARE on the table for a moment to look, which\n"
		"`require-lock-timeout` reports).\n",
	.example_bad = "CREATE INDEX users_email_idx ON users (email);",
	.example_good = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
	.check = check,
};
