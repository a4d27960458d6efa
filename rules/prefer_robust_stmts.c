#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_DROPPED 32

/*
 * What the file did so far, carried from statement to statement:
 * - indexes dropped with IF EXISTS: a CREATE INDEX CONCURRENTLY of the same
 *   name after such a DROP replaces an INVALID leftover on a re-run;
 * - what it created (key() below): on a re-run, a statement that comes after
 *   the CREATE of an object runs only once that CREATE succeeded, so the
 *   object exists then and a DROP of it can't fail. Likewise a column added
 *   by ADD COLUMN (IF NOT EXISTS or not) or a constraint added by ADD
 *   CONSTRAINT. Not a table made by CREATE TABLE IF NOT EXISTS for its
 *   columns: it may be an older table, without them. Names are kept without
 *   their schema: a name of another schema only makes the rule miss.
 */
struct state {
	const char *dropped[MAX_DROPPED];
	size_t n_dropped;
	struct pgs_strmap created;
};

/* End of the first word token equal to kw in span, or 0 when there is none. */
static uint32_t after_word(const char *text, struct pgs_span span, const char *kw)
{
	struct pgs_token tok;

	for (uint32_t pos = span.start; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (pgs_token_is(text, &tok, kw))
			return tok.end;
	}
	return 0;
}

/* Whether a token spells the identifier name (unquoted: any case; quoted: exactly). */
static bool token_names(const char *text, const struct pgs_token *tok, const char *name)
{
	size_t n = strlen(name);

	if (tok->kind == PGS_TOK_WORD)
		return tok->end - tok->start == n && strncasecmp(text + tok->start, name, n) == 0;
	if (tok->kind == PGS_TOK_QUOTED)
		return tok->end - tok->start == n + 2 && strncmp(text + tok->start + 1, name, n) == 0;
	return false;
}

/* The next token after pos that is neither space nor comment. */
static uint32_t next_token(const char *text, uint32_t pos, uint32_t end, struct pgs_token *tok)
{
	pos = pgs_skip_space_and_comments(text, pos, end);
	tok->kind = PGS_TOK_EOF;
	tok->start = tok->end = pos;
	return pos < end ? pgs_lex(text, pos, end, tok) : pos;
}

/* In "DROP [COLUMN | ATTRIBUTE] column", the end of its last keyword; 0 when not found. */
static uint32_t after_drop_column(const char *text, struct pgs_span clause, const char *column)
{
	struct pgs_token tok, next;

	for (uint32_t pos = clause.start; pos < clause.end;) {
		pos = pgs_lex(text, pos, clause.end, &tok);
		if (!pgs_token_is(text, &tok, "drop"))
			continue;
		uint32_t at = tok.end, p = next_token(text, tok.end, clause.end, &next);
		if (pgs_token_is(text, &next, "column") || pgs_token_is(text, &next, "attribute")) {
			at = next.end;
			next_token(text, p, clause.end, &next);
		}
		if (token_names(text, &next, column))
			return at;
	}
	return 0;
}

static const char *why(void)
{
	return "the file runs without a transaction here: when a later statement fails, this "
	       "one stays applied";
}

/*
 * Report a statement (or ALTER TABLE action) at span that lacks clause; the fix
 * inserts it at insert_at (0: no fix), after a keyword or, with before_name,
 * before the object's name.
 */
static void robust(struct pgs_check *ctx, struct pgs_span span, uint32_t insert_at,
		   const char *what, const char *clause, bool before_name)
{
	struct pgs_diag *d = pgs_report(ctx, span,
					"%s without %s: running the file again after a later "
					"statement failed stops here",
					what, clause);
	pgs_diag_note(ctx, d, "%s", why());
	pgs_diag_help(ctx, d,
		      "add %s, so that the file can simply be run again; or run the whole file "
		      "in one transaction",
		      clause);
	if (!insert_at)
		return;
	pgs_diag_fix(ctx, d, pgs_arena_printf(pgs_check_arena(ctx), "add %s", clause), true);
	pgs_diag_edit(ctx, d, (struct pgs_span){insert_at, insert_at},
		      pgs_arena_printf(pgs_check_arena(ctx), before_name ? "%s " : " %s", clause));
}

