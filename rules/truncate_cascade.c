#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_NAMED 6 /* as many notes as a finding holds */

/* Whether relation is one of the tables the TRUNCATE names. */
static bool named(struct pgs_model *model, const PgQuery__TruncateStmt *ts, const char *relation)
{
	for (size_t i = 0; i < ts->n_relations; i++)
		if (ts->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR &&
		    strcmp(pgs_model_key(model, ts->relations[i]->range_var), relation) == 0)
			return true;
	return false;
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_TRUNCATE_STMT ||
	    node->truncate_stmt->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		return;
	const PgQuery__TruncateStmt *ts = node->truncate_stmt;
	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *cascaded[MAX_NAMED];
	const char *keys[MAX_NAMED], *targets[MAX_NAMED];
	size_t n = 0, n_targets = 0, n_cascaded = 0;
	bool existing_target = false;

	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		bool is_named = named(model, ts, e->relation);
		bool is_new = pgs_check_created_in_this_file(ctx, e->relation);

		if (is_named) {
			if (n_targets < MAX_NAMED)
				targets[n_targets++] = e->relation;
			existing_target |= !is_new;
			continue;
		}
		n_cascaded++;
		if (!is_new && n < MAX_NAMED) {
			cascaded[n] = e;
			keys[n++] = e->relation;
		}
	}
	/* a new table's referencing tables the history would show, and none exist
	 * (or all are new too): nothing existing is emptied by CASCADE */
	if (!n && !existing_target)
		return;
	const char *target_list = pgs_rules_join_relations(ctx, targets, n_targets, true);
	struct pgs_diag *d;
	if (n)
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "TRUNCATE ... CASCADE also empties %s, through foreign keys that lead "
			       "to %s",
			       pgs_rules_join_relations(ctx, keys, n, true), target_list);
	else
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "TRUNCATE ... CASCADE also empties every table that references %s by "
			       "a foreign key, and any table referencing those",
			       target_list);
	for (size_t i = 0; i < n; i++) {
		/* a new, empty file replaces the old one: nothing is copied */
		struct pgs_effect lock_only = *cascaded[i];
		lock_only.rewrite = lock_only.scan = false;
		pgs_diag_note_lock(ctx, d, &lock_only);
	}
	if (n_cascaded > n && n)
		pgs_diag_note(ctx, d, "and %zu more the history knows of", n_cascaded - n);
	pgs_diag_note(ctx, d, "the migration history may not show every foreign key: in the "
			      "database, CASCADE empties whatever references %s",
		      target_list);
	pgs_diag_help(ctx, d,
		      "list every table to empty in the TRUNCATE and drop CASCADE: then TRUNCATE "
		      "fails instead of emptying a table nobody meant to");
}

const struct pgs_rule pgs_rule_truncate_cascade = {
	.id = "M117",
	.name = "truncate-cascade",
	.severity = PGS_SEV_WARNING,
	.summary = "TRUNCATE ... CASCADE also empties every table that references the table",
	.docs = "## Problem\n\n"
		"`TRUNCATE t CASCADE` empties `t` and every table that references it by a\n"
		"foreign key, then every table referencing those, and so on, each under ACCESS\n"
		"EXCLUSIVE. Which tables that is depends on the foreign keys in the database at\n"
		"the time, not on what the migration names: a foreign key added later, by\n"
		"someone else, makes the same migration delete more data.\n\n"
		"pgstage names the tables it knows to be emptied from the migration history\n"
		"(and `--context`).\n\n"
		"## Safe alternative\n\n"
		"Name every table to empty in the TRUNCATE and leave CASCADE out (RESTRICT is\n"
		"the default): if another table references one of them, TRUNCATE fails instead\n"
		"of emptying it. A TRUNCATE ... CASCADE of a table created in the same file is\n"
		"flagged only when an existing table references it.\n",
	.example_bad = "TRUNCATE customers CASCADE;",
	.example_good = "TRUNCATE customers, orders, order_items;",
	.check = check,
};
