#include <string.h>

#include "core/lexer.h"
#include "lint/rule.h"
#include "core/strbuf.h"

/* What CASCADE takes with it, for the object kinds whose dependents hold data. */
static const char *cascade_loses(PgQuery__ObjectType type)
{
	switch (type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		return "every table in the schema, with its rows, and every other object in it";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		return "the table columns of that type, with their data";
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLLATION:
		return "the table columns that use the collation, with their data";
	case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
		return "the table columns of the extension's types, with their data, and "
		       "whatever uses its functions";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE:
		return "the triggers, defaults, generated columns (with their data), indexes "
		       "and views that use it";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return "the column defaults that call nextval() on it";
	case PG_QUERY__OBJECT_TYPE__OBJECT_OPERATOR:
	case PG_QUERY__OBJECT_TYPE__OBJECT_OPCLASS:
	case PG_QUERY__OBJECT_TYPE__OBJECT_OPFAMILY:
		return "the indexes and constraints that use it";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_SERVER:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FDW:
		return "the foreign tables that use it";
	default:
		return NULL;
	}
}

static const char *kind_word(PgQuery__ObjectType type)
{
	switch (type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		return "SCHEMA";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
		return "TYPE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		return "DOMAIN";
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLLATION:
		return "COLLATION";
	case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
		return "EXTENSION";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
		return "FUNCTION";
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
		return "PROCEDURE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
		return "ROUTINE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE:
		return "AGGREGATE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return "SEQUENCE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_OPERATOR:
		return "OPERATOR";
	case PG_QUERY__OBJECT_TYPE__OBJECT_OPCLASS:
		return "OPERATOR CLASS";
	case PG_QUERY__OBJECT_TYPE__OBJECT_OPFAMILY:
		return "OPERATOR FAMILY";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_SERVER:
		return "SERVER";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FDW:
		return "FOREIGN DATA WRAPPER";
	default:
		return "";
	}
}

/* Dotted SQL name of a list of String nodes. */
static const char *names_sql(struct pgs_check *ctx, PgQuery__Node **names, size_t n)
{
	struct pgs_strbuf out;

	pgs_strbuf_init(&out, pgs_check_arena(ctx));
	for (size_t i = 0; i < n; i++) {
		const char *s = pgs_node_string(names[i]);
		if (s)
			pgs_strbuf_add(&out, ".", pgs_check_quote(ctx, s));
	}
	return pgs_strbuf_str(&out);
}

/* The first object a DROP names, as SQL. */
static const char *object_sql(struct pgs_check *ctx, const PgQuery__Node *obj)
{
	switch (obj->node_case) {
	case PG_QUERY__NODE__NODE_STRING:
		return pgs_check_quote(ctx, obj->string->sval);
	case PG_QUERY__NODE__NODE_LIST:
		return names_sql(ctx, obj->list->items, obj->list->n_items);
	case PG_QUERY__NODE__NODE_TYPE_NAME:
		return names_sql(ctx, obj->type_name->names, obj->type_name->n_names);
	case PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS:
		return names_sql(ctx, obj->object_with_args->objname,
				 obj->object_with_args->n_objname);
	default:
		return "";
	}
}

/* Offer to remove the CASCADE keyword (and the space before it). */
static void fix_remove_cascade(struct pgs_check *ctx, struct pgs_diag *d)
{
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_token tok;
	uint32_t prev_end = span.start, from = 0, to = 0;
	int depth = 0;

	for (uint32_t pos = span.start; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (tok.kind == PGS_TOK_SPACE)
			continue;
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE)
			depth--;
		else if (depth == 0 && pgs_token_is(text, &tok, "cascade")) {
			from = prev_end;
			to = tok.end;
		}
		prev_end = tok.end;
	}
	if (to == 0)
		return;
	/* not safe: without CASCADE the statement fails while dependents exist */
	pgs_diag_fix(ctx, d, "remove CASCADE", false);
	pgs_diag_edit(ctx, d, (struct pgs_span){from, to}, "");
}

static void drop_cascade(struct pgs_check *ctx, const PgQuery__DropStmt *ds)
{
	const char *loses = cascade_loses(ds->remove_type);

	if (ds->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE || !loses || !ds->n_objects)
		return;
	const char *what = object_sql(ctx, ds->objects[0]);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"DROP %s %s%s CASCADE also drops %s",
					kind_word(ds->remove_type), what,
					ds->n_objects > 1 ? ", ..." : "", loses);
	pgs_diag_note(ctx, d,
		      "PostgreSQL drops every dependent object without asking and only lists "
		      "them in NOTICE messages; nothing in the migration says what they are");
	pgs_diag_help(ctx, d,
		      "drop without CASCADE: PostgreSQL then refuses and names what depends on "
		      "%s, so each of those can be dropped on purpose (after the application "
		      "stopped using it) in an earlier step",
		      what);
	fix_remove_cascade(ctx, d);
}

