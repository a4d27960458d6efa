#include "core/effects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/effects_internal.h"
#include "core/walk.h"

static const char *const lock_names[] = {
    [PGS_LOCK_NONE] = "none",
    [PGS_LOCK_ACCESS_SHARE] = "ACCESS SHARE",
    [PGS_LOCK_ROW_SHARE] = "ROW SHARE",
    [PGS_LOCK_ROW_EXCLUSIVE] = "ROW EXCLUSIVE",
    [PGS_LOCK_SHARE_UPDATE_EXCLUSIVE] = "SHARE UPDATE EXCLUSIVE",
    [PGS_LOCK_SHARE] = "SHARE",
    [PGS_LOCK_SHARE_ROW_EXCLUSIVE] = "SHARE ROW EXCLUSIVE",
    [PGS_LOCK_EXCLUSIVE] = "EXCLUSIVE",
    [PGS_LOCK_ACCESS_EXCLUSIVE] = "ACCESS EXCLUSIVE",
};

const char *pgs_lock_name(enum pgs_lock lock)
{
	return lock_names[lock];
}

/* From the conflict table in the PostgreSQL docs (explicit-locking). */
const char *pgs_lock_blocks(enum pgs_lock lock)
{
	switch (lock) {
	case PGS_LOCK_ACCESS_EXCLUSIVE:
		return "reads and writes";
	case PGS_LOCK_EXCLUSIVE:
		return "writes and SELECT ... FOR UPDATE/SHARE";
	case PGS_LOCK_SHARE_ROW_EXCLUSIVE:
	case PGS_LOCK_SHARE:
		return "writes";
	case PGS_LOCK_SHARE_UPDATE_EXCLUSIVE:
		return "other schema changes, VACUUM and ANALYZE";
	default:
		return NULL;
	}
}

/* Bit b set in conflicts[a]: mode a conflicts with mode b (explicit-locking docs). */
#define L(m) (1u << PGS_LOCK_##m)
static const unsigned conflicts[] = {
    [PGS_LOCK_NONE] = 0,
    [PGS_LOCK_ACCESS_SHARE] = L(ACCESS_EXCLUSIVE),
    [PGS_LOCK_ROW_SHARE] = L(EXCLUSIVE) | L(ACCESS_EXCLUSIVE),
    [PGS_LOCK_ROW_EXCLUSIVE] =
	L(SHARE) | L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) | L(ACCESS_EXCLUSIVE),
    [PGS_LOCK_SHARE_UPDATE_EXCLUSIVE] = L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE) |
					L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) | L(ACCESS_EXCLUSIVE),
    [PGS_LOCK_SHARE] = L(ROW_EXCLUSIVE) | L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE_ROW_EXCLUSIVE) |
		       L(EXCLUSIVE) | L(ACCESS_EXCLUSIVE),
    [PGS_LOCK_SHARE_ROW_EXCLUSIVE] = L(ROW_EXCLUSIVE) | L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE) |
				     L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) | L(ACCESS_EXCLUSIVE),
    [PGS_LOCK_EXCLUSIVE] = L(ROW_SHARE) | L(ROW_EXCLUSIVE) | L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE) |
			   L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) | L(ACCESS_EXCLUSIVE),
    [PGS_LOCK_ACCESS_EXCLUSIVE] = L(ACCESS_SHARE) | L(ROW_SHARE) | L(ROW_EXCLUSIVE) |
				  L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE) | L(SHARE_ROW_EXCLUSIVE) |
				  L(EXCLUSIVE) | L(ACCESS_EXCLUSIVE),
};
#undef L

bool pgs_lock_conflicts(enum pgs_lock a, enum pgs_lock b)
{
	return (conflicts[a] >> b) & 1u;
}

const struct pgs_lock_user pgs_lock_users[] = {
    {"reads", PGS_LOCK_ACCESS_SHARE},		 /* SELECT */
    {"row-locks", PGS_LOCK_ROW_SHARE},		 /* SELECT ... FOR UPDATE/SHARE */
    {"writes", PGS_LOCK_ROW_EXCLUSIVE},		 /* INSERT, UPDATE, DELETE, MERGE */
    {"vacuum", PGS_LOCK_SHARE_UPDATE_EXCLUSIVE}, /* (auto)VACUUM, ANALYZE, CONCURRENTLY */
    {"index-builds", PGS_LOCK_SHARE},		 /* CREATE INDEX */
    {"ddl", PGS_LOCK_ACCESS_EXCLUSIVE},		 /* most ALTER TABLE, DROP, TRUNCATE */
};
const size_t pgs_n_lock_users = sizeof(pgs_lock_users) / sizeof(pgs_lock_users[0]);

struct pgs_effect *pgs_fx_touch(struct pgs_fx *fx, const char *relation)
{
	struct pgs_effects *out = fx->out;
	/* the position + 1 of the relation's effect (a statement may touch
	 * thousands of relations: TRUNCATE ... CASCADE, a table many reference) */
	uintptr_t at = (uintptr_t)pgs_strmap_get(&fx->touched, relation);

	if (at)
		return &out->items[at - 1];
	struct pgs_effect *e =
	    pgs_arena_push(fx->arena, (void **)&out->items, &out->n, &out->cap, sizeof(*e));
	struct pgs_table *t = pgs_strmap_get(&fx->model->tables, relation);
	e->relation = pgs_arena_strdup(fx->arena, relation);
	e->is_new = t && t->created_in != 0;
	pgs_strmap_put(&fx->touched, e->relation, (void *)(uintptr_t)out->n);
	return e;
}

struct pgs_effect *pgs_fx_touch_rv(struct pgs_fx *fx, const PgQuery__RangeVar *rv)
{
	char buf[256];
	int n =
	    snprintf(buf, sizeof(buf), "%s.%s",
		     rv->schemaname && *rv->schemaname ? rv->schemaname : "public", rv->relname);

	if (n >= 0 && (size_t)n < sizeof(buf))
		return pgs_fx_touch(fx, buf);
	return pgs_fx_touch(fx, pgs_model_key(fx->model, rv));
}

void pgs_fx_lock(struct pgs_effect *e, enum pgs_lock lock)
{
	if (lock > e->lock)
		e->lock = lock;
}

struct pgs_effect *pgs_fx_lock_key(struct pgs_fx *fx, const char *relation, enum pgs_lock lock)
{
	struct pgs_effect *e = pgs_fx_touch(fx, relation);

	pgs_fx_lock(e, lock);
	return e;
}

