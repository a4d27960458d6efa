#include "lint/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/arena.h"
#include "lint/engine.h"
#include "lint/diag.h"
#include "core/duration.h"
#include "lint/sections.h"
#include "rules/registry.h"

void pgs_config_init(struct pgs_config *config)
{
	memset(config, 0, sizeof(*config));
	config->tool = -1;
	config->fail_on = -1;
}

static void free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

void pgs_config_release(struct pgs_config *config)
{
	free(config->path);
	free(config->dir);
	free(config->layout);
	free_list(config->include, config->n_include);
	free_list(config->exclude, config->n_exclude);
	free_list(config->disable, config->n_disable);
	free_list(config->severity_rules, config->n_severity);
	free(config->severity_levels);
	free(config->lock_timeout);
	free(config->statement_timeout);
	free(config->validate_timeout);
	pgs_config_init(config);
}

/*
 * jansson keeps no positions: the text is scanned once more for where each
 * key of the top-level object, and of the objects that are its values, is.
 */
struct key_at {
	char *key;     /* decoded, as jansson gives it */
	long parent;   /* index of the top-level key whose object holds it; -1: top level */
	size_t offset; /* of its opening quote */
};

struct located {
	const char *text; /* after any BOM: what jansson read */
	size_t len;
	const char *path;
	struct key_at *keys;
	size_t n_keys;
};

static void add_key(struct located *src, size_t *cap, size_t start, size_t end, long parent)
{
	json_t *k = json_loadb(src->text + start, end - start, JSON_DECODE_ANY, NULL);

	if (!json_is_string(k)) { /* cannot happen: jansson read the whole text */
		json_decref(k);
		return;
	}
	if (src->n_keys == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		src->keys = pgs_xrealloc(src->keys, *cap * sizeof(*src->keys));
	}
	src->keys[src->n_keys++] =
	    (struct key_at){pgs_xstrdup(json_string_value(k)), parent, start};
	json_decref(k);
}

/* Only called on text jansson parsed: strings are the only thing to step over with care. */
static void find_keys(struct located *src)
{
	char *open = pgs_xmalloc(src->len + 1); /* '{' or '[' per depth */
	size_t depth = 0, cap = 0;
	bool want_key = false;
	long top_key = -1;

	for (size_t i = 0; i < src->len; i++) {
		char c = src->text[i];
		if (c == '"') {
			size_t start = i;
			for (i++; i < src->len && src->text[i] != '"'; i++)
				if (src->text[i] == '\\')
					i++;
			if (want_key && (depth == 1 || depth == 2)) {
				add_key(src, &cap, start, i + 1, depth == 1 ? -1 : top_key);
				if (depth == 1)
					top_key = (long)src->n_keys - 1;
			}
			want_key = false;
		} else if (c == '{' || c == '[') {
			open[depth++] = c;
			want_key = c == '{';
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
			want_key = false;
		} else if (c == ',' && depth > 0) {
			want_key = open[depth - 1] == '{';
		}
	}
	free(open);
}

static void release_keys(struct located *src)
{
	for (size_t i = 0; i < src->n_keys; i++)
		free(src->keys[i].key);
	free(src->keys);
}

/* 1-based line and column (in characters) of a byte offset of the text. */
static void position(const struct located *src, size_t offset, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset && i < src->len; i++) {
		if (src->text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)src->text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

/* Where key is: at the top level (parent NULL) or in the object of top-level key parent. */
static size_t key_offset(const struct located *src, const char *parent, const char *key)
{
	for (size_t i = 0; i < src->n_keys; i++) {
		const struct key_at *k = &src->keys[i];
		if (strcmp(k->key, key) != 0)
			continue;
		if (parent ? k->parent >= 0 && strcmp(src->keys[k->parent].key, parent) == 0
			   : k->parent < 0)
			return k->offset;
	}
	return 0;
}

/* "PATH:LINE:COL: message" at key (in parent's object, or at the top level). */
static int config_error(const struct located *src, const char *parent, const char *key,
			struct pgs_error *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int config_error(const struct located *src, const char *parent, const char *key,
			struct pgs_error *err, const char *fmt, ...)
{
	char what[sizeof(err->message)];
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	position(src, key_offset(src, parent, key), &line, &col);
	return pgs_error_set(err, "%s:%d:%d: %s", src->path, line, col, what);
}

/*
 * A name or value from the file as a message shows it: quoted, escaped, and
 * when long its first SHOWN_CHARS characters and its length.
 */
#define SHOWN_CHARS 80
struct shown {
	char text[PGS_ESCAPE_SIZE(SHOWN_CHARS) + 40];
};

static const char *show(struct shown *buf, const char *s, char quote)
{
	char escaped[PGS_ESCAPE_SIZE(SHOWN_CHARS)];
	size_t n = pgs_escape(escaped, s, SHOWN_CHARS, quote == '"' ? PGS_ESCAPE_QUOTES : 0);

	if (n > SHOWN_CHARS)
		snprintf(buf->text, sizeof(buf->text), "%c%s%c (%zu characters)", quote, escaped,
			 quote, n);
	else
		snprintf(buf->text, sizeof(buf->text), "%c%s%c", quote, escaped, quote);
	return buf->text;
}

static int want(const struct located *src, json_t *v, const char *key, json_type type,
		const char *type_name, struct pgs_error *err)
{
	if (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)))
		return 0;
	return config_error(src, NULL, key, err, "\"%s\" must be %s", key, type_name);
}

