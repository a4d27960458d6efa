#include <stdlib.h>
#include <string.h>

#include "lint/rule.h"

struct indexes {
	struct pgs_index **items;
	size_t n, cap;
	struct pgs_arena *arena;
	struct pgs_strmap *tables; /* collect the indexes on these tables, */
	const char *table;	   /* or on this one table */
};

static void collect(void *data, const char *key, void *value)
{
	struct indexes *list = data;
	struct pgs_index *ix = value;

	(void)key;
	/* called for every index of the schema: the common single table is a strcmp */
	if (list->table ? strcmp(list->table, ix->table) != 0
			: !pgs_strmap_get(list->tables, ix->table))
		return;
	struct pgs_index **slot =
	    pgs_arena_push(list->arena, (void **)&list->items, &list->n, &list->cap, sizeof(*slot));
	*slot = ix;
}

/* By table, then by name: each table's indexes together, in a stable order. */
static int by_table_and_key(const void *pa, const void *pb)
{
	const struct pgs_index *a = *(struct pgs_index *const *)pa;
	const struct pgs_index *b = *(struct pgs_index *const *)pb;
	int c = strcmp(a->table, b->table);

	return c ? c : strcmp(a->key, b->key);
}

/* Whether a constraint (primary key, unique, exclusion) is backed by the index. */
static bool backs_constraint(struct pgs_model *model, const struct pgs_index *ix)
{
	struct pgs_table *t = pgs_strmap_get(&model->tables, ix->table);

	for (size_t i = 0; t && i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].index &&
		    strcmp(t->constraints[i].index, ix->key) == 0)
			return true;
	return false;
}

/* Whether the index's key columns are plain columns PostgreSQL compares the default way. */
static bool plain(const struct pgs_index *ix)
{
	if (ix->partial || ix->custom_keys || ix->n_columns == 0)
		return false;
	for (size_t i = 0; i < ix->n_columns; i++)
		if (!ix->columns[i])
			return false;
	return true;
}

/* Whether a's columns are the first columns of b (all of them when exact). */
static bool leading(const struct pgs_index *a, const struct pgs_index *b, bool exact)
{
	if (a->n_columns > b->n_columns || (exact && a->n_columns != b->n_columns))
		return false;
	for (size_t i = 0; i < a->n_columns; i++)
		if (!b->columns[i] || strcmp(a->columns[i], b->columns[i]) != 0)
			return false;
	return true;
}

/* Whether b came before a (so a is the one to flag when they are twins). */
static bool earlier(const struct pgs_index *b, const struct pgs_index *a, bool b_backs)
{
	if (b_backs || b->created_in != a->created_in)
		return b_backs || b->created_in < a->created_in;
	return b->offset < a->offset;
}

/* Why index a (created in this file by CREATE INDEX) adds nothing next to b, or NULL. */
static const char *redundant_with(struct pgs_model *model, const struct pgs_index *a,
				  const struct pgs_index *b)
{
	/* an index known by name only (USING INDEX) can't be compared */
	if (a == b || b->unknown || strcmp(a->table, b->table) != 0 || b->partial ||
	    b->custom_keys || strcmp(a->method, b->method) != 0)
		return NULL;
	if (leading(a, b, true)) {
		if (a->unique && !b->unique)
			return NULL; /* b is the redundant one */
		if (a->unique == b->unique && !earlier(b, a, backs_constraint(model, b)))
			return NULL; /* twins: the later one is flagged */
		return "duplicates";
	}
	/* only a btree serves lookups on the leading columns of a longer key */
	if (!a->unique && strcmp(a->method, "btree") == 0 && leading(a, b, false))
		return "is a leading part of";
	return NULL;
}

static const char *column_list(struct pgs_check *ctx, const struct pgs_index *ix)
{
	const char *out = "";

	for (size_t i = 0; i < ix->n_columns; i++)
		out = pgs_arena_printf(pgs_check_arena(ctx), "%s%s%s", out, i ? ", " : "",
				       ix->columns[i] ? pgs_check_quote(ctx, ix->columns[i])
						      : "(expression)");
	return out;
}

/* The index's name as SQL: its schema is its table's. */
static const char *index_label(struct pgs_check *ctx, const struct pgs_index *ix)
{
	return pgs_check_relation_label(ctx, ix->key);
}

/* Report index a if it adds nothing next to one of the other indexes of its table. */
static void check_index(struct pgs_check *ctx, const struct pgs_index *a,
			struct pgs_index *const *same_table, size_t n)
{
	struct pgs_model *model = pgs_check_model(ctx);

