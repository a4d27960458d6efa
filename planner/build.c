#include "planner/build.h"

#include <stdlib.h>
#include <string.h>

#include "core/names.h"

PgQuery__Node *pgs_build_node(struct pgs_arena *a)
{
	PgQuery__Node *n = pgs_arena_alloc(a, sizeof(*n));
	PgQuery__Node init = PG_QUERY__NODE__INIT;

	*n = init;
	return n;
}

PgQuery__Node *pgs_build_string(struct pgs_arena *a, const char *s)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__String *str = pgs_arena_alloc(a, sizeof(*str));
	PgQuery__String init = PG_QUERY__STRING__INIT;

	*str = init;
	str->sval = pgs_arena_strdup(a, s);
	n->node_case = PG_QUERY__NODE__NODE_STRING;
	n->string = str;
	return n;
}

PgQuery__Node *pgs_build_column_ref(struct pgs_arena *a, const char *column)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__ColumnRef *cr = pgs_arena_alloc(a, sizeof(*cr));
	PgQuery__ColumnRef init = PG_QUERY__COLUMN_REF__INIT;

	*cr = init;
	cr->n_fields = 1;
	cr->fields = pgs_arena_array(a, 1, sizeof(*cr->fields));
	cr->fields[0] = pgs_build_string(a, column);
	cr->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	n->column_ref = cr;
	return n;
}

PgQuery__Node *pgs_build_is_not_null(struct pgs_arena *a, const char *column)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__NullTest *nt = pgs_arena_alloc(a, sizeof(*nt));
	PgQuery__NullTest init = PG_QUERY__NULL_TEST__INIT;

	*nt = init;
	nt->arg = pgs_build_column_ref(a, column);
	nt->nulltesttype = PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL;
	nt->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_NULL_TEST;
	n->null_test = nt;
	return n;
}

PgQuery__Node *pgs_build_check(struct pgs_arena *a, const char *name, PgQuery__Node *expr,
			       bool not_valid)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__Constraint *c = pgs_arena_alloc(a, sizeof(*c));
	PgQuery__Constraint init = PG_QUERY__CONSTRAINT__INIT;

	*c = init;
	c->contype = PG_QUERY__CONSTR_TYPE__CONSTR_CHECK;
	c->conname = pgs_arena_strdup(a, name);
	c->raw_expr = expr;
	c->skip_validation = not_valid;
	c->initially_valid = !not_valid;
	c->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	n->constraint = c;
	return n;
}

PgQuery__Node *pgs_build_alter_cmd(struct pgs_arena *a, PgQuery__AlterTableType subtype,
				   const char *name, PgQuery__Node *def)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__AlterTableCmd *cmd = pgs_arena_alloc(a, sizeof(*cmd));
	PgQuery__AlterTableCmd init = PG_QUERY__ALTER_TABLE_CMD__INIT;

	*cmd = init;
	cmd->subtype = subtype;
	cmd->name = pgs_arena_strdup(a, name ? name : "");
	cmd->def = def;
	cmd->behavior = PG_QUERY__DROP_BEHAVIOR__DROP_RESTRICT;
	n->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_CMD;
	n->alter_table_cmd = cmd;
	return n;
}

PgQuery__Node *pgs_build_alter_table(struct pgs_arena *a, PgQuery__RangeVar *relation,
				     PgQuery__Node **cmds, size_t n_cmds)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__AlterTableStmt *as = pgs_arena_alloc(a, sizeof(*as));
	PgQuery__AlterTableStmt init = PG_QUERY__ALTER_TABLE_STMT__INIT;

	*as = init;
	as->relation = relation;
	as->objtype = PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
	as->n_cmds = n_cmds;
	as->cmds = pgs_arena_array(a, n_cmds ? n_cmds : 1, sizeof(*as->cmds));
	memcpy(as->cmds, cmds, n_cmds * sizeof(*cmds));
	n->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_STMT;
	n->alter_table_stmt = as;
	return n;
}

PgQuery__Node *pgs_build_option(struct pgs_arena *a, const char *name)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__DefElem *de = pgs_arena_alloc(a, sizeof(*de));
	PgQuery__DefElem init = PG_QUERY__DEF_ELEM__INIT;

	*de = init;
	de->defname = pgs_arena_strdup(a, name);
	de->defaction = PG_QUERY__DEF_ELEM_ACTION__DEFELEM_UNSPEC;
	de->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_DEF_ELEM;
	n->def_elem = de;
	return n;
}

PgQuery__Node *pgs_build_index_elem(struct pgs_arena *a, const char *column)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__IndexElem *ie = pgs_arena_alloc(a, sizeof(*ie));
	PgQuery__IndexElem init = PG_QUERY__INDEX_ELEM__INIT;

	*ie = init;
	ie->name = pgs_arena_strdup(a, column);
	ie->ordering = PG_QUERY__SORT_BY_DIR__SORTBY_DEFAULT;
	ie->nulls_ordering = PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_DEFAULT;
	n->node_case = PG_QUERY__NODE__NODE_INDEX_ELEM;
	n->index_elem = ie;
	return n;
}

