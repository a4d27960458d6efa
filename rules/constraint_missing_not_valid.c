#include "lint/rule.h"
#include "rules/rule_util.h"

/* ADD COLUMN c ... CHECK (...): the column's CHECK, or NULL. */
static const PgQuery__Constraint *column_check(const PgQuery__AlterTableCmd *cmd)
{
	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return NULL;
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	for (size_t i = 0; i < def->n_constraints; i++)
		if (def->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    def->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			return def->constraints[i]->constraint;
	return NULL;
}

static void report_column_check(struct pgs_check *ctx, size_t i, const PgQuery__ColumnDef *def,
				const struct pgs_effect *e)
{
	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
					"ADD COLUMN %s with a CHECK checks every row of %s while "
					"holding %s on it",
					pgs_check_quote(ctx, def->colname), label,
					pgs_lock_name(e->lock));
	pgs_diag_note_lock(ctx, d, e);
	pgs_diag_help(ctx, d,
		      "a column constraint can't be NOT VALID: add the column without the CHECK, "
		      "then ADD CONSTRAINT ... CHECK (...) NOT VALID and VALIDATE CONSTRAINT it in "
		      "a later transaction (SHARE UPDATE EXCLUSIVE: reads and writes go on)");
}

/* ADD COLUMN c ... REFERENCES p: the column's foreign key, or NULL. */
static const PgQuery__Constraint *column_foreign_key(const PgQuery__AlterTableCmd *cmd)
{
	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return NULL;
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	for (size_t i = 0; i < def->n_constraints; i++)
		if (def->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    def->constraints[i]->constraint->contype ==
			PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN &&
		    def->constraints[i]->constraint->pktable)
			return def->constraints[i]->constraint;
	return NULL;
}

/* ADD COLUMN c ... DEFAULT ... REFERENCES p: validated against every row. */
static void report_column_foreign_key(struct pgs_check *ctx, size_t i,
				      const PgQuery__ColumnDef *def, const PgQuery__Constraint *c,
				      const struct pgs_effect *e)
{
	const char *label = pgs_check_relation_label(ctx, e->relation);
	const char *ref_key = pgs_model_key(pgs_check_model(ctx), c->pktable);
	const struct pgs_effect *ref = strcmp(ref_key, e->relation) != 0
					   ? pgs_effects_find(pgs_check_effects(ctx), ref_key)
					   : NULL;
	const char *column = pgs_check_quote(ctx, def->colname);
	struct pgs_diag *d;

	if (ref)
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "ADD COLUMN %s with a default and REFERENCES checks every row of %s "
			       "while holding %s on it and %s on %s",
			       column, label, pgs_lock_name(e->lock), pgs_lock_name(ref->lock),
			       pgs_check_relation_label(ctx, ref_key));
	else
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "ADD COLUMN %s with a default and REFERENCES checks every row of %s "
			       "while holding %s on it",
			       column, label, pgs_lock_name(e->lock));
	pgs_diag_note_lock(ctx, d, e);
	if (ref)
		pgs_diag_note_lock(ctx, d, ref);
	pgs_diag_note(ctx, d, "every existing row gets the default, so PostgreSQL validates the new "
			      "foreign key at once; only a column without a default (all NULL) skips "
			      "that");
	pgs_diag_help(ctx, d,
		      "a column constraint can't be NOT VALID: add the column without REFERENCES, "
		      "then ALTER TABLE %s ADD CONSTRAINT ... FOREIGN KEY (%s) REFERENCES ... NOT "
		      "VALID and VALIDATE CONSTRAINT it in a later transaction (SHARE UPDATE "
		      "EXCLUSIVE, and ROW SHARE on the referenced table: reads and writes go on); "
		      "pgstage plan does this",
		      label, column);
}

