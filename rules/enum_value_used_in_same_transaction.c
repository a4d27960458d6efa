#include <stdlib.h>
#include <string.h>

#include "core/lexer.h"
#include "lint/rule.h"
#include "core/volatility.h"
#include "core/walk.h"

/*
 * The values added in the current transaction of this file, by value: a
 * statement is walked once, and each string in it is looked up, so a long
 * transaction that adds and uses many values costs each statement once.
 */
struct added {
	const struct pgs_enum_value *v;
	size_t index;                /* in pgs_model.enum_values: the order of findings */
	const PgQuery__AConst *hit;  /* the statement's first use, if any */
	struct added *next, *last;   /* the types with a value of that name (last: on the first) */
	struct added *next_hit;
};

struct state {
	unsigned txn_id;
	size_t seen; /* model enum values already looked at */
	struct pgs_strmap by_value; /* value -> struct added */
};

/* One walk over a statement: the strings equal to a new value, and what may coerce them. */
struct search {
	struct pgs_check *ctx;
	struct state *st;
	const PgQuery__RangeVar *created; /* CREATE TABLE's own name: not a table to look up */
	bool all_relevant; /* a table whose columns are unknown, or a function of ours */
	struct pgs_strmap types; /* type names it casts to or defines columns of */
	struct pgs_table **tables; /* known tables it touches */
	size_t n_tables, cap_tables;
	bool columns_done; /* their column types are in types */
	const PgQuery__AConst *cast_arg; /* the string a cast just visited applies to */
	const char *cast_type;
	struct added *hits; /* values used, latest first */
};

static void add_type(struct search *s, const PgQuery__TypeName *tn)
{
	const char *name = pgs_type_name_last(tn);

	if (*name)
		pgs_strmap_put(&s->types, name, s);
}

/* A table the statement reads or writes: its columns may be of the enum. */
static void look_at_table(struct search *s, const PgQuery__RangeVar *rv)
{
	if (rv == s->created)
		return;
	struct pgs_table *t = pgs_model_table(pgs_check_model(s->ctx), rv);
	if (!t || t->partial) {
		s->all_relevant = true; /* its columns are unknown */
		return;
	}
	struct pgs_table **slot = pgs_arena_push(pgs_check_arena(s->ctx), (void **)&s->tables,
						 &s->n_tables, &s->cap_tables, sizeof(*slot));
	*slot = t;
}

/* Whether the statement may coerce a string to the enum named type (without schema). */
static bool relevant(struct search *s, const char *type)
{
	if (s->all_relevant)
		return true;
	if (!s->columns_done) {
		for (size_t i = 0; i < s->n_tables; i++)
			for (size_t k = 0; k < s->tables[i]->n_columns; k++)
				if (*s->tables[i]->columns[k].type)
					pgs_strmap_put(&s->types, s->tables[i]->columns[k].type, s);
		s->columns_done = true;
	}
	return pgs_strmap_get(&s->types, type) != NULL;
}

static const char *type_of(const struct pgs_enum_value *v)
{
	const char *dot = strrchr(v->type, '.');

	return dot ? dot + 1 : v->type;
}

static bool visit(void *data, const PgQuery__Node *node)
{
	struct search *s = data;

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		const PgQuery__TypeCast *tc = node->type_cast;
		add_type(s, tc->type_name);
		if (tc->arg && tc->arg->node_case == PG_QUERY__NODE__NODE_A_CONST) {
			s->cast_arg = tc->arg->a_const;
			s->cast_type = pgs_type_name_last(tc->type_name);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_COLUMN_DEF:
		add_type(s, node->column_def->type_name);
		break;
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		look_at_table(s, node->range_var);
		break;
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		/* a function of ours may take the enum */
		struct pgs_volatility v = pgs_expr_volatility(node, pgs_check_arena(s->ctx),
							    pgs_check_pg_version(s->ctx));
		if (v.assumed)
			s->all_relevant = true;
		break;
	}
	case PG_QUERY__NODE__NODE_A_CONST: {
		const PgQuery__AConst *c = node->a_const;
		if (c->isnull || c->val_case != PG_QUERY__A__CONST__VAL_SVAL)
			break;
		/* a string cast to another type is not the enum's */
		const char *cast = c == s->cast_arg ? s->cast_type : NULL;
		for (struct added *a = pgs_strmap_get(&s->st->by_value, c->sval->sval); a;
		     a = a->next) {
			if (a->hit || (cast && strcmp(cast, type_of(a->v)) != 0))
				continue;
			a->hit = c;
			a->next_hit = s->hits;
			s->hits = a;
		}
		break;
	}
	default:
		break;
	}
	return true;
}

