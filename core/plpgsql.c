#include "core/plpgsql.h"

#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "core/model.h"

/* The value of the DefElem named name in a list of options, or NULL. */
static const PgQuery__Node *option(PgQuery__Node **opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    strcmp(opts[i]->def_elem->defname, name) == 0)
			return opts[i]->def_elem->arg;
	return NULL;
}

/* The body and language of a DO or CREATE FUNCTION statement. */
static const char *body_of(const PgQuery__Node *stmt, const char **language, const char **function)
{
	PgQuery__Node **opts;
	size_t n;
	const PgQuery__Node *as, *lang;

	*function = NULL;
	if (stmt->node_case == PG_QUERY__NODE__NODE_DO_STMT) {
		opts = stmt->do_stmt->args;
		n = stmt->do_stmt->n_args;
		as = option(opts, n, "as");
	} else if (stmt->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT) {
		const PgQuery__CreateFunctionStmt *cf = stmt->create_function_stmt;
		opts = cf->options;
		n = cf->n_options;
		as = option(opts, n, "as");
		if (as && as->node_case == PG_QUERY__NODE__NODE_LIST && as->list->n_items)
			as = as->list->items[0];
		if (cf->n_funcname)
			*function = pgs_node_string(cf->funcname[cf->n_funcname - 1]);
	} else {
		return NULL;
	}
	lang = option(opts, n, "language");
	*language = lang ? pgs_node_string(lang) : "plpgsql";
	return pgs_node_string(as);
}

struct finder {
	struct pgs_embedded *out;
	struct pgs_arena *arena;
	const char *body;     /* the body as it stands in the source */
	uint32_t body_offset; /* its source offset */
	size_t cursor;        /* search from here: statements come in source order */
};

static void add(struct finder *f, const char *sql, size_t len)
{
	const char *needle = pgs_arena_strndup(f->arena, sql, len);
	const char *at = len ? strstr(f->body + f->cursor, needle) : NULL;

	if (!at)
		return;
	struct pgs_embedded_sql *e = pgs_arena_push(f->arena, (void **)&f->out->items, &f->out->n,
						    &f->out->cap, sizeof(*e));
	e->sql = needle;
	e->offset = f->body_offset + (uint32_t)(at - f->body);
	f->cursor = (size_t)(at - f->body) + len;
}

/* EXECUTE 'constant': the SQL inside the quotes, when it has no doubled quotes. */
static void add_literal(struct finder *f, const char *expr)
{
	size_t n = strlen(expr);

	if (n < 2 || expr[0] != '\'' || expr[n - 1] != '\'')
		return;
	const char *inner = expr + 1;
	size_t len = n - 2;
	if (memchr(inner, '\'', len))
		return; /* escaped quotes: the text differs from the source */
	add(f, inner, len);
}

static const char *expr_query(json_t *expr)
{
	return json_string_value(json_object_get(json_object_get(expr, "PLpgSQL_expr"), "query"));
}

/* Walk the JSON tree in document order, which is source order. */
static void walk(struct finder *f, json_t *v)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item)
			walk(f, item);
		return;
	}
	if (!json_is_object(v))
		return;
	json_t *execsql = json_object_get(v, "PLpgSQL_stmt_execsql");
	json_t *dyn = json_object_get(v, "PLpgSQL_stmt_dynexecute");
	const char *q;

	if (execsql && (q = expr_query(json_object_get(execsql, "sqlstmt"))))
		add(f, q, strlen(q));
	if (dyn && (q = expr_query(json_object_get(dyn, "query"))))
		add_literal(f, q);
	const char *key;
	json_t *child;
	json_object_foreach(v, key, child)
		walk(f, child);
}

bool pgs_plpgsql_find(struct pgs_embedded *out, struct pgs_arena *arena, const char *text,
		      uint32_t start, uint32_t end, const PgQuery__Node *stmt)
{
	const char *language, *function;
	const char *body = body_of(stmt, &language, &function);

	memset(out, 0, sizeof(*out));
	if (!body || !language || strcmp(language, "plpgsql") != 0)
		return false;
	out->executed = stmt->node_case == PG_QUERY__NODE__NODE_DO_STMT;
	out->function = function;

	/* where the body stands in the source (verbatim inside dollar quotes) */
	const char *src = pgs_arena_strndup(arena, text + start, end - start);
	const char *at = *body ? strstr(src, body) : NULL;
	if (!at)
		return true;

	PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(src);
	if (!r.error && r.plpgsql_funcs) {
		json_t *tree = json_loads(r.plpgsql_funcs, 0, NULL);
		struct finder f = {out, arena, at, start + (uint32_t)(at - src), 0};

		if (tree)
			walk(&f, tree);
		json_decref(tree);
	}
	pg_query_free_plpgsql_parse_result(r);
	return true;
}