void pgs_fx_rewrite(struct pgs_effect *e, enum pgs_effect_cause cause, const char *culprit)
{
	if (!e->rewrite && (e->cause == PGS_CAUSE_NONE || !e->scan)) {
		e->cause = cause;
		e->culprit = culprit;
	} else if (!e->rewrite) {
		/* a rewrite outranks an earlier scan as the reason to report */
		e->cause = cause;
		e->culprit = culprit;
	}
	e->rewrite = e->reindex = e->scan = true;
}

void pgs_fx_scan(struct pgs_effect *e, enum pgs_effect_cause cause, const char *culprit)
{
	if (!e->scan) {
		e->cause = cause;
		e->culprit = culprit;
	}
	e->scan = true;
}

struct referencing {
	struct pgs_fx *fx;
	const char *table;
	enum pgs_lock lock;
};

static void lock_if_referencing(void *data, struct pgs_table *t)
{
	struct referencing *r = data;

	for (size_t i = 0; i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (!c->dropped && c->kind == PGS_CON_FOREIGN_KEY && c->referenced &&
		    strcmp(c->referenced, r->table) == 0 && strcmp(t->key, r->table) != 0) {
			pgs_fx_lock_key(r->fx, t->key, r->lock);
			return;
		}
	}
}

void pgs_fx_lock_referencing(struct pgs_fx *fx, const char *table, enum pgs_lock lock)
{
	struct referencing r = {fx, table, lock};

	pgs_model_each_referencing(fx->model, table, lock_if_referencing, &r);
}

/*
 * A foreign key's validation is one anti-join of both tables. The
 * referencing table is read in full; whether the referenced one is too (a
 * hash join) or only through its key's index (a merge join, as 16 and later
 * chose for the proof's tables) is the planner's choice: assumed.
 */
void pgs_fx_fk_validation_read(struct pgs_effect *referenced, const char *constraint)
{
	pgs_fx_scan(referenced, PGS_CAUSE_CHECK_SCAN, constraint);
	referenced->assumed = true;
}

/*
 * The tables a table's foreign keys point at (DROP TABLE locks them too; a
 * new or attached partition gets the keys, validated when it has rows).
 */
void pgs_fx_lock_referenced(struct pgs_fx *fx, struct pgs_table *t, enum pgs_lock lock,
			    bool validate)
{
	for (size_t i = 0; t && i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (c->dropped || c->kind != PGS_CON_FOREIGN_KEY || !c->referenced ||
		    strcmp(c->referenced, t->key) == 0)
			continue;
		struct pgs_effect *e = pgs_fx_lock_key(fx, c->referenced, lock);
		if (validate)
			pgs_fx_fk_validation_read(e, c->name);
	}
}

struct descendants {
	struct pgs_fx *fx;
	void (*fn)(struct pgs_fx *fx, struct pgs_table *t, void *data);
	void *data;
	int depth;
};

static void visit_descendant(void *data, struct pgs_table *child)
{
	struct descendants *d = data;

	d->fn(d->fx, child, d->data);
	if (d->depth < 8) {
		struct descendants deeper = *d;
		deeper.depth++;
		pgs_model_each_child(d->fx->model, child->key, visit_descendant, &deeper);
	}
}

void pgs_fx_each_descendant(struct pgs_fx *fx, const char *key,
			    void (*fn)(struct pgs_fx *fx, struct pgs_table *t, void *data),
			    void *data)
{
	struct descendants d = {fx, fn, data, 0};

	if (key)
		pgs_model_each_child(fx->model, key, visit_descendant, &d);
}

static void read_child(struct pgs_fx *fx, struct pgs_table *t, void *data)
{
	(void)data;
	/* the child's own children are visited by pgs_fx_each_descendant */
	pgs_fx_scan(pgs_fx_lock_key(fx, t->key, PGS_LOCK_ACCESS_SHARE), PGS_CAUSE_OTHER, t->name);
}

/*
 * A relation read by a query that runs: ACCESS SHARE; a view is expanded
 * into what it reads; a relation read in full is scanned, with its
 * partitions or inheritance children.
 */
static void read_relation(struct pgs_fx *fx, const char *key, bool whole, bool inh, int depth)
{
	struct pgs_table *t = pgs_strmap_get(&fx->model->tables, key);
	struct pgs_effect *e = pgs_fx_lock_key(fx, key, PGS_LOCK_ACCESS_SHARE);

	if (t && t->kind == 'v') {
		for (size_t i = 0; depth < 8 && i < t->n_reads; i++)
			read_relation(fx, t->reads[i].relation, whole && t->reads[i].whole, true,
				      depth + 1);
		return;
	}
	if (!whole)
		return;
	pgs_fx_scan(e, PGS_CAUSE_OTHER, t ? t->name : NULL);
	if (t && inh)
		pgs_fx_each_descendant(fx, t->key, read_child, NULL);
}

struct reads_ctx {
	struct pgs_fx *fx;
	bool executed;
};

static void read_rv(void *data, const PgQuery__RangeVar *rv, bool whole)
{
	struct reads_ctx *r = data;

	/* a CTE name looks like a table: it gets ACCESS SHARE, which blocks nothing */
	if (!r->executed) {
		pgs_fx_lock(pgs_fx_touch_rv(r->fx, rv), PGS_LOCK_ACCESS_SHARE);
		return;
	}
	read_relation(r->fx, pgs_fx_touch_rv(r->fx, rv)->relation, whole, rv->inh, 0);
}

/*
 * Relations read by a query (FROM, JOIN, sub-selects): ACCESS SHARE. When
 * the query runs (not a view definition), views are expanded and relations
 * read in full are scanned.
 */
static void reads(struct pgs_fx *fx, const PgQuery__Node *query, bool executed)
{
	struct reads_ctx r = {fx, executed};

	pgs_query_reads(query, read_rv, &r);
}

