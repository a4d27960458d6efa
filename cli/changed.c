#include "cli/changed.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/arena.h"

/* Run git with argv (no shell: the ref is not interpreted); its stdout, NUL-terminated. */
static char *run_git(const char *const argv[], size_t *len, int *status)
{
	int fds[2];
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (pipe(fds) < 0)
		return NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		/* git's own complaint would repeat ours in other words */
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp("git", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = pgs_xrealloc(buf, cap);
		}
		ssize_t got = read(fds[0], buf + *len, cap - *len - 1);
		if (got <= 0)
			break;
		*len += (size_t)got;
	}
	close(fds[0]);
	waitpid(pid, status, 0);
	if (buf)
		buf[*len] = '\0';
	return buf;
}

static bool git_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct changed {
	char **paths; /* absolute, resolved */
	size_t n, cap;
};

/* Add the NUL-separated repository-relative names in out to the set. */
static void add_names(struct changed *set, const char *top, const char *out, size_t len)
{
	for (const char *p = out; p < out + len; p += strlen(p) + 1) {
		char joined[PATH_MAX * 2], real[PATH_MAX];

		if (!*p)
			continue;
		snprintf(joined, sizeof(joined), "%s/%s", top, p);
		if (!realpath(joined, real))
			continue; /* deleted since the ref */
		if (set->n == set->cap) {
			set->cap = set->cap ? set->cap * 2 : 64;
			set->paths = pgs_xrealloc(set->paths, set->cap * sizeof(char *));
		}
		set->paths[set->n++] = pgs_xstrdup(real);
	}
}

int pgs_changed_mark_context(struct pgs_inputs *inputs, const char *ref)
{
	const char *top_argv[] = {"git", "rev-parse", "--show-toplevel", NULL};
	const char *verify_argv[] = {"git", "rev-parse", "--verify", "--quiet", NULL, NULL};
	const char *base_argv[] = {"git", "merge-base", ref, "HEAD", NULL};
	const char *diff_argv[] = {"git", "diff", "--name-only", "-z", "--diff-filter=ACMR",
			     NULL, "--", NULL};
	const char *untracked_argv[] = {"git", "ls-files", "-z", "--others", "--exclude-standard", NULL};
	size_t len;
	int status;
	struct changed set = {0};

	char *top = run_git(top_argv, &len, &status);
	if (!top || !git_ok(status) || len == 0) {
		pgs_cli_error("--diff %s: not inside a git repository", ref);
		free(top);
		return -1;
	}
	top[strcspn(top, "\n")] = '\0';

	/* "REF^{commit}": a tag or a tree-ish names the commit it points to */
	size_t ref_len = strlen(ref) + sizeof("^{commit}");
	char *commit_ref = pgs_xmalloc(ref_len);
	snprintf(commit_ref, ref_len, "%s^{commit}", ref);
	verify_argv[4] = commit_ref;
	char *commit = ref[0] == '-' ? NULL : run_git(verify_argv, &len, &status);
	free(commit_ref);
	if (!commit || !git_ok(status) || len == 0) {
		pgs_cli_error("--diff %s: git cannot compare with that ref", ref);
		free(top);
		free(commit);
		return -1;
	}
	commit[strcspn(commit, "\n")] = '\0';
	base_argv[2] = commit;
	/* the merge base, as `git diff REF...HEAD`: what only REF changed since the
	 * branch point is not this branch's change */
	char *base = run_git(base_argv, &len, &status);
	free(commit);
	if (!base || !git_ok(status) || len == 0) {
		pgs_cli_error("--diff %s: no common ancestor of %s and HEAD (in a shallow clone, "
			      "fetch the history: git fetch --unshallow, or fetch-depth: 0 in "
			      "actions/checkout)",
			      ref, ref);
		free(top);
		free(base);
		return -1;
	}
	base[strcspn(base, "\n")] = '\0';
	diff_argv[5] = base;
	char *diff = run_git(diff_argv, &len, &status);
	free(base);
	if (!git_ok(status)) {
		pgs_cli_error("--diff %s: git cannot compare with that ref", ref);
		free(top);
		free(diff);
		return -1;
	}
	if (diff)
		add_names(&set, top, diff, len);
	free(diff);
	/* untracked files are new too; ls-files lists them relative to the current directory */
	char *cwd = getcwd(NULL, 0);
	char *untracked = run_git(untracked_argv, &len, &status);
	if (untracked && git_ok(status) && cwd)
		add_names(&set, cwd, untracked, len);
	free(untracked);
	free(cwd);
	free(top);

	for (size_t i = 0; i < inputs->n; i++) {
		char real[PATH_MAX];
		bool changed = false;

		if (inputs->items[i].context || strcmp(inputs->items[i].path, "-") == 0)
			continue;
		if (realpath(inputs->items[i].path, real))
			for (size_t k = 0; k < set.n && !changed; k++)
				changed = strcmp(set.paths[k], real) == 0;
		inputs->items[i].context = !changed;
	}
	for (size_t k = 0; k < set.n; k++)
		free(set.paths[k]);
	free(set.paths);
	return 0;
}
