#include "lint/model.h"

#include <stdio.h>
#include <string.h>

void pgs_model_init(struct pgs_model *model)
{
	memset(model, 0, sizeof(*model));
	pgs_arena_init(&model->arena);
	pgs_strmap_init(&model->tables);
	pgs_strmap_init(&model->indexes);
}

void pgs_model_release(struct pgs_model *model)
{
	pgs_strmap_release(&model->tables);
	pgs_strmap_release(&model->indexes);
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

struct pgs_column *pgs_table_column(struct pgs_table *table, const char *name)
{
	for (size_t i = 0; i < table->n_columns; i++)
		if (strcmp(table->columns[i].name, name) == 0)
			return &table->columns[i];
	return NULL;
}

struct pgs_constraint *pgs_table_constraint(struct pgs_table *table, const char *name)
{
	for (size_t i = 0; i < table->n_constraints; i++)
		if (!table->constraints[i].dropped && strcmp(table->constraints[i].name, name) == 0)
			return &table->constraints[i];
	return NULL;
}

bool pgs_table_has_valid_not_null_check(struct pgs_table *table, const char *column)
{
	for (size_t i = 0; i < table->n_constraints; i++) {
		struct pgs_constraint *c = &table->constraints[i];

		if (!c->dropped && c->kind == PGS_CON_CHECK && c->validated && c->not_null_column &&
		    strcmp(c->not_null_column, column) == 0)
			return true;
	}
	return false;
}

static struct pgs_table *add_table(struct pgs_model *model, const PgQuery__RangeVar *rv)
{
	struct pgs_table *t = pgs_arena_alloc(&model->arena, sizeof(*t));

	t->key = pgs_model_key(model, rv);
	t->schema = pgs_arena_strdup(&model->arena, schema_of(rv->schemaname));
	t->name = pgs_arena_strdup(&model->arena, rv->relname);
	t->created_in = model->file_number;
	pgs_strmap_put(&model->tables, t->key, t);
	return t;
}

static void set_type(struct pgs_model *model, struct pgs_column *c, const PgQuery__TypeName *tn)
{
	c->type = pgs_arena_strdup(&model->arena, pgs_type_name_last(tn));
	c->n_mods = 0;
	c->is_array = tn && tn->n_array_bounds > 0;
	for (size_t i = 0; tn && i < tn->n_typmods && c->n_mods < 2; i++) {
		const PgQuery__Node *m = tn->typmods[i];

		if (m->node_case == PG_QUERY__NODE__NODE_A_CONST && m->a_const->val_case ==
								    PG_QUERY__A__CONST__VAL_IVAL)
			c->mods[c->n_mods++] = m->a_const->ival->ival;
	}
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
		if (column) {
			struct pgs_column *c = pgs_table_column(t, column);
			if (c)
				c->not_null = true;
		}
		return;
	default:
		return;
	}
	struct pgs_constraint *c = pgs_arena_push(&model->arena, (void **)&t->constraints,
						  &t->n_constraints, &t->cap_constraints,
						  sizeof(*c));
	c->kind = kind;
	c->created_in = model->file_number;
	c->validated = !con->skip_validation;
	if (con->conname && *con->conname)
		c->name = pgs_arena_strdup(&model->arena, con->conname);
	else
		c->name = pgs_arena_printf(&model->arena, "%s_%s_%s", t->name, column ? column : "",
					   kind == PGS_CON_CHECK ? "check" : "key");
	if (kind == PGS_CON_CHECK) {
		const char *col = not_null_check_column(con->raw_expr);
		if (col)
			c->not_null_column = pgs_arena_strdup(&model->arena, col);
	}
	if (kind == PGS_CON_FOREIGN_KEY && con->pktable)
		c->referenced = pgs_model_key(model, con->pktable);
	if (kind == PGS_CON_PRIMARY_KEY) {
		for (size_t i = 0; i < con->n_keys; i++) {
			struct pgs_column *pk = pgs_table_column(t, pgs_node_string(con->keys[i]));
			if (pk)
				pk->not_null = true;
		}
		if (column) {
			struct pgs_column *pk = pgs_table_column(t, column);
			if (pk)
				pk->not_null = true;
		}
	}
}