/* Whether a DefElem list (e.g. REINDEX/VACUUM options) turns an option on. */
bool pgs_option_on(PgQuery__Node **opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		const PgQuery__DefElem *d = opts[i]->def_elem;
		if (strcmp(d->defname, name) != 0)
			continue;
		if (!d->arg)
			return true;
		const PgQuery__Node *a = d->arg;
		if (a->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
			return a->boolean->boolval;
		if (a->node_case == PG_QUERY__NODE__NODE_INTEGER)
			return a->integer->ival != 0;
		if (a->node_case == PG_QUERY__NODE__NODE_STRING)
			return strcasecmp(a->string->sval, "false") != 0 &&
			       strcasecmp(a->string->sval, "off") != 0 &&
			       strcmp(a->string->sval, "0") != 0;
		if (a->node_case == PG_QUERY__NODE__NODE_A_CONST &&
		    a->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
			return a->a_const->boolval->boolval;
		return true;
	}
	return false;
}

/* A table's indexes by their first column, gathered once per statement. */
struct leading_columns {
	struct pgs_strmap columns; /* first column -> the table (any non-NULL) */
	bool unknown;		   /* an index known by name only */
};

static void add_leading_column(void *data, const char *key, void *value)
{
	struct leading_columns *l = data;
	const struct pgs_index *ix = value;

	(void)key;
	if (ix->unknown)
		l->unknown = true;
	else if (!ix->partial && ix->n_columns && ix->columns[0])
		pgs_strmap_put(&l->columns, ix->columns[0], (void *)ix);
}

/*
 * Whether the table has a (non-partial) index whose first column is column:
 * 1 yes, 0 no, -1 can't tell (an index known by name only). The statement
 * may ask for thousands of foreign keys or WHERE terms of one table.
 */
static int has_leading_index(struct pgs_fx *fx, const char *table, const char *column)
{
	struct leading_columns *l;

	if (!column || !table)
		return 0;
	l = pgs_strmap_get(&fx->leading, table);
	if (!l) {
		l = pgs_arena_alloc(fx->arena, sizeof(*l));
		pgs_strmap_init(&l->columns);
		pgs_model_each_index_of(fx->model, table, add_leading_column, l);
		pgs_strmap_put(&fx->leading, pgs_arena_strdup(fx->arena, table), l);
	}
	if (pgs_strmap_get(&l->columns, column))
		return 1;
	return l->unknown ? -1 : 0;
}

static void release_leading(void *data, const char *key, void *value)
{
	struct leading_columns *l = value;

	(void)data;
	(void)key;
	pgs_strmap_release(&l->columns);
}

/* Whether the table has an index (its own, or one of a partitioned parent). */
static bool has_any_index(struct pgs_model *model, const struct pgs_table *t)
{
	int depth = 0;

	for (const struct pgs_table *p = t; p && depth < 9;
	     p = p->parent ? pgs_strmap_get(&model->tables, p->parent) : NULL, depth++)
		if (pgs_model_first_index_of(model, p->key))
			return true;
	return false;
}

struct partitions {
	struct pgs_fx *fx;
	const char *parent;
	enum pgs_lock lock;
	bool scan;
};

static void lock_partition(void *data, struct pgs_table *t)
{
	struct partitions *d = data;

	if (!t->parent || strcmp(t->parent, d->parent) != 0)
		return;
	struct pgs_effect *e = pgs_fx_lock_key(d->fx, t->key, d->lock);
	if (d->scan)
		pgs_fx_scan(e, PGS_CAUSE_INDEX_BUILD, t->name);
}

void pgs_fx_lock_partitions(struct pgs_fx *fx, const char *parent, enum pgs_lock lock, bool scan)
{
	struct partitions d = {fx, parent, lock, scan};

	pgs_model_each_child(fx->model, parent, lock_partition, &d);
}

static void create_table(struct pgs_fx *fx, const PgQuery__CreateStmt *cs)
{
	/* IF NOT EXISTS of a relation that exists: the server finds the name
	 * before it locks anything (not even what LIKE, REFERENCES or PARTITION
	 * OF name) and stops with a notice */
	if (cs->if_not_exists && pgs_model_table(fx->model, cs->relation)) {
		fx->out->skipped = true;
		return;
	}
	struct pgs_effect *e = pgs_fx_touch_rv(fx, cs->relation);
	size_t self = (size_t)(e - fx->out->items);

	pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
	e->is_new = true;
	for (size_t i = 0; i < cs->n_inh_relations; i++) {
		const PgQuery__Node *n = cs->inh_relations[i];
		if (n->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		/* PARTITION OF locks the parent exclusively; INHERITS takes SUE */
		struct pgs_effect *pe = pgs_fx_touch_rv(fx, n->range_var);
		pgs_fx_lock(pe, cs->partbound ? PGS_LOCK_ACCESS_EXCLUSIVE
					      : PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
		/* rows of a default partition that belong in the new one are an error:
		 * the default partition is locked and scanned */
		if (cs->partbound) {
			struct pgs_table *parent = pgs_model_table(fx->model, n->range_var);
			struct pgs_table *def =
			    parent ? pgs_model_default_partition(fx->model, parent->key) : NULL;
			if (def)
				pgs_fx_scan(
				    pgs_fx_lock_key(fx, def->key, PGS_LOCK_ACCESS_EXCLUSIVE),
				    PGS_CAUSE_INDEX_BUILD, def->name);
			/* the parent's foreign keys, cloned: the new partition is empty
			 * (11 only looks at the referenced tables: ACCESS SHARE) */
			pgs_fx_lock_referenced(fx, parent,
					       fx->pg_version >= 12 ? PGS_LOCK_SHARE_ROW_EXCLUSIVE
								    : PGS_LOCK_ACCESS_SHARE,
					       false);
		}
	}
	/* foreign keys lock the tables they reference; the new table is empty,
	 * so there is nothing to validate */
	for (size_t i = 0; i < cs->n_table_elts + cs->n_constraints; i++) {
		const PgQuery__Node *n = i < cs->n_table_elts
					     ? cs->table_elts[i]
					     : cs->constraints[i - cs->n_table_elts];
		PgQuery__Node **cons = NULL;
		size_t n_cons = 0;
		const PgQuery__Node *single = NULL;

		if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			cons = n->column_def->constraints;
			n_cons = n->column_def->n_constraints;
		} else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			single = n;
		} else if (n->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE &&
			   n->table_like_clause->relation) {
			pgs_fx_lock(pgs_fx_touch_rv(fx, n->table_like_clause->relation),
				    PGS_LOCK_ACCESS_SHARE);
		}
		for (size_t k = 0; k < n_cons + (single ? 1 : 0); k++) {
			const PgQuery__Node *c = single ? single : cons[k];
			if (c->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			    c->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN &&
			    c->constraint->pktable)
				pgs_fx_lock(pgs_fx_touch_rv(fx, c->constraint->pktable),
					    PGS_LOCK_SHARE_ROW_EXCLUSIVE);
		}
	}
	fx->out->items[self].is_new = true;
}

struct dropped_reader {
	struct pgs_fx *fx;
	const char *relation;
};

static void drop_readers(struct pgs_fx *fx, const char *key);

static void drop_reader(void *data, struct pgs_table *v)
{
	struct dropped_reader *d = data;
	bool reads = false;

	/* still a reader: a view redefined since may read something else */
	for (size_t i = 0; i < v->n_reads && !reads; i++)
		reads = strcmp(v->reads[i].relation, d->relation) == 0;
	bool seen = pgs_strmap_get(&d->fx->touched, v->key) != NULL;
	if (!reads || (seen && pgs_fx_touch(d->fx, v->key)->lock == PGS_LOCK_ACCESS_EXCLUSIVE))
		return; /* not one, or already dropped (no cycle) */
	pgs_fx_lock_key(d->fx, v->key, PGS_LOCK_ACCESS_EXCLUSIVE);
	drop_readers(d->fx, v->key);
}

/* DROP ... CASCADE drops the views and materialized views reading it, and theirs. */
static void drop_readers(struct pgs_fx *fx, const char *key)
{
	struct dropped_reader d = {fx, key};

	pgs_model_each_reader(fx->model, key, drop_reader, &d);
}

static void drop_stmt(struct pgs_fx *fx, const PgQuery__DropStmt *ds)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		PgQuery__Node **names = NULL;
		size_t n = 0;

		if (obj->node_case == PG_QUERY__NODE__NODE_LIST) {
			names = obj->list->items;
			n = obj->list->n_items;
		}
		if (!n)
			continue;
		switch (ds->remove_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE: {
			const char *key = pgs_model_key_from_names(fx->model, names, n);
			struct pgs_table *t = key ? pgs_strmap_get(&fx->model->tables, key) : NULL;
			if (!key)
				break;
			pgs_fx_lock_key(fx, key, PGS_LOCK_ACCESS_EXCLUSIVE);
			pgs_fx_lock_referenced(fx, t, PGS_LOCK_ACCESS_EXCLUSIVE, false);
			if (t && t->parent)
				pgs_fx_lock_key(fx, t->parent, PGS_LOCK_ACCESS_EXCLUSIVE);
			if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
				pgs_fx_lock_referencing(fx, key, PGS_LOCK_ACCESS_EXCLUSIVE);
				drop_readers(fx, key);
			}
			break;
		}
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: {
			const char *key = pgs_model_key_from_names(fx->model, names, n);
			struct pgs_index *ix = key ? pgs_model_index(fx->model, key) : NULL;
			enum pgs_lock lock = ds->concurrent ? PGS_LOCK_SHARE_UPDATE_EXCLUSIVE
							    : PGS_LOCK_ACCESS_EXCLUSIVE;
			if (ds->concurrent)
				fx->out->no_transaction = true;
			/* the table first (the main effect), then the index itself, which
			 * is locked the same way; an index the history doesn't know has
			 * only its own entry: its table is unknown */
			if (ix)
				pgs_fx_lock_key(fx, ix->table, lock);
			if (key)
				pgs_fx_lock_key(fx, key, lock);
			break;
		}
		case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY: {
			/* names: [schema,] table, object */
			const char *key = pgs_model_key_from_names(fx->model, names, n - 1);
			if (key)
				pgs_fx_lock_key(fx, key, PGS_LOCK_ACCESS_EXCLUSIVE);
			break;
		}
		default:
			break;
		}
	}
}