static const char *index_key(struct pgs_check *ctx, const PgQuery__IndexStmt *is)
{
	const char *schema = is->relation && is->relation->schemaname &&
					     *is->relation->schemaname
				     ? is->relation->schemaname
				     : "public";
	return pgs_arena_printf(pgs_check_arena(ctx), "%s.%s", schema, is->idxname);
}

static bool was_dropped(const struct state *st, const char *key)
{
	for (size_t i = 0; st && i < st->n_dropped; i++)
		if (strcmp(st->dropped[i], key) == 0)
			return true;
	return false;
}

/* CREATE INDEX CONCURRENTLY: a failed build leaves an INVALID index behind. */
static void concurrent_index(struct pgs_check *ctx, const PgQuery__IndexStmt *is,
			     const struct state *st)
{
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_diag *d;

	/* golang-migrate marks a failed migration dirty; it is never simply re-run */
	if (pgs_check_tool(ctx) == PGS_TOOL_GOLANG_MIGRATE)
		return;
	if (!is->idxname || !*is->idxname) {
		d = pgs_report(ctx, span,
			       "CREATE INDEX CONCURRENTLY without an index name: a re-run builds "
			       "another index, and a failed build leaves an INVALID one behind");
		pgs_diag_help(ctx, d, "name the index, and drop it with DROP INDEX CONCURRENTLY "
				      "IF EXISTS before building it");
		return;
	}
	const char *key = index_key(ctx, is);
	if (was_dropped(st, key))
		return;
	const char *name = pgs_check_quote(ctx, is->idxname);
	if (is->if_not_exists)
		d = pgs_report(ctx, span,
			       "CREATE INDEX CONCURRENTLY IF NOT EXISTS keeps an INVALID index %s "
			       "left by a failed build: a re-run then succeeds without building it",
			       name);
	else
		d = pgs_report(ctx, span,
			       "CREATE INDEX CONCURRENTLY %s can't simply be run again: a failed "
			       "build leaves an INVALID index of that name, and a re-run fails with "
			       "\"already exists\"",
			       name);
	pgs_diag_note(ctx, d,
		      "an INVALID index is not used by queries but is still updated by every "
		      "write; find leftovers with SELECT indexrelid::regclass FROM pg_index "
		      "WHERE NOT indisvalid");
	pgs_diag_help(ctx, d,
		      "put DROP INDEX CONCURRENTLY IF EXISTS %s before it, as a statement of its "
		      "own: a re-run then drops the leftover and builds the index again",
		      name);
}

static void remember_dropped(struct pgs_check *ctx, struct state *st, const PgQuery__DropStmt *ds)
{
	if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || !ds->missing_ok)
		return;
	for (size_t i = 0; i < ds->n_objects && st->n_dropped < MAX_DROPPED; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *key = pgs_model_key_of_dropped(pgs_check_model(ctx), obj);
		if (key)
			st->dropped[st->n_dropped++] = key;
	}
}

/* ---- what the file created ---- */

/* Kinds of things created that are not objects of their own (ObjectType numbers above). */
enum {
	KIND_COLUMN = PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN,
	KIND_TABLE_CONSTRAINT = PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT,
	KIND_DOMAIN_CONSTRAINT = PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT,
};

/* One name for the kinds a DROP of the other finds too. */
static int kind_of(PgQuery__ObjectType type)
{
	switch (type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
		return PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION;
	default:
		return (int)type;
	}
}

/* The key of a kind of thing, its name and, for what belongs to a table or domain, that one's name. */
static const char *key(struct pgs_check *ctx, int kind, const char *scope, const char *name)
{
	return pgs_arena_printf(pgs_check_arena(ctx), "%d:%s.%s", kind, scope ? scope : "", name);
}

static void remember(struct pgs_check *ctx, struct state *st, int kind, const char *scope,
		     const char *name)
{
	if (name && *name && (!scope || *scope))
		pgs_strmap_put(&st->created, key(ctx, kind, scope, name), st);
}

static bool was_created(struct pgs_check *ctx, const struct state *st, int kind,
			const char *scope, const char *name)
{
	return name && st->created.n && pgs_strmap_get(&st->created, key(ctx, kind, scope, name));
}

