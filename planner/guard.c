#include "planner/guard.h"

#include <string.h>

#include "core/quote.h"
#include "planner/backfill.h"

/* ---- predicates ---- */

static const char *lit(struct pgs_arena *a, const char *s)
{
	return pgs_quote_literal(a, s);
}

const char *pgs_guard_relation_exists(struct pgs_arena *a, const char *rel)
{
	return pgs_arena_printf(a, "to_regclass(%s) IS NOT NULL", lit(a, rel));
}

static const char *attribute(struct pgs_arena *a, const char *rel, const char *column,
			     const char *extra)
{
	return pgs_arena_printf(a,
				"EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = "
				"to_regclass(%s) AND attname = %s AND NOT attisdropped%s)",
				lit(a, rel), lit(a, column), extra);
}

const char *pgs_guard_column_exists(struct pgs_arena *a, const char *rel, const char *column)
{
	return attribute(a, rel, column, "");
}

const char *pgs_guard_column_not_null(struct pgs_arena *a, const char *rel, const char *column)
{
	return attribute(a, rel, column, " AND attnotnull");
}

const char *pgs_guard_column_identity(struct pgs_arena *a, const char *rel, const char *column)
{
	return attribute(a, rel, column, " AND attidentity <> ''");
}

const char *pgs_guard_column_type(struct pgs_arena *a, const char *rel, const char *column,
				  const char *type, int typmod)
{
	const char *extra = pgs_arena_printf(a, " AND atttypid = to_regtype(%s)", lit(a, type));

	if (typmod >= -1)
		extra = pgs_arena_printf(a, "%s AND atttypmod = %d", extra, typmod);
	return attribute(a, rel, column, extra);
}

static const char *constraint(struct pgs_arena *a, const char *rel, const char *name,
			      const char *extra)
{
	return pgs_arena_printf(a,
				"EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = "
				"to_regclass(%s) AND conname = %s%s)",
				lit(a, rel), lit(a, name), extra);
}

const char *pgs_guard_constraint_exists(struct pgs_arena *a, const char *rel, const char *name)
{
	return constraint(a, rel, name, "");
}

const char *pgs_guard_constraint_valid(struct pgs_arena *a, const char *rel, const char *name)
{
	return constraint(a, rel, name, " AND convalidated");
}

const char *pgs_guard_index_valid(struct pgs_arena *a, const char *index)
{
	return pgs_arena_printf(a,
				"EXISTS (SELECT FROM pg_catalog.pg_index WHERE indexrelid = "
				"to_regclass(%s) AND indisvalid)",
				lit(a, index));
}

const char *pgs_guard_partition_of(struct pgs_arena *a, const char *part, const char *parent)
{
	return pgs_arena_printf(a,
				"EXISTS (SELECT FROM pg_catalog.pg_inherits WHERE inhrelid = "
				"to_regclass(%s) AND inhparent = to_regclass(%s))",
				lit(a, part), lit(a, parent));
}

const char *pgs_guard_trigger_exists(struct pgs_arena *a, const char *rel, const char *name)
{
	return pgs_arena_printf(a,
				"EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid = "
				"to_regclass(%s) AND tgname = %s)",
				lit(a, rel), lit(a, name));
}

const char *pgs_guard_not(struct pgs_arena *a, const char *p)
{
	if (strstr(p, " AND ") || strstr(p, " OR "))
		return pgs_arena_printf(a, "NOT (%s)", p);
	return pgs_arena_printf(a, "NOT %s", p);
}

const char *pgs_guard_and(struct pgs_arena *a, const char *p, const char *q)
{
	if (!p || !q)
		return p ? p : q;
	return pgs_arena_printf(a, "%s AND %s", p, q);
}

const char *pgs_guard_or(struct pgs_arena *a, const char *p, const char *q)
{
	if (!p || !q)
		return p ? p : q;
	return pgs_arena_printf(a, "(%s OR %s)", p, q);
}

