#include <stdio.h>

#include "core/duration.h"
#include "lint/rule.h"
#include "rules/rule_util.h"

#define LOCK_TIMEOUT_FIX "SET lock_timeout = '5s';"
#define MAX_LINES 4 /* lines of later statements listed in the note */

/* Carried through the file: what the reported finding still has to learn. */
struct state {
	uint32_t at;         /* where the fix inserts the SET */
	bool in_txn;         /* the reported statement runs in a transaction */
	size_t seen;         /* statements checked so far in the file */
	size_t before, after; /* statements before and after the reported one */
	size_t more;         /* later statements that also lock without a timeout */
	uint32_t lines[MAX_LINES];
	uint32_t concurrently_line; /* a later CONCURRENTLY statement the SET would reach */
	const char *concurrently_what;
};

/* Whether a lock_timeout other than 0 is in effect (unparsable values count). */
static bool timeout_in_effect(const struct pgs_setting *s)
{
	return s->value && pgs_duration_ms(s->value, NULL) != 0;
}

/* The strongest lock the statement takes that blocks traffic on an existing table. */
static const struct pgs_effect *blocking_lock(struct pgs_check *ctx)
{
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const struct pgs_effect *best = NULL;

	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (!pgs_rules_blocks_writes(e->lock) || !pgs_rules_is_existing(ctx, e))
			continue;
		if (!best || e->lock > best->lock)
			best = e;
	}
	return best;
}

static bool may_become_concurrent(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		return true;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return n->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		for (size_t i = 0; i < n->alter_table_stmt->n_cmds; i++)
			if (n->alter_table_stmt->cmds[i]->alter_table_cmd->subtype ==
			    PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition)
				return true;
		return false;
	default:
		return false;
	}
}

static void check(struct pgs_check *ctx)
{
	void **slot = pgs_check_state(ctx);
	struct state *st = *slot;
	const PgQuery__Node *node = pgs_check_node(ctx);
	const struct pgs_setting *setting = &pgs_check_model(ctx)->settings.lock_timeout;
	bool in_effect = timeout_in_effect(setting);

	if (!st)
		st = *slot = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*st));
	st->seen++;
	if (pgs_check_last_diag(ctx))
		st->after++;
	if (pgs_rules_is_concurrently(node)) {
		/* the SET the fix inserts would still hold here unless the file
		 * changed lock_timeout after that point */
		if (pgs_check_last_diag(ctx) && !st->concurrently_line && !in_effect &&
		    setting->offset <= st->at) {
			st->concurrently_line = pgs_check_pos(ctx, pgs_check_stmt(ctx)->span.start).line;
			st->concurrently_what = pgs_rules_stmt_name(node);
		}
		return; /* a short lock_timeout would leave an INVALID index behind */
	}
	const struct pgs_effect *e = blocking_lock(ctx);
	if (!e || in_effect)
		return;
	if (pgs_check_last_diag(ctx)) {
		/* reported at an earlier statement: count this one there */
		if (st->more < MAX_LINES)
			st->lines[st->more] = pgs_check_pos(ctx, pgs_check_stmt(ctx)->span.start).line;
		st->more++;
		return;
	}

	const char *label = pgs_check_relation_label(ctx, e->relation);
	const char *text = pgs_check_text(ctx);
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"%s takes %s on %s without a lock_timeout",
					pgs_rules_stmt_name(node), pgs_lock_name(e->lock), label);
	if (pgs_rules_blocks_reads(e->lock))
		pgs_diag_note(ctx, d,
			      "it first waits for every transaction still using %s, even a long "
			      "SELECT; meanwhile every later query on %s, reads included, queues "
			      "behind it",
			      label, label);
	else
		pgs_diag_note(ctx, d,
			      "it first waits for every open transaction that wrote to %s; "
			      "meanwhile every later write to %s queues behind it",
			      label, label);
	if (setting->value)
		pgs_diag_note(ctx, d, "lock_timeout is %s (set on line %u), and 0 disables the timeout",
			      setting->value, pgs_check_pos(ctx, setting->offset).line);
	else if (setting->offset)
		pgs_diag_note(ctx, d,
			      "line %u reset lock_timeout to the server's default, normally 0 (no "
			      "timeout)",
			      pgs_check_pos(ctx, setting->offset).line);
	pgs_diag_help(ctx, d,
		      "set a lock_timeout first (e.g. %s) and retry the migration when it times "
		      "out: the wait then blocks traffic for at most that long",
		      LOCK_TIMEOUT_FIX);

	struct pgs_rules_insertion ins = pgs_rules_insert_before(text, pgs_check_stmt(ctx));
	const char *eol = pgs_rules_newline(ctx);
	size_t seen = st->seen;
	memset(st, 0, sizeof(*st));
	st->seen = seen;
	st->before = seen - 1;
	st->at = ins.at;
	st->in_txn = pgs_check_txn(ctx)->active;
	/* safe or not is settled at the end of the file */
	pgs_diag_fix(ctx, d, "insert " LOCK_TIMEOUT_FIX " before the statement", true);
	pgs_diag_edit(ctx, d, (struct pgs_span){ins.at, ins.at},
		      pgs_arena_printf(pgs_check_arena(ctx), "%s%s", LOCK_TIMEOUT_FIX,
				       ins.on_own_line ? eol : " "));
	/* another rule's fix may make this very statement CONCURRENTLY (lint --fix
	 * applies both), and a short lock_timeout must not cover that */
	if (may_become_concurrent(pgs_check_node(ctx))) {
		d->fix->safe = false;
		pgs_diag_note(ctx, d,
			      "the fix is unsafe here: once this statement runs CONCURRENTLY (its "
			      "own fix), a timeout would leave an INVALID index or a half-done "
			      "operation behind");
	}
}

