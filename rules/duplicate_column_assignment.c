#include <string.h>

#include "core/arena.h"
#include "core/lexer.h"
#include "lint/columns.h"
#include "lint/rule.h"
#include "core/strmap.h"
#include "core/walk.h"

/* How a list names its columns, for PostgreSQL's message. */
enum list_kind {
	ASSIGNED, /* SET lists: multiple assignments to same column */
	LISTED,	  /* column lists: column specified more than once */
	DECLARED, /* column definitions: column specified more than once */
	ADDED,	  /* ALTER TABLE ... ADD COLUMN: column of relation already exists */
};

/* What a finding underlines, from an item's location. */
enum item_span {
	NAME_TOKEN, /* the column's name */
	QUALIFIED,  /* a column reference (t.a) */
	OUTPUT,	    /* an output column (expr AS a) */
};

/* One column of a list: its name, where it is written (-1: unknown), whether it is whole. */
struct item {
	const char *name;
	int32_t location;
	bool whole; /* not an element or field of it (a[1], a.f) */
	enum item_span span;
};

/* A list of items being built. */
struct items {
	struct item *v;
	size_t n;
};

static struct items items_new(struct pgs_check *ctx, size_t cap)
{
	struct items l = {pgs_arena_array(pgs_check_arena(ctx), cap ? cap : 1, sizeof(struct item)),
			  0};
	return l;
}

static void items_add(struct items *l, const char *name, int32_t location, bool whole)
{
	l->v[l->n++] = (struct item){name, location, whole, NAME_TOKEN};
}

/* The columns a SET list or a column list of ResTargets names (others are skipped). */
static struct items targets(struct pgs_check *ctx, PgQuery__Node **nodes, size_t n)
{
	struct items l = items_new(ctx, n);

	for (size_t i = 0; i < n; i++)
		if (nodes[i]->node_case == PG_QUERY__NODE__NODE_RES_TARGET &&
		    nodes[i]->res_target->name)
			items_add(&l, nodes[i]->res_target->name, nodes[i]->res_target->location,
				  nodes[i]->res_target->n_indirection == 0);
	return l;
}

/*
 * The column definitions of CREATE TABLE / CREATE FOREIGN TABLE / CREATE
 * TYPE AS (...).
 */
static struct items column_defs(struct pgs_check *ctx, PgQuery__Node **nodes, size_t n)
{
	struct items l = items_new(ctx, n);

	for (size_t i = 0; i < n; i++)
		if (nodes[i]->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
		    nodes[i]->column_def->colname && *nodes[i]->column_def->colname)
			items_add(&l, nodes[i]->column_def->colname, nodes[i]->column_def->location,
				  true);
	return l;
}

/* A list of names without positions (CREATE VIEW v (a, b), COPY t (a, b)). */
static struct items names(struct pgs_check *ctx, PgQuery__Node **nodes, size_t n)
{
	struct items l = items_new(ctx, n);

	for (size_t i = 0; i < n; i++) {
		const char *name = pgs_node_string(nodes[i]);
		if (name)
			items_add(&l, name, -1, true);
	}
	return l;
}

/* Words that end a SELECT's output list. */
static bool ends_outputs(const char *text, const struct pgs_token *tok)
{
	static const char *const words[] = {"from",   "where",	   "group", "having", "window",
					    "order",  "limit",	   "offset", "fetch", "for",
					    "union",  "intersect", "except", "into"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (pgs_token_is(text, tok, words[i]))
			return true;
	return false;
}

/* An output column starting at at: up to a comma or clause word outside parentheses. */
static struct pgs_span output_span(const char *text, uint32_t at, uint32_t end)
{
	struct pgs_span span = {at, at};
	struct pgs_token tok;
	int depth = 0;

	for (uint32_t pos = at; pos < end;) {
		pos = pgs_lex(text, pos, end, &tok);
		if (tok.kind == PGS_TOK_SPACE || tok.kind == PGS_TOK_COMMENT)
			continue;
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE && --depth < 0)
			break;
		else if (depth == 0 && (tok.kind == PGS_TOK_SEMICOLON ||
					(tok.kind == PGS_TOK_OTHER && text[tok.start] == ',') ||
					ends_outputs(text, &tok)))
			break;
		span.end = tok.end;
	}
	return span;
}

/* The source span of an item: what it writes, or the statement when it has no position. */
static struct pgs_span item_span(struct pgs_check *ctx, const struct item *it)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	const char *text = pgs_check_text(ctx);

	if (it->location < 0)
		return stmt->span;
	uint32_t at = pgs_stmt_offset(stmt, it->location);
	switch (it->span) {
	case QUALIFIED:
		return pgs_name_span(text, at, stmt->span.end);
	case OUTPUT:
		return output_span(text, at, stmt->span.end);
	case NAME_TOKEN:
	default:
		return pgs_token_span(text, at, stmt->span.end);
	}
}