/* ---- cleanup and verification of CONCURRENTLY builds ---- */

const char *pgs_guard_drop_invalid_index(struct pgs_arena *a, const char *index)
{
	return pgs_arena_printf(a,
				"SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %%s', "
				"indexrelid::regclass) FROM pg_catalog.pg_index WHERE indexrelid = "
				"to_regclass(%s) AND NOT indisvalid",
				lit(a, index));
}

const char *pgs_guard_drop_reindex_leftovers(struct pgs_arena *a, const char *table,
					     const char *index)
{
	/* REINDEX CONCURRENTLY names its new index <name>_ccnew[N] and, after the
	 * swap, the old one <name>_ccold[N]; a failed run leaves them INVALID */
	const char *owner = index ? pgs_arena_printf(a,
						     "(SELECT indrelid FROM pg_catalog.pg_index "
						     "WHERE indexrelid = to_regclass(%s))",
						     lit(a, index))
				  : pgs_arena_printf(a, "to_regclass(%s)", lit(a, table));
	return pgs_arena_printf(
	    a,
	    "SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %%s', "
	    "i.indexrelid::regclass) FROM pg_catalog.pg_index i JOIN "
	    "pg_catalog.pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s "
	    "AND NOT i.indisvalid AND c.relname ~ '_cc(new|old)[0-9]*$'",
	    owner);
}

const char *pgs_guard_verify_index(struct pgs_arena *a, const char *index)
{
	const char *name = lit(a, index);
	const char *body = pgs_arena_printf(
	    a,
	    "BEGIN\n"
	    "  IF NOT %s THEN\n"
	    "    RAISE EXCEPTION 'pgstage: index %% is missing or INVALID after its build', %s\n"
	    "      USING HINT = 'run the plan again: it drops an INVALID index and builds it "
	    "again';\n"
	    "  END IF;\n"
	    "END\n",
	    pgs_guard_index_valid(a, index), name);
	return pgs_arena_printf(a, "DO %s", pgs_dollar_quote(a, body));
}

/* ---- statements kept as written ---- */

const char *pgs_guard_rel(struct pgs_arena *a, const PgQuery__RangeVar *rv)
{
	const char *name = pgs_quote_ident(a, rv->relname);

	if (rv->schemaname && *rv->schemaname)
		return pgs_arena_printf(a, "%s.%s", pgs_quote_ident(a, rv->schemaname), name);
	return name;
}

/* A dotted name from String nodes, each part quoted; NULL when a part is not a string. */
static const char *names_sql(struct pgs_arena *a, PgQuery__Node **items, size_t n)
{
	const char *out = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *part = pgs_node_string(items[i]);
		if (!part)
			return NULL;
		part = pgs_quote_ident(a, part);
		out = out ? pgs_arena_printf(a, "%s.%s", out, part) : part;
	}
	return out;
}

/* The relation named by a DROP's object list, or NULL. */
static const char *list_sql(struct pgs_arena *a, const PgQuery__Node *obj)
{
	if (obj->node_case != PG_QUERY__NODE__NODE_LIST)
		return NULL;
	return names_sql(a, obj->list->items, obj->list->n_items);
}

const char *pgs_guard_sibling(struct pgs_arena *a, const PgQuery__RangeVar *rv, const char *name)
{
	if (rv->schemaname && *rv->schemaname)
		return pgs_arena_printf(a, "%s.%s", pgs_quote_ident(a, rv->schemaname),
					pgs_quote_ident(a, name));
	return pgs_quote_ident(a, name);
}

static const char *type_exists(struct pgs_arena *a, const char *type)
{
	return type ? pgs_arena_printf(a, "to_regtype(%s) IS NOT NULL", lit(a, type)) : NULL;
}

static struct pgs_guard safe(void)
{
	return (struct pgs_guard){NULL, true};
}

static struct pgs_guard marked(const char *marker)
{
	return (struct pgs_guard){marker, false};
}

