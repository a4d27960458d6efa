#include "lint/columns.h"
#include "core/strbuf.h"

#include <string.h>

#include "core/lexer.h"

/* Words that end a type in a column definition or an ALTER COLUMN ... TYPE action. */
static const char *const after_type[] = {
    "not",   "null",	   "default",	 "constraint", "primary",     "unique",
    "check", "references", "generated",	 "collate",    "compression", "storage",
    "using", "options",	   "deferrable", "initially",
};

static bool ends_type(const char *text, const struct pgs_token *tok)
{
	if (tok->kind != PGS_TOK_WORD)
		return false;
	for (size_t i = 0; i < sizeof(after_type) / sizeof(after_type[0]); i++)
		if (pgs_token_is(text, tok, after_type[i]))
			return true;
	return false;
}

static bool is_punct(const char *text, const struct pgs_token *tok, char c)
{
	return (tok->kind == PGS_TOK_OTHER || tok->kind == PGS_TOK_OPEN ||
		tok->kind == PGS_TOK_CLOSE) &&
	       text[tok->start] == c;
}

/* The type written at offset at: full span and the span without array bounds. */
static void type_spans(const char *text, uint32_t at, uint32_t end, struct pgs_span *full,
		       struct pgs_span *base)
{
	struct pgs_token tok;
	uint32_t last = at, base_end = 0;
	int depth = 0;

	for (uint32_t pos = at; pos < end;) {
		pos = pgs_lex(text, pos, end, &tok);
		if (tok.kind == PGS_TOK_SPACE || tok.kind == PGS_TOK_COMMENT)
			continue;
		if (depth == 0) {
			if (tok.kind == PGS_TOK_SEMICOLON || is_punct(text, &tok, ',') ||
			    tok.kind == PGS_TOK_CLOSE || ends_type(text, &tok))
				break;
			if (!base_end &&
			    (is_punct(text, &tok, '[') || pgs_token_is(text, &tok, "array")))
				base_end = last;
		}
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE)
			depth--;
		last = tok.end;
	}
	*full = (struct pgs_span){at, last};
	*base = (struct pgs_span){at, base_end ? base_end : last};
}

struct pgs_span pgs_token_span(const char *text, uint32_t at, uint32_t end)
{
	struct pgs_token tok;

	if (at >= end)
		return (struct pgs_span){at, at};
	pgs_lex(text, at, end, &tok);
	return (struct pgs_span){at, tok.end};
}

struct pgs_span pgs_name_span(const char *text, uint32_t at, uint32_t end)
{
	struct pgs_token tok;
	uint32_t last = at;
	bool want_name = true;

	for (uint32_t pos = at; pos < end;) {
		pos = pgs_lex(text, pos, end, &tok);
		if (tok.kind == PGS_TOK_SPACE || tok.kind == PGS_TOK_COMMENT)
			continue;
		if (want_name && (tok.kind == PGS_TOK_WORD || tok.kind == PGS_TOK_QUOTED))
			last = tok.end;
		else if (want_name || !is_punct(text, &tok, '.'))
			break;
		want_name = !want_name;
	}
	return (struct pgs_span){at, last};
}

struct pgs_span pgs_clause_span(const char *text, uint32_t at, uint32_t end)
{
	struct pgs_token tok;
	uint32_t last = at;
	int depth = 0;

	for (uint32_t pos = at; pos < end;) {
		pos = pgs_lex(text, pos, end, &tok);
		if (tok.kind == PGS_TOK_SPACE || tok.kind == PGS_TOK_COMMENT)
			continue;
		if (tok.kind == PGS_TOK_SEMICOLON || (depth == 0 && is_punct(text, &tok, ',')))
			break;
		if (tok.kind == PGS_TOK_OPEN) {
			depth++;
		} else if (tok.kind == PGS_TOK_CLOSE) {
			if (depth == 0)
				break;
			depth--;
		}
		last = tok.end;
	}
	return (struct pgs_span){at, last};
}

const char *pgs_span_text(struct pgs_arena *arena, const char *text, struct pgs_span span)
{
	char *out = pgs_arena_alloc(arena, span.end - span.start + 1), *o = out;
	bool space = false;

	for (uint32_t i = span.start; i < span.end; i++) {
		char c = text[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = true;
			continue;
		}
		if (space && o > out)
			*o++ = ' ';
		space = false;
		*o++ = c;
	}
	*o = '\0';
	return out;
}