/* Report item i (a repeat of the column of item first); table names ADDED's relation. */
static void report(struct pgs_check *ctx, const struct items *l, size_t i, size_t first,
		   const char *where, enum list_kind kind, const char *table)
{
	const struct item *it = &l->v[i];
	const char *column = pgs_check_quote(ctx, it->name);
	struct pgs_span span = item_span(ctx, it);
	struct pgs_diag *d;

	switch (kind) {
	case ASSIGNED:
		d = pgs_report(ctx, span,
			       "column %s is assigned twice in the %s: PostgreSQL rejects the "
			       "statement (multiple assignments to same column \"%s\")",
			       column, where, it->name);
		break;
	case LISTED:
		d = pgs_report(ctx, span,
			       "column %s is listed twice in the %s: PostgreSQL rejects the "
			       "statement (column \"%s\" specified more than once)",
			       column, where, it->name);
		break;
	case DECLARED:
		d = pgs_report(ctx, span,
			       "column %s is declared twice in %s: PostgreSQL rejects the statement "
			       "(column \"%s\" specified more than once)",
			       column, where, it->name);
		break;
	case ADDED:
	default:
		d = pgs_report(ctx, span,
			       "column %s is added twice in %s: PostgreSQL rejects the statement "
			       "(column \"%s\" of relation \"%s\" already exists)",
			       column, where, it->name, table);
		break;
	}
	if (l->v[first].location >= 0) {
		const char *verb = kind == ASSIGNED   ? "assigned"
				   : kind == LISTED   ? "listed"
				   : kind == DECLARED ? "declared"
						      : "added";
		struct pgs_pos pos = pgs_check_pos(
		    ctx, pgs_stmt_offset(pgs_check_stmt(ctx), l->v[first].location));
		pgs_diag_note(ctx, d, "first %s at line %u, column %u", verb, pos.line,
			      pos.column);
	}
	pgs_diag_help(ctx, d, "%s",
		      kind == ASSIGNED	 ? "assign the column once"
		      : kind == LISTED	 ? "list the column once"
		      : kind == DECLARED ? "declare the column once"
					 : "add the column once");
}

/* What the list named a column so far (items by their position). */
struct seen {
	size_t first;	    /* its first item */
	size_t first_whole; /* its first item naming it whole, or n */
	bool reported;
};

/*
 * One list of columns. An item conflicts with an earlier one of the same
 * column when one of the two names it whole: a[1] = x, a[2] = y (or a.f,
 * a.g) assign different parts of a and are allowed. One finding per column,
 * at its first conflicting repeat; columns are looked up by name, so a long
 * list costs its length. skip(i) leaves out repeats that are not errors
 * (ADD COLUMN IF NOT EXISTS).
 */
static void check_items(struct pgs_check *ctx, const struct items *l, const char *where,
			enum list_kind kind, const char *table, const bool *skip)
{
	struct pgs_arena *arena = pgs_check_arena(ctx);
	struct pgs_strmap seen;
	size_t n = l->n;

	if (n < 2)
		return;
	pgs_strmap_init(&seen);
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &l->v[i];
		struct seen *a = pgs_strmap_get(&seen, it->name);
		if (!a) {
			a = pgs_arena_alloc(arena, sizeof(*a));
			a->first = i;
			a->first_whole = it->whole ? i : n;
			pgs_strmap_put(&seen, it->name, a);
			continue;
		}
		size_t first = it->whole ? a->first : a->first_whole;
		if (it->whole && a->first_whole == n)
			a->first_whole = i;
		if (first == n || a->reported || (skip && skip[i]))
			continue;
		a->reported = true;
		report(ctx, l, i, first, where, kind, table);
	}
	pgs_strmap_release(&seen);
}

static void check_list(struct pgs_check *ctx, PgQuery__Node **nodes, size_t n, const char *where,
		       bool insert)
{
	if (n < 2)
		return;
	struct items l = targets(ctx, nodes, n);
	check_items(ctx, &l, where, insert ? LISTED : ASSIGNED, NULL, NULL);
}

static void check_defs(struct pgs_check *ctx, PgQuery__Node **nodes, size_t n, const char *what)
{
	if (n < 2)
		return;
	struct items l = column_defs(ctx, nodes, n);
	check_items(ctx, &l, what, DECLARED, NULL, NULL);
}

/* ALTER TABLE t ADD COLUMN a ..., ADD COLUMN a ...: the second fails unless IF NOT EXISTS. */
static void check_added(struct pgs_check *ctx, const PgQuery__AlterTableStmt *as)
{
	struct items l = items_new(ctx, as->n_cmds);
	bool *skip = pgs_arena_array(pgs_check_arena(ctx), as->n_cmds ? as->n_cmds : 1,
				     sizeof(*skip));

	if (as->n_cmds < 2 || !as->relation)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if ((cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn &&
		     cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse) ||
		    !cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF ||
		    !cmd->def->column_def->colname)
			continue;
		skip[l.n] = cmd->missing_ok;
		items_add(&l, cmd->def->column_def->colname, cmd->def->column_def->location, true);
	}
	check_items(ctx, &l, "one ALTER TABLE", ADDED, as->relation->relname, skip);
}

