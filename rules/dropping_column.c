#include <string.h>

#include "lint/rule.h"

/* A foreign key of the table (to another table) that uses the column, or NULL. */
static const struct pgs_constraint *foreign_key_of(struct pgs_table *t, const char *column)
{
	for (size_t i = 0; t && i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (c->dropped || c->kind != PGS_CON_FOREIGN_KEY || !c->referenced ||
		    strcmp(c->referenced, t->key) == 0)
			continue;
		for (size_t k = 0; k < c->n_columns; k++)
			if (c->columns[k] && strcmp(c->columns[k], column) == 0)
				return c;
	}
	return NULL;
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as)
		return;
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = pgs_model_table(model, as->relation);
	const char *label = pgs_check_relation_label(ctx, e->relation);

	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;

		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn || !cmd->name)
			continue;
		/* a column added earlier in this file holds no data anyone relies on */
		struct pgs_column *col = t ? pgs_table_column(t, cmd->name) : NULL;
		if (col && col->created_in && col->created_in == model->file_number)
			continue;
		const char *column = pgs_check_quote(ctx, cmd->name);
		struct pgs_diag *d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
						"dropping column %s.%s deletes its data and breaks "
						"application code that still uses it",
						label, column);
		pgs_diag_note(ctx, d,
			      "the values are gone when the migration commits (only a backup "
			      "brings them back), and instances of the application still running "
			      "the previous release fail on every query that names %s",
			      column);
		if (cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
			pgs_diag_note(ctx, d,
				      "CASCADE also drops the views and the constraints of other "
				      "tables that depend on the column");
		pgs_diag_note_lock(ctx, d, e);
		pgs_diag_note_other_locks(ctx, d, e);
		const struct pgs_constraint *fk = foreign_key_of(t, cmd->name);
		if (fk)
			pgs_diag_note(ctx, d,
				      "foreign key %s is dropped with the column, and its triggers "
				      "on %s with it: that takes ACCESS EXCLUSIVE on %s too",
				      pgs_check_quote(ctx, fk->name),
				      pgs_check_relation_label(ctx, fk->referenced),
				      pgs_check_relation_label(ctx, fk->referenced));
		pgs_diag_help(ctx, d,
			      "first deploy application code that no longer reads or writes %s "
			      "(tell the ORM to ignore it), then drop it in a later migration",
			      column);
	}
}

const struct pgs_rule pgs_rule_dropping_column = {
	.id = "M207",
	.name = "dropping-column",
	.severity = PGS_SEV_WARNING,
	.summary = "DROP COLUMN deletes data and breaks application code that still uses the "
		   "column",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t DROP COLUMN c` is instant (PostgreSQL only marks the column\n"
		"dropped; the space is reclaimed by later updates), but the data is gone\n"
		"when it commits and every query that names `c` fails from then on. During\n"
		"a deployment the previous release of the application is still running,\n"
		"and ORMs that list every column in their INSERTs and SELECTs fail even\n"
		"when the code never mentions `c`. Indexes and constraints on the column\n"
		"are dropped with it; with CASCADE, views and other tables' constraints\n"
		"that depend on it are dropped too.\n\n"
		"It takes ACCESS EXCLUSIVE on the table, and when the column is part of a\n"
		"foreign key also on the referenced table (the key's triggers there are\n"
		"removed).\n\n"
		"## Safe alternative\n\n"
		"1. Deploy application code that no longer reads or writes the column\n"
		"   (Rails `ignored_columns`, Django: remove the field with\n"
		"   `SeparateDatabaseAndState`, ...).\n"
		"2. In a later migration, drop the column, with a short `lock_timeout`.\n\n"
		"Tables created and columns added earlier in the same file are not\n"
		"flagged.\n",
	.example_bad = "ALTER TABLE users DROP COLUMN legacy_token;",
	.example_good = "ALTER TABLE users ADD COLUMN scratch text;\n"
			"ALTER TABLE users DROP COLUMN scratch;",
	.check = check,
};