static const char *last_name(PgQuery__Node **names, size_t n)
{
	return n ? pgs_node_string(names[n - 1]) : NULL;
}

static const char *relname(const PgQuery__RangeVar *rv)
{
	return rv ? rv->relname : NULL;
}

/* Named constraints of a column definition (ADD COLUMN c int CONSTRAINT n CHECK ...). */
static void remember_column(struct pgs_check *ctx, struct state *st, const char *table,
			    const PgQuery__ColumnDef *def)
{
	remember(ctx, st, KIND_COLUMN, table, def->colname);
	for (size_t k = 0; k < def->n_constraints; k++)
		if (def->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			remember(ctx, st, KIND_TABLE_CONSTRAINT, table,
				 def->constraints[k]->constraint->conname);
}

static void remember_alter_table(struct pgs_check *ctx, struct state *st,
				 const PgQuery__AlterTableStmt *as)
{
	const char *table = relname(as->relation);

	for (size_t i = 0; table && i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if (!cmd->def)
			continue;
		if (cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
		    (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn ||
		     cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse))
			remember_column(ctx, st, table, cmd->def->column_def);
		else if (cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			 (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint ||
			  cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse))
			remember(ctx, st, KIND_TABLE_CONSTRAINT, table, cmd->def->constraint->conname);
	}
}

/* ALTER ... RENAME: the new name exists once it ran. */
static void remember_rename(struct pgs_check *ctx, struct state *st, const PgQuery__RenameStmt *rs)
{
	const char *table = relname(rs->relation);

	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE:
		remember(ctx, st, KIND_COLUMN, table, rs->newname);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
		remember(ctx, st, KIND_TABLE_CONSTRAINT, table, rs->newname);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
	case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
	case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
		remember(ctx, st, rs->rename_type, table, rs->newname);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT:
		break; /* its domain is in rs->object: not worth the lookup */
	default:
		remember(ctx, st, kind_of(rs->rename_type), NULL, rs->newname);
		break;
	}
}

static void remember_created(struct pgs_check *ctx, struct state *st, const PgQuery__Node *node)
{
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_TABLE, NULL,
			 relname(node->create_stmt->relation));
		break;
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
		if (node->create_foreign_table_stmt->base_stmt)
			remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE, NULL,
				 relname(node->create_foreign_table_stmt->base_stmt->relation));
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (node->create_table_as_stmt->into)
			remember(ctx, st, node->create_table_as_stmt->objtype, NULL,
				 relname(node->create_table_as_stmt->into->rel));
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_VIEW, NULL,
			 relname(node->view_stmt->view));
		break;
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, NULL,
			 relname(node->create_seq_stmt->sequence));
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_INDEX, NULL,
			 node->index_stmt->idxname);
		break;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_TYPE, NULL,
			 relname(node->composite_type_stmt->typevar));
		break;
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_TYPE, NULL,
			 last_name(node->create_enum_stmt->type_name,
				   node->create_enum_stmt->n_type_name));
		break;
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_TYPE, NULL,
			 last_name(node->create_range_stmt->type_name,
				   node->create_range_stmt->n_type_name));
		break;
	case PG_QUERY__NODE__NODE_DEFINE_STMT:
		remember(ctx, st, kind_of(node->define_stmt->kind), NULL,
			 last_name(node->define_stmt->defnames, node->define_stmt->n_defnames));
		break;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN, NULL,
			 last_name(node->create_domain_stmt->domainname,
				   node->create_domain_stmt->n_domainname));
		break;
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT: {
		const PgQuery__AlterDomainStmt *ad = node->alter_domain_stmt;
		if (ad->subtype && ad->subtype[0] == 'C' && ad->def &&
		    ad->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			remember(ctx, st, KIND_DOMAIN_CONSTRAINT,
				 last_name(ad->type_name, ad->n_type_name),
				 ad->def->constraint->conname);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION, NULL,
			 last_name(node->create_function_stmt->funcname,
				   node->create_function_stmt->n_funcname));
		break;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA, NULL,
			 node->create_schema_stmt->schemaname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER,
			 relname(node->create_trig_stmt->relation), node->create_trig_stmt->trigname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_POLICY,
			 relname(node->create_policy_stmt->table),
			 node->create_policy_stmt->policy_name);
		break;
	case PG_QUERY__NODE__NODE_RULE_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_RULE,
			 relname(node->rule_stmt->relation), node->rule_stmt->rulename);
		break;
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION, NULL,
			 node->create_extension_stmt->extname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_EVENT_TRIG_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_EVENT_TRIGGER, NULL,
			 node->create_event_trig_stmt->trigname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION, NULL,
			 node->create_publication_stmt->pubname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_SUBSCRIPTION, NULL,
			 node->create_subscription_stmt->subname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_SERVER_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_SERVER, NULL,
			 node->create_foreign_server_stmt->servername);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FDW_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_FDW, NULL,
			 node->create_fdw_stmt->fdwname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_STATISTIC_EXT, NULL,
			 last_name(node->create_stats_stmt->defnames,
				   node->create_stats_stmt->n_defnames));
		break;
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_ROLE, NULL,
			 node->create_role_stmt->role);
		break;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE, NULL,
			 node->createdb_stmt->dbname);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		remember(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE, NULL,
			 node->create_table_space_stmt->tablespacename);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		remember_alter_table(ctx, st, node->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		remember_rename(ctx, st, node->rename_stmt);
		break;
	default:
		break;
	}
}

