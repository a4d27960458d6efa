#include "core/volatility.h"

#include <string.h>

#include "core/model.h"
#include "core/pgdata/pgdata.h"

static int rank(char level)
{
	return level == 'v' ? 2 : level == 's' ? 1 : 0;
}

static void raise(struct pgs_volatility *v, char level, bool assumed, const char *culprit)
{
	if (rank(level) > rank(v->level)) {
		v->level = level;
		v->culprit = culprit;
	}
	if (assumed) {
		v->assumed = true;
		if (!v->culprit)
			v->culprit = culprit;
	}
}

static void walk(const PgQuery__Node *n, struct pgs_volatility *v);

static void walk_list(PgQuery__Node **items, size_t n, struct pgs_volatility *v)
{
	for (size_t i = 0; i < n; i++)
		walk(items[i], v);
}

static void walk_call(const PgQuery__FuncCall *fc, struct pgs_volatility *v)
{
	const char *name = fc->n_funcname ? pgs_node_string(fc->funcname[fc->n_funcname - 1]) : NULL;
	const char *schema = fc->n_funcname > 1 ? pgs_node_string(fc->funcname[fc->n_funcname - 2]) : NULL;
	char level = 0;
	bool by_types = false;

	/* Only pg_catalog functions are in the table; a user function of the
	 * same name in another schema is unknown. */
	if (name && (!schema || strcmp(schema, "pg_catalog") == 0)) {
		const struct pgs_pgdata_function *row =
		    pgs_pgdata_function_find_at(name, (int)fc->n_args, v->pg_version);
		level = row ? row->volatility : 0;
		/* overloads of different volatility: the argument types decide,
		 * the most volatile is the conservative answer */
		by_types = row && row->min_volatility != row->volatility;
	}
	/* name the function as written, schema included: util.now is not now */
	const char *shown = name && schema && strcmp(schema, "pg_catalog") != 0
				    ? pgs_arena_printf(v->arena, "%s.%s", schema, name)
				    : name;
	if (level)
		raise(v, level, by_types && level == 'v', shown);
	else
		raise(v, 'v', true, shown ? shown : "?");
	walk_list(fc->args, fc->n_args, v);
}

static void walk(const PgQuery__Node *n, struct pgs_volatility *v)
{
	if (!n)
		return;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		break;
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		walk_call(n->func_call, v);
		break;
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		/* CURRENT_TIMESTAMP, CURRENT_USER, ...: fixed for the statement */
		raise(v, 's', false, NULL);
		break;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		walk(n->type_cast->arg, v);
		break;
	case PG_QUERY__NODE__NODE_A_EXPR:
		walk(n->a_expr->lexpr, v);
		walk(n->a_expr->rexpr, v);
		break;
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		walk_list(n->bool_expr->args, n->bool_expr->n_args, v);
		break;
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		walk_list(n->a_array_expr->elements, n->a_array_expr->n_elements, v);
		break;
	case PG_QUERY__NODE__NODE_LIST:
		walk_list(n->list->items, n->list->n_items, v);
		break;
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		walk(n->collate_clause->arg, v);
		break;
	case PG_QUERY__NODE__NODE_NULL_TEST:
		walk(n->null_test->arg, v);
		break;
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		walk_list(n->coalesce_expr->args, n->coalesce_expr->n_args, v);
		break;
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		walk_list(n->min_max_expr->args, n->min_max_expr->n_args, v);
		break;
	case PG_QUERY__NODE__NODE_CASE_EXPR: {
		const PgQuery__CaseExpr *ce = n->case_expr;
		walk(ce->arg, v);
		walk(ce->defresult, v);
		for (size_t i = 0; i < ce->n_args; i++) {
			const PgQuery__Node *w = ce->args[i];
			if (w->node_case == PG_QUERY__NODE__NODE_CASE_WHEN) {
				walk(w->case_when->expr, v);
				walk(w->case_when->result, v);
			}
		}
		break;
	}
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		walk_list(n->row_expr->args, n->row_expr->n_args, v);
		break;
	default:
		/* Anything else (sub-links, ...) is treated as possibly volatile. */
		raise(v, 'v', true, NULL);
		break;
	}
}

struct pgs_volatility pgs_expr_volatility(const PgQuery__Node *expr, struct pgs_arena *arena,
					  int pg_version)
{
	struct pgs_volatility v = {.level = 'i', .arena = arena, .pg_version = pg_version};

	walk(expr, &v);
	return v;
}
