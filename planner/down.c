#include "planner/down.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "planner/build.h"
#include "planner/deparse.h"

PgQuery__Node *pgs_plan_parse_one(struct pgs_arena *arena, const char *sql)
{
	PgQueryProtobufParseResult p = pg_query_parse_protobuf(sql);
	PgQuery__Node *node = NULL;

	if (!p.error) {
		ProtobufCAllocator alloc = pgs_arena_protobuf_allocator(arena);
		PgQuery__ParseResult *tree = pg_query__parse_result__unpack(
			&alloc, p.parse_tree.len, (const uint8_t *)p.parse_tree.data);
		if (tree && tree->n_stmts == 1)
			node = tree->stmts[0]->stmt;
	}
	pg_query_free_protobuf_parse_result(p);
	return node;
}

/* DO $$BEGIN RAISE EXCEPTION USING MESSAGE = 'message', HINT = 'hint'; END$$ */
static PgQuery__Node *build_raise(struct pgs_arena *a, const char *message, const char *hint)
{
	PgQuery__Node *n = pgs_build_node(a), *def = pgs_build_node(a);
	PgQuery__DoStmt *d = pgs_arena_alloc(a, sizeof(*d));
	PgQuery__DefElem *as = pgs_arena_alloc(a, sizeof(*as));
	PgQuery__DoStmt dinit = PG_QUERY__DO_STMT__INIT;
	PgQuery__DefElem einit = PG_QUERY__DEF_ELEM__INIT;
	char *msg = pgs_arena_alloc(a, 2 * strlen(message) + 1), *m = msg;

	for (const char *s = message; *s; s++) {
		if (*s == '\'')
			*m++ = '\'';
		*m++ = *s;
	}
	*m = 0;
	*d = dinit;
	*as = einit;
	as->defname = pgs_arena_strdup(a, "as");
	as->arg = pgs_build_string(
		a, pgs_arena_printf(a,
				    "\nBEGIN\n  RAISE EXCEPTION USING MESSAGE = '%s',\n"
				    "    HINT = '%s';\nEND\n",
				    msg, hint));
	as->defaction = PG_QUERY__DEF_ELEM_ACTION__DEFELEM_UNSPEC;
	as->location = -1;
	def->node_case = PG_QUERY__NODE__NODE_DEF_ELEM;
	def->def_elem = as;
	d->n_args = 1;
	d->args = pgs_arena_array(a, 1, sizeof(*d->args));
	d->args[0] = def;
	n->node_case = PG_QUERY__NODE__NODE_DO_STMT;
	n->do_stmt = d;
	return n;
}

/*
 * The statement on one line for messages: leading comments dropped,
 * whitespace runs made one space, cut after about 120 bytes.
 */
static const char *summary(struct pgs_arena *a, const char *sql)
{
	const char *s = sql;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (s[0] == '-' && s[1] == '-') {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");
			s = end ? end + 2 : s + strlen(s);
		} else {
			break;
		}
	}
	char *out = pgs_arena_alloc(a, strlen(s) + 4), *o = out;
	size_t n = 0;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			if (o > out && o[-1] != ' ')
				*o++ = ' ';
			continue;
		}
		/* cut at 120 bytes, never inside a UTF-8 character */
		if (++n > 120 && ((unsigned char)*s & 0xC0) != 0x80) {
			memcpy(o, "...", 3);
			o += 3;
			break;
		}
		*o++ = *s;
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = 0;
	return out;
}

enum inverse { INV_NODE, INV_NOTHING, INV_CANNOT };

struct step_ref {
	const struct pgs_plan *plan;
	size_t stage, step;
};

static bool same_relation(const PgQuery__RangeVar *x, const PgQuery__RangeVar *y)
{
	return strcmp(x->relname, y->relname) == 0 &&
	       strcmp(x->schemaname ? x->schemaname : "", y->schemaname ? y->schemaname : "") == 0;
}

/*
 * The CHECK or FOREIGN KEY named name that an earlier step of the plan adds
 * to rel (e.g. the NOT NULL sequence's CHECK), freshly parsed, or NULL.
 */
static PgQuery__Constraint *added_earlier(struct pgs_arena *a, const struct step_ref *at,
					  const PgQuery__RangeVar *rel, const char *name)
{
	for (size_t i = at->stage + 1; i-- > 0;) {
		const struct pgs_plan_stage *st = &at->plan->stages[i];
		size_t end = i == at->stage ? at->step : st->n_steps;
		for (size_t k = end; k-- > 0;) {
			const struct pgs_plan_step *step = &st->steps[k];
			PgQuery__Node *n =
			    pgs_plan_parse_one(a, step->stand_in ? step->stand_in : step->sql);
			if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
			    !same_relation(n->alter_table_stmt->relation, rel))
				continue;
			for (size_t c = 0; c < n->alter_table_stmt->n_cmds; c++) {
				PgQuery__AlterTableCmd *cmd = n->alter_table_stmt->cmds[c]->alter_table_cmd;
				if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint ||
				    !cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
					continue;
				PgQuery__Constraint *con = cmd->def->constraint;
				if (con->conname && strcmp(con->conname, name) == 0 &&
				    (con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK ||
				     con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN))
					return con;
			}
		}
	}
	return NULL;
}

/* The inverse of one ALTER TABLE action, or NULL with *kind saying why not. */
static PgQuery__Node *inverse_cmd(struct pgs_arena *a, const struct step_ref *at,
				  const PgQuery__RangeVar *rel, const PgQuery__AlterTableCmd *cmd,
				  enum inverse *kind)
{
	PgQuery__Node *inv = NULL;