static void index_stmt(struct pgs_fx *fx, const PgQuery__IndexStmt *is)
{
	if (!is->relation)
		return;
	struct pgs_effect *e = pgs_fx_touch_rv(fx, is->relation);
	struct pgs_table *t = pgs_model_table(fx->model, is->relation);

	pgs_fx_lock(e, is->concurrent ? PGS_LOCK_SHARE_UPDATE_EXCLUSIVE : PGS_LOCK_SHARE);
	fx->out->no_transaction = is->concurrent;
	/* IF NOT EXISTS of an index that exists (in the table's schema): the
	 * server has locked the table (and the partitions) before it looks at
	 * the name, then builds nothing */
	if (is->if_not_exists && is->idxname && *is->idxname &&
	    pgs_model_index(fx->model,
			    pgs_arena_printf(fx->arena, "%s.%s",
					     is->relation->schemaname && *is->relation->schemaname
						 ? is->relation->schemaname
						 : "public",
					     is->idxname))) {
		fx->out->skipped = true;
		if (t && t->kind == 'p' && is->relation->inh)
			pgs_fx_lock_partitions(fx, t->key, PGS_LOCK_SHARE, false);
		return;
	}
	/* a partitioned table has no rows of its own: every partition is locked
	 * and gets its index built (ON ONLY builds nothing yet) */
	if (t && t->kind == 'p') {
		if (is->relation->inh)
			pgs_fx_lock_partitions(fx, t->key, PGS_LOCK_SHARE, true);
	} else {
		pgs_fx_scan(e, PGS_CAUSE_INDEX_BUILD, is->idxname);
	}
}

struct table_indexes {
	struct pgs_fx *fx;
	const char *table;
	enum pgs_lock lock;
};

static void lock_index_of_table(void *data, const char *key, void *value)
{
	struct table_indexes *d = data;
	const struct pgs_index *ix = value;

	if (strcmp(ix->table, d->table) == 0)
		pgs_fx_lock_key(d->fx, key, d->lock);
}

struct partition_reindex {
	struct pgs_fx *fx;
	bool concurrent;
};

static void reindex_partition(void *data, struct pgs_table *child)
{
	struct partition_reindex *pr = data;
	struct pgs_effect *e = pgs_fx_lock_key(pr->fx, child->key, PGS_LOCK_SHARE);

	e->reindex = true;
	/* a plain rebuild reads the partition under that SHARE; a concurrent one
	 * reads it later, under SHARE UPDATE EXCLUSIVE only */
	if (!pr->concurrent)
		pgs_fx_scan(e, PGS_CAUSE_INDEX_BUILD, NULL);
	if (child->kind == 'p')
		pgs_model_each_child(pr->fx->model, child->key, reindex_partition, pr);
}