/* The values added by the current transaction of this file, up to this statement. */
static struct state *added_values(struct pgs_check *ctx)
{
	void **slot = pgs_check_state(ctx);
	struct state *st = *slot;
	struct pgs_model *model = pgs_check_model(ctx);
	unsigned txn = pgs_check_txn(ctx)->id;

	if (!st) {
		st = *slot = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*st));
		pgs_strmap_init(&st->by_value);
		st->seen = model->n_enum_values; /* values of earlier files are committed */
	}
	if (st->txn_id != txn && st->by_value.n)
		pgs_strmap_release(&st->by_value);
	st->txn_id = txn;
	/* values are added in order: the new ones are at the end */
	for (; st->seen < model->n_enum_values; st->seen++) {
		const struct pgs_enum_value *v = &model->enum_values[st->seen];
		if (v->txn_id != txn || v->file_number != model->file_number)
			continue;
		struct added *a = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*a));
		a->v = v;
		a->index = st->seen;
		/* same value, several types: kept in the order they were added */
		struct added *first = pgs_strmap_get(&st->by_value, v->value);
		if (first)
			first->last = first->last->next = a;
		else
			pgs_strmap_put(&st->by_value, v->value, a->last = a);
	}
	return st;
}

static int by_index(const void *pa, const void *pb)
{
	const struct added *a = *(struct added *const *)pa, *b = *(struct added *const *)pb;

	return a->index < b->index ? -1 : a->index > b->index;
}

static const PgQuery__RangeVar *statement_target(const PgQuery__Node *node)
{
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return node->update_stmt->relation;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return node->delete_stmt->relation;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		return node->insert_stmt->relation;
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		return node->merge_stmt->relation;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return node->alter_table_stmt->relation;
	default:
		return NULL;
	}
}

static const char *how_to_commit(const struct pgs_check *ctx, const struct pgs_txn *txn)
{
	if (!txn->by_tool)
		return "COMMIT after ALTER TYPE ... ADD VALUE, and use the value in a later "
		       "transaction";
	if (pgs_check_tool(ctx) == PGS_TOOL_GOLANG_MIGRATE)
		return "golang-migrate runs the file as one transaction: put ALTER TYPE ... ADD "
		       "VALUE in its own migration file, before the one that uses the value";
	if (pgs_check_tool(ctx) == PGS_TOOL_DRIZZLE)
		return "drizzle runs every pending migration in one transaction: put ALTER TYPE "
		       "... ADD VALUE in a migration applied by an earlier run of the migrator "
		       "than the one that uses the value";
	return "put ALTER TYPE ... ADD VALUE in its own migration, before the one that "
	       "uses the value: each migration is committed before the next starts";
}

