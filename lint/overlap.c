#include "lint/overlap.h"

#include <stdarg.h>
#include <string.h>

#include "core/lexer.h"
#include "core/quote.h"

/* Values of pgs_overlap.others: who made the sequence or type. */
static char by_context, by_input;

void pgs_overlap_init(struct pgs_overlap *ov)
{
	pgs_model_init(&ov->context);
	pgs_strmap_init(&ov->others);
}

void pgs_overlap_release(struct pgs_overlap *ov)
{
	pgs_strmap_release(&ov->others);
	pgs_model_release(&ov->context);
}

/* "S:schema.name" / "T:schema.name" for a sequence or type; in the context model's arena. */
static const char *other_key(struct pgs_overlap *ov, char kind, const char *key)
{
	return key ? pgs_arena_printf(&ov->context.arena, "%c:%s", kind, key) : NULL;
}

static const char *names_key(struct pgs_overlap *ov, char kind, PgQuery__Node **names, size_t n)
{
	return other_key(ov, kind, pgs_model_key_from_names(&ov->context, names, n));
}

/* The sequence or type a CREATE makes, or NULL for other statements. */
static const char *created_other(struct pgs_overlap *ov, const PgQuery__Node *stmt,
				 bool *if_not_exists)
{
	*if_not_exists = false;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		*if_not_exists = stmt->create_seq_stmt->if_not_exists;
		return stmt->create_seq_stmt->sequence
			   ? other_key(ov, 'S',
				       pgs_model_key(&ov->context, stmt->create_seq_stmt->sequence))
			   : NULL;
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		return names_key(ov, 'T', stmt->create_enum_stmt->type_name,
				 stmt->create_enum_stmt->n_type_name);
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
		return names_key(ov, 'T', stmt->create_range_stmt->type_name,
				 stmt->create_range_stmt->n_type_name);
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		return names_key(ov, 'T', stmt->create_domain_stmt->domainname,
				 stmt->create_domain_stmt->n_domainname);
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		return stmt->composite_type_stmt->typevar
			   ? other_key(
				 ov, 'T',
				 pgs_model_key(&ov->context, stmt->composite_type_stmt->typevar))
			   : NULL;
	default:
		return NULL;
	}
}

/* 'S' or 'T' for the object types of a DROP or RENAME that others tracks, else 0. */
static char other_kind(PgQuery__ObjectType type)
{
	switch (type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return 'S';
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		return 'T';
	default:
		return 0;
	}
}

/* The key of a DROP's object: a name list, or a type name (DROP TYPE / DOMAIN). */
static const char *dropped_key(struct pgs_overlap *ov, char kind, const PgQuery__Node *obj)
{
	if (obj->node_case == PG_QUERY__NODE__NODE_TYPE_NAME)
		return names_key(ov, kind, obj->type_name->names, obj->type_name->n_names);
	return other_key(ov, kind, pgs_model_key_of_dropped(&ov->context, obj));
}

static void apply_other(struct pgs_overlap *ov, const PgQuery__Node *stmt, bool context)
{
	bool if_not_exists;
	const char *key = created_other(ov, stmt, &if_not_exists);
	char kind;

	if (key) {
		if (!pgs_strmap_get(&ov->others, key))
			pgs_strmap_put(&ov->others, key, context ? &by_context : &by_input);
	} else if (stmt->node_case == PG_QUERY__NODE__NODE_DROP_STMT &&
		   (kind = other_kind(stmt->drop_stmt->remove_type))) {
		for (size_t i = 0; i < stmt->drop_stmt->n_objects; i++)
			if ((key = dropped_key(ov, kind, stmt->drop_stmt->objects[i])))
				pgs_strmap_remove(&ov->others, key);
	} else if (stmt->node_case == PG_QUERY__NODE__NODE_RENAME_STMT &&
		   (kind = other_kind(stmt->rename_stmt->rename_type))) {
		const PgQuery__RenameStmt *rs = stmt->rename_stmt;
		const char *old =
		    rs->relation ? other_key(ov, kind, pgs_model_key(&ov->context, rs->relation))
		    : rs->object ? dropped_key(ov, kind, rs->object)
				 : NULL;
		void *who = old ? pgs_strmap_get(&ov->others, old) : NULL;
		if (!who || !rs->newname)
			return;
		pgs_strmap_remove(&ov->others, old);
		/* the new name is in the old one's schema */
		const char *dot = strchr(old + 2, '.');
		pgs_strmap_put(&ov->others,
			       pgs_arena_printf(&ov->context.arena, "%.*s%s",
						(int)(dot ? dot + 1 - old : 2), old, rs->newname),
			       who);
	}
}