static void reindex_stmt(struct pgs_fx *fx, const PgQuery__ReindexStmt *rs)
{
	bool concurrent = pgs_option_on(rs->params, rs->n_params, "concurrently");
	enum pgs_lock lock = concurrent ? PGS_LOCK_SHARE_UPDATE_EXCLUSIVE : PGS_LOCK_SHARE;
	/* a plain REINDEX locks each index it rebuilds exclusively; since the
	 * planner locks every index of a table, queries on the table wait too */
	enum pgs_lock index_lock =
	    concurrent ? PGS_LOCK_SHARE_UPDATE_EXCLUSIVE : PGS_LOCK_ACCESS_EXCLUSIVE;

	struct pgs_table *t = NULL;

	switch (rs->kind) {
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE:
		if (rs->relation) {
			t = pgs_model_table(fx->model, rs->relation);
			struct pgs_effect *e = pgs_fx_touch_rv(fx, rs->relation);
			pgs_fx_lock(e, lock);
			e->reindex = true;
			pgs_fx_scan(e, PGS_CAUSE_INDEX_BUILD, NULL);
			struct table_indexes d = {fx, e->relation, index_lock};
			pgs_model_each_index_of(fx->model, e->relation, lock_index_of_table, &d);
			/* the partitions are gathered under SHARE first, CONCURRENTLY or not
			 * (find_all_inheritors in ReindexPartitions); their rebuilds follow */
			if (t && t->kind == 'p' && fx->pg_version >= 14) {
				struct partition_reindex pr = {fx, concurrent};
				pgs_model_each_child(fx->model, t->key, reindex_partition, &pr);
			}
		}
		break;
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX:
		if (rs->relation) {
			const char *key = pgs_model_key(fx->model, rs->relation);
			struct pgs_index *ix = pgs_model_index(fx->model, key);
			/* the table first (the main effect), then the index; an index the
			 * history doesn't know has only its own entry */
			if (ix) {
				t = pgs_strmap_get(&fx->model->tables, ix->table);
				struct pgs_effect *e = pgs_fx_lock_key(fx, ix->table, lock);
				e->reindex = true;
				pgs_fx_scan(e, PGS_CAUSE_INDEX_BUILD, NULL);
			}
			pgs_fx_lock_key(fx, key, index_lock);
		}
		break;
	default:
		/* SCHEMA, DATABASE, SYSTEM: every table; never inside a transaction */
		fx->out->no_transaction = true;
		break;
	}
	/* a partitioned table's partitions are reindexed each in its own transaction
	 * (PostgreSQL 14+; before, REINDEX refuses partitioned tables) */
	if (concurrent || (t && t->kind == 'p' && fx->pg_version >= 14))
		fx->out->no_transaction = true;
}

