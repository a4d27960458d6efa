#include <stdio.h>

#include "core/duration.h"
#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_LINES 4 /* lines of later statements listed in the note */

struct state {
	size_t more; /* later statements that also lack it */
	uint32_t lines[MAX_LINES];
};

/* The slow work (rewrite, else scan) done under a traffic-blocking lock on an existing table. */
static const struct pgs_effect *slow_under_lock(struct pgs_check *ctx)
{
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *best = NULL;

	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (!(e->rewrite || e->scan) || !pgs_rules_blocks_writes(e->lock) ||
		    !pgs_rules_is_existing(ctx, e))
			continue;
		if (!best || (e->rewrite && !best->rewrite) ||
		    (e->rewrite == best->rewrite && e->lock > best->lock))
			best = e;
	}
	return best;
}

static void check(struct pgs_check *ctx)
{
	void **slot = pgs_check_state(ctx);
	struct state *st = *slot;
	const struct pgs_setting *setting = &pgs_check_model(ctx)->settings.statement_timeout;
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (pgs_rules_is_concurrently(node))
		return;
	const struct pgs_effect *e = slow_under_lock(ctx);
	if (!e || (setting->value && pgs_duration_ms(setting->value, NULL) != 0))
		return;
	if (!st)
		st = *slot = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*st));
	if (pgs_check_last_diag(ctx)) {
		if (st->more < MAX_LINES)
			st->lines[st->more] = pgs_check_pos(ctx, pgs_check_stmt(ctx)->span.start).line;
		st->more++;
		return;
	}
	memset(st, 0, sizeof(*st));

	const char *label = pgs_check_relation_label(ctx, e->relation);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"%s %s %s under %s without a statement_timeout",
					pgs_rules_stmt_name(node), e->rewrite ? "rewrites" : "scans",
					label, pgs_lock_name(e->lock));
	pgs_diag_note(ctx, d,
		      "%s on %s stay blocked for as long as the %s takes, which grows with the "
		      "table; nothing stops it early",
		      pgs_lock_blocks(e->lock), label, e->rewrite ? "rewrite" : "scan");
	if (setting->value)
		pgs_diag_note(ctx, d, "statement_timeout is %s (set on line %u), and 0 disables it",
			      setting->value, pgs_check_pos(ctx, setting->offset).line);
	else if (setting->offset)
		pgs_diag_note(ctx, d,
			      "line %u reset statement_timeout to the server's default, normally 0 "
			      "(no timeout)",
			      pgs_check_pos(ctx, setting->offset).line);
	pgs_diag_help(ctx, d,
		      "avoid the %s under this lock if there is a staged way; otherwise cap the "
		      "outage with SET statement_timeout = '<the longest you accept>' before it: "
		      "when it hits, the statement is cancelled and rolled back, and traffic "
		      "resumes",
		      e->rewrite ? "rewrite" : "scan");
}

static void end_of_file(struct pgs_check *ctx)
{
	struct state *st = *pgs_check_state(ctx);
	struct pgs_diag *d = pgs_check_last_diag(ctx);
	char lines[64] = "";
	size_t used = 0;

	if (!st || !d || !st->more)
		return;
	for (size_t i = 0; i < st->more && i < MAX_LINES; i++)
		used += (size_t)snprintf(lines + used, sizeof(lines) - used, "%s%u", i ? ", " : "",
					 st->lines[i]);
	pgs_diag_note(ctx, d,
		      "%zu more statement%s below also rewrite%s or scan%s a table under such a "
		      "lock without a statement_timeout (line%s %s%s)",
		      st->more, st->more == 1 ? "" : "s", st->more == 1 ? "s" : "",
		      st->more == 1 ? "s" : "", st->more == 1 ? "" : "s", lines,
		      st->more > MAX_LINES ? ", ..." : "");
}

const struct pgs_rule pgs_rule_require_statement_timeout = {
	.id = "M303",
	.name = "require-statement-timeout",
	.severity = PGS_SEV_INFO,
	.summary = "a statement rewrites or scans an existing table under a lock that blocks "
		   "traffic, with no statement_timeout",
	.docs = "## Problem\n\n"
		"A statement that rewrites or scans a whole table (ALTER COLUMN TYPE, ADD\n"
		"COLUMN with a volatile default, SET NOT NULL, ADD CHECK or FOREIGN KEY\n"
		"without NOT VALID, CREATE INDEX, VACUUM FULL, CLUSTER, ...) while it holds a\n"
		"lock that blocks writes (or, under ACCESS EXCLUSIVE, reads too) keeps the\n"
		"table unavailable for as long as the work takes, which grows with the table\n"
		"and is hard to predict from a development database. Without a\n"
		"`statement_timeout` nothing ends it early.\n\n"
		"pgstage reports the first such statement of a file (on a table the file did\n"
		"not create) and counts the ones that follow. Settings follow the file's\n"
		"session as for require-lock-timeout: 0 disables the timeout, RESET returns\n"
		"to the server's default, SET LOCAL ends with its transaction. The\n"
		"CONCURRENTLY forms are not reported: they block no traffic, and a timeout\n"
		"would leave an INVALID index behind.\n\n"
		"The severity is info: the real fix is to avoid the rewrite or scan under the\n"
		"lock (the locking rules report those statements and their staged\n"
		"alternatives), and a good timeout value depends on the table's size, which\n"
		"pgstage does not know. There is no automatic fix for the same reason.\n\n"
		"## Fix\n\n"
		"Prefer a staged change that does not rewrite or scan under a blocking lock.\n"
		"Where the statement must run as it is, cap the outage you accept; if the\n"
		"timeout hits, the statement is cancelled and rolled back:\n\n"
		"    SET lock_timeout = '5s';\n"
		"    SET statement_timeout = '2min';\n"
		"    ALTER TABLE events ALTER COLUMN id TYPE bigint;\n",
	.example_bad = "ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;",
	.example_good = "SET statement_timeout = '2min';\n"
			"ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;",
	.check = check,
	.end_of_file = end_of_file,
};
