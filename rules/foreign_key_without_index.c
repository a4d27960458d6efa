#include <string.h>

#include "core/arena.h"
#include "lint/columns.h"
#include "core/quote.h"
#include "lint/rule.h"
#include "core/strbuf.h"
#include "core/strmap.h"

static bool leads_with(const struct pgs_index *ix, const struct pgs_constraint *fk)
{
	if (ix->partial || ix->n_columns < fk->n_columns)
		return false;
	for (size_t i = 0; i < fk->n_columns; i++) {
		bool found = false;
		for (size_t k = 0; k < fk->n_columns && !found; k++)
			found = ix->columns[k] && strcmp(ix->columns[k], fk->columns[i]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/*
 * The indexes of a table and of its partitioned ancestors (an index on a
 * partitioned table is built on each of its partitions), by first column:
 * a foreign key is covered by an index whose first columns are its own, so
 * one starting with one of them. Gathered once per table, so a table with
 * many foreign keys and many indexes costs their sum.
 */
struct table_indexes {
	struct pgs_arena *arena;
	struct pgs_strmap by_first; /* column -> struct index_list */
	bool unknown;		    /* one is known by name only: it may cover anything */
};

struct index_list {
	const struct pgs_index **items;
	size_t n, cap;
};

static void gather_index(void *data, const char *key, void *value)
{
	struct table_indexes *ti = data;
	const struct pgs_index *ix = value;

	(void)key;
	if (ix->unknown) {
		ti->unknown = true;
		return;
	}
	if (ix->partial || !ix->n_columns || !ix->columns[0])
		return;
	struct index_list *l = pgs_strmap_get(&ti->by_first, ix->columns[0]);
	if (!l) {
		l = pgs_arena_alloc(ti->arena, sizeof(*l));
		pgs_strmap_put(&ti->by_first, ix->columns[0], l);
	}
	*(const struct pgs_index **)pgs_arena_push(ti->arena, (void **)&l->items, &l->n, &l->cap,
						   sizeof(*l->items)) = ix;
}

static bool covered(const struct table_indexes *ti, const struct pgs_constraint *fk)
{
	if (ti->unknown)
		return true;
	for (size_t k = 0; k < fk->n_columns; k++) {
		const struct index_list *l = pgs_strmap_get(&ti->by_first, fk->columns[k]);
		for (size_t i = 0; l && i < l->n; i++)
			if (leads_with(l->items[i], fk))
				return true;
	}
	return false;
}

static bool same_columns(PgQuery__Node **names, size_t n, const struct pgs_constraint *fk)
{
	if (n != fk->n_columns)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *s = pgs_node_string(names[i]);
		if (!s || strcmp(s, fk->columns[i]) != 0)
			return false;
	}
	return true;
}

/* Whether a FOREIGN KEY constraint node (of column, if a column constraint) is fk. */
static bool is_the_fk(const PgQuery__Constraint *con, const char *column,
		      const struct pgs_constraint *fk)
{
	if (con->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
		return false;
	if (con->conname && *con->conname)
		return strcmp(con->conname, fk->name) == 0;
	if (column)
		return fk->n_columns == 1 && strcmp(fk->columns[0], column) == 0;
	return same_columns(con->fk_attrs, con->n_fk_attrs, fk);
}

/* The FOREIGN KEY clause (or the column definition holding it) in the statement. */
static struct pgs_span fk_span(struct pgs_check *ctx, const struct pgs_stmt *stmt,
			       const struct pgs_constraint *fk)
{
	const char *text = pgs_check_text(ctx);
	const PgQuery__Node *node = stmt->node;
	PgQuery__Node **items = NULL;
	size_t n = 0;

	if (node && node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		items = node->create_stmt->table_elts;
		n = node->create_stmt->n_table_elts;
	} else if (node && node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) {
		items = node->alter_table_stmt->cmds;
		n = node->alter_table_stmt->n_cmds;
	}
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *item = items[i];
		if (item->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			item = item->alter_table_cmd->def;
		if (!item)
			continue;
		if (item->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    is_the_fk(item->constraint, NULL, fk) && item->constraint->location >= 0)
			return pgs_clause_span(text,
					       pgs_stmt_offset(stmt, item->constraint->location),
					       stmt->span.end);
		if (item->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		const PgQuery__ColumnDef *def = item->column_def;
		for (size_t k = 0; k < def->n_constraints; k++)
			if (def->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			    is_the_fk(def->constraints[k]->constraint, def->colname, fk) &&
			    def->location >= 0)
				return pgs_clause_span(text, pgs_stmt_offset(stmt, def->location),
						       stmt->span.end);
	}
	return stmt->span;
}

/* PostgreSQL's style of index name, table_col1_col2_idx, unused so far and at most 63 bytes. */
static const char *index_name(struct pgs_check *ctx, const struct pgs_table *t,
			      const struct pgs_constraint *fk)
{
	struct pgs_arena *arena = pgs_check_arena(ctx);
	struct pgs_strbuf joined;

	pgs_strbuf_init(&joined, arena);
	pgs_strbuf_add(&joined, NULL, t->name);
	for (size_t i = 0; i < fk->n_columns; i++)
		pgs_strbuf_add(&joined, "_", fk->columns[i]);
	const char *base = pgs_strbuf_str(&joined);
	for (unsigned k = 0;; k++) {
		const char *suffix = k ? pgs_arena_printf(arena, "_idx%u", k) : "_idx";
		size_t keep = strlen(base), room = 63 - strlen(suffix);
		if (keep > room) {
			keep = room;
			while (keep > 0 && ((unsigned char)base[keep] & 0xC0) == 0x80)
				keep--;
		}
		const char *name = pgs_arena_printf(arena, "%.*s%s", (int)keep, base, suffix);
		const char *key = pgs_arena_printf(arena, "%s.%s", t->schema, name);
		if (!pgs_model_index(pgs_check_model(ctx), key))
			return name;
	}
}

struct scan {
	struct pgs_check *ctx;
	struct pgs_model *model;
};

static void report(struct pgs_check *ctx, const struct pgs_table *t,
		   const struct pgs_constraint *fk)
{
	const struct pgs_stmt *stmt = pgs_check_stmt_at(ctx, fk->offset);
	if (!stmt)
		return;
	struct pgs_arena *arena = pgs_check_arena(ctx);
	const char *table = pgs_check_relation_label(ctx, t->key);
	struct pgs_strbuf list;
	pgs_strbuf_init(&list, arena);
	for (size_t i = 0; i < fk->n_columns; i++)
		pgs_strbuf_add(&list, ", ", pgs_check_quote(ctx, fk->columns[i]));
	const char *columns = pgs_strbuf_str(&list);
	const char *referenced =
	    fk->referenced ? pgs_check_relation_label(ctx, fk->referenced) : "the referenced table";
	struct pgs_diag *d = pgs_report(ctx, fk_span(ctx, stmt, fk),
					"foreign key %s on %s (%s) has no index on its columns",
					pgs_check_quote(ctx, fk->name), table, columns);
	pgs_diag_note(ctx, d,
		      "every DELETE from %s, and every UPDATE of its key, looks for referencing "
		      "rows in %s: without an index each one scans %s",
		      referenced, table, table);
	const char *name = pgs_check_quote(ctx, index_name(ctx, t, fk));
	if (t->created_in == pgs_check_model(ctx)->file_number)
		pgs_diag_help(ctx, d,
			      "add CREATE INDEX %s ON %s (%s); to this migration (the table is "
			      "new: no need for CONCURRENTLY)",
			      name, table, columns);
	else
		pgs_diag_help(ctx, d,
			      "add CREATE INDEX CONCURRENTLY %s ON %s (%s); in a migration of its "
			      "own, outside a transaction block",
			      name, table, columns);
}

static void visit_table(void *data, struct pgs_table *t)
{
	struct scan *scan = data;

	/* first seen in an ALTER: its indexes are unknown (pass --context to know them) */
	if (t->partial || (t->kind != 'r' && t->kind != 'p'))
		return;
	struct table_indexes ti = {pgs_check_arena(scan->ctx), {0}, false};
	bool gathered = false;
	pgs_strmap_init(&ti.by_first);
	for (size_t i = 0; i < t->n_constraints; i++) {
		const struct pgs_constraint *fk = &t->constraints[i];
		bool named = fk->n_columns > 0;
		for (size_t k = 0; k < fk->n_columns; k++)
			named &= fk->columns[k] != NULL;
		if (fk->dropped || fk->kind != PGS_CON_FOREIGN_KEY || !named ||
		    fk->created_in != scan->model->file_number)
			continue;
		if (!gathered) {
			/* the table's own indexes, and those of its partitioned ancestors */
			const struct pgs_table *p = t;
			for (int depth = 0; p && depth < 8; depth++) {
				pgs_model_each_index_of(scan->model, p->key, gather_index, &ti);
				p = p->parent ? pgs_strmap_get(&scan->model->tables, p->parent)
					      : NULL;
			}
			gathered = true;
		}
		if (!covered(&ti, fk))
			report(scan->ctx, t, fk);
	}
	pgs_strmap_release(&ti.by_first);
}

static void end_of_file(struct pgs_check *ctx)
{
	struct scan scan = {ctx, pgs_check_model(ctx)};

	if (scan.model->file_number == 0)
		return;
	pgs_model_each_touched_table(scan.model, visit_table, &scan);
}

const struct pgs_rule pgs_rule_foreign_key_without_index = {
    .id = "M504",
    .name = "foreign-key-without-index",
    .severity = PGS_SEV_WARNING,
    .summary = "a foreign key whose columns lead no index: deletes on the referenced table "
	       "scan this one",
    .docs = "## Problem\n\n"
	    "PostgreSQL indexes the referenced side of a foreign key (it must be a primary\n"
	    "key or unique) but not the referencing side. Every DELETE from the referenced\n"
	    "table, and every UPDATE of its key, must look for referencing rows (to\n"
	    "reject, cascade or set null): without an index on the referencing columns\n"
	    "each of them scans the whole referencing table. Joins from the parent to\n"
	    "its children have the same problem.\n\n"
	    "Checked at the end of each file, for the foreign keys added in that file\n"
	    "and still there: the referencing columns must be the leading columns (in\n"
	    "any order) of a non-partial index on the table, or on a partitioned table\n"
	    "it is a partition of. Indexes from earlier files and `--context`, and those\n"
	    "created later in the same file, count; a primary key or unique constraint\n"
	    "is an index. Tables pgstage only knows from an ALTER (created before the\n"
	    "migration history, without `--context`) are not checked: their indexes are\n"
	    "unknown. Nor are tables with an index pgstage knows by name only (one from\n"
	    "before the history that `ADD ... USING INDEX` named): it may cover the key.\n\n"
	    "## Safe alternative\n\n"
	    "Index the referencing columns. On a table created in the same file, add\n"
	    "`CREATE INDEX` to the same migration; on an existing table use\n"
	    "`CREATE INDEX CONCURRENTLY` in a migration of its own, outside a transaction\n"
	    "block. The help gives the exact statement. If the referenced table never\n"
	    "sees deletes or key updates (a lookup table of constants), suppress the\n"
	    "finding with a `-- pgstage-ignore foreign-key-without-index: ...` comment\n"
	    "above the statement that adds the key.\n",
    .example_bad = "CREATE TABLE orders (\n"
		   "    id bigint PRIMARY KEY,\n"
		   "    customer_id bigint NOT NULL REFERENCES customers (id)\n"
		   ");",
    .example_good = "CREATE TABLE orders (\n"
		    "    id bigint PRIMARY KEY,\n"
		    "    customer_id bigint NOT NULL REFERENCES customers (id)\n"
		    ");\n"
		    "CREATE INDEX orders_customer_id_idx ON orders (customer_id);",
    .end_of_file = end_of_file,
};
