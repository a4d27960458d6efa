#include "lint/write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"

/* "DIR/.BASE.pgstage-PID-N.tmp": hidden, and no migration tool's file name. */
static char *temp_name(const char *final_path, unsigned n)
{
	const char *slash = strrchr(final_path, '/');
	const char *base = slash ? slash + 1 : final_path;
	int dir_len = slash ? (int)(slash - final_path + 1) : 0;
	size_t size = strlen(final_path) + 64;
	char *tmp = pgs_xmalloc(size);

	/* the base is shortened so that the name stays within NAME_MAX */
	snprintf(tmp, size, "%.*s.%.100s.pgstage-%ld-%u.tmp", dir_len, final_path, base,
		 (long)getpid(), n);
	return tmp;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, text, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		text += w;
		len -= (size_t)w;
	}
	return 0;
}

char *pgs_write_temp(const char *final_path, const char *text, int mode, struct pgs_error *err)
{
	static unsigned counter;
	char *tmp = NULL;
	int fd = -1;

	/* O_EXCL: a name another process holds is skipped, a symbolic link never followed */
	for (int tries = 0; tries < 100 && fd < 0; tries++) {
		free(tmp);
		tmp = temp_name(final_path, counter++);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  mode == PGS_WRITE_NEW_FILE ? 0666 : 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		pgs_error_set(err, "cannot create %s: %s", final_path, strerror(errno));
		free(tmp);
		return NULL;
	}
	int e = 0;
	if (mode != PGS_WRITE_NEW_FILE && fchmod(fd, (mode_t)mode) < 0)
		e = errno;
	if (!e && write_all(fd, text, strlen(text)) < 0)
		e = errno;
	/* on disk before it takes the final name: a crash leaves the old file or the new */
	if (!e && fsync(fd) < 0 && errno != EINVAL)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (e) {
		unlink(tmp);
		free(tmp);
		pgs_error_set(err, "cannot write %s: %s", final_path, strerror(e));
		return NULL;
	}
	return tmp;
}

int pgs_write_place_new(const char *tmp, const char *final_path, struct pgs_error *err)
{
	struct stat sb;

	/* link(2) fails when final_path exists, where rename(2) would replace it */
	if (link(tmp, final_path) == 0) {
		unlink(tmp);
		return 0;
	}
	int e = errno;
	if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS) {
		/* a file system without hard links (FAT, some network ones): check, then rename */
		if (lstat(final_path, &sb) == 0)
			e = EEXIST;
		else if (rename(tmp, final_path) == 0)
			return 0;
		else
			e = errno;
	}
	return pgs_error_set(err, "cannot create %s: %s", final_path, strerror(e));
}

int pgs_write_replace(const char *path, const char *text, struct pgs_error *err)
{
	struct stat sb;
	char *target = NULL;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		/* the file the link points to changes; the link stays a link */
		target = realpath(path, NULL);
		if (!target)
			return pgs_error_set(err, "cannot write %s: %s", path, strerror(errno));
	}
	const char *file = target ? target : path;
	if (stat(file, &sb) < 0) {
		pgs_error_set(err, "cannot write %s: %s", path, strerror(errno));
		free(target);
		return -1;
	}
	char *tmp = pgs_write_temp(file, text, (int)(sb.st_mode & 07777), err);
	int rc = tmp ? 0 : -1;
	if (tmp && rename(tmp, file) < 0) {
		rc = pgs_error_set(err, "cannot write %s: %s", file, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(target);
	return rc;
}

int pgs_write_stream_open(struct pgs_write_stream *ws, const char *final_path,
			  struct pgs_error *err)
{
	/* an empty temporary file, reopened as a stream */
	char *tmp = pgs_write_temp(final_path, "", PGS_WRITE_NEW_FILE, err);

	memset(ws, 0, sizeof(*ws));
	if (!tmp)
		return -1;
	ws->out = fopen(tmp, "w");
	if (!ws->out) {
		pgs_error_set(err, "cannot create %s: %s", final_path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	ws->tmp = tmp;
	ws->final_path = final_path;
	return 0;
}

int pgs_write_stream_commit(struct pgs_write_stream *ws, struct pgs_error *err)
{
	int e = 0;

	errno = 0;
	if (fflush(ws->out) != 0 || ferror(ws->out))
		e = errno ? errno : EIO;
	if (!e && fsync(fileno(ws->out)) < 0 && errno != EINVAL)
		e = errno;
	if (fclose(ws->out) != 0 && !e)
		e = errno;
	ws->out = NULL;
	if (!e && rename(ws->tmp, ws->final_path) < 0)
		e = errno;
	if (e) {
		unlink(ws->tmp);
		pgs_error_set(err, "cannot write %s: %s", ws->final_path, strerror(e));
	}
	free(ws->tmp);
	memset(ws, 0, sizeof(*ws));
	return e ? -1 : 0;
}

void pgs_write_stream_abort(struct pgs_write_stream *ws)
{
	if (ws->out)
		fclose(ws->out);
	if (ws->tmp)
		unlink(ws->tmp);
	free(ws->tmp);
	memset(ws, 0, sizeof(*ws));
}