static void add_column(struct pgs_model *model, struct pgs_table *t, const PgQuery__ColumnDef *def)
{
	struct pgs_column *c = pgs_arena_push(&model->arena, (void **)&t->columns, &t->n_columns,
					      &t->cap_columns, sizeof(*c));

	c->name = pgs_arena_strdup(&model->arena, def->colname);
	set_type(model, c, def->type_name);
	c->not_null = def->is_not_null;
	c->has_default = def->raw_default != NULL;
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Node *n = def->constraints[i];

		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		if (n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT)
			c->has_default = true;
		add_constraint(model, t, n->constraint, c->name);
	}
}

static void apply_create(struct pgs_model *model, const PgQuery__CreateStmt *cs)
{
	struct pgs_table *t = add_table(model, cs->relation);

	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *n = cs->table_elts[i];

		if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			add_column(model, t, n->column_def);
		else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			add_constraint(model, t, n->constraint, NULL);
	}
}

static void apply_alter_cmd(struct pgs_model *model, struct pgs_table *t,
			    const PgQuery__AlterTableCmd *cmd)
{
	struct pgs_column *col = cmd->name && *cmd->name ? pgs_table_column(t, cmd->name) : NULL;
	struct pgs_constraint *con;

	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			add_column(model, t, cmd->def->column_def);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		if (col) {
			size_t i = (size_t)(col - t->columns);
			memmove(col, col + 1, (t->n_columns - i - 1) * sizeof(*col));
			t->n_columns--;
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
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
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		if (col && cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			set_type(model, col, cmd->def->column_def->type_name);
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
		if ((con = pgs_table_constraint(t, cmd->name)))
			con->dropped = true;
		break;
	default:
		break;
	}
}

static void apply_rename(struct pgs_model *model, const PgQuery__RenameStmt *rs)
{
	if (!rs->relation)
		return;
	struct pgs_table *t = pgs_model_table(model, rs->relation);
	if (!t)
		return;
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
		struct pgs_column *c = pgs_table_column(t, rs->subname);
		if (c)
			c->name = pgs_arena_strdup(&model->arena, rs->newname);
	} else if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		pgs_strmap_remove(&model->tables, t->key);
		t->name = pgs_arena_strdup(&model->arena, rs->newname);
		t->key = pgs_arena_printf(&model->arena, "%s.%s", t->schema, t->name);
		pgs_strmap_put(&model->tables, t->key, t);
	}
}

static void apply_drop(struct pgs_model *model, const PgQuery__DropStmt *ds)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *names[3] = {0};
		size_t n = 0;

		if (obj->node_case != PG_QUERY__NODE__NODE_LIST)
			continue;
		for (size_t k = 0; k < obj->list->n_items && n < 3; k++)
			names[n++] = pgs_node_string(obj->list->items[k]);
		if (n == 0 || !names[n - 1])
			continue;
		const char *key = pgs_arena_printf(&model->arena, "%s.%s",
						   n >= 2 && names[n - 2] ? names[n - 2] : "public",
						   names[n - 1]);
		if (ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			pgs_strmap_remove(&model->tables, key);
		else if (ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
			pgs_strmap_remove(&model->indexes, key);
	}
}

static void apply_index(struct pgs_model *model, const PgQuery__IndexStmt *is)
{
	if (!is->idxname || !*is->idxname)
		return;
	struct pgs_index *ix = pgs_arena_alloc(&model->arena, sizeof(*ix));
	ix->key = pgs_arena_printf(&model->arena, "%s.%s", schema_of(is->relation->schemaname),
				   is->idxname);
	ix->table = pgs_model_key(model, is->relation);
	ix->unique = is->unique;
	ix->created_in = model->file_number;
	pgs_strmap_put(&model->indexes, ix->key, ix);
}

void pgs_model_apply(struct pgs_model *model, const PgQuery__Node *stmt)
{
	if (!stmt)
		return;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		apply_create(model, stmt->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (stmt->create_table_as_stmt->into && stmt->create_table_as_stmt->into->rel)
			add_table(model, stmt->create_table_as_stmt->into->rel);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
		struct pgs_table *t = as->relation ? pgs_model_table(model, as->relation) : NULL;

		/* A table the history never created existed before it: remember what
		 * is learnt about it from here on. */
		if (!t && as->relation && as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
			unsigned file = model->file_number;
			model->file_number = 0;
			t = add_table(model, as->relation);
			t->partial = true;
			model->file_number = file;
		}

		for (size_t i = 0; t && i < as->n_cmds; i++)
			if (as->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				apply_alter_cmd(model, t, as->cmds[i]->alter_table_cmd);
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
	default:
		break;
	}
}
