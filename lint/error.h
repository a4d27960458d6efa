/*
 * error: the message a library function records when it fails. Library code
 * never prints; cli/ prints the message (it already names file and position).
 */
#ifndef PGS_ERROR_H
#define PGS_ERROR_H

struct pgs_error {
	char message[1024];
};

/* Record a message (truncated to fit) and return -1, for `return pgs_error_set(...)`. */
int pgs_error_set(struct pgs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
