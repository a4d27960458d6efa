/*
 * Fuzz target: loading .pgstage.json (pgs_config_load, from a memfd: the
 * loader reads a path), then matching every exclude glob against every
 * include and exclude string, as the CLI matches them against file paths.
 * An error is one line, its control characters escaped.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lint/config.h"
#include "tests/fuzz/fuzz.h"

static void match_globs(const struct pgs_config *cfg)
{
	for (size_t p = 0; p < cfg->n_exclude; p++) {
		for (size_t i = 0; i < cfg->n_include; i++)
			pgs_glob_match(cfg->exclude[p], cfg->include[i]);
		for (size_t i = 0; i < cfg->n_exclude; i++)
			pgs_glob_match(cfg->exclude[p], cfg->exclude[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("pgstage-fuzz-config", MFD_CLOEXEC);
	char path[32];
	struct pgs_config cfg;
	struct pgs_error err;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (pgs_config_load(&cfg, path, &err) == 0) {
		match_globs(&cfg);
		pgs_config_release(&cfg);
	} else if (!err.message[0]) {
		pgs_fuzz_bug("a config error without a message");
	} else {
		for (const unsigned char *c = (const unsigned char *)err.message; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				pgs_fuzz_bug("the config error holds control character 0x%02x: %s",
					     *c, err.message);
	}
	close(fd);
	return 0;
}
