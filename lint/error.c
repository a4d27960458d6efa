#include "lint/error.h"

#include <stdarg.h>
#include <stdio.h>

int pgs_error_set(struct pgs_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}