static void end_of_file(struct pgs_check *ctx)
{
	struct state *st = *pgs_check_state(ctx);
	struct pgs_diag *d = pgs_check_last_diag(ctx);
	char lines[64] = "";
	size_t used = 0;

	if (!st || !d)
		return;
	if (!st->in_txn && (st->before || st->after) && d->fix) {
		d->fix->safe = false;
		pgs_diag_note(ctx, d,
			      "the statement runs outside a transaction: if a statement of the file "
			      "times out, the ones before it stay applied, so the migration must be "
			      "safe to re-run (the fix is marked unsafe for that reason)");
	}
	if (st->more) {
		for (size_t i = 0; i < st->more && i < MAX_LINES; i++)
			used += (size_t)snprintf(lines + used, sizeof(lines) - used, "%s%u",
						 i ? ", " : "", st->lines[i]);
		pgs_diag_note(ctx, d,
			      "%zu more statement%s below also lock%s an existing table without a "
			      "lock_timeout (line%s %s%s); one SET before this statement covers them",
			      st->more, st->more == 1 ? "" : "s", st->more == 1 ? "s" : "",
			      st->more == 1 ? "" : "s", lines, st->more > MAX_LINES ? ", ..." : "");
	}
	if (st->concurrently_line && d->fix) {
		d->fix->safe = false;
		pgs_diag_note(ctx, d,
			      "%s on line %u would run with that lock_timeout too: if it times out "
			      "it leaves an INVALID index or a half-done detach behind; RESET "
			      "lock_timeout before it",
			      st->concurrently_what, st->concurrently_line);
	}
}

const struct pgs_rule pgs_rule_require_lock_timeout = {
	.id = "M302",
	.name = "require-lock-timeout",
	.severity = PGS_SEV_WARNING,
	.summary = "a statement that blocks reads or writes of an existing table runs without a "
		   "lock_timeout",
	.docs = "## Problem\n\n"
		"A statement that takes a lock conflicting with the application's traffic\n"
		"(SHARE or stronger blocks writes; ACCESS EXCLUSIVE, taken by most ALTER\n"
		"TABLE forms, DROP, TRUNCATE and LOCK, blocks reads too) must first get that\n"
		"lock. If another transaction holds a conflicting one (for ACCESS EXCLUSIVE\n"
		"even a plain SELECT in a long report, or a session idle in a transaction\n"
		"that read the table), the statement waits. While it waits, every later\n"
		"query that needs a conflicting lock queues behind it: the table is\n"
		"unavailable although the statement itself would take milliseconds. Without\n"
		"a `lock_timeout` the wait, and the outage, last as long as the oldest\n"
		"transaction.\n\n"
		"With `SET lock_timeout = '5s'` the statement gives up after 5 seconds, the\n"
		"queue drains, and the migration can be retried.\n\n"
		"pgstage reports the first such statement of a file, names the lock and the\n"
		"table, and counts the ones that follow. It follows the file's settings as\n"
		"PostgreSQL does: each migration file is its own session, so a\n"
		"`lock_timeout` set in an earlier file does not count; `lock_timeout = 0`\n"
		"(or `'0s'`) disables the timeout and does not count; `RESET lock_timeout`\n"
		"and `SET lock_timeout TO DEFAULT` return to the server's default (normally\n"
		"0); `SET LOCAL` lasts only until its transaction ends, and outside a\n"
		"transaction has no effect; `SELECT set_config('lock_timeout', '5s', false)`\n"
		"counts like SET (with `true` like SET LOCAL).\n\n"
		"Not reported: tables created earlier in the same file (nobody else uses them\n"
		"yet), statements whose locks don't block traffic (SHARE UPDATE EXCLUSIVE:\n"
		"VALIDATE CONSTRAINT, CREATE INDEX CONCURRENTLY, ...), and the CONCURRENTLY\n"
		"forms: they wait for other transactions in several phases, and a short\n"
		"lock_timeout there can leave an INVALID index or a half-detached partition\n"
		"behind; they need no lock_timeout because they block nobody while waiting.\n\n"
		"## Fix\n\n"
		"Set a lock_timeout before the statement, and retry the migration when it\n"
		"fails with \"canceling statement due to lock timeout\":\n\n"
		"    SET lock_timeout = '5s';\n"
		"    ALTER TABLE users ADD COLUMN nickname text;\n\n"
		"The fix inserts that SET just before the reported statement (above the\n"
		"comment lines that describe it, inside the tool's up section). It is marked\n"
		"safe when the statement runs in a transaction, where a timeout rolls the\n"
		"whole migration back. It is unsafe outside one (a timeout there leaves the\n"
		"statements before it applied, so the file must be re-runnable) and when a\n"
		"CONCURRENTLY statement later in the file would inherit the timeout.\n\n"
		"If your migration runner already sets lock_timeout for every migration,\n"
		"disable this rule (`--disable require-lock-timeout`).\n",
	.example_bad = "ALTER TABLE users ADD COLUMN nickname text;",
	.example_good = "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN nickname text;",
	.check = check,
	.end_of_file = end_of_file,
};