/* ---- DROP ---- */

/*
 * The DROP forms (every one has IF EXISTS): how a message names the kind, and
 * the words before the object names, where IF EXISTS goes ("w?" may be
 * missing, "a|b" is either).
 */
struct drop_kind {
	PgQuery__ObjectType type;
	const char *name, *words;
};

static const struct drop_kind drop_kinds[] = {
	{PG_QUERY__OBJECT_TYPE__OBJECT_TABLE, "TABLE", "drop table"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, "SEQUENCE", "drop sequence"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_VIEW, "VIEW", "drop view"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW, "MATERIALIZED VIEW", "drop materialized view"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_INDEX, "INDEX", "drop index concurrently?"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE, "FOREIGN TABLE", "drop foreign table"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_COLLATION, "COLLATION", "drop collation"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_CONVERSION, "CONVERSION", "drop conversion"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_STATISTIC_EXT, "STATISTICS", "drop statistics"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_TSPARSER, "TEXT SEARCH PARSER", "drop text search parser"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_TSDICTIONARY, "TEXT SEARCH DICTIONARY",
	 "drop text search dictionary"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_TSTEMPLATE, "TEXT SEARCH TEMPLATE",
	 "drop text search template"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_TSCONFIGURATION, "TEXT SEARCH CONFIGURATION",
	 "drop text search configuration"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_ACCESS_METHOD, "ACCESS METHOD", "drop access method"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_EVENT_TRIGGER, "EVENT TRIGGER", "drop event trigger"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION, "EXTENSION", "drop extension"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_FDW, "FOREIGN DATA WRAPPER", "drop foreign data wrapper"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION, "PUBLICATION", "drop publication"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA, "SCHEMA", "drop schema"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_SERVER, "SERVER", "drop server"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_POLICY, "POLICY", "drop policy"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_RULE, "RULE", "drop rule"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER, "TRIGGER", "drop trigger"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_TYPE, "TYPE", "drop type"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN, "DOMAIN", "drop domain"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION, "FUNCTION", "drop function"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE, "AGGREGATE", "drop aggregate"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE, "PROCEDURE", "drop procedure"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE, "ROUTINE", "drop routine"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_OPERATOR, "OPERATOR", "drop operator"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_CAST, "CAST", "drop cast"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_LANGUAGE, "LANGUAGE", "drop procedural? language"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_OPCLASS, "OPERATOR CLASS", "drop operator class"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_OPFAMILY, "OPERATOR FAMILY", "drop operator family"},
	{PG_QUERY__OBJECT_TYPE__OBJECT_TRANSFORM, "TRANSFORM", "drop transform"},
};

static const struct drop_kind *drop_kind(PgQuery__ObjectType type)
{
	for (size_t i = 0; i < sizeof(drop_kinds) / sizeof(drop_kinds[0]); i++)
		if (drop_kinds[i].type == type)
			return &drop_kinds[i];
	return NULL;
}

