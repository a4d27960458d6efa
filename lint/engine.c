#include "lint/engine.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint/ignore.h"
#include "lint/tool_files.h"
#include "core/lexer.h"
#include "core/plpgsql.h"
#include "core/quote.h"
#include "rules/registry.h"

struct pgs_check {
	struct pgs_engine *engine;
	struct pgs_file_report *file;
	const struct pgs_stmt *stmt;
	size_t stmt_index;
	struct pgs_effects effects;
	const struct pgs_rule *rule;
	size_t rule_index;
	void **rule_state; /* one slot per rule, for the file being linted */
	size_t *last_seq;  /* per rule: 1 + seq of its latest finding in the file, 0 if none */
	size_t *kept_seq;  /* the same, of the latest that no directive suppressed */
	/* the actions of stmt (pgs_check_cmd_span), split once per statement */
	const struct pgs_stmt *cmds_of;
	struct pgs_span *cmd_spans;
	size_t n_cmd_spans, cap_cmd_spans;
	struct pgs_txn txn;
	/* txn's locks by relation (struct pgs_txn_relation), and its existing
	 * relations by the mode of their strongest lock (lists in the order
	 * they got that mode) */
	struct pgs_strmap txn_relations;
	struct pgs_txn_relation *by_mode[PGS_LOCK_ACCESS_EXCLUSIVE + 1];
	struct pgs_txn_relation *by_mode_tail[PGS_LOCK_ACCESS_EXCLUSIVE + 1];
};

void pgs_engine_init(struct pgs_engine *engine, const struct pgs_lint_options *opts)
{
	memset(engine, 0, sizeof(*engine));
	engine->opts = *opts;
	pgs_model_init(&engine->model);
	pgs_overlap_init(&engine->overlap);
}

void pgs_engine_release(struct pgs_engine *engine)
{
	pgs_overlap_release(&engine->overlap);
	pgs_model_release(&engine->model);
}

void pgs_file_report_release(struct pgs_file_report *report)
{
	pgs_arena_release(&report->arena);
	memset(report, 0, sizeof(*report));
}

int pgs_file_report_max_severity(const struct pgs_file_report *report)
{
	int max = -1;

	for (size_t i = 0; i < report->diags.n; i++)
		if ((int)report->diags.items[i].severity > max)
			max = (int)report->diags.items[i].severity;
	return max;
}

/* ---- the API rules use (lint/rule.h) ---- */

const struct pgs_stmt *pgs_check_stmt(const struct pgs_check *ctx)
{
	return ctx->stmt;
}

const PgQuery__Node *pgs_check_node(const struct pgs_check *ctx)
{
	return ctx->stmt->node;
}

/* Index of the statement whose span holds offset, or n_stmts when none does. */
static size_t stmt_index_at(const struct pgs_parsed *parsed, uint32_t offset)
{
	size_t lo = 0, hi = parsed->n_stmts;

	/* statements are in source order and don't overlap */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (parsed->stmts[mid].span.end < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < parsed->n_stmts && parsed->stmts[lo].span.start <= offset)
		return lo;
	return parsed->n_stmts;
}

const struct pgs_stmt *pgs_check_stmt_at(const struct pgs_check *ctx, uint32_t offset)
{
	size_t i = stmt_index_at(&ctx->file->parsed, offset);

	return i < ctx->file->parsed.n_stmts ? &ctx->file->parsed.stmts[i] : NULL;
}

const char *pgs_check_text(const struct pgs_check *ctx)
{
	return ctx->file->analysed;
}

uint32_t pgs_check_text_len(const struct pgs_check *ctx)
{
	return ctx->file->src.len;
}

const struct pgs_effects *pgs_check_effects(const struct pgs_check *ctx)
{
	return &ctx->effects;
}

const struct pgs_effect *pgs_check_main_effect(const struct pgs_check *ctx)
{
	return ctx->effects.n ? &ctx->effects.items[0] : NULL;
}

struct pgs_arena *pgs_check_arena(const struct pgs_check *ctx)
{
	return &ctx->file->arena;
}

const PgQuery__AlterTableStmt *pgs_check_alter_existing_table(const struct pgs_check *ctx,
							      const struct pgs_effect **effect)
{
	const PgQuery__Node *node = ctx->stmt->node;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);

	*effect = NULL;
	if (!node || node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !e ||
	    pgs_check_created_in_this_file(ctx, e->relation))
		return NULL;
	*effect = e;
	return node->alter_table_stmt;
}

struct pgs_model *pgs_check_model(const struct pgs_check *ctx)
{
	return &ctx->engine->model;
}

bool pgs_check_created_in_this_file(const struct pgs_check *ctx, const char *relation)
{
	struct pgs_table *t = pgs_strmap_get(&ctx->engine->model.tables, relation);

	return t && t->created_in != 0 && t->created_in == ctx->engine->model.file_number;
}

const struct pgs_txn *pgs_check_txn(const struct pgs_check *ctx)
{
	return &ctx->txn;
}

