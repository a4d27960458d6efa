#include "core/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

/* Length of the UTF-8 sequence at s and its code point in *cp; 0 when it is not UTF-8. */
static size_t utf8_char(const unsigned char *s, unsigned *cp)
{
	size_t n;
	unsigned min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2, min = 0x80, *cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3, min = 0x800, *cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4, min = 0x10000, *cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
		return 0;
	return n;
}

size_t pgs_escape(char *buf, const char *s, size_t max_chars, int flags)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o = buf;
	size_t chars = 0;

	while (*p) {
		unsigned cp;
		size_t n = utf8_char(p, &cp);
		if (chars++ >= max_chars) {
			p += n ? n : 1; /* only counted */
			continue;
		}
		if (!n) {
			o += snprintf(o, 5, "\\x%02x", *p++);
			continue;
		}
		bool quote = (flags & PGS_ESCAPE_QUOTES) && (cp == '"' || cp == '\\');
		if (cp == '\n' || cp == '\r' || cp == '\t' || quote) {
			*o++ = '\\';
			*o++ = cp == '\n' ? 'n' : cp == '\r' ? 'r' : cp == '\t' ? 't' : (char)cp;
		} else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
			o += snprintf(o, 7, "\\u%04x", cp);
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	if (chars > max_chars) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = 0;
	return chars;
}
