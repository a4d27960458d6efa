#include <string.h>

#include "core/lexer.h"
#include "lint/rule.h"

/*
 * The new type as written in the action (from the type name to USING or the
 * end of the action, COLLATE included), so messages say "bigint", not "int8".
 */
static const char *written_type(struct pgs_check *ctx, struct pgs_span action,
				const PgQuery__TypeName *tn)
{
	const char *text = pgs_check_text(ctx);
	uint32_t start = pgs_stmt_offset(pgs_check_stmt(ctx), tn->location);
	uint32_t end = action.end;
	struct pgs_token tok;
	int depth = 0;

	if (tn->location < 0 || start < action.start || start >= action.end)
		return pgs_type_name_last(tn);
	for (uint32_t pos = start; pos < action.end;) {
		pos = pgs_lex(text, pos, action.end, &tok);
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE)
			depth--;
		else if (depth == 0 && pgs_token_is(text, &tok, "using")) {
			end = tok.start;
			break;
		}
	}
	end = pgs_last_token_end(text, start, end);
	return pgs_arena_printf(pgs_check_arena(ctx), "%.*s", (int)(end - start), text + start);
}

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The locks on other tables come from foreign keys re-created with the column. */
static void note_other_tables(struct pgs_check *ctx, struct pgs_diag *d, const struct pgs_effect *e)
{
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	bool others = false;

	for (size_t i = 0; i < fx->n; i++)
		if (&fx->items[i] != e && pgs_lock_blocks(fx->items[i].lock) &&
		    !pgs_check_created_in_this_file(ctx, fx->items[i].relation))
			others = true;
	if (!others)
		return;
	pgs_diag_note_other_locks(ctx, d, e);
	pgs_diag_note(ctx, d,
		      "foreign keys using the changed column are dropped and re-created: that "
		      "locks the table at their other end, and reads all of it when the key "
		      "values are converted");
}

static void report_rewrite(struct pgs_check *ctx, const struct pgs_effect *e, struct pgs_span span,
			   const char *what, const char *type, const char *column,
			   const struct pgs_column_retype *r)
{
	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d;

	if (!r->old_type_known && r->assumed) {
		d = pgs_report(ctx, span,
			       "changing the type of %s to %s rewrites %s unless the change is "
			       "binary-coercible, and the column's current type is unknown",
			       what, type, label);
		pgs_diag_note_lock(ctx, d, e);
		note_other_tables(ctx, d, e);
		pgs_diag_note(ctx, d,
			      "assumed: none of the files pgstage read creates %s; pass the "
			      "schema with --context (earlier migrations or pg_dump "
			      "--schema-only) for an exact answer",
			      label);
	} else if (starts_with(r->why, "timestamp -> timestamptz rewrites unless")) {
		d = pgs_report(ctx, span,
			       "changing the type of %s to %s rewrites %s unless the session "
			       "TimeZone is UTC, and the migration doesn't set it",
			       what, type, label);
		pgs_diag_note_lock(ctx, d, e);
		note_other_tables(ctx, d, e);
		pgs_diag_help(ctx, d,
			      "run SET TimeZone = 'UTC' before it in the same session: from "
			      "PostgreSQL 12 the values are then kept as they are and only the "
			      "indexes on %s are rebuilt",
			      column);
		return;
	} else {
		d = pgs_report(ctx, span, "changing the type of %s to %s rewrites %s: %s", what,
			       type, label, r->why);
		pgs_diag_note_lock(ctx, d, e);
		note_other_tables(ctx, d, e);
	}
	if (starts_with(r->why, "length limit lowered") ||
	    starts_with(r->why, "a length limit checks")) {
		pgs_diag_help(ctx, d,
			      "keep the type and enforce the limit with CHECK (length(%s) <= n) "
			      "added NOT VALID, then VALIDATE it in a later transaction (SHARE "
			      "UPDATE EXCLUSIVE: reads and writes continue)",
			      column);
		return;
	}
	pgs_diag_help(ctx, d,
		      "expand and contract: add a column of the new type, keep it in sync with "
		      "a trigger, backfill it in batches, switch the application to it, then "
		      "drop %s in a later migration",
		      column);
}

static void report_recheck(struct pgs_check *ctx, const struct pgs_effect *e, struct pgs_span span,
			   const char *what, const char *type, const struct pgs_column_retype *r)
{
	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d =
		pgs_report(ctx, span,
			   "changing the type of %s to %s re-validates constraint %s with a "
			   "full scan of %s",
			   what, type, pgs_check_quote(ctx, r->rechecked), label);

	pgs_diag_note_lock(ctx, d, e);
	note_other_tables(ctx, d, e);
	pgs_diag_note(ctx, d,
		      "the table is not rewritten, but CHECK constraints on the column are "
		      "dropped, re-added and checked against every row");
	pgs_diag_help(ctx, d,
		      "drop %s first, change the type, then add it back NOT VALID and VALIDATE "
		      "it in a later transaction (SHARE UPDATE EXCLUSIVE: reads and writes "
		      "continue)",
		      pgs_check_quote(ctx, r->rechecked));
}