static void vacuum_stmt(struct pgs_fx *fx, const PgQuery__VacuumStmt *vs)
{
	bool full = vs->is_vacuumcmd && pgs_option_on(vs->options, vs->n_options, "full");

	if (vs->is_vacuumcmd)
		fx->out->no_transaction = true;
	for (size_t i = 0; i < vs->n_rels; i++) {
		const PgQuery__Node *n = vs->rels[i];
		if (n->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION ||
		    !n->vacuum_relation->relation)
			continue;
		struct pgs_effect *e = pgs_fx_touch_rv(fx, n->vacuum_relation->relation);
		if (full) {
			pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
			pgs_fx_rewrite(e, PGS_CAUSE_OTHER, "VACUUM FULL");
		} else {
			pgs_fx_lock(e, PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
			/* ANALYZE reads a sample of rows, not the whole table */
			if (vs->is_vacuumcmd)
				pgs_fx_scan(e, PGS_CAUSE_OTHER, "VACUUM");
			/* a partitioned table's partitions are processed too */
			struct pgs_table *t =
			    pgs_model_table(fx->model, n->vacuum_relation->relation);
			if (t && t->kind == 'p')
				pgs_fx_lock_partitions(fx, t->key, PGS_LOCK_SHARE_UPDATE_EXCLUSIVE,
						       vs->is_vacuumcmd);
		}
	}
}

struct truncation {
	bool cascade;
	int depth;
};

static void truncate_relation(struct pgs_fx *fx, const char *key, bool inh,
			      const struct truncation *tr);

static void truncate_child(struct pgs_fx *fx, struct pgs_table *t, void *data)
{
	/* the children's own children come through pgs_fx_each_descendant */
	truncate_relation(fx, t->key, false, data);
}

struct truncate_referencing {
	struct pgs_fx *fx;
	const char *table;
	const struct truncation *tr;
};

static void truncate_if_referencing(void *data, struct pgs_table *t)
{
	struct truncate_referencing *r = data;
	const struct pgs_effect *done = pgs_effects_find(r->fx->out, t->key);

	if (done && done->lock == PGS_LOCK_ACCESS_EXCLUSIVE && done->rewrite)
		return; /* already truncated */
	for (size_t i = 0; i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (!c->dropped && c->kind == PGS_CON_FOREIGN_KEY && c->referenced &&
		    strcmp(c->referenced, r->table) == 0 && strcmp(t->key, r->table) != 0) {
			truncate_relation(r->fx, t->key, true, r->tr);
			return;
		}
	}
}

/*
 * TRUNCATE gives the table and each of its indexes a new, empty file (the
 * relfilenodes change; nothing is copied or scanned). Children are
 * truncated too unless ONLY; CASCADE truncates referencing tables.
 */
static void truncate_relation(struct pgs_fx *fx, const char *key, bool inh,
			      const struct truncation *tr)
{
	struct pgs_effect *e = pgs_fx_lock_key(fx, key, PGS_LOCK_ACCESS_EXCLUSIVE);
	struct truncation deeper = {tr->cascade, tr->depth + 1};

	e->rewrite = e->reindex = true;
	if (tr->depth >= 8)
		return;
	if (inh)
		pgs_fx_each_descendant(fx, key, truncate_child, &deeper);
	if (tr->cascade) {
		struct truncate_referencing r = {fx, key, &deeper};
		pgs_model_each_referencing(fx->model, key, truncate_if_referencing, &r);
	}
}

static void truncate_stmt(struct pgs_fx *fx, const PgQuery__TruncateStmt *ts)
{
	struct truncation tr = {ts->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE, 0};

	for (size_t i = 0; i < ts->n_relations; i++) {
		const PgQuery__Node *n = ts->relations[i];
		if (n->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		truncate_relation(fx, pgs_fx_touch_rv(fx, n->range_var)->relation,
				  n->range_var->inh, &tr);
	}
}

static void lock_child(struct pgs_fx *fx, struct pgs_table *t, void *data)
{
	pgs_fx_lock_key(fx, t->key, *(const enum pgs_lock *)data);
}

/*
 * LOCK TABLE locks the partitions and inheritance children too (unless
 * ONLY), and a view's relations, recursively, in the same mode.
 */
static void lock_tree(struct pgs_fx *fx, const char *key, enum pgs_lock lock, bool inh, int depth)
{
	struct pgs_table *t = pgs_strmap_get(&fx->model->tables, key);

	pgs_fx_lock_key(fx, key, lock);
	if (!t || depth >= 8)
		return;
	if (t->kind == 'v') {
		for (size_t i = 0; i < t->n_reads; i++)
			lock_tree(fx, t->reads[i].relation, lock, true, depth + 1);
		return;
	}
	if (inh)
		pgs_fx_each_descendant(fx, key, lock_child, &lock);
}

/* LOCK TABLE's mode numbers are PostgreSQL's lockmode constants (1..8). */
static void lock_stmt(struct pgs_fx *fx, const PgQuery__LockStmt *ls)
{
	enum pgs_lock lock =
	    ls->mode >= 1 && ls->mode <= 8 ? (enum pgs_lock)ls->mode : PGS_LOCK_ACCESS_EXCLUSIVE;

	for (size_t i = 0; i < ls->n_relations; i++)
		if (ls->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
			const PgQuery__RangeVar *rv = ls->relations[i]->range_var;
			lock_tree(fx, pgs_fx_touch_rv(fx, rv)->relation, lock, rv->inh, 0);
		}
}

static void rename_stmt(struct pgs_fx *fx, const PgQuery__RenameStmt *rs)
{
	if (!rs->relation)
		return;
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: {
		/* renaming an index takes SUE on the index only */
		const char *key = pgs_model_key(fx->model, rs->relation);
		pgs_fx_lock_key(fx, key,
				fx->pg_version >= 12 ? PGS_LOCK_SHARE_UPDATE_EXCLUSIVE
						     : PGS_LOCK_ACCESS_EXCLUSIVE);
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN: {
		/* partitions and inheritance children rename the column too */
		enum pgs_lock lock = PGS_LOCK_ACCESS_EXCLUSIVE;
		struct pgs_effect *e = pgs_fx_touch_rv(fx, rs->relation);
		pgs_fx_lock(e, lock);
		if (rs->relation->inh)
			pgs_fx_each_descendant(fx, e->relation, lock_child, &lock);
		break;
	}
	default:
		pgs_fx_lock(pgs_fx_touch_rv(fx, rs->relation), PGS_LOCK_ACCESS_EXCLUSIVE);
		break;
	}
}

static void comment_stmt(struct pgs_fx *fx, const PgQuery__CommentStmt *cs)
{
	const PgQuery__Node *obj = cs->object;

	if (!obj || obj->node_case != PG_QUERY__NODE__NODE_LIST)
		return;
	PgQuery__Node **names = obj->list->items;
	size_t n = obj->list->n_items;
	switch (cs->objtype) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		n--; /* [schema,] table, column */
		break;
	default:
		return;
	}
	const char *key = pgs_model_key_from_names(fx->model, names, n);
	if (key)
		pgs_fx_lock_key(fx, key, PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
}

struct domain_users {
	struct pgs_fx *fx;
	const char *domain; /* key */
	const char *name;   /* last name */
	bool scan;
};

static void lock_domain_users(void *data, struct pgs_table *t)
{
	struct domain_users *d = data;

	for (size_t i = 0; i < t->n_columns; i++)
		if (strcmp(t->columns[i].type, d->name) == 0) {
			struct pgs_effect *e = pgs_fx_lock_key(d->fx, t->key, PGS_LOCK_SHARE);
			if (d->scan)
				pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, d->name);
			return;
		}
}

static void alter_domain(struct pgs_fx *fx, const PgQuery__AlterDomainStmt *ads)
{
	/* subtype: 'C' add constraint, 'V' validate, 'N'/'O' (drop/set) not null */
	char sub = ads->subtype ? ads->subtype[0] : 0;
	bool scan = false;

	if (sub == 'C' && ads->def && ads->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
		scan = !ads->def->constraint->skip_validation;
	else if (sub == 'V' || sub == 'O')
		scan = true;
	else
		return;
	struct domain_users d = {
	    fx, NULL,
	    ads->n_type_name ? pgs_node_string(ads->type_name[ads->n_type_name - 1]) : NULL, scan};
	if (!d.name || !scan)
		return;
	pgs_model_each_typed(fx->model, d.name, lock_domain_users, &d);
}

static void refresh_stmt(struct pgs_fx *fx, const PgQuery__RefreshMatViewStmt *rs)
{
	struct pgs_table *t = pgs_model_table(fx->model, rs->relation);
	struct pgs_effect *e = pgs_fx_touch_rv(fx, rs->relation);
	size_t self = (size_t)(e - fx->out->items);

	/* the view's query runs again: what it reads is locked and scanned */
	for (size_t i = 0; t && !rs->skip_data && i < t->n_reads; i++)
		read_relation(fx, t->reads[i].relation, t->reads[i].whole, true, 1);
	e = &fx->out->items[self];

	if (rs->concurrent) {
		pgs_fx_lock(e, PGS_LOCK_EXCLUSIVE);
		pgs_fx_scan(e, PGS_CAUSE_OTHER, "REFRESH CONCURRENTLY");
	} else {
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		pgs_fx_rewrite(e, PGS_CAUSE_OTHER, "REFRESH");
		/* WITH NO DATA: a new empty file, nothing read */
		if (rs->skip_data)
			e->scan = false;
	}
}

static bool name_in(const char *name, PgQuery__Node **nodes, size_t n, bool res_targets)
{
	for (size_t i = 0; name && i < n; i++) {
		const char *s = NULL;
		if (res_targets && nodes[i]->node_case == PG_QUERY__NODE__NODE_RES_TARGET)
			s = nodes[i]->res_target->name;
		else if (!res_targets)
			s = pgs_node_string(nodes[i]);
		if (s && strcmp(s, name) == 0)
			return true;
	}
	return false;
}

static bool any_column_in(const char *const *columns, size_t n_columns, PgQuery__Node **nodes,
			  size_t n, bool res_targets)
{
	for (size_t i = 0; i < n_columns; i++)
		if (name_in(columns[i], nodes, n, res_targets))
			return true;
	return false;
}

/*
 * New or changed foreign key values are checked against the referenced
 * table: SELECT ... FOR KEY SHARE through its unique index, ROW SHARE.
 */
static void check_foreign_keys(struct pgs_fx *fx, const PgQuery__RangeVar *rv, PgQuery__Node **cols,
			       size_t n_cols, bool res_targets)
{
	struct pgs_table *t = pgs_model_table(fx->model, rv);

	for (size_t i = 0; t && i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (c->dropped || c->kind != PGS_CON_FOREIGN_KEY || !c->referenced ||
		    strcmp(c->referenced, t->key) == 0)
			continue;
		if (n_cols && !any_column_in(c->columns, c->n_columns, cols, n_cols, res_targets))
			continue;
		pgs_fx_lock_key(fx, c->referenced, PGS_LOCK_ROW_SHARE);
	}
}

static void insert_foreign_keys(struct pgs_fx *fx, const PgQuery__InsertStmt *is)
{
	check_foreign_keys(fx, is->relation, is->cols, is->n_cols, true);
}

struct referencing_check {
	struct pgs_fx *fx;
	struct pgs_table *target;
	PgQuery__Node **cols; /* UPDATE's SET targets; NULL for DELETE */
	size_t n_cols;
	const char *const *pk;
	size_t n_pk;
};

static void check_referencing(void *data, struct pgs_table *t)
{
	struct referencing_check *r = data;

	for (size_t i = 0; i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (c->dropped || c->kind != PGS_CON_FOREIGN_KEY || !c->referenced ||
		    strcmp(c->referenced, r->target->key) != 0)
			continue;
		const char *const *keycols = c->referenced_columns ? c->referenced_columns : r->pk;
		size_t n_keycols = c->referenced_columns ? c->n_referenced_columns : r->n_pk;
		if (r->cols && n_keycols &&
		    !any_column_in(keycols, n_keycols, r->cols, r->n_cols, true))
			continue; /* the referenced key doesn't change */
		char action = r->cols ? c->update_action : c->delete_action;
		/* NO ACTION / RESTRICT look for referencing rows (FOR KEY SHARE);
		 * CASCADE / SET NULL / SET DEFAULT change them */
		struct pgs_effect *e = pgs_fx_lock_key(
		    r->fx, t->key,
		    action == 'c' || action == 'n' || action == 'd' ? PGS_LOCK_ROW_EXCLUSIVE
								    : PGS_LOCK_ROW_SHARE);
		/* ... by the foreign key columns: a full scan unless they are indexed */
		int indexed = c->n_columns ? has_leading_index(r->fx, t->key, c->columns[0]) : 0;
		if (indexed != 1) {
			pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, c->name);
			if (t->partial || indexed < 0)
				e->assumed = true;
		}
	}
}

/* Rows deleted from, or keys changed in, a referenced table are looked up in the referencing
 * tables. */
static void referencing_checks(struct pgs_fx *fx, const PgQuery__RangeVar *rv, PgQuery__Node **cols,
			       size_t n_cols, bool is_delete)
{
	struct pgs_table *t = pgs_model_table(fx->model, rv);
	struct referencing_check r = {fx, t, is_delete ? NULL : cols, n_cols, NULL, 0};

	if (!t || (!is_delete && !n_cols))
		return;
	for (size_t i = 0; i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].kind == PGS_CON_PRIMARY_KEY) {
			r.pk = t->constraints[i].columns;
			r.n_pk = t->constraints[i].n_columns;
		}
	pgs_model_each_referencing(fx->model, t->key, check_referencing, &r);
}

