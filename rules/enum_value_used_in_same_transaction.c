#include <string.h>

#include "lint/lexer.h"
#include "lint/rule.h"
#include "lint/volatility.h"
#include "lint/walk.h"

#define MAX_EXCLUDED 32

/* One pass over a statement looking for uses of one new enum value. */
struct search {
	struct pgs_check *ctx;
	const char *value;
	const char *type;                /* the enum's name, without schema */
	const PgQuery__RangeVar *created; /* CREATE TABLE's own name: not a table to look up */
	bool relevant; /* the statement may coerce a string to the enum */
	const PgQuery__AConst *hit;
	const PgQuery__AConst *excluded[MAX_EXCLUDED]; /* strings cast to another type */
	size_t n_excluded;
};

static bool is_enum(const struct search *s, const PgQuery__TypeName *tn)
{
	return tn && strcmp(pgs_type_name_last(tn), s->type) == 0;
}

/* A table the statement reads or writes: could one of its columns be of the enum? */
static void look_at_table(struct search *s, const PgQuery__RangeVar *rv)
{
	if (rv == s->created)
		return;
	struct pgs_table *t = pgs_model_table(pgs_check_model(s->ctx), rv);
	if (!t || t->partial) {
		s->relevant = true; /* its columns are unknown */
		return;
	}
	for (size_t i = 0; i < t->n_columns; i++)
		if (t->columns[i].type && strcmp(t->columns[i].type, s->type) == 0)
			s->relevant = true;
}

static bool visit(void *data, const PgQuery__Node *node)
{
	struct search *s = data;

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		const PgQuery__TypeCast *tc = node->type_cast;
		if (is_enum(s, tc->type_name))
			s->relevant = true;
		else if (tc->arg && tc->arg->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			 s->n_excluded < MAX_EXCLUDED)
			s->excluded[s->n_excluded++] = tc->arg->a_const;
		break;
	}
	case PG_QUERY__NODE__NODE_COLUMN_DEF:
		if (is_enum(s, node->column_def->type_name))
			s->relevant = true;
		break;
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		look_at_table(s, node->range_var);
		break;
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		/* a function of ours may take the enum */
		struct pgs_volatility v = pgs_expr_volatility(node, pgs_check_arena(s->ctx));
		if (v.assumed)
			s->relevant = true;
		break;
	}
	case PG_QUERY__NODE__NODE_A_CONST: {
		const PgQuery__AConst *c = node->a_const;
		if (s->hit || c->isnull || c->val_case != PG_QUERY__A__CONST__VAL_SVAL ||
		    strcmp(c->sval->sval, s->value) != 0)
			break;
		for (size_t i = 0; i < s->n_excluded; i++)
			if (s->excluded[i] == c)
				return true;
		s->hit = c;
		break;
	}
	default:
		break;
	}
	return true;
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
	switch (pgs_check_tool(ctx)) {
	case PGS_TOOL_GOLANG_MIGRATE:
		return "golang-migrate runs the file as one transaction: put ALTER TYPE ... ADD "
		       "VALUE in its own migration file, before the one that uses the value";
	default:
		return "put ALTER TYPE ... ADD VALUE in its own migration, before the one that "
		       "uses the value: each migration is committed before the next starts";
	}
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	const struct pgs_txn *txn = pgs_check_txn(ctx);
	struct pgs_model *model = pgs_check_model(ctx);

	/* before 12 ADD VALUE can't run in a transaction block at all
	 * (concurrently-in-transaction reports that) */
	if (pgs_check_pg_version(ctx) < 12 || !txn->active ||
	    node->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
		return;
	for (size_t i = 0; i < model->n_enum_values; i++) {
		const struct pgs_enum_value *v = &model->enum_values[i];
		if (v->txn_id != txn->id || v->file_number != model->file_number)
			continue;
		const char *dot = strrchr(v->type, '.');
		struct search s = {.ctx = ctx, .value = v->value, .type = dot ? dot + 1 : v->type};
		if (node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
			s.created = node->create_stmt->relation;
		/* the target table of a statement is a field, not a node the walk visits */
		const PgQuery__RangeVar *target = statement_target(node);
		if (target)
			look_at_table(&s, target);
		pgs_walk(node, visit, &s);
		if (!s.hit || !s.relevant)
			continue;

		uint32_t at = pgs_stmt_offset(pgs_check_stmt(ctx), s.hit->location);
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
			      v->value, s.type);
		pgs_diag_help(ctx, d, "%s", how_to_commit(ctx, txn));
	}
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
};