void pgs_overlap_apply(struct pgs_overlap *ov, const PgQuery__Node *stmt, uint32_t offset,
		       bool context)
{
	if (!stmt)
		return;
	if (context)
		pgs_model_apply(&ov->context, stmt, offset);
	apply_other(ov, stmt, context);
}

/* ---- finding what the context already has ---- */

struct finder {
	struct pgs_overlap *ov;
	struct pgs_model *model;
	const struct pgs_stmt *stmt;
	const char *text;
	struct pgs_arena *arena;
};

static struct pgs_overlap_hit hit(struct finder *f, int action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct pgs_overlap_hit hit(struct finder *f, int action, const char *fmt, ...)
{
	va_list ap;
	struct pgs_overlap_hit h = {NULL, action};

	va_start(ap, fmt);
	h.what = pgs_arena_vprintf(f->arena, fmt, ap);
	va_end(ap);
	return h;
}

static const struct pgs_overlap_hit none = {NULL, -1};

/* "schema.name" of a RangeVar, in the finder's arena (not the model's). */
static const char *key_of(struct finder *f, const PgQuery__RangeVar *rv)
{
	return pgs_arena_printf(f->arena, "%s.%s",
				rv->schemaname && *rv->schemaname ? rv->schemaname : "public",
				rv->relname);
}

static const char *relation(struct finder *f, const char *key)
{
	return pgs_quote_relation(f->arena, key);
}

static const char *column(struct finder *f, const struct pgs_table *t, const char *name)
{
	return pgs_arena_printf(f->arena, "%s.%s", relation(f, t->key),
				pgs_quote_ident(f->arena, name));
}

/*
 * The table rv names as the input sees it, when it comes from the context
 * (no input created it and the context alone has it: *before is that one).
 */
static struct pgs_table *context_table(struct finder *f, const PgQuery__RangeVar *rv,
				       struct pgs_table **before)
{
	struct pgs_table *t = rv ? pgs_model_table(f->model, rv) : NULL;

	*before = rv ? pgs_model_table(&f->ov->context, rv) : NULL;
	return t && *before && t->created_in == 0 ? t : NULL;
}

static const char *kind_name(char kind)
{
	switch (kind) {
	case 'v':
		return "view";
	case 'm':
		return "materialized view";
	case 'f':
		return "foreign table";
	default:
		return "table";
	}
}

/* CREATE TABLE / VIEW / MATERIALIZED VIEW / TABLE AS of a relation the context has. */
static struct pgs_overlap_hit created_relation(struct finder *f, const PgQuery__RangeVar *rv)
{
	struct pgs_table *before, *t = context_table(f, rv, &before);

	/* a temporary table goes to its own schema */
	if (!t || (rv->relpersistence && rv->relpersistence[0] == 't'))
		return none;
	return hit(f, -1, "it already has %s %s", kind_name(t->kind), relation(f, t->key));
}

static struct pgs_overlap_hit created_index(struct finder *f, const PgQuery__IndexStmt *is)
{
	if (is->if_not_exists || !is->idxname || !*is->idxname || !is->relation)
		return none;
	const char *key = pgs_arena_printf(f->arena, "%s.%s",
					   is->relation->schemaname && *is->relation->schemaname
					       ? is->relation->schemaname
					       : "public",
					   is->idxname);
	struct pgs_index *ix = pgs_model_index(f->model, key);
	if (!ix || ix->created_in != 0 || !pgs_model_index(&f->ov->context, key))
		return none;
	return hit(f, -1, "it already has index %s", relation(f, key));
}

static struct pgs_overlap_hit created_other_object(struct finder *f)
{
	bool if_not_exists;
	const char *key = created_other(f->ov, f->stmt->node, &if_not_exists);

	if (!key || if_not_exists || pgs_strmap_get(&f->ov->others, key) != &by_context)
		return none;
	return hit(f, -1, "it already has %s %s", key[0] == 'S' ? "sequence" : "type",
		   relation(f, key + 2));
}

/* The new type as written, from the type name to USING, COLLATE or the end of the action. */
static const char *written_type(struct finder *f, const PgQuery__TypeName *tn)
{
	struct pgs_span span = f->stmt->span;
	uint32_t start = pgs_stmt_offset(f->stmt, tn->location), end = span.end;
	struct pgs_token tok;
	int depth = 0;

	if (tn->location < 0 || start < span.start || start >= span.end)
		return pgs_type_name_last(tn);
	for (uint32_t pos = start; pos < span.end;) {
		pos = pgs_lex(f->text, pos, span.end, &tok);
		if (tok.kind == PGS_TOK_OPEN) {
			depth++;
		} else if (tok.kind == PGS_TOK_CLOSE) {
			depth--;
		} else if (depth == 0 &&
			   (pgs_token_is(f->text, &tok, "using") ||
			    pgs_token_is(f->text, &tok, "collate") ||
			    (tok.kind == PGS_TOK_OTHER && f->text[tok.start] == ','))) {
			end = tok.start;
			break;
		}
	}
	end = pgs_last_token_end(f->text, start, end);
	return pgs_arena_printf(f->arena, "%.*s", (int)(end - start), f->text + start);
}

/*
 * Whether the column already has the type (and collation) def gives it, so
 * changing to it changes nothing: not with USING, which computes new values.
 */
static bool same_type(const struct pgs_column *c, const PgQuery__ColumnDef *def)
{
	const PgQuery__TypeName *tn = def->type_name;
	int n = 0;

	if (!tn || def->raw_default || !c->type || strcmp(c->type, pgs_type_name_last(tn)) != 0 ||
	    c->is_array != (tn->n_array_bounds > 0) || tn->n_typmods > 2)
		return false;
	for (size_t i = 0; i < tn->n_typmods; i++) {
		const PgQuery__Node *m = tn->typmods[i];
		if (m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
		    m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
			return false; /* a modifier the model does not keep: can't tell */
		if (n >= c->n_mods || c->mods[n] != m->a_const->ival->ival)
			return false;
		n++;
	}
	if (n != c->n_mods)
		return false;
	if (def->coll_clause && def->coll_clause->n_collname) {
		const char *coll =
		    pgs_node_string(def->coll_clause->collname[def->coll_clause->n_collname - 1]);
		return coll && c->collation && strcmp(coll, c->collation) == 0;
	}
	return true;
}

/* A table of the context whose columns are all known: created, not inheriting any. */
static bool fully_known(const struct pgs_table *t)
{
	return !t->partial && !t->parent && t->n_inherits == 0;
}

static bool primary_key(struct pgs_table *t, bool from_context)
{
	for (size_t i = 0; i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].kind == PGS_CON_PRIMARY_KEY &&
		    (!from_context || t->constraints[i].created_in == 0))
			return true;
	return false;
}

static struct pgs_overlap_hit altered_action(struct finder *f, struct pgs_table *t,
					     struct pgs_table *before, int i,
					     const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__ColumnDef *def =
	    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
		? cmd->def->column_def
		: NULL;
	const PgQuery__Constraint *con =
	    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
		? cmd->def->constraint
		: NULL;
	struct pgs_column *c;
	struct pgs_constraint *k;

	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		if (!def || !def->colname || cmd->missing_ok)
			return none;
		c = pgs_table_column(t, def->colname);
		if (!c || c->created_in != 0 || !pgs_table_column(before, def->colname))
			return none;
		return hit(f, i, "it already has column %s", column(f, t, def->colname));
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		c = pgs_table_column(t, cmd->name);
		if (!def || !c || c->created_in != 0 || !same_type(c, def))
			return none;
		c = pgs_table_column(before, cmd->name);
		if (!c || !same_type(c, def))
			return none;
		return hit(f, i, "its %s is already %s", column(f, t, cmd->name),
			   written_type(f, def->type_name));
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		if (!con)
			return none;
		if (con->conname && *con->conname) {
			k = pgs_table_constraint(t, con->conname);
			if (!k || k->created_in != 0 || !pgs_table_constraint(before, con->conname))
				return none;
			return hit(f, i, "it already has constraint %s on %s",
				   pgs_quote_ident(f->arena, con->conname), relation(f, t->key));
		}
		if (con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY && primary_key(t, true) &&
		    primary_key(before, false))
			return hit(f, i, "it already has a primary key on %s", relation(f, t->key));
		return none;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		if (cmd->missing_ok || !cmd->name || !fully_known(t) || !fully_known(before) ||
		    pgs_table_column(t, cmd->name) || pgs_table_column(before, cmd->name))
			return none;
		return hit(f, i, "it has no column %s to drop", column(f, t, cmd->name));
	default:
		return none;
	}
}

