/*
 * duration: values of PostgreSQL's millisecond time settings (lock_timeout,
 * statement_timeout, idle_in_transaction_session_timeout, ...) read exactly
 * as the server reads them (guc.c parse_int with GUC_UNIT_MS; "Numeric with
 * Unit" in the docs' "Parameter Names and Values"):
 *
 *   [spaces] number [spaces] [unit [spaces]]
 *
 * number: an integer (decimal, 0x hexadecimal, or 0 octal: "010" is 8) or a
 * decimal number with a fraction and/or exponent ("1.5", "2e3"), optionally
 * signed. unit: us, ms, s, min, h or d, case-sensitive; none means
 * milliseconds. A fraction with a unit is rounded to a multiple of the next
 * smaller unit ("1.0005s" is 1001 ms), then the total to whole milliseconds.
 * Both settings take 0 (no timeout) to INT_MAX milliseconds.
 *
 * A valid value holds only digits, letters, '.', '+', '-' and white space:
 * no quote or backslash.
 */
#ifndef PGS_DURATION_H
#define PGS_DURATION_H

#include <stdbool.h>

/*
 * Milliseconds value means, or -1 when the server would reject it (syntax,
 * unit, negative, or more than INT_MAX ms). When it is rejected and why is
 * not NULL, *why is a static predicate saying what is wrong, to follow the
 * value in a message: "has no number", "has something other than a unit
 * after the number (units: us, ms, s, min, h, d)", "is negative", "is more
 * than 2147483647ms (about 24 days)".
 */
long pgs_duration_ms(const char *value, const char **why);

/* Whether value is a valid timeout setting: pgs_duration_ms(value, NULL) >= 0. */
bool pgs_duration_valid(const char *value);

#endif
