/*
 * pgstage trace: run the migration on a server in a transaction that is
 * rolled back (exec/trace.c) and print, per statement, what the server did
 * beside what explain predicts, flagging every disagreement.
 */
#include <stdio.h>
#include <string.h>

#include <pg_query.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/options.h"
#include "core/arena.h"
#include "exec/trace.h"
#include "lint/engine.h"

struct collected {
	struct pgs_arena arena;
	struct pgs_trace_statement *stmts;
	size_t n, cap;
};

static bool is_control(const PgQuery__Node *node)
{
	return node->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT;
}

/* The statements of a reported file, with explain's effects, kept past the report. */
static void collect(struct collected *c, const struct pgs_file_report *f)
{
	for (size_t i = 0; i < f->parsed.n_stmts; i++) {
		const struct pgs_stmt *s = &f->parsed.stmts[i];
		const struct pgs_effects *fx = &f->effects[i];
		if (!s->node)
			continue;
		struct pgs_trace_statement *t =
		    pgs_arena_push(&c->arena, (void **)&c->stmts, &c->n, &c->cap, sizeof(*t));
		struct pgs_pos pos = pgs_source_pos(&f->src, s->span.start);
		struct pgs_effect *copy = pgs_arena_array(&c->arena, fx->n ? fx->n : 1, sizeof(*copy));
		for (size_t k = 0; k < fx->n; k++) {
			copy[k] = fx->items[k];
			copy[k].relation = pgs_arena_strdup(&c->arena, fx->items[k].relation);
			copy[k].culprit = NULL;
		}
		*t = (struct pgs_trace_statement){
		    .sql = pgs_arena_strndup(&c->arena, f->src.text + s->span.start,
					     s->span.end - s->span.start),
		    .where = pgs_arena_printf(&c->arena, "%s:%u:%u", f->src.path, pos.line,
					      pos.column),
		    .predicted = copy,
		    .n_predicted = fx->n,
		    .no_transaction = fx->no_transaction,
		    .control = is_control(s->node),
		};
	}
}

static const char *lock_or_none(enum pgs_lock l)
{
	return l ? pgs_lock_name(l) : "no lock";
}

static void print_result(void *data, const struct pgs_trace_result *r)
{
	char sql[96];
	size_t n = 0;

	(void)data;
	for (const char *p = r->statement->sql; *p && n + 4 < sizeof(sql); p++)
		if (!(*p == '\n' || *p == '\t' || *p == ' ') || (n && sql[n - 1] != ' '))
			sql[n++] = *p == '\n' || *p == '\t' ? ' ' : *p;
	sql[n] = '\0';
	printf("%s: %s%s\n", r->statement->where, sql, r->statement->sql[n] ? " ..." : "");
	switch (r->outcome) {
	case PGS_TRACE_CONTROL:
		printf("    not run: transaction control (the trace runs everything in one "
		       "transaction, rolled back)\n");
		return;
	case PGS_TRACE_NOT_IN_TRANSACTION:
		printf("    not run: it can't run in a transaction block\n");
		for (size_t k = 0; k < r->statement->n_predicted; k++)
			printf("    %s: predicted %s\n", r->statement->predicted[k].relation,
			       pgs_lock_name(r->statement->predicted[k].lock));
		return;
	case PGS_TRACE_FAILED:
		printf("    failed: %s\n", r->message);
		return;
	case PGS_TRACE_RAN:
		break;
	}
	printf("    ran in %.1f ms\n", r->ms);
	for (size_t i = 0; i < r->n_relations; i++) {
		const struct pgs_trace_relation *x = &r->relations[i];
		printf("    %s: predicted %s%s%s%s", x->name,
		       x->predicted ? lock_or_none(x->predicted_lock) : "nothing",
		       x->predicted_rewrite ? ", rewrite" : "",
		       x->predicted_reindex ? ", index rebuild" : "",
		       x->predicted_scan ? ", scan" : "");
		if (x->observed || x->held_already || !x->why[0])
			printf(", observed %s%s%s%s",
			       x->held_already ? "the lock held already (by an earlier statement)"
					       : lock_or_none(x->observed_lock),
			       x->rewrite ? ", rewrite" : "", x->reindex ? ", index rebuild" : "",
			       x->scan ? ", scan" : "");
		if (x->disagrees)
			printf("\n    DISAGREES: %s: %s\n", x->name, x->why);
		else if (x->why[0])
			printf("; %s\n", x->why);
		else
			printf(" (agrees)\n");
	}
}

static int trace(struct pgs_cli_options *cli, const struct collected *c)
{
	struct pgs_trace_options o = {
	    .db = cli->db,
	    .pg_version = cli->lint.pg_version,
	    .force = cli->force,
	    .each = print_result,
	};
	struct pgs_error err;
	size_t failed = 0;
	long n = pgs_trace(&o, c->stmts, c->n, &failed, &err);

	if (n < 0) {
		pgs_cli_error("trace: %s", err.message);
		return PGS_EXIT_FINDINGS;
	}
	printf("%zu statement%s traced (rolled back): %ld disagreement%s with explain", c->n,
	       c->n == 1 ? "" : "s", n, n == 1 ? "" : "s");
	if (failed)
		printf("; %zu failed, not judged", failed);
	putchar('\n');
	return n || failed ? PGS_EXIT_FINDINGS : PGS_EXIT_CLEAN;
}

int pgs_cmd_trace(int argc, char **argv)
{
	struct pgs_cli_options cli;
	struct pgs_inputs inputs;
	struct collected c = {0};
	int rc = pgs_cli_options_parse(&cli, PGS_CMD_TRACE, PGS_ACCEPT_TRACE, argc, argv);

	if (rc != 0) {
		pgs_cli_options_release(&cli);
		return rc > 0 ? PGS_EXIT_CLEAN : PGS_EXIT_USAGE;
	}
	pgs_arena_init(&c.arena);
	pgs_inputs_init(&inputs);
	bool input_error = !pgs_cli_collect_inputs(&cli, &inputs, NULL);
	struct pgs_engine engine;

	cli.lint.no_rules = true;
	pgs_engine_init(&engine, &cli.lint);
	for (size_t i = 0; i < inputs.n && !input_error; i++) {
		struct pgs_file_report report;
		struct pgs_error err;

		if (pgs_engine_lint_file(&engine, inputs.items[i].path, inputs.items[i].context,
					 &report, &err) < 0) {
			pgs_cli_error("%s", err.message);
			input_error = true;
			continue;
		}
		if (!report.context)
			collect(&c, &report);
		pgs_file_report_release(&report);
	}
	if (engine.parsed_any)
		pg_query_exit();
	pgs_engine_release(&engine);
	rc = input_error ? PGS_EXIT_USAGE : trace(&cli, &c);
	pgs_arena_release(&c.arena);
	pgs_inputs_release(&inputs);
	pgs_cli_options_release(&cli);
	return rc;
}
