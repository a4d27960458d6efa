#include "lint/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lint/arena.h"
#include "lint/diag.h"
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
	pgs_config_init(config);
}

/* Position of "key": in the file's text, for messages (jansson keeps none). */
struct located {
	const char *text;
	const char *path;
};

static void locate(const struct located *src, const char *key, const char *after, int *line,
		   int *col)
{
	char quoted[300];
	const char *start = src->text;
	const char *hit = NULL;

	if (after) {
		snprintf(quoted, sizeof(quoted), "\"%s\"", after);
		const char *a = strstr(start, quoted);
		if (a)
			start = a + strlen(quoted);
	}
	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	for (const char *p = start; (p = strstr(p, quoted)); p++) {
		const char *q = p + strlen(quoted);
		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
			q++;
		if (*q == ':') {
			hit = p;
			break;
		}
	}
	*line = 1;
	*col = 1;
	if (!hit)
		return;
	for (const char *p = src->text; p < hit; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)*p & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

static int config_error(const struct located *src, const char *key, const char *parent,
			struct pgs_error *err, const char *what)
{
	int line, col;

	locate(src, key, parent, &line, &col);
	return pgs_error_set(err, "%s:%d:%d: %s", src->path, line, col, what);
}

static int want(const struct located *src, json_t *v, const char *key, const char *parent,
		json_type type, const char *type_name, struct pgs_error *err)
{
	char what[400];

	if (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)))
		return 0;
	snprintf(what, sizeof(what), "\"%s\" must be %s", key, type_name);
	return config_error(src, key, parent, err, what);
}

static int string_list(const struct located *src, json_t *v, const char *key, char ***out,
		       size_t *n, struct pgs_error *err)
{
	size_t i;
	json_t *item;

	if (want(src, v, key, NULL, JSON_ARRAY, "a list of strings", err) < 0)
		return -1;
	*out = calloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			return want(src, item, key, NULL, JSON_STRING, "a list of strings", err);
		(*out)[(*n)++] = pgs_xstrdup(json_string_value(item));
	}
	return 0;
}

static int rule_name(const struct located *src, const char *name, const char *key,
		     struct pgs_error *err)
{
	char what[400];

	if (pgs_rule_find(name))
		return 0;
	snprintf(what, sizeof(what), "no rule named '%s' (pgstage rules lists them)", name);
	return config_error(src, key, NULL, err, what);
}

static int parse(struct pgs_config *c, const struct located *src, json_t *root,
		 struct pgs_error *err)
{
	const char *key;
	json_t *v;
	char what[400];

	if (!json_is_object(root))
		return pgs_error_set(err, "%s:1:1: the configuration must be a JSON object", src->path);
	json_object_foreach(root, key, v) {
		if (strcmp(key, "//") == 0 || strncmp(key, "//", 2) == 0) {
			continue; /* notes */
		} else if (strcmp(key, "pg_version") == 0) {
			if (want(src, v, key, NULL, JSON_INTEGER, "an integer", err) < 0)
				return -1;
			json_int_t n = json_integer_value(v);
			if (n < 11 || n > 18)
				return config_error(src, key, NULL, err,
						    "\"pg_version\" must be a major version from 11 "
						    "to 18");
			c->pg_version = (int)n;
		} else if (strcmp(key, "tool") == 0) {
			if (want(src, v, key, NULL, JSON_STRING, "a string", err) < 0)
				return -1;
			if ((c->tool = pgs_tool_parse(json_string_value(v))) < 0)
				return config_error(src, key, NULL, err,
						    "\"tool\" must be auto, plain, goose, dbmate, "
						    "golang-migrate or flyway");
		} else if (strcmp(key, "layout") == 0) {
			if (want(src, v, key, NULL, JSON_STRING, "a string", err) < 0)
				return -1;
			const char *l = json_string_value(v);
			if (strcmp(l, "auto") != 0 && pgs_tool_parse(l) < 0)
				return config_error(src, key, NULL, err,
						    "\"layout\" must be auto, plain, goose, dbmate, "
						    "golang-migrate or flyway");
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
				if (rule_name(src, c->disable[i], key, err) < 0)
					return -1;
		} else if (strcmp(key, "severity") == 0) {
			const char *rule;
			json_t *level;
			if (want(src, v, key, NULL, JSON_OBJECT, "an object of rule: level", err) < 0)
				return -1;
			c->severity_rules = calloc(json_object_size(v) + 1, sizeof(char *));
			c->severity_levels = calloc(json_object_size(v) + 1, sizeof(int));
			json_object_foreach(v, rule, level) {
				if (!pgs_rule_find(rule)) {
					snprintf(what, sizeof(what),
						 "no rule named '%s' (pgstage rules lists them)", rule);
					return config_error(src, rule, "severity", err, what);
				}
				int sev = json_is_string(level)
						  ? pgs_severity_parse(json_string_value(level))
						  : -1;
				if (sev < 0) {
					snprintf(what, sizeof(what),
						 "the severity of '%s' must be \"info\", \"warning\" or "
						 "\"error\"",
						 rule);
					return config_error(src, rule, "severity", err, what);
				}
				c->severity_rules[c->n_severity] = pgs_xstrdup(rule);
				c->severity_levels[c->n_severity++] = sev;
			}
		} else if (strcmp(key, "fail_on") == 0) {
			if (want(src, v, key, NULL, JSON_STRING, "a string", err) < 0)
				return -1;
			const char *f = json_string_value(v);
			c->fail_on = strcmp(f, "none") == 0 ? 3 : pgs_severity_parse(f);
			if (c->fail_on < 0)
				return config_error(src, key, NULL, err,
						    "\"fail_on\" must be \"info\", \"warning\", "
						    "\"error\" or \"none\"");
		} else if (strcmp(key, "lock_timeout") == 0 ||
			   strcmp(key, "statement_timeout") == 0) {
			if (want(src, v, key, NULL, JSON_STRING, "a string such as \"2s\"", err) < 0)
				return -1;
			char **slot = key[0] == 'l' ? &c->lock_timeout : &c->statement_timeout;
			*slot = pgs_xstrdup(json_string_value(v));
		} else {
			snprintf(what, sizeof(what),
				 "unknown key \"%s\" (known: pg_version, tool, layout, include, "
				 "exclude, disable, severity, fail_on, lock_timeout, "
				 "statement_timeout, \"//\" for notes)",
				 key);
			return config_error(src, key, NULL, err, what);
		}
	}
	return 0;
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

	json_error_t jerr;
	json_t *root = json_loadb(text, got, JSON_REJECT_DUPLICATES, &jerr);
	int rc = 0;
	if (!root) {
		rc = pgs_error_set(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	} else {
		struct located src = {text, path};
		rc = parse(out, &src, root, err);
		json_decref(root);
	}
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

bool pgs_glob_match(const char *p, const char *s)
{
	while (*p) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '/')
				p++;
			/* ** matches any number of whole segments, including none */
			for (const char *t = s;; t++) {
				if (pgs_glob_match(p, t))
					return true;
				if (!*t)
					return false;
			}
		}
		if (*p == '*') {
			p++;
			for (const char *t = s;; t++) {
				if (pgs_glob_match(p, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		}
		if (!*s || (*p != '?' && *p != *s) || (*p == '?' && *s == '/'))
			return false;
		p++;
		s++;
	}
	return !*s;
}
