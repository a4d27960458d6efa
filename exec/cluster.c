/* nftw's FTW_DEPTH and FTW_PHYS are X/Open extensions */
#define _XOPEN_SOURCE 700

#include "exec/cluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* There is no TCP listener, so the fixed port cannot collide: the socket is in our own dir. */
#define PORT "5432"
/* The superuser's name, and the user the server runs as when we are root (it refuses root). */
#define OWNER "postgres"
/* Short, because unix socket paths are limited to 107 bytes; /tmp, because $TMPDIR's parents
 * may not be traversable by postgres. stop removes nothing but a directory of this shape. */
#define TEMPLATE "/tmp/pgstage-c.XXXXXX"

/* A line to the log from a forked child: write(2) is async-signal-safe, stdio is not. */
static void child_say(const char *what, const char *name)
{
	ssize_t ignored = write(2, what, strlen(what));
	ignored = write(2, name, strlen(name));
	ignored = write(2, "\n", 1);
	(void)ignored;
}

/*
 * In a forked child: run argv (searched in PATH) with stdin from /dev/null and out as stdout and
 * stderr; with c, in c->dir (a cwd postgres may not read, e.g. /root, makes initdb complain) and
 * as c's owner. Never returns.
 */
static void child_exec(const struct pgs_cluster *c, int out, const char *const argv[])
{
	sigset_t none;
	int in = open("/dev/null", O_RDONLY);

	/* exec keeps the blocked signals and the ignored ones (SIGPIPE, often): give neither on */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	if (c && chdir(c->dir) < 0) {
		child_say("pgstage: cannot change to the directory for ", argv[0]);
		_exit(126);
	}
	/* the groups were looked up before fork: initgroups is not async-signal-safe */
	if (c && c->as_owner &&
	    (setgroups((size_t)c->ngroups, c->groups) < 0 || setgid(c->gid) < 0 ||
	     setuid(c->uid) < 0)) {
		child_say("pgstage: cannot become the user " OWNER " for ", argv[0]);
		_exit(126);
	}
	execvp(argv[0], (char *const *)argv);
	child_say("pgstage: cannot execute ", argv[0]);
	_exit(127);
}

