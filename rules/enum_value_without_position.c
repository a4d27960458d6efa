#include <string.h>

#include "lint/rule.h"

/* A string as an SQL literal: 'it''s'. */
static const char *literal(struct pgs_check *ctx, const char *s)
{
	char *out = pgs_arena_alloc(pgs_check_arena(ctx), 2 * strlen(s) + 3), *o = out;

	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'')
			*o++ = '\'';
		*o++ = *s;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
		return;
	const PgQuery__AlterEnumStmt *es = node->alter_enum_stmt;
	/* RENAME VALUE has old_val; BEFORE / AFTER give the neighbor */
	if ((es->old_val && *es->old_val) || !es->new_val ||
	    (es->new_val_neighbor && *es->new_val_neighbor))
		return;
	const char *type =
	    pgs_model_key_from_names(pgs_check_model(ctx), es->type_name, es->n_type_name);
	if (!type)
		return;
	const char *label = pgs_check_relation_label(ctx, type);
	const char *value = literal(ctx, es->new_val);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"ADD VALUE without BEFORE or AFTER puts %s after every "
					"existing value of %s",
					value, label);
	pgs_diag_note(ctx, d,
		      "enum values sort in the order they were declared: <, >, BETWEEN, ORDER BY, "
		      "min() and max() on %s treat %s as the greatest value",
		      label, value);
	pgs_diag_help(ctx, d,
		      "if the order is used, say where the value goes: ADD VALUE %s BEFORE "
		      "'...' (or AFTER '...'); if only equality is used, appending is right",
		      value);
}

const struct pgs_rule pgs_rule_enum_value_without_position = {
    .id = "M503",
    .name = "enum-value-without-position",
    .severity = PGS_SEV_INFO,
    .summary = "ALTER TYPE ... ADD VALUE without BEFORE or AFTER appends the value last",
    .docs = "## Problem\n\n"
	    "Enum values are ordered by declaration, not alphabetically: `<`, `>`,\n"
	    "`BETWEEN`, `ORDER BY`, `min()` and `max()` use that order. `ALTER TYPE ...\n"
	    "ADD VALUE 'x'` without `BEFORE` or `AFTER` makes `x` the greatest value. For\n"
	    "a status that moves forward (`'draft' < 'sent' < 'paid'`) a new step usually\n"
	    "belongs in the middle, and queries such as `status < 'paid'` silently change\n"
	    "meaning when it lands at the end.\n\n"
	    "This is information, not an error: when the type is only compared for\n"
	    "equality, appending is what you want.\n\n"
	    "## Safe alternative\n\n"
	    "Say where the value goes: `ALTER TYPE order_status ADD VALUE 'packed' BEFORE\n"
	    "'shipped';`. No fix is offered: only the author knows the neighbour. If the\n"
	    "end is right, suppress the finding with a `-- pgstage-ignore\n"
	    "enum-value-without-position: ...` comment.\n",
    .example_bad = "ALTER TYPE order_status ADD VALUE 'packed';",
    .example_good = "ALTER TYPE order_status ADD VALUE 'packed' BEFORE 'shipped';",
    .check = check,
};
