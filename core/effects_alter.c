/*
 * What each ALTER TABLE action does, from PostgreSQL's ALTER TABLE
 * documentation and observed on a real server (the integration tests check
 * these against pg_locks, relfilenodes and seq_scan counters).
 */
#include <string.h>

#include "core/effects_internal.h"
#include "core/type_change.h"
#include "core/volatility.h"

static bool is_serial(const char *type)
{
	return strcmp(type, "serial") == 0 || strcmp(type, "bigserial") == 0 ||
	       strcmp(type, "smallserial") == 0 || strcmp(type, "serial2") == 0 ||
	       strcmp(type, "serial4") == 0 || strcmp(type, "serial8") == 0;
}

static bool is_null_const(const PgQuery__Node *n)
{
	while (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull;
}

static void column_rewrite(struct pgs_column_add *r, enum pgs_effect_cause cause,
			   const char *culprit)
{
	if (r->rewrite)
		return;
	r->rewrite = true;
	r->cause = cause;
	r->culprit = culprit;
}

/* ADD COLUMN: rewrites when every row needs a value computed for it. */
struct pgs_column_add pgs_effects_add_column(struct pgs_model *model, struct pgs_arena *arena,
					     struct pgs_table *table,
					     const PgQuery__AlterTableCmd *cmd, int pg_version)
{
	struct pgs_column_add r = {0};

	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return r;
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	/* ADD COLUMN IF NOT EXISTS of a column that exists does nothing */
	if (cmd->missing_ok && table && pgs_table_column(table, def->colname))
		return r;
	const char *type = pgs_type_name_last(def->type_name);
	const PgQuery__Node *dflt = def->raw_default;
	bool not_null = def->is_not_null;
	bool generates = false; /* the column makes its own values: serial, identity, generated */
	/* PostgreSQL skips validating the column's foreign key only when it has
	 * no default expression (transformAlterTableStmt): serial and GENERATED
	 * ... STORED have one, IDENTITY hasn't (its values go unchecked) */
	bool has_default = def->raw_default != NULL, fk = false;

	if (is_serial(type)) {
		column_rewrite(&r, PGS_CAUSE_SERIAL, type);
		generates = true;
		has_default = true;
	}
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Node *n = def->constraints[i];
		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		switch (n->constraint->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			fk = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			dflt = n->constraint->raw_expr;
			has_default = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
			not_null = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			column_rewrite(&r, PGS_CAUSE_IDENTITY, NULL);
			generates = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			column_rewrite(&r, PGS_CAUSE_GENERATED, NULL);
			generates = true;
			has_default = true;
			break;
		default:
			break;
		}
	}
	r.validates_fk = fk && has_default;
	/* a domain with constraints: each row's value (NULL too) must pass them */
	struct pgs_domain *dom = pgs_model_domain(model, def->type_name);
	if (dom && dom->has_check)
		column_rewrite(&r, PGS_CAUSE_DOMAIN_CHECK, type);
	if (!dflt || is_null_const(dflt)) {
		r.null_default = dflt && !generates;
		/* NOT NULL without a default fails on any row: it is checked by a scan */
		r.needs_value = not_null && !generates;
		return r;
	}
	if (pg_version < 11) {
		column_rewrite(&r, PGS_CAUSE_DEFAULT_BEFORE_11, NULL);
		return r;
	}
	struct pgs_volatility v = pgs_expr_volatility(dflt, arena, pg_version);
	if (v.level == 'v' && !r.rewrite) {
		column_rewrite(&r, PGS_CAUSE_VOLATILE_DEFAULT, v.culprit);
		r.assumed = v.assumed;
	}
	return r;
}

static void add_constraint(struct pgs_fx *fx, size_t self, struct pgs_table *t,
			   const PgQuery__Constraint *c);


/*
 * Before PostgreSQL 13, ADD COLUMN IF NOT EXISTS of a column that exists
 * still added the column's foreign keys and keys (they are separate
 * commands by then), each as ADD CONSTRAINT does on the existing column.
 * The constraint n is one of those, or NULL.
 */
static const PgQuery__Constraint *stray_constraint(const PgQuery__Node *n)
{
	if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
		return NULL;
	PgQuery__ConstrType kind = n->constraint->contype;
	return kind == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
		       kind == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		       kind == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY
		   ? n->constraint
		   : NULL;
}