/* Whether the model knows the table was created by the migration history. */
static bool table_is_new(struct pgs_model *model, const char *key)
{
	struct pgs_table *t = key ? pgs_strmap_get(&model->tables, key) : NULL;

	return t && t->created_in > 0;
}

static struct pgs_guard alter_cmd(struct pgs_arena *a, struct pgs_model *model,
				  const PgQuery__AlterTableStmt *as,
				  const PgQuery__AlterTableCmd *c)
{
	const char *rel = pgs_guard_rel(a, as->relation);
	struct pgs_table *t = pgs_model_table(model, as->relation);

	switch (c->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		if (c->missing_ok)
			return safe();
		if (!c->def || c->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			break;
		return marked(pgs_guard_column_exists(a, rel, c->def->column_def->colname));
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		if (c->def && c->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    c->def->constraint->conname && *c->def->constraint->conname)
			return marked(
			    pgs_guard_constraint_exists(a, rel, c->def->constraint->conname));
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn: {
		if (c->missing_ok)
			return safe();
		struct pgs_column *col = t ? pgs_table_column(t, c->name) : NULL;
		if (col && col->created_in > 0)
			break; /* gone before this history too: no trace tells */
		return marked(pgs_guard_not(a, pgs_guard_column_exists(a, rel, c->name)));
	}
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint: {
		if (c->missing_ok)
			return safe();
		struct pgs_constraint *k = t ? pgs_table_constraint(t, c->name) : NULL;
		if (k && k->created_in > 0)
			break;
		return marked(pgs_guard_not(a, pgs_guard_constraint_exists(a, rel, c->name)));
	}
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		/* the same type again changes nothing, but a USING expression runs again */
		if (c->def && c->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
		    c->def->column_def->raw_default)
			break;
		return safe();
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetCompression:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ReplicaIdentity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRowSecurity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRowSecurity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ForceRowSecurity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_NoForceRowSecurity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ReplaceRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ChangeOwner:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterConstraint:
		return safe();
	default:
		break;
	}
	return (struct pgs_guard){NULL, false};
}

static struct pgs_guard alter_table(struct pgs_arena *a, struct pgs_model *model,
				    const PgQuery__AlterTableStmt *as)
{
	struct pgs_guard g = safe();

	if (as->missing_ok || as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return (struct pgs_guard){NULL, false};
	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			return (struct pgs_guard){g.marker, false};
		struct pgs_guard one = alter_cmd(a, model, as, as->cmds[i]->alter_table_cmd);
		g.rerun_safe &= one.rerun_safe;
		if (!g.marker)
			g.marker = one.marker;
	}
	return g;
}

static struct pgs_guard rename(struct pgs_arena *a, const PgQuery__RenameStmt *rs)
{
	if (rs->missing_ok || !rs->relation)
		return (struct pgs_guard){NULL, false};
	const char *rel = pgs_guard_rel(a, rs->relation);

	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return marked(pgs_guard_and(
		    a, pgs_guard_not(a, pgs_guard_relation_exists(a, rel)),
		    pgs_guard_relation_exists(a, pgs_guard_sibling(a, rs->relation, rs->newname))));
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		return marked(
		    pgs_guard_and(a, pgs_guard_not(a, pgs_guard_column_exists(a, rel, rs->subname)),
				  pgs_guard_column_exists(a, rel, rs->newname)));
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
		return marked(pgs_guard_and(
		    a, pgs_guard_not(a, pgs_guard_constraint_exists(a, rel, rs->subname)),
		    pgs_guard_constraint_exists(a, rel, rs->newname)));
	default:
		return (struct pgs_guard){NULL, false};
	}
}

