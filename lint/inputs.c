#include "lint/inputs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lint/arena.h"
#include "lint/config.h"
#include "lint/sections.h"

void pgs_inputs_init(struct pgs_inputs *in)
{
	memset(in, 0, sizeof(*in));
}

void pgs_inputs_release(struct pgs_inputs *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->items[i].path);
	free(in->items);
	pgs_inputs_init(in);
}

static void push(struct pgs_inputs *in, char *path, bool context)
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

/* Whether a file found in a directory belongs to the direction being linted. */
static bool wanted(const char *base, bool down)
{
	bool down_file = pgs_path_ends_with(base, ".down.sql") || is_flyway_undo(base);

	if (!pgs_path_ends_with(base, ".sql"))
		return false;
	return down ? down_file || !(pgs_path_ends_with(base, ".up.sql") || (base[0] == 'V' && strstr(base, "__")))
		    : !down_file;
}

static int by_apply_order(const void *pa, const void *pb)
{
	const struct pgs_input *a = pa, *b = pb;
	bool ra = is_flyway_repeatable(pgs_path_base(a->path));
	bool rb = is_flyway_repeatable(pgs_path_base(b->path));

	if (ra != rb)
		return ra ? 1 : -1;
	return natural_then_bytes(a->path, b->path);
}

static void walk(struct pgs_inputs *in, const char *dir, bool context, bool down)
{
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
			walk(in, path, context, down);
			free(path);
		} else if (wanted(ent->d_name, down)) {
			push(in, path, context);
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
		push(in, pgs_xstrdup(path), context);
		return 0;
	}
	size_t first = in->n;
	walk(in, path, context, down);
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