/* Whether def has such constraints and the version adds them. */
static bool has_stray_constraints(const struct pgs_fx *fx, const PgQuery__ColumnDef *def)
{
	for (size_t i = 0; fx->pg_version < 13 && i < def->n_constraints; i++)
		if (stray_constraint(def->constraints[i]))
			return true;
	return false;
}

static void stray_constraints(struct pgs_fx *fx, size_t self, struct pgs_table *t,
			      const PgQuery__ColumnDef *def)
{
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Constraint *c = stray_constraint(def->constraints[i]);
		if (!c)
			continue;
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
			pgs_fx_lock(&fx->out->items[self], PGS_LOCK_SHARE_ROW_EXCLUSIVE);
			add_constraint(fx, self, t, c);
		} else {
			pgs_fx_scan(&fx->out->items[self], PGS_CAUSE_INDEX_BUILD, c->conname);
		}
	}
}

static void add_column(struct pgs_fx *fx, size_t self, struct pgs_table *t,
		       const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	struct pgs_effect *e = &fx->out->items[self];

	if (cmd->missing_ok && t && pgs_table_column(t, def->colname)) {
		/* IF NOT EXISTS, and it exists: nothing happens, but before 13 its
		 * foreign keys and keys were added all the same (seen on 11, 12) */
		if (has_stray_constraints(fx, def))
			stray_constraints(fx, self, t, def);
		return;
	}
	struct pgs_column_add a =
	    pgs_effects_add_column(fx->model, fx->arena, t, cmd, fx->pg_version);

	if (a.rewrite) {
		pgs_fx_rewrite(e, a.cause, a.culprit);
		if (a.assumed)
			e->assumed = true;
	}
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Node *n = def->constraints[i];
		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		const PgQuery__Constraint *c = n->constraint;
		e = &fx->out->items[self];
		switch (c->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
			pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, c->conname);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
			pgs_fx_scan(e, PGS_CAUSE_INDEX_BUILD, c->conname);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			/* a column without a default is all NULL: nothing to validate;
			 * with one, validation joins both tables, as ADD CONSTRAINT's
			 * (with DEFAULT NULL no row has a key to look up) */
			if (c->pktable) {
				struct pgs_effect *pk = pgs_fx_touch_rv(fx, c->pktable);
				pgs_fx_lock(pk, PGS_LOCK_SHARE_ROW_EXCLUSIVE);
				if (a.validates_fk && !a.null_default)
					pgs_fx_fk_validation_read(pk, c->conname);
			}
			e = &fx->out->items[self];
			if (a.validates_fk)
				pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, c->conname);
			break;
		default:
			break;
		}
	}
	e = &fx->out->items[self];
	if (a.needs_value && !e->rewrite)
		pgs_fx_scan(e, PGS_CAUSE_NOT_NULL_SCAN, def->colname);
}

static enum pgs_lock reloptions_lock(const PgQuery__Node *def)
{
	if (!def || def->node_case != PG_QUERY__NODE__NODE_LIST)
		return PGS_LOCK_ACCESS_EXCLUSIVE;
	for (size_t i = 0; i < def->list->n_items; i++) {
		const PgQuery__Node *o = def->list->items[i];
		if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			return PGS_LOCK_ACCESS_EXCLUSIVE;
		const PgQuery__DefElem *d = o->def_elem;
		const char *ns = d->defnamespace ? d->defnamespace : "";
		/* fillfactor, toast.*, autovacuum_* and parallel_workers take SUE */
		if (strcmp(ns, "toast") != 0 && strcmp(d->defname, "fillfactor") != 0 &&
		    strncmp(d->defname, "autovacuum_", 11) != 0 &&
		    strcmp(d->defname, "toast_tuple_target") != 0 &&
		    strcmp(d->defname, "parallel_workers") != 0 &&
		    strcmp(d->defname, "vacuum_index_cleanup") != 0 &&
		    strcmp(d->defname, "vacuum_truncate") != 0 &&
		    strcmp(d->defname, "log_autovacuum_min_duration") != 0)
			return PGS_LOCK_ACCESS_EXCLUSIVE;
	}
	return PGS_LOCK_SHARE_UPDATE_EXCLUSIVE;
}

/*
 * Whether making the columns NOT NULL must scan: some column is nullable
 * (unknown columns count as nullable) and, from PostgreSQL 12, no validated
 * CHECK (col IS NOT NULL) proves it has no NULLs.
 */
