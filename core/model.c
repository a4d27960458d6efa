#include "core/model.h"
#include "core/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/walk.h"

void pgs_model_init(struct pgs_model *model)
{
	memset(model, 0, sizeof(*model));
	pgs_arena_init(&model->arena);
	pgs_strmap_init(&model->tables);
	pgs_strmap_init(&model->indexes);
	pgs_strmap_init(&model->domains);
	pgs_strmap_init(&model->referencing);
	pgs_strmap_init(&model->children);
	pgs_strmap_init(&model->typed);
	pgs_strmap_init(&model->readers);
	pgs_strmap_init(&model->relations);
	pgs_strmap_init(&model->defaults);
	pgs_strmap_init(&model->name_hints);
}

void pgs_model_release(struct pgs_model *model)
{
	for (size_t i = 0; i < model->n_mapped; i++) {
		pgs_strmap_release(&model->mapped[i]->column_names);
		pgs_strmap_release(&model->mapped[i]->constraint_names);
	}
	pgs_strmap_release(&model->tables);
	pgs_strmap_release(&model->indexes);
	pgs_strmap_release(&model->domains);
	pgs_strmap_release(&model->referencing);
	pgs_strmap_release(&model->children);
	pgs_strmap_release(&model->typed);
	pgs_strmap_release(&model->readers);
	pgs_strmap_release(&model->relations);
	pgs_strmap_release(&model->defaults);
	pgs_strmap_release(&model->name_hints);
	pgs_arena_release(&model->arena);
}

const char *pgs_node_string(const PgQuery__Node *node)
{
	if (node && node->node_case == PG_QUERY__NODE__NODE_STRING)
		return node->string->sval;
	return NULL;
}

const char *pgs_type_name_last(const PgQuery__TypeName *tn)
{
	if (!tn || tn->n_names == 0)
		return "";
	const char *s = pgs_node_string(tn->names[tn->n_names - 1]);
	return s ? s : "";
}

static const char *schema_of(const char *schema)
{
	return schema && *schema ? schema : "public";
}

const char *pgs_model_key(struct pgs_model *model, const PgQuery__RangeVar *rv)
{
	return pgs_arena_printf(&model->arena, "%s.%s", schema_of(rv->schemaname), rv->relname);
}

const char *pgs_model_key_from_names(struct pgs_model *model, PgQuery__Node **names, size_t n)
{
	const char *name = n ? pgs_node_string(names[n - 1]) : NULL;
	const char *schema = n >= 2 ? pgs_node_string(names[n - 2]) : NULL;

	if (!name)
		return NULL;
	return pgs_arena_printf(&model->arena, "%s.%s", schema_of(schema), name);
}

const char *pgs_model_key_of_dropped(struct pgs_model *model, const PgQuery__Node *obj)
{
	if (obj->node_case != PG_QUERY__NODE__NODE_LIST)
		return NULL;
	return pgs_model_key_from_names(model, obj->list->items, obj->list->n_items);
}

static void record_reads(struct pgs_model *model, struct pgs_table *t, const PgQuery__Node *query);

static struct pgs_table *table_by_key(struct pgs_model *model, const char *key)
{
	return pgs_strmap_get(&model->tables, key);
}

struct pgs_table *pgs_model_table(struct pgs_model *model, const PgQuery__RangeVar *rv)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s.%s", schema_of(rv->schemaname), rv->relname);

	/* Lookups happen per statement: avoid growing the arena for them. */
	if (n >= 0 && (size_t)n < sizeof(buf))
		return table_by_key(model, buf);
	return table_by_key(model, pgs_model_key(model, rv));
}

struct column_indexed {
	const struct pgs_table *table;
	const char *column;
	int answer;
};

static void check_index_column(void *data, const char *key, void *value)
{
	struct column_indexed *d = data;
	const struct pgs_index *ix = value;

	(void)key;
	if (d->answer == 1 || strcmp(ix->table, d->table->key) != 0)
		return;
	/* a partial index's predicate may read the column too; an index known by
	 * name only may have it among its columns */
	if (ix->partial || ix->unknown)
		d->answer = -1;
	for (size_t i = 0; i < ix->n_columns; i++) {
		if (!ix->columns[i])
			d->answer = d->answer == 1 ? 1 : -1; /* an expression may read it */
		else if (strcmp(ix->columns[i], d->column) == 0)
			d->answer = 1;
	}
}

int pgs_model_column_indexed(struct pgs_model *model, const struct pgs_table *table,
			     const char *column)
{
	struct column_indexed d = {table, column, 0};

	if (!table || !column)
		return -1;
	pgs_model_each_index_of(model, table->key, check_index_column, &d);
	if (d.answer == 0 && table->partial)
		return -1;
	return d.answer;
}

/* The columns of the table's primary key, or NULL when it has none known. */
static const struct pgs_constraint *primary_key(const struct pgs_table *t)
{
	for (size_t i = 0; t && i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].kind == PGS_CON_PRIMARY_KEY)
			return &t->constraints[i];
	return NULL;
}

bool pgs_names_contain(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return true;
	return false;
}

int pgs_foreign_key_references_column(const struct pgs_constraint *fk,
				      const struct pgs_table *table, const char *column)
{
	if (fk->dropped || fk->kind != PGS_CON_FOREIGN_KEY || !fk->referenced || !table ||
	    !column || strcmp(fk->referenced, table->key) != 0)
		return 0;
	if (fk->n_referenced_columns)
		return pgs_names_contain(fk->referenced_columns, fk->n_referenced_columns, column);
	const struct pgs_constraint *pk = primary_key(table);
	if (!pk)
		return -1;
	return pgs_names_contain(pk->columns, pk->n_columns, column);
}

static struct pgs_table *stub_table(struct pgs_model *model, const char *key);
static void mark_related(struct pgs_model *model, const char *key, struct pgs_table *related,
			 bool child);

struct related {
	struct pgs_table **items;
	size_t n, cap;
};

/* List t under key in map (once, when unique: a pair is listed once). */
static void relate(struct pgs_model *model, struct pgs_strmap *map, const char *key,
		   struct pgs_table *t, bool unique)
{
	struct related *r = pgs_strmap_get(map, key);

	if (unique) {
		const char *pair =
		    pgs_arena_printf(&model->arena, "%p\x1f%p\x1f%s", (void *)map, (void *)t, key);
		if (pgs_strmap_get(&model->relations, pair))
			return;
		pgs_strmap_put(&model->relations, pair, t);
	} else if (r && r->n && r->items[r->n - 1] == t) {
		return;
	}
	if (!r) {
		r = pgs_arena_alloc(&model->arena, sizeof(*r));
		pgs_strmap_put(map, pgs_arena_strdup(&model->arena, key), r);
	}
	struct pgs_table **slot =
	    pgs_arena_push(&model->arena, (void **)&r->items, &r->n, &r->cap, sizeof(*slot));
	*slot = t;
}

/* Call fn for the tables listed under key that still exist (dropping the others from the list). */
static void each_related(struct pgs_model *model, struct pgs_strmap *map, const char *key,
			 void (*fn)(void *data, struct pgs_table *t), void *data)
{
	struct related *r = key ? pgs_strmap_get(map, key) : NULL;
	size_t kept = 0;

	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (pgs_strmap_get(&model->tables, r->items[i]->key) == r->items[i])
			r->items[kept++] = r->items[i];
	r->n = kept;
	/* fn does not change the model: the list stays as it is */
	for (size_t i = 0; i < r->n; i++)
		fn(data, r->items[i]);
}

struct pgs_table *pgs_model_default_partition(struct pgs_model *model, const char *key)
{
	struct pgs_table *t = key ? pgs_strmap_get(&model->defaults, key) : NULL;

	/* still there, still the default partition of that table */
	if (t && pgs_strmap_get(&model->tables, t->key) == t && t->is_default_partition &&
	    t->parent && strcmp(t->parent, key) == 0)
		return t;
	return NULL;
}

void pgs_model_each_referencing(struct pgs_model *model, const char *key,
				void (*fn)(void *data, struct pgs_table *t), void *data)
{
	each_related(model, &model->referencing, key, fn, data);
}

void pgs_model_each_typed(struct pgs_model *model, const char *type_name,
			  void (*fn)(void *data, struct pgs_table *t), void *data)
{
	each_related(model, &model->typed, type_name, fn, data);
}

void pgs_model_each_reader(struct pgs_model *model, const char *key,
			   void (*fn)(void *data, struct pgs_table *t), void *data)
{
	each_related(model, &model->readers, key, fn, data);
}

/* Put an index in the model: by key, and on its table's list. */
static void index_put(struct pgs_model *model, struct pgs_index *ix)
{
	pgs_strmap_put(&model->indexes, ix->key, ix);
	struct pgs_table *t = pgs_strmap_get(&model->tables, ix->table);
	if (!t)
		t = stub_table(model, ix->table);
	if (ix->listed_on == t)
		return;
	ix->listed_on = t;
	struct pgs_index **slot = pgs_arena_push(&model->arena, (void **)&t->indexes, &t->n_indexes,
						 &t->cap_indexes, sizeof(*slot));
	*slot = ix;
}