	*kind = INV_CANNOT;
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			inv = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn,
						  cmd->def->column_def->colname, NULL);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cmd->def->constraint->conname && *cmd->def->constraint->conname)
			inv = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint,
						  cmd->def->constraint->conname, NULL);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		if (cmd->def) /* SET DEFAULT; a DROP DEFAULT can't know the old default */
			inv = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault,
						  cmd->name, NULL);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		inv = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull, cmd->name,
					  NULL);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
		*kind = INV_NOTHING;
		return NULL;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint: {
		/* a constraint this plan added earlier comes back NOT VALID: no scan */
		PgQuery__Constraint *con = added_earlier(a, at, rel, cmd->name);
		if (con) {
			con->skip_validation = true;
			con->initially_valid = false;
			PgQuery__Node *def = pgs_build_node(a);
			def->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
			def->constraint = con;
			inv = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL,
						  def);
		}
		break;
	}
	default:
		break;
	}
	if (inv) {
		PgQuery__AlterTableType t = inv->alter_table_cmd->subtype;
		*kind = INV_NODE;
		inv->alter_table_cmd->missing_ok = t == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn ||
						   t == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint;
	}
	return inv;
}

/* ALTER TABLE: the inverse actions in reverse order, in one statement. */
static PgQuery__Node *inverse_alter(struct pgs_arena *a, const struct step_ref *at,
				    const PgQuery__AlterTableStmt *as, enum inverse *kind)
{
	PgQuery__Node **cmds = pgs_arena_array(a, as->n_cmds + 1, sizeof(*cmds));
	size_t n = 0;

	*kind = INV_CANNOT;
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return NULL;
	for (size_t i = as->n_cmds; i-- > 0;) {
		enum inverse k;
		PgQuery__Node *inv = inverse_cmd(a, at, as->relation, as->cmds[i]->alter_table_cmd, &k);
		if (k == INV_CANNOT)
			return NULL;
		if (inv)
			cmds[n++] = inv;
	}
	if (n == 0) {
		*kind = INV_NOTHING;
		return NULL;
	}
	*kind = INV_NODE;
	PgQuery__Node *stmt = pgs_build_alter_table(a, as->relation, cmds, n);
	stmt->alter_table_stmt->missing_ok = as->missing_ok;
	return stmt;
}

static PgQuery__Node *inverse(struct pgs_arena *a, const struct step_ref *at, bool concurrent,
			      enum inverse *kind)
{
	const struct pgs_plan_step *step = &at->plan->stages[at->stage].steps[at->step];
	PgQuery__Node *n = pgs_plan_parse_one(a, step->stand_in ? step->stand_in : step->sql);

	*kind = INV_CANNOT;
	if (!n)
		return NULL;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *ix = n->index_stmt;
		if (!ix->idxname || !*ix->idxname)
			return NULL;
		*kind = INV_NODE;
		return pgs_build_drop(
			a, PG_QUERY__OBJECT_TYPE__OBJECT_INDEX,
			pgs_build_name_list(a, ix->relation->schemaname, ix->idxname), concurrent);
	}
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__RangeVar *rel = n->create_stmt->relation;
		*kind = INV_NODE;
		return pgs_build_drop(a, PG_QUERY__OBJECT_TYPE__OBJECT_TABLE,
				      pgs_build_name_list(a, rel->schemaname, rel->relname), false);
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return inverse_alter(a, at, n->alter_table_stmt, kind);
	default:
		return NULL;
	}
}

static struct pgs_down_step *push(struct pgs_arena *a, struct pgs_down *out, const char *comment)
{
	struct pgs_down_step *s =
		pgs_arena_push(a, (void **)&out->steps, &out->n, &out->cap, sizeof(*s));
	s->comment = comment;
	return s;
}

static int add_sql(struct pgs_arena *a, struct pgs_down *out, struct pgs_down_step *s,
		   const PgQuery__Node *node, struct pgs_error *err)
{
	s->sql = pgs_deparse(a, node, err);
	if (!s->sql)
		return -1;
	out->n_sql++;
	return 0;
}

int pgs_plan_down(struct pgs_down *out, struct pgs_arena *arena, const struct pgs_plan *plan,
		  size_t stage, struct pgs_error *err)
{
	const struct pgs_plan_stage *st = &plan->stages[stage];

	memset(out, 0, sizeof(*out));
	if (st->kind == PGS_STAGE_BACKFILL) {
		push(arena, out,
		     "nothing to undo: the backfill only filled in values of existing rows");
		return 0;
	}
	for (size_t k = st->n_steps; k-- > 0;) {
		const struct pgs_plan_step *step = &st->steps[k];
		struct step_ref at = {plan, stage, k};
		enum inverse kind;
		PgQuery__Node *inv =
			inverse(arena, &at, st->kind == PGS_STAGE_NON_TRANSACTIONAL, &kind);
		const char *what = summary(arena, step->sql);

		if (kind == INV_NOTHING) {
			push(arena, out, pgs_arena_printf(arena, "nothing to undo: %s", what));
		} else if (kind == INV_NODE) {
			if (add_sql(arena, out, push(arena, out, NULL), inv, err) < 0)
				return -1;
		} else {
			struct pgs_down_step *s = push(
				arena, out,
				pgs_arena_printf(arena, "no known inverse: %s (%s:%u)", what,
						 step->path, step->line));
			s->cannot_undo = true;
			const char *msg = pgs_arena_printf(
				arena, "pgstage: no down migration for %s (%s:%u)", what, step->path,
				step->line);
			if (add_sql(arena, out, s,
				    build_raise(arena, msg, "write this down migration by hand"),
				    err) < 0)
				return -1;
		}
	}
	return 0;
}
