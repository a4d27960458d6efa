#include "lint/rule.h"
#include "rules/rule_util.h"

/* The first CHECK of a CREATE DOMAIN, or NULL. */
static const PgQuery__Constraint *first_check(const PgQuery__CreateDomainStmt *cd)
{
	for (size_t i = 0; i < cd->n_constraints; i++)
		if (cd->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cd->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			return cd->constraints[i]->constraint;
	return NULL;
}

/* [CONSTRAINT n] CHECK (...) starting at at: up to the parenthesis that closes CHECK's. */
static struct pgs_span check_clause(const char *text, uint32_t at, uint32_t end)
{
	struct pgs_token tok;
	int depth = 0;

	for (uint32_t pos = at; pos < end;) {
		pos = pgs_lex(text, pos, end, &tok);
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE && --depth == 0)
			return (struct pgs_span){at, tok.end};
	}
	return (struct pgs_span){at, end};
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT)
		return;
	const PgQuery__CreateDomainStmt *cd = node->create_domain_stmt;
	const PgQuery__Constraint *c = first_check(cd);
	if (!c || !cd->n_domainname)
		return;
	const char *domain = pgs_check_quote(ctx, pgs_node_string(cd->domainname[cd->n_domainname - 1]));
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);
	struct pgs_span span = stmt->span;
	/* underline the CHECK clause: from its start to the parenthesis closing CHECK (...) */
	if (c->location >= 0) {
		uint32_t at = pgs_stmt_offset(stmt, c->location);
		if (at >= span.start && at < span.end)
			span = check_clause(pgs_check_text(ctx), at, span.end);
	}
	struct pgs_diag *d = pgs_report(ctx, span,
					"domain %s has a CHECK: changing it later (ALTER DOMAIN ... ADD "
					"CONSTRAINT) checks every column of %s in every table, holding "
					"SHARE on each",
					domain, domain);
	pgs_diag_note(ctx, d,
		      "adding a column of %s to an existing table rewrites the table (every row's "
		      "value is checked); changing a table CHECK needs neither",
		      domain);
	pgs_diag_help(ctx, d,
		      "if the rule may change, make %s a plain domain (or use the base type) and "
		      "put the CHECK on each column as a table constraint: it can be replaced one "
		      "table at a time, added NOT VALID and validated without blocking writes",
		      domain);
}

const struct pgs_rule pgs_rule_create_domain_with_check = {
	.id = "M511",
	.name = "create-domain-with-check",
	.severity = PGS_SEV_INFO,
	.summary = "a domain with a CHECK: changing the check later scans every table that uses it",
	.docs = "## Problem\n\n"
		"A domain's CHECK applies to every column of the domain, in every table. That\n"
		"is its point, and also its cost when the rule changes: `ALTER DOMAIN d ADD\n"
		"CONSTRAINT ... CHECK (...)` reads every one of those tables in full, holding\n"
		"SHARE on each (writes wait); with NOT VALID the later `VALIDATE CONSTRAINT`\n"
		"does the same scan, under the same SHARE locks before PostgreSQL 19. Adding\n"
		"a column of a domain with a CHECK to an existing table rewrites the table\n"
		"(`adding-column-rewrites-table`).\n\n"
		"A table CHECK constraint has neither cost: it is added `NOT VALID` and\n"
		"validated under SHARE UPDATE EXCLUSIVE (writes go on), one table at a time.\n\n"
		"This is advice (info): a domain whose rule will never change is fine.\n\n"
		"## Alternative\n\n"
		"Use the base type (or a domain without CHECK) and put the check on each\n"
		"column as a table constraint.\n",
	.example_bad = "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);",
	.example_good = "CREATE TABLE order_lines (\n"
			"    id bigint PRIMARY KEY,\n"
			"    quantity integer CONSTRAINT order_lines_quantity_check CHECK (quantity > 0)\n"
			");",
	.check = check,
};