/*
 * The table's list of indexes without what was dropped, replaced under its
 * key, or moved away (a table whose indexes are created and dropped over and
 * over keeps a short list); NULL when the table is unknown.
 */
/* Whether ix, on t's list, is still t's index. */
static bool index_listed(struct pgs_model *model, const struct pgs_table *t,
			 const struct pgs_index *ix)
{
	return pgs_strmap_get(&model->indexes, ix->key) == ix && ix->listed_on == t &&
	       strcmp(ix->table, t->key) == 0;
}

static struct pgs_table *live_indexes(struct pgs_model *model, const char *table)
{
	struct pgs_table *t = table ? pgs_strmap_get(&model->tables, table) : NULL;
	size_t kept = 0;

	for (size_t i = t ? t->first_index : 0; t && i < t->n_indexes; i++) {
		struct pgs_index *ix = t->indexes[i];
		if (index_listed(model, t, ix))
			t->indexes[kept++] = ix;
		else if (ix->listed_on == t)
			ix->listed_on = NULL; /* listed again if it comes back */
	}
	if (t) {
		t->n_indexes = kept;
		t->first_index = 0;
	}
	return t;
}

void pgs_model_each_index_of(struct pgs_model *model, const char *table,
			     void (*fn)(void *data, const char *key, void *value), void *data)
{
	struct pgs_table *t = live_indexes(model, table);

	/* fn may drop or move an index: check each again as it comes */
	for (size_t i = 0; t && i < t->n_indexes; i++) {
		struct pgs_index *ix = t->indexes[i];
		if (index_listed(model, t, ix))
			fn(data, ix->key, ix);
	}
}

struct pgs_index *pgs_model_first_index_of(struct pgs_model *model, const char *table)
{
	struct pgs_table *t = table ? pgs_strmap_get(&model->tables, table) : NULL;

	/* what is skipped here is skipped for good: each entry costs once */
	while (t && t->first_index < t->n_indexes &&
	       !index_listed(model, t, t->indexes[t->first_index])) {
		if (t->indexes[t->first_index]->listed_on == t)
			t->indexes[t->first_index]->listed_on = NULL;
		t->first_index++;
	}
	return t && t->first_index < t->n_indexes ? t->indexes[t->first_index] : NULL;
}

struct pgs_index *pgs_model_index(struct pgs_model *model, const char *key)
{
	return pgs_strmap_get(&model->indexes, key);
}

struct pgs_domain *pgs_model_domain(struct pgs_model *model, const PgQuery__TypeName *tn)
{
	char buf[256];

	if (!tn || tn->n_names == 0)
		return NULL;
	const char *name = pgs_type_name_last(tn);
	const char *schema = tn->n_names >= 2 ? pgs_node_string(tn->names[tn->n_names - 2]) : NULL;
	if (schema && strcmp(schema, "pg_catalog") == 0)
		return NULL;
	int n = snprintf(buf, sizeof(buf), "%s.%s", schema_of(schema), name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return pgs_strmap_get(&model->domains, buf);
}

struct pgs_domain *pgs_model_domain_named(struct pgs_model *model, const char *name)
{
	char buf[256];