const struct pgs_txn_relation *pgs_check_txn_relation(const struct pgs_check *ctx,
						      const char *relation)
{
	return pgs_strmap_get(&ctx->txn_relations, relation);
}

const struct pgs_txn_relation *pgs_check_txn_strongest(const struct pgs_check *ctx,
						       bool (*skip)(void *data,
								    const struct pgs_txn_relation *r),
						       void *data)
{
	for (int mode = PGS_LOCK_ACCESS_EXCLUSIVE; mode > PGS_LOCK_NONE; mode--)
		for (const struct pgs_txn_relation *r = ctx->by_mode[mode]; r; r = r->next)
			if (!skip || !skip(data, r))
				return r;
	return NULL;
}

size_t pgs_check_stmts_after(const struct pgs_check *ctx)
{
	return ctx->stmt ? ctx->file->parsed.n_stmts - 1 - ctx->stmt_index : 0;
}

void **pgs_check_state(struct pgs_check *ctx)
{
	return &ctx->rule_state[ctx->rule_index];
}

struct pgs_diag *pgs_check_last_diag(struct pgs_check *ctx)
{
	size_t want = ctx->last_seq[ctx->rule_index];
	struct pgs_diags *diags = &ctx->file->diags;

	if (!want)
		return NULL;
	/* diagnostics stay in seq order (suppression only removes): bisect */
	size_t lo = 0, hi = diags->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (diags->items[mid].seq < want - 1)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* suppression sets last_seq back to a finding that was kept */
	if (lo < diags->n && diags->items[lo].seq == want - 1 &&
	    diags->items[lo].rule == ctx->rule)
		return &diags->items[lo];
	return NULL;
}

enum pgs_tool pgs_check_tool(const struct pgs_check *ctx)
{
	return ctx->file->sections.tool;
}

bool pgs_check_multi_statement(const struct pgs_check *ctx)
{
	return ctx->file->sections.txn == PGS_TXN_MULTI_STATEMENT;
}

const char *pgs_check_path(const struct pgs_check *ctx)
{
	return ctx->file->src.path;
}

struct pgs_pos pgs_check_pos(const struct pgs_check *ctx, uint32_t offset)
{
	return pgs_source_pos(&ctx->file->src, offset);
}

struct pgs_span pgs_check_line(const struct pgs_check *ctx, uint32_t line)
{
	return pgs_source_line(&ctx->file->src, line);
}

int pgs_check_pg_version(const struct pgs_check *ctx)
{
	return ctx->engine->opts.pg_version;
}

static struct pgs_diag *new_diag(struct pgs_file_report *file, const struct pgs_rule *rule,
				 struct pgs_span span)
{
	struct pgs_diag *d = pgs_arena_push(&file->arena, (void **)&file->diags.items,
					    &file->diags.n, &file->diags.cap, sizeof(*d));
	d->rule = rule;
	d->severity = rule->severity;
	d->span = span;
	d->seq = file->n_seq++;
	return d;
}

struct pgs_diag *pgs_report(struct pgs_check *ctx, struct pgs_span span, const char *fmt, ...)
{
	struct pgs_diag *d = new_diag(ctx->file, ctx->rule, span);
	va_list ap;

	ctx->last_seq[ctx->rule_index] = d->seq + 1;
	va_start(ap, fmt);
	d->message = pgs_arena_vprintf(&ctx->file->arena, fmt, ap);
	va_end(ap);
	return d;
}

void pgs_diag_note(struct pgs_check *ctx, struct pgs_diag *d, const char *fmt, ...)
{
	va_list ap;

	if (d->n_notes == PGS_DIAG_MAX_NOTES)
		return;
	va_start(ap, fmt);
	d->notes[d->n_notes++] = pgs_arena_vprintf(&ctx->file->arena, fmt, ap);
	va_end(ap);
}

void pgs_diag_help(struct pgs_check *ctx, struct pgs_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	d->help = pgs_arena_vprintf(&ctx->file->arena, fmt, ap);
	va_end(ap);
}

void pgs_diag_fix(struct pgs_check *ctx, struct pgs_diag *d, const char *title, bool safe)
{
	d->fix = pgs_arena_alloc(&ctx->file->arena, sizeof(*d->fix));
	d->fix->title = pgs_arena_strdup(&ctx->file->arena, title);
	d->fix->safe = safe;
}

void pgs_diag_edit(struct pgs_check *ctx, struct pgs_diag *d, struct pgs_span span,
		   const char *text)
{
	struct pgs_edit *e = pgs_arena_push(&ctx->file->arena, (void **)&d->fix->edits,
					    &d->fix->n_edits, &d->fix->cap, sizeof(*e));
	e->span = span;
	e->text = pgs_arena_strdup(&ctx->file->arena, text);
}

const char *pgs_check_relation_label(struct pgs_check *ctx, const char *relation)
{
	return pgs_quote_relation(&ctx->file->arena, relation);
}

const char *pgs_check_quote(struct pgs_check *ctx, const char *name)
{
	return pgs_quote_ident(&ctx->file->arena, name);
}