/* pid's exit status (128 + N: killed by signal N), or -1 if it cannot be waited for. */
static int wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run argv as ourselves; the first line of its output in buf. 0 if it exited 0, else -1. */
static int capture(const char *const argv[], char *buf, size_t size)
{
	int fd[2];
	size_t n = 0;
	pid_t pid;

	if (pipe(fd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		child_exec(NULL, fd[1], argv);
	}
	close(fd[1]);
	while (pid > 0 && n < size - 1) {
		ssize_t r = read(fd[0], buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	/* when buf is full the child may still write: it gets SIGPIPE and exits */
	close(fd[0]);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return pid > 0 && wait_for(pid) == 0 ? 0 : -1;
}

static bool has_binaries(const char *bindir)
{
	char initdb[600], pg_ctl[600];

	snprintf(initdb, sizeof(initdb), "%s/initdb", bindir);
	snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", bindir);
	return access(initdb, X_OK) == 0 && access(pg_ctl, X_OK) == 0;
}

/* The major version of the binaries in bindir ("pg_ctl (PostgreSQL) 15.4 ..."), or 0. */
static int major_of(const char *bindir)
{
	char path[600], out[256];
	const char *argv[] = {path, "--version", NULL};
	const char *at;

	snprintf(path, sizeof(path), "%s/pg_ctl", bindir);
	if (capture(argv, out, sizeof(out)) < 0 || !(at = strstr(out, ") ")))
		return 0;
	return (int)strtol(at + 2, NULL, 10);
}

/* The newest /usr/lib/postgresql/N/bin with server binaries (Debian's layout), or 0. */
static int newest_debian(void)
{
	DIR *d = opendir("/usr/lib/postgresql");
	struct dirent *e;
	int best = 0;
	char bindir[300];

	while (d && (e = readdir(d))) {
		char *end;
		long n = strtol(e->d_name, &end, 10);
		snprintf(bindir, sizeof(bindir), "/usr/lib/postgresql/%s/bin", e->d_name);
		if (!*end && n > best && n < 1000 && has_binaries(bindir))
			best = (int)n;
	}
	if (d)
		closedir(d);
	return best;
}

/* c->bindir and c->major, from $PGSTAGE_PG_BINDIR, pg_config or Debian's layout. */
static int find_bindir(struct pgs_cluster *c, int major, struct pgs_error *err)
{
	const char *env = getenv("PGSTAGE_PG_BINDIR");
	const char *pg_config[] = {"pg_config", "--bindir", NULL};
	char *b = c->bindir;
	size_t size = sizeof(c->bindir);

	if (env && *env) {
		if (strlen(env) >= size || !has_binaries(env))
			return pgs_error_set(err, "PGSTAGE_PG_BINDIR=%s holds no initdb and pg_ctl",
					     env);
		snprintf(b, size, "%s", env);
	} else if (!(capture(pg_config, b, size) == 0 && *b == '/' && has_binaries(b) &&
		     (!major || major_of(b) == major))) {
		/* libpq-dev's pg_config says /usr/bin, which has no initdb */
		int n = major ? major : newest_debian();
		snprintf(b, size, "/usr/lib/postgresql/%d/bin", n);
		if (!n || !has_binaries(b)) {
			char want[16] = "";
			if (major)
				snprintf(want, sizeof(want), " %d", major);
			else
				snprintf(b, size, "/usr/lib/postgresql/*/bin");
			return pgs_error_set(
			    err,
			    "no PostgreSQL%s server binaries: none in $PGSTAGE_PG_BINDIR, "
			    "pg_config --bindir or %s",
			    want, b);
		}
	}
	c->major = major_of(b);
	if (!c->major)
		return pgs_error_set(err, "cannot tell the version of %s/pg_ctl", b);
	if (major && c->major != major)
		return pgs_error_set(err, "%s holds PostgreSQL %d, not %d", b, c->major, major);
	return 0;
}

/* The last 10 lines (at most size - 1 bytes) of file, for messages; "" if none. */
static const char *log_tail(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)(size - 1) ? end - (off_t)(size - 1) : 0;
	ssize_t n = end > 0 ? pread(fd, buf, (size_t)(end - from), from) : 0;
	char *at;
	int lines = 0;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (at = buf + strlen(buf); at > buf && at[-1] == '\n';)
		*--at = '\0';
	while (at > buf && !(at[-1] == '\n' && ++lines == 10))
		at--;
	return at;
}

/* Run argv as c's owner, its output appended to dir/log. 0, or -1 with err naming what failed. */
static int run(struct pgs_cluster *c, const char *what, const char *log, const char *const argv[],
	       struct pgs_error *err)
{
	char path[200], tail[600];
	int fd, status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", c->dir, log);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	/* the server, as the owner, appends to server.log too */
	if (fd < 0 || (c->as_owner && fchown(fd, c->uid, c->gid) < 0)) {
		pgs_error_set(err, "cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child_exec(c, fd, argv);
	close(fd);
	if (pid < 0)
		return pgs_error_set(err, "%s: cannot fork: %s", what, strerror(errno));
	status = wait_for(pid);
	if (status == 0)
		return 0;
	return pgs_error_set(err, "%s failed (exit status %d); the end of %s:\n%s", what, status,
			     log, log_tail(path, tail, sizeof(tail)));
}

/* When root: who runs the server, with the groups initgroups would give. */
static int owner_ids(struct pgs_cluster *c, struct pgs_error *err)
{
	struct passwd *pw = getpwnam(OWNER);
	int n = (int)(sizeof(c->groups) / sizeof(c->groups[0]));

	if (!pw)
		return pgs_error_set(err, "running as root needs the user " OWNER
					  " to run the server (PostgreSQL refuses to run as root)");
	c->as_owner = true;
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	c->ngroups = n;
	if (getgrouplist(OWNER, c->gid, c->groups, &c->ngroups) < 0) {
		c->groups[0] = c->gid;
		c->ngroups = 1;
	}
	return 0;
}

int pgs_cluster_start(struct pgs_cluster *c, int major, struct pgs_error *err)
{
	char data[160], initdb[600], ctl[600], path[200];
	FILE *conf;

	memset(c, 0, sizeof(*c));
	if ((geteuid() == 0 && owner_ids(c, err) < 0) || find_bindir(c, major, err) < 0)
		return -1;
	snprintf(c->dir, sizeof(c->dir), "%s", TEMPLATE);
	if (!mkdtemp(c->dir))
		return pgs_error_set(err, "cannot create %s: %s", TEMPLATE, strerror(errno));
	c->created = true;
	/* mkdtemp gives 0700: the server's user must traverse it, and create the data dir in it */
	if (chmod(c->dir, 0755) < 0 || (c->as_owner && chown(c->dir, c->uid, c->gid) < 0)) {
		pgs_error_set(err, "cannot hand %s to " OWNER ": %s", c->dir, strerror(errno));
		goto fail;
	}

	snprintf(data, sizeof(data), "%s/data", c->dir);
	snprintf(initdb, sizeof(initdb), "%s/initdb", c->bindir);
	snprintf(ctl, sizeof(ctl), "%s/pg_ctl", c->bindir);
	const char *init_argv[] = {initdb, "-D", data,	 "-A",	       "trust",	    "-U",
				   OWNER,  "-E", "UTF8", "--locale=C", "--no-sync", NULL};
	if (run(c, "initdb", "initdb.log", init_argv, err) < 0)
		goto fail;

	/* Settings go in the file, not on pg_ctl -o, which passes them through a shell. The dir's
	 * name needs no quoting: mkdtemp's letters and digits. */
	snprintf(path, sizeof(path), "%s/postgresql.conf", data);
	conf = fopen(path, "ae");
	if (!conf) {
		pgs_error_set(err, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	fprintf(conf,
		"\n# pgstage: a throwaway server\nlisten_addresses = ''\n"
		"unix_socket_directories = '%s'\nport = " PORT "\n"
		"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
		c->dir);
	if (fclose(conf) != 0) {
		pgs_error_set(err, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}

	snprintf(path, sizeof(path), "%s/server.log", c->dir);
	const char *start_argv[] = {ctl, "start", "-D", data, "-l", path, "-w", "-t", "60", NULL};
	/* -w: until the server accepts connections (postmaster.pid says "ready") */
	if (run(c, "pg_ctl start", "server.log", start_argv, err) < 0)
		goto fail;

	c->running = true;
	return 0;
fail:
	pgs_cluster_stop(c);
	return -1;
}

const char *pgs_cluster_conninfo(const struct pgs_cluster *c, const char *dbname, char *buf,
				 size_t size)
{
	const char *const pairs[][2] = {
	    {"host", c->dir}, {"port", PORT}, {"user", OWNER}, {"dbname", dbname}};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		int k = snprintf(buf + n, size - n, "%s%s='", i ? " " : "", pairs[i][0]);
		if (k < 0 || (size_t)k >= size - n)
			return NULL;
		n += (size_t)k;
		for (const char *v = pairs[i][1]; *v; v++) {
			bool escape = *v == '\'' || *v == '\\';
			if (n + escape + 3 > size) /* the byte, the closing quote, the NUL */
				return NULL;
			if (escape)
				buf[n++] = '\\';
			buf[n++] = *v;
		}
		buf[n++] = '\'';
		buf[n] = '\0';
	}
	return buf;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	remove(path);
	return 0; /* go on: remove as much as we can */
}

void pgs_cluster_stop(struct pgs_cluster *c)
{
	char path[200], data[160], ctl[600];
	struct pgs_error ignored;
	size_t prefix = strlen(TEMPLATE) - 6;

	c->running = false;
	if (!c->created)
		return;
	/* Even when start failed: pg_ctl -t may give up on a server that is still coming up. */
	snprintf(path, sizeof(path), "%s/data/postmaster.pid", c->dir);
	if (access(path, F_OK) == 0) {
		snprintf(data, sizeof(data), "%s/data", c->dir);
		snprintf(ctl, sizeof(ctl), "%s/pg_ctl", c->bindir);
		const char *argv[] = {ctl,	   "stop", "-D", data, "-m",
				      "immediate", "-w",   "-t", "60", NULL};
		run(c, "pg_ctl stop", "server.log", argv, &ignored);
	}
	/* nothing but a directory of TEMPLATE's shape: the struct is the caller's to spoil */
	if (strlen(c->dir) == strlen(TEMPLATE) && strncmp(c->dir, TEMPLATE, prefix) == 0 &&
	    !strchr(c->dir + prefix, '/'))
		nftw(c->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	c->created = false;
}