/* DROP of objects that existed before the history: gone once it ran. */
static struct pgs_guard drop(struct pgs_arena *a, struct pgs_model *model,
			     const PgQuery__DropStmt *ds)
{
	const char *marker = NULL;
	bool relation;

	if (ds->missing_ok)
		return safe();
	switch (ds->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
		relation = true;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		relation = false;
		break;
	default:
		return (struct pgs_guard){NULL, false};
	}
	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *name = NULL;
		if (relation) {
			const char *key = pgs_model_key_of_dropped(model, obj);
			struct pgs_index *ix = key ? pgs_model_index(model, key) : NULL;
			if (!key || table_is_new(model, key) || (ix && ix->created_in > 0))
				return (struct pgs_guard){NULL, false};
			name = list_sql(a, obj);
		} else if (obj->node_case == PG_QUERY__NODE__NODE_TYPE_NAME) {
			const PgQuery__TypeName *tn = obj->type_name;
			name = names_sql(a, tn->names, tn->n_names);
		}
		if (!name)
			return (struct pgs_guard){NULL, false};
		const char *exists =
		    relation ? pgs_guard_relation_exists(a, name) : type_exists(a, name);
		marker = pgs_guard_and(a, marker, pgs_guard_not(a, exists));
	}
	return marked(marker);
}

static struct pgs_guard create_function(struct pgs_arena *a, const PgQuery__CreateFunctionStmt *f)
{
	if (f->replace)
		return safe();
	size_t n = f->n_funcname;
	const char *name = n ? pgs_node_string(f->funcname[n - 1]) : NULL;
	const char *schema = n > 1 ? pgs_node_string(f->funcname[n - 2]) : NULL;
	size_t args = 0;
	if (!name)
		return (struct pgs_guard){NULL, false};
	for (size_t i = 0; i < f->n_parameters; i++) {
		const PgQuery__Node *p = f->parameters[i];
		if (p->node_case != PG_QUERY__NODE__NODE_FUNCTION_PARAMETER)
			return (struct pgs_guard){NULL, false};
		PgQuery__FunctionParameterMode m = p->function_parameter->mode;
		args += m != PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_OUT &&
			m != PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_TABLE;
	}
	/* by name and number of arguments: the argument types would need the
	 * server's type resolution */
	return marked(pgs_arena_printf(
	    a,
	    "EXISTS (SELECT FROM pg_catalog.pg_proc WHERE proname = %s AND pronargs = %zu AND "
	    "pronamespace = %s)",
	    lit(a, name), args,
	    schema ? pgs_arena_printf(a, "to_regnamespace(%s)", lit(a, pgs_quote_ident(a, schema)))
		   : "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())"));
}

static struct pgs_guard alter_enum(struct pgs_arena *a, const PgQuery__AlterEnumStmt *e)
{
	const char *type = names_sql(a, e->type_name, e->n_type_name);

	if (!type || !e->new_val)
		return (struct pgs_guard){NULL, false};
	if (e->skip_if_new_val_exists)
		return safe();
	const char *label = pgs_arena_printf(a,
					     "EXISTS (SELECT FROM pg_catalog.pg_enum WHERE "
					     "enumtypid = to_regtype(%s) AND enumlabel = %s)",
					     lit(a, type), lit(a, e->new_val));
	return marked(label);
}