static void update_foreign_keys(struct pgs_fx *fx, const PgQuery__UpdateStmt *us)
{
	if (!us->n_target_list)
		return;
	check_foreign_keys(fx, us->relation, us->target_list, us->n_target_list, true);
	referencing_checks(fx, us->relation, us->target_list, us->n_target_list, false);
}

static bool where_uses_index(struct pgs_fx *fx, const char *table, const PgQuery__Node *w);

static void dml_child(struct pgs_fx *fx, struct pgs_table *t, void *data)
{
	const PgQuery__Node *where = data;
	struct pgs_effect *e = pgs_fx_lock_key(fx, t->key, PGS_LOCK_ROW_EXCLUSIVE);

	if (!where) {
		pgs_fx_scan(e, PGS_CAUSE_OTHER, t->name);
		return;
	}
	/* the WHERE clause may prune the partition; if not, as for the parent */
	e->assumed = true;
	if (!where_uses_index(fx, t->key, where))
		pgs_fx_scan(e, PGS_CAUSE_OTHER, t->name);
}

/*
 * Whether a WHERE clause finds its rows through an index: an equality (or
 * IN) on a column some index of the table leads with, at the top level or
 * under AND.
 */
static bool where_uses_index(struct pgs_fx *fx, const char *table, const PgQuery__Node *w)
{
	if (!w)
		return false;
	if (w->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    w->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < w->bool_expr->n_args; i++)
			if (where_uses_index(fx, table, w->bool_expr->args[i]))
				return true;
		return false;
	}
	if (w->node_case != PG_QUERY__NODE__NODE_A_EXPR)
		return false;
	const PgQuery__AExpr *x = w->a_expr;
	const char *op = x->n_name ? pgs_node_string(x->name[x->n_name - 1]) : NULL;
	bool eq = (x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && op && strcmp(op, "=") == 0) ||
		  x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN;
	const PgQuery__Node *sides[2] = {x->lexpr, x->rexpr};
	for (int i = 0; eq && i < 2; i++) {
		const PgQuery__Node *s = sides[i];
		if (!s || s->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
			continue;
		const PgQuery__ColumnRef *cr = s->column_ref;
		const char *col =
		    cr->n_fields ? pgs_node_string(cr->fields[cr->n_fields - 1]) : NULL;
		if (col && has_leading_index(fx, table, col) == 1)
			return true;
	}
	return false;
}

/*
 * UPDATE / DELETE: the table, and its partitions or inheritance children
 * unless ONLY. Without WHERE every row is read; with one that no index
 * serves, the plan may well read them all too (assumed: the planner decides).
 */
static void dml_target(struct pgs_fx *fx, const PgQuery__RangeVar *rv, const PgQuery__Node *where)
{
	struct pgs_effect *e = pgs_fx_touch_rv(fx, rv);
	const char *key = e->relation;
	bool whole_table = !where;

	pgs_fx_lock(e, PGS_LOCK_ROW_EXCLUSIVE);
	if (whole_table) {
		pgs_fx_scan(e, PGS_CAUSE_OTHER, rv->relname);
	} else if (!where_uses_index(fx, key, where)) {
		pgs_fx_scan(e, PGS_CAUSE_OTHER, rv->relname);
		e->assumed = true;
	}
	if (rv->inh)
		pgs_fx_each_descendant(fx, key, dml_child, (void *)where);
}

static void compute(struct pgs_fx *fx, const PgQuery__Node *stmt);

static int by_relation(const void *a, const void *b)
{
	return strcmp((*(const struct pgs_effect *const *)a)->relation,
		      (*(const struct pgs_effect *const *)b)->relation);
}

