#include "core/names.h"

#include <string.h>

/* Bytes of s that fit in n without cutting a UTF-8 character (pg_mbcliplen). */
static size_t fit(const char *s, size_t n)
{
	size_t len = strlen(s);

	if (len <= n)
		return len;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

const char *pgs_object_name(struct pgs_arena *a, const char *name1, const char *name2,
			    const char *label)
{
	size_t t = strlen(name1), c = name2 ? strlen(name2) : 0;
	size_t overhead = strlen(label) + 1 + (name2 ? 1 : 0);
	size_t avail = PGS_NAMEDATALEN - 1 - overhead;

	while (t + c > avail) {
		if (t > c)
			t--;
		else
			c--;
	}
	t = fit(name1, t);
	c = name2 ? fit(name2, c) : 0;
	if (name2)
		return pgs_arena_printf(a, "%.*s_%.*s_%s", (int)t, name1, (int)c, name2, label);
	return pgs_arena_printf(a, "%.*s_%s", (int)t, name1, label);
}

const char *pgs_index_name_addition(struct pgs_arena *a, const char *const *columns, size_t n)
{
	char buf[PGS_NAMEDATALEN * 2] = "";
	size_t len = 0;

	for (size_t i = 0; i < n && len < PGS_NAMEDATALEN; i++) {
		const char *name = columns[i] ? columns[i] : "expr";
		if (len > 0)
			buf[len++] = '_';
		size_t k = strnlen(name, PGS_NAMEDATALEN - 1);
		memcpy(buf + len, name, k);
		len += k;
		buf[len] = '\0';
	}
	return pgs_arena_strdup(a, buf);
}