struct pgs_guard pgs_guard_statement(struct pgs_arena *a, struct pgs_model *model,
				     const PgQuery__Node *stmt)
{
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		if (stmt->create_stmt->if_not_exists)
			return safe();
		return marked(
		    pgs_guard_relation_exists(a, pgs_guard_rel(a, stmt->create_stmt->relation)));
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *c = stmt->create_table_as_stmt;
		if (c->if_not_exists)
			return safe();
		if (!c->into || !c->into->rel)
			break;
		return marked(pgs_guard_relation_exists(a, pgs_guard_rel(a, c->into->rel)));
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *ix = stmt->index_stmt;
		if (ix->if_not_exists)
			return safe();
		if (!ix->idxname || !*ix->idxname)
			break; /* PostgreSQL picks a new name each time */
		return marked(
		    pgs_guard_relation_exists(a, pgs_guard_sibling(a, ix->relation, ix->idxname)));
	}
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		if (stmt->view_stmt->replace)
			return safe();
		return marked(
		    pgs_guard_relation_exists(a, pgs_guard_rel(a, stmt->view_stmt->view)));
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		if (stmt->create_seq_stmt->if_not_exists)
			return safe();
		return marked(pgs_guard_relation_exists(
		    a, pgs_guard_rel(a, stmt->create_seq_stmt->sequence)));
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		return marked(type_exists(a, pgs_guard_rel(a, stmt->composite_type_stmt->typevar)));
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		return marked(type_exists(a, names_sql(a, stmt->create_enum_stmt->type_name,
						       stmt->create_enum_stmt->n_type_name)));
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		return marked(type_exists(a, names_sql(a, stmt->create_domain_stmt->domainname,
						       stmt->create_domain_stmt->n_domainname)));
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
		return create_function(a, stmt->create_function_stmt);
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
		const PgQuery__CreateTrigStmt *tr = stmt->create_trig_stmt;
		if (tr->replace)
			return safe();
		return marked(
		    pgs_guard_trigger_exists(a, pgs_guard_rel(a, tr->relation), tr->trigname));
	}
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		if (stmt->create_schema_stmt->if_not_exists)
			return safe();
		if (!stmt->create_schema_stmt->schemaname)
			break;
		return marked(pgs_arena_printf(
		    a, "to_regnamespace(%s) IS NOT NULL",
		    lit(a, pgs_quote_ident(a, stmt->create_schema_stmt->schemaname))));
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		if (stmt->create_extension_stmt->if_not_exists)
			return safe();
		return marked(pgs_arena_printf(
		    a, "EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = %s)",
		    lit(a, stmt->create_extension_stmt->extname)));
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return alter_table(a, model, stmt->alter_table_stmt);
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return rename(a, stmt->rename_stmt);
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return drop(a, model, stmt->drop_stmt);
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		return alter_enum(a, stmt->alter_enum_stmt);
	case PG_QUERY__NODE__NODE_INSERT_STMT: {
		const PgQuery__OnConflictClause *oc = stmt->insert_stmt->on_conflict_clause;
		if (oc && oc->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING)
			return safe();
		break;
	}
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		if (!pgs_backfill_update_reads_assigned(stmt->update_stmt))
			return safe();
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_SELECT_STMT:
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
	case PG_QUERY__NODE__NODE_GRANT_STMT:
	case PG_QUERY__NODE__NODE_GRANT_ROLE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT:
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
	case PG_QUERY__NODE__NODE_LOCK_STMT:
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return safe();
	default:
		break;
	}
	return (struct pgs_guard){NULL, false};
}

/* ---- typmods ---- */

int pgs_guard_typmod(const PgQuery__TypeName *tn)
{
	const char *type = pgs_type_name_last(tn);
	int32_t mods[2];
	size_t n = 0;

	if (tn->n_typmods == 0)
		return -1;
	for (size_t i = 0; i < tn->n_typmods && n < 2; i++) {
		const PgQuery__Node *m = tn->typmods[i];
		if (m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
		    m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
			return -2;
		mods[n++] = m->a_const->ival->ival;
	}
	if (n != tn->n_typmods)
		return -2;
	/* as the types' typmodin functions compute them (VARHDRSZ is 4) */
	if ((strcmp(type, "varchar") == 0 || strcmp(type, "bpchar") == 0) && n == 1)
		return mods[0] + 4;
	if (strcmp(type, "numeric") == 0)
		return (int)(((uint32_t)mods[0] << 16) |
			     ((uint32_t)(n > 1 ? mods[1] : 0) & 0x7ff)) +
		       4;
	if ((strcmp(type, "bit") == 0 || strcmp(type, "varbit") == 0) && n == 1)
		return mods[0];
	if ((strcmp(type, "time") == 0 || strcmp(type, "timetz") == 0 ||
	     strcmp(type, "timestamp") == 0 || strcmp(type, "timestamptz") == 0) &&
	    n == 1)
		return mods[0];
	return -2;
}