static void add_cmd_span(struct pgs_check *ctx, struct pgs_span part)
{
	struct pgs_span *slot = pgs_arena_push(&ctx->file->arena, (void **)&ctx->cmd_spans,
					       &ctx->n_cmd_spans, &ctx->cap_cmd_spans, sizeof(*slot));
	*slot = part;
}

/* Split the statement into its top-level comma-separated parts, once. */
static void split_cmds(struct pgs_check *ctx)
{
	const char *text = ctx->file->analysed;
	struct pgs_span stmt = ctx->stmt->span, part = stmt;
	struct pgs_token tok;
	uint32_t pos = stmt.start;
	int depth = 0;

	ctx->cmds_of = ctx->stmt;
	ctx->n_cmd_spans = 0;
	while (pos < stmt.end) {
		pos = pgs_lex(text, pos, stmt.end, &tok);
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE)
			depth--;
		else if (tok.kind == PGS_TOK_OTHER && depth == 0 && text[tok.start] == ',') {
			part.end = pgs_last_token_end(text, part.start, tok.start);
			add_cmd_span(ctx, part);
			part.start = pgs_skip_space_and_comments(text, tok.end, stmt.end);
			part.end = stmt.end;
		}
	}
	add_cmd_span(ctx, part);
}

struct pgs_span pgs_check_cmd_span(const struct pgs_check *ctx, size_t index)
{
	/* the split is a cache: the statement is the same for every caller */
	struct pgs_check *self = (struct pgs_check *)ctx;

	if (ctx->cmds_of != ctx->stmt)
		split_cmds(self);
	return index < ctx->n_cmd_spans ? ctx->cmd_spans[index] : ctx->stmt->span;
}

void pgs_diag_note_lock(struct pgs_check *ctx, struct pgs_diag *d, const struct pgs_effect *e)
{
	const char *blocks = pgs_lock_blocks(e->lock);
	const char *label = pgs_check_relation_label(ctx, e->relation);

	if (!blocks)
		return;
	if (e->rewrite)
		pgs_diag_note(ctx, d, "rewrites %s%s under %s: blocks %s until done", label,
			      e->reindex ? " and its indexes" : "", pgs_lock_name(e->lock), blocks);
	else if (e->scan)
		pgs_diag_note(ctx, d, "scans all of %s under %s: blocks %s until done", label,
			      pgs_lock_name(e->lock), blocks);
	else
		pgs_diag_note(ctx, d, "takes %s on %s: blocks %s while held", pgs_lock_name(e->lock),
			      label, blocks);
}

void pgs_diag_note_other_locks(struct pgs_check *ctx, struct pgs_diag *d,
			       const struct pgs_effect *main)
{
	for (size_t i = 0; i < ctx->effects.n; i++) {
		const struct pgs_effect *e = &ctx->effects.items[i];

		if (e == main || !pgs_lock_blocks(e->lock) ||
		    pgs_check_created_in_this_file(ctx, e->relation))
			continue;
		pgs_diag_note_lock(ctx, d, e);
	}
}

/* ---- linting a file ---- */

/*
 * Words of PostgreSQL 16+ syntax the 15 grammar rejects (VIRTUAL generated
 * columns, NOT ENFORCED, WITHOUT OVERLAPS, PERIOD, SET EXPRESSION, the
 * MAINTAIN privilege, SQL/JSON constructors and IS JSON, SPLIT/MERGE
 * PARTITION). Only words at or just before the error count, so a column
 * named "period" elsewhere in the statement does not.
 */
static const char *const newer_syntax[] = {
	"virtual",	"enforced",	 "overlaps",	   "period",	 "expression",
	"maintain",	"json_table",	 "json_object",	   "json_array", "json_objectagg",
	"json_arrayagg", "json_query",	 "json_value",	   "json_exists", "json_serialize",
	"json_scalar",	"json",		 "split",	   "partitions",
};

#define NEWER_SYNTAX_WINDOW 4 /* tokens before the error that are looked at */

static const char *newer_word(const char *text, const struct pgs_token *tok)
{
	for (size_t i = 0; i < sizeof(newer_syntax) / sizeof(newer_syntax[0]); i++)
		if (pgs_token_is(text, tok, newer_syntax[i]))
			return newer_syntax[i];
	return NULL;
}

/* The newer-syntax word at the error or among the few tokens before it, if any. */
static const char *newer_syntax_word(const char *text, struct pgs_span stmt, uint32_t at)
{
	struct pgs_token window[NEWER_SYNTAX_WINDOW + 1], tok;
	size_t n = 0;

	for (uint32_t pos = stmt.start; pos < stmt.end;) {
		pos = pgs_lex(text, pos, stmt.end, &tok);
		if (tok.kind == PGS_TOK_SPACE || tok.kind == PGS_TOK_COMMENT)
			continue;
		if (tok.start > at)
			break;
		window[n++ % (NEWER_SYNTAX_WINDOW + 1)] = tok;
	}
	for (size_t i = 0; i < n && i <= NEWER_SYNTAX_WINDOW; i++) {
		const char *word = newer_word(text, &window[(n - 1 - i) % (NEWER_SYNTAX_WINDOW + 1)]);
		if (word)
			return word;
	}
	return NULL;
}