/* IndexElems for a list of column name String nodes. */
static PgQuery__Node **index_elems(struct pgs_arena *a, PgQuery__Node **names, size_t n)
{
	PgQuery__Node **out = pgs_arena_array(a, n ? n : 1, sizeof(*out));

	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *s = names[i];
		out[i] = pgs_build_index_elem(
			a, s->node_case == PG_QUERY__NODE__NODE_STRING ? s->string->sval : "");
	}
	return out;
}

PgQuery__Node *pgs_build_unique_index(struct pgs_arena *a, const char *name,
				      PgQuery__RangeVar *relation, const PgQuery__Constraint *c)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__IndexStmt *is = pgs_arena_alloc(a, sizeof(*is));
	PgQuery__IndexStmt init = PG_QUERY__INDEX_STMT__INIT;

	*is = init;
	is->idxname = pgs_arena_strdup(a, name);
	is->relation = relation;
	is->access_method = pgs_arena_strdup(a, "btree");
	is->table_space = c->indexspace && *c->indexspace ? c->indexspace : pgs_arena_strdup(a, "");
	is->n_index_params = c->n_keys;
	is->index_params = index_elems(a, c->keys, c->n_keys);
	is->n_index_including_params = c->n_including;
	is->index_including_params = index_elems(a, c->including, c->n_including);
	is->n_options = c->n_options;
	is->options = c->options;
	is->unique = true;
	is->nulls_not_distinct = c->nulls_not_distinct;
	is->concurrent = true;
	is->if_not_exists = true;
	n->node_case = PG_QUERY__NODE__NODE_INDEX_STMT;
	n->index_stmt = is;
	return n;
}

PgQuery__Node *pgs_build_add_using_index(struct pgs_arena *a, const char *name,
					 const char *index, const PgQuery__Constraint *c)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__Constraint *con = pgs_arena_alloc(a, sizeof(*con));
	PgQuery__Constraint init = PG_QUERY__CONSTRAINT__INIT;

	*con = init;
	con->contype = c->contype;
	con->conname = pgs_arena_strdup(a, name);
	con->indexname = pgs_arena_strdup(a, index);
	con->deferrable = c->deferrable;
	con->initdeferred = c->initdeferred;
	con->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	n->constraint = con;
	return pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL, n);
}

PgQuery__Node *pgs_build_select(struct pgs_arena *a, PgQuery__Node *expr)
{
	PgQuery__Node *n = pgs_build_node(a), *t = pgs_build_node(a);
	PgQuery__SelectStmt *sel = pgs_arena_alloc(a, sizeof(*sel));
	PgQuery__ResTarget *rt = pgs_arena_alloc(a, sizeof(*rt));
	PgQuery__SelectStmt sinit = PG_QUERY__SELECT_STMT__INIT;
	PgQuery__ResTarget rinit = PG_QUERY__RES_TARGET__INIT;

	*sel = sinit;
	*rt = rinit;
	rt->val = expr;
	rt->location = -1;
	t->node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	t->res_target = rt;
	sel->n_target_list = 1;
	sel->target_list = pgs_arena_array(a, 1, sizeof(*sel->target_list));
	sel->target_list[0] = t;
	sel->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	n->node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	n->select_stmt = sel;
	return n;
}

const char *pgs_build_name(struct pgs_arena *a, const char *table, const char *column,
			   const char *suffix)
{
	return pgs_object_name(a, table, column, suffix);
}

PgQuery__TypeName *pgs_build_type_name(struct pgs_arena *a, const char *name)
{
	PgQuery__TypeName *tn = pgs_arena_alloc(a, sizeof(*tn));
	PgQuery__TypeName init = PG_QUERY__TYPE_NAME__INIT;

	*tn = init;
	tn->n_names = 2;
	tn->names = pgs_arena_array(a, 2, sizeof(*tn->names));
	tn->names[0] = pgs_build_string(a, "pg_catalog");
	tn->names[1] = pgs_build_string(a, name);
	tn->typemod = -1;
	tn->location = -1;
	return tn;
}

PgQuery__RangeVar *pgs_build_range_var(struct pgs_arena *a, const char *schema, const char *name)
{
	PgQuery__RangeVar *rv = pgs_arena_alloc(a, sizeof(*rv));
	PgQuery__RangeVar init = PG_QUERY__RANGE_VAR__INIT;

	*rv = init;
	rv->schemaname = pgs_arena_strdup(a, schema ? schema : "");
	rv->relname = pgs_arena_strdup(a, name);
	rv->inh = true;
	rv->relpersistence = pgs_arena_strdup(a, "p");
	rv->location = -1;
	return rv;
}

