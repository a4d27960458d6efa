#include "lint/inputs.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "lint/config.h"
#include "lint/sections.h"
#include "lint/tool_files.h"
#include "lint/tool_order.h"
#include "core/strmap.h"

void pgs_inputs_init(struct pgs_inputs *in)
{
	memset(in, 0, sizeof(*in));
}

void pgs_inputs_release(struct pgs_inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->items[i].path);
		free(in->items[i].group);
	}
	free(in->items);
	for (size_t i = 0; i < in->n_dirs; i++)
		free(in->dirs[i]);
	free(in->dirs);
	for (size_t i = 0; i < in->n_warnings; i++)
		free(in->warnings[i]);
	free(in->warnings);
	pgs_inputs_init(in);
}

static void push(struct pgs_inputs *in, char *path, bool context, const char *dir)
{
	/* globs are relative to the configuration's directory; "./x" is "x" */
	const char *plain = path;
	size_t nb = in->exclude_base ? strlen(in->exclude_base) : 0;
	if (nb && strcmp(in->exclude_base, ".") != 0 && strncmp(plain, in->exclude_base, nb) == 0 &&
	    plain[nb] == '/')
		plain += nb + 1;
	while (strncmp(plain, "./", 2) == 0)
		plain += 2;
	for (size_t i = 0; i < in->n_exclude; i++)
		if (pgs_glob_match(in->exclude[i], plain)) {
			free(path);
			return;
		}
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 16;
		in->items = pgs_xrealloc(in->items, in->cap * sizeof(*in->items));
	}
	in->items[in->n].path = path;
	in->items[in->n].context = context;
	in->items[in->n].dir = dir;
	in->items[in->n].group = NULL;
	in->items[in->n].rank = 0;
	in->n++;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int pgs_natural_compare(const char *a, const char *b)
{
	while (*a && *b) {
		if (is_digit(*a) && is_digit(*b)) {
			while (*a == '0' && is_digit(a[1]))
				a++;
			while (*b == '0' && is_digit(b[1]))
				b++;
			size_t na = 0, nb = 0;
			while (is_digit(a[na]))
				na++;
			while (is_digit(b[nb]))
				nb++;
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = strncmp(a, b, na);
			if (c)
				return c;
			a += na;
			b += nb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* Natural order, then byte order, so "001_a" and "1_a" still have a fixed order. */
static int natural_then_bytes(const char *a, const char *b)
{
	int c = pgs_natural_compare(a, b);

	return c ? c : strcmp(a, b);
}


static bool is_flyway_undo(const char *base)
{
	return base[0] == 'U' && is_digit(base[1]) && strstr(base, "__");
}

static bool is_flyway_repeatable(const char *base)
{
	return strncmp(base, "R__", 3) == 0;
}

static const char *after_flyway_prefix(const char *base);

/*
 * Natural order of two paths; in one directory, V<n>__ and U<n>__ names by
 * their version (refinery applies both going up, in version order).
 */
static int by_path(const char *a, const char *b)
{
	const char *ba = pgs_path_base(a), *bb = pgs_path_base(b);

	if (ba - a == bb - b && strncmp(a, b, (size_t)(ba - a)) == 0) {
		int c = pgs_natural_compare(after_flyway_prefix(ba), after_flyway_prefix(bb));
		if (c)
			return c;
	}
	return natural_then_bytes(a, b);
}

/* refinery's U<n>__ is an unversioned up migration, not an undo: its Cargo.toml says which. */
static bool is_undo(const char *path, const char *base)
{
	struct pgs_tool_hints hints;

	if (!is_flyway_undo(base))
		return false;
	pgs_tool_hints_read(path, &hints);
	return !hints.cargo_refinery;
}

/* Whether a file found in a directory belongs to the direction being linted. */
static bool wanted(const char *path, const char *base, bool down)
{
	bool down_file = pgs_path_ends_with(base, ".down.sql") || strcmp(base, "down.sql") == 0 ||
			 is_undo(path, base);
	bool up_only = pgs_path_ends_with(base, ".up.sql") || strcmp(base, "up.sql") == 0 ||
		       (base[0] == 'V' && strstr(base, "__"));

	if (!pgs_path_ends_with(base, ".sql"))
		return false;
	return down ? down_file || !up_only : !down_file;
}

static int by_apply_order(const void *pa, const void *pb)
{
	const struct pgs_input *a = pa, *b = pb;
	bool ra = is_flyway_repeatable(pgs_path_base(a->path));
	bool rb = is_flyway_repeatable(pgs_path_base(b->path));

	/* in the order sqitch.plan or drizzle's journal says */
	if (a->group && b->group && strcmp(a->group, b->group) == 0)
		return a->rank < b->rank ? -1 : a->rank > b->rank;
	if (ra != rb)
		return ra ? 1 : -1;
	return by_path(a->group ? a->group : a->path, b->group ? b->group : b->path);
}

/* The files of a directory whose tool file orders them, with its warnings. */
static void push_ordered(struct pgs_inputs *in, struct pgs_ordered *ord, const char *dir,
			 const char *top, bool context)
{
	for (size_t i = 0; i < ord->n; i++) {
		size_t before = in->n;
		push(in, ord->paths[i], context, top);
		ord->paths[i] = NULL;
		if (in->n > before) {
			in->items[before].group = pgs_xstrdup(dir);
			in->items[before].rank = i + 1;
		}
	}
	for (size_t i = 0; i < ord->n_warnings; i++) {
		if (in->n_warnings == in->cap_warnings) {
			in->cap_warnings = in->cap_warnings ? in->cap_warnings * 2 : 4;
			in->warnings =
			    pgs_xrealloc(in->warnings, in->cap_warnings * sizeof(*in->warnings));
		}
		in->warnings[in->n_warnings++] = ord->warnings[i];
		ord->warnings[i] = NULL;
	}
}

/* Add the wanted files under dir; top is the directory argument they are found in. */
static void walk(struct pgs_inputs *in, const char *dir, const char *top, bool context, bool down)
{
	struct pgs_ordered ord;

	if (pgs_order_sqitch(&ord, dir, down) || pgs_order_drizzle(&ord, dir)) {
		push_ordered(in, &ord, dir, top, context);
		pgs_ordered_release(&ord);
		return;
	}
	DIR *d = opendir(dir);
	struct dirent *ent;

	if (!d)
		return;
	while ((ent = readdir(d))) {
		struct stat st;

		if (ent->d_name[0] == '.')
			continue; /* ., .., .git and other hidden entries */
		size_t n = strlen(dir) + strlen(ent->d_name) + 2;
		char *path = pgs_xmalloc(n);
		snprintf(path, n, "%s%s%s", dir, pgs_path_ends_with(dir, "/") ? "" : "/", ent->d_name);
		/* symbolic links to directories are not followed: no loops */
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(in, path, top, context, down);
			free(path);
		} else if (wanted(path, ent->d_name, down)) {
			push(in, path, context, top);
		} else {
			free(path);
		}
	}
	closedir(d);
}

int pgs_inputs_add(struct pgs_inputs *in, const char *path, bool context, bool down,
		   struct pgs_error *err)
{
	struct stat st;

	if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		push(in, pgs_xstrdup(path), context, NULL);
		return 0;
	}
	size_t first = in->n;
	if (in->n_dirs == in->cap_dirs) {
		in->cap_dirs = in->cap_dirs ? in->cap_dirs * 2 : 4;
		in->dirs = pgs_xrealloc(in->dirs, in->cap_dirs * sizeof(*in->dirs));
	}
	char *top = in->dirs[in->n_dirs++] = pgs_xstrdup(path);
	walk(in, path, top, context, down);
	if (in->n == first)
		return pgs_error_set(err, "%s: directory holds no .sql migration files%s", path,
				     down ? " with a down part" : "");
	qsort(in->items + first, in->n - first, sizeof(*in->items), by_apply_order);
	/* down migrations run newest first */
	for (size_t i = first, j = in->n - 1; down && i < j; i++, j--) {
		struct pgs_input tmp = in->items[i];
		in->items[i] = in->items[j];
		in->items[j] = tmp;
	}
	return 0;
}

/* ---- keeping the inputs' own changes out of the context ---- */

static void warn(struct pgs_inputs *in, struct pgs_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(struct pgs_inputs *in, struct pgs_arena *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	const char *line = pgs_arena_vprintf(a, fmt, ap);
	va_end(ap);
	if (in->n_warnings == in->cap_warnings) {
		in->cap_warnings = in->cap_warnings ? in->cap_warnings * 2 : 4;
		in->warnings = pgs_xrealloc(in->warnings, in->cap_warnings * sizeof(*in->warnings));
	}
	in->warnings[in->n_warnings++] = pgs_xstrdup(line);
}

/* flyway's V (versioned) or U (undo) before the version digits */
static const char *after_flyway_prefix(const char *base)
{
	return (base[0] == 'V' || base[0] == 'U') && is_digit(base[1]) ? base + 1 : base;
}

/*
 * What places a file in version order: the version its base name starts
 * with ("0042" of 0042_add.sql, "1_2" of flyway's V1_2__x.sql), so two names
 * of one version are at the same place; for a name without one, the name
 * without what only tells the direction (golang-migrate's .up / .down) or
 * the file kind, so a down migration sits where the up one it undoes does.
 */
static const char *version_name(struct pgs_arena *a, const char *path)
{
	static const char *const suffixes[] = {".up.sql", ".down.sql", ".sql"};
	const char *base = pgs_path_base(path);
	const char *name = after_flyway_prefix(base);
	size_t n = 0;

	/* diesel's <version>_<name>/up.sql, prisma's <timestamp>_<name>/migration.sql */
	if ((strcmp(base, "up.sql") == 0 || strcmp(base, "down.sql") == 0 ||
	     strcmp(base, "migration.sql") == 0) &&
	    base - path >= 2) {
		const char *dir = base - 1;
		while (dir > path && dir[-1] != '/')
			dir--;
		if (is_digit(*dir))
			name = pgs_arena_strndup(a, dir, (size_t)(base - 1 - dir));
	}
	if (is_digit(*name)) {
		/* digits, and . or _ (diesel: -) between digits */
		while (is_digit(name[n]) ||
		       ((name[n] == '.' || name[n] == '_' || name[n] == '-') && is_digit(name[n + 1])))
			n++;
		return pgs_arena_strndup(a, name, n);
	}
	n = strlen(name);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (pgs_path_ends_with(name, suffixes[i])) {
			n -= strlen(suffixes[i]);
			break;
		}
	return pgs_arena_strndup(a, name, n);
}

/* Version order of two version names, the order directories are applied in. */
static int by_version(const char *a, const char *b)
{
	bool ra = is_flyway_repeatable(a), rb = is_flyway_repeatable(b);

	if (ra != rb)
		return ra ? 1 : -1;
	return natural_then_bytes(a, b);
}

/* "device:inode" of a regular file ("-": standard input), or NULL. */
static const char *file_key(struct pgs_arena *a, const char *path)
{
	struct stat st;
	int rc = strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st) : stat(path, &st);

	if (rc != 0 || !S_ISREG(st.st_mode))
		return NULL;
	return pgs_arena_printf(a, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
}

/* The file's directory resolved, then its own name: one spelling of where it is. */
static char *location(struct pgs_arena *a, const char *path)
{
	char real[PATH_MAX];
	const char *base = pgs_path_base(path);
	const char *dir = base == path ? "." : pgs_arena_strndup(a, path, (size_t)(base - path));

	if (!realpath(dir, real))
		return NULL;
	return pgs_arena_printf(a, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
}

/* A context directory argument, and where its files stop being context. */
struct context_dir {
	const char *arg;
	const char *bound;	 /* version name of the earliest input (with down: the newest) */
	const char *bound_input; /* that input, as given */
	size_t n_unversioned;	 /* inputs without a version number that are in the directory */
	size_t n_cut;
	const char *first_cut;
};

/* Move the bound to input (version name v) when it is earlier (with down: later). */
static void place(const char **bound, const char **bound_input, const char *v, const char *input,
		  bool down)
{
	int c = *bound ? by_version(v, *bound) : 0;

	if (!*bound || (down ? c > 0 : c < 0)) {
		*bound = v;
		*bound_input = input;
	}
}

/* The context directories (by argument), each also under its resolved path in by_real. */
static struct context_dir **context_dirs(struct pgs_inputs *in, struct pgs_arena *a,
					 struct pgs_strmap *by_arg, struct pgs_strmap *by_real,
					 size_t *n)
{
	struct context_dir **all = pgs_arena_array(a, in->n_dirs + 1, sizeof(*all));
	char real[PATH_MAX];

	*n = 0;
	for (size_t i = 0; i < in->n; i++) {
		const char *arg = in->items[i].dir;
		if (!in->items[i].context || !arg || pgs_strmap_get(by_arg, arg))
			continue;
		struct context_dir *d = pgs_arena_alloc(a, sizeof(*d));
		d->arg = arg;
		pgs_strmap_put(by_arg, arg, d);
		all[(*n)++] = d;
		if (realpath(arg, real))
			pgs_strmap_put(by_real, pgs_arena_strdup(a, real), d);
	}
	return all;
}

/* An input without a version number: placed among the files of the context directories it is in. */
static void place_unversioned(struct pgs_arena *a, struct pgs_strmap *by_real, const char *input,
			      bool down)
{
	char *loc = strcmp(input, "-") == 0 ? NULL : location(a, input);
	const char *v = version_name(a, input);

	/* every directory above it, innermost first */
	for (char *slash = loc ? strrchr(loc, '/') : NULL; slash && slash > loc;) {
		*slash = '\0';
		struct context_dir *d = pgs_strmap_get(by_real, loc);
		if (d) {
			d->n_unversioned++;
			place(&d->bound, &d->bound_input, v, input, down);
		}
		slash = strrchr(loc, '/');
	}
}

/* Why a context file that is also an input is left out (dir: the argument it was found in). */
static void warn_same_file(struct pgs_inputs *in, struct pgs_arena *a, const char *dir,
			   const char *path, const char *input)
{
	if (dir)
		warn(in, a, "--context %s: %s is the same file as the input %s: not used as context",
		     dir, path, input);
	else if (strcmp(path, input) == 0)
		warn(in, a, "--context %s is also an input: not used as context", path);
	else
		warn(in, a, "--context %s is the same file as the input %s: not used as context",
		     path, input);
}

/* Whether a file of context directory d comes at or after the input (with down: after). */
static bool cut(struct pgs_arena *a, const struct context_dir *d, const char *path, bool down)
{
	int c = d->bound ? by_version(version_name(a, path), d->bound) : -1;

	return down ? c > 0 : c >= 0;
}

void pgs_inputs_tidy_context(struct pgs_inputs *in, bool down)
{
	struct pgs_arena a;
	struct pgs_strmap ids, by_arg, by_real;
	const char *bound = NULL, *bound_input = NULL; /* of the inputs with a version number */
	size_t n_dirs, n_unversioned = 0;

	pgs_arena_init(&a);
	pgs_strmap_init(&ids);
	pgs_strmap_init(&by_arg);
	pgs_strmap_init(&by_real);
	struct context_dir **dirs = context_dirs(in, &a, &by_arg, &by_real, &n_dirs);
	for (size_t i = 0; i < in->n; i++) {
		const char *path = in->items[i].path;
		if (in->items[i].context)
			continue;
		const char *key = file_key(&a, path);
		if (key && !pgs_strmap_get(&ids, key))
			pgs_strmap_put(&ids, key, (void *)path);
		const char *v = strcmp(path, "-") != 0 ? version_name(&a, path) : NULL;
		if (v && is_digit(*v)) {
			place(&bound, &bound_input, v, path, down);
		} else {
			n_unversioned++;
			if (n_dirs)
				place_unversioned(&a, &by_real, path, down);
		}
	}
	for (size_t k = 0; k < n_dirs; k++) {
		struct context_dir *d = dirs[k];
		/* with down, an input that can't be placed may be the newest: none come after */
		if (down && d->n_unversioned < n_unversioned)
			d->bound = NULL;
		else if (bound)
			place(&d->bound, &d->bound_input, bound, bound_input, down);
	}

	size_t kept = 0;
	for (size_t i = 0; i < in->n; i++) {
		struct pgs_input *it = &in->items[i];
		struct context_dir *d =
		    it->context && it->dir ? pgs_strmap_get(&by_arg, it->dir) : NULL;
		const char *key = it->context && !down ? file_key(&a, it->path) : NULL;
		const char *same = key ? pgs_strmap_get(&ids, key) : NULL;

		if (d && cut(&a, d, it->path, down)) {
			if (!d->n_cut++)
				d->first_cut = pgs_arena_strdup(&a, it->path);
		} else if (same) {
			warn_same_file(in, &a, d ? d->arg : NULL, it->path, same);
		} else {
			in->items[kept++] = *it;
			continue;
		}
		free(it->path);
		free(it->group);
	}
	in->n = kept;

	for (size_t k = 0; k < n_dirs; k++) {
		const struct context_dir *d = dirs[k];
		size_t skip = strlen(d->arg);
		if (!d->n_cut)
			continue;
		const char *first = d->first_cut + skip + (pgs_path_ends_with(d->arg, "/") ? 0 : 1);
		const char *when = down ? "after" : "at or after";
		if (d->n_cut == 1)
			warn(in, &a,
			     "--context %s: %s is not used as context: it comes %s the input %s",
			     d->arg, first, when, d->bound_input);
		else
			warn(in, &a,
			     "--context %s: %zu files from %s on are not used as context: "
			     "they come %s the input %s",
			     d->arg, d->n_cut, first, when, d->bound_input);
	}
	pgs_strmap_release(&ids);
	pgs_strmap_release(&by_arg);
	pgs_strmap_release(&by_real);
	pgs_arena_release(&a);
}