static bool any_nullable(struct pgs_model *model, struct pgs_table *t, const char *const *columns,
			 size_t n, int pg_version)
{
	if (!t || !n)
		return true;
	for (size_t i = 0; i < n; i++) {
		struct pgs_column *c = columns[i] ? pgs_table_column(t, columns[i]) : NULL;
		if (c && c->not_null)
			continue;
		if (columns[i] && pg_version >= 12 &&
		    pgs_model_has_valid_not_null_check(model, t, columns[i]))
			continue;
		return true;
	}
	return false;
}

/*
 * The lock on each partition while ADD CONSTRAINT builds a partitioned
 * table's key: SHARE, as CREATE INDEX; from 18 the constraint is added to
 * each partition under ACCESS EXCLUSIVE (seen on 18).
 */
static enum pgs_lock partition_key_lock(const struct pgs_fx *fx)
{
	return fx->pg_version >= 18 ? PGS_LOCK_ACCESS_EXCLUSIVE : PGS_LOCK_SHARE;
}

static void add_constraint(struct pgs_fx *fx, size_t self, struct pgs_table *t,
			   const PgQuery__Constraint *c)
{
	struct pgs_effect *e = &fx->out->items[self];

	switch (c->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		pgs_fx_lock(e, PGS_LOCK_SHARE_ROW_EXCLUSIVE);
		if (c->pktable) {
			struct pgs_effect *pk = pgs_fx_touch_rv(fx, c->pktable);
			pgs_fx_lock(pk, PGS_LOCK_SHARE_ROW_EXCLUSIVE);
			/* validation joins both tables */
			if (!c->skip_validation)
				pgs_fx_fk_validation_read(pk, c->conname);
		}
		e = &fx->out->items[self];
		if (!c->skip_validation)
			pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, c->conname);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		if (!c->skip_validation)
			pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, c->conname);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION: {
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		bool using_index = c->indexname && *c->indexname;
		if (!using_index) {
			/* a partitioned table has no rows of its own: the index is built
			 * on every partition, under SHARE (matching existing indexes are
			 * not reused) */
			if (t && t->kind == 'p')
				pgs_fx_lock_partitions(fx, t->key, partition_key_lock(fx), true);
			else
				pgs_fx_scan(e, PGS_CAUSE_INDEX_BUILD, c->conname);
			break;
		}
		/* USING INDEX: fast, except that a primary key makes its columns
		 * NOT NULL, which scans when one is nullable */
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) {
			const char *key = pgs_arena_printf(fx->arena, "%s.%s",
							   t ? t->schema : "public", c->indexname);
			struct pgs_index *ix = pgs_model_index(fx->model, key);
			if (!ix || any_nullable(fx->model, t, ix->columns, ix->n_columns,
						fx->pg_version)) {
				pgs_fx_scan(e, PGS_CAUSE_NOT_NULL_SCAN, c->indexname);
				if (!ix || ix->unknown || !t || t->partial)
					e->assumed = true;
			}
		}
		break;
	}
	default:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		break;
	}
}

/* A CHECK constraint of the table that reads the column, or NULL. */
static const char *check_on_column(struct pgs_table *t, const char *column)
{
	for (size_t i = 0; t && i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (c->dropped || c->kind != PGS_CON_CHECK)
			continue;
		for (size_t k = 0; k < c->n_columns; k++)
			if (c->columns[k] && strcmp(c->columns[k], column) == 0)
				return c->name;
	}
	return NULL;
}

struct pgs_column_retype pgs_effects_alter_column_type(struct pgs_model *model, struct pgs_table *t,
						       const PgQuery__AlterTableCmd *cmd,
						       int pg_version)
{
	struct pgs_column_retype r = {0};
	struct pgs_column *col = t ? pgs_table_column(t, cmd->name) : NULL;

	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return r;
	struct pgs_type_change tc = pgs_type_change_judge(
	    model, col, cmd->def->column_def, model->settings.timezone.value, pg_version);
	r.rewrite = tc.rewrite;
	r.assumed = tc.assumed;
	r.old_type_known = col && col->type && *col->type;
	r.why = tc.why;
	if (tc.rewrite)
		return r;
	/* without a rewrite only the indexes that use the column are rebuilt */
	if (tc.reindex) {
		int indexed = pgs_model_column_indexed(model, t, cmd->name);
		r.reindex = indexed != 0;
		if (indexed < 0)
			r.assumed = true;
	}
	/* CHECK constraints on the column are dropped, re-added and re-validated */
	r.rechecked = check_on_column(t, cmd->name);
	return r;
}