static struct pgs_overlap_hit altered_table(struct finder *f, const PgQuery__AlterTableStmt *as)
{
	struct pgs_table *before, *t;

	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    !(t = context_table(f, as->relation, &before)))
		return none;
	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		struct pgs_overlap_hit h =
		    altered_action(f, t, before, (int)i, as->cmds[i]->alter_table_cmd);
		if (h.what)
			return h;
	}
	return none;
}

/* "schema.name" of name in the schema of key. */
static const char *sibling(struct finder *f, const char *key, const char *name)
{
	const char *dot = strchr(key, '.');

	return pgs_arena_printf(f->arena, "%.*s.%s", (int)(dot ? dot - key : 0), key, name);
}

static struct pgs_overlap_hit renamed(struct finder *f, const PgQuery__RenameStmt *rs)
{
	struct pgs_table *before, *t;
	const char *to = rs->newname;

	if (rs->missing_ok || !to || !rs->relation)
		return none;
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW: {
		PgQuery__RangeVar rv = *rs->relation;
		if (pgs_model_table(f->model, rs->relation) ||
		    pgs_model_table(&f->ov->context, rs->relation))
			return none;
		rv.relname = (char *)to;
		if (!(t = context_table(f, &rv, &before)))
			return none;
		return hit(f, -1, "it has %s %s and no %s", kind_name(t->kind), relation(f, t->key),
			   relation(f, key_of(f, rs->relation)));
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: {
		const char *old = key_of(f, rs->relation), *key = sibling(f, old, to);
		struct pgs_index *ix = pgs_model_index(f->model, key);
		if (pgs_model_index(f->model, old) || pgs_model_index(&f->ov->context, old) ||
		    !ix || ix->created_in != 0 || !pgs_model_index(&f->ov->context, key))
			return none;
		return hit(f, -1, "it has index %s and no %s", relation(f, key), relation(f, old));
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN: {
		struct pgs_column *c;
		if (!(t = context_table(f, rs->relation, &before)) || !rs->subname ||
		    pgs_table_column(t, rs->subname) || pgs_table_column(before, rs->subname) ||
		    !(c = pgs_table_column(t, to)) || c->created_in != 0 ||
		    !pgs_table_column(before, to))
			return none;
		return hit(f, -1, "it has column %s and no %s", column(f, t, to),
			   column(f, t, rs->subname));
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT: {
		struct pgs_constraint *k;
		if (!(t = context_table(f, rs->relation, &before)) || !rs->subname ||
		    pgs_table_constraint(t, rs->subname) ||
		    pgs_table_constraint(before, rs->subname) ||
		    !(k = pgs_table_constraint(t, to)) || k->created_in != 0 ||
		    !pgs_table_constraint(before, to))
			return none;
		return hit(f, -1, "it has constraint %s on %s and no %s",
			   pgs_quote_ident(f->arena, to), relation(f, t->key),
			   pgs_quote_ident(f->arena, rs->subname));
	}
	default:
		return none;
	}
}

struct pgs_overlap_hit pgs_overlap_find(struct pgs_overlap *ov, struct pgs_model *model,
					const struct pgs_stmt *stmt, const char *text,
					struct pgs_arena *arena)
{
	struct finder f = {ov, model, stmt, text, arena};
	const PgQuery__Node *node = stmt->node;

	if (!node)
		return none;
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		return node->create_stmt->if_not_exists
			   ? none
			   : created_relation(&f, node->create_stmt->relation);
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		return node->create_table_as_stmt->if_not_exists ||
			       !node->create_table_as_stmt->into
			   ? none
			   : created_relation(&f, node->create_table_as_stmt->into->rel);
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		return node->view_stmt->replace ? none
						: created_relation(&f, node->view_stmt->view);
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return created_index(&f, node->index_stmt);
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return altered_table(&f, node->alter_table_stmt);
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return renamed(&f, node->rename_stmt);
	default:
		return created_other_object(&f);
	}
}
