#include "lint/tool_order.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/strmap.h"
#include "lint/inputs.h"
#include "lint/sections.h"

void pgs_ordered_release(struct pgs_ordered *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->paths[i]);
	free(o->paths);
	for (size_t i = 0; i < o->n_warnings; i++)
		free(o->warnings[i]);
	free(o->warnings);
	memset(o, 0, sizeof(*o));
}

static void add_path(struct pgs_ordered *o, char *path)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		o->paths = pgs_xrealloc(o->paths, o->cap * sizeof(*o->paths));
	}
	o->paths[o->n++] = path;
}

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* The formatted text on the heap. */
static char *vformat(const char *fmt, va_list ap)
{
	va_list again;

	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *s = pgs_xmalloc(n > 0 ? (size_t)n + 1 : 1);
	vsnprintf(s, n > 0 ? (size_t)n + 1 : 1, fmt, again);
	va_end(again);
	return s;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *s = vformat(fmt, ap);
	va_end(ap);
	return s;
}

static void warn(struct pgs_ordered *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct pgs_ordered *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *line = vformat(fmt, ap);
	va_end(ap);
	if (o->n_warnings == o->cap_warnings) {
		o->cap_warnings = o->cap_warnings ? o->cap_warnings * 2 : 4;
		o->warnings = pgs_xrealloc(o->warnings, o->cap_warnings * sizeof(*o->warnings));
	}
	o->warnings[o->n_warnings++] = line;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = pgs_xmalloc(n);

	snprintf(p, n, "%s%s%s", dir, *dir && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	return p;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int by_name(const void *a, const void *b)
{
	return pgs_natural_compare(*(char *const *)a, *(char *const *)b);
}

/* The .sql files under dir (recursively when deep) that are not in named, sorted by name. */
static void unnamed(struct pgs_ordered *o, const char *dir, bool deep, struct pgs_strmap *named,
		    size_t *first)
{
	DIR *d = opendir(dir);
	struct dirent *ent;

	if (!d)
		return;
	while ((ent = readdir(d))) {
		struct stat st;
		if (ent->d_name[0] == '.')
			continue;
		char *path = join(dir, ent->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (deep)
				unnamed(o, path, deep, named, first);
			free(path);
		} else if (pgs_path_ends_with(ent->d_name, ".sql") && !pgs_strmap_get(named, path)) {
			add_path(o, path);
		} else {
			free(path);
		}
	}
	closedir(d);
	qsort(o->paths + *first, o->n - *first, sizeof(*o->paths), by_name);
}

/* After the named files: the others, each with a warning. */
static void add_unnamed(struct pgs_ordered *o, const char *dir, bool deep, struct pgs_strmap *named,
			const char *why)
{
	size_t first = o->n;

	unnamed(o, dir, deep, named, &first);
	for (size_t i = first; i < o->n; i++)
		warn(o, "%s: %s; linted after the ones it names", o->paths[i], why);
}

/* ---- sqitch ---- */

struct change {
	char *name;
	size_t next_tag; /* index in tags of the first tag after it, or n_tags */
	bool reworked;	 /* the plan has it again later */
};

bool pgs_order_sqitch(struct pgs_ordered *out, const char *dir, bool down)
{
	char *plan_path = join(dir, "sqitch.plan");
	FILE *f = fopen(plan_path, "r");
	struct change *changes = NULL;
	char **tags = NULL;
	size_t n = 0, cap = 0, n_tags = 0, cap_tags = 0;
	char *line = NULL;
	size_t line_cap = 0;
	struct pgs_strmap last, named;
	const char *scripts = down ? "revert" : "deploy";

	memset(out, 0, sizeof(*out));
	if (!f) {
		free(plan_path);
		return false;
	}
	/* sqitch.plan: "%pragma", "# note", "@tag ...", "change [deps] date planner <email> # note" */
	while (getline(&line, &line_cap, f) > 0) {
		char *p = line + strspn(line, " \t");
		size_t len = strcspn(p, " \t\r\n[");
		if (!len || *p == '#' || *p == '%')
			continue;
		if (*p == '@') {
			if (n_tags == cap_tags) {
				cap_tags = cap_tags ? cap_tags * 2 : 8;
				tags = pgs_xrealloc(tags, cap_tags * sizeof(*tags));
			}
			tags[n_tags++] = strndup(p + 1, len - 1);
			for (size_t k = n; k-- > 0 && changes[k].next_tag == SIZE_MAX;)
				changes[k].next_tag = n_tags - 1;
			continue;
		}
		if (*p == '+') { /* the old syntax's deploy marker */
			p++;
			len--;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			changes = pgs_xrealloc(changes, cap * sizeof(*changes));
		}
		changes[n].name = strndup(p, len);
		changes[n].next_tag = SIZE_MAX;
		changes[n].reworked = false;
		n++;
	}
	free(line);
	fclose(f);
	pgs_strmap_init(&last);
	pgs_strmap_init(&named);
	for (size_t i = n; i-- > 0;) {
		if (pgs_strmap_get(&last, changes[i].name))
			changes[i].reworked = true;
		else
			pgs_strmap_put(&last, changes[i].name, &changes[i]);
	}
	char *script_dir = join(dir, scripts);
	for (size_t i = 0; i < n; i++) {
		/* reworked: the earlier script was kept as <change>@<tag>.sql */
		char *name = changes[i].reworked && changes[i].next_tag < n_tags
				 ? format("%s@%s.sql", changes[i].name, tags[changes[i].next_tag])
				 : format("%s.sql", changes[i].name);
		char *path = join(script_dir, name);
		free(name);
		if (!is_file(path)) {
			if (!down)
				warn(out, "%s: sqitch.plan names the change %s, but %s does not exist",
				     plan_path, changes[i].name, path);
			free(path);
			continue;
		}
		pgs_strmap_put(&named, path, path);
		add_path(out, path);
	}
	add_unnamed(out, script_dir, true, &named,
		    "not in sqitch.plan, so sqitch does not run it");
	free(script_dir);
	pgs_strmap_release(&last);
	pgs_strmap_release(&named);
	for (size_t i = 0; i < n; i++)
		free(changes[i].name);
	free(changes);
	for (size_t i = 0; i < n_tags; i++)
		free(tags[i]);
	free(tags);
	free(plan_path);
	return true;
}

/* ---- drizzle ---- */

bool pgs_order_drizzle(struct pgs_ordered *out, const char *dir)
{
	char *journal_path = join(dir, "meta/_journal.json");
	json_error_t jerr;
	struct pgs_strmap named;

	memset(out, 0, sizeof(*out));
	if (!is_file(journal_path)) {
		free(journal_path);
		return false;
	}
	pgs_strmap_init(&named);
	json_t *doc = json_load_file(journal_path, 0, &jerr);
	json_t *entries = doc ? json_object_get(doc, "entries") : NULL;
	if (!json_is_array(entries)) {
		warn(out, "%s: not a drizzle journal (%s): its files are taken in name order",
		     journal_path, doc ? "no \"entries\" array" : jerr.text);
	} else {
		size_t i;
		json_t *entry;
		json_array_foreach(entries, i, entry) {
			const char *tag = json_string_value(json_object_get(entry, "tag"));
			if (!tag || strchr(tag, '/')) {
				warn(out, "%s: entry %zu has no \"tag\" naming a file", journal_path, i);
				continue;
			}
			char *name = format("%s.sql", tag);
			char *path = join(dir, name);
			free(name);
			if (!is_file(path)) {
				warn(out, "%s: the journal names %s, which does not exist", journal_path,
				     path);
				free(path);
				continue;
			}
			pgs_strmap_put(&named, path, path);
			add_path(out, path);
		}
	}
	add_unnamed(out, dir, false, &named,
		    "not in meta/_journal.json, so drizzle's migrator does not apply it");
	json_decref(doc);
	pgs_strmap_release(&named);
	free(journal_path);
	return true;
}