static int string_list(const struct located *src, json_t *v, const char *key, char ***out,
		       size_t *n, struct pgs_error *err)
{
	size_t i;
	json_t *item;

	if (want(src, v, key, JSON_ARRAY, "a list of strings", err) < 0)
		return -1;
	*out = calloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			return want(src, item, key, JSON_STRING, "a list of strings", err);
		(*out)[(*n)++] = pgs_xstrdup(json_string_value(item));
	}
	return 0;
}

/* A rule named in the file, at key (in parent's object). */
static int rule_name(const struct located *src, const char *name, const char *parent,
		     const char *key, struct pgs_error *err)
{
	struct shown shown;

	if (pgs_rule_find(name))
		return 0;
	return config_error(src, parent, key, err, "no rule named %s (pgstage rules lists them)",
			    show(&shown, name, '\''));
}

/* The timeouts are written into plans: only what the server reads as a duration. */
static int duration(const struct located *src, json_t *v, const char *key, char **slot,
		    struct pgs_error *err)
{
	struct shown shown;
	const char *why;

	if (want(src, v, key, JSON_STRING, "a string such as \"2s\"", err) < 0)
		return -1;
	if (pgs_duration_ms(json_string_value(v), &why) < 0)
		return config_error(src, NULL, key, err,
				    "\"%s\" must be a duration such as \"2s\" or \"500ms\": %s %s",
				    key, show(&shown, json_string_value(v), '"'), why);
	*slot = pgs_xstrdup(json_string_value(v));
	return 0;
}

static int parse(struct pgs_config *c, const struct located *src, json_t *root,
		 struct pgs_error *err)
{
	const char *key;
	json_t *v;
	struct shown shown;

