#include <stdlib.h>
#include <string.h>

#include "lint/rule.h"
#include "core/strbuf.h"

/*
 * The indexes a new index is compared with are found in a trie of column
 * lists (one root per access method) built for each table, so a table with
 * many indexes costs each index its own columns, not every other index.
 */
struct node {
	const char *id; /* children are keyed "<id>\x1f<column>" */
	/* the comparable indexes whose columns are exactly this path */
	struct pgs_index **exact;
	size_t n_exact, cap_exact;
	/* the first by name of those whose columns start with this path and go on */
	const struct pgs_index *longer;
	/* exact, for the twin question: unique ones and others, each in the
	 * order they came (see earlier), with the first name up to each */
	struct ranked *unique, *other;
	size_t n_unique, n_other;
	const struct pgs_index *first_unique;
	bool ranked;
};

struct ranked {
	const struct pgs_index *ix;
	bool backs;
	const struct pgs_index *first; /* smallest key of this and the ones before */
};

/* One table's indexes, its trie and the indexes that back its constraints. */
struct table_indexes {
	struct pgs_arena *arena;
	struct pgs_strmap nodes;   /* "\x1e<method>" or "<parent id>\x1f<column>" -> node */
	struct pgs_strmap backing; /* index key -> the constraint it backs */
	unsigned next_id;
};

struct indexes {
	struct pgs_index **items;
	size_t n, cap;
	struct pgs_arena *arena;
};

