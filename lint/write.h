/*
 * write: files written whole or not at all. The text goes to a new hidden
 * file in the final file's directory (so that putting it in place is one
 * link or rename on the same file system), which is then put in place or
 * removed. A failure never leaves a truncated file under the final name.
 *
 * Callers in cli/ ignore SIGXFSZ, so that a file-size limit makes write()
 * fail with EFBIG (reported like any other error) instead of killing the
 * process halfway.
 */
#ifndef PGS_WRITE_H
#define PGS_WRITE_H

#include <stdio.h>

#include "core/error.h"

/* pgs_write_temp's mode for a new file: 0666 less the umask, as open(2) makes it. */
#define PGS_WRITE_NEW_FILE (-1)

/*
 * Write text to a new temporary file beside final_path (the same directory,
 * ".NAME.pgstage-PID-N.tmp") and close it. mode: the permission bits it gets
 * (it is never more open than that while being written), or
 * PGS_WRITE_NEW_FILE. Returns the temporary file's path (malloc-ed), or NULL
 * with a message naming final_path; nothing is left behind then.
 */
char *pgs_write_temp(const char *final_path, const char *text, int mode, struct pgs_error *err);

/*
 * Give the written temporary file tmp its final name, which must not exist:
 * never overwrites, even a file that appeared since it was checked. tmp is
 * gone afterwards when it succeeds, and stays (for the caller to remove)
 * when it fails; -1 with a message naming final_path.
 */
int pgs_write_place_new(const char *tmp, const char *final_path, struct pgs_error *err);

/*
 * Replace the contents of the existing file path with text, atomically.
 * When path is a symbolic link, the file it points to is replaced and the
 * link kept. The file keeps its permission bits. -1 with a message naming
 * path on failure, which leaves the file as it was.
 */
int pgs_write_replace(const char *path, const char *text, struct pgs_error *err);

/* A file written through a stream, put in place only once complete. */
struct pgs_write_stream {
	FILE *out;       /* write here */
	char *tmp;       /* the temporary file beside final_path (heap) */
	const char *final_path; /* borrowed */
};

/*
 * Start writing final_path: ws->out is a new temporary file beside it (as
 * pgs_write_temp makes them, mode 0666 less the umask). -1 with a message
 * naming final_path when it can't be created; ws is then empty.
 */
int pgs_write_stream_open(struct pgs_write_stream *ws, const char *final_path,
			  struct pgs_error *err);

/*
 * Flush, sync and close ws->out and rename it to final_path, replacing the
 * file there (a report of an earlier run). On any write error (a full disk,
 * a file-size limit) the temporary file is removed and final_path is left
 * as it was: -1 with a message naming final_path. ws is empty afterwards.
 */
int pgs_write_stream_commit(struct pgs_write_stream *ws, struct pgs_error *err);

/* Close and remove the temporary file: final_path is left as it was. */
void pgs_write_stream_abort(struct pgs_write_stream *ws);

#endif