	if (!json_is_object(root))
		return pgs_error_set(err, "%s:1:1: the configuration must be a JSON object", src->path);
	json_object_foreach(root, key, v) {
		if (strncmp(key, "//", 2) == 0) {
			continue; /* notes */
		} else if (strcmp(key, "pg_version") == 0) {
			if (want(src, v, key, JSON_INTEGER, "an integer", err) < 0)
				return -1;
			json_int_t n = json_integer_value(v);
			if (n < PGS_PG_VERSION_MIN || n > PGS_PG_VERSION_MAX)
				return config_error(src, NULL, key, err,
						    "\"pg_version\" must be a major version from 11 "
						    "to 19");
			c->pg_version = (int)n;
		} else if (strcmp(key, "tool") == 0) {
			if (want(src, v, key, JSON_STRING, "a string", err) < 0)
				return -1;
			if ((c->tool = pgs_tool_parse(json_string_value(v))) < 0)
				return config_error(src, NULL, key, err,
						    "\"tool\" must be auto, plain, goose, dbmate, "
						    "golang-migrate, flyway, diesel, sqlx, refinery, "
						    "drizzle, prisma or sqitch");
		} else if (strcmp(key, "layout") == 0) {
			if (want(src, v, key, JSON_STRING, "a string", err) < 0)
				return -1;
			const char *l = json_string_value(v);
			int layout = pgs_tool_parse(l);
			if (layout < 0 || (layout != PGS_TOOL_AUTO &&
					   !pgs_tool_has_layout((enum pgs_tool)layout)))
				return config_error(src, NULL, key, err,
						    "\"layout\" must be auto, plain, goose, dbmate, "
						    "golang-migrate, flyway, diesel or sqlx");
			c->layout = pgs_xstrdup(l);
		} else if (strcmp(key, "include") == 0) {
			if (string_list(src, v, key, &c->include, &c->n_include, err) < 0)
				return -1;
		} else if (strcmp(key, "exclude") == 0) {
			if (string_list(src, v, key, &c->exclude, &c->n_exclude, err) < 0)
				return -1;
		} else if (strcmp(key, "disable") == 0) {
			if (string_list(src, v, key, &c->disable, &c->n_disable, err) < 0)
				return -1;
			for (size_t i = 0; i < c->n_disable; i++)
				if (rule_name(src, c->disable[i], NULL, key, err) < 0)
					return -1;
		} else if (strcmp(key, "severity") == 0) {
			const char *rule;
			json_t *level;
			if (want(src, v, key, JSON_OBJECT, "an object of rule: level", err) < 0)
				return -1;
			c->severity_rules = calloc(json_object_size(v) + 1, sizeof(char *));
			c->severity_levels = calloc(json_object_size(v) + 1, sizeof(int));
			json_object_foreach(v, rule, level) {
				if (rule_name(src, rule, key, rule, err) < 0)
					return -1;
				int sev = json_is_string(level)
						  ? pgs_severity_parse(json_string_value(level))
						  : -1;
				if (sev < 0)
					return config_error(src, key, rule, err,
							    "the severity of %s must be \"info\", "
							    "\"warning\" or \"error\"",
							    show(&shown, rule, '\''));
				c->severity_rules[c->n_severity] = pgs_xstrdup(rule);
				c->severity_levels[c->n_severity++] = sev;
			}
		} else if (strcmp(key, "fail_on") == 0) {
			if (want(src, v, key, JSON_STRING, "a string", err) < 0)
				return -1;
			const char *f = json_string_value(v);
			c->fail_on = strcmp(f, "none") == 0 ? 3 : pgs_severity_parse(f);
			if (c->fail_on < 0)
				return config_error(src, NULL, key, err,
						    "\"fail_on\" must be \"info\", \"warning\", "
						    "\"error\" or \"none\"");
		} else if (strcmp(key, "lock_timeout") == 0) {
			if (duration(src, v, key, &c->lock_timeout, err) < 0)
				return -1;
		} else if (strcmp(key, "statement_timeout") == 0) {
			if (duration(src, v, key, &c->statement_timeout, err) < 0)
				return -1;
		} else if (strcmp(key, "validate_timeout") == 0) {
			if (duration(src, v, key, &c->validate_timeout, err) < 0)
				return -1;
		} else if (strcmp(key, "batch_size") == 0) {
			if (want(src, v, key, JSON_INTEGER, "an integer", err) < 0)
				return -1;
			json_int_t n = json_integer_value(v);
			if (n < 1 || n > 1000000)
				return config_error(src, NULL, key, err,
						    "\"batch_size\" must be from 1 to 1000000 rows");
			c->batch_size = (long)n;
		} else {
			return config_error(
			    src, NULL, key, err,
			    "unknown key %s (known: pg_version, tool, layout, include, "
			    "exclude, disable, severity, fail_on, lock_timeout, "
			    "statement_timeout, validate_timeout, batch_size, \"//\" for notes)",
			    show(&shown, key, '"'));
		}
	}
	return 0;
}

#define BOM "\xEF\xBB\xBF"

/* Parse the file's text (NUL-terminated, len bytes) into out. */
static int load_text(struct pgs_config *out, const char *path, const char *text, size_t len,
		     struct pgs_error *err)
{
	/* a BOM is allowed, as in SQL files, and is no column */
	size_t bom = len >= 3 && memcmp(text, BOM, 3) == 0 ? 3 : 0;
	struct located src = {text + bom, len - bom, path, NULL, 0};
	const char *nul = memchr(src.text, '\0', src.len);
	char shown[PGS_ESCAPE_SIZE(JSON_ERROR_TEXT_LENGTH)];
	json_error_t jerr;
	int line, col;