static void collect(void *data, const char *key, void *value)
{
	struct indexes *list = data;
	struct pgs_index **slot =
	    pgs_arena_push(list->arena, (void **)&list->items, &list->n, &list->cap, sizeof(*slot));

	(void)key;
	*slot = value;
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
static bool backs_constraint(const struct table_indexes *ti, const struct pgs_index *ix)
{
	return pgs_strmap_get(&ti->backing, ix->key) != NULL;
}

/* Whether the index's key columns are plain columns PostgreSQL compares the default way. */
static bool plain(const struct pgs_index *ix)
{
	if (ix->unknown || ix->partial || ix->custom_keys || ix->n_columns == 0)
		return false;
	for (size_t i = 0; i < ix->n_columns; i++)
		if (!ix->columns[i])
			return false;
	return true;
}

/*
 * Whether another index can make one redundant: no WHERE, default key
 * options, a known method (an index known by name only compares with nothing).
 */
static bool comparable(const struct pgs_index *ix)
{
	return !ix->unknown && ix->method && !ix->partial && !ix->custom_keys;
}

/* The child of parent (NULL: the root of the method named by column) for column. */
static struct node *child(struct table_indexes *ti, const struct node *parent, const char *column,
			  bool create)
{
	const char *key = parent ? pgs_arena_printf(ti->arena, "%s\x1f%s", parent->id, column)
				 : pgs_arena_printf(ti->arena, "\x1e%s", column);
	struct node *node = pgs_strmap_get(&ti->nodes, key);

	if (!node && create) {
		node = pgs_arena_alloc(ti->arena, sizeof(*node));
		node->id = pgs_arena_printf(ti->arena, "%u", ti->next_id++);
		pgs_strmap_put(&ti->nodes, key, node);
	}
	return node;
}

static void insert(struct table_indexes *ti, struct pgs_index *ix)
{
	struct node *node = child(ti, NULL, ix->method, true);

	for (size_t k = 0; k < ix->n_columns && ix->columns[k]; k++) {
		node = child(ti, node, ix->columns[k], true);
		if (k + 1 < ix->n_columns) {
			if (!node->longer || strcmp(ix->key, node->longer->key) < 0)
				node->longer = ix;
		} else {
			struct pgs_index **slot =
			    pgs_arena_push(ti->arena, (void **)&node->exact, &node->n_exact,
					   &node->cap_exact, sizeof(*slot));
			*slot = ix;
		}
	}
}

/* The node of exactly the index's columns, or NULL when no comparable index has them. */
static struct node *lookup(struct table_indexes *ti, const struct pgs_index *ix)
{
	struct node *node = child(ti, NULL, ix->method, false);

	for (size_t k = 0; node && k < ix->n_columns; k++)
		node = child(ti, node, ix->columns[k], false);
	return node;
}

/*
 * Whether b came before a (so a is the one to flag when they are twins): an
 * index backing a constraint comes first, then by file and position.
 */
static int by_arrival(const struct ranked *b, const struct ranked *a)
{
	if (b->backs != a->backs)
		return b->backs ? -1 : 1;
	if (b->ix->created_in != a->ix->created_in)
		return b->ix->created_in < a->ix->created_in ? -1 : 1;
	return b->ix->offset < a->ix->offset ? -1 : b->ix->offset > a->ix->offset;
}

static int compare_arrival(const void *pa, const void *pb)
{
	return by_arrival(pa, pb);
}

static struct ranked *rank(struct table_indexes *ti, struct pgs_index *const *all, size_t n_all,
			   bool unique, size_t *n)
{
	struct ranked *out = pgs_arena_array(ti->arena, n_all ? n_all : 1, sizeof(*out));

	*n = 0;
	for (size_t i = 0; i < n_all; i++)
		if (all[i]->unique == unique)
			out[(*n)++] = (struct ranked){all[i], backs_constraint(ti, all[i]), NULL};
	qsort(out, *n, sizeof(*out), compare_arrival);
	for (size_t i = 0; i < *n; i++)
		out[i].first = i && strcmp(out[i - 1].first->key, out[i].ix->key) < 0
				   ? out[i - 1].first
				   : out[i].ix;
	return out;
}

/* The first by name of ranked[0..n) that came before a, or NULL. */
static const struct pgs_index *first_before(const struct ranked *ranked, size_t n,
					    const struct ranked *a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (by_arrival(&ranked[mid], a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? ranked[lo - 1].first : NULL;
}

static const struct pgs_index *min_key(const struct pgs_index *a, const struct pgs_index *b)
{
	return !a || (b && strcmp(b->key, a->key) < 0) ? b : a;
}

/*
 * The first by name of the indexes on exactly a's columns that make a
 * redundant: a unique one when a is not unique (it serves every lookup a
 * does), or one as unique as a that came before it (of twins, the later one
 * is flagged). A unique a next to a plain one: the plain one is redundant.
 */
static const struct pgs_index *twin(struct table_indexes *ti, struct node *node,
				    const struct pgs_index *a)
{
	struct ranked self = {a, false, NULL};

	if (!node->ranked) {
		node->unique = rank(ti, node->exact, node->n_exact, true, &node->n_unique);
		node->other = rank(ti, node->exact, node->n_exact, false, &node->n_other);
		node->first_unique = node->n_unique ? node->unique[node->n_unique - 1].first : NULL;
		node->ranked = true;
	}
	if (a->unique)
		return first_before(node->unique, node->n_unique, &self);
	return min_key(node->first_unique, first_before(node->other, node->n_other, &self));
}

static const char *column_list(struct pgs_check *ctx, const struct pgs_index *ix)
{
	struct pgs_strbuf out;

	pgs_strbuf_init(&out, pgs_check_arena(ctx));
	for (size_t i = 0; i < ix->n_columns; i++)
		pgs_strbuf_add(&out, i ? ", " : NULL,
			       ix->columns[i] ? pgs_check_quote(ctx, ix->columns[i]) : "(expression)");
	return pgs_strbuf_str(&out);
}

/* The index's name as SQL: its schema is its table's. */
static const char *index_label(struct pgs_check *ctx, const struct pgs_index *ix)
{
	return pgs_check_relation_label(ctx, ix->key);
}

/* Report index a if it adds nothing next to another index of its table. */
static void check_index(struct pgs_check *ctx, struct table_indexes *ti, const struct pgs_index *a)
{
	struct pgs_model *model = pgs_check_model(ctx);

	if (a->created_in != model->file_number || !plain(a) || a->has_include ||
	    backs_constraint(ti, a))
		return;
	struct node *node = lookup(ti, a);
	if (!node)
		return;
	/* an exact duplicate is the clearest to name */
	bool duplicate = true;
	const struct pgs_index *other = twin(ti, node, a);
	/* only a btree serves lookups on the leading columns of a longer key */
	if (!other && !a->unique && strcmp(a->method, "btree") == 0) {
		other = node->longer;
		duplicate = false;
	}
	const struct pgs_stmt *stmt = other ? pgs_check_stmt_at(ctx, a->offset) : NULL;
	if (!stmt)
		return;
	struct pgs_diag *d = pgs_report(ctx, stmt->span, "index %s (%s) %s index %s (%s)",
					index_label(ctx, a), column_list(ctx, a),
					duplicate ? "duplicates" : "is a leading part of",
					index_label(ctx, other), column_list(ctx, other));
	if (duplicate)
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
	if (!duplicate || backs_constraint(ti, other))
		pgs_diag_help(ctx, d, "leave this index out");
	else
		pgs_diag_help(
		    ctx, d,
		    "leave this index out; if it is meant to replace %s (a rebuild, a new "
		    "name), drop %s in the same migration",
		    index_label(ctx, other), index_label(ctx, other));
}

/* Check the new indexes of one table, items[0..n) being all of its indexes. */
static void check_table(struct pgs_check *ctx, struct pgs_index *const *items, size_t n)
{
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = pgs_strmap_get(&model->tables, items[0]->table);
	struct table_indexes ti = {.arena = pgs_check_arena(ctx)};

	pgs_strmap_init(&ti.nodes);
	pgs_strmap_init(&ti.backing);
	for (size_t i = 0; t && i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].index)
			pgs_strmap_put(&ti.backing, t->constraints[i].index, &t->constraints[i]);
	for (size_t i = 0; i < n; i++)
		if (comparable(items[i]))
			insert(&ti, items[i]);
	for (size_t i = 0; i < n; i++)
		check_index(ctx, &ti, items[i]);
	pgs_strmap_release(&ti.nodes);
	pgs_strmap_release(&ti.backing);
}

static void end_of_file(struct pgs_check *ctx)
{
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_strmap tables;
	struct indexes all = {.arena = pgs_check_arena(ctx)};

	if (model->file_number == 0)
		return;
	/* the tables this file indexed, then all their indexes */
	pgs_strmap_init(&tables);
	for (size_t i = 0; i < model->n_new_indexes; i++) {
		struct pgs_index *ix = model->new_indexes[i];
		if (pgs_model_index(model, ix->key) == ix && !pgs_strmap_get(&tables, ix->table)) {
			pgs_strmap_put(&tables, ix->table, ix);
			pgs_model_each_index_of(model, ix->table, collect, &all);
		}
	}
	pgs_strmap_release(&tables);
	if (all.n > 1)
		qsort(all.items, all.n, sizeof(*all.items), by_table_and_key);
	for (size_t start = 0, end; start < all.n; start = end) {
		for (end = start + 1;
		     end < all.n && strcmp(all.items[end]->table, all.items[start]->table) == 0;
		     end++)
			;
		check_table(ctx, all.items + start, end - start);
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
