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

static void leave_tree(void);

static int teardown(void **state)
{
	(void)state;
	leave_tree();
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

/* A file of the tree holding text. */
static void write_file(const struct tree *t, const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

/* Whether a warning line holds every one of the given texts (NULL-terminated). */
static bool warned(const struct pgs_inputs *in, const char *const *parts)
{
	for (size_t i = 0; i < in->n_warnings; i++) {
		bool all = true;
		for (size_t k = 0; parts[k] && all; k++)
			all = strstr(in->warnings[i], parts[k]) != NULL;
		if (all)
			return true;
	}
	return false;
}

static void test_diesel_order(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	make_dir(&t, "2024-01-02-000000_b");
	make_file(&t, "2024-01-02-000000_b/up.sql");
	make_file(&t, "2024-01-02-000000_b/down.sql");
	write_file(&t, "2024-01-02-000000_b/metadata.toml", "run_in_transaction = false\n");
	make_dir(&t, "00000000000000_diesel_initial_setup");
	make_file(&t, "00000000000000_diesel_initial_setup/up.sql");
	make_file(&t, "00000000000000_diesel_initial_setup/down.sql");
	make_dir(&t, "2024-01-01-000000_a");
	make_file(&t, "2024-01-01-000000_a/up.sql");
	make_file(&t, "2024-01-01-000000_a/down.sql");

	/* up.sql in version order; down.sql is the down migration, not a second up */
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"00000000000000_diesel_initial_setup/up.sql",
					  "2024-01-01-000000_a/up.sql", "2024-01-02-000000_b/up.sql",
					  NULL},
		    false);
	pgs_inputs_release(&in);
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, true, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"2024-01-02-000000_b/down.sql", "2024-01-01-000000_a/down.sql",
					  "00000000000000_diesel_initial_setup/down.sql", NULL},
		    false);
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

static void test_sqitch_order(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	write_file(&t, "sqitch.plan",
		   "%syntax-version=1.0.0\n"
		   "%project=app\n"
		   "\n"
		   "zeta 2024-01-01T00:00:00Z Ann <ann@example.com> # first, though last by name\n"
		   "alpha [zeta] 2024-01-02T00:00:00Z Ann <ann@example.com> # second\n"
		   "@v1.0 2024-01-03T00:00:00Z Ann <ann@example.com> # a tag\n"
		   "gone 2024-01-04T00:00:00Z Ann <ann@example.com> # no script\n"
		   "zeta [zeta@v1.0] 2024-01-05T00:00:00Z Ann <ann@example.com> # reworked\n");
	make_dir(&t, "deploy");
	make_dir(&t, "revert");
	make_dir(&t, "verify");
	make_file(&t, "deploy/zeta@v1.0.sql");
	make_file(&t, "deploy/zeta.sql");
	make_file(&t, "deploy/alpha.sql");
	make_file(&t, "deploy/stray.sql");
	make_file(&t, "revert/zeta@v1.0.sql");
	make_file(&t, "revert/zeta.sql");
	make_file(&t, "revert/alpha.sql");
	make_file(&t, "verify/zeta.sql");
	make_file(&t, "verify/alpha.sql");

	/* plan order, the reworked change's first version under its tag, verify/ never;
	 * a script the plan does not name last, with a warning; a change without a script warned */
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"deploy/zeta@v1.0.sql", "deploy/alpha.sql", "deploy/zeta.sql",
					  "deploy/stray.sql", NULL},
		    false);
	assert_true(warned(&in, (const char *const[]){"deploy/stray.sql",
							"not in sqitch.plan, so sqitch does not run it",
							NULL}));
	assert_true(warned(&in, (const char *const[]){"sqitch.plan names the change gone, but ",
							"deploy/gone.sql does not exist", NULL}));
	assert_int_equal(in.n_warnings, 2);
	pgs_inputs_release(&in);

	/* down: revert/ newest first */
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, true, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"revert/zeta.sql", "revert/alpha.sql", "revert/zeta@v1.0.sql",
					  NULL},
		    false);
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

