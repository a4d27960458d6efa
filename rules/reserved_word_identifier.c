#include <string.h>

#include "lint/columns.h"
#include "core/lexer.h"
#include "core/pgdata/pgdata.h"
#include "lint/rule.h"

/* Reserved words that are also values: unquoted, they read the value instead of a column. */
static const struct {
	const char *word, *value;
} value_words[] = {
    {"current_catalog", "the database's name"},	 {"current_date", "today's date"},
    {"current_role", "the current role's name"}, {"current_schema", "the current schema's name"},
    {"current_time", "the current time"},	 {"current_timestamp", "the current time"},
    {"current_user", "the current role's name"}, {"localtime", "the current time"},
    {"localtimestamp", "the current time"},	 {"session_user", "the session's role name"},
    {"user", "the current role's name"},
};

/* The last identifier token in span (the name part of a qualified name). */
static struct pgs_span last_identifier(const char *text, struct pgs_span span)
{
	struct pgs_token tok;
	struct pgs_span last = span;

	for (uint32_t pos = span.start; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (tok.kind == PGS_TOK_WORD || tok.kind == PGS_TOK_QUOTED)
			last = (struct pgs_span){tok.start, tok.end};
	}
	return last;
}

static void check_name(struct pgs_check *ctx, const char *what, const char *name,
		       struct pgs_span span)
{
	char category = name ? pgs_pgdata_keyword_category(name) : 0;

	/* 'R' reserved, 'T' reserved but allowed as a function or type name */
	if (category != 'R' && category != 'T')
		return;
	char *upper = pgs_arena_strdup(pgs_check_arena(ctx), name);
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	struct pgs_diag *d = pgs_report(ctx, span,
					"%s \"%s\" is named with the reserved key word %s: every "
					"statement must quote it",
					what, name, upper);
	const char *value = NULL;
	for (size_t i = 0; i < sizeof(value_words) / sizeof(value_words[0]); i++)
		if (strcmp(name, value_words[i].word) == 0)
			value = value_words[i].value;
	if (value)
		pgs_diag_note(ctx, d,
			      "unquoted, %s is not a syntax error but a value: SELECT %s FROM ... "
			      "returns %s on every row, not the column",
			      name, name, value);
	else
		pgs_diag_note(ctx, d,
			      "unquoted, %s is read as the key word: every query, ORM mapping and "
			      "hand-written statement that forgets the quotes fails with a syntax "
			      "error",
			      name);
	pgs_diag_help(ctx, d, "choose a name that is not a reserved key word");
}

static void check_relation(struct pgs_check *ctx, const char *what, const PgQuery__RangeVar *rv)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);

	if (!rv || !rv->relname || rv->location < 0)
		return;
	struct pgs_span span =
	    pgs_name_span(pgs_check_text(ctx), pgs_stmt_offset(stmt, rv->location), stmt->span.end);
	check_name(ctx, what, rv->relname, last_identifier(pgs_check_text(ctx), span));
}

static void check_column(struct pgs_check *ctx, const PgQuery__ColumnDef *def)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	struct pgs_span span = stmt->span;

	if (def->location >= 0)
		span = pgs_token_span(pgs_check_text(ctx), pgs_stmt_offset(stmt, def->location),
				      stmt->span.end);
	check_name(ctx, "column", def->colname, span);
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *cs = node->create_stmt;
		check_relation(ctx, "table", cs->relation);
		for (size_t i = 0; i < cs->n_table_elts; i++)
			if (cs->table_elts[i]->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				check_column(ctx, cs->table_elts[i]->column_def);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (node->create_table_as_stmt->into)
			check_relation(ctx,
				       node->create_table_as_stmt->objtype ==
					       PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW
					   ? "materialized view"
					   : "table",
				       node->create_table_as_stmt->into->rel);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		check_relation(ctx, "view", node->view_stmt->view);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
		for (size_t i = 0; i < as->n_cmds; i++) {
			const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
			if (as->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
			    cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
			    cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				check_column(ctx, cmd->def->column_def);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_RENAME_STMT: {
		const PgQuery__RenameStmt *rs = node->rename_stmt;
		const char *what;
		switch (rs->rename_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
			what = "column";
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
			what = "table";
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
			what = "view";
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
			what = "materialized view";
			break;
		default:
			return;
		}
		/* RENAME ... TO new_name: the new name is the statement's last token */
		check_name(ctx, what, rs->newname,
			   last_identifier(pgs_check_text(ctx), stmt->span));
		break;
	}
	default:
		break;
	}
}

const struct pgs_rule pgs_rule_reserved_word_identifier = {
    .id = "M510",
    .name = "reserved-word-identifier",
    .severity = PGS_SEV_WARNING,
    .summary = "a table or column named with a reserved key word needs quotes everywhere",
    .docs = "## Problem\n\n"
	    "A table or column named `\"order\"`, `\"user\"` or `\"desc\"` can only be\n"
	    "created with quotes, and every statement that uses it must quote it too:\n"
	    "hand-written queries, ORM mappings, reporting tools. Forgetting the quotes\n"
	    "is usually a syntax error, but not always: `user`, `current_user`,\n"
	    "`current_date`, `current_timestamp` and a few more are values, so\n"
	    "`SELECT user FROM accounts` returns the name of the current role on every\n"
	    "row instead of the column.\n\n"
	    "Flagged: names of tables, views and materialized views (CREATE TABLE,\n"
	    "CREATE TABLE AS, CREATE VIEW) and of columns (CREATE TABLE, ADD COLUMN),\n"
	    "and the new name of a RENAME, when the name is a key word of PostgreSQL's\n"
	    "category R (reserved) or T (reserved, but allowed as a function or type\n"
	    "name), per the server's `pg_get_keywords()`. Quoted names count by their\n"
	    "text: `\"user\"` is flagged, `\"User\"` (a different name) is not. Non-reserved\n"
	    "key words (`name`, `time`, `value`, `position`) are fine as names and not\n"
	    "flagged.\n\n"
	    "## Safe alternative\n\n"
	    "Choose another name: `sort_order`, `account_user`, `description`. No fix\n"
	    "is offered: a rename is a change to every query.\n",
    .example_bad = "CREATE TABLE \"order\" (id bigint PRIMARY KEY, \"user\" text);",
    .example_good = "CREATE TABLE purchase_order (id bigint PRIMARY KEY, buyer text, "
		    "position int);",
    .check = check,
};