static void report_constraint(struct pgs_check *ctx, size_t i, const PgQuery__Constraint *c,
			      const struct pgs_effect *e)
{
	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	bool fk = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
	const char *label = pgs_check_relation_label(ctx, e->relation);
	const char *kind = fk ? "FOREIGN KEY" : "CHECK";
	bool named = c->conname && *c->conname;
	const char *name = named ? pgs_check_quote(ctx, c->conname) : NULL;
	const struct pgs_effect *ref = NULL;
	const char *ref_label = NULL;

	if (fk && c->pktable) {
		const char *ref_key = pgs_model_key(model, c->pktable);
		if (strcmp(ref_key, e->relation) != 0) {
			ref = pgs_effects_find(fx, ref_key);
			ref_label = pgs_check_relation_label(ctx, ref_key);
		}
	}
	const char *what = named ? pgs_arena_printf(pgs_check_arena(ctx), "ADD CONSTRAINT %s %s",
						    name, kind)
				 : pgs_arena_printf(pgs_check_arena(ctx), "ADD %s", kind);
	struct pgs_diag *d;
	if (ref && ref->lock == e->lock)
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "%s without NOT VALID checks every row of %s while holding %s on it "
			       "and on %s",
			       what, label, pgs_lock_name(e->lock), ref_label);
	else if (ref)
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "%s without NOT VALID checks every row of %s while holding %s on it "
			       "and %s on %s",
			       what, label, pgs_lock_name(e->lock), pgs_lock_name(ref->lock),
			       ref_label);
	else
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "%s without NOT VALID checks every row of %s while holding %s on it",
			       what, label, pgs_lock_name(e->lock));
	pgs_diag_note_lock(ctx, d, e);
	if (ref)
		pgs_diag_note_lock(ctx, d, ref);

	struct pgs_table *t = pgs_strmap_get(&model->tables, e->relation);
	if (fk && t && t->kind == 'p' && pgs_check_pg_version(ctx) < 18) {
		pgs_diag_note(ctx, d, "%s is partitioned: PostgreSQL before 18 rejects NOT VALID "
				      "foreign keys on partitioned tables",
			      label);
		pgs_diag_help(ctx, d,
			      "add the foreign key NOT VALID to each partition and VALIDATE it there "
			      "(SHARE UPDATE EXCLUSIVE), then add it to %s, which adopts the "
			      "partitions' validated constraints",
			      label);
		return;
	}
	const char *validate = named ? name : "<name>";
	if (ref_label)
		pgs_diag_help(ctx, d,
			      "%sadd it NOT VALID (a brief lock, no scan), then in a later "
			      "transaction ALTER TABLE %s VALIDATE CONSTRAINT %s: it takes SHARE "
			      "UPDATE EXCLUSIVE on %s and ROW SHARE on %s, so reads and writes go on",
			      named ? "" : "name the constraint, ", label, validate, label,
			      ref_label);
	else
		pgs_diag_help(ctx, d,
			      "%sadd it NOT VALID (a brief lock, no scan), then in a later "
			      "transaction ALTER TABLE %s VALIDATE CONSTRAINT %s: it takes SHARE "
			      "UPDATE EXCLUSIVE, so reads and writes go on",
			      named ? "" : "name the constraint, ", label, validate);
	/* Unsafe: existing rows are not checked until the VALIDATE runs. */
	struct pgs_span span = pgs_check_cmd_span(ctx, i);
	pgs_diag_fix(ctx, d, "add NOT VALID (VALIDATE CONSTRAINT it in a later transaction)", false);
	pgs_diag_edit(ctx, d, (struct pgs_span){span.end, span.end}, " NOT VALID");
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as)
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse: {
			if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
				break;
			const PgQuery__Constraint *c = cmd->def->constraint;
			/* NOT VALID exists only for CHECK and FOREIGN KEY */
			if ((c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK ||
			     c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) &&
			    !c->skip_validation && e->scan)
				report_constraint(ctx, i, c, e);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse: {
			if (column_check(cmd) && e->scan)
				report_column_check(ctx, i, cmd->def->column_def, e);
			const PgQuery__Constraint *fk = column_foreign_key(cmd);
			if (fk &&
			    pgs_effects_add_column(
				pgs_check_model(ctx), pgs_check_arena(ctx),
				pgs_strmap_get(&pgs_check_model(ctx)->tables, e->relation), cmd,
				pgs_check_pg_version(ctx))
				.validates_fk)
				report_column_foreign_key(ctx, i, cmd->def->column_def, fk, e);
			break;
		}
		default:
			break;
		}
	}
}

const struct pgs_rule pgs_rule_constraint_missing_not_valid = {
	.id = "M105",
	.name = "constraint-missing-not-valid",
	.severity = PGS_SEV_WARNING,
	.summary = "ADD CONSTRAINT CHECK / FOREIGN KEY without NOT VALID scans the table under its lock",
	.docs = "## Problem\n\n"
		"Adding a CHECK constraint or a foreign key to an existing table checks every\n"
		"existing row while the ALTER TABLE holds its lock:\n\n"
		"- `ADD CONSTRAINT ... CHECK (...)` holds ACCESS EXCLUSIVE on the table: no\n"
		"  reads and no writes until the scan ends;\n"
		"- `ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES p` holds SHARE ROW EXCLUSIVE\n"
		"  on the table and on `p`: writes to both wait while every row is looked up.\n\n"
		"`ADD COLUMN c ... CHECK (...)` checks every row too (under ACCESS EXCLUSIVE),\n"
		"and so does `ADD COLUMN c ... REFERENCES p` when the column has a default\n"
		"(any `DEFAULT`, even `DEFAULT NULL`, or `serial`, or `GENERATED ... STORED`):\n"
		"every row gets a value, so PostgreSQL validates the new foreign key at once,\n"
		"under ACCESS EXCLUSIVE on the table and SHARE ROW EXCLUSIVE on `p`.\n\n"
		"## Safe alternative\n\n"
		"1. `ALTER TABLE t ADD CONSTRAINT c ... NOT VALID;` takes the same lock, but\n"
		"   only briefly: existing rows are not checked (new and updated rows are).\n"
		"2. In a later transaction, `ALTER TABLE t VALIDATE CONSTRAINT c;` scans under\n"
		"   SHARE UPDATE EXCLUSIVE (plus ROW SHARE on the referenced table for a\n"
		"   foreign key): reads and writes go on.\n\n"
		"NOT VALID is only for CHECK and FOREIGN KEY: UNIQUE, PRIMARY KEY and EXCLUDE\n"
		"have other rules (`unique-constraint-builds-index`, `adding-exclusion-constraint`).\n"
		"A column constraint can't be NOT VALID: add the column, then the constraint.\n"
		"Before PostgreSQL 18 a foreign key on a partitioned table can't be NOT VALID:\n"
		"add it to each partition NOT VALID, validate those, then add it to the parent.\n\n"
		"The fix appends NOT VALID. It is marked unsafe: existing rows stay unchecked\n"
		"until the VALIDATE CONSTRAINT, which must follow in a later transaction.\n"
		"`ADD COLUMN ... REFERENCES` without a default is not flagged: the new column is\n"
		"all NULL, and PostgreSQL marks the foreign key valid without a scan (it does\n"
		"the same for `GENERATED ... AS IDENTITY`, leaving its numbers unchecked).\n"
		"Tables created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk\n"
		       "    FOREIGN KEY (customer_id) REFERENCES customers (id);",
	.example_good = "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk\n"
			"    FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;",
	.check = check,
};
