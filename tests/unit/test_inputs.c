/*
 * inputs: natural ordering of migration names, and directories expanded into
 * their .sql files in apply order (flyway repeatables last, down migrations
 * only when asked for).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lint/inputs.h"

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void less(const char *a, const char *b)
{
	if (sign(pgs_natural_compare(a, b)) != -1)
		fail_msg("want \"%s\" < \"%s\", compare gives %d", a, b, pgs_natural_compare(a, b));
	if (sign(pgs_natural_compare(b, a)) != 1)
		fail_msg("want \"%s\" > \"%s\", compare gives %d", b, a, pgs_natural_compare(b, a));
}

static void test_natural_compare(void **state)
{
	(void)state;
	less("2_x.sql", "10_x.sql");
	less("9_x.sql", "10_x.sql");
	less("V1.1__a", "V1.10__a");
	less("V1.2__a", "V1.10__a");
	less("V2__x.sql", "V10__y.sql");
	less("20240101_a.sql", "20240102_a.sql");
	less("dir/2_a.sql", "dir/10_b.sql");
	less("1_x.sql", "1_y.sql");
	/* numbers compare before the text after them */
	less("1_z.sql", "2_a.sql");
	/* plain strcmp otherwise */
	less("a", "b");
	less("a", "ab");
	less("", "a");
	less("A", "a");
	less("abc", "abd");
	less("x\x7f", "x\xc3\xa9"); /* bytes compare unsigned */
	assert_int_equal(pgs_natural_compare("", ""), 0);
	assert_int_equal(pgs_natural_compare("same.sql", "same.sql"), 0);
	assert_int_equal(pgs_natural_compare("10", "10"), 0);
	/* digits against non-digits: by character */
	less("1", "a");
	less("a1", "ab");
	/* leading zeros: same numeric value compares equal, differing text decides */
	assert_int_equal(pgs_natural_compare("001", "1"), 0);
	assert_int_equal(pgs_natural_compare("V001__a.sql", "V1__a.sql"), 0);
	less("001_a.sql", "1_b.sql");
	less("1_a.sql", "001_b.sql");
	less("002_a.sql", "10_a.sql");
	less("0", "1");
	less("00", "01");
	assert_int_equal(pgs_natural_compare("0", "000"), 0);
	/* very long digit runs don't overflow */
	less("99999999999999999999999_a", "100000000000000000000000_a");
}

/* ---- directories ---- */

struct tree {
	char root[64];
};

static void make_dir(const struct tree *t, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	if (mkdir(path, 0700) != 0)
		fail_msg("mkdir %s failed", path);
}

static void make_file(const struct tree *t, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot create %s", path);
	fputs("select 1;\n", f);
	fclose(f);
}

/* The temporary tree of the running test, removed by teardown if it fails. */
static char live_root[64];

static int rm_rf(const char *path)
{
	char cmd[600];

	/* only ever a mkdtemp directory of ours under /tmp */
	if (strncmp(path, "/tmp/pgstage-inputs-", 20) != 0 || strchr(path, '\''))
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

static void remove_tree(const char *path)
{
	assert_int_equal(rm_rf(path), 0);
	live_root[0] = '\0';
}

static void new_tree(struct tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/pgstage-inputs-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	memcpy(live_root, t->root, sizeof(live_root));
}

static int teardown(void **state)
{
	(void)state;
	if (live_root[0])
		rm_rf(live_root);
	live_root[0] = '\0';
	return 0;
}

/* The inputs' paths relative to the tree root, in order; NULL-terminated want. */
static void check_paths(const struct tree *t, const struct pgs_inputs *in, size_t from,
			const char *const *want, bool context)
{
	size_t n = 0, root_len = strlen(t->root);

	while (want[n])
		n++;
	if (in->n - from != n) {
		for (size_t i = from; i < in->n; i++)
			print_message("  got %s\n", in->items[i].path);
		fail_msg("%zu inputs, want %zu", in->n - from, n);
	}
	for (size_t i = 0; i < n; i++) {
		const char *p = in->items[from + i].path;

		if (strncmp(p, t->root, root_len) != 0 || p[root_len] != '/' ||
		    strcmp(p + root_len + 1, want[i]) != 0)
			fail_msg("input %zu is %s, want %s/%s", i, p, t->root, want[i]);
		assert_int_equal(in->items[from + i].context, context);
	}
}

static void test_directory_order(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	make_file(&t, "10_b.sql");
	make_file(&t, "2_a.sql");
	make_file(&t, "README.md");
	make_file(&t, "notes.sql.bak");
	make_file(&t, "schema.SQL"); /* only lower-case .sql */
	make_dir(&t, "sub");
	make_file(&t, "sub/3_c.sql");
	make_dir(&t, "sub/deeper");
	make_file(&t, "sub/deeper/1_d.sql");
	make_dir(&t, ".hidden");
	make_file(&t, ".hidden/0_h.sql");
	make_file(&t, ".5_hidden.sql");
	make_dir(&t, "empty");

	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	/* whole paths in natural order: files of root before "sub/..." */
	check_paths(
	    &t, &in, 0,
	    (const char *const[]){"2_a.sql", "10_b.sql", "sub/3_c.sql", "sub/deeper/1_d.sql", NULL},
	    false);
	pgs_inputs_release(&in);
	assert_int_equal(in.n, 0);
	assert_null(in.items);

	/* a trailing slash gives the same paths without a double slash */
	char slash[80];
	snprintf(slash, sizeof(slash), "%s/", t.root);
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, slash, true, false, &err), 0);
	check_paths(
	    &t, &in, 0,
	    (const char *const[]){"2_a.sql", "10_b.sql", "sub/3_c.sql", "sub/deeper/1_d.sql", NULL},
	    true);
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

