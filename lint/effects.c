#include "lint/effects.h"

#include <string.h>

#include "lint/volatility.h"

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
	[PGS_LOCK_ROW_EXCLUSIVE] = L(SHARE) | L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) |
				   L(ACCESS_EXCLUSIVE),
	[PGS_LOCK_SHARE_UPDATE_EXCLUSIVE] = L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE) |
					    L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) |
					    L(ACCESS_EXCLUSIVE),
	[PGS_LOCK_SHARE] = L(ROW_EXCLUSIVE) | L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE_ROW_EXCLUSIVE) |
			   L(EXCLUSIVE) | L(ACCESS_EXCLUSIVE),
	[PGS_LOCK_SHARE_ROW_EXCLUSIVE] = L(ROW_EXCLUSIVE) | L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE) |
					 L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) |
					 L(ACCESS_EXCLUSIVE),
	[PGS_LOCK_EXCLUSIVE] = L(ROW_SHARE) | L(ROW_EXCLUSIVE) | L(SHARE_UPDATE_EXCLUSIVE) |
			       L(SHARE) | L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) |
			       L(ACCESS_EXCLUSIVE),
	[PGS_LOCK_ACCESS_EXCLUSIVE] = L(ACCESS_SHARE) | L(ROW_SHARE) | L(ROW_EXCLUSIVE) |
				      L(SHARE_UPDATE_EXCLUSIVE) | L(SHARE) |
				      L(SHARE_ROW_EXCLUSIVE) | L(EXCLUSIVE) |
				      L(ACCESS_EXCLUSIVE),
};
#undef L

bool pgs_lock_conflicts(enum pgs_lock a, enum pgs_lock b)
{
	return (conflicts[a] >> b) & 1u;
}

const struct pgs_lock_user pgs_lock_users[] = {
	{"reads", PGS_LOCK_ACCESS_SHARE},           /* SELECT */
	{"row-locks", PGS_LOCK_ROW_SHARE},          /* SELECT ... FOR UPDATE/SHARE */
	{"writes", PGS_LOCK_ROW_EXCLUSIVE},         /* INSERT, UPDATE, DELETE, MERGE */
	{"vacuum", PGS_LOCK_SHARE_UPDATE_EXCLUSIVE}, /* (auto)VACUUM, ANALYZE, CONCURRENTLY */
	{"index-builds", PGS_LOCK_SHARE},           /* CREATE INDEX */
	{"ddl", PGS_LOCK_ACCESS_EXCLUSIVE},         /* most ALTER TABLE, DROP, TRUNCATE */
};
const size_t pgs_n_lock_users = sizeof(pgs_lock_users) / sizeof(pgs_lock_users[0]);

static struct pgs_effect *touch(struct pgs_effects *out, struct pgs_arena *arena,
				struct pgs_model *model, const char *relation)
{
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->items[i].relation, relation) == 0)
			return &out->items[i];
	struct pgs_effect *e = pgs_arena_push(arena, (void **)&out->items, &out->n, &out->cap,
					      sizeof(*e));
	struct pgs_table *t = pgs_strmap_get(&model->tables, relation);
	e->relation = pgs_arena_strdup(arena, relation);
	e->is_new = t && t->created_in != 0;
	return e;
}

static struct pgs_effect *touch_rv(struct pgs_effects *out, struct pgs_arena *arena,
				   struct pgs_model *model, const PgQuery__RangeVar *rv)
{
	return touch(out, arena, model, pgs_model_key(model, rv));
}

static void lock_at_least(struct pgs_effect *e, enum pgs_lock lock)
{
	if (lock > e->lock)
		e->lock = lock;
}

static void mark(struct pgs_effect *e, bool rewrite, bool scan, enum pgs_effect_cause cause,
		 const char *culprit)
{
	if (rewrite) {
		e->rewrite = e->reindex = true;
		e->scan = true;
	}
	if (scan)
		e->scan = true;
	if ((rewrite || scan) && e->cause == PGS_CAUSE_NONE) {
		e->cause = cause;
		e->culprit = culprit;
	}
}

/* ADD COLUMN: rewrites when the new column's value must be computed per row. */
static void add_column(struct pgs_effects *out, struct pgs_arena *arena, struct pgs_model *model,
		       struct pgs_effect *e, const PgQuery__ColumnDef *def, int pg_version)
{
	const char *type = pgs_type_name_last(def->type_name);
	const PgQuery__Node *dflt = def->raw_default;

	if (strcmp(type, "serial") == 0 || strcmp(type, "bigserial") == 0 ||
	    strcmp(type, "smallserial") == 0 || strcmp(type, "serial4") == 0 ||
	    strcmp(type, "serial8") == 0 || strcmp(type, "serial2") == 0)
		mark(e, true, true, PGS_CAUSE_SERIAL, type);
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Node *n = def->constraints[i];
		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		const PgQuery__Constraint *c = n->constraint;
		switch (c->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			dflt = c->raw_expr;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			mark(e, true, true, PGS_CAUSE_IDENTITY, NULL);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			mark(e, true, true, PGS_CAUSE_GENERATED, NULL);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
			mark(e, false, true, PGS_CAUSE_CHECK_SCAN, NULL);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
			mark(e, false, true, PGS_CAUSE_INDEX_BUILD, NULL);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			if (c->pktable)
				lock_at_least(touch_rv(out, arena, model, c->pktable),
					      PGS_LOCK_SHARE_ROW_EXCLUSIVE);
			break;
		default:
			break;
		}
	}
	bool null_default = !dflt || (dflt->node_case == PG_QUERY__NODE__NODE_A_CONST &&
				      dflt->a_const->isnull);
	if (null_default)
		return;
	if (pg_version < 11) {
		mark(e, true, true, PGS_CAUSE_DEFAULT_BEFORE_11, NULL);
		return;
	}
	struct pgs_volatility v = pgs_expr_volatility(dflt);
	if (v.level == 'v') {
		mark(e, true, true, PGS_CAUSE_VOLATILE_DEFAULT, v.culprit);
		if (v.assumed)
			e->assumed = true;
	}
}

