/*
 * error: the message a library function records when it fails. Library code
 * never prints; cli/ prints the message (it already names file and position).
 */
#ifndef PGS_ERROR_H
#define PGS_ERROR_H

#include <stddef.h>

struct pgs_error {
	char message[1024];
};

/* Record a message (truncated to fit) and return -1, for `return pgs_error_set(...)`. */
int pgs_error_set(struct pgs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Flags of pgs_escape. */
enum { PGS_ESCAPE_QUOTES = 1 /* '"' and '\' too, for text shown in double quotes */ };

/*
 * s made safe to show in a one-line message on a terminal, in buf:
 * control characters (C0, DEL and C1) escaped as in JSON ("\n", "\u001b"),
 * bytes that are not UTF-8 as "\xff". At most max_chars characters of s are
 * shown, then "..."; buf must hold PGS_ESCAPE_SIZE(max_chars) bytes.
 * Returns the number of characters of s (more than max_chars when cut).
 */
#define PGS_ESCAPE_SIZE(max_chars) (6 * (size_t)(max_chars) + 4)
size_t pgs_escape(char *buf, const char *s, size_t max_chars, int flags);

#endif
