#include "lint/rule.h"
#include "rules/rule_util.h"

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation) || !pgs_lock_blocks(e->lock))
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if ((cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
		     cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse) ||
		    !cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT ||
		    cmd->def->constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION)
			continue;
		const PgQuery__Constraint *c = cmd->def->constraint;
		const char *label = pgs_check_relation_label(ctx, e->relation);
		struct pgs_diag *d;

		if (c->conname && *c->conname)
			d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
				       "ADD CONSTRAINT %s EXCLUDE builds its index while holding %s on "
				       "%s",
				       pgs_check_quote(ctx, c->conname), pgs_lock_name(e->lock), label);
		else
			d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
				       "ADD EXCLUDE builds its index while holding %s on %s",
				       pgs_lock_name(e->lock), label);
		pgs_diag_note_lock(ctx, d, e);
		for (size_t k = 0; k < fx->n; k++)
			if (&fx->items[k] != e && fx->items[k].scan)
				pgs_diag_note_lock(ctx, d, &fx->items[k]);
		pgs_diag_note(ctx, d, "an exclusion constraint has no NOT VALID form and no USING "
				      "INDEX form, and there is no way to build its index "
				      "CONCURRENTLY");
		pgs_diag_help(ctx, d,
			      "there is no online way to add it to a large table: add it while "
			      "the table is small, or in a quiet window with a short lock_timeout "
			      "and retries; or build a new table with the constraint and move the "
			      "rows over");
	}
}

const struct pgs_rule pgs_rule_adding_exclusion_constraint = {
	.id = "M109",
	.name = "adding-exclusion-constraint",
	.severity = PGS_SEV_WARNING,
	.summary = "ADD CONSTRAINT ... EXCLUDE builds its index under ACCESS EXCLUSIVE; there is no "
		   "online path",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t ADD CONSTRAINT c EXCLUDE USING gist (...)` builds the\n"
		"constraint's index, reading the whole table, while holding ACCESS EXCLUSIVE:\n"
		"no reads and no writes until it is done.\n\n"
		"## Safe alternative\n\n"
		"There is none in PostgreSQL: an exclusion constraint can't be added NOT VALID,\n"
		"there is no `EXCLUDE ... USING INDEX` to adopt an index built beforehand, so\n"
		"there is no way to build its index concurrently. Options:\n\n"
		"- add the constraint when the table is created or still small;\n"
		"- run it in a quiet window, with a short `lock_timeout` and retries, knowing\n"
		"  the table is unavailable for the length of the build;\n"
		"- create a new table with the constraint, copy the rows in batches and swap.\n\n"
		"Tables created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap\n"
		       "    EXCLUDE USING gist (room_id WITH =, during WITH &&);",
	.example_good = "CREATE TABLE bookings (room_id int, during tstzrange,\n"
			"    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, "
			"during WITH &&));",
	.check = check,
};
