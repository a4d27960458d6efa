#include "lint/rule.h"
#include "rules/rule_util.h"

struct unique_index_search {
	const char *table;
	const struct pgs_index *found;
};

/* REFRESH ... CONCURRENTLY needs a unique index on plain columns, without WHERE. */
static void find_usable_unique_index(void *data, const char *key, void *value)
{
	struct unique_index_search *s = data;
	const struct pgs_index *ix = value;

	(void)key;
	if (s->found || !ix->unique || ix->partial || !ix->n_columns ||
	    strcmp(ix->table, s->table) != 0)
		return;
	for (size_t i = 0; i < ix->n_columns; i++)
		if (!ix->columns[i])
			return; /* an expression */
	s->found = ix;
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT)
		return;
	const PgQuery__RefreshMatViewStmt *rs = node->refresh_mat_view_stmt;
	/* WITH NO DATA empties the view: CONCURRENTLY can't be combined with it */
	if (rs->concurrent || rs->skip_data)
		return;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || !pgs_lock_blocks(e->lock) || pgs_check_created_in_this_file(ctx, e->relation))
		return;

	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"REFRESH MATERIALIZED VIEW %s without CONCURRENTLY blocks %s "
					"on it until the refresh is done",
					label, pgs_lock_blocks(e->lock));
	pgs_diag_note_lock(ctx, d, e);

	struct unique_index_search s = {e->relation, NULL};
	pgs_model_each_index_of(pgs_check_model(ctx), e->relation, find_usable_unique_index, &s);
	if (s.found)
		pgs_diag_note(ctx, d, "%s is a unique index on plain columns of %s, which "
				      "CONCURRENTLY needs",
			      pgs_check_relation_label(ctx, s.found->key), label);
	else
		pgs_diag_note(ctx, d,
			      "CONCURRENTLY needs a unique index on %s over plain columns, without "
			      "WHERE; the migration history shows none",
			      label);
	pgs_diag_help(ctx, d,
		      "use REFRESH MATERIALIZED VIEW CONCURRENTLY: it takes EXCLUSIVE, so reads of "
		      "the view go on while it computes and applies the difference (slower than "
		      "a plain refresh; the view must already be populated)");

	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_token kw = pgs_rules_find_word(text, span.start, span.end, "view");
	if (kw.kind == PGS_TOK_EOF)
		return;
	/* Without a known unique index PostgreSQL may reject it. It may run in a
	 * transaction block, unlike the other CONCURRENTLY forms. */
	pgs_diag_fix(ctx, d,
		     s.found ? "add CONCURRENTLY" : "add CONCURRENTLY (needs a unique index on the view)",
		     s.found != NULL);
	pgs_diag_edit(ctx, d, (struct pgs_span){kw.end, kw.end}, " CONCURRENTLY");
}

const struct pgs_rule pgs_rule_require_concurrent_refresh = {
	.id = "M112",
	.name = "require-concurrent-refresh",
	.severity = PGS_SEV_WARNING,
	.summary = "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view",
	.docs = "## Problem\n\n"
		"`REFRESH MATERIALIZED VIEW mv` replaces the view's contents while holding\n"
		"ACCESS EXCLUSIVE on it: every query reading the view waits until the whole\n"
		"query behind it has run again.\n\n"
		"## Safe alternative\n\n"
		"`REFRESH MATERIALIZED VIEW CONCURRENTLY mv` takes EXCLUSIVE instead: reads of\n"
		"the view go on while it computes the new contents and applies the difference.\n"
		"It is slower, and it needs:\n\n"
		"- a unique index on the view, over plain columns (no expressions) and without\n"
		"  a WHERE clause;\n"
		"- a populated view (not just created `WITH NO DATA`).\n\n"
		"Unlike the other CONCURRENTLY forms it may run inside a transaction block.\n"
		"The fix adds CONCURRENTLY; it is marked safe only when the migration history\n"
		"shows such a unique index. `REFRESH ... WITH NO DATA` is not flagged, and\n"
		"views created earlier in the same file are not either.\n",
	.example_bad = "REFRESH MATERIALIZED VIEW daily_sales;",
	.example_good = "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;",
	.check = check,
};