	if (!name || strchr(name, '.'))
		return name ? pgs_strmap_get(&model->domains, name) : NULL;
	int n = snprintf(buf, sizeof(buf), "%s.%s", schema_of(NULL), name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return pgs_strmap_get(&model->domains, buf);
}

struct each_table {
	void (*fn)(void *data, struct pgs_table *t);
	void *data;
};

static void each_table_entry(void *data, const char *key, void *value)
{
	struct each_table *e = data;

	(void)key;
	e->fn(e->data, value);
}

void pgs_model_each_table(struct pgs_model *model, void (*fn)(void *data, struct pgs_table *t),
			  void *data)
{
	struct each_table e = {fn, data};

	pgs_strmap_each(&model->tables, each_table_entry, &e);
}

/* Tables with more columns or constraints than this keep them by name too. */
#define MAP_FROM 16

static void *slot_value(size_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

static size_t slot_index(void *value)
{
	return (size_t)(uintptr_t)value - 1;
}

static bool mapped(const struct pgs_strmap *map)
{
	return map->cap != 0;
}

struct pgs_column *pgs_table_column(struct pgs_table *table, const char *name)
{
	if (!name)
		return NULL;
	if (mapped(&table->column_names)) {
		void *v = pgs_strmap_get(&table->column_names, name);
		return v ? &table->columns[slot_index(v)] : NULL;
	}
	for (size_t i = 0; i < table->n_columns; i++)
		if (strcmp(table->columns[i].name, name) == 0)
			return &table->columns[i];
	return NULL;
}

struct pgs_constraint *pgs_table_constraint(struct pgs_table *table, const char *name)
{
	if (!name)
		return NULL;
	if (mapped(&table->constraint_names)) {
		void *v = pgs_strmap_get(&table->constraint_names, name);
		return v ? &table->constraints[slot_index(v)] : NULL;
	}
	for (size_t i = 0; i < table->n_constraints; i++)
		if (!table->constraints[i].dropped && strcmp(table->constraints[i].name, name) == 0)
			return &table->constraints[i];
	return NULL;
}

static void remember_mapped(struct pgs_model *model, struct pgs_table *t)
{
	if (mapped(&t->column_names) || mapped(&t->constraint_names))
		return;
	struct pgs_table **slot =
	    pgs_arena_push(&model->arena, (void **)&model->mapped, &model->n_mapped,
			   &model->cap_mapped, sizeof(*slot));
	*slot = t;
}

/*
 * Map the columns from index from on: a new last column, or the columns a
 * drop moved down by one. The first column of a name wins, as in the walk
 * of pgs_table_column.
 */
static void map_columns(struct pgs_model *model, struct pgs_table *t, size_t from)
{
	if (!mapped(&t->column_names)) {
		if (t->n_columns < MAP_FROM)
			return;
		remember_mapped(model, t);
		from = 0;
	}
	for (size_t i = from; i < t->n_columns; i++) {
		void *v = pgs_strmap_get(&t->column_names, t->columns[i].name);
		if (!v || slot_index(v) == i + 1)
			pgs_strmap_put(&t->column_names, t->columns[i].name, slot_value(i));
	}
}

/* The column at index i has a new name. */
static void map_column(struct pgs_table *t, size_t i)
{
	if (mapped(&t->column_names) && !pgs_strmap_get(&t->column_names, t->columns[i].name))
		pgs_strmap_put(&t->column_names, t->columns[i].name, slot_value(i));
}

/* The column at index i leaves its name (dropped or renamed). */
static void unmap_column(struct pgs_table *t, size_t i)
{
	if (mapped(&t->column_names) &&
	    pgs_strmap_get(&t->column_names, t->columns[i].name) == slot_value(i))
		pgs_strmap_remove(&t->column_names, t->columns[i].name);
}

/* The constraint at index i is live under its name. */
static void map_constraint(struct pgs_model *model, struct pgs_table *t, size_t i)
{
	if (!mapped(&t->constraint_names)) {
		if (t->n_constraints < MAP_FROM)
			return;
		remember_mapped(model, t);
		for (size_t k = t->n_constraints; k-- > 0;)
			if (!t->constraints[k].dropped)
				pgs_strmap_put(&t->constraint_names, t->constraints[k].name,
					       slot_value(k));
		return;
	}
	if (!pgs_strmap_get(&t->constraint_names, t->constraints[i].name))
		pgs_strmap_put(&t->constraint_names, t->constraints[i].name, slot_value(i));
}

/* The constraint is dropped (or renamed away from its name). */
static void unmap_constraint(struct pgs_table *t, struct pgs_constraint *c)
{
	size_t i = (size_t)(c - t->constraints);

	if (mapped(&t->constraint_names) &&
	    pgs_strmap_get(&t->constraint_names, c->name) == slot_value(i))
		pgs_strmap_remove(&t->constraint_names, c->name);
}

/* A validated CHECK (column IS NOT NULL) of the table; inherited_only: one its children have too.
 */
static bool valid_not_null_check(struct pgs_table *table, const char *column, bool inherited_only)
{
	for (size_t i = 0; column && i < table->n_constraints; i++) {
		struct pgs_constraint *c = &table->constraints[i];

		if (!c->dropped && c->kind == PGS_CON_CHECK && c->validated && c->not_null_column &&
		    !(inherited_only && c->no_inherit) && strcmp(c->not_null_column, column) == 0)
			return true;
	}
	return false;
}

bool pgs_table_has_valid_not_null_check(struct pgs_table *table, const char *column)
{
	return valid_not_null_check(table, column, false);
}

/* Ancestors deeper than this are not looked at (a cycle can't loop). */
#define MAX_ANCESTRY 8

static bool ancestor_has_not_null_check(struct pgs_model *model, const struct pgs_table *t,
					const char *column, int depth)
{
	if (depth == MAX_ANCESTRY)
		return false;
	for (size_t i = 0; i <= t->n_inherits; i++) {
		const char *key = i < t->n_inherits ? t->inherits[i] : t->parent;
		struct pgs_table *up = key ? pgs_strmap_get(&model->tables, key) : NULL;
		if (up && (valid_not_null_check(up, column, true) ||
			   ancestor_has_not_null_check(model, up, column, depth + 1)))
			return true;
	}
	return false;
}

bool pgs_model_has_valid_not_null_check(struct pgs_model *model, struct pgs_table *table,
					const char *column)
{
	return valid_not_null_check(table, column, false) ||
	       ancestor_has_not_null_check(model, table, column, 0);
}

/* Remember that the current file touched t (once per file). */
static void touch(struct pgs_model *model, struct pgs_table *t)
{
	if (t->touched_in == model->file_number && model->file_number)
		return;
	t->touched_in = model->file_number;
	struct pgs_table **slot =
	    pgs_arena_push(&model->arena, (void **)&model->touched, &model->n_touched,
			   &model->cap_touched, sizeof(*slot));
	*slot = t;
}

static void new_index(struct pgs_model *model, struct pgs_index *ix)
{
	struct pgs_index **slot =
	    pgs_arena_push(&model->arena, (void **)&model->new_indexes, &model->n_new_indexes,
			   &model->cap_new_indexes, sizeof(*slot));
	*slot = ix;
}

void pgs_model_each_touched_table(struct pgs_model *model,
				  void (*fn)(void *data, struct pgs_table *t), void *data)
{
	for (size_t i = 0; i < model->n_touched; i++) {
		struct pgs_table *t = model->touched[i];
		if (table_by_key(model, t->key) == t)
			fn(data, t);
	}
}

static struct pgs_table *add_table(struct pgs_model *model, const PgQuery__RangeVar *rv, char kind)
{
	struct pgs_table *t = pgs_arena_alloc(&model->arena, sizeof(*t));

	t->key = pgs_model_key(model, rv);
	t->schema = pgs_arena_strdup(&model->arena, schema_of(rv->schemaname));
	t->name = pgs_arena_strdup(&model->arena, rv->relname);
	t->created_in = model->file_number;
	t->kind = kind;
	t->unlogged = rv->relpersistence && rv->relpersistence[0] == 'u';
	t->temporary = rv->relpersistence && rv->relpersistence[0] == 't';
	t->offset = model->offset;
	pgs_strmap_put(&model->tables, t->key, t);
	touch(model, t);
	return t;
}

/* A table known only by key (an index on a table the history never showed). */
static struct pgs_table *stub_table(struct pgs_model *model, const char *key)
{
	const char *dot = strchr(key, '.');
	PgQuery__RangeVar rv = PG_QUERY__RANGE_VAR__INIT;
	unsigned file = model->file_number;

	rv.schemaname = dot ? pgs_arena_strndup(&model->arena, key, (size_t)(dot - key))
			    : pgs_arena_strdup(&model->arena, "");
	rv.relname = pgs_arena_strdup(&model->arena, dot ? dot + 1 : key);
	rv.relpersistence = pgs_arena_strdup(&model->arena, "p");
	model->file_number = 0;
	struct pgs_table *t = add_table(model, &rv, 'r');
	model->file_number = file;
	t->partial = true;
	return t;
}

static void set_type(struct pgs_model *model, struct pgs_column *c, const PgQuery__TypeName *tn)
{
	c->type = pgs_arena_strdup(&model->arena, pgs_type_name_last(tn));
	c->n_mods = 0;
	c->is_array = tn && tn->n_array_bounds > 0;
	for (size_t i = 0; tn && i < tn->n_typmods && c->n_mods < 2; i++) {
		const PgQuery__Node *m = tn->typmods[i];

		if (m->node_case == PG_QUERY__NODE__NODE_A_CONST &&
		    m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			c->mods[c->n_mods++] = m->a_const->ival->ival;
	}
}

static const char *collation_name(struct pgs_model *model, const PgQuery__CollateClause *cc)
{
	if (!cc || cc->n_collname == 0)
		return NULL;
	const char *name = pgs_node_string(cc->collname[cc->n_collname - 1]);
	return name ? pgs_arena_strdup(&model->arena, name) : NULL;
}

/* "col IS NOT NULL" as a CHECK expression: the column name, or NULL. */
static const char *not_null_check_column(const PgQuery__Node *expr)
{
	if (!expr || expr->node_case != PG_QUERY__NODE__NODE_NULL_TEST)
		return NULL;
	const PgQuery__NullTest *nt = expr->null_test;
	if (nt->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL || !nt->arg ||
	    nt->arg->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return NULL;
	const PgQuery__ColumnRef *cr = nt->arg->column_ref;
	return cr->n_fields == 1 ? pgs_node_string(cr->fields[0]) : NULL;
}

static const char **name_list(struct pgs_model *model, PgQuery__Node **items, size_t n,
			      const char *single)
{
	const char **out = pgs_arena_array(&model->arena, n ? n : 1, sizeof(*out));

	if (!n && single)
		out[0] = pgs_arena_strdup(&model->arena, single);
	for (size_t i = 0; i < n; i++) {
		const char *s = pgs_node_string(items[i]);
		out[i] = s ? pgs_arena_strdup(&model->arena, s) : NULL;
	}
	return out;
}

struct column_refs {
	struct pgs_model *model;
	const char **names;
	size_t n, cap;
};

static bool collect_column_ref(void *data, const PgQuery__Node *node)
{
	struct column_refs *refs = data;

	if (node->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
		const PgQuery__ColumnRef *cr = node->column_ref;
		const char *name =
		    cr->n_fields ? pgs_node_string(cr->fields[cr->n_fields - 1]) : NULL;
		if (name) {
			const char **slot =
			    pgs_arena_push(&refs->model->arena, (void **)&refs->names, &refs->n,
					   &refs->cap, sizeof(*slot));
			*slot = pgs_arena_strdup(&refs->model->arena, name);
		}
	}
	return true;
}

static void mark_not_null(struct pgs_table *t, const char *const *columns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pgs_column *c = pgs_table_column(t, columns[i]);
		if (c)
			c->not_null = true;
	}
}

bool pgs_model_name_taken(struct pgs_model *model, struct pgs_table *table, const char *name)
{
	const char *key = pgs_arena_printf(&model->arena, "%s.%s", table->schema, name);

	return pgs_strmap_get(&model->tables, key) || pgs_model_index(model, key) ||
	       pgs_table_constraint(table, name);
}

struct name_hint {
	int pass;
	unsigned long freed;
};

/*
 * A table, index or constraint name was freed: the name searches of unnamed
 * constraints start over, if it is one they could choose (their names end in
 * "key" and a number; a freed "orders_pkey1" makes "orders_pkey1" free again).
 */
static void freed_name(struct pgs_model *model, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	while (n && name[n - 1] >= '0' && name[n - 1] <= '9')
		n--;
	if (n >= 3 && memcmp(name + n - 3, "key", 3) == 0)
		model->names_freed++;
}

const char *pgs_model_index_constraint_name(struct pgs_model *model, struct pgs_table *table,
					    bool primary, const char *const *columns, size_t n)
{
	const char *cols = primary ? NULL : pgs_index_name_addition(&model->arena, columns, n);
	const char *label = primary ? "pkey" : "key";
	const char *first = pgs_object_name(&model->arena, table->name, cols, label);
	const char *hint_key = pgs_arena_printf(&model->arena, "%s\x1f%s", table->schema, first);
	struct name_hint *hint = pgs_strmap_get(&model->name_hints, hint_key);

	/* PostgreSQL tries key, key1, key2, ... in turn; the names before the
	 * last one chosen are still taken unless a name was freed since, so
	 * many unnamed constraints on the same columns cost their number */
	int pass = hint && hint->freed == model->names_freed ? hint->pass : 0;
	for (;; pass++) {
		const char *name =
		    pass ? pgs_object_name(&model->arena, table->name, cols,
					   pgs_arena_printf(&model->arena, "%s%d", label, pass))
			 : first;
		if (pgs_model_name_taken(model, table, name))
			continue;
		if (!hint) {
			hint = pgs_arena_alloc(&model->arena, sizeof(*hint));
			pgs_strmap_put(&model->name_hints, hint_key, hint);
		}
		hint->pass = pass;
		hint->freed = model->names_freed;
		return name;
	}
}

/* The name of an unnamed UNIQUE / PRIMARY KEY constraint (a column's, when column is set). */
static const char *index_constraint_name(struct pgs_model *model, struct pgs_table *t,
					 const PgQuery__Constraint *con, const char *column)
{
	if (con->conname && *con->conname)
		return NULL;
	if (con->indexname && *con->indexname) /* USING INDEX: the index's name */
		return pgs_arena_strdup(&model->arena, con->indexname);
	size_t n = con->n_keys ? con->n_keys + con->n_including : (column ? 1 : 0);
	const char **cols = pgs_arena_array(&model->arena, n ? n : 1, sizeof(*cols));
	if (con->n_keys) {
		for (size_t i = 0; i < con->n_keys; i++)
			cols[i] = pgs_node_string(con->keys[i]);
		for (size_t i = 0; i < con->n_including; i++)
			cols[con->n_keys + i] = pgs_node_string(con->including[i]);
	} else if (column) {
		cols[0] = column;
	}
	return pgs_model_index_constraint_name(
	    model, t, con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY, cols, n);
}

static void add_constraint(struct pgs_model *model, struct pgs_table *t,
			   const PgQuery__Constraint *con, const char *column)
{
	enum pgs_constraint_kind kind;

	switch (con->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		kind = PGS_CON_CHECK;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		kind = PGS_CON_FOREIGN_KEY;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		kind = PGS_CON_UNIQUE;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		kind = PGS_CON_PRIMARY_KEY;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		kind = PGS_CON_EXCLUSION;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
		mark_not_null(t, &column, column ? 1 : 0);
		return;
	default:
		return;
	}
	/* chosen before the constraint is in the table: the search for a free name
	 * must not meet it */
	const char *index_name = kind == PGS_CON_UNIQUE || kind == PGS_CON_PRIMARY_KEY
				     ? index_constraint_name(model, t, con, column)
				     : NULL;
	struct pgs_constraint *c =
	    pgs_arena_push(&model->arena, (void **)&t->constraints, &t->n_constraints,
			   &t->cap_constraints, sizeof(*c));
	c->kind = kind;
	c->created_in = model->file_number;
	c->txn_id = model->txn_id;
	c->offset = model->offset;
	c->validated = !con->skip_validation;
	c->no_inherit = con->is_no_inherit;
	c->deferrable = con->deferrable;
	c->initially_deferred = con->initdeferred;
	c->key_options =
	    con->n_including || con->n_options || (con->indexspace && *con->indexspace) ||
	    con->nulls_not_distinct || con->n_fk_del_set_cols;
	if (kind == PGS_CON_FOREIGN_KEY) {
		c->columns = name_list(model, con->fk_attrs, con->n_fk_attrs, column);
		c->n_columns = con->n_fk_attrs ? con->n_fk_attrs : (column ? 1 : 0);
		if (con->pktable) {
			c->referenced = pgs_model_key(model, con->pktable);
			/* a self-reference must not add a table while t is being built */
			if (strcmp(c->referenced, t->key) == 0) {
				t->referenced = true;
				relate(model, &model->referencing, t->key, t, true);
			} else {
				mark_related(model, c->referenced, t, false);
			}
		}
		if (con->n_pk_attrs) {
			c->referenced_columns =
			    name_list(model, con->pk_attrs, con->n_pk_attrs, NULL);
			c->n_referenced_columns = con->n_pk_attrs;
		}
		c->delete_action =
		    con->fk_del_action && *con->fk_del_action ? *con->fk_del_action : 'a';
		c->update_action =
		    con->fk_upd_action && *con->fk_upd_action ? *con->fk_upd_action : 'a';
		c->match_type =
		    con->fk_matchtype && *con->fk_matchtype ? *con->fk_matchtype : 's';
	} else if (kind != PGS_CON_CHECK) {
		c->columns = name_list(model, con->keys, con->n_keys, column);
		c->n_columns = con->n_keys ? con->n_keys : (column ? 1 : 0);
	} else {
		/* the columns a CHECK reads: changing their type re-checks it */
		struct column_refs refs = {.model = model};
		pgs_walk(con->raw_expr, collect_column_ref, &refs);
		c->columns = refs.names;
		c->n_columns = refs.n;
	}
	/* PostgreSQL's default names: table_col_check, table_col_fkey, table_pkey, ... */
	const char *first = c->n_columns && c->columns[0] ? c->columns[0] : column;
	if (con->conname && *con->conname)
		c->name = pgs_arena_strdup(&model->arena, con->conname);
	else if (index_name)
		c->name = index_name;
	else
		c->name = pgs_arena_printf(&model->arena, "%s_%s_%s", t->name, first ? first : "",
					   kind == PGS_CON_CHECK	 ? "check"
					   : kind == PGS_CON_FOREIGN_KEY ? "fkey"
					   : kind == PGS_CON_EXCLUSION	 ? "excl"
									 : "key");
	map_constraint(model, t, t->n_constraints - 1);
	if (kind == PGS_CON_CHECK) {
		const char *col = not_null_check_column(con->raw_expr);
		if (col)
			c->not_null_column = pgs_arena_strdup(&model->arena, col);
	}
	if (kind == PGS_CON_PRIMARY_KEY)
		mark_not_null(t, c->columns, c->n_columns);
	if (kind == PGS_CON_UNIQUE || kind == PGS_CON_PRIMARY_KEY || kind == PGS_CON_EXCLUSION) {
		/* the backing index: USING INDEX renames it to the constraint's name */
		if (con->indexname && *con->indexname) {
			const char *old =
			    pgs_arena_printf(&model->arena, "%s.%s", t->schema, con->indexname);
			struct pgs_index *ix = pgs_model_index(model, old);
			if (!ix) {
				/* an index from before the history: known now, columns unknown */
				ix = pgs_arena_alloc(&model->arena, sizeof(*ix));
				ix->key = old;
				ix->table = t->key;
				ix->unknown = true;
				ix->unique = true;
				index_put(model, ix);
			}
			if (ix) {
				pgs_strmap_remove(&model->indexes, old);
				freed_name(model, old);
				ix->key =
				    pgs_arena_printf(&model->arena, "%s.%s", t->schema, c->name);
				index_put(model, ix);
				if (kind == PGS_CON_PRIMARY_KEY)
					mark_not_null(t, ix->columns, ix->n_columns);
			}
		} else {
			struct pgs_index *ix = pgs_arena_alloc(&model->arena, sizeof(*ix));
			ix->key = pgs_arena_printf(&model->arena, "%s.%s", t->schema, c->name);
			ix->table = t->key;
			ix->unique = kind != PGS_CON_EXCLUSION;
			ix->method =
			    kind == PGS_CON_EXCLUSION && con->access_method && *con->access_method
				? pgs_arena_strdup(&model->arena, con->access_method)
				: "btree";
			ix->has_include = con->n_including > 0;
			ix->has_options = c->key_options;
			ix->offset = model->offset;
			ix->columns = c->columns;
			ix->n_columns = c->n_columns;
			ix->created_in = model->file_number;
			index_put(model, ix);
			new_index(model, ix);
		}
		c->index = pgs_arena_printf(&model->arena, "%s.%s", t->schema, c->name);
	}
}

static void add_column(struct pgs_model *model, struct pgs_table *t, const PgQuery__ColumnDef *def)
{
	struct pgs_column *c = pgs_arena_push(&model->arena, (void **)&t->columns, &t->n_columns,
					      &t->cap_columns, sizeof(*c));

	c->name = pgs_arena_strdup(&model->arena, def->colname ? def->colname : "");
	c->created_in = model->file_number;
	map_columns(model, t, t->n_columns - 1);
	set_type(model, c, def->type_name);
	if (*c->type)
		relate(model, &model->typed, c->type, t, false);
	c->collation = collation_name(model, def->coll_clause);
	c->not_null = def->is_not_null;
	c->has_default = def->raw_default != NULL;
	const char *type = c->type;
	if (strcmp(type, "serial") == 0 || strcmp(type, "bigserial") == 0 ||
	    strcmp(type, "smallserial") == 0 || strncmp(type, "serial", 6) == 0)
		c->not_null = c->has_default = true;
	const char *name = c->name;
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Node *n = def->constraints[i];

		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		switch (n->constraint->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			c->has_default = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			c->has_default = true;
			c->generates = 's';
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			c->has_default = c->not_null = true;
			c->generates = 'i';
			break;
		default:
			break;
		}
		/* c may move when constraints are added? no: they live elsewhere */
		add_constraint(model, t, n->constraint, name);
	}
}

/*
 * Flag the table with that key as having children or being referenced, so
 * the searches for them (which walk every table) are skipped for the others.
 */
static void mark_related(struct pgs_model *model, const char *key, struct pgs_table *related,
			 bool child)
{
	struct pgs_table *t = pgs_strmap_get(&model->tables, key);

	if (!t)
		t = stub_table(model, key);
	if (child)
		t->has_children = true;
	else
		t->referenced = true;
	relate(model, child ? &model->children : &model->referencing, key, related, true);
}

bool pgs_model_may_have_children(struct pgs_model *model, const char *key)
{
	struct pgs_table *t = pgs_strmap_get(&model->tables, key);

	return !t || t->has_children;
}

bool pgs_model_may_be_referenced(struct pgs_model *model, const char *key)
{
	struct pgs_table *t = pgs_strmap_get(&model->tables, key);

	return !t || t->referenced;
}

static void add_inherits(struct pgs_model *model, struct pgs_table *t, const PgQuery__RangeVar *rv)
{
	const char **all = pgs_arena_array(&model->arena, t->n_inherits + 1, sizeof(*all));

	if (t->n_inherits)
		memcpy(all, t->inherits, t->n_inherits * sizeof(*all));
	all[t->n_inherits++] = pgs_model_key(model, rv);
	t->inherits = all;
	mark_related(model, all[t->n_inherits - 1], t, true);
}

static void remove_inherits(struct pgs_model *model, struct pgs_table *t,
			    const PgQuery__RangeVar *rv)
{
	const char *key = pgs_model_key(model, rv);

	for (size_t i = 0; i < t->n_inherits; i++)
		if (strcmp(t->inherits[i], key) == 0) {
			t->inherits[i] = t->inherits[--t->n_inherits];
			return;
		}
}

static void apply_create(struct pgs_model *model, const PgQuery__CreateStmt *cs)
{
	char kind = cs->partspec ? 'p' : 'r';
	/* IF NOT EXISTS of a relation that exists does nothing: the table
	 * keeps what it had, and is not made new */
	if (cs->if_not_exists && pgs_model_table(model, cs->relation))
		return;
	struct pgs_table *t = add_table(model, cs->relation, kind);

	if (cs->partspec && cs->partspec->strategy) {
		const PgQuery__PartitionSpec *ps = cs->partspec;
		t->partition_strategy = ps->strategy[0];
		if (ps->n_part_params == 1 &&
		    ps->part_params[0]->node_case == PG_QUERY__NODE__NODE_PARTITION_ELEM &&
		    ps->part_params[0]->partition_elem->name &&
		    !ps->part_params[0]->partition_elem->n_collation &&
		    !ps->part_params[0]->partition_elem->n_opclass)
			t->partition_column =
			    pgs_arena_strdup(&model->arena, ps->part_params[0]->partition_elem->name);
	}

	if (cs->partbound && cs->n_inh_relations == 1 &&
	    cs->inh_relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
		t->parent = pgs_model_key(model, cs->inh_relations[0]->range_var);
		t->is_default_partition = cs->partbound->is_default;
		if (t->is_default_partition)
			pgs_strmap_put(&model->defaults, t->parent, t);
		mark_related(model, t->parent, t, true);
	} else {
		for (size_t i = 0; i < cs->n_inh_relations; i++)
			if (cs->inh_relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
				add_inherits(model, t, cs->inh_relations[i]->range_var);
	}
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *n = cs->table_elts[i];

		if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			add_column(model, t, n->column_def);
		else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			add_constraint(model, t, n->constraint, NULL);
		else if (n->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE)
			t->partial =
			    true; /* LIKE copies columns, constraints, indexes we don't see */
	}
	if (cs->of_typename) /* OF type: the type's columns, which we don't see */
		t->partial = true;
}

/* A table first seen in an ALTER existed before the history began. */
static struct pgs_table *table_for_alter(struct pgs_model *model, const PgQuery__RangeVar *rv,
					 char kind)
{
	struct pgs_table *t = pgs_model_table(model, rv);

	if (!t) {
		unsigned file = model->file_number;
		model->file_number = 0;
		t = add_table(model, rv, kind);
		t->partial = true;
		model->file_number = file;
	}
	touch(model, t);
	return t;
}

struct index_of_table {
	struct pgs_model *model;
	const char *table;    /* table key */
	const char *column;   /* only indexes with this column; NULL: all */
	const char *moved_to; /* rename: the table's new key; NULL: drop the indexes */
	const char **dropped;
	size_t n, cap;
};

static void visit_index_of_table(void *data, const char *key, void *value)
{
	struct index_of_table *it = data;
	struct pgs_index *ix = value;
	bool match = !it->column;

	if (strcmp(ix->table, it->table) != 0)
		return;
	for (size_t i = 0; it->column && i < ix->n_columns; i++)
		if (ix->columns[i] && strcmp(ix->columns[i], it->column) == 0)
			match = true;
	if (!match)
		return;
	if (it->moved_to) {
		ix->table = it->moved_to;
		return;
	}
	const char **slot = pgs_arena_push(&it->model->arena, (void **)&it->dropped, &it->n,
					   &it->cap, sizeof(*slot));
	*slot = key;
}

/*
 * Indexes go with their table: dropped with it (or with one of their
 * columns), renamed along with it.
 */
static void indexes_follow_table(struct pgs_model *model, struct pgs_table *t, const char *table,
				 const char *column, const char *moved_to)
{
	struct index_of_table it = {model, table, column, moved_to, NULL, 0, 0};

	for (size_t i = t ? t->first_index : 0; t && i < t->n_indexes; i++) {
		struct pgs_index *ix = t->indexes[i];
		if (pgs_strmap_get(&model->indexes, ix->key) == ix && ix->listed_on == t)
			visit_index_of_table(&it, ix->key, ix);
	}
	for (size_t i = 0; i < it.n; i++) {
		pgs_strmap_remove(&model->indexes, it.dropped[i]);
		freed_name(model, it.dropped[i]);
	}
}

static void apply_alter_cmd(struct pgs_model *model, struct pgs_table *t,
			    const PgQuery__AlterTableCmd *cmd)
{
	struct pgs_column *col = cmd->name && *cmd->name ? pgs_table_column(t, cmd->name) : NULL;
	struct pgs_constraint *con;

	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
		    !pgs_table_column(t, cmd->def->column_def->colname))
			add_column(model, t, cmd->def->column_def);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		/* indexes and constraints on the column go with it */
		for (size_t i = 0; col && i < t->n_constraints; i++)
			for (size_t k = 0; k < t->constraints[i].n_columns; k++)
				if (!t->constraints[i].dropped && t->constraints[i].columns[k] &&
				    strcmp(t->constraints[i].columns[k], col->name) == 0) {
					unmap_constraint(t, &t->constraints[i]);
					freed_name(model, t->constraints[i].name);
					t->constraints[i].dropped = true;
				}
		if (col)
			indexes_follow_table(model, t, t->key, col->name, NULL);
		if (col) {
			size_t i = (size_t)(col - t->columns);
			unmap_column(t, i);
			memmove(col, col + 1, (t->n_columns - i - 1) * sizeof(*col));
			t->n_columns--;
			map_columns(model, t, i);
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		/* a column the history doesn't show (a table first seen in an ALTER,
		 * a partition's column from its parent): remember it, type unknown,
		 * so that a later primary key on it knows it has no NULLs */
		if (!col && cmd->name && *cmd->name) {
			struct pgs_column stub = {
			    .name = pgs_arena_strdup(&model->arena, cmd->name), .type = ""};
			col = pgs_arena_push(&model->arena, (void **)&t->columns, &t->n_columns,
					     &t->cap_columns, sizeof(*col));
			*col = stub;
			map_columns(model, t, t->n_columns - 1);
		}
		if (col)
			col->not_null = true;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		if (col)
			col->not_null = false;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		if (col)
			col->has_default = cmd->def != NULL;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
		if (col)
			col->generates = 'i';
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity:
		if (col && col->generates == 'i')
			col->generates = 0;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		if (col && cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			set_type(model, col, cmd->def->column_def->type_name);
			col->collation = collation_name(model, cmd->def->column_def->coll_clause);
			if (*col->type)
				relate(model, &model->typed, col->type, t, false);
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			add_constraint(model, t, cmd->def->constraint, NULL);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
		if ((con = pgs_table_constraint(t, cmd->name)))
			con->validated = true;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
		if ((con = pgs_table_constraint(t, cmd->name))) {
			unmap_constraint(t, con);
			freed_name(model, con->name);
			con->dropped = true;
			if (con->index)
				pgs_strmap_remove(&model->indexes, con->index);
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
		t->unlogged = false;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
		t->unlogged = true;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
		    cmd->def->partition_cmd->name) {
			struct pgs_table *part =
			    table_for_alter(model, cmd->def->partition_cmd->name, 'r');
			part->parent = t->key;
			t->has_children = true;
			relate(model, &model->children, t->key, part, true);
			part->is_default_partition = cmd->def->partition_cmd->bound &&
						     cmd->def->partition_cmd->bound->is_default;
			if (part->is_default_partition)
				pgs_strmap_put(&model->defaults, t->key, part);
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			add_inherits(model, t, cmd->def->range_var);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropInherit:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			remove_inherits(model, t, cmd->def->range_var);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
		    cmd->def->partition_cmd->name) {
			struct pgs_table *part =
			    pgs_model_table(model, cmd->def->partition_cmd->name);
			if (part)
				part->parent = NULL;
		}
		break;
	default:
		break;
	}
}

/*
 * What an ALTER TABLE without ONLY also does to the partitions and inheritance
 * children, as PostgreSQL recurses: an inheritable CHECK is added to each under
 * the parent's name, validated and dropped with the parent's, and NOT NULL is
 * set or dropped. The plan's NOT NULL sequence relies on it: the CHECK the
 * parent got NOT VALID and then validated lets SET NOT NULL skip the children's
 * scans too.
 */
struct to_children {
	struct pgs_model *model;
	const PgQuery__AlterTableCmd *cmd;
	struct pgs_constraint check; /* AddConstraint: the parent's new CHECK */
	int depth;
};

static void apply_to_child(void *data, struct pgs_table *child)
{
	const struct to_children *r = data;
	const PgQuery__AlterTableCmd *cmd = r->cmd;
	struct pgs_constraint *con;
	struct pgs_column *col;

	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		if (!pgs_table_constraint(child, r->check.name))
			*(struct pgs_constraint *)pgs_arena_push(
			    &r->model->arena, (void **)&child->constraints, &child->n_constraints,
			    &child->cap_constraints, sizeof(*con)) = r->check;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
		con = pgs_table_constraint(child, cmd->name);
		if (con && con->kind == PGS_CON_CHECK) {
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint)
				con->validated = true;
			else
				con->dropped = true;
			freed_name(r->model, con->name);
		}
		break;
	default: /* SetNotNull, DropNotNull */
		if ((col = pgs_table_column(child, cmd->name)))
			col->not_null = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull;
		break;
	}
	if (r->depth < 8) {
		struct to_children deeper = *r;
		deeper.depth++;
		pgs_model_each_child(r->model, child->key, apply_to_child, &deeper);
	}
}

/* After apply_alter_cmd on t (which had n_before constraints): its children. */
static void apply_to_children(struct pgs_model *model, struct pgs_table *t,
			      const PgQuery__AlterTableCmd *cmd, size_t n_before)
{
	struct to_children r = {.model = model, .cmd = cmd};
	const PgQuery__Constraint *c;

	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		c = cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
			? cmd->def->constraint
			: NULL;
		if (!c || c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK || c->is_no_inherit ||
		    t->n_constraints == n_before)
			return;
		r.check = t->constraints[t->n_constraints - 1];
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		if (!cmd->name || !*cmd->name)
			return;
		break;
	default:
		return;
	}
	pgs_model_each_child(model, t->key, apply_to_child, &r);
}

