/* pgstage init: a commented starter .pgstage.json for the project found here. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "lint/config.h"
#include "lint/inputs.h"
#include "lint/sections.h"
#include "lint/tool_files.h"

/* Where migrations usually live, relative to the project root. */
static const char *const candidates[] = {
	"db/migrations", "migrations", "db/migrate", "sql/migrations", "database/migrations",
	"src/main/resources/db/migration", "migration", "sql",
};

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The tool the first files of dir follow: when they all follow one, that one;
 * when they mix tools (or a tool and plain files), auto, which takes each
 * file's own conventions, and *why says which tools and how many files each
 * (a static buffer).
 */
static enum pgs_tool detect_tool(const char *dir, size_t *n_files, const char **why)
{
	static char mix[512];
	struct pgs_inputs in;
	struct pgs_error err;
	size_t votes[PGS_TOOL_LAST + 1] = {0};
	enum pgs_tool found = PGS_TOOL_PLAIN;
	int kinds = 0;

	*n_files = 0;
	*why = NULL;
	pgs_inputs_init(&in);
	if (pgs_inputs_add(&in, dir, false, false, &err) == 0) {
		*n_files = in.n;
		for (size_t i = 0; i < in.n && i < 200; i++) {
			char buf[4096];
			struct pgs_tool_hints hints;
			FILE *f = fopen(in.items[i].path, "rb");
			size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
			if (f)
				fclose(f);
			pgs_tool_hints_read(in.items[i].path, &hints);
			votes[pgs_tool_detect(in.items[i].path, buf, len, &hints)]++;
		}
	}
	pgs_inputs_release(&in);
	size_t used = 0;
	mix[0] = 0;
	for (int t = PGS_TOOL_PLAIN; t <= PGS_TOOL_LAST; t++) {
		if (!votes[t])
			continue;
		found = (enum pgs_tool)t;
		int n = snprintf(mix + used, sizeof(mix) - used, "%s%s (%zu)", kinds++ ? ", " : "",
				 pgs_tool_name((enum pgs_tool)t), votes[t]);
		if (n > 0 && (size_t)n < sizeof(mix) - used)
			used += (size_t)n;
	}
	if (kinds < 2)
		return found;
	*why = mix;
	return PGS_TOOL_AUTO;
}

int pgs_cmd_init(int argc, char **argv)
{
	const char *root = ".";
	bool force = false;
	char path[4096], dir[4096];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			pgs_help_command(stdout, PGS_CMD_INIT);
			return PGS_EXIT_CLEAN;
		} else if (argv[i][0] == '-') {
			pgs_cli_error("init: unknown option '%s' (pgstage init --help lists them)",
				      argv[i]);
			return PGS_EXIT_USAGE;
		} else {
			root = argv[i];
		}
	}
	if (strcmp(root, ".") == 0)
		snprintf(path, sizeof(path), "%s", PGS_CONFIG_NAME);
	else
		snprintf(path, sizeof(path), "%s/%s", root, PGS_CONFIG_NAME);
	if (!force && access(path, F_OK) == 0) {
		pgs_cli_error("init: %s exists; --force replaces it", path);
		return PGS_EXIT_USAGE;
	}

	const char *found = NULL;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]) && !found; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", root, candidates[i]);
		if (is_dir(dir))
			found = candidates[i];
	}
	if (!found) {
		snprintf(dir, sizeof(dir), "%s", root);
		found = ".";
	}
	size_t n_files;
	const char *mix;
	enum pgs_tool tool = detect_tool(dir, &n_files, &mix);

	FILE *f = fopen(path, "w");
	if (!f) {
		pgs_cli_error("init: cannot write %s: %s", path, strerror(errno));
		return PGS_EXIT_USAGE;
	}
	fprintf(f,
		"{\n"
		"  \"//\": \"pgstage settings. Command-line options win over these. Keys starting "
		"with // are notes.\",\n"
		"  \"//tool\": \"migration tool conventions (detected from %zu file%s in %s%s%s%s): "
		"auto (each file by its own), plain, goose, dbmate, golang-migrate, flyway, diesel, sqlx, "
		"refinery, drizzle, prisma, sqitch\",\n"
		"  \"tool\": \"%s\",\n"
		"  \"//layout\": \"layout of the files pgstage plan writes: the same names, or auto\",\n"
		"  \"layout\": \"%s\",\n"
		"  \"//pg_version\": \"major version of the production server, 11 to 19\",\n"
		"  \"pg_version\": 15,\n"
		"  \"//include\": \"what pgstage lint checks when given no PATH\",\n"
		"  \"include\": [\"%s\"],\n"
		"  \"//exclude\": \"globs of files to skip: * within a directory, ** across\",\n"
		"  \"exclude\": [],\n"
		"  \"//disable\": \"rules not to run (names or ids; pgstage rules lists them)\",\n"
		"  \"disable\": [],\n"
		"  \"//severity\": \"per-rule severity: info, warning or error\",\n"
		"  \"severity\": {},\n"
		"  \"//fail_on\": \"lowest severity that fails the check: info, warning, error, none\",\n"
		"  \"fail_on\": \"warning\",\n"
		"  \"//timeouts\": \"what pgstage plan sets before each locking step\",\n"
		"  \"lock_timeout\": \"2s\",\n"
		"  \"statement_timeout\": \"5min\",\n"
		"  \"//validate_timeout\": \"statement_timeout of VALIDATE stages (they block no "
		"writes): 0 is none\",\n"
		"  \"validate_timeout\": \"0\",\n"
		"  \"//batch_size\": \"rows per transaction of a backfill\",\n"
		"  \"batch_size\": 1000\n"
		"}\n",
		n_files, n_files == 1 ? "" : "s", found, mix ? "; they mix " : "", mix ? mix : "",
		mix ? ", so each file follows its own" : "", pgs_tool_name(tool), pgs_tool_name(tool),
		found);
	if (fclose(f) != 0) {
		pgs_cli_error("init: cannot write %s: %s", path, strerror(errno));
		return PGS_EXIT_USAGE;
	}
	if (mix)
		printf("wrote %s (tool: auto: the files in %s mix %s; each is linted by its own "
		       "conventions, migrations: %s)\n",
		       path, found, mix, found);
	else
		printf("wrote %s (tool: %s, migrations: %s)\n", path, pgs_tool_name(tool), found);
	return PGS_EXIT_CLEAN;
}
