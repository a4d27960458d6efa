#include "core/duration.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* guc.c's time_unit_conversion_table for GUC_UNIT_MS, largest first: a
 * fraction rounds to the next entry's unit. */
static const struct {
	const char *name;
	double ms;
} units[] = {
	{"d", 1000.0 * 60 * 60 * 24},
	{"h", 1000.0 * 60 * 60},
	{"min", 1000.0 * 60},
	{"s", 1000.0},
	{"ms", 1.0},
	{"us", 1.0 / 1000},
};

#define N_UNITS (sizeof(units) / sizeof(units[0]))
#define MAX_UNIT_LEN 3 /* guc.c: longer is "garbage after the unit" */

/* guc.c convert_to_base_unit: the unit, then only white space. */
static bool apply_unit(double *val, const char *unit)
{
	char name[MAX_UNIT_LEN + 1];
	size_t len = 0;

	while (*unit && !isspace((unsigned char)*unit) && len < MAX_UNIT_LEN)
		name[len++] = *unit++;
	name[len] = '\0';
	while (isspace((unsigned char)*unit))
		unit++;
	if (*unit)
		return false;
	for (size_t i = 0; i < N_UNITS; i++) {
		if (strcmp(name, units[i].name) != 0)
			continue;
		double v = *val * units[i].ms;
		if (i + 1 < N_UNITS)
			v = rint(v / units[i + 1].ms) * units[i + 1].ms;
		*val = v;
		return true;
	}
	return false;
}

static long reject(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -1;
}

long pgs_duration_ms(const char *value, const char **why)
{
	char *end;
	double val;

	/* guc.c parse_int: an integer in C's syntax (so 0x1F and 017), re-read
	 * as a floating-point number when it goes on with a fraction or exponent */
	errno = 0;
	val = (double)strtol(value, &end, 0);
	if (*end == '.' || *end == 'e' || *end == 'E' || errno == ERANGE) {
		errno = 0;
		val = strtod(value, &end);
	}
	if (end == value || errno == ERANGE || isnan(val))
		return reject(why, "has no number");
	while (isspace((unsigned char)*end))
		end++;
	if (*end && !apply_unit(&val, end))
		return reject(why, "has something other than a unit after the number (units: us, "
				   "ms, s, min, h, d)");
	val = rint(val);
	if (val < 0)
		return reject(why, "is negative");
	if (val > INT_MAX)
		return reject(why, "is more than 2147483647ms (about 24 days)");
	return (long)val;
}

bool pgs_duration_valid(const char *value)
{
	return pgs_duration_ms(value, NULL) >= 0;
}