struct renamed_column {
	struct pgs_model *model;
	const char *table, *old_name, *new_name;
};

static void rename_names(struct pgs_model *model, const char **names, size_t n,
			 const char *old_name, const char *new_name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], old_name) == 0)
			names[i] = pgs_arena_strdup(&model->arena, new_name);
}

static void rename_in_index(void *data, const char *key, void *value)
{
	struct renamed_column *r = data;
	struct pgs_index *ix = value;

	(void)key;
	if (strcmp(ix->table, r->table) == 0)
		rename_names(r->model, ix->columns, ix->n_columns, r->old_name, r->new_name);
}

static void rename_referenced(void *data, struct pgs_table *t)
{
	struct renamed_column *r = data;

	for (size_t i = 0; i < t->n_constraints; i++) {
		struct pgs_constraint *c = &t->constraints[i];
		if (c->kind == PGS_CON_FOREIGN_KEY && c->referenced &&
		    strcmp(c->referenced, r->table) == 0)
			rename_names(r->model, c->referenced_columns, c->n_referenced_columns,
				     r->old_name, r->new_name);
	}
}

/* A renamed column keeps its constraints, indexes and the foreign keys to it. */
static void rename_in_constraints(struct pgs_model *model, struct pgs_table *t,
				  const char *old_name, const char *new_name)
{
	struct renamed_column r = {model, t->key, old_name, new_name};

	if (!old_name || !new_name)
		return;
	for (size_t i = 0; i < t->n_constraints; i++) {
		struct pgs_constraint *c = &t->constraints[i];
		rename_names(model, c->columns, c->n_columns, old_name, new_name);
		if (c->not_null_column && strcmp(c->not_null_column, old_name) == 0)
			c->not_null_column = pgs_arena_strdup(&model->arena, new_name);
	}
	pgs_model_each_index_of(model, t->key, rename_in_index, &r);
	if (t->referenced)
		pgs_model_each_referencing(model, t->key, rename_referenced, &r);
}