/* Whether a word token is one of the alternatives of spec[0, n) ("a|b"). */
static bool word_matches(const char *text, const struct pgs_token *tok, const char *spec, size_t n)
{
	while (n > 0) {
		size_t k = 0;
		char word[32];

		while (k < n && spec[k] != '|')
			k++;
		if (k < sizeof(word)) {
			memcpy(word, spec, k);
			word[k] = '\0';
			if (pgs_token_is(text, tok, word))
				return true;
		}
		spec += k < n ? k + 1 : k;
		n -= k < n ? k + 1 : k;
	}
	return false;
}

/*
 * The end of the words of spec (see drop_kinds) when text at pos starts with
 * them, or 0 when it doesn't.
 */
static uint32_t after_words(const char *text, uint32_t pos, uint32_t end, const char *spec)
{
	uint32_t after = 0;

	while (*spec) {
		size_t n = strcspn(spec, " ");
		bool optional = n > 0 && spec[n - 1] == '?';
		struct pgs_token tok = pgs_rules_next_token(text, pos, end);

		if (tok.kind == PGS_TOK_WORD && word_matches(text, &tok, spec, optional ? n - 1 : n))
			pos = after = tok.end;
		else if (!optional)
			return 0;
		spec += n;
		while (*spec == ' ')
			spec++;
	}
	return after;
}

/*
 * The name of one object a DROP names, and for a trigger, policy or rule its
 * table in *scope; NULL for objects without a name of their own (a cast, a
 * transform).
 */
static const char *dropped_name(const PgQuery__DropStmt *ds, const PgQuery__Node *obj,
				const char **scope)
{
	*scope = NULL;
	switch (obj->node_case) {
	case PG_QUERY__NODE__NODE_STRING:
		return obj->string->sval;
	case PG_QUERY__NODE__NODE_TYPE_NAME:
		return pgs_type_name_last(obj->type_name);
	case PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS:
		return last_name(obj->object_with_args->objname,
				 obj->object_with_args->n_objname);
	case PG_QUERY__NODE__NODE_LIST: {
		const PgQuery__List *l = obj->list;
		if (ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_CAST ||
		    ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TRANSFORM)
			return NULL;
		if ((ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER ||
		     ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_POLICY ||
		     ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_RULE) &&
		    l->n_items >= 2)
			*scope = pgs_node_string(l->items[l->n_items - 2]);
		return last_name(l->items, l->n_items);
	}
	default:
		return NULL;
	}
}

/* Report the statement (or action) at span, that drops what without IF EXISTS. */
static void drop_without_if_exists(struct pgs_check *ctx, struct pgs_span span, uint32_t insert_at,
				   const char *kind, const char *name)
{
	robust(ctx, span, insert_at,
	       name ? pgs_arena_printf(pgs_check_arena(ctx), "DROP %s %s", kind,
				       pgs_check_quote(ctx, name))
		    : pgs_arena_printf(pgs_check_arena(ctx), "DROP %s", kind),
	       "IF EXISTS", false);
}

static void drop_stmt(struct pgs_check *ctx, const struct state *st, const PgQuery__DropStmt *ds)
{
	const struct drop_kind *kind = drop_kind(ds->remove_type);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	const char *name = NULL;
	bool named = false;

	if (!kind || ds->missing_ok)
		return;
	/* the first object this file did not create: a DROP of the others can't fail */
	for (size_t i = 0; i < ds->n_objects && !named; i++) {
		const char *scope;
		const char *n = dropped_name(ds, ds->objects[i], &scope);
		if (!n || !was_created(ctx, st, kind_of(ds->remove_type), scope, n)) {
			name = n;
			named = true;
		}
	}
	if (!named)
		return;
	drop_without_if_exists(ctx, span, after_words(pgs_check_text(ctx), span.start, span.end,
						      kind->words),
			       kind->name, name);
}

