/*
 * write: temporary files beside the final one, placed without overwriting,
 * and in-place replacement that keeps the mode and follows symbolic links.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lint/write.h"

static char dir[] = "/tmp/pgstage-write-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static const char *at(const char *name)
{
	static char paths[4][128];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void assert_text(const char *name, const char *want)
{
	char buf[256] = {0};
	FILE *f = fopen(at(name), "r");

	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	assert_string_equal(buf, want);
}

/* The names in dir, sorted, one per line. */
static char *listing(const char *sub)
{
	static char out[1024];
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "cd '%s/%s' && ls -A | sort | tr '\\n' ' '", dir, sub);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	pclose(p);
	return out;
}

static mode_t mode_of(const char *name)
{
	struct stat sb;

	assert_int_equal(stat(at(name), &sb), 0);
	return sb.st_mode & 07777;
}

static void temp_then_place_never_overwrites(void **state)
{
	struct pgs_error err;

	(void)state;
	mode_t mask = umask(022);
	char *tmp = pgs_write_temp(at("new.sql"), "new\n", PGS_WRITE_NEW_FILE, &err);
	assert_non_null(tmp);
	/* hidden, beside the final file, complete */
	assert_int_equal(strncmp(tmp, at(".new.sql.pgstage-"), strlen(at(".new.sql.pgstage-"))), 0);
	assert_int_equal(pgs_write_place_new(tmp, at("new.sql"), &err), 0);
	free(tmp);
	assert_text("new.sql", "new\n");
	assert_int_equal(mode_of("new.sql"), 0644);
	assert_string_equal(listing(""), "new.sql ");

	/* the final name taken meanwhile: it stays, the temporary file too (the caller's) */
	put("taken.sql", "mine\n");
	tmp = pgs_write_temp(at("taken.sql"), "theirs\n", 0600, &err);
	assert_non_null(tmp);
	assert_int_equal(pgs_write_place_new(tmp, at("taken.sql"), &err), -1);
	char want[256];
	snprintf(want, sizeof(want), "cannot create %s: File exists", at("taken.sql"));
	assert_string_equal(err.message, want);
	assert_text("taken.sql", "mine\n");
	assert_int_equal(unlink(tmp), 0);
	free(tmp);

	/* a directory that is not there: a message naming the final path, nothing made */
	assert_null(pgs_write_temp(at("nowhere/x.sql"), "x", PGS_WRITE_NEW_FILE, &err));
	snprintf(want, sizeof(want), "cannot create %s: No such file or directory",
		 at("nowhere/x.sql"));
	assert_string_equal(err.message, want);
	assert_string_equal(listing(""), "new.sql taken.sql ");
	umask(mask);
}

static void replace_keeps_mode_and_symbolic_links(void **state)
{
	struct pgs_error err;

	(void)state;
	put("m.sql", "old\n");
	assert_int_equal(chmod(at("m.sql"), 0640), 0);
	assert_int_equal(pgs_write_replace(at("m.sql"), "fixed\n", &err), 0);
	assert_text("m.sql", "fixed\n");
	assert_int_equal(mode_of("m.sql"), 0640);

	/* a link to a file in another directory: the file changes, the link stays */
	assert_int_equal(mkdir(at("real"), 0755), 0);
	assert_int_equal(mkdir(at("links"), 0755), 0);
	put("real/t.sql", "old\n");
	assert_int_equal(chmod(at("real/t.sql"), 0600), 0);
	assert_int_equal(symlink("../real/t.sql", at("links/t.sql")), 0);
	assert_int_equal(pgs_write_replace(at("links/t.sql"), "fixed\n", &err), 0);
	struct stat sb;
	assert_int_equal(lstat(at("links/t.sql"), &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_text("real/t.sql", "fixed\n");
	assert_int_equal(mode_of("real/t.sql"), 0600);
	/* no temporary file beside the link or the file */
	assert_string_equal(listing("links"), "t.sql ");
	assert_string_equal(listing("real"), "t.sql ");

	/* a dangling link is an error naming it */
	assert_int_equal(symlink("../real/gone.sql", at("links/gone.sql")), 0);
	assert_int_equal(pgs_write_replace(at("links/gone.sql"), "x", &err), -1);
	char want[256];
	snprintf(want, sizeof(want), "cannot write %s: No such file or directory",
		 at("links/gone.sql"));
	assert_string_equal(err.message, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(temp_then_place_never_overwrites),
		cmocka_unit_test(replace_keeps_mode_and_symbolic_links),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