struct typed_tables {
	struct pgs_table **items;
	size_t n, cap;
	struct pgs_arena *arena;
};

static void collect_typed(void *data, struct pgs_table *t)
{
	struct typed_tables *tt = data;
	struct pgs_table **slot =
	    pgs_arena_push(tt->arena, (void **)&tt->items, &tt->n, &tt->cap, sizeof(*slot));
	*slot = t;
}

/*
 * ALTER TYPE / DOMAIN ... RENAME: the columns of that type now show the new
 * name (a new type may then take the old one: the enum swap recipe).
 * Columns hold a type's last name, so that is what is followed.
 */
static void rename_type(struct pgs_model *model, const PgQuery__RenameStmt *rs)
{
	const PgQuery__Node *obj = rs->object;
	const PgQuery__List *names = NULL;

	if (!obj || !rs->newname)
		return;
	if (obj->node_case == PG_QUERY__NODE__NODE_LIST)
		names = obj->list;
	else if (obj->node_case == PG_QUERY__NODE__NODE_TYPE_NAME)
		names = &(PgQuery__List){.n_items = obj->type_name->n_names,
					 .items = obj->type_name->names};
	if (!names || !names->n_items)
		return;
	const PgQuery__Node *last = names->items[names->n_items - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return;
	const char *old = last->string->sval;
	const char *renamed = pgs_arena_strdup(&model->arena, rs->newname);
	struct typed_tables tt = {.arena = &model->arena};

	pgs_model_each_typed(model, old, collect_typed, &tt);
	for (size_t i = 0; i < tt.n; i++) {
		struct pgs_table *t = tt.items[i];
		for (size_t k = 0; k < t->n_columns; k++)
			if (t->columns[k].type && strcmp(t->columns[k].type, old) == 0)
				t->columns[k].type = renamed;
		relate(model, &model->typed, renamed, t, false);
	}
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN) {
		const char *schema =
		    names->n_items > 1 && names->items[0]->node_case == PG_QUERY__NODE__NODE_STRING
			? names->items[0]->string->sval
			: schema_of(NULL);
		const char *key = pgs_arena_printf(&model->arena, "%s.%s", schema, old);
		struct pgs_domain *d = pgs_strmap_get(&model->domains, key);
		if (d) {
			pgs_strmap_remove(&model->domains, key);
			d->key = pgs_arena_printf(&model->arena, "%s.%s", schema, renamed);
			pgs_strmap_put(&model->domains, d->key, d);
		}
	}
}