static void test_drizzle_order(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	make_dir(&t, "meta");
	write_file(&t, "meta/_journal.json",
		   "{\"version\": \"7\", \"dialect\": \"postgresql\", \"entries\": ["
		   "{\"idx\": 0, \"when\": 1, \"tag\": \"0001_later_name\", \"breakpoints\": true},"
		   "{\"idx\": 1, \"when\": 2, \"tag\": \"0000_earlier_name\", \"breakpoints\": true},"
		   "{\"idx\": 2, \"when\": 3, \"tag\": \"0002_missing\", \"breakpoints\": true}]}");
	make_file(&t, "0000_earlier_name.sql");
	make_file(&t, "0001_later_name.sql");
	make_file(&t, "custom.sql");

	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"0001_later_name.sql", "0000_earlier_name.sql", "custom.sql",
					  NULL},
		    false);
	assert_true(warned(&in, (const char *const[]){"custom.sql",
							"not in meta/_journal.json, so drizzle's "
							"migrator does not apply it",
							NULL}));
	assert_true(warned(&in, (const char *const[]){"the journal names ", "0002_missing.sql",
							"which does not exist", NULL}));
	pgs_inputs_release(&in);

	/* a journal that is not drizzle's: name order, and said */
	write_file(&t, "meta/_journal.json", "[1, 2]");
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"0000_earlier_name.sql", "0001_later_name.sql", "custom.sql",
					  NULL},
		    false);
	assert_true(warned(&in, (const char *const[]){"not a drizzle journal (no \"entries\" array)",
							NULL}));
	pgs_inputs_release(&in);
	remove_tree(t.root);
}

static void test_refinery_unversioned(void **state)
{
	struct tree t;
	struct pgs_inputs in;
	struct pgs_error err;

	(void)state;
	new_tree(&t);
	make_dir(&t, "migrations");
	make_file(&t, "migrations/V1__init.sql");
	make_file(&t, "migrations/U2__seed.sql");
	make_file(&t, "migrations/V3__more.sql");
	/* without refinery in Cargo.toml, U2__ is flyway's undo script */
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"migrations/V1__init.sql", "migrations/V3__more.sql", NULL},
		    false);
	pgs_inputs_release(&in);
	/* with it, an unversioned migration that goes up, in version order */
	write_file(&t, "Cargo.toml",
		   "[package]\nname = \"app\"\n\n[dependencies]\nrefinery = { version = \"0.8\", "
		   "features = [\"postgres\"] }\n");
	pgs_inputs_init(&in);
	assert_int_equal(pgs_inputs_add(&in, t.root, false, false, &err), 0);
	check_paths(&t, &in, 0,
		    (const char *const[]){"migrations/V1__init.sql", "migrations/U2__seed.sql",
					  "migrations/V3__more.sql", NULL},
		    false);
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

/* ---- keeping the inputs' own changes out of the context ---- */

/* What tidying leaves: the kept paths (context ones marked "ctx:") and the warnings. */
static void check_tidy(struct pgs_inputs *in, const char *const *want_kept,
		       const char *const *want_warnings)
{
	size_t n = 0;

	for (; want_kept[n]; n++) {
		char got[512];
		if (n >= in->n)
			fail_msg("%zu inputs kept, want more: %s", in->n, want_kept[n]);
		snprintf(got, sizeof(got), "%s%s", in->items[n].context ? "ctx:" : "",
			 in->items[n].path);
		if (strcmp(got, want_kept[n]) != 0)
			fail_msg("input %zu is %s, want %s", n, got, want_kept[n]);
	}
	if (in->n != n)
		fail_msg("%zu inputs kept, want %zu (the extra one: %s)", in->n, n,
			 in->items[n].path);
	for (n = 0; want_warnings[n]; n++) {
		if (n >= in->n_warnings)
			fail_msg("%zu warnings, want more: %s", in->n_warnings, want_warnings[n]);
		if (strcmp(in->warnings[n], want_warnings[n]) != 0)
			fail_msg("warning %zu is\n  %s\nwant\n  %s", n, in->warnings[n],
				 want_warnings[n]);
	}
	if (in->n_warnings != n)
		fail_msg("%zu warnings, want %zu (the extra one: %s)", in->n_warnings, n,
			 in->warnings[n]);
}