void pgs_effects_compute(struct pgs_effects *out, struct pgs_arena *arena, struct pgs_model *model,
			 const PgQuery__Node *stmt, int pg_version)
{
	struct pgs_fx fx = {out, arena, model, pg_version, NULL, {0}, {0}};

	memset(out, 0, sizeof(*out));
	if (!stmt)
		return;
	pgs_strmap_init(&fx.touched);
	pgs_strmap_init(&fx.leading);
	compute(&fx, stmt);
	pgs_strmap_release(&fx.touched);
	pgs_strmap_each(&fx.leading, release_leading, NULL);
	pgs_strmap_release(&fx.leading);
	/* by relation, for pgs_effects_find */
	out->sorted = pgs_arena_alloc(arena, (out->n ? out->n : 1) * sizeof(*out->sorted));
	for (size_t i = 0; i < out->n; i++)
		out->sorted[i] = &out->items[i];
	qsort(out->sorted, out->n, sizeof(*out->sorted), by_relation);
}

static void compute(struct pgs_fx *fx, const PgQuery__Node *stmt)
{
	struct pgs_effects *out = fx->out;
	struct pgs_model *model = fx->model;

	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		pgs_fx_alter_table(fx, stmt->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		index_stmt(fx, stmt->index_stmt);
		break;
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		create_table(fx, stmt->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		drop_stmt(fx, stmt->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		reindex_stmt(fx, stmt->reindex_stmt);
		break;
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		if (stmt->cluster_stmt->relation) {
			struct pgs_effect *e = pgs_fx_touch_rv(fx, stmt->cluster_stmt->relation);
			pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
			pgs_fx_rewrite(e, PGS_CAUSE_OTHER, "CLUSTER");
		} else {
			out->no_transaction = true; /* CLUSTER of every clustered table */
		}
		break;
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		vacuum_stmt(fx, stmt->vacuum_stmt);
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		truncate_stmt(fx, stmt->truncate_stmt);
		break;
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		lock_stmt(fx, stmt->lock_stmt);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		if (stmt->create_trig_stmt->relation)
			pgs_fx_lock(pgs_fx_touch_rv(fx, stmt->create_trig_stmt->relation),
				    PGS_LOCK_SHARE_ROW_EXCLUSIVE);
		break;
	case PG_QUERY__NODE__NODE_RULE_STMT:
		if (stmt->rule_stmt->relation)
			pgs_fx_lock(pgs_fx_touch_rv(fx, stmt->rule_stmt->relation),
				    PGS_LOCK_ACCESS_EXCLUSIVE);
		break;
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
		if (stmt->create_policy_stmt->table)
			pgs_fx_lock(pgs_fx_touch_rv(fx, stmt->create_policy_stmt->table),
				    PGS_LOCK_ACCESS_EXCLUSIVE);
		break;
	case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
		if (stmt->alter_policy_stmt->table)
			pgs_fx_lock(pgs_fx_touch_rv(fx, stmt->alter_policy_stmt->table),
				    PGS_LOCK_ACCESS_EXCLUSIVE);
		break;
	case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
		for (size_t i = 0; i < stmt->create_stats_stmt->n_relations; i++)
			if (stmt->create_stats_stmt->relations[i]->node_case ==
			    PG_QUERY__NODE__NODE_RANGE_VAR)
				pgs_fx_lock(
				    pgs_fx_touch_rv(
					fx, stmt->create_stats_stmt->relations[i]->range_var),
				    PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
		break;
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		comment_stmt(fx, stmt->comment_stmt);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		rename_stmt(fx, stmt->rename_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		if (stmt->alter_object_schema_stmt->relation)
			pgs_fx_lock(pgs_fx_touch_rv(fx, stmt->alter_object_schema_stmt->relation),
				    PGS_LOCK_ACCESS_EXCLUSIVE);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT: {
		reads(fx, stmt->view_stmt->query, false);
		struct pgs_effect *e = pgs_fx_touch_rv(fx, stmt->view_stmt->view);
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		/* a plain CREATE VIEW makes a new view; OR REPLACE may replace one */
		if (!stmt->view_stmt->replace && !pgs_model_table(model, stmt->view_stmt->view))
			e->is_new = true;
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *ctas = stmt->create_table_as_stmt;
		const PgQuery__RangeVar *into = ctas->into ? ctas->into->rel : NULL;
		/* IF NOT EXISTS of a relation that exists: the query was parsed (its
		 * relations locked) but never runs, and nothing is made */
		bool exists = into && ctas->if_not_exists && pgs_model_table(model, into);

		out->skipped = exists;
		reads(fx, ctas->query, !exists && !(ctas->into && ctas->into->skip_data));
		if (into && !exists) {
			struct pgs_effect *e = pgs_fx_touch_rv(fx, into);
			pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
			e->is_new = true;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		refresh_stmt(fx, stmt->refresh_mat_view_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		/* ADD VALUE may run in a transaction block from PostgreSQL 12 */
		if (!stmt->alter_enum_stmt->old_val || !*stmt->alter_enum_stmt->old_val)
			out->no_transaction = fx->pg_version < 12;
		break;
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
		alter_domain(fx, stmt->alter_domain_stmt);
		break;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
		out->no_transaction = true;
		break;
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
		/* SET TABLESPACE moves the database's files: not in a transaction block */
		out->no_transaction =
		    pgs_option_on(stmt->alter_database_stmt->options,
				  stmt->alter_database_stmt->n_options, "tablespace");
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		reads(fx, stmt, true);
		dml_target(fx, stmt->update_stmt->relation, stmt->update_stmt->where_clause);
		update_foreign_keys(fx, stmt->update_stmt);
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		reads(fx, stmt, true);
		dml_target(fx, stmt->delete_stmt->relation, stmt->delete_stmt->where_clause);
		referencing_checks(fx, stmt->delete_stmt->relation, NULL, 0, true);
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		reads(fx, stmt, true);
		/* rows go to the table named (partitions: found row by row, not listed) */
		pgs_fx_lock(pgs_fx_touch_rv(fx, stmt->insert_stmt->relation),
			    PGS_LOCK_ROW_EXCLUSIVE);
		insert_foreign_keys(fx, stmt->insert_stmt);
		break;
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		reads(fx, stmt, true);
		dml_target(fx, stmt->merge_stmt->relation, NULL);
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		reads(fx, stmt, true);
		break;
	default:
		break;
	}
	/* no index, nothing to rebuild */
	for (size_t i = 0; i < out->n; i++) {
		struct pgs_table *t = pgs_strmap_get(&model->tables, out->items[i].relation);
		if (out->items[i].reindex && t && !t->partial && !has_any_index(model, t))
			out->items[i].reindex = false;
	}
}

const struct pgs_effect *pgs_effects_find(const struct pgs_effects *fx, const char *relation)
{
	size_t lo = 0, hi = fx->sorted ? fx->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(fx->sorted[mid]->relation, relation);
		if (c == 0)
			return fx->sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