static void apply_rename(struct pgs_model *model, const PgQuery__RenameStmt *rs)
{
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE ||
	    rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN) {
		rename_type(model, rs);
		return;
	}
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && rs->relation) {
		const char *old = pgs_model_key(model, rs->relation);
		struct pgs_index *ix = pgs_model_index(model, old);
		if (ix) {
			pgs_strmap_remove(&model->indexes, old);
			freed_name(model, old);
			ix->key =
			    pgs_arena_printf(&model->arena, "%s.%s",
					     schema_of(rs->relation->schemaname), rs->newname);
			index_put(model, ix);
		}
		return;
	}
	if (!rs->relation)
		return;
	struct pgs_table *t = pgs_model_table(model, rs->relation);
	if (!t)
		return;
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
		struct pgs_column *c = pgs_table_column(t, rs->subname);
		if (c) {
			size_t i = (size_t)(c - t->columns);
			unmap_column(t, i);
			c->name = pgs_arena_strdup(&model->arena, rs->newname);
			map_column(t, i);
		}
		rename_in_constraints(model, t, rs->subname, rs->newname);
		if (t->partition_column && strcmp(t->partition_column, rs->subname) == 0)
			t->partition_column = pgs_arena_strdup(&model->arena, rs->newname);
	} else if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
		struct pgs_constraint *c = pgs_table_constraint(t, rs->subname);
		if (c) {
			unmap_constraint(t, c);
			freed_name(model, c->name);
			c->name = pgs_arena_strdup(&model->arena, rs->newname);
			map_constraint(model, t, (size_t)(c - t->constraints));
		}
	} else if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
		   rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
		   rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
		   rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE) {
		const char *old = t->key;
		pgs_strmap_remove(&model->tables, t->key);
		freed_name(model, old);
		t->name = pgs_arena_strdup(&model->arena, rs->newname);
		t->key = pgs_arena_printf(&model->arena, "%s.%s", t->schema, t->name);
		pgs_strmap_put(&model->tables, t->key, t);
		indexes_follow_table(model, t, old, NULL, t->key);
	}
}