static enum pgs_lock alter_cmd_lock(const PgQuery__AlterTableCmd *cmd)
{
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
		return PGS_LOCK_SHARE_UPDATE_EXCLUSIVE;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
		return PGS_LOCK_SHARE_ROW_EXCLUSIVE;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			return PGS_LOCK_SHARE_ROW_EXCLUSIVE;
		return PGS_LOCK_ACCESS_EXCLUSIVE;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
		/* fillfactor, autovacuum_*, toast.* and parallel_workers take SUE;
		 * other storage parameters take AEL. */
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_LIST) {
			for (size_t i = 0; i < cmd->def->list->n_items; i++) {
				const PgQuery__Node *o = cmd->def->list->items[i];
				if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
					return PGS_LOCK_ACCESS_EXCLUSIVE;
				const PgQuery__DefElem *d = o->def_elem;
				const char *ns = d->defnamespace ? d->defnamespace : "";
				if (strcmp(ns, "toast") != 0 && strcmp(d->defname, "fillfactor") != 0 &&
				    strncmp(d->defname, "autovacuum_", 11) != 0 &&
				    strcmp(d->defname, "toast_tuple_target") != 0 &&
				    strcmp(d->defname, "parallel_workers") != 0)
					return PGS_LOCK_ACCESS_EXCLUSIVE;
			}
			return PGS_LOCK_SHARE_UPDATE_EXCLUSIVE;
		}
		return PGS_LOCK_ACCESS_EXCLUSIVE;
	default:
		return PGS_LOCK_ACCESS_EXCLUSIVE;
	}
}

static void alter_table(struct pgs_effects *out, struct pgs_arena *arena, struct pgs_model *model,
			const PgQuery__AlterTableStmt *as, int pg_version)
{
	if (!as->relation)
		return;
	struct pgs_effect *e = touch_rv(out, arena, model, as->relation);
	struct pgs_table *t = pgs_model_table(model, as->relation);
	size_t self = (size_t)(e - out->items);

	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;

		e = &out->items[self]; /* touch() may have moved the array */
		lock_at_least(e, alter_cmd_lock(cmd));
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				add_column(out, arena, model, e, cmd->def->column_def, pg_version);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			if (pg_version >= 12 && t && pgs_table_has_valid_not_null_check(t, cmd->name))
				break;
			mark(e, false, true, PGS_CAUSE_NOT_NULL_SCAN, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse: {
			if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
				break;
			const PgQuery__Constraint *c = cmd->def->constraint;
			if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && c->pktable) {
				lock_at_least(touch_rv(out, arena, model, c->pktable),
					      PGS_LOCK_SHARE_ROW_EXCLUSIVE);
				e = &out->items[self];
			}
			if (c->skip_validation)
				break;
			if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK ||
			    c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
				mark(e, false, true, PGS_CAUSE_CHECK_SCAN, c->conname);
			else if ((c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
				  c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
				  c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION) &&
				 !(c->indexname && *c->indexname))
				mark(e, false, true, PGS_CAUSE_INDEX_BUILD, c->conname);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
			mark(e, false, true, PGS_CAUSE_CHECK_SCAN, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
			mark(e, true, true, PGS_CAUSE_OTHER, NULL);
			break;
		default:
			break;
		}
	}
}

static void index_stmt(struct pgs_effects *out, struct pgs_arena *arena, struct pgs_model *model,
		       const PgQuery__IndexStmt *is)
{
	if (!is->relation)
		return;
	struct pgs_effect *e = touch_rv(out, arena, model, is->relation);

	lock_at_least(e, is->concurrent ? PGS_LOCK_SHARE_UPDATE_EXCLUSIVE : PGS_LOCK_SHARE);
	mark(e, false, true, PGS_CAUSE_INDEX_BUILD, is->idxname);
	out->no_transaction = is->concurrent;
}

void pgs_effects_compute(struct pgs_effects *out, struct pgs_arena *arena, struct pgs_model *model,
			 const PgQuery__Node *stmt, int pg_version)
{
	memset(out, 0, sizeof(*out));
	if (!stmt)
		return;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		if (stmt->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			alter_table(out, arena, model, stmt->alter_table_stmt, pg_version);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		index_stmt(out, arena, model, stmt->index_stmt);
		break;
	default:
		break;
	}
}

const struct pgs_effect *pgs_effects_find(const struct pgs_effects *fx, const char *relation)
{
	for (size_t i = 0; i < fx->n; i++)
		if (strcmp(fx->items[i].relation, relation) == 0)
			return &fx->items[i];
	return NULL;
}