/* The parser's message on one line: a quoted unterminated string may run on. */
static const char *one_line(struct pgs_arena *arena, const char *message)
{
	const char *nl = strpbrk(message, "\r\n");

	if (!nl)
		return message;
	/* keep the closing quote of 'at or near "..."' readable */
	return pgs_arena_printf(arena, "%.*s...\"", (int)(nl - message), message);
}

static void report_syntax_error(struct pgs_engine *engine, struct pgs_file_report *file,
				const struct pgs_stmt *stmt)
{
	struct pgs_token tok;
	uint32_t at = stmt->error_offset;
	struct pgs_span span = {at, at};

	if (at < stmt->span.end) {
		pgs_lex(file->analysed, at, stmt->span.end, &tok);
		span.end = tok.kind == PGS_TOK_UNTERMINATED ? at + 1 : tok.end;
	}
	struct pgs_diag *d = new_diag(file, &pgs_rule_syntax_error, span);
	d->message = one_line(&file->arena, stmt->error);

	const char *word = newer_syntax_word(file->analysed, stmt->span, at);
	/* for a newer server the statement may well be valid: it could not be
	 * checked, which is worth a note, not a failed CI run */
	if (engine->opts.pg_version >= 16) {
		d->severity = PGS_SEV_INFO;
		d->message = pgs_arena_printf(&file->arena,
					      "not checked: the statement does not parse with "
					      "PostgreSQL 15's grammar (%s), which PostgreSQL %d may "
					      "accept",
					      d->message, engine->opts.pg_version);
	}
	if (word || engine->opts.pg_version >= 16) {
		d->notes[d->n_notes++] =
			word ? pgs_arena_printf(&file->arena,
						"pgstage parses with PostgreSQL 15's grammar; "
						"if \"%s\" here is PostgreSQL 16+ syntax, it is not "
						"understood yet",
						word)
			     : "pgstage parses with PostgreSQL 15's grammar; syntax added in "
			       "PostgreSQL 16 or later does not parse";
	}
	d->help = "the statement is skipped; the rest of the file is still checked";
}

static void unlink_mode(struct pgs_check *ctx, struct pgs_txn_relation *r, enum pgs_lock mode)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		ctx->by_mode[mode] = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		ctx->by_mode_tail[mode] = r->prev;
	r->prev = r->next = NULL;
}

static void append_mode(struct pgs_check *ctx, struct pgs_txn_relation *r, enum pgs_lock mode)
{
	r->prev = ctx->by_mode_tail[mode];
	if (r->prev)
		r->prev->next = r;
	else
		ctx->by_mode[mode] = r;
	ctx->by_mode_tail[mode] = r;
}

/* File the lock just added at txn.locks[i] under its relation. */
static void index_lock(struct pgs_check *ctx, size_t i)
{
	struct pgs_txn *txn = &ctx->txn;
	const struct pgs_txn_lock *l = &txn->locks[i];
	struct pgs_txn_relation *r = pgs_strmap_get(&ctx->txn_relations, l->relation);

	if (!r) {
		r = pgs_arena_alloc(&ctx->file->arena, sizeof(*r));
		r->relation = l->relation;
		r->new_here = l->new_here;
		r->first = r->strongest = i;
		pgs_strmap_put(&ctx->txn_relations, r->relation, r);
		if (!r->new_here) {
			txn->n_existing++;
			append_mode(ctx, r, l->lock);
		}
	} else if (l->lock > txn->locks[r->strongest].lock) {
		if (!r->new_here) {
			unlink_mode(ctx, r, txn->locks[r->strongest].lock);
			append_mode(ctx, r, l->lock);
		}
		r->strongest = i;
	}
	r->n_by_mode[l->lock]++;
	if (!r->new_here)
		txn->n_existing_locks++;
}

/* Remember the strong locks a statement took, for the rest of its transaction. */
static void record_locks(struct pgs_check *ctx, const struct pgs_effects *fx, uint32_t offset)
{
	struct pgs_engine *engine = ctx->engine;
	struct pgs_txn *txn = &ctx->txn;

	for (size_t i = 0; i < fx->n; i++) {
		const struct pgs_effect *e = &fx->items[i];
		if (e->lock < PGS_LOCK_SHARE)
			continue;
		/* SHARE and stronger keep other sessions' writes out until the end */
		if (pgs_lock_conflicts(e->lock, PGS_LOCK_ROW_EXCLUSIVE))
			pgs_model_note_write_lock(&engine->model, e->relation);
		struct pgs_txn_lock *l = pgs_arena_push(&ctx->file->arena, (void **)&txn->locks,
							&txn->n_locks, &txn->cap_locks,
							sizeof(*l));
		struct pgs_table *t = pgs_strmap_get(&engine->model.tables, e->relation);
		l->relation = e->relation;
		l->lock = e->lock;
		l->rewrite = e->rewrite;
		l->scan = e->scan;
		/* the model learns of a table the statement creates only after it */
		l->new_here = t ? t->created_in && t->created_in == engine->model.file_number
				: e->is_new;
		l->offset = offset;
		index_lock(ctx, txn->n_locks - 1);
	}
}