/* DROP ROLE, DATABASE, TABLESPACE, SUBSCRIPTION, USER MAPPING: statements of their own. */
static void drop_other(struct pgs_check *ctx, const struct state *st, const PgQuery__Node *node)
{
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	const char *kind, *words, *name = NULL;
	int type;

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT: {
		const PgQuery__DropRoleStmt *dr = node->drop_role_stmt;
		if (dr->missing_ok)
			return;
		kind = "ROLE", words = "drop role|user|group", type = PG_QUERY__OBJECT_TYPE__OBJECT_ROLE;
		bool named = false;
		for (size_t i = 0; i < dr->n_roles && !named; i++) {
			const PgQuery__Node *r = dr->roles[i];
			const char *n = r->node_case == PG_QUERY__NODE__NODE_ROLE_SPEC
						? r->role_spec->rolename
						: NULL;
			if (!n || !*n || !was_created(ctx, st, type, NULL, n)) {
				name = n && *n ? n : NULL;
				named = true;
			}
		}
		if (!named)
			return;
		break;
	}
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		if (node->dropdb_stmt->missing_ok)
			return;
		kind = "DATABASE", words = "drop database", type = PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE;
		name = node->dropdb_stmt->dbname;
		break;
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
		if (node->drop_table_space_stmt->missing_ok)
			return;
		kind = "TABLESPACE", words = "drop tablespace",
		type = PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE;
		name = node->drop_table_space_stmt->tablespacename;
		break;
	case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT:
		if (node->drop_subscription_stmt->missing_ok)
			return;
		kind = "SUBSCRIPTION", words = "drop subscription",
		type = PG_QUERY__OBJECT_TYPE__OBJECT_SUBSCRIPTION;
		name = node->drop_subscription_stmt->subname;
		break;
	case PG_QUERY__NODE__NODE_DROP_USER_MAPPING_STMT:
		if (node->drop_user_mapping_stmt->missing_ok)
			return;
		kind = "USER MAPPING", words = "drop user mapping",
		type = PG_QUERY__OBJECT_TYPE__OBJECT_USER_MAPPING;
		break;
	default:
		return;
	}
	if (name && was_created(ctx, st, type, NULL, name))
		return;
	drop_without_if_exists(ctx, span,
			       after_words(pgs_check_text(ctx), span.start, span.end, words), kind,
			       name);
}

/*
 * Where IF EXISTS goes in an action that starts its DROP part with words
 * ("drop constraint", "drop identity"): after them. DROP is reserved, so the
 * first one is the action's (the first action's span starts at ALTER).
 */
static uint32_t after_drop_words(const char *text, struct pgs_span clause, const char *words)
{
	struct pgs_token drop = pgs_rules_find_word(text, clause.start, clause.end, "drop");

	return drop.kind == PGS_TOK_EOF ? 0 : after_words(text, drop.start, clause.end, words);
}

/* ALTER DOMAIN d DROP CONSTRAINT c. */
static void alter_domain(struct pgs_check *ctx, const struct state *st,
			 const PgQuery__AlterDomainStmt *ad)
{
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	const char *domain = last_name(ad->type_name, ad->n_type_name);

	if (!ad->subtype || ad->subtype[0] != 'X' || ad->missing_ok || !ad->name ||
	    was_created(ctx, st, PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN, NULL, domain) ||
	    (domain && was_created(ctx, st, KIND_DOMAIN_CONSTRAINT, domain, ad->name)))
		return;
	robust(ctx, span, after_drop_words(text, span, "drop constraint"),
	       pgs_arena_printf(pgs_check_arena(ctx), "DROP CONSTRAINT %s",
				pgs_check_quote(ctx, ad->name)),
	       "IF EXISTS", false);
}

