#include "lint/tool_files.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "<dir of path>/<name>", false when it does not fit. */
static bool beside(char *out, size_t size, const char *path, const char *name)
{
	const char *base = pgs_path_base(path);
	int n = snprintf(out, size, "%.*s%s", (int)(base - path), path, name);

	return n > 0 && (size_t)n < size;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The line with leading blanks skipped. */
static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* flyway: executeInTransaction=false in <script>.conf. */
static bool flyway_no_txn(const char *path)
{
	char conf[4096], line[512];
	bool no_txn = false;

	if (snprintf(conf, sizeof(conf), "%s.conf", path) >= (int)sizeof(conf))
		return false;
	FILE *f = fopen(conf, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "executeInTransaction", 20) == 0 && strstr(line, "false"))
			no_txn = true;
	fclose(f);
	return no_txn;
}

/*
 * diesel: metadata.toml beside up.sql. migrations_internals' TomlMetadata
 * reads run_in_transaction with serde's default (false) when the key is
 * missing; without the file it is true.
 */
static void diesel_metadata(const char *path, struct pgs_tool_hints *h)
{
	char meta[4096], line[512];

	if (!beside(meta, sizeof(meta), path, "metadata.toml"))
		return;
	FILE *f = fopen(meta, "r");
	if (!f)
		return;
	h->diesel_metadata = true;
	while (fgets(line, sizeof(line), f)) {
		const char *p = skip_blanks(line);
		if (strncmp(p, "run_in_transaction", 18) != 0)
			continue;
		p = skip_blanks(p + 18);
		if (*p != '=')
			continue;
		p = skip_blanks(p + 1);
		h->diesel_in_txn = strncmp(p, "true", 4) == 0;
	}
	fclose(f);
}

/* sqitch: the file is in deploy/, revert/ or verify/ and ../sqitch.plan exists. */
static bool sqitch_script(const char *path)
{
	static const char *const dirs[] = {"deploy/", "revert/", "verify/"};
	const char *base = pgs_path_base(path);
	char plan[4096];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i]);
		if ((size_t)(base - path) < n || strncmp(base - n, dirs[i], n) != 0 ||
		    (base - n > path && base[-n - 1] != '/'))
			continue;
		int len = snprintf(plan, sizeof(plan), "%.*ssqitch.plan", (int)(base - n - path), path);
		return len > 0 && (size_t)len < sizeof(plan) && exists(plan);
	}
	return false;
}

/* Whether a Cargo.toml line declares the crate as a dependency ("name = ...", "name.workspace", "[dependencies.name]"). */
static bool declares(const char *line, const char *crate)
{
	const char *p = skip_blanks(line);
	size_t n = strlen(crate);

	if (*p == '[') {
		const char *dot = strrchr(p, '.');
		return strstr(p, "dependencies") && dot && strncmp(dot + 1, crate, n) == 0 &&
		       dot[1 + n] == ']';
	}
	if (*p == '"')
		p++;
	if (strncmp(p, crate, n) != 0)
		return false;
	p += n;
	if (*p == '"')
		p++;
	p = skip_blanks(p);
	return *p == '=' || *p == '.';
}

/* The nearest Cargo.toml in the directories above path: its sqlx / refinery dependency. */
static void cargo(const char *path, struct pgs_tool_hints *h)
{
	char dir[4096], real[PATH_MAX], manifest[PATH_MAX + 16], line[512];
	const char *base = pgs_path_base(path);

	if (snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), base == path ? "." : path) >=
		(int)sizeof(dir) ||
	    !realpath(base == path ? "." : dir, real))
		return;
	for (;;) {
		snprintf(manifest, sizeof(manifest), "%s/Cargo.toml", strcmp(real, "/") ? real : "");
		FILE *f = fopen(manifest, "r");
		if (f) {
			while (fgets(line, sizeof(line), f)) {
				h->cargo_sqlx = h->cargo_sqlx || declares(line, "sqlx");
				h->cargo_refinery = h->cargo_refinery || declares(line, "refinery");
			}
			fclose(f);
			return;
		}
		char *slash = strrchr(real, '/');
		if (!slash || strcmp(real, "/") == 0)
			return;
		if (slash == real)
			slash[1] = 0;
		else
			*slash = 0;
	}
}

void pgs_tool_hints_read(const char *path, struct pgs_tool_hints *h)
{
	char journal[4096];

	memset(h, 0, sizeof(*h));
	if (strcmp(path, "-") == 0 || strcmp(path, "<stdin>") == 0)
		return;
	h->flyway_no_txn = flyway_no_txn(path);
	if (strcmp(pgs_path_base(path), "up.sql") == 0 || strcmp(pgs_path_base(path), "down.sql") == 0)
		diesel_metadata(path, h);
	h->sqitch = sqitch_script(path);
	h->drizzle_journal =
	    beside(journal, sizeof(journal), path, "meta/_journal.json") && exists(journal);
	cargo(path, h);
}