static void test_golang_migrate_down(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	make_file(&t, "1_x.up.sql");
	make_file(&t, "1_x.down.sql");
	make_file(&t, "2_y.up.sql");
	make_file(&t, "2_y.down.sql");

	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	check_paths(&t, &in, 0, (const char *const[]){"1_x.up.sql", "2_y.up.sql", NULL}, false);
	pgs_inputs_release(&in);

	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, true, &err), 0);
	/* down migrations run newest first */
	check_paths(&t, &in, 0, (const char *const[]){"2_y.down.sql", "1_x.down.sql", NULL}, false);
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

static void test_flyway_order(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	make_file(&t, "R__z.sql");
	make_file(&t, "R__a.sql");
	make_file(&t, "V10__y.sql");
	make_file(&t, "V2__x.sql");
	make_file(&t, "V1.1__w.sql");
	make_file(&t, "U2__x.sql");

	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"V1.1__w.sql", "V2__x.sql", "V10__y.sql", "R__a.sql",
					  "R__z.sql", NULL},
		    false);
	pgs_inputs_release(&in);

	/* down: undo scripts, never the versioned ones */
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, true, &err), 0);
	size_t undo = 0;
	for (size_t i = 0; i < in.n; i++) {
		const char *base = strrchr(in.items[i].path, '/') + 1;

		assert_true(base[0] != 'V');
		undo += strcmp(base, "U2__x.sql") == 0;
	}
	assert_int_equal(undo, 1);
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

static void test_empty_directory(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	pgs_inputs_init(&in);
	err.message[0] = '\0';
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), -1);
	assert_int_equal(in.n, 0);
	assert_non_null(strstr(err.message, t.root));
	assert_non_null(strstr(err.message, "holds no .sql"));

	/* non-.sql files and hidden ones don't count */
	make_file(&t, "README.md");
	make_dir(&t, ".git");
	make_file(&t, ".git/1_a.sql");
	err.message[0] = '\0';
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), -1);
	assert_non_null(strstr(err.message, "holds no .sql"));

	/* only up files, asking for down */
	make_file(&t, "1_x.up.sql");
	err.message[0] = '\0';
	assert_int_equal(pgs_inputs_add(&in, t.root, false, true, &err), -1);
	assert_non_null(strstr(err.message, "holds no .sql"));
	assert_int_equal(in.n, 0);
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

static void test_files_and_missing_paths(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;
	char path[128];

	(void)state;
	new_tree(&t);
	make_file(&t, "1_x.down.sql");
	pgs_inputs_init(&in);
	/* a file is added as given, whatever its name or direction */
	snprintf(path, sizeof(path), "%s/1_x.down.sql", t.root);
	assert_int_equal(pgs_inputs_add(&in, path, false, false, &err), 0);
	/* a missing path is added as is, in order */
	assert_int_equal(pgs_inputs_add(&in, "/nonexistent/9_z.sql", true, false, &err), 0);
	assert_int_equal(pgs_inputs_add(&in, "-", false, false, &err), 0);
	assert_int_equal(in.n, 3);
	assert_string_equal(in.items[0].path, path);
	assert_false(in.items[0].context);
	assert_string_equal(in.items[1].path, "/nonexistent/9_z.sql");
	assert_true(in.items[1].context);
	assert_string_equal(in.items[2].path, "-");
	/* directories append after what is there */
	make_dir(&t, "d");
	make_file(&t, "d/2_a.sql");
	make_file(&t, "d/1_a.sql");
	snprintf(path, sizeof(path), "%s/d", t.root);
	assert_int_equal(pgs_inputs_add(&in, path, false, false, &err), 0);
	check_paths(&t, &in, 3, (const char *const[]){"d/1_a.sql", "d/2_a.sql", NULL}, false);
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

static void test_many_files(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	/* more than the initial capacity, created out of order */
	for (int i = 100; i >= 1; i--) {
		char name[32];

		snprintf(name, sizeof(name), "%d_m.sql", i);
		make_file(&t, name);
	}
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	assert_int_equal(in.n, 100);
	for (int i = 0; i < 100; i++) {
		char want[32];

		snprintf(want, sizeof(want), "%d_m.sql", i + 1);
		assert_string_equal(strrchr(in.items[i].path, '/') + 1, want);
	}
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

/*
 * A symlink back to a directory being walked must not list its files again
 * (with two such links the walk is exponential and never ends).
 */
static void test_symlink_loop(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;
	char link_path[128];

	(void)state;
	new_tree(&t);
	make_file(&t, "1_a.sql");
	snprintf(link_path, sizeof(link_path), "%s/self", t.root);
	assert_int_equal(symlink(".", link_path), 0);
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	size_t n = in.n;
	pgs_inputs_release(&in);
	remove_tree(t.root);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_natural_compare),
	    cmocka_unit_test_teardown(test_directory_order, teardown),
	    cmocka_unit_test_teardown(test_golang_migrate_down, teardown),
	    cmocka_unit_test_teardown(test_flyway_order, teardown),
	    cmocka_unit_test_teardown(test_empty_directory, teardown),
	    cmocka_unit_test_teardown(test_files_and_missing_paths, teardown),
	    cmocka_unit_test_teardown(test_many_files, teardown),
	    cmocka_unit_test_teardown(test_symlink_loop, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