static void alter_table(struct pgs_check *ctx, const struct state *st,
			const PgQuery__AlterTableStmt *as)
{
	const char *text = pgs_check_text(ctx);
	bool is_table = as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
	bool is_type = as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE;
	const char *table = relname(as->relation);

	if (!table || (!is_table && !is_type &&
		       as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE))
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		struct pgs_span clause = pgs_check_cmd_span(ctx, i);
		const char *what = NULL, *clause_kw = "IF EXISTS";
		uint32_t at = 0;
		bool before_name = false;

		if (cmd->missing_ok)
			continue;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			/* ALTER TYPE ... ADD ATTRIBUTE has no IF NOT EXISTS */
			if (!is_table || !cmd->def ||
			    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
				break;
			what = pgs_arena_printf(pgs_check_arena(ctx), "ADD COLUMN %s",
						pgs_check_quote(ctx, cmd->def->column_def->colname));
			clause_kw = "IF NOT EXISTS";
			/* IF NOT EXISTS goes before the column name, which has a location */
			at = pgs_stmt_offset(pgs_check_stmt(ctx), cmd->def->column_def->location);
			before_name = true;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			if (!cmd->name || was_created(ctx, st, KIND_COLUMN, table, cmd->name))
				break;
			what = pgs_arena_printf(pgs_check_arena(ctx), "DROP %s %s",
						is_type ? "ATTRIBUTE" : "COLUMN",
						pgs_check_quote(ctx, cmd->name));
			at = after_drop_column(text, clause, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			if (!cmd->name || was_created(ctx, st, KIND_TABLE_CONSTRAINT, table, cmd->name))
				break;
			what = pgs_arena_printf(pgs_check_arena(ctx), "DROP CONSTRAINT %s",
						pgs_check_quote(ctx, cmd->name));
			at = after_drop_words(text, clause, "drop constraint");
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity:
			if (!cmd->name || was_created(ctx, st, KIND_COLUMN, table, cmd->name))
				break;
			what = pgs_arena_printf(pgs_check_arena(ctx), "DROP IDENTITY of %s",
						pgs_check_quote(ctx, cmd->name));
			at = after_drop_words(text, clause, "drop identity");
			break;
		default:
			break;
		}
		if (what)
			robust(ctx, clause, at, what, clause_kw, before_name);
	}
}

/*
 * Whether the statement is one of a function's body (linted where it is
 * written): it runs when the function is called, not when the file runs.
 */
static bool in_function_body(const struct pgs_check *ctx)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	const struct pgs_stmt *outer = pgs_check_stmt_at(ctx, stmt->span.start);

	return outer && outer != stmt && outer->node &&
	       outer->node->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT;
}

/* What the statement may report; st holds what the statements before it did. */
static void report(struct pgs_check *ctx, struct state *st, const PgQuery__Node *node)
{
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	/* the last statement needs no care: if it fails, nothing after it ran */
	bool more = pgs_check_stmts_after(ctx) > 0;

	if (pgs_check_txn(ctx)->active)
		return;
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *cs = node->create_stmt;
		if (cs->if_not_exists || !more || !cs->relation ||
		    (cs->relation->relpersistence && cs->relation->relpersistence[0] == 't'))
			return;
		robust(ctx, span, after_word(text, span, "table"),
		       pgs_arena_printf(pgs_check_arena(ctx), "CREATE TABLE %s",
					pgs_check_quote(ctx, cs->relation->relname)),
		       "IF NOT EXISTS", false);
		break;
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = node->index_stmt;
		if (is->concurrent) {
			concurrent_index(ctx, is, st);
			return;
		}
		if (!more || is->if_not_exists)
			return;
		if (!is->idxname || !*is->idxname) {
			struct pgs_diag *d = pgs_report(
				ctx, span,
				"CREATE INDEX without an index name: running the file again after a "
				"later statement failed builds a second, duplicate index");
			pgs_diag_note(ctx, d, "%s", why());
			pgs_diag_help(ctx, d, "name the index and add IF NOT EXISTS");
			return;
		}
		robust(ctx, span, after_word(text, span, "index"),
		       pgs_arena_printf(pgs_check_arena(ctx), "CREATE INDEX %s",
					pgs_check_quote(ctx, is->idxname)),
		       "IF NOT EXISTS", false);
		break;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT:
		if (more)
			drop_stmt(ctx, st, node->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
	case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT:
	case PG_QUERY__NODE__NODE_DROP_USER_MAPPING_STMT:
		if (more)
			drop_other(ctx, st, node);
		break;
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
		if (more)
			alter_domain(ctx, st, node->alter_domain_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		if (more)
			alter_table(ctx, st, node->alter_table_stmt);
		break;
	default:
		break;
	}
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	void **slot = pgs_check_state(ctx);
	struct state *st = *slot;

	if (in_function_body(ctx))
		return;
	if (!st) {
		st = *slot = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*st));
		pgs_strmap_init(&st->created);
	}
	report(ctx, st, node);
	if (node->node_case == PG_QUERY__NODE__NODE_DROP_STMT)
		remember_dropped(ctx, st, node->drop_stmt);
	remember_created(ctx, st, node);
}

static void end_of_file(struct pgs_check *ctx)
{
	struct state *st = *pgs_check_state(ctx);

	if (st)
		pgs_strmap_release(&st->created);
}