	if (nul) {
		position(&src, (size_t)(nul - src.text), &line, &col);
		return pgs_error_set(err, "%s:%d:%d: a NUL byte: the configuration must be JSON text",
				     path, line, col);
	}
	json_t *root = json_loadb(src.text, src.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* its "near '...'" shows the text as it is */
		pgs_escape(shown, jerr.text, JSON_ERROR_TEXT_LENGTH, 0);
		return pgs_error_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, shown);
	}
	find_keys(&src);
	int rc = parse(out, &src, root, err);
	release_keys(&src);
	json_decref(root);
	return rc;
}

int pgs_config_load(struct pgs_config *out, const char *path, struct pgs_error *err)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long n;

	pgs_config_init(out);
	if (!f)
		return pgs_error_set(err, "%s: cannot read: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || n > 1024 * 1024) {
		fclose(f);
		return pgs_error_set(err, "%s: not a configuration file (size)", path);
	}
	text = pgs_xmalloc((size_t)n + 1);
	size_t got = fread(text, 1, (size_t)n, f);
	text[got] = '\0';
	fclose(f);

	int rc = load_text(out, path, text, got, err);
	free(text);
	if (rc < 0) {
		pgs_config_release(out);
		return -1;
	}
	out->path = pgs_xstrdup(path);
	const char *slash = strrchr(path, '/');
	out->dir = slash ? strndup(path, (size_t)(slash - path)) : pgs_xstrdup(".");
	if (!out->dir)
		abort();
	return 0;
}

int pgs_config_discover(struct pgs_config *out, const char *start_dir, struct pgs_error *err)
{
	char dir[PATH_MAX], rel[PATH_MAX], file[2 * PATH_MAX + 32];

	pgs_config_init(out);
	if (!realpath(start_dir, dir))
		return 0;
	/* rel names the same directory relative to start_dir, so paths in
	 * messages stay relative: ".", "..", "../.." */
	snprintf(rel, sizeof(rel), "%s", start_dir);
	for (;;) {
		snprintf(file, sizeof(file), "%s/%s", rel, PGS_CONFIG_NAME);
		if (access(file, F_OK) == 0) {
			int rc = pgs_config_load(out, strncmp(file, "./", 2) == 0 ? file + 2 : file, err);
			if (rc == 0) {
				free(out->dir);
				out->dir = pgs_xstrdup(rel);
			}
			return rc;
		}
		if (strcmp(dir, "/") == 0 || strlen(rel) + 4 >= sizeof(rel))
			return 0;
		char *slash = strrchr(dir, '/');
		if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		if (strcmp(rel, ".") == 0)
			snprintf(rel, sizeof(rel), "..");
		else
			strncat(rel, "/..", sizeof(rel) - strlen(rel) - 1);
	}
}

/*
 * The patterns as a nondeterministic automaton whose states are positions in
 * the pattern, run over the path one character at a time: the cost is at most
 * the product of the two lengths, with no recursion (backtracking into every
 * star was exponential in the number of stars). A state at "**" stays there on
 * any character, at "*" on any but '/'; both may also end, "**" taking a '/'
 * after it along.
 */
static bool is_double_star(const char *p, size_t i)
{
	return p[i] == '*' && p[i + 1] == '*';
}

/* Add what the states in set reach without reading a character (they only go forward). */
static void glob_closure(const char *p, size_t n, unsigned char *set)
{
	for (size_t i = 0; i < n; i++) {
		if (!set[i])
			continue;
		if (is_double_star(p, i))
			set[i + 2 + (p[i + 2] == '/')] = 1;
		else if (p[i] == '*')
			set[i + 1] = 1;
	}
}

bool pgs_glob_match(const char *p, const char *s)
{
	size_t n = strlen(p);
	unsigned char *block = calloc(2 * (n + 2), 1);

	if (!block)
		abort();
	unsigned char *cur = block, *next = block + n + 2;
	cur[0] = 1;
	glob_closure(p, n, cur);
	for (; *s; s++) {
		memset(next, 0, n + 2);
		for (size_t i = 0; i < n; i++) {
			if (!cur[i])
				continue;
			if (is_double_star(p, i))
				next[i] = 1;
			else if (p[i] == '*')
				next[i] |= *s != '/';
			else if (p[i] == '?' ? *s != '/' : p[i] == *s)
				next[i + 1] = 1;
		}
		glob_closure(p, n, next);
		unsigned char *t = cur;
		cur = next;
		next = t;
	}
	bool matched = cur[n];
	free(block);
	return matched;
}
