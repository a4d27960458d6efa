#include <string.h>

#include "lint/rule.h"

/* Whether key is one of the tables the DROP names (each gets its own finding). */
static bool dropped_here(struct pgs_model *model, const PgQuery__DropStmt *ds, const char *key)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *k = pgs_model_key_of_dropped(model, obj);
		if (k && strcmp(k, key) == 0)
			return true;
	}
	return false;
}

/* The other tables the DROP locks, and why. */
static void note_other_tables(struct pgs_check *ctx, struct pgs_diag *d,
			      const PgQuery__DropStmt *ds, const char *key)
{
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = pgs_strmap_get(&model->tables, key);
	bool by_key = false;

	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *o = &fx->items[i];
		if (!pgs_lock_blocks(o->lock) || dropped_here(model, ds, o->relation) ||
		    pgs_check_created_in_this_file(ctx, o->relation))
			continue;
		pgs_diag_note_lock(ctx, d, o);
		if (t && t->parent && strcmp(t->parent, o->relation) == 0)
			pgs_diag_note(ctx, d, "%s is a partition of %s",
				      pgs_check_relation_label(ctx, key),
				      pgs_check_relation_label(ctx, o->relation));
		else
			by_key = true;
	}
	if (by_key)
		pgs_diag_note(ctx, d,
			      "the foreign keys between %s and other tables are dropped with it, "
			      "and with them their triggers on those tables: that locks them too",
			      pgs_check_relation_label(ctx, key));
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_DROP_STMT ||
	    node->drop_stmt->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	const PgQuery__DropStmt *ds = node->drop_stmt;
	struct pgs_model *model = pgs_check_model(ctx);

	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *key = pgs_model_key_of_dropped(model, obj);
		const struct pgs_effect *e = key ? pgs_effects_find(pgs_check_effects(ctx), key)
						 : NULL;
		if (!e || pgs_check_created_in_this_file(ctx, key))
			continue;
		const char *label = pgs_check_relation_label(ctx, key);
		struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
						"dropping table %s deletes its data and breaks "
						"application code that still uses it",
						label);
		pgs_diag_note(ctx, d,
			      "the rows are gone when the migration commits (only a backup brings "
			      "them back), and instances of the application still running the "
			      "previous release fail on every query that names %s",
			      label);
		if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
			pgs_diag_note(ctx, d,
				      "CASCADE also drops the views that use %s and the foreign "
				      "keys of other tables that reference it",
				      label);
		pgs_diag_note_lock(ctx, d, e);
		note_other_tables(ctx, d, ds, key);
		pgs_diag_help(ctx, d,
			      "first deploy application code that no longer uses %s, then drop it "
			      "in a later migration (renaming it first is a quick way to find out "
			      "who still uses it, and easy to undo)",
			      label);
	}
}

const struct pgs_rule pgs_rule_dropping_table = {
	.id = "M208",
	.name = "dropping-table",
	.severity = PGS_SEV_WARNING,
	.summary = "DROP TABLE deletes data and breaks application code that still uses the "
		   "table",
	.docs = "## Problem\n\n"
		"`DROP TABLE t` deletes the table and its rows when it commits; every query\n"
		"that names `t` fails from then on, including those of the previous release\n"
		"of the application, which is still running during a deployment.\n\n"
		"It takes ACCESS EXCLUSIVE on `t`, and also on every table `t`'s foreign\n"
		"keys reference (their triggers are removed) and on the parent of a\n"
		"partition: those tables are blocked for reads and writes while it waits\n"
		"for and holds the lock. With CASCADE the views that use `t` and the\n"
		"foreign keys of tables that reference it are dropped too, and those\n"
		"tables are locked as well.\n\n"
		"## Safe alternative\n\n"
		"1. Deploy application code that no longer uses the table.\n"
		"2. In a later migration, drop it with a short `lock_timeout`. Dropping its\n"
		"   foreign keys first, each in its own short transaction, keeps the locks\n"
		"   on the referenced tables brief.\n\n"
		"Tables created earlier in the same file are not flagged.\n",
	.example_bad = "DROP TABLE legacy_sessions;",
	.example_good = "CREATE TABLE import_staging (line text);\n"
			"DROP TABLE import_staging;",
	.check = check,
};