const struct pgs_rule pgs_rule_prefer_robust_stmts = {
	.id = "M308",
	.name = "prefer-robust-stmts",
	.severity = PGS_SEV_INFO,
	.summary = "outside a transaction, a statement that fails when the file is run again "
		   "after a partial failure",
	.docs = "## Problem\n\n"
		"A migration that runs outside a transaction (a plain SQL file without\n"
		"BEGIN, goose `NO TRANSACTION`, dbmate `transaction:false`, flyway\n"
		"`executeInTransaction=false`, `--no-transaction`) commits statement by\n"
		"statement. When one fails, the statements before it stay applied, and\n"
		"running the fixed file again stops at the first of them that can't run\n"
		"twice: `CREATE TABLE` or `CREATE INDEX` of something that now exists, a\n"
		"`DROP` of something already gone, `ADD COLUMN` of a column that exists,\n"
		"`DROP COLUMN` of one that doesn't. Someone must then patch the database or\n"
		"the file by hand.\n\n"
		"pgstage reports those statements when they run outside a transaction and\n"
		"another statement follows them in the file (the last statement is safe: if\n"
		"it fails, it did not apply). Inside a transaction, explicit (BEGIN or START\n"
		"TRANSACTION) or the tool's, a failure rolls everything back and nothing is\n"
		"reported. Temporary tables are not reported.\n\n"
		"Every DROP without IF EXISTS is checked: `DROP TABLE`, `VIEW`, `MATERIALIZED\n"
		"VIEW`, `SEQUENCE`, `INDEX`, `TYPE`, `DOMAIN`, `FUNCTION`, `PROCEDURE`,\n"
		"`TRIGGER`, `POLICY`, `RULE`, `SCHEMA`, `EXTENSION`, `ROLE` and the others,\n"
		"and the DROP actions of `ALTER TABLE` (`DROP COLUMN`, `DROP CONSTRAINT`,\n"
		"`ALTER COLUMN ... DROP IDENTITY`), `ALTER DOMAIN ... DROP CONSTRAINT` and\n"
		"`ALTER TYPE ... DROP ATTRIBUTE`. A DROP of something an earlier statement\n"
		"of the file created (any CREATE, an `ADD COLUMN`, an `ADD CONSTRAINT`, a\n"
		"rename to that name) is not reported: on a re-run that statement ran first,\n"
		"so the DROP finds it. Nor are the statements of a function's body: they run\n"
		"when the function is called, not when the file runs.\n\n"
		"`CREATE INDEX CONCURRENTLY` always runs outside a transaction and needs more\n"
		"than IF NOT EXISTS: when the build fails (a lock timeout, a deadlock, a\n"
		"duplicate key in a UNIQUE index) it leaves an INVALID index of that name\n"
		"behind. A plain re-run then fails with \"already exists\"; with IF NOT EXISTS\n"
		"the re-run \"succeeds\" and silently keeps the INVALID index, which queries\n"
		"never use and every write still maintains. pgstage reports both forms unless\n"
		"a `DROP INDEX CONCURRENTLY IF EXISTS` of the same index comes first in the\n"
		"file. (golang-migrate is left out here: it marks a failed migration dirty\n"
		"and never simply re-runs it.)\n\n"
		"The severity is info: a re-runnable file is a convenience when a migration\n"
		"fails, not a safety property of the schema change.\n\n"
		"## Fix\n\n"
		"Add `IF NOT EXISTS` / `IF EXISTS` (the fix inserts it), or run the file in one\n"
		"transaction when nothing in it needs to run outside one. For an index built\n"
		"concurrently:\n\n"
		"    DROP INDEX CONCURRENTLY IF EXISTS orders_created_at_idx;\n"
		"    CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);\n",
	.example_bad = "CREATE TABLE invoices (id bigint PRIMARY KEY);\n"
		       "ALTER TABLE invoices ADD COLUMN total numeric;",
	.example_good = "CREATE TABLE IF NOT EXISTS invoices (id bigint PRIMARY KEY);\n"
			"ALTER TABLE invoices ADD COLUMN IF NOT EXISTS total numeric;",
	.check = check,
	.end_of_file = end_of_file,
};