/* The column of t, or of the table an ALTER recursing to t names (partitions inherit columns). */
static struct pgs_column *column_of(struct pgs_fx *fx, struct pgs_table *t, const char *name)
{
	struct pgs_column *c = t ? pgs_table_column(t, name) : NULL;

	if (!c && fx->alter_root && fx->alter_root != t)
		c = pgs_table_column(fx->alter_root, name);
	return c;
}

struct fk_type_change {
	struct pgs_fx *fx;
	const struct pgs_table *table;
	const char *column;
	const char *const *pk; /* the table's primary key columns */
	size_t n_pk;
	bool revalidate, assumed;
};

/* The other side of a foreign key whose columns change type. */
static void fk_other_side(struct fk_type_change *f, const char *other, const char *fk_name)
{
	struct pgs_effect *e = pgs_fx_lock_key(f->fx, other, PGS_LOCK_ACCESS_EXCLUSIVE);

	if (f->revalidate) {
		pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, fk_name);
		if (f->assumed)
			e->assumed = true;
	}
}

static void fk_referencing_column(void *data, struct pgs_table *t)
{
	struct fk_type_change *f = data;

	for (size_t i = 0; t != f->table && i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (c->dropped || c->kind != PGS_CON_FOREIGN_KEY || !c->referenced ||
		    strcmp(c->referenced, f->table->key) != 0)
			continue;
		if (c->referenced_columns ? pgs_names_contain(c->referenced_columns,
							      c->n_referenced_columns, f->column)
					  : pgs_names_contain(f->pk, f->n_pk, f->column))
			fk_other_side(f, t->key, c->name);
	}
}

/*
 * ALTER COLUMN TYPE drops and re-adds the foreign keys on the column, on
 * either side: dropping one takes ACCESS EXCLUSIVE on the other table (its
 * triggers go). When the table is rewritten the foreign key is validated
 * again, scanning the other table too; otherwise it is kept as it was.
 */
static void type_change_foreign_keys(struct pgs_fx *fx, struct pgs_table *t, const char *column,
				     bool rewrite, bool assumed)
{
	struct fk_type_change f = {fx, t, column, NULL, 0, rewrite, assumed};

	if (!t || !column)
		return;
	for (size_t i = 0; i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (c->dropped)
			continue;
		if (c->kind == PGS_CON_PRIMARY_KEY) {
			f.pk = c->columns;
			f.n_pk = c->n_columns;
		}
		if (c->kind == PGS_CON_FOREIGN_KEY && c->referenced &&
		    strcmp(c->referenced, t->key) != 0 &&
		    pgs_names_contain(c->columns, c->n_columns, column))
			fk_other_side(&f, c->referenced, c->name);
	}
	pgs_model_each_referencing(fx->model, t->key, fk_referencing_column, &f);
}

static void alter_type(struct pgs_fx *fx, size_t self, struct pgs_table *t,
		       const PgQuery__AlterTableCmd *cmd)
{
	struct pgs_effect *e = &fx->out->items[self];
	struct pgs_column *col = column_of(fx, t, cmd->name);

	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return;
	struct pgs_column_retype r =
	    pgs_effects_alter_column_type(fx->model, t, cmd, fx->pg_version);
	if (r.rewrite) {
		pgs_fx_rewrite(e, PGS_CAUSE_TYPE_CHANGE, r.why);
	} else if (r.reindex) {
		e->reindex = true;
		pgs_fx_scan(e, PGS_CAUSE_INDEX_BUILD, r.why);
	}
	if (r.rechecked)
		pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, r.rechecked);
	if (r.assumed || (!col && t && t->partial))
		e->assumed = true;
	/* foreign keys using the column are re-created, at both ends */
	struct pgs_type_change tc =
	    pgs_type_change_judge(fx->model, col, cmd->def->column_def,
				  fx->model->settings.timezone.value, fx->pg_version);
	type_change_foreign_keys(fx, t, cmd->name, tc.rewrite, tc.assumed);
}

static struct pgs_constraint *constraint_of(struct pgs_table *t, const char *name)
{
	return t ? pgs_table_constraint(t, name) : NULL;
}