static void apply_drop(struct pgs_model *model, const PgQuery__DropStmt *ds)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *key = NULL;

		if (obj->node_case == PG_QUERY__NODE__NODE_LIST)
			key = pgs_model_key_from_names(model, obj->list->items, obj->list->n_items);
		else if (obj->node_case == PG_QUERY__NODE__NODE_TYPE_NAME)
			key = pgs_model_key_from_names(model, obj->type_name->names,
						       obj->type_name->n_names);
		if (!key)
			continue;
		switch (ds->remove_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
			indexes_follow_table(model, pgs_strmap_get(&model->tables, key), key, NULL,
					     NULL);
			pgs_strmap_remove(&model->tables, key);
			freed_name(model, key);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
			pgs_strmap_remove(&model->indexes, key);
			freed_name(model, key);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
			pgs_strmap_remove(&model->domains, key);
			break;
		default:
			break;
		}
	}
}

static void apply_index(struct pgs_model *model, const PgQuery__IndexStmt *is)
{
	if (!is->relation)
		return;
	struct pgs_index *ix = pgs_arena_alloc(&model->arena, sizeof(*ix));
	const char *name = is->idxname && *is->idxname ? is->idxname : NULL;

	ix->table = pgs_model_key(model, is->relation);
	ix->unique = is->unique;
	ix->partial = is->where_clause != NULL;
	ix->method = pgs_arena_strdup(
	    &model->arena, is->access_method && *is->access_method ? is->access_method : "btree");
	ix->has_include = is->n_index_including_params > 0;
	ix->has_options =
	    is->n_options || (is->table_space && *is->table_space) || is->nulls_not_distinct;
	ix->created_in = model->file_number;
	ix->offset = model->offset;
	ix->n_columns = is->n_index_params;
	ix->columns = pgs_arena_array(&model->arena, is->n_index_params ? is->n_index_params : 1,
				      sizeof(*ix->columns));
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *p = is->index_params[i];
		if (p->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM)
			continue;
		const PgQuery__IndexElem *el = p->index_elem;
		if (el->name && *el->name)
			ix->columns[i] = pgs_arena_strdup(&model->arena, el->name);
		if (el->n_opclass || el->n_collation ||
		    el->ordering != PG_QUERY__SORT_BY_DIR__SORTBY_DEFAULT ||
		    el->nulls_ordering != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_DEFAULT)
			ix->custom_keys = true;
	}
	/* PostgreSQL names an unnamed index table_col_idx; close enough for lookups */
	ix->key = pgs_arena_printf(
	    &model->arena, "%s.%s", schema_of(is->relation->schemaname),
	    name ? name
		 : pgs_arena_printf(&model->arena, "%s_%s_idx", is->relation->relname,
				    ix->n_columns && ix->columns[0] ? ix->columns[0] : "expr"));
	if (is->if_not_exists && pgs_model_index(model, ix->key))
		return;
	index_put(model, ix);
	new_index(model, ix);
	struct pgs_table *t = pgs_model_table(model, is->relation);
	if (t)
		touch(model, t);
}

