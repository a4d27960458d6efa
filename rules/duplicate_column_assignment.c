#include <string.h>

#include "core/arena.h"
#include "lint/columns.h"
#include "lint/rule.h"
#include "core/strmap.h"
#include "core/walk.h"

static const PgQuery__ResTarget *target(const PgQuery__Node *node)
{
	return node->node_case == PG_QUERY__NODE__NODE_RES_TARGET && node->res_target->name
		   ? node->res_target
		   : NULL;
}

/* What the list assigned a column so far (items by their position). */
struct assigned {
	size_t first;	    /* its first item */
	size_t first_whole; /* its first item assigning it whole, or n */
	bool reported;
};

/* Report item i (a repeat of the column of item first). */
static void report(struct pgs_check *ctx, PgQuery__Node **items, size_t i, size_t first,
		   const char *where, bool insert)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	const char *text = pgs_check_text(ctx);
	const PgQuery__ResTarget *rt = target(items[i]);
	uint32_t at = pgs_stmt_offset(stmt, rt->location);
	struct pgs_pos first_pos =
	    pgs_check_pos(ctx, pgs_stmt_offset(stmt, target(items[first])->location));
	const char *column = pgs_check_quote(ctx, rt->name);
	struct pgs_diag *d;

	if (insert)
		d = pgs_report(ctx, pgs_token_span(text, at, stmt->span.end),
			       "column %s is listed twice in the %s: PostgreSQL rejects the "
			       "statement (column \"%s\" specified more than once)",
			       column, where, rt->name);
	else
		d = pgs_report(ctx, pgs_token_span(text, at, stmt->span.end),
			       "column %s is assigned twice in the %s: PostgreSQL rejects the "
			       "statement (multiple assignments to same column \"%s\")",
			       column, where, rt->name);
	pgs_diag_note(ctx, d, "first %s at line %u, column %u", insert ? "listed" : "assigned",
		      first_pos.line, first_pos.column);
	pgs_diag_help(ctx, d, insert ? "list the column once" : "assign the column once");
}

/*
 * One list of assignments or columns; insert lists get PostgreSQL's other
 * message. An item conflicts with an earlier one of the same column when one
 * of the two assigns it whole: a[1] = x, a[2] = y (or a.f, a.g) assign
 * different parts of a and are allowed. One finding per column, at its first
 * conflicting repeat; columns are looked up by name, so a long list costs
 * its length.
 */
static void check_list(struct pgs_check *ctx, PgQuery__Node **items, size_t n, const char *where,
		       bool insert)
{
	struct pgs_arena *arena = pgs_check_arena(ctx);
	struct pgs_strmap seen;

	if (n < 2)
		return;
	pgs_strmap_init(&seen);
	for (size_t i = 0; i < n; i++) {
		const PgQuery__ResTarget *rt = target(items[i]);
		if (!rt)
			continue;
		struct assigned *a = pgs_strmap_get(&seen, rt->name);
		if (!a) {
			a = pgs_arena_alloc(arena, sizeof(*a));
			a->first = i;
			a->first_whole = rt->n_indirection == 0 ? i : n;
			pgs_strmap_put(&seen, rt->name, a);
			continue;
		}
		size_t first = rt->n_indirection == 0 ? a->first : a->first_whole;
		if (rt->n_indirection == 0 && a->first_whole == n)
			a->first_whole = i;
		if (first == n || a->reported)
			continue;
		a->reported = true;
		report(ctx, items, i, first, where, insert);
	}
	pgs_strmap_release(&seen);
}

static bool visit(void *data, const PgQuery__Node *node)
{
	struct pgs_check *ctx = data;

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		check_list(ctx, node->update_stmt->target_list, node->update_stmt->n_target_list,
			   "SET list of UPDATE", false);
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT: {
		const PgQuery__InsertStmt *is = node->insert_stmt;
		check_list(ctx, is->cols, is->n_cols, "column list of INSERT", true);
		if (is->on_conflict_clause)
			check_list(ctx, is->on_conflict_clause->target_list,
				   is->on_conflict_clause->n_target_list,
				   "SET list of ON CONFLICT DO UPDATE", false);
		break;
	}
	case PG_QUERY__NODE__NODE_MERGE_WHEN_CLAUSE: {
		const PgQuery__MergeWhenClause *mw = node->merge_when_clause;
		if (mw->command_type == PG_QUERY__CMD_TYPE__CMD_UPDATE)
			check_list(ctx, mw->target_list, mw->n_target_list,
				   "SET list of MERGE ... UPDATE", false);
		else if (mw->command_type == PG_QUERY__CMD_TYPE__CMD_INSERT)
			check_list(ctx, mw->target_list, mw->n_target_list,
				   "column list of MERGE ... INSERT", true);
		break;
	}
	default:
		break;
	}
	return true;
}

static void check(struct pgs_check *ctx)
{
	pgs_walk(pgs_check_node(ctx), visit, ctx);
}

const struct pgs_rule pgs_rule_duplicate_column_assignment = {
    .id = "M502",
    .name = "duplicate-column-assignment",
    .severity = PGS_SEV_ERROR,
    .summary = "a column assigned twice in one SET list, or listed twice for INSERT",
    .docs = "## Problem\n\n"
	    "PostgreSQL rejects an UPDATE whose SET list assigns a column twice\n"
	    "(`multiple assignments to same column \"c\"`), and an INSERT that lists a\n"
	    "column twice (`column \"c\" specified more than once`). The migration fails\n"
	    "when it reaches the statement, often a data backfill written by hand, where\n"
	    "the duplicate is a copy-and-paste slip hiding the column that was meant.\n\n"
	    "Checked: `UPDATE ... SET` (including `SET (a, b) = (...)`), INSERT column\n"
	    "lists, `ON CONFLICT ... DO UPDATE SET`, and MERGE's `UPDATE SET` and\n"
	    "`INSERT (...)`, also inside WITH queries. Assignments to different elements\n"
	    "or fields of one column (`SET a[1] = x, a[2] = y`) are allowed and not\n"
	    "flagged. Names are compared as PostgreSQL resolves them (unquoted names in\n"
	    "lower case).\n\n"
	    "## Fix\n\n"
	    "Keep one assignment per column. No fix is offered: which of the two was\n"
	    "meant, and which column the other one should have named, is for the\n"
	    "author to say.\n",
    .example_bad = "UPDATE accounts SET status = 'closed', closed_at = now(), status = 'archived'\n"
		   "WHERE id = 42;",
    .example_good = "UPDATE accounts SET status = 'closed', closed_at = now() WHERE id = 42;",
    .check = check,
};
