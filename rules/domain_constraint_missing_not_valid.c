#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_NAMED 4 /* tables named in the message and given a lock note each */

/* ALTER DOMAIN d ADD [CONSTRAINT c] CHECK (...) without NOT VALID, or NULL. */
static const PgQuery__Constraint *validating_check(const PgQuery__AlterDomainStmt *ad)
{
	if (!ad->subtype || ad->subtype[0] != 'C' || !ad->def ||
	    ad->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
		return NULL;
	const PgQuery__Constraint *c = ad->def->constraint;
	return c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK && !c->skip_validation ? c : NULL;
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT)
		return;
	const PgQuery__AlterDomainStmt *ad = node->alter_domain_stmt;
	const PgQuery__Constraint *c = validating_check(ad);
	if (!c)
		return;

	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const char *key = pgs_model_key_from_names(model, ad->type_name, ad->n_type_name);
	bool known = key && pgs_strmap_get(&model->domains, key);
	const char *domain = ad->n_type_name
				 ? pgs_check_quote(ctx, pgs_node_string(ad->type_name[ad->n_type_name - 1]))
				 : "the domain";
	/* the tables effects scan for it: those with a column of the domain, minus new ones */
	const struct pgs_effect *scanned[MAX_NAMED];
	const char *keys[MAX_NAMED];
	size_t n = 0, more = 0;
	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (!e->scan || !pgs_lock_blocks(e->lock) || !pgs_rules_is_existing(ctx, e))
			continue;
		if (n < MAX_NAMED) {
			scanned[n] = e;
			keys[n++] = e->relation;
		} else {
			more++;
		}
	}
	/* a domain the history knows is used by the tables it knows (none here that
	 * existed before the file); one it doesn't know may be used anywhere */
	if (!n && known)
		return;

	const char *named = c->conname && *c->conname ? pgs_check_quote(ctx, c->conname) : NULL;
	const char *what = pgs_arena_printf(pgs_check_arena(ctx), "ALTER DOMAIN %s ADD %s%sCHECK",
					    domain, named ? "CONSTRAINT " : "",
					    named ? pgs_arena_printf(pgs_check_arena(ctx), "%s ", named)
						  : "");
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_diag *d;
	if (n) {
		const char *list = pgs_rules_join_relations(ctx, keys, n, more == 0);
		if (more)
			list = pgs_arena_printf(pgs_check_arena(ctx), "%s and %zu more table%s", list,
						more, more > 1 ? "s" : "");
		d = pgs_report(ctx, span,
			       "%s without NOT VALID checks every value of %s in %s, holding %s on "
			       "each: %s wait until the scan ends",
			       what, domain, list, pgs_lock_name(scanned[0]->lock),
			       pgs_lock_blocks(scanned[0]->lock));
		for (size_t i = 0; i < n; i++)
			pgs_diag_note_lock(ctx, d, scanned[i]);
	} else {
		d = pgs_report(ctx, span,
			       "%s without NOT VALID checks every value of %s in every table with a "
			       "column of it, holding %s on each: writes wait until the scan ends",
			       what, domain, pgs_lock_name(PGS_LOCK_SHARE));
		pgs_diag_note(ctx, d, "which tables use %s is not known here: give --context the "
				      "schema to have them named",
			      domain);
	}

	const char *validate = pgs_arena_printf(pgs_check_arena(ctx),
						"ALTER DOMAIN %s VALIDATE CONSTRAINT %s", domain,
						named ? named : "<name>");
	if (pgs_check_pg_version(ctx) >= 19)
		pgs_diag_help(ctx, d,
			      "%sadd it NOT VALID (no scan; new values are checked at once), then in a "
			      "later transaction %s: from PostgreSQL 19 it takes SHARE UPDATE "
			      "EXCLUSIVE, so writes go on",
			      named ? "" : "name the constraint, ", validate);
	else
		pgs_diag_help(ctx, d,
			      "%sadd it NOT VALID (no scan; new values are checked at once) and run %s "
			      "later, alone in its transaction at a quiet time: before PostgreSQL 19 it "
			      "holds the same SHARE locks while it scans. To keep writes going, check "
			      "the columns with table CHECK constraints instead (NOT VALID, then "
			      "VALIDATE under SHARE UPDATE EXCLUSIVE)",
			      named ? "" : "name the constraint, ", validate);
	/* Unsafe: existing values are not checked until the VALIDATE runs. */
	pgs_diag_fix(ctx, d, "add NOT VALID (VALIDATE CONSTRAINT it in a later transaction)", false);
	pgs_diag_edit(ctx, d, (struct pgs_span){span.end, span.end}, " NOT VALID");
}

const struct pgs_rule pgs_rule_domain_constraint_missing_not_valid = {
	.id = "M125",
	.name = "domain-constraint-missing-not-valid",
	.severity = PGS_SEV_WARNING,
	.summary = "ALTER DOMAIN ... ADD CHECK without NOT VALID scans every table using the domain "
		   "under SHARE",
	.docs = "## Problem\n\n"
		"`ALTER DOMAIN d ADD CONSTRAINT c CHECK (...)` checks every stored value of the\n"
		"domain: each table with a column of `d` is locked in SHARE (writes wait, reads\n"
		"go on) and read in full, all of them until the statement ends, and inside a\n"
		"transaction until it commits. pgstage names the tables the history or\n"
		"`--context` knows; tables created earlier in the same file are not counted,\n"
		"and a domain the history knows that no such table uses is not reported.\n\n"
		"## Safe alternative\n\n"
		"`ALTER DOMAIN d ADD CONSTRAINT c CHECK (...) NOT VALID` scans nothing: new\n"
		"values are checked at once, stored ones are not. `ALTER DOMAIN d VALIDATE\n"
		"CONSTRAINT c` checks them later:\n\n"
		"- from PostgreSQL 19 under SHARE UPDATE EXCLUSIVE: reads and writes go on;\n"
		"- before 19 it takes the same SHARE lock on every table while it scans (seen\n"
		"  on PostgreSQL 15). Run it alone in its own transaction at a quiet time, or\n"
		"  check the columns with table constraints instead: `ALTER TABLE t ADD\n"
		"  CONSTRAINT ... CHECK (...) NOT VALID`, then `VALIDATE CONSTRAINT` under SHARE\n"
		"  UPDATE EXCLUSIVE, one table at a time.\n\n"
		"The fix appends NOT VALID. It is marked unsafe: stored values stay unchecked\n"
		"until the VALIDATE CONSTRAINT, which must follow in a later transaction.\n",
	.example_bad = "ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_check\n"
		       "    CHECK (VALUE > 0);",
	.example_good = "ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_check\n"
			"    CHECK (VALUE > 0) NOT VALID;",
	.check = check,
};