static void report_reindex(struct pgs_check *ctx, const struct pgs_effect *e, struct pgs_span span,
			   const char *what, const char *type, const char *column,
			   const struct pgs_column_retype *r)
{
	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d =
		pgs_report(ctx, span,
			   "changing the type of %s to %s rebuilds the indexes on %s%s; %s is "
			   "not rewritten",
			   what, type, column, r->assumed ? " (if it has any)" : "", label);

	d->severity = PGS_SEV_INFO;
	pgs_diag_note_lock(ctx, d, e);
	note_other_tables(ctx, d, e);
	pgs_diag_note(ctx, d, "%s", r->why);
	pgs_diag_help(ctx, d,
		      "on a large table, drop the column's indexes with DROP INDEX CONCURRENTLY "
		      "before the change and build them again with CREATE INDEX CONCURRENTLY "
		      "after it");
}

static void check(struct pgs_check *ctx)
{
	const struct pgs_effect *e;
	const PgQuery__AlterTableStmt *as = pgs_check_alter_existing_table(ctx, &e);

	if (!as)
		return;
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), as->relation);
	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;

		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		struct pgs_column_retype r = pgs_effects_alter_column_type(
			pgs_check_model(ctx), t, cmd, pgs_check_pg_version(ctx));
		if (!r.rewrite && !r.rechecked && !r.reindex)
			continue;
		struct pgs_span span = pgs_check_cmd_span(ctx, i);
		const char *column = pgs_check_quote(ctx, cmd->name);
		const char *what = pgs_arena_printf(pgs_check_arena(ctx), "%s.%s",
						    pgs_check_relation_label(ctx, e->relation),
						    column);
		const char *type = written_type(ctx, span, cmd->def->column_def->type_name);
		if (r.rewrite)
			report_rewrite(ctx, e, span, what, type, column, &r);
		else if (r.rechecked)
			report_recheck(ctx, e, span, what, type, &r);
		else
			report_reindex(ctx, e, span, what, type, column, &r);
	}
}

const struct pgs_rule pgs_rule_changing_column_type = {
	.id = "M204",
	.name = "changing-column-type",
	.severity = PGS_SEV_WARNING,
	.summary = "ALTER COLUMN ... TYPE that rewrites the table, re-validates its CHECK "
		   "constraints or rebuilds its indexes",
	.docs = "## Problem\n\n"
		"`ALTER TABLE t ALTER COLUMN c TYPE ...` takes ACCESS EXCLUSIVE on the\n"
		"table. Unless the old type is binary-coercible to the new one (and USING\n"
		"leaves the values as they are), PostgreSQL rewrites the whole table and\n"
		"all its indexes while holding it: no reads and no writes until done.\n"
		"Rewrites: `int` to `bigint`, lowering a `varchar(n)` limit or adding one to\n"
		"`text`, changing a `numeric` scale or lowering its precision, a domain with\n"
		"a CHECK, a USING that computes new values, and `timestamp` to `timestamptz`\n"
		"unless the session TimeZone is UTC (PostgreSQL 12 and later).\n\n"
		"No rewrite, and no finding: `varchar(n)` to `varchar(m)` with m >= n, to\n"
		"`varchar` or to `text`; `text` to `varchar`; `numeric(p,s)` to\n"
		"`numeric(q,s)` with q >= p or to `numeric`; raising the precision of\n"
		"`timestamp`, `time` or `interval`; an unconstrained domain over the same\n"
		"type.\n\n"
		"Even without a rewrite:\n\n"
		"- CHECK constraints that read the column are dropped, re-added and checked\n"
		"  against every row, a full scan under ACCESS EXCLUSIVE (warning);\n"
		"- a new collation, or `timestamp` to `timestamptz` with TimeZone UTC,\n"
		"  rebuilds the indexes on the column (info);\n"
		"- foreign keys on the column are re-created: ACCESS EXCLUSIVE on the table at\n"
		"  their other end too, which is also scanned when the values are converted.\n\n"
		"When pgstage doesn't know the column's current type (the table is not\n"
		"created in the files it read) it assumes a rewrite; pass the schema with\n"
		"`--context` (earlier migrations or `pg_dump --schema-only`).\n\n"
		"## Safe alternative\n\n"
		"- Expand and contract: add a column of the new type, keep it in sync with a\n"
		"  trigger, backfill it in batches, switch the application to it, and drop\n"
		"  the old column in a later migration.\n"
		"- To lower a length limit, keep the type and add `CHECK (length(c) <= n)`\n"
		"  `NOT VALID`, then `VALIDATE CONSTRAINT` in a later transaction.\n"
		"- For `timestamp` to `timestamptz`, `SET TimeZone = 'UTC'` first (12+).\n"
		"- For a re-validated CHECK: drop it, change the type, add it back `NOT\n"
		"  VALID` and validate it separately.\n\n"
		"Tables created earlier in the same file are not flagged.\n",
	.example_bad = "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
	.example_good = "-- expand: a new column, kept in sync by a trigger and backfilled in batches\n"
			"ALTER TABLE users ADD COLUMN id_new bigint;",
	.check = check,
};