	if (a->created_in != model->file_number || !plain(a) || a->has_include ||
	    backs_constraint(model, a))
		return;
	const struct pgs_index *other = NULL;
	const char *how = NULL;
	for (size_t k = 0; k < n; k++) {
		const char *h = redundant_with(model, a, same_table[k]);
		/* an exact duplicate is the clearest to name */
		if (h &&
		    (!other || (strcmp(h, "duplicates") == 0 && strcmp(how, "duplicates") != 0))) {
			other = same_table[k];
			how = h;
		}
	}
	const struct pgs_stmt *stmt = other ? pgs_check_stmt_at(ctx, a->offset) : NULL;
	if (!stmt)
		return;
	struct pgs_diag *d =
	    pgs_report(ctx, stmt->span, "index %s (%s) %s index %s (%s)", index_label(ctx, a),
		       column_list(ctx, a), how, index_label(ctx, other), column_list(ctx, other));
	if (strcmp(how, "duplicates") == 0)
		pgs_diag_note(ctx, d, "%s already serves every lookup this index can",
			      index_label(ctx, other));
	else
		pgs_diag_note(ctx, d,
			      "%s is a btree on the same leading columns: it serves every lookup "
			      "and sort this index can",
			      index_label(ctx, other));
	pgs_diag_note(ctx, d,
		      "each index slows every INSERT and most UPDATEs of %s, and takes disk and "
		      "cache",
		      pgs_check_relation_label(ctx, a->table));
	if (strcmp(how, "duplicates") != 0 || backs_constraint(model, other))
		pgs_diag_help(ctx, d, "leave this index out");
	else
		pgs_diag_help(
		    ctx, d,
		    "leave this index out; if it is meant to replace %s (a rebuild, a new "
		    "name), drop %s in the same migration",
		    index_label(ctx, other), index_label(ctx, other));
}

/* the indexes of one table of the set, without walking every index of the schema */
struct collect_from {
	struct pgs_model *model;
	struct indexes *all;
};

static void collect_table(void *data, const char *key, void *value)
{
	struct collect_from *c = data;

	(void)value;
	pgs_model_each_index_of(c->model, key, collect, c->all);
}

static void end_of_file(struct pgs_check *ctx)
{
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_strmap tables;
	size_t n_tables = 0;
	const char *first_table = NULL;

	if (model->file_number == 0)
		return;
	/* the tables this file indexed, then all their indexes */
	pgs_strmap_init(&tables);
	for (size_t i = 0; i < model->n_new_indexes; i++) {
		struct pgs_index *ix = model->new_indexes[i];
		if (pgs_model_index(model, ix->key) == ix && !pgs_strmap_get(&tables, ix->table)) {
			pgs_strmap_put(&tables, ix->table, ix);
			if (n_tables++ == 0)
				first_table = ix->table;
		}
	}
	struct indexes all = {.arena = pgs_check_arena(ctx), .tables = &tables};
	if (n_tables == 1)
		all.table = first_table;
	struct collect_from collect_from = {model, &all};
	if (n_tables)
		pgs_strmap_each(&tables, collect_table, &collect_from);
	pgs_strmap_release(&tables);
	if (all.n > 1)
		qsort(all.items, all.n, sizeof(*all.items), by_table_and_key);
	for (size_t start = 0, end; start < all.n; start = end) {
		for (end = start + 1;
		     end < all.n && strcmp(all.items[end]->table, all.items[start]->table) == 0;
		     end++)
			;
		for (size_t i = start; i < end; i++)
			check_index(ctx, all.items[i], all.items + start, end - start);
	}
}

const struct pgs_rule pgs_rule_redundant_index = {
    .id = "M505",
    .name = "redundant-index",
    .severity = PGS_SEV_WARNING,
    .summary = "an index whose columns equal, or lead, another index of the table",
    .docs = "## Problem\n\n"
	    "An index on the same columns as another one, or on the leading columns of a\n"
	    "longer btree index, serves no lookup the other can't: `(customer_id)` next to\n"
	    "`(customer_id, created_at)`, or a plain index on the column of a primary key\n"
	    "or unique constraint. It still costs on every INSERT and most UPDATEs, takes\n"
	    "disk and cache, and must be vacuumed.\n\n"
	    "Checked at the end of each file, for the indexes CREATE INDEX made in that\n"
	    "file and still there, against every index pgstage knows on the table\n"
	    "(earlier files, `--context`, constraints). Both must be non-partial, with\n"
	    "the same access method, on plain columns with default operator classes,\n"
	    "collations and sort orders; an index with INCLUDE columns is not flagged.\n"
	    "A unique index is only flagged next to a unique index on exactly the same\n"
	    "columns: a unique index on fewer columns is a stronger constraint, not a\n"
	    "redundant one. Leading-column redundancy is only claimed for btree. An\n"
	    "index pgstage knows by name only (one from before the history that\n"
	    "`ADD ... USING INDEX` named) is compared with nothing. Of two\n"
	    "identical indexes the later one is flagged; an index that is dropped later\n"
	    "in the file is not there at the end, so rebuilding an index under a new name\n"
	    "and dropping the old one is not flagged.\n\n"
	    "## Safe alternative\n\n"
	    "Leave the index out. If it is meant to replace the other one (a different\n"
	    "name, a rebuild), drop the other in the same migration.\n",
    .example_bad = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, created_at "
		   "timestamptz);\n"
		   "CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);\n"
		   "CREATE INDEX orders_customer_idx ON orders (customer_id);",
    .example_good = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, created_at "
		    "timestamptz);\n"
		    "CREATE INDEX orders_customer_created_idx ON orders (customer_id, "
		    "created_at);\n"
		    "CREATE INDEX orders_created_idx ON orders (created_at);",
    .end_of_file = end_of_file,
};