const char *pgs_builtin_type(const PgQuery__TypeName *tn)
{
	static const char *const serials[] = {"serial",	 "serial4",	"bigserial",
					      "serial8", "smallserial", "serial2"};

	if (!tn || tn->pct_type || tn->n_names == 0 || tn->n_names > 2)
		return NULL;
	const char *name = pgs_type_name_last(tn);
	if (tn->n_names == 2) {
		const char *schema = pgs_node_string(tn->names[0]);
		if (!schema || strcmp(schema, "pg_catalog") != 0)
			return NULL;
		for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++)
			if (strcmp(name, serials[i]) == 0)
				return NULL; /* "type pg_catalog.serial does not exist" */
	}
	return *name ? name : NULL;
}

const char *pgs_typmods_text(struct pgs_arena *arena, const PgQuery__TypeName *tn)
{
	struct pgs_strbuf out;

	pgs_strbuf_init(&out, arena);
	for (size_t i = 0; tn && i < tn->n_typmods; i++) {
		const PgQuery__Node *m = tn->typmods[i];
		const char *v = "?";
		if (m->node_case == PG_QUERY__NODE__NODE_A_CONST &&
		    m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			v = pgs_arena_printf(arena, "%d", m->a_const->ival->ival);
		pgs_strbuf_add(&out, NULL, i ? ", " : "(");
		pgs_strbuf_add(&out, NULL, v);
	}
	if (out.len)
		pgs_strbuf_add(&out, NULL, ")");
	return pgs_strbuf_str(&out);
}

/* Fill c's spans from the tree's locations; false when the tree has none. */
static bool locate(struct pgs_check *ctx, struct pgs_coldef *c, struct pgs_span def_span)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	const char *text = pgs_check_text(ctx);

	if (!c->type || c->type->location < 0)
		return false;
	uint32_t at = pgs_stmt_offset(stmt, c->type->location);
	if (at < stmt->span.start || at >= stmt->span.end)
		return false;
	type_spans(text, at, stmt->span.end, &c->type_span, &c->base_span);
	c->def_span = def_span;
	c->name_span = def_span;
	if (c->def && c->def->location >= 0) {
		uint32_t name = pgs_stmt_offset(stmt, c->def->location);
		if (name >= def_span.start && name < at)
			c->name_span = pgs_token_span(text, name, at);
	}
	return true;
}

void pgs_coldefs_each(struct pgs_check *ctx,
		      void (*fn)(struct pgs_check *ctx, const struct pgs_coldef *c, void *data),
		      void *data)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	const char *text = pgs_check_text(ctx);

	if (node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		const PgQuery__CreateStmt *cs = node->create_stmt;
		for (size_t i = 0; i < cs->n_table_elts; i++) {
			const PgQuery__Node *n = cs->table_elts[i];
			if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
				continue;
			const PgQuery__ColumnDef *def = n->column_def;
			struct pgs_coldef c = {.kind = PGS_COLDEF_CREATE,
					       .relation = cs->relation,
					       .column = def->colname,
					       .def = def,
					       .type = def->type_name,
					       .builtin = pgs_builtin_type(def->type_name)};
			if (def->location < 0)
				continue;
			uint32_t at = pgs_stmt_offset(stmt, def->location);
			if (locate(ctx, &c, pgs_clause_span(text, at, stmt->span.end)))
				fn(ctx, &c, data);
		}
		return;
	}
	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		const PgQuery__ColumnDef *def = cmd->def->column_def;
		struct pgs_coldef c = {.relation = as->relation,
				       .def = def,
				       .type = def->type_name,
				       .builtin = pgs_builtin_type(def->type_name),
				       .cmd = i};
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn) {
			c.kind = PGS_COLDEF_ADD;
			c.column = def->colname;
		} else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType) {
			c.kind = PGS_COLDEF_ALTER_TYPE;
			c.column = cmd->name;
		} else {
			continue;
		}
		if (c.column && locate(ctx, &c, pgs_check_cmd_span(ctx, i)))
			fn(ctx, &c, data);
	}
}