static void forget_locks(struct pgs_check *ctx)
{
	ctx->txn.locks = NULL;
	ctx->txn.n_locks = ctx->txn.cap_locks = 0;
	ctx->txn.n_existing = ctx->txn.n_existing_locks = 0;
	/* a map that has grown is cleared, not kept: each of the many
	 * autocommit statements of a file starts from an empty one */
	if (ctx->txn_relations.n)
		pgs_strmap_release(&ctx->txn_relations);
	memset(ctx->by_mode, 0, sizeof(ctx->by_mode));
	memset(ctx->by_mode_tail, 0, sizeof(ctx->by_mode_tail));
}

/* Update the transaction state after a statement ran. */
static void track_transaction(struct pgs_check *ctx, const struct pgs_stmt *stmt,
			      enum pgs_tool_txn tool_txn)
{
	struct pgs_txn *txn = &ctx->txn;

	txn->n_statements++;
	if (!stmt->node || stmt->node->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return;
	switch (stmt->node->transaction_stmt->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		if (!txn->active || txn->by_tool) {
			if (!txn->active)
				forget_locks(ctx);
			txn->active = true;
			txn->by_tool = txn->by_option = false;
			txn->opened_by = stmt->node->transaction_stmt->kind ==
							 PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START
						 ? "START TRANSACTION"
						 : "BEGIN";
			txn->began_at = stmt->span.start;
			txn->n_statements = 0;
		}
		break;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		/* In one multi-statement message, what follows a COMMIT is again
		 * one implicit transaction. */
		txn->active = tool_txn == PGS_TXN_MULTI_STATEMENT;
		txn->by_tool = txn->active;
		txn->began_at = stmt->span.end;
		txn->n_statements = 0;
		forget_locks(ctx);
		break;
	default:
		break;
	}
}

/* COMMIT, ROLLBACK or PREPARE TRANSACTION: the statement ends a transaction. */
static bool ends_transaction(const struct pgs_stmt *stmt)
{
	if (!stmt->node || stmt->node->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return false;
	switch (stmt->node->transaction_stmt->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		return true;
	default:
		return false;
	}
}

static bool rule_enabled(const struct pgs_engine *engine, size_t i)
{
	return !engine->opts.rule_disabled || !engine->opts.rule_disabled[i];
}

static bool enabled(const struct pgs_engine *engine, const struct pgs_rule *rule)
{
	return rule_enabled(engine, pgs_rule_index(rule));
}

static int by_position(const void *pa, const void *pb)
{
	const struct pgs_diag *a = pa, *b = pb;

	if (a->span.start != b->span.start)
		return a->span.start < b->span.start ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * Drop the diagnostics from index first on that a directive suppresses; a
 * rule whose latest finding goes has its latest kept one as latest again.
 */
static void suppress(struct pgs_check *ctx, size_t first, struct pgs_ignores *stmt_ignores,
		     struct pgs_ignores *file_ignores)
{
	struct pgs_file_report *file = ctx->file;
	size_t kept = first;

	for (size_t i = first; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		bool by_stmt = pgs_ignore_match(stmt_ignores, d->rule);
		bool by_file = pgs_ignore_match(file_ignores, d->rule);
		size_t r = pgs_rule_index(d->rule);

		if (!by_stmt && !by_file) {
			ctx->kept_seq[r] = d->seq + 1;
			file->diags.items[kept++] = *d;
		} else if (ctx->last_seq[r] == d->seq + 1) {
			ctx->last_seq[r] = ctx->kept_seq[r];
		}
	}
	file->diags.n = kept;
}

/*
 * Drop the end-of-file diagnostics from index first on that a directive
 * suppresses: the file's, or the one above the statement the finding is in.
 */
static void suppress_at_end(struct pgs_file_report *file, size_t first,
			    struct pgs_ignores *stmt_ignores, struct pgs_ignores *file_ignores)
{
	size_t kept = first;

	for (size_t i = first; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		size_t k = stmt_index_at(&file->parsed, d->span.start);
		bool by_stmt = k < file->parsed.n_stmts && pgs_ignore_match(&stmt_ignores[k], d->rule);
		bool by_file = pgs_ignore_match(file_ignores, d->rule);

		if (!by_stmt && !by_file)
			file->diags.items[kept++] = file->diags.items[i];
	}
	file->diags.n = kept;
}

/* invalid-ignore for malformed directives, unused-ignore for idle ones. */
static void report_directives(struct pgs_engine *engine, struct pgs_file_report *file,
			      struct pgs_ignores *list)
{
	for (size_t i = 0; i < list->n; i++) {
		struct pgs_ignore *ig = &list->items[i];

		if (ig->error) {
			if (enabled(engine, &pgs_rule_invalid_ignore))
				new_diag(file, &pgs_rule_invalid_ignore, ig->span)->message = ig->error;
			continue;
		}
		for (size_t k = 0; k < ig->n_rules; k++) {
			if (ig->used[k] || !enabled(engine, ig->rules[k]) ||
			    !enabled(engine, &pgs_rule_unused_ignore))
				continue;
			struct pgs_diag *d = new_diag(file, &pgs_rule_unused_ignore, ig->span);
			d->message = pgs_arena_printf(
				&file->arena, "%s suppresses %s, which reports nothing %s",
				ig->file_wide ? "pgstage-ignore-file" : "pgstage-ignore",
				ig->rules[k]->name,
				ig->file_wide ? "in this file" : "for the next statement");
			d->help = ig->file_wide ? "remove the comment"
						: "remove the comment, or move it above the statement "
						  "it is for";
		}
	}
}

static void run_rules(struct pgs_engine *engine, struct pgs_check *ctx)
{
	for (size_t r = 0; r < pgs_n_rules && !engine->opts.no_rules; r++) {
		if (!pgs_rules[r]->check || !rule_enabled(engine, r))
			continue;
		ctx->rule = pgs_rules[r];
		ctx->rule_index = r;
		pgs_rules[r]->check(ctx);
	}
}

/* Fold a nested statement's effects into the effects of the DO block holding it. */
static void merge_effects(struct pgs_arena *arena, struct pgs_effects *into,
			  const struct pgs_effects *from)
{
	for (size_t i = 0; i < from->n; i++) {
		const struct pgs_effect *e = &from->items[i];
		struct pgs_effect *m = NULL;

		for (size_t k = 0; k < into->n && !m; k++)
			if (strcmp(into->items[k].relation, e->relation) == 0)
				m = &into->items[k];
		if (!m) {
			m = pgs_arena_push(arena, (void **)&into->items, &into->n, &into->cap,
					   sizeof(*m));
			*m = *e;
			continue;
		}
		if (e->lock > m->lock)
			m->lock = e->lock;
		m->rewrite |= e->rewrite;
		m->reindex |= e->reindex;
		m->scan |= e->scan;
		m->assumed |= e->assumed;
	}
	into->no_transaction |= from->no_transaction;
}

/* Record what a statement does in the model (and, for context files, in the context's own). */
static void apply(struct pgs_engine *engine, const struct pgs_file_report *file,
		  const PgQuery__Node *node, uint32_t offset)
{
	pgs_overlap_apply(&engine->overlap, node, offset, file->context);
	pgs_model_apply(&engine->model, node, offset);
}

/*
 * The first statement of a reported file whose effect the context already
 * has: remembered in the report, and a finding when the rule is on.
 */
static void find_overlap(struct pgs_engine *engine, struct pgs_file_report *file,
			 struct pgs_check *ctx)
{
	if (file->context || file->overlap.what)
		return;
	struct pgs_overlap_hit h = pgs_overlap_find(&engine->overlap, &engine->model, ctx->stmt,
						    file->analysed, &file->arena);
	if (!h.what)
		return;
	file->overlap.what = h.what;
	file->overlap.span = h.action >= 0 ? pgs_check_cmd_span(ctx, (size_t)h.action)
					   : ctx->stmt->span;
	if (engine->opts.no_rules || !enabled(engine, &pgs_rule_context_includes_migration))
		return;
	struct pgs_diag *d =
		new_diag(file, &pgs_rule_context_includes_migration, file->overlap.span);
	d->message = pgs_arena_printf(
		&file->arena, "the context seems to already include this migration: %s", h.what);
	d->notes[d->n_notes++] =
		"the migration is checked against the schema the context describes: what it "
		"rewrites or locks there looks already done, so it is not reported";
	d->help = "give --context the schema from before this migration: a dump taken before it "
		  "ran, or the migrations directory (its files from this one on are left out)";
}

/*
 * The SQL inside a DO block or PL/pgSQL function: each statement is checked
 * by the rules like a top-level one. A DO block runs now, in the current
 * transaction, so its statements change the model and hold their locks; a
 * function body runs only when called, so it is checked but not applied.
 */
static void lint_embedded(struct pgs_engine *engine, struct pgs_file_report *file,
			  struct pgs_check *ctx, size_t index, struct pgs_ignores *stmt_ignores,
			  struct pgs_ignores *file_ignores)
{
	const struct pgs_stmt *outer = &file->parsed.stmts[index];
	struct pgs_embedded emb;

	if (!pgs_plpgsql_find(&emb, &file->arena, file->analysed, outer->span.start,
			      outer->span.end, outer->node))
		return;
	struct pgs_pos where = pgs_source_pos(&file->src, outer->span.start);
	for (size_t k = 0; k < emb.n; k++) {
		struct pgs_parsed nested = {0};
		pgs_parse(&nested, &file->arena, emb.items[k].sql,
			  (uint32_t)strlen(emb.items[k].sql));
		for (size_t j = 0; j < nested.n_stmts; j++) {
			struct pgs_stmt *st = &nested.stmts[j];
			size_t first_diag = file->diags.n;

			st->span.start += emb.items[k].offset;
			st->span.end += emb.items[k].offset;
			st->raw_start += emb.items[k].offset;
			st->base += emb.items[k].offset;
			st->error_offset += emb.items[k].offset;
			if (!st->node)
				continue; /* PL/pgSQL already checked the syntax */
			ctx->stmt = st;
			if (!file->context) {
				pgs_effects_compute(&ctx->effects, &file->arena, &engine->model,
						    st->node, engine->opts.pg_version);
				run_rules(engine, ctx);
				for (size_t d = first_diag; d < file->diags.n; d++) {
					struct pgs_diag *diag = &file->diags.items[d];
					/* byte edits inside procedural code are not
					 * single-statement fixes (CONCURRENTLY can't run
					 * in a DO block or function) */
					diag->fix = NULL;
					if (diag->n_notes == PGS_DIAG_MAX_NOTES)
						continue;
					diag->notes[diag->n_notes++] =
						emb.executed
							? pgs_arena_printf(&file->arena,
									   "inside the DO block on line %u",
									   where.line)
							: pgs_arena_printf(
								  &file->arena,
								  "inside function %s (line %u): runs "
								  "when the function is called",
								  emb.function ? emb.function : "?",
								  where.line);
				}
				suppress(ctx, first_diag, stmt_ignores, file_ignores);
				if (emb.executed) {
					merge_effects(&file->arena, &file->effects[index], &ctx->effects);
					record_locks(ctx, &ctx->effects, st->span.start);
				}
			}
			if (emb.executed)
				apply(engine, file, st->node, st->span.start);
		}
	}
	ctx->stmt = outer;
	ctx->effects = file->effects[index];
}

static void lint_statements(struct pgs_engine *engine, struct pgs_file_report *file)
{
	struct pgs_check ctx = {.engine = engine, .file = file};
	enum pgs_tool_txn tool_txn = file->sections.txn;

	if (engine->opts.txn == PGS_TXN_ALWAYS)
		tool_txn = PGS_TXN_WRAPPED;
	else if (engine->opts.txn == PGS_TXN_NEVER)
		tool_txn = PGS_TXN_NONE;
	ctx.txn.active = tool_txn == PGS_TXN_WRAPPED ||
			 (tool_txn == PGS_TXN_MULTI_STATEMENT && file->parsed.n_stmts > 1);
	ctx.txn.by_tool = ctx.txn.active;
	ctx.txn.by_option = ctx.txn.active && engine->opts.txn == PGS_TXN_ALWAYS;
	if (ctx.txn.active)
		engine->model.txn_id++;
	file->effects = pgs_arena_array(&file->arena, file->parsed.n_stmts, sizeof(*file->effects));
	file->txns = pgs_arena_array(&file->arena, file->parsed.n_stmts, sizeof(*file->txns));
	ctx.rule_state = pgs_arena_array(&file->arena, pgs_n_rules, sizeof(*ctx.rule_state));
	ctx.last_seq = pgs_arena_array(&file->arena, pgs_n_rules, sizeof(*ctx.last_seq));
	ctx.kept_seq = pgs_arena_array(&file->arena, pgs_n_rules, sizeof(*ctx.kept_seq));

	struct pgs_ignores file_ignores = {0};
	if (!file->context && strstr(file->analysed, "pgstage-ignore-file"))
		pgs_ignore_scan(&file_ignores, &file->arena, file->analysed, 0, file->src.len, true);
	/* kept to the end of the file: end-of-file rules report on statements too */
	struct pgs_ignores *all_stmt_ignores =
		pgs_arena_array(&file->arena, file->parsed.n_stmts ? file->parsed.n_stmts : 1,
				sizeof(*all_stmt_ignores));

	for (size_t i = 0; i < file->parsed.n_stmts; i++) {
		const struct pgs_stmt *stmt = &file->parsed.stmts[i];
		struct pgs_ignores stmt_ignores = {0};
		size_t first_diag = file->diags.n;

		ctx.stmt = stmt;
		ctx.stmt_index = i;
		/* a statement outside any transaction is a transaction of its own */
		if (!ctx.txn.active) {
			forget_locks(&ctx);
			engine->model.txn_id++;
		}
		ctx.txn.id = engine->model.txn_id;
		file->txns[i] = ctx.txn;
		if (!file->context)
			pgs_ignore_scan(&stmt_ignores, &file->arena, file->analysed, stmt->raw_start,
					stmt->span.start, false);
		if (!stmt->node) {
			if (!file->context && enabled(engine, &pgs_rule_syntax_error))
				report_syntax_error(engine, file, stmt);
			suppress(&ctx, first_diag, &stmt_ignores, &file_ignores);
			all_stmt_ignores[i] = stmt_ignores;
			track_transaction(&ctx, stmt, tool_txn);
			continue;
		}
		find_overlap(engine, file, &ctx);
		if (file->context && engine->opts.on_context_statement)
			engine->opts.on_context_statement(engine->opts.on_statement_data, &ctx);
		if (!file->context) {
			pgs_effects_compute(&ctx.effects, &file->arena, &engine->model, stmt->node,
					    engine->opts.pg_version);
			file->effects[i] = ctx.effects;
			run_rules(engine, &ctx);
			if (engine->opts.on_statement)
				engine->opts.on_statement(engine->opts.on_statement_data, &ctx);
			suppress(&ctx, first_diag, &stmt_ignores, &file_ignores);
			record_locks(&ctx, &ctx.effects, stmt->span.start);
		}
		if (stmt->node->node_case == PG_QUERY__NODE__NODE_DO_STMT ||
		    stmt->node->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT)
			lint_embedded(engine, file, &ctx, i, &stmt_ignores, &file_ignores);
		/* reported at the end of the file: end-of-file rules report on statements too */
		all_stmt_ignores[i] = stmt_ignores;
		bool was_active = ctx.txn.active;
		track_transaction(&ctx, stmt, tool_txn);
		apply(engine, file, stmt->node, stmt->span.start);
		/* SET LOCAL lasts until the transaction ends: at COMMIT or ROLLBACK
		 * (also in a multi-statement query, where another implicit
		 * transaction follows), and at once for a statement outside any
		 * transaction, where it has no effect */
		if (!ctx.txn.active || (was_active && ends_transaction(stmt)))
			pgs_model_end_transaction(&engine->model);
		/* BEGIN (or COMMIT in a multi-statement query) starts a new transaction */
		if (ctx.txn.active && (!was_active || ctx.txn.n_statements == 0)) {
			engine->model.txn_id++;
			ctx.txn.id = engine->model.txn_id;
		}
	}
	ctx.stmt = NULL;
	size_t first_eof_diag = file->diags.n;
	for (size_t r = 0; r < pgs_n_rules && !file->context && !engine->opts.no_rules; r++) {
		if (!pgs_rules[r]->end_of_file || !rule_enabled(engine, r))
			continue;
		ctx.rule = pgs_rules[r];
		ctx.rule_index = r;
		pgs_rules[r]->end_of_file(&ctx);
	}
	suppress_at_end(file, first_eof_diag, all_stmt_ignores, &file_ignores);
	pgs_strmap_release(&ctx.txn_relations);
	for (size_t i = 0; i < file->parsed.n_stmts; i++)
		report_directives(engine, file, &all_stmt_ignores[i]);
	report_directives(engine, file, &file_ignores);
	for (size_t i = 0; engine->opts.severity && i < file->diags.n; i++) {
		int sev = engine->opts.severity[pgs_rule_index(file->diags.items[i].rule)];
		if (sev >= 0)
			file->diags.items[i].severity = (enum pgs_severity)sev;
	}
	if (file->diags.n > 1)
		qsort(file->diags.items, file->diags.n, sizeof(*file->diags.items), by_position);
}

/* hints: what the files beside it say (NULL for text that is not a file) */
static void lint_loaded(struct pgs_engine *engine, struct pgs_file_report *out, bool context,
			const struct pgs_tool_hints *hints)
{
	const struct pgs_span *parts;
	size_t n_parts;

	pgs_sections_find(&out->sections, &out->arena, &out->src, engine->opts.tool, hints);
	/* a context file feeds what applying it did: its up part, unless it is a down file */
	if (out->sections.file_direction == PGS_DIR_DOWN || (engine->opts.down && !context)) {
		parts = out->sections.down;
		n_parts = out->sections.n_down;
	} else {
		parts = out->sections.up;
		n_parts = out->sections.n_up;
	}
	out->context = context;
	out->analysed = pgs_sections_mask(&out->src, &out->arena, parts, n_parts);
	if (pgs_parse(&out->parsed, &out->arena, out->analysed, out->src.len))
		engine->parsed_any = true;

	pgs_model_begin_file(&engine->model, context ? 0 : ++engine->n_files);
	lint_statements(engine, out);
}

int pgs_engine_lint_file(struct pgs_engine *engine, const char *path, bool context,
			 struct pgs_file_report *out, struct pgs_error *err)
{
	memset(out, 0, sizeof(*out));
	pgs_arena_init(&out->arena);
	if (pgs_source_load(&out->src, &out->arena, path, err) < 0) {
		pgs_file_report_release(out);
		return -1;
	}
	struct pgs_tool_hints hints;
	pgs_tool_hints_read(path, &hints);
	lint_loaded(engine, out, context, &hints);
	return 0;
}

int pgs_engine_lint_text(struct pgs_engine *engine, const char *path, const char *text,
			 size_t len, bool context, struct pgs_file_report *out,
			 struct pgs_error *err)
{
	memset(out, 0, sizeof(*out));
	pgs_arena_init(&out->arena);
	if (pgs_source_from_memory(&out->src, &out->arena, path, text, len, err) < 0) {
		pgs_file_report_release(out);
		return -1;
	}
	lint_loaded(engine, out, context, NULL);
	return 0;
}