static void partition_cmd(struct pgs_fx *fx, size_t self, struct pgs_table *parent,
			  const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__PartitionCmd *pc =
	    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD
		? cmd->def->partition_cmd
		: NULL;
	struct pgs_effect *e = &fx->out->items[self];

	if (!pc || !pc->name)
		return;
	struct pgs_table *part = pgs_model_table(fx->model, pc->name);
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition) {
		pgs_fx_lock(e, fx->pg_version >= 12 ? PGS_LOCK_SHARE_UPDATE_EXCLUSIVE
						    : PGS_LOCK_ACCESS_EXCLUSIVE);
		struct pgs_effect *pe = pgs_fx_touch_rv(fx, pc->name);
		pgs_fx_lock(pe, PGS_LOCK_ACCESS_EXCLUSIVE);
		/* the partition is scanned to prove its rows fit the bound, unless a
		 * validated CHECK implies it (which pgstage can't prove: assumed) */
		pgs_fx_scan(pe, PGS_CAUSE_CHECK_SCAN, pc->name->relname);
		/* the parent's foreign keys are added to it and validated */
		pgs_fx_lock_referenced(fx, parent, PGS_LOCK_SHARE_ROW_EXCLUSIVE, true);
		pe = pgs_fx_touch_rv(fx, pc->name);
		for (size_t i = 0; part && i < part->n_constraints; i++)
			if (part->constraints[i].kind == PGS_CON_CHECK &&
			    part->constraints[i].validated && !part->constraints[i].dropped)
				pe->assumed = true;
	} else {
		bool concurrent = pc->concurrent && fx->pg_version >= 14;
		pgs_fx_lock(e, concurrent ? PGS_LOCK_SHARE_UPDATE_EXCLUSIVE
					  : PGS_LOCK_ACCESS_EXCLUSIVE);
		struct pgs_effect *pe = pgs_fx_touch_rv(fx, pc->name);
		if (concurrent) {
			pgs_fx_lock(pe, PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
			fx->out->no_transaction = true;
		} else if (fx->pg_version < 14) {
			/* before 14 the partition itself takes SHARE UPDATE EXCLUSIVE;
			 * the parent's row triggers, cloned onto it, are dropped under
			 * ACCESS EXCLUSIVE (seen on 11-13) */
			bool triggers = !parent || parent->partial || parent->row_triggers;
			pgs_fx_lock(pe, triggers ? PGS_LOCK_ACCESS_EXCLUSIVE
						 : PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
			if (triggers && (!parent || !parent->row_triggers))
				pe->assumed = true;
		} else {
			pgs_fx_lock(pe, PGS_LOCK_ACCESS_EXCLUSIVE);
		}
	}
	/* the default partition is locked too, and scanned on ATTACH (its rows
	 * must not belong in the new partition) */
	if (parent) {
		struct pgs_table *def = pgs_model_default_partition(fx->model, parent->key);
		if (def && part != def) {
			struct pgs_effect *de =
			    pgs_fx_lock_key(fx, def->key, PGS_LOCK_ACCESS_EXCLUSIVE);
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition) {
				pgs_fx_scan(de, PGS_CAUSE_CHECK_SCAN, def->name);
				/* a validated CHECK excluding the new bound skips it (unprovable
				 * here, as for the partition) */
				for (size_t i = 0; i < def->n_constraints; i++)
					if (def->constraints[i].kind == PGS_CON_CHECK &&
					    def->constraints[i].validated &&
					    !def->constraints[i].dropped)
						de->assumed = true;
			}
		}
	}
}

static bool same_columns(const char *const *a, size_t n_a, const char *const *b, size_t n_b)
{
	if (n_a != n_b)
		return false;
	for (size_t i = 0; i < n_a; i++) {
		bool found = false;
		for (size_t k = 0; k < n_b && !found; k++)
			found = a[i] && b[k] && strcmp(a[i], b[k]) == 0;
		if (!found)
			return false;
	}
	return true;
}

struct key_referencing {
	struct pgs_fx *fx;
	const struct pgs_table *table;
	const struct pgs_constraint *key;
};

static void lock_if_key_referencing(void *data, struct pgs_table *t)
{
	struct key_referencing *r = data;

	for (size_t i = 0; i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (c->dropped || c->kind != PGS_CON_FOREIGN_KEY || !c->referenced ||
		    strcmp(c->referenced, r->table->key) != 0 || t == r->table)
			continue;
		bool uses = c->referenced_columns
				? same_columns(c->referenced_columns, c->n_referenced_columns,
					       r->key->columns, r->key->n_columns)
				: r->key->kind == PGS_CON_PRIMARY_KEY;
		if (uses)
			pgs_fx_lock_key(r->fx, t->key, PGS_LOCK_ACCESS_EXCLUSIVE);
	}
}