static void apply_domain(struct pgs_model *model, const PgQuery__CreateDomainStmt *ds)
{
	struct pgs_domain *d = pgs_arena_alloc(&model->arena, sizeof(*d));

	d->key = pgs_model_key_from_names(model, ds->domainname, ds->n_domainname);
	if (!d->key)
		return;
	d->base_type = pgs_arena_strdup(&model->arena, pgs_type_name_last(ds->type_name));
	for (size_t i = 0; i < ds->n_constraints; i++)
		if (ds->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    ds->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			d->has_check = true;
	pgs_strmap_put(&model->domains, d->key, d);
}

static void apply_alter_domain(struct pgs_model *model, const PgQuery__AlterDomainStmt *ads)
{
	const char *key = pgs_model_key_from_names(model, ads->type_name, ads->n_type_name);
	struct pgs_domain *d = key ? pgs_strmap_get(&model->domains, key) : NULL;

	/* subtype 'C': ADD CONSTRAINT */
	if (d && ads->subtype && ads->subtype[0] == 'C' && ads->def &&
	    ads->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
	    ads->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
		d->has_check = true;
}

struct reads_acc {
	struct pgs_model *model;
	struct pgs_table *t;
	size_t cap;
};

static void add_read(void *data, const PgQuery__RangeVar *rv, bool whole)
{
	struct reads_acc *acc = data;
	struct pgs_read *r = pgs_arena_push(&acc->model->arena, (void **)&acc->t->reads,
					    &acc->t->n_reads, &acc->cap, sizeof(*r));

	r->relation = pgs_model_key(acc->model, rv);
	r->whole = whole;
	relate(acc->model, &acc->model->readers, r->relation, acc->t, false);
}

/* What a view's or materialized view's query reads: REFRESH and LOCK TABLE reach them. */
static void record_reads(struct pgs_model *model, struct pgs_table *t, const PgQuery__Node *query)
{
	struct reads_acc acc = {model, t, 0};

	t->reads = NULL;
	t->n_reads = 0;
	pgs_query_reads(query, add_read, &acc);
}

struct query_reads {
	void (*fn)(void *data, const PgQuery__RangeVar *rv, bool whole);
	void *data;
	const PgQuery__RangeVar *whole[32]; /* already reported as read in full */
	size_t n_whole;
	const char *ctes[32]; /* WITH names: they look like tables */
	size_t n_ctes;
};

static bool is_cte(const struct query_reads *q, const PgQuery__RangeVar *rv)
{
	for (size_t i = 0; !(rv->schemaname && *rv->schemaname) && i < q->n_ctes; i++)
		if (strcmp(q->ctes[i], rv->relname) == 0)
			return true;
	return false;
}

static bool visit_ctes(void *data, const PgQuery__Node *node)
{
	struct query_reads *q = data;

	if (node->node_case == PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR &&
	    node->common_table_expr->ctename && q->n_ctes < sizeof(q->ctes) / sizeof(q->ctes[0]))
		q->ctes[q->n_ctes++] = node->common_table_expr->ctename;
	return true;
}

static bool visit_query_reads(void *data, const PgQuery__Node *node)
{
	struct query_reads *q = data;

	if (node->node_case == PG_QUERY__NODE__NODE_RANGE_VAR && is_cte(q, node->range_var))
		return true;
	if (node->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
		const PgQuery__SelectStmt *ss = node->select_stmt;
		if (ss->n_from_clause == 1 && !ss->where_clause && !ss->limit_count &&
		    ss->from_clause[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR &&
		    !is_cte(q, ss->from_clause[0]->range_var) &&
		    q->n_whole < sizeof(q->whole) / sizeof(q->whole[0])) {
			q->whole[q->n_whole++] = ss->from_clause[0]->range_var;
			q->fn(q->data, ss->from_clause[0]->range_var, true);
		}
	} else if (node->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
		for (size_t i = 0; i < q->n_whole; i++)
			if (q->whole[i] == node->range_var)
				return true;
		q->fn(q->data, node->range_var, false);
	}
	return true;
}

void pgs_query_reads(const PgQuery__Node *query,
		     void (*fn)(void *data, const PgQuery__RangeVar *rv, bool whole), void *data)
{
	struct query_reads q = {.fn = fn, .data = data};

	pgs_walk(query, visit_ctes, &q);
	pgs_walk(query, visit_query_reads, &q);
}

struct each_child {
	const char *key;
	void (*fn)(void *data, struct pgs_table *child);
	void *data;
};

static void visit_child(void *data, struct pgs_table *t)
{
	struct each_child *e = data;
	bool child = t->parent && strcmp(t->parent, e->key) == 0;

	for (size_t i = 0; !child && i < t->n_inherits; i++)
		child = strcmp(t->inherits[i], e->key) == 0;
	if (child)
		e->fn(e->data, t);
}

void pgs_model_each_child(struct pgs_model *model, const char *key,
			  void (*fn)(void *data, struct pgs_table *child), void *data)
{
	struct each_child e = {key, fn, data};

	each_related(model, &model->children, key, visit_child, &e);
}

void pgs_model_begin_file(struct pgs_model *model, unsigned file_number)
{
	model->file_number = file_number;
	memset(&model->settings, 0, sizeof(model->settings));
	model->n_touched = model->n_new_indexes = 0;
}

void pgs_model_end_transaction(struct pgs_model *model)
{
	struct pgs_setting *all[] = {&model->settings.lock_timeout,
				     &model->settings.statement_timeout, &model->settings.timezone};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->local)
			memset(all[i], 0, sizeof(*all[i]));
}

void pgs_model_note_write_lock(struct pgs_model *model, const char *key)
{
	struct pgs_table *t = table_by_key(model, key);

	if (t)
		t->write_locked_txn = model->txn_id;
}

bool pgs_model_table_emptied(const struct pgs_model *model, const struct pgs_table *t)
{
	return t && model->txn_id && t->emptied_txn == model->txn_id;
}

bool pgs_model_table_deleted_unlocked(const struct pgs_model *model, const struct pgs_table *t)
{
	return t && model->txn_id && t->deleted_all_txn == model->txn_id &&
	       t->emptied_txn != model->txn_id;
}

static void empty_child(void *data, struct pgs_table *t);

/* TRUNCATE t: t and (unless ONLY) its partitions and children, recursively. */
static void empty_table(struct pgs_model *model, struct pgs_table *t, bool inh, int depth)
{
	t->emptied_txn = model->txn_id;
	if (inh && depth < 8) {
		void *args[2] = {model, &depth};
		pgs_model_each_child(model, t->key, empty_child, args);
	}
}

static void empty_child(void *data, struct pgs_table *t)
{
	void **args = data;

	empty_table(args[0], t, true, *(int *)args[1] + 1);
}

/* Rows written into t (and, through a partition, into its parents). */
static void filled(struct pgs_model *model, const PgQuery__RangeVar *rv)
{
	struct pgs_table *t = rv ? pgs_model_table(model, rv) : NULL;

	for (int depth = 0; t && depth < 8; depth++) {
		t->emptied_txn = t->deleted_all_txn = 0;
		t = t->parent ? table_by_key(model, t->parent) : NULL;
	}
}

/* DELETE FROM t without WHERE (nor USING, which joins): every row is gone. */
static void apply_delete(struct pgs_model *model, const PgQuery__DeleteStmt *ds)
{
	struct pgs_table *t = ds->relation ? pgs_model_table(model, ds->relation) : NULL;

	if (!t || ds->where_clause || ds->n_using_clause)
		return;
	/* without a lock that keeps writers out, others insert again at once */
	if (t->write_locked_txn == model->txn_id)
		empty_table(model, t, ds->relation->inh, 0);
	else
		t->deleted_all_txn = model->txn_id;
}

static struct pgs_setting *setting(struct pgs_model *model, const char *name)
{
	if (!name)
		return NULL;
	/* setting names are case-insensitive: set_config('TimeZone', ...) */
	if (strcasecmp(name, "lock_timeout") == 0)
		return &model->settings.lock_timeout;
	if (strcasecmp(name, "statement_timeout") == 0)
		return &model->settings.statement_timeout;
	if (strcasecmp(name, "timezone") == 0)
		return &model->settings.timezone;
	return NULL;
}

/* A constant as text: 'x', 5, 1.5 */
static const char *const_text(struct pgs_model *model, const PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull)
		return NULL;
	const PgQuery__AConst *c = n->a_const;
	switch (c->val_case) {
	case PG_QUERY__A__CONST__VAL_SVAL:
		return pgs_arena_strdup(&model->arena, c->sval->sval);
	case PG_QUERY__A__CONST__VAL_IVAL:
		return pgs_arena_printf(&model->arena, "%d", c->ival->ival);
	case PG_QUERY__A__CONST__VAL_FVAL:
		return pgs_arena_strdup(&model->arena, c->fval->fval);
	default:
		return NULL;
	}
}

static void set_setting(struct pgs_model *model, const char *name, const char *value, bool local,
			uint32_t offset)
{
	struct pgs_setting *s = setting(model, name);

	if (!s)
		return;
	s->value = value;
	s->local = local;
	s->offset = offset;
}

static void apply_set(struct pgs_model *model, const PgQuery__VariableSetStmt *vs, uint32_t offset)
{
	switch (vs->kind) {
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
		set_setting(model, vs->name, vs->n_args ? const_text(model, vs->args[0]) : NULL,
			    vs->is_local, offset);
		break;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
		set_setting(model, vs->name, NULL, false, offset);
		break;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
		memset(&model->settings, 0, sizeof(model->settings));
		break;
	default:
		break;
	}
}

/* SELECT set_config('lock_timeout', '2s', is_local) */
static bool visit_set_config(void *data, const PgQuery__Node *node)
{
	void **args = data;
	struct pgs_model *model = args[0];

	if (node->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return true;
	const PgQuery__FuncCall *fc = node->func_call;
	const char *name =
	    fc->n_funcname ? pgs_node_string(fc->funcname[fc->n_funcname - 1]) : NULL;
	if (!name || strcmp(name, "set_config") != 0 || fc->n_args != 3)
		return true;
	const char *setting_name = const_text(model, fc->args[0]);
	const char *value = const_text(model, fc->args[1]);
	const PgQuery__Node *local = fc->args[2];
	bool is_local = local->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			local->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL &&
			local->a_const->boolval->boolval;
	if (setting_name && value)
		set_setting(model, setting_name, value, is_local, *(uint32_t *)args[1]);
	return false;
}

void pgs_model_apply(struct pgs_model *model, const PgQuery__Node *stmt, uint32_t offset)
{
	if (!stmt)
		return;
	model->offset = offset;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		apply_set(model, stmt->variable_set_stmt, offset);
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT: {
		void *args[2] = {model, &offset};
		pgs_walk(stmt, visit_set_config, args);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		apply_create(model, stmt->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *ctas = stmt->create_table_as_stmt;
		/* IF NOT EXISTS of a relation that exists does nothing */
		if (ctas->into && ctas->into->rel &&
		    !(ctas->if_not_exists && pgs_model_table(model, ctas->into->rel))) {
			bool mv = ctas->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW;
			struct pgs_table *t = add_table(model, ctas->into->rel, mv ? 'm' : 'r');
			t->partial = true; /* its columns come from the query */
			if (mv)
				record_reads(model, t, ctas->query);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		if (stmt->view_stmt->view) {
			struct pgs_table *old = pgs_model_table(model, stmt->view_stmt->view);
			struct pgs_table *t = old && stmt->view_stmt->replace
						  ? old
						  : add_table(model, stmt->view_stmt->view, 'v');
			record_reads(model, t, stmt->view_stmt->query);
		}
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
		char kind = as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW	 ? 'm'
			    : as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW		 ? 'v'
			    : as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE ? 'f'
											 : 'r';

		if (!as->relation || as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ||
		    as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE)
			break;
		struct pgs_table *t = table_for_alter(model, as->relation, kind);
		for (size_t i = 0; i < as->n_cmds; i++) {
			if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			size_t n_before = t->n_constraints;
			apply_alter_cmd(model, t, as->cmds[i]->alter_table_cmd);
			if (as->relation->inh)
				apply_to_children(model, t, as->cmds[i]->alter_table_cmd, n_before);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		apply_rename(model, stmt->rename_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		apply_drop(model, stmt->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		apply_index(model, stmt->index_stmt);
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		/* a table first seen here existed before the history, as in an ALTER */
		for (size_t i = 0; i < stmt->truncate_stmt->n_relations; i++) {
			const PgQuery__Node *n = stmt->truncate_stmt->relations[i];
			if (n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
				empty_table(model, table_for_alter(model, n->range_var, 'r'),
					    n->range_var->inh, 0);
		}
		break;
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		/* SHARE (5) and stronger keep writers out; the engine notes the locks
		 * of known tables from the effects, this also those first seen here */
		for (size_t i = 0; stmt->lock_stmt->mode >= 5 && i < stmt->lock_stmt->n_relations;
		     i++) {
			const PgQuery__Node *n = stmt->lock_stmt->relations[i];
			if (n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
				table_for_alter(model, n->range_var, 'r')->write_locked_txn =
				    model->txn_id;
		}
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		apply_delete(model, stmt->delete_stmt);
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		filled(model, stmt->insert_stmt->relation);
		break;
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		filled(model, stmt->merge_stmt->relation);
		break;
	case PG_QUERY__NODE__NODE_COPY_STMT:
		if (stmt->copy_stmt->is_from)
			filled(model, stmt->copy_stmt->relation);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		if (stmt->create_trig_stmt->row && stmt->create_trig_stmt->relation) {
			struct pgs_table *t = pgs_model_table(model, stmt->create_trig_stmt->relation);
			if (t)
				t->row_triggers = true;
		}
		break;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		apply_domain(model, stmt->create_domain_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
		apply_alter_domain(model, stmt->alter_domain_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT: {
		const PgQuery__AlterEnumStmt *es = stmt->alter_enum_stmt;
		if (es->old_val && *es->old_val)
			break; /* RENAME VALUE */
		const char *key = pgs_model_key_from_names(model, es->type_name, es->n_type_name);
		if (!key || !es->new_val)
			break;
		struct pgs_enum_value *v =
		    pgs_arena_push(&model->arena, (void **)&model->enum_values,
				   &model->n_enum_values, &model->cap_enum_values, sizeof(*v));
		v->type = key;
		v->value = pgs_arena_strdup(&model->arena, es->new_val);
		v->txn_id = model->txn_id;
		v->offset = offset;
		v->file_number = model->file_number;
		break;
	}
	default:
		break;
	}
}