PgQuery__Node *pgs_build_select_star(struct pgs_arena *a, PgQuery__RangeVar *from)
{
	PgQuery__Node *star = pgs_build_node(a), *ref = pgs_build_node(a), *table = pgs_build_node(a);
	PgQuery__AStar *s = pgs_arena_alloc(a, sizeof(*s));
	PgQuery__ColumnRef *cr = pgs_arena_alloc(a, sizeof(*cr));
	PgQuery__AStar sinit = PG_QUERY__A__STAR__INIT;
	PgQuery__ColumnRef cinit = PG_QUERY__COLUMN_REF__INIT;

	*s = sinit;
	star->node_case = PG_QUERY__NODE__NODE_A_STAR;
	star->a_star = s;
	*cr = cinit;
	cr->n_fields = 1;
	cr->fields = pgs_arena_array(a, 1, sizeof(*cr->fields));
	cr->fields[0] = star;
	cr->location = -1;
	ref->node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	ref->column_ref = cr;
	table->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	table->range_var = from;

	PgQuery__Node *sel = pgs_build_select(a, ref);
	sel->select_stmt->n_from_clause = 1;
	sel->select_stmt->from_clause = pgs_arena_array(a, 1, sizeof(PgQuery__Node *));
	sel->select_stmt->from_clause[0] = table;
	return sel;
}

PgQuery__Node *pgs_build_create_view(struct pgs_arena *a, PgQuery__RangeVar *view,
				     PgQuery__Node *query)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__ViewStmt *vs = pgs_arena_alloc(a, sizeof(*vs));
	PgQuery__ViewStmt init = PG_QUERY__VIEW_STMT__INIT;

	*vs = init;
	vs->view = view;
	vs->query = query;
	vs->with_check_option = PG_QUERY__VIEW_CHECK_OPTION__NO_CHECK_OPTION;
	n->node_case = PG_QUERY__NODE__NODE_VIEW_STMT;
	n->view_stmt = vs;
	return n;
}

PgQuery__Node *pgs_build_name_list(struct pgs_arena *a, const char *schema, const char *name)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__List *l = pgs_arena_alloc(a, sizeof(*l));
	PgQuery__List init = PG_QUERY__LIST__INIT;

	*l = init;
	l->items = pgs_arena_array(a, 2, sizeof(*l->items));
	if (schema && *schema)
		l->items[l->n_items++] = pgs_build_string(a, schema);
	l->items[l->n_items++] = pgs_build_string(a, name);
	n->node_case = PG_QUERY__NODE__NODE_LIST;
	n->list = l;
	return n;
}

PgQuery__Node *pgs_build_drop(struct pgs_arena *a, PgQuery__ObjectType type,
			      PgQuery__Node *object, bool concurrent)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__DropStmt *ds = pgs_arena_alloc(a, sizeof(*ds));
	PgQuery__DropStmt init = PG_QUERY__DROP_STMT__INIT;

	*ds = init;
	ds->remove_type = type;
	ds->behavior = PG_QUERY__DROP_BEHAVIOR__DROP_RESTRICT;
	ds->missing_ok = true;
	ds->n_objects = 1;
	ds->objects = pgs_arena_array(a, 1, sizeof(*ds->objects));
	ds->objects[0] = object;
	ds->concurrent = concurrent;
	n->node_case = PG_QUERY__NODE__NODE_DROP_STMT;
	n->drop_stmt = ds;
	return n;
}

PgQuery__Node *pgs_build_copy(struct pgs_arena *a, const PgQuery__Node *n)
{
	size_t len = pg_query__node__get_packed_size(n);
	uint8_t *buf = pgs_xmalloc(len ? len : 1);
	ProtobufCAllocator alloc = pgs_arena_protobuf_allocator(a);

	pg_query__node__pack(n, buf);
	PgQuery__Node *copy = pg_query__node__unpack(&alloc, len, buf);
	free(buf);
	return copy;
}

PgQuery__Node *pgs_build_integer(struct pgs_arena *a, int32_t value)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__Integer *i = pgs_arena_alloc(a, sizeof(*i));
	PgQuery__Integer init = PG_QUERY__INTEGER__INIT;

	*i = init;
	i->ival = value;
	n->node_case = PG_QUERY__NODE__NODE_INTEGER;
	n->integer = i;
	return n;
}

PgQuery__Node *pgs_build_int_const(struct pgs_arena *a, int32_t value)
{
	PgQuery__Node *n = pgs_build_node(a);
	PgQuery__AConst *c = pgs_arena_alloc(a, sizeof(*c));
	PgQuery__AConst init = PG_QUERY__A__CONST__INIT;

	*c = init;
	c->val_case = PG_QUERY__A__CONST__VAL_IVAL;
	c->ival = pgs_build_integer(a, value)->integer;
	c->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_A_CONST;
	n->a_const = c;
	return n;
}