/* Tables with a foreign key on key (a primary key or unique constraint of t): ACCESS EXCLUSIVE. */
static void lock_key_referencing(struct pgs_fx *fx, const struct pgs_table *t,
				 const struct pgs_constraint *key)
{
	struct key_referencing r = {fx, t, key};

	pgs_model_each_referencing(fx->model, t->key, lock_if_key_referencing, &r);
}

static void alter_cmd(struct pgs_fx *fx, size_t self, struct pgs_table *t,
		      const PgQuery__AlterTableCmd *cmd)
{
	struct pgs_effect *e = &fx->out->items[self];
	struct pgs_constraint *con;

	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			add_column(fx, self, t, cmd);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		if (fx->pg_version >= 12 && t &&
		    pgs_model_has_valid_not_null_check(fx->model, t, cmd->name))
			break;
		if (column_of(fx, t, cmd->name) && column_of(fx, t, cmd->name)->not_null)
			break; /* already NOT NULL: nothing to check */
		pgs_fx_scan(e, PGS_CAUSE_NOT_NULL_SCAN, cmd->name);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		alter_type(fx, self, t, cmd);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
		pgs_fx_lock(e, PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ReplaceRelOptions:
		pgs_fx_lock(e, reloptions_lock(cmd->def));
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
		pgs_fx_lock(e, PGS_LOCK_SHARE_ROW_EXCLUSIVE);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			add_constraint(fx, self, t, cmd->def->constraint);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
		pgs_fx_lock(e, PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
		con = constraint_of(t, cmd->name);
		if (con && con->validated)
			break; /* already valid: nothing to do */
		pgs_fx_scan(e, PGS_CAUSE_CHECK_SCAN, cmd->name);
		if (con && con->kind == PGS_CON_FOREIGN_KEY && con->referenced) {
			struct pgs_effect *pk =
			    pgs_fx_lock_key(fx, con->referenced, PGS_LOCK_ROW_SHARE);
			pgs_fx_fk_validation_read(pk, cmd->name);
		} else if (!con) {
			fx->out->items[self].assumed = true;
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		con = constraint_of(t, cmd->name);
		/* dropping a foreign key removes its triggers on the referenced table */
		if (con && con->kind == PGS_CON_FOREIGN_KEY && con->referenced)
			pgs_fx_lock_key(fx, con->referenced, PGS_LOCK_ACCESS_EXCLUSIVE);
		/* dropping a key drops (CASCADE) the foreign keys that reference it */
		if (con && (con->kind == PGS_CON_PRIMARY_KEY || con->kind == PGS_CON_UNIQUE))
			lock_key_referencing(fx, t, con);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		for (size_t i = 0; t && i < t->n_constraints; i++) {
			const struct pgs_constraint *c = &t->constraints[i];
			if (c->dropped || c->kind != PGS_CON_FOREIGN_KEY || !c->referenced)
				continue;
			for (size_t k = 0; k < c->n_columns; k++)
				if (c->columns[k] && strcmp(c->columns[k], cmd->name) == 0)
					pgs_fx_lock_key(fx, c->referenced,
							PGS_LOCK_ACCESS_EXCLUSIVE);
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		/* a no-op when the table already has that persistence */
		if (t && !t->partial &&
		    t->unlogged == (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged))
			break;
		pgs_fx_rewrite(e, PGS_CAUSE_OTHER,
			       cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged
				   ? "SET UNLOGGED"
				   : "SET LOGGED");
		if (!t || t->partial)
			e->assumed = true;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		/* a partitioned table has no files: only where new partitions go */
		if (t && t->kind == 'p')
			break;
		pgs_fx_rewrite(e, PGS_CAUSE_OTHER, NULL);
		/* the files are copied block by block: no scan; indexes stay where they are */
		e->reindex = e->scan = false;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		if (cmd->name && strcmp(cmd->name, "heap") == 0 && t && !t->partial)
			break;
		pgs_fx_rewrite(e, PGS_CAUSE_OTHER, "SET ACCESS METHOD");
		/* heap on a table the history doesn't show may well be a no-op */
		if (cmd->name && strcmp(cmd->name, "heap") == 0)
			e->assumed = true;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
		partition_cmd(fx, self, t, cmd);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize:
		pgs_fx_lock(e, PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			pgs_fx_lock(pgs_fx_touch_rv(fx, cmd->def->range_var),
				    PGS_LOCK_SHARE_UPDATE_EXCLUSIVE);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropInherit:
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			pgs_fx_lock(pgs_fx_touch_rv(fx, cmd->def->range_var),
				    PGS_LOCK_ACCESS_SHARE);
		break;
	default:
		/* "An ACCESS EXCLUSIVE lock is acquired unless explicitly noted." */
		pgs_fx_lock(e, PGS_LOCK_ACCESS_EXCLUSIVE);
		break;
	}
}

/*
 * Whether PostgreSQL applies the subcommand to the partitions and
 * inheritance children too (ATPrepCmd's recursion), unless ONLY.
 */
static bool cmd_recurses(const struct pgs_table *t, const PgQuery__AlterTableCmd *cmd)
{
	bool partitioned = t && t->kind == 'p';

	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropExpression:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetCompression:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse:
		return true;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse: {
		const PgQuery__Constraint *c =
		    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
			? cmd->def->constraint
			: NULL;
		if (!c)
			return false;
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			return !c->is_no_inherit;
		/* keys and foreign keys of a partitioned table are made on every partition */
		return partitioned && !(c->indexname && *c->indexname);
	}
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
		return partitioned;
	default:
		return false;
	}
}

struct recursion {
	const PgQuery__AlterTableCmd *cmd;
};

static void alter_child(struct pgs_fx *fx, struct pgs_table *child, void *data)
{
	const struct recursion *r = data;
	const PgQuery__AlterTableCmd *cmd = r->cmd;
	struct pgs_effect *ce = pgs_fx_touch(fx, child->key);
	const PgQuery__Constraint *c =
	    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
		? cmd->def->constraint
		: NULL;

	/* a key of a partitioned table is an index built on each partition, as
	 * CREATE INDEX does it: SHARE and a scan */
	if (c && (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		  c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION)) {
		pgs_fx_lock(ce, partition_key_lock(fx));
		pgs_fx_scan(ce, PGS_CAUSE_INDEX_BUILD, c->conname);
		return;
	}
	alter_cmd(fx, (size_t)(ce - fx->out->items), child, cmd);
}

void pgs_fx_alter_table(struct pgs_fx *fx, const PgQuery__AlterTableStmt *as)
{
	if (!as->relation)
		return;
	struct pgs_effect *e = pgs_fx_touch_rv(fx, as->relation);
	size_t self = (size_t)(e - fx->out->items);
	struct pgs_table *t = pgs_model_table(fx->model, as->relation);
	/* every action an ADD COLUMN IF NOT EXISTS of a column that exists */
	bool skipped = as->n_cmds > 0;

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		skipped &= cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->missing_ok &&
			   cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && t &&
			   pgs_table_column(t, cmd->def->column_def->colname) &&
			   !has_stray_constraints(fx, cmd->def->column_def);
		alter_cmd(fx, self, t, cmd);
		if (t && as->relation->inh && as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
		    cmd_recurses(t, cmd)) {
			struct recursion r = {cmd};
			fx->alter_root = t;
			pgs_fx_each_descendant(fx, t->key, alter_child, &r);
			fx->alter_root = NULL;
		}
	}
	/* an ALTER INDEX ... SET (...) / RENAME takes SUE, not the table default */
	if (as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && as->n_cmds) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[0]->alter_table_cmd;
		/* SET TABLESPACE copies the index's files (its table is not locked,
		 * but every query planned on it waits for the index's lock) */
		if (cmd && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace) {
			struct pgs_effect *ie = &fx->out->items[self];
			ie->rewrite = ie->scan = false;
			struct pgs_index *ix =
			    pgs_model_index(fx->model, pgs_model_key(fx->model, as->relation));
			if (ix) {
				struct pgs_effect *te = pgs_fx_touch(fx, ix->table);
				te->reindex = true;
				te->cause = PGS_CAUSE_OTHER;
			}
		}
		if (cmd && (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions ||
			    cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions ||
			    cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics))
			fx->out->items[self].lock = PGS_LOCK_SHARE_UPDATE_EXCLUSIVE;
	}
	fx->out->skipped = skipped;
}