/* TRUNCATE ... CASCADE empties the tables that reference the named ones too. */
static void truncate_cascade(struct pgs_check *ctx, const PgQuery__TruncateStmt *ts)
{
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	struct pgs_strbuf named, others;
	struct pgs_strmap keys;

	if (ts->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		return;
	pgs_strmap_init(&keys);
	for (size_t k = 0; k < ts->n_relations; k++)
		if (ts->relations[k]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			pgs_strmap_put(&keys,
				       pgs_model_key(pgs_check_model(ctx), ts->relations[k]->range_var),
				       &keys);
	pgs_strbuf_init(&named, pgs_check_arena(ctx));
	pgs_strbuf_init(&others, pgs_check_arena(ctx));
	for (size_t i = 0; i < fx->n; i++)
		pgs_strbuf_add(pgs_strmap_get(&keys, fx->items[i].relation) ? &named : &others, ", ",
			       pgs_check_relation_label(ctx, fx->items[i].relation));
	pgs_strmap_release(&keys);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"TRUNCATE %s CASCADE also empties every table whose foreign "
					"keys reference %s%s%s",
					pgs_strbuf_str(&named), ts->n_relations > 1 ? "them" : "it",
					others.len ? ": " : "", pgs_strbuf_str(&others));
	if (!others.len)
		pgs_diag_note(ctx, d,
			      "pgstage doesn't know which tables reference %s: none of the files "
			      "it read declares such a foreign key",
			      pgs_strbuf_str(&named));
	for (size_t i = 0; i < fx->n; i++)
		if (pgs_lock_blocks(fx->items[i].lock))
			pgs_diag_note(ctx, d, "takes %s on %s: blocks %s until the transaction ends",
				      pgs_lock_name(fx->items[i].lock),
				      pgs_check_relation_label(ctx, fx->items[i].relation),
				      pgs_lock_blocks(fx->items[i].lock));
	pgs_diag_help(ctx, d,
		      "drop CASCADE and name every table to empty: PostgreSQL then refuses if "
		      "another table still references them");
	fix_remove_cascade(ctx, d);
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	struct pgs_diag *d;

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_DROP_STMT:
		drop_cascade(ctx, node->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		truncate_cascade(ctx, node->truncate_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "DROP DATABASE %s deletes the database with every table and all its "
			       "data",
			       pgs_check_quote(ctx, node->dropdb_stmt->dbname));
		pgs_diag_note(ctx, d,
			      "it cannot run inside a transaction block, so it can't be rolled "
			      "back either");
		pgs_diag_help(ctx, d,
			      "drop databases by hand, after a backup, not from an application's "
			      "migrations");
		break;
	case PG_QUERY__NODE__NODE_DROP_OWNED_STMT: {
		const PgQuery__DropOwnedStmt *dos = node->drop_owned_stmt;
		const char *role = dos->n_roles && dos->roles[0]->node_case ==
							     PG_QUERY__NODE__NODE_ROLE_SPEC &&
						   dos->roles[0]->role_spec->rolename
					   ? pgs_check_quote(ctx, dos->roles[0]->role_spec->rolename)
					   : "the role";
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "DROP OWNED BY %s drops every object the role owns in this database, "
			       "tables and their data included",
			       role);
		pgs_diag_help(ctx, d,
			      "REASSIGN OWNED BY %s TO another role first, then DROP OWNED only "
			      "removes its privileges",
			      role);
		break;
	}
	default:
		break;
	}
}

const struct pgs_rule pgs_rule_destructive_drop = {
	.id = "M209",
	.name = "destructive-drop",
	.severity = PGS_SEV_ERROR,
	.summary = "DROP DATABASE, DROP OWNED, TRUNCATE ... CASCADE and DROP ... CASCADE of a "
		   "schema, type or function delete data the migration doesn't name",
	.docs = "## Problem\n\n"
		"Some DROP statements delete far more than they name:\n\n"
		"- `DROP DATABASE` deletes every table in it, and can't run in a\n"
		"  transaction block, so it can't be rolled back;\n"
		"- `DROP SCHEMA s CASCADE` drops every table in the schema with its rows;\n"
		"- `DROP TYPE` / `DROP DOMAIN` / `DROP COLLATION ... CASCADE` drop the table\n"
		"  columns of that type or collation, with their data; `DROP EXTENSION ...\n"
		"  CASCADE` does the same for the extension's types;\n"
		"- `DROP FUNCTION ... CASCADE` drops the triggers, defaults, indexes, views\n"
		"  and generated columns that use it; `DROP SEQUENCE ... CASCADE` the\n"
		"  column defaults that call it;\n"
		"- `DROP OWNED BY role` drops every object the role owns;\n"
		"- `TRUNCATE t CASCADE` also empties every table with a foreign key to `t`\n"
		"  (and the tables referencing those).\n\n"
		"PostgreSQL lists what CASCADE dropped only as NOTICE messages.\n"
		"`DROP TABLE` and `DROP COLUMN` (with or without CASCADE) are reported by\n"
		"`dropping-table` and `dropping-column`.\n\n"
		"## Safe alternative\n\n"
		"Drop (or truncate) without CASCADE: PostgreSQL then refuses and lists the\n"
		"dependent objects, and each can be removed on purpose, after the\n"
		"application stopped using it. The fix removes CASCADE; it is marked\n"
		"unsafe because the statement then fails while dependents exist.\n\n"
		"Drop databases by hand, after a backup. Before `DROP OWNED`, run\n"
		"`REASSIGN OWNED BY old_role TO new_role`.\n",
	.example_bad = "DROP TYPE order_status CASCADE;",
	.example_good = "DROP TYPE order_status;",
	.check = check,
};