static void report(struct pgs_check *ctx, const struct pgs_enum_value *v,
		   const PgQuery__AConst *hit)
{
	uint32_t at = pgs_stmt_offset(pgs_check_stmt(ctx), hit->location);
	struct pgs_token tok;
	pgs_lex(pgs_check_text(ctx), at, pgs_check_stmt(ctx)->span.end, &tok);
	struct pgs_span span = {at, tok.end > at ? tok.end : at};
	const char *type = pgs_check_relation_label(ctx, v->type);
	struct pgs_diag *d = pgs_report(ctx, span,
					"'%s' was added to enum %s in this transaction (line "
					"%u) and can't be used before it commits",
					v->value, type, pgs_check_pos(ctx, v->offset).line);
	pgs_diag_note(ctx, d,
		      "PostgreSQL stops the migration with: unsafe use of new value \"%s\" "
		      "of enum type %s (HINT: New enum values must be committed before "
		      "they can be used.)",
		      v->value, type_of(v));
	pgs_diag_help(ctx, d, "%s", how_to_commit(ctx, pgs_check_txn(ctx)));
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	const struct pgs_txn *txn = pgs_check_txn(ctx);

	/* before 12 ADD VALUE can't run in a transaction block at all
	 * (concurrently-in-transaction reports that) */
	if (pgs_check_pg_version(ctx) < 12 || !txn->active)
		return;
	struct state *st = added_values(ctx);
	if (!st->by_value.n || node->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
		return;
	struct search s = {.ctx = ctx, .st = st};
	pgs_strmap_init(&s.types);
	if (node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
		s.created = node->create_stmt->relation;
	/* the target table of a statement is a field, not a node the walk visits */
	const PgQuery__RangeVar *target = statement_target(node);
	if (target)
		look_at_table(&s, target);
	pgs_walk(node, visit, &s);

	/* findings in the order the values were added, as the history has them */
	size_t n = 0;
	for (struct added *a = s.hits; a; a = a->next_hit)
		n++;
	struct added **used = pgs_arena_array(pgs_check_arena(ctx), n ? n : 1, sizeof(*used));
	n = 0;
	for (struct added *a = s.hits; a; a = a->next_hit)
		used[n++] = a;
	qsort(used, n, sizeof(*used), by_index);
	for (size_t i = 0; i < n; i++) {
		if (relevant(&s, type_of(used[i]->v)))
			report(ctx, used[i]->v, used[i]->hit);
		used[i]->hit = NULL;
	}
	pgs_strmap_release(&s.types);
}

static void end_of_file(struct pgs_check *ctx)
{
	struct state *st = *pgs_check_state(ctx);

	if (st)
		pgs_strmap_release(&st->by_value);
}

const struct pgs_rule pgs_rule_enum_value_used_in_same_transaction = {
	.id = "M211",
	.name = "enum-value-used-in-same-transaction",
	.severity = PGS_SEV_ERROR,
	.summary = "an enum value added by ALTER TYPE ... ADD VALUE is used before its "
		   "transaction commits",
	.docs = "## Problem\n\n"
		"From PostgreSQL 12, `ALTER TYPE t ADD VALUE 'x'` may run inside a\n"
		"transaction block, but the new value \"cannot be used until after the\n"
		"transaction has been committed\". A statement in the same transaction that\n"
		"turns the string `'x'` into a value of the enum (an INSERT or UPDATE of a\n"
		"column of that type, a comparison in WHERE, a DEFAULT, a CHECK, a cast\n"
		"`'x'::t`) fails with\n\n"
		"    ERROR:  unsafe use of new value \"x\" of enum type t\n"
		"    HINT:  New enum values must be committed before they can be used.\n\n"
		"The transaction may be an explicit BEGIN, or one the migration tool opens:\n"
		"goose, dbmate and flyway run each migration in a transaction, and\n"
		"golang-migrate sends a file as one multi-statement query, which runs as\n"
		"one transaction. Before PostgreSQL 12, ADD VALUE can't run in a\n"
		"transaction block at all (`concurrently-in-transaction` reports that).\n\n"
		"pgstage reports a string equal to the new value when the statement may\n"
		"coerce it to the enum: it casts to the enum, defines a column of it, or\n"
		"touches a table that has such a column or whose columns it doesn't know.\n\n"
		"## Fix\n\n"
		"Commit between adding the value and using it: put `ALTER TYPE ... ADD\n"
		"VALUE` in its own migration, before the migration that uses the value (or\n"
		"`COMMIT` after it when the file manages its own transactions).\n",
	.example_bad = "BEGIN;\n"
		       "ALTER TYPE order_status ADD VALUE 'archived';\n"
		       "UPDATE orders SET status = 'archived' WHERE closed_at < '2020-01-01';\n"
		       "COMMIT;",
	.example_good = "BEGIN;\n"
			"ALTER TYPE order_status ADD VALUE 'archived';\n"
			"COMMIT;\n"
			"UPDATE orders SET status = 'archived' WHERE closed_at < '2020-01-01';",
	.check = check,
	.end_of_file = end_of_file,
};
