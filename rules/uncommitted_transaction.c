#include "lint/rule.h"
#include "rules/rule_util.h"

struct state {
	struct pgs_span begin;  /* the BEGIN of the open explicit transaction */
	bool tool_commits;      /* it was opened inside the tool's transaction, which the
				 * tool commits after the file anyway */
	uint32_t last_end;      /* end of the last statement seen */
};

static void check(struct pgs_check *ctx)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	const PgQuery__Node *node = pgs_check_node(ctx);
	void **slot = pgs_check_state(ctx);
	struct state *st = *slot;

	if (!st)
		st = *slot = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*st));
	st->last_end = pgs_check_stmt(ctx)->span.end;
	if (node->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return;
	PgQuery__TransactionStmtKind kind = node->transaction_stmt->kind;
	if (kind != PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN &&
	    kind != PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START)
		return;
	/* the BEGIN that opens the explicit transaction (not one nested in it) */
	if (txn->active && !txn->by_tool)
		return;
	st->begin = pgs_check_stmt(ctx)->span;
	/* goose, dbmate, flyway and the runner of --assume-in-transaction commit their
	 * own transaction after the file; golang-migrate's multi-statement query does not:
	 * a BEGIN in it opens a transaction that outlives the query */
	st->tool_commits = txn->active && txn->by_tool &&
			   (txn->by_option || !pgs_check_multi_statement(ctx));
}

/* Where COMMIT goes: at the end of the last statement's line, or right after its semicolon. */
static uint32_t commit_at(const char *text, uint32_t last_end, bool *own_line)
{
	uint32_t p = pgs_rules_after_semicolon(text, last_end), q = p;

	while (text[q] == ' ' || text[q] == '\t')
		q++;
	if (text[q] == '-' && text[q + 1] == '-')
		while (text[q] && text[q] != '\n')
			q++;
	if (text[q] == '\r' && text[q + 1] == '\n')
		q++;
	*own_line = true;
	if (text[q] == '\n' || text[q] == '\0')
		return q > p && text[q - 1] == '\r' && text[q] == '\n' ? q - 1 : q;
	*own_line = false;
	return p;
}

static void end_of_file(struct pgs_check *ctx)
{
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	struct state *st = *pgs_check_state(ctx);

	if (!st || !txn->active || txn->by_tool || st->tool_commits)
		return;
	const char *text = pgs_check_text(ctx);
	struct pgs_diag *d = pgs_report(ctx, st->begin,
					"the transaction opened by %s on line %u is never committed",
					txn->opened_by, pgs_check_pos(ctx, txn->began_at).line);
	if (pgs_check_multi_statement(ctx))
		pgs_diag_note(ctx, d,
			      "the transaction stays open after %s's query: the "
			      "migration's changes, and %s's own bookkeeping after "
			      "them, are rolled back when the connection closes",
			      pgs_tool_name(pgs_check_tool(ctx)), pgs_tool_name(pgs_check_tool(ctx)));
	else
		pgs_diag_note(ctx, d,
			      "when the session ends PostgreSQL rolls it back: %s, although the "
			      "migration seemed to succeed",
			      txn->n_statements == 1
				      ? "its statement does not stay applied"
				      : pgs_arena_printf(pgs_check_arena(ctx),
							 "none of its %zu statements stay applied",
							 txn->n_statements));
	pgs_diag_help(ctx, d, "end the transaction with COMMIT at the end of the file");

	bool own_line;
	uint32_t at = commit_at(text, st->last_end, &own_line);
	const char *eol = pgs_rules_eol(ctx, st->last_end);
	/* the last statement may lack its semicolon (psql runs it at the end of the
	 * file): it gets one, or COMMIT would be read as part of it */
	bool terminated = pgs_rules_after_semicolon(text, st->last_end) != st->last_end;
	pgs_diag_fix(ctx, d, "append COMMIT;", true);
	if (!terminated && at != st->last_end)
		pgs_diag_edit(ctx, d, (struct pgs_span){st->last_end, st->last_end}, ";");
	pgs_diag_edit(ctx, d, (struct pgs_span){at, at},
		      pgs_arena_printf(pgs_check_arena(ctx), "%s%sCOMMIT;",
				       !terminated && at == st->last_end ? ";" : "",
				       own_line ? eol : " "));
}

const struct pgs_rule pgs_rule_uncommitted_transaction = {
	.id = "M307",
	.name = "uncommitted-transaction",
	.severity = PGS_SEV_ERROR,
	.summary = "the file ends inside a transaction it opened with BEGIN",
	.docs = "## Problem\n\n"
		"A migration that opens a transaction with BEGIN (or START TRANSACTION) and\n"
		"ends without COMMIT leaves it open. When the session ends, PostgreSQL rolls\n"
		"it back: nothing the transaction did stays applied, although every\n"
		"statement succeeded and the migration looked fine. With golang-migrate the\n"
		"open transaction also swallows the tool's own bookkeeping after the file.\n\n"
		"Not reported: a BEGIN inside the transaction goose, dbmate or flyway runs\n"
		"the file in (or the one `--assume-in-transaction` assumes): the tool's\n"
		"COMMIT after the file ends it; transaction-nesting reports that BEGIN.\n\n"
		"## Fix\n\n"
		"End the transaction with COMMIT. The fix appends `COMMIT;` after the last\n"
		"statement of the part that runs (before a goose or dbmate down section),\n"
		"with the file's line ending, and the semicolon that statement lacks if any.\n",
	.example_bad = "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\n",
	.example_good = "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\n",
	.check = check,
	.end_of_file = end_of_file,
};