/*
 * The columns a CREATE VIEW / CREATE TABLE AS / CREATE MATERIALIZED VIEW
 * makes: its column list, then the query's output names after it. An output
 * name is known when written (AS x) or a plain column (t.x); a column list
 * alone is checked when the query has a * (how many columns it gives is
 * unknown) or is not a plain SELECT.
 */
static void check_made(struct pgs_check *ctx, PgQuery__Node **aliases, size_t n_aliases,
		       const PgQuery__Node *query, const char *where)
{
	struct items l = names(ctx, aliases, n_aliases);
	const PgQuery__SelectStmt *sel =
	    query && query->node_case == PG_QUERY__NODE__NODE_SELECT_STMT ? query->select_stmt
									   : NULL;

	if (sel && sel->op == PG_QUERY__SET_OPERATION__SETOP_NONE && !sel->n_values_lists) {
		struct items out = items_new(ctx, l.n + sel->n_target_list);
		bool star = false;
		for (size_t i = 0; i < l.n; i++)
			out.v[out.n++] = l.v[i];
		for (size_t i = 0; i < sel->n_target_list && !star; i++) {
			const PgQuery__Node *t = sel->target_list[i];
			if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
				continue;
			const PgQuery__ResTarget *rt = t->res_target;
			const PgQuery__ColumnRef *cr =
			    rt->val && rt->val->node_case == PG_QUERY__NODE__NODE_COLUMN_REF
				? rt->val->column_ref
				: NULL;
			const PgQuery__Node *last = cr && cr->n_fields ? cr->fields[cr->n_fields - 1]
								       : NULL;
			if (last && last->node_case == PG_QUERY__NODE__NODE_A_STAR)
				star = true;
			else if (i < l.n)
				continue; /* the column list names it */
			else if (rt->name && *rt->name) {
				items_add(&out, rt->name, rt->location, true);
				out.v[out.n - 1].span = OUTPUT;
			} else if (pgs_node_string(last)) {
				items_add(&out, pgs_node_string(last), rt->location, true);
				out.v[out.n - 1].span = QUALIFIED;
			}
		}
		if (!star)
			l = out;
	}
	check_items(ctx, &l, where, LISTED, NULL, NULL);
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
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		check_defs(ctx, node->create_stmt->table_elts, node->create_stmt->n_table_elts,
			   "CREATE TABLE");
		break;
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT: {
		const PgQuery__CreateStmt *cs = node->create_foreign_table_stmt->base_stmt;
		if (cs)
			check_defs(ctx, cs->table_elts, cs->n_table_elts, "CREATE FOREIGN TABLE");
		break;
	}
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		check_defs(ctx, node->composite_type_stmt->coldeflist,
			   node->composite_type_stmt->n_coldeflist, "CREATE TYPE");
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		if (node->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
		    node->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE)
			check_added(ctx, node->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		check_made(ctx, node->view_stmt->aliases, node->view_stmt->n_aliases,
			   node->view_stmt->query, "columns of CREATE VIEW");
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *ct = node->create_table_as_stmt;
		if (ct->into)
			check_made(ctx, ct->into->col_names, ct->into->n_col_names, ct->query,
				   ct->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW
				       ? "columns of CREATE MATERIALIZED VIEW"
				       : "columns of CREATE TABLE AS");
		break;
	}
	case PG_QUERY__NODE__NODE_COPY_STMT:
		if (node->copy_stmt->n_attlist > 1) {
			struct items l =
			    names(ctx, node->copy_stmt->attlist, node->copy_stmt->n_attlist);
			check_items(ctx, &l, "column list of COPY", LISTED, NULL, NULL);
		}
		break;
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
    .summary = "a column assigned, listed or declared twice in one statement",
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
	    "Columns declared twice are rejected too (`column \"c\" specified more than\n"
	    "once`): in `CREATE TABLE` (also the column options of `OF type` and\n"
	    "`PARTITION OF`), `CREATE FOREIGN TABLE`, `CREATE TYPE ... AS (...)`, the\n"
	    "column list of `COPY`, and the columns `CREATE VIEW`, `CREATE MATERIALIZED\n"
	    "VIEW` and `CREATE TABLE AS` make: their column list, then the names of the\n"
	    "query's output (`expr AS c`, or a column `t.c`; other expressions and `*`\n"
	    "are not looked into). So is an `ALTER TABLE` that adds one column twice\n"
	    "(`column \"c\" of relation \"t\" already exists`), unless the repeat says\n"
	    "`IF NOT EXISTS`.\n\n"
	    "## Fix\n\n"
	    "Keep one assignment per column. No fix is offered: which of the two was\n"
	    "meant, and which column the other one should have named, is for the\n"
	    "author to say.\n",
    .example_bad = "UPDATE accounts SET status = 'closed', closed_at = now(), status = 'archived'\n"
		   "WHERE id = 42;",
    .example_good = "UPDATE accounts SET status = 'closed', closed_at = now() WHERE id = 42;",
    .check = check,
};
