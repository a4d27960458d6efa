/*
 * strmap: a string-keyed hash map (open addressing) from names to pointers,
 * so model lookups stay constant-time on schema dumps with many tables.
 * Keys are not copied: they must outlive the map (arena strings).
 */
#ifndef PGS_STRMAP_H
#define PGS_STRMAP_H

#include <stddef.h>

struct pgs_strmap_slot;

struct pgs_strmap {
	struct pgs_strmap_slot *slots;
	size_t cap, n;
};

void pgs_strmap_init(struct pgs_strmap *map);

/* Free the slot array (not keys or values). */
void pgs_strmap_release(struct pgs_strmap *map);

/* The value stored under key, or NULL. */
void *pgs_strmap_get(const struct pgs_strmap *map, const char *key);

/* Store value under key, replacing any previous value. */
void pgs_strmap_put(struct pgs_strmap *map, const char *key, void *value);

/* Call fn for every entry, in slot order (unspecified, but fixed for a given history). */
void pgs_strmap_each(const struct pgs_strmap *map, void (*fn)(void *data, const char *key,
							       void *value),
		     void *data);

/* Remove key if present. */
void pgs_strmap_remove(struct pgs_strmap *map, const char *key);

#endif
