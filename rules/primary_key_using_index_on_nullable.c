#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_COLUMNS 16

struct key_columns {
	const char *nullable[MAX_COLUMNS]; /* the key's columns not known to be NOT NULL */
	size_t n_nullable;
	bool known; /* the model knows the index's columns and the table's */
};

/* Which of the index's columns the implicit SET NOT NULL has to check. */
static struct key_columns key_columns(struct pgs_check *ctx, struct pgs_table *t,
				      const struct pgs_index *ix)
{
	struct key_columns k = {.known = t && ix && ix->n_columns > 0};

	for (size_t i = 0; ix && i < ix->n_columns; i++) {
		const char *name = ix->columns[i];
		struct pgs_column *c = name && t ? pgs_table_column(t, name) : NULL;
		if (!name || !c)
			k.known = false;
		if (c && c->not_null)
			continue;
		/* from 12 a validated CHECK (col IS NOT NULL) lets SET NOT NULL skip its scan */
		if (name && t && pgs_check_pg_version(ctx) >= 12 &&
		    pgs_model_has_valid_not_null_check(pgs_check_model(ctx), t, name))
			continue;
		if (name && k.n_nullable < MAX_COLUMNS)
			k.nullable[k.n_nullable++] = name;
	}
	return k;
}

static const char *quoted_list(struct pgs_check *ctx, const char *const *names, size_t n)
{
	struct pgs_strbuf out;

	pgs_strbuf_init(&out, pgs_check_arena(ctx));
	for (size_t i = 0; i < n; i++)
		pgs_strbuf_add(&out, i + 1 == n ? " and " : ", ", pgs_check_quote(ctx, names[i]));
	return pgs_strbuf_str(&out);
}

static void report(struct pgs_check *ctx, size_t i, const PgQuery__Constraint *c,
		   const struct pgs_effect *e)
{
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = pgs_strmap_get(&model->tables, e->relation);
	const char *schema = t ? t->schema : "public";
	const char *ix_key = pgs_arena_printf(pgs_check_arena(ctx), "%s.%s", schema, c->indexname);
	struct pgs_index *ix = pgs_model_index(model, ix_key);
	struct key_columns k = key_columns(ctx, t, ix);
	const char *label = pgs_check_relation_label(ctx, e->relation);
	const char *index = pgs_check_quote(ctx, c->indexname);

	if (k.known && !k.n_nullable)
		return; /* every column is NOT NULL or proven so: no scan for this key */
	struct pgs_diag *d;
	if (k.n_nullable)
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "ADD PRIMARY KEY USING INDEX %s makes %s NOT NULL, which checks every "
			       "row of %s while holding %s",
			       index, quoted_list(ctx, k.nullable, k.n_nullable), label,
			       pgs_lock_name(e->lock));
	else
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "ADD PRIMARY KEY USING INDEX %s makes its columns NOT NULL, which "
			       "checks every row of %s while holding %s",
			       index, label, pgs_lock_name(e->lock));
	pgs_diag_note_lock(ctx, d, e);
	if (!k.known)
		pgs_diag_note(ctx, d,
			      "assumed: the migration history does not show whether the columns of "
			      "%s are NOT NULL; if they are, this takes only a brief lock",
			      index);

	const char *col = k.n_nullable == 1 ? pgs_check_quote(ctx, k.nullable[0]) : "<col>";
	if (pgs_check_pg_version(ctx) < 12) {
		pgs_diag_help(ctx, d,
			      "before PostgreSQL 12 making a column NOT NULL always scans it under "
			      "ACCESS EXCLUSIVE: there is no online path; keep the scan short with a "
			      "quiet time and a short lock_timeout");
		return;
	}
	pgs_diag_help(ctx, d,
		      "make the key's columns NOT NULL first, in separate steps: ADD CONSTRAINT "
		      "... CHECK (%s IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later "
		      "transaction (reads and writes go on), ALTER COLUMN %s SET NOT NULL (no scan "
		      "then), drop the CHECK; then ADD PRIMARY KEY USING INDEX is quick",
		      col, col);
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as || !e->scan)
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if ((cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
		     cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse) ||
		    !cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		const PgQuery__Constraint *c = cmd->def->constraint;
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY && c->indexname &&
		    *c->indexname)
			report(ctx, i, c, e);
	}
}

const struct pgs_rule pgs_rule_primary_key_using_index_on_nullable = {
	.id = "M108",
	.name = "primary-key-using-index-on-nullable",
	.severity = PGS_SEV_WARNING,
	.summary = "ADD PRIMARY KEY USING INDEX on nullable columns scans the table under ACCESS "
		   "EXCLUSIVE",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t ADD PRIMARY KEY USING INDEX i` is quick only when the index's\n"
		"columns are already NOT NULL. Otherwise PostgreSQL runs an implicit\n"
		"`ALTER COLUMN ... SET NOT NULL`, which checks every row while the ALTER TABLE\n"
		"holds ACCESS EXCLUSIVE: no reads and no writes until the scan ends.\n\n"
		"pgstage knows the columns from the migration history (and `--context`); when it\n"
		"doesn't, it assumes they are nullable and says so.\n\n"
		"## Safe alternative\n\n"
		"Make each key column NOT NULL first, without the long lock (PostgreSQL 12+):\n\n"
		"1. `ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID;`\n"
		"2. `ALTER TABLE t VALIDATE CONSTRAINT t_c_nn;` in a later transaction (SHARE\n"
		"   UPDATE EXCLUSIVE: reads and writes go on)\n"
		"3. `ALTER TABLE t ALTER COLUMN c SET NOT NULL;` (no scan: the CHECK proves it)\n"
		"4. `ALTER TABLE t DROP CONSTRAINT t_c_nn;`\n"
		"5. `ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX i;` (brief)\n\n"
		"A validated `CHECK (c IS NOT NULL)` also lets the primary key skip its scan\n"
		"directly. Before PostgreSQL 12 SET NOT NULL always scans.\n",
	.example_bad = "ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX "
		       "accounts_id_idx;",
	.example_good = "ALTER TABLE accounts ADD CONSTRAINT accounts_id_nn CHECK (id IS NOT NULL) "
			"NOT VALID;\n"
			"ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_nn;\n"
			"ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;\n"
			"ALTER TABLE accounts DROP CONSTRAINT accounts_id_nn;\n"
			"CREATE UNIQUE INDEX CONCURRENTLY accounts_id_idx ON accounts (id);\n"
			"ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX "
			"accounts_id_idx;",
	.check = check,
};
