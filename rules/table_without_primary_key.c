#include "lint/columns.h"
#include "lint/rule.h"

/* The table's name in the statement that created it, or the statement. */
static struct pgs_span name_span(struct pgs_check *ctx, const struct pgs_stmt *stmt)
{
	const PgQuery__Node *node = stmt->node;
	const PgQuery__RangeVar *rv = NULL;

	if (node && node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
		rv = node->create_stmt->relation;
	else if (node && node->node_case == PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT &&
		 node->create_table_as_stmt->into)
		rv = node->create_table_as_stmt->into->rel;
	if (!rv || rv->location < 0)
		return stmt->span;
	return pgs_name_span(pgs_check_text(ctx), pgs_stmt_offset(stmt, rv->location),
			     stmt->span.end);
}

/* CREATE TABLE ... (LIKE t INCLUDING INDEXES) may copy a primary key pgstage doesn't see. */
static bool has_like(const struct pgs_stmt *stmt)
{
	const PgQuery__Node *node = stmt->node;

	if (!node || node->node_case != PG_QUERY__NODE__NODE_CREATE_STMT)
		return false;
	for (size_t i = 0; i < node->create_stmt->n_table_elts; i++)
		if (node->create_stmt->table_elts[i]->node_case ==
		    PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE)
			return true;
	return false;
}

static void visit_table(void *data, struct pgs_table *t)
{
	struct pgs_check *ctx = data;

	/* unlogged tables aren't replicated: unlogged-table says what they lose */
	if (t->created_in != pgs_check_model(ctx)->file_number || t->temporary || t->unlogged ||
	    t->parent || (t->kind != 'r' && t->kind != 'p'))
		return;
	for (size_t i = 0; i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].kind == PGS_CON_PRIMARY_KEY)
			return;
	const struct pgs_stmt *stmt = pgs_check_stmt_at(ctx, t->offset);
	if (!stmt || has_like(stmt))
		return;
	const char *label = pgs_check_relation_label(ctx, t->key);
	struct pgs_diag *d =
	    pgs_report(ctx, name_span(ctx, stmt),
		       "table %s has no primary key at the end of this migration", label);
	pgs_diag_note(ctx, d,
		      "once the table is in a publication that replicates updates and deletes, "
		      "UPDATE and DELETE on it fail until it has a primary key or a replica "
		      "identity; identical rows can't be told apart or fixed one at a time");
	if (t->kind == 'p')
		pgs_diag_help(ctx, d,
			      "add a PRIMARY KEY that includes the partition key's columns, e.g. "
			      "PRIMARY KEY (id, <partition columns>)");
	else
		pgs_diag_help(
		    ctx, d,
		    "add a PRIMARY KEY: an id bigint GENERATED ALWAYS AS IDENTITY PRIMARY "
		    "KEY column, or the columns of the natural key");
}

static void end_of_file(struct pgs_check *ctx)
{
	if (pgs_check_model(ctx)->file_number)
		pgs_model_each_touched_table(pgs_check_model(ctx), visit_table, ctx);
}

const struct pgs_rule pgs_rule_table_without_primary_key = {
    .id = "M506",
    .name = "table-without-primary-key",
    .severity = PGS_SEV_WARNING,
    .summary = "a table created in this file has no primary key at its end",
    .docs = "## Problem\n\n"
	    "A table without a primary key has no reliable way to address one row.\n"
	    "Logical replication needs one: once the table is in a publication that\n"
	    "replicates updates and deletes (`FOR ALL TABLES` included), every UPDATE and\n"
	    "DELETE on it fails (\"cannot update table ... because it does not have a\n"
	    "replica identity\"). Tools that sync or copy tables, ORMs, and people fixing\n"
	    "a bad row by hand all need a key; duplicate rows creep in and can't be\n"
	    "removed one at a time.\n\n"
	    "Checked at the end of each file, for the tables (CREATE TABLE and CREATE\n"
	    "TABLE AS) created in it and still there, so a primary key added later in\n"
	    "the same file counts. Not flagged: temporary and unlogged tables (neither\n"
	    "is replicated), partitions (they get the partitioned table's key; the\n"
	    "partitioned table itself is checked), views, and `CREATE TABLE ... (LIKE\n"
	    "...)`, which may copy a key.\n\n"
	    "## Safe alternative\n\n"
	    "Declare a primary key when creating the table: `id bigint GENERATED ALWAYS\n"
	    "AS IDENTITY PRIMARY KEY`, or `PRIMARY KEY (a, b)` on the natural key (a join\n"
	    "table's two foreign keys). A partitioned table's key must include the\n"
	    "partition key's columns. Adding a key later to a filled table builds a\n"
	    "unique index and checks NOT NULL under ACCESS EXCLUSIVE.\n",
    .example_bad = "CREATE TABLE user_roles (user_id bigint NOT NULL, role_id bigint NOT NULL);",
    .example_good = "CREATE TABLE user_roles (user_id bigint NOT NULL, role_id bigint NOT NULL,\n"
		    "                         PRIMARY KEY (user_id, role_id));",
    .end_of_file = end_of_file,
};
