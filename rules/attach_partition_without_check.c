#include <string.h>

#include "lint/rule.h"

/* A scan the effects expect and no validated CHECK may spare (and not of a new table). */
static bool scanned(struct pgs_check *ctx, const struct pgs_effect *e)
{
	return e && e->scan && !e->assumed && !pgs_check_created_in_this_file(ctx, e->relation);
}

static void report(struct pgs_check *ctx, size_t i, const PgQuery__PartitionCmd *pc,
		   const struct pgs_effect *e)
{
	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const char *part_key = pgs_model_key(model, pc->name);
	const struct pgs_effect *pe = pgs_effects_find(fx, part_key);
	const struct pgs_table *def = pgs_model_default_partition(model, e->relation);
	const struct pgs_effect *de =
	    def && strcmp(def->key, part_key) != 0 ? pgs_effects_find(fx, def->key) : NULL;
	bool part_scan = scanned(ctx, pe), default_scan = scanned(ctx, de);
	if (!part_scan && !default_scan)
		return;

	const char *parent = pgs_check_relation_label(ctx, e->relation);
	const char *part = pgs_check_relation_label(ctx, part_key);
	const char *dflt = de ? pgs_check_relation_label(ctx, de->relation) : NULL;
	struct pgs_diag *d;
	if (part_scan)
		d = pgs_report(ctx, pgs_check_cmd_span(ctx, i),
			       "attaching %s to %s scans all of %s under %s to check that its rows "
			       "fit the partition bound",
			       part, parent, part, pgs_lock_name(pe->lock));
	else
		d = pgs_report(
		    ctx, pgs_check_cmd_span(ctx, i),
		    "attaching %s to %s scans the DEFAULT partition %s under %s to check "
		    "that none of its rows belong to the new partition",
		    part, parent, dflt, pgs_lock_name(de->lock));
	if (part_scan)
		pgs_diag_note_lock(ctx, d, pe);
	if (default_scan)
		pgs_diag_note_lock(ctx, d, de);
	pgs_diag_note_lock(ctx, d, e);

	const char *part_help =
	    part_scan ? pgs_arena_printf(pgs_check_arena(ctx),
					 "add to %s a CHECK constraint that matches the bound, NOT "
					 "VALID, and VALIDATE it in a later transaction (SHARE "
					 "UPDATE EXCLUSIVE: reads and writes go on); ",
					 part)
		      : "";
	const char *default_help =
	    default_scan ? pgs_arena_printf(pgs_check_arena(ctx),
					    "give the DEFAULT partition %s a validated CHECK that "
					    "excludes the new bound the same way; ",
					    dflt)
			 : "";
	pgs_diag_help(ctx, d,
		      "%s%sATTACH PARTITION then skips the scan%s, and the CHECK%s can be "
		      "dropped after it",
		      part_help, default_help, part_scan && default_scan ? "s" : "",
		      part_scan && default_scan ? "s" : "");
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return;
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e)
		return;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition && cmd->def &&
		    cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
		    cmd->def->partition_cmd->name)
			report(ctx, i, cmd->def->partition_cmd, e);
	}
}

const struct pgs_rule pgs_rule_attach_partition_without_check = {
    .id = "M120",
    .name = "attach-partition-without-check",
    .severity = PGS_SEV_WARNING,
    .summary = "ATTACH PARTITION scans the partition under ACCESS EXCLUSIVE unless a validated "
	       "CHECK proves its bound",
    .docs = "## Problem\n\n"
	    "`ALTER TABLE p ATTACH PARTITION c FOR VALUES ...` reads every row of `c` to\n"
	    "check that it fits the partition bound, holding ACCESS EXCLUSIVE on `c`: no\n"
	    "reads and no writes of `c` until the scan ends. If `p` has a DEFAULT\n"
	    "partition, that is scanned too, under ACCESS EXCLUSIVE, for rows that would\n"
	    "belong to `c`. On `p` itself ATTACH takes SHARE UPDATE EXCLUSIVE from\n"
	    "PostgreSQL 12 (ACCESS EXCLUSIVE before).\n\n"
	    "## Safe alternative\n\n"
	    "1. `ALTER TABLE c ADD CONSTRAINT c_bound CHECK (<the bound>) NOT VALID;`\n"
	    "   (for a range `FROM (a) TO (b)` on key `k`: `k IS NOT NULL AND k >= a AND\n"
	    "   k < b`)\n"
	    "2. `ALTER TABLE c VALIDATE CONSTRAINT c_bound;` in a later transaction (SHARE\n"
	    "   UPDATE EXCLUSIVE: reads and writes go on)\n"
	    "3. `ALTER TABLE p ATTACH PARTITION c FOR VALUES ...;` now skips the scan\n"
	    "4. `ALTER TABLE c DROP CONSTRAINT c_bound;`\n\n"
	    "For a DEFAULT partition, a validated CHECK that excludes the new bound spares\n"
	    "its scan the same way. pgstage takes any validated CHECK on the partition as\n"
	    "that proof (it can't compare expressions with the bound). Partitions created\n"
	    "earlier in the same file are not flagged.\n",
    .example_bad = "ALTER TABLE events ATTACH PARTITION events_2024\n"
		   "    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    .example_good = "ALTER TABLE events_2024 ADD CONSTRAINT events_2024_bound\n"
		    "    CHECK (at IS NOT NULL AND at >= '2024-01-01' AND at < '2025-01-01') "
		    "NOT VALID;\n"
		    "ALTER TABLE events_2024 VALIDATE CONSTRAINT events_2024_bound;\n"
		    "ALTER TABLE events ATTACH PARTITION events_2024\n"
		    "    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    .check = check,
};