/* Add context paths, then inputs (NULL-terminated lists), and tidy. */
static void tidy(struct pgs_inputs *in, const char *const *context, const char *const *inputs,
		 bool down)
{
	struct pgs_error err;

	pgs_inputs_init(in);
	for (size_t i = 0; context[i]; i++)
		assert_int_equal(pgs_inputs_add(in, context[i], true, false, &err), 0);
	for (size_t i = 0; inputs[i]; i++)
		assert_int_equal(pgs_inputs_add(in, inputs[i], false, down, &err), 0);
	pgs_inputs_tidy_context(in, down);
}

/* Where the tests run; a test working inside its tree goes back there, also when it fails. */
static char home[4096];

static void enter_tree(const struct tree *t)
{
	assert_non_null(getcwd(home, sizeof(home)));
	assert_int_equal(chdir(t->root), 0);
}

static void leave_tree(void)
{
	if (home[0])
		assert_int_equal(chdir(home), 0);
	home[0] = '\0';
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

static void test_context_same_file(void **state)
{
	struct tree t;
	struct pgs_inputs in;

	(void)state;
	new_tree(&t);
	make_file(&t, "m.sql");
	make_file(&t, "other.sql"); /* the same text, another file */
	make_dir(&t, "d");
	make_file(&t, "d/1_a.sql");
	enter_tree(&t);
	assert_int_equal(symlink("m.sql", "link.sql"), 0);
	assert_int_equal(symlink("../m.sql", "d/current.sql"), 0);

	tidy(&in, LIST("m.sql", "./m.sql", "link.sql", "other.sql", "missing.sql", "d"),
	     LIST("m.sql"), false);
	check_tidy(
	    &in, LIST("ctx:other.sql", "ctx:missing.sql", "ctx:d/1_a.sql", "m.sql"),
	    LIST("--context m.sql is also an input: not used as context",
		 "--context ./m.sql is the same file as the input m.sql: not used as context",
		 "--context link.sql is the same file as the input m.sql: not used as context",
		 "--context d: d/current.sql is the same file as the input m.sql: not used as "
		 "context"));
	pgs_inputs_release(&in);

	/* the input through a link, or given as a directory */
	tidy(&in, LIST("m.sql"), LIST("link.sql"), false);
	check_tidy(&in, LIST("link.sql"),
		   LIST("--context m.sql is the same file as the input link.sql: not used as "
			"context"));
	pgs_inputs_release(&in);

	/* with down, the input's own up part is the context its down part needs */
	tidy(&in, LIST("m.sql"), LIST("m.sql"), true);
	check_tidy(&in, LIST("ctx:m.sql", "m.sql"), NONE);
	pgs_inputs_release(&in);
	leave_tree();
	remove_tree(t.root);
}

static void test_context_directory_cut(void **state)
{
	struct tree t;
	struct pgs_inputs in;

	(void)state;
	new_tree(&t);
	make_dir(&t, "db");
	make_file(&t, "db/0001_a.sql");
	make_file(&t, "db/0042_b.sql");
	make_file(&t, "db/0050_c.sql");
	make_dir(&t, "db/sub");
	make_file(&t, "db/sub/0060_d.sql");
	make_dir(&t, "new");
	make_file(&t, "new/0045_x.sql");
	make_file(&t, "draft.sql");
	make_dir(&t, "ds");
	make_dir(&t, "ds/2024-01-01-000000_a");
	make_file(&t, "ds/2024-01-01-000000_a/up.sql");
	make_file(&t, "ds/2024-01-01-000000_a/down.sql");
	make_dir(&t, "ds/2024-01-02-000000_b");
	make_file(&t, "ds/2024-01-02-000000_b/up.sql");
	make_file(&t, "ds/2024-01-02-000000_b/down.sql");
	make_dir(&t, "ds/2024-01-03-000000_c");
	make_file(&t, "ds/2024-01-03-000000_c/up.sql");
	enter_tree(&t);

	/* diesel: up.sql is placed by its directory's version */
	tidy(&in, LIST("ds"), LIST("ds/2024-01-02-000000_b/up.sql"), false);
	check_tidy(&in, LIST("ctx:ds/2024-01-01-000000_a/up.sql", "ds/2024-01-02-000000_b/up.sql"),
		   LIST("--context ds: 2 files from 2024-01-02-000000_b/up.sql on are not used as "
			"context: they come at or after the input ds/2024-01-02-000000_b/up.sql"));
	pgs_inputs_release(&in);

	/* the input in the directory: it and what follows it are left out */
	tidy(&in, LIST("db"), LIST("db/0042_b.sql"), false);
	check_tidy(&in, LIST("ctx:db/0001_a.sql", "db/0042_b.sql"),
		   LIST("--context db: 3 files from 0042_b.sql on are not used as context: they "
			"come at or after the input db/0042_b.sql"));
	pgs_inputs_release(&in);

	/* spelled another way, with a trailing slash */
	tidy(&in, LIST("./db/"), LIST("db/../db/0050_c.sql"), false);
	check_tidy(&in, LIST("ctx:./db/0001_a.sql", "ctx:./db/0042_b.sql", "db/../db/0050_c.sql"),
		   LIST("--context ./db/: 2 files from 0050_c.sql on are not used as context: "
			"they come at or after the input db/../db/0050_c.sql"));
	pgs_inputs_release(&in);

	/* an input elsewhere is placed by the version its name starts with */
	tidy(&in, LIST("db"), LIST("new/0045_x.sql"), false);
	check_tidy(&in, LIST("ctx:db/0001_a.sql", "ctx:db/0042_b.sql", "new/0045_x.sql"),
		   LIST("--context db: 2 files from 0050_c.sql on are not used as context: they "
			"come at or after the input new/0045_x.sql"));
	pgs_inputs_release(&in);

	/* several inputs: the earliest decides, whatever the order given */
	tidy(&in, LIST("db"), LIST("new/0045_x.sql", "db/0042_b.sql"), false);
	check_tidy(&in, LIST("ctx:db/0001_a.sql", "new/0045_x.sql", "db/0042_b.sql"),
		   LIST("--context db: 3 files from 0042_b.sql on are not used as context: they "
			"come at or after the input db/0042_b.sql"));
	pgs_inputs_release(&in);

	/* the last file alone */
	tidy(&in, LIST("db"), LIST("new/0060_y.sql"), false);
	check_tidy(
	    &in,
	    LIST("ctx:db/0001_a.sql", "ctx:db/0042_b.sql", "ctx:db/0050_c.sql", "new/0060_y.sql"),
	    LIST("--context db: sub/0060_d.sql is not used as context: it comes at or "
		 "after the input new/0060_y.sql"));
	pgs_inputs_release(&in);

	/* an input without a version elsewhere, or standard input: newer than all */
	tidy(&in, LIST("db"), LIST("draft.sql", "-"), false);
	check_tidy(&in,
		   LIST("ctx:db/0001_a.sql", "ctx:db/0042_b.sql", "ctx:db/0050_c.sql",
			"ctx:db/sub/0060_d.sql", "draft.sql", "-"),
		   NONE);
	pgs_inputs_release(&in);

	/* a context file given by name is the user's choice, whatever its version */
	tidy(&in, LIST("db/0050_c.sql"), LIST("new/0045_x.sql"), false);
	check_tidy(&in, LIST("ctx:db/0050_c.sql", "new/0045_x.sql"), NONE);
	pgs_inputs_release(&in);
	leave_tree();
	remove_tree(t.root);
}

static void test_context_directory_conventions(void **state)
{
	struct tree t;
	struct pgs_inputs in;

	(void)state;
	new_tree(&t);
	make_dir(&t, "plain");
	make_file(&t, "plain/a.sql");
	make_file(&t, "plain/b.sql");
	make_file(&t, "plain/c.sql");
	make_dir(&t, "fw");
	make_file(&t, "fw/V1__a.sql");
	make_file(&t, "fw/V2__b.sql");
	make_file(&t, "fw/R__views.sql");
	make_file(&t, "V2__b.sql");
	make_dir(&t, "gm");
	make_file(&t, "gm/1_a.up.sql");
	make_file(&t, "gm/1_a.down.sql");
	make_file(&t, "gm/2_b.up.sql");
	make_file(&t, "gm/2_b.down.sql");
	make_file(&t, "gm/3_c.up.sql");
	make_file(&t, "gm/3_c.down.sql");
	make_file(&t, "draft.sql");
	enter_tree(&t);

	/* names without a version: placed by name among the files of their own directory */
	tidy(&in, LIST("plain"), LIST("plain/b.sql"), false);
	check_tidy(&in, LIST("ctx:plain/a.sql", "plain/b.sql"),
		   LIST("--context plain: 2 files from b.sql on are not used as context: they "
			"come at or after the input plain/b.sql"));
	pgs_inputs_release(&in);

	/* flyway: V2 whatever its directory, and repeatable scripts come last */
	tidy(&in, LIST("fw"), LIST("V2__b.sql"), false);
	check_tidy(&in, LIST("ctx:fw/V1__a.sql", "V2__b.sql"),
		   LIST("--context fw: 2 files from V2__b.sql on are not used as context: they "
			"come at or after the input V2__b.sql"));
	pgs_inputs_release(&in);

	/* golang-migrate up: the input's up file and later ones */
	tidy(&in, LIST("gm"), LIST("gm/2_b.up.sql"), false);
	check_tidy(&in, LIST("ctx:gm/1_a.up.sql", "gm/2_b.up.sql"),
		   LIST("--context gm: 2 files from 2_b.up.sql on are not used as context: they "
			"come at or after the input gm/2_b.up.sql"));
	pgs_inputs_release(&in);

	/* down: the up file of the migration undone stays; only what follows it goes */
	tidy(&in, LIST("gm"), LIST("gm/2_b.down.sql"), true);
	check_tidy(&in, LIST("ctx:gm/1_a.up.sql", "ctx:gm/2_b.up.sql", "gm/2_b.down.sql"),
		   LIST("--context gm: 3_c.up.sql is not used as context: it comes after the "
			"input gm/2_b.down.sql"));
	pgs_inputs_release(&in);

	/* down with several inputs: after the newest */
	tidy(&in, LIST("gm"), LIST("gm/1_a.down.sql", "gm/2_b.down.sql"), true);
	check_tidy(
	    &in,
	    LIST("ctx:gm/1_a.up.sql", "ctx:gm/2_b.up.sql", "gm/1_a.down.sql", "gm/2_b.down.sql"),
	    LIST("--context gm: 3_c.up.sql is not used as context: it comes after the "
		 "input gm/2_b.down.sql"));
	pgs_inputs_release(&in);

	/* down with an input that can't be placed: it may be the newest, nothing goes */
	tidy(&in, LIST("gm"), LIST("gm/1_a.down.sql", "draft.sql"), true);
	check_tidy(&in,
		   LIST("ctx:gm/1_a.up.sql", "ctx:gm/2_b.up.sql", "ctx:gm/3_c.up.sql",
			"gm/1_a.down.sql", "draft.sql"),
		   NONE);
	pgs_inputs_release(&in);
	leave_tree();
	remove_tree(t.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_natural_compare),
	    cmocka_unit_test_teardown(test_directory_order, teardown),
	    cmocka_unit_test_teardown(test_golang_migrate_down, teardown),
	    cmocka_unit_test_teardown(test_diesel_order, teardown),
	    cmocka_unit_test_teardown(test_sqitch_order, teardown),
	    cmocka_unit_test_teardown(test_drizzle_order, teardown),
	    cmocka_unit_test_teardown(test_refinery_unversioned, teardown),
	    cmocka_unit_test_teardown(test_flyway_order, teardown),
	    cmocka_unit_test_teardown(test_empty_directory, teardown),
	    cmocka_unit_test_teardown(test_files_and_missing_paths, teardown),
	    cmocka_unit_test_teardown(test_many_files, teardown),
	    cmocka_unit_test_teardown(test_symlink_loop, teardown),
	    cmocka_unit_test_teardown(test_context_same_file, teardown),
	    cmocka_unit_test_teardown(test_context_directory_cut, teardown),
	    cmocka_unit_test_teardown(test_context_directory_conventions, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
