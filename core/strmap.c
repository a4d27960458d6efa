#include "core/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

struct pgs_strmap_slot {
	const char *key; /* NULL: empty; TOMBSTONE: removed */
	void *value;
	uint64_t hash;
};

static const char tombstone[] = "";
#define TOMBSTONE tombstone

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

void pgs_strmap_init(struct pgs_strmap *map)
{
	map->slots = NULL;
	map->cap = map->n = 0;
}

void pgs_strmap_release(struct pgs_strmap *map)
{
	free(map->slots);
	pgs_strmap_init(map);
}

static struct pgs_strmap_slot *find(const struct pgs_strmap *map, const char *key, uint64_t h)
{
	if (!map->cap)
		return NULL;
	for (size_t i = h & (map->cap - 1);; i = (i + 1) & (map->cap - 1)) {
		struct pgs_strmap_slot *s = &map->slots[i];

		if (!s->key)
			return NULL;
		if (s->key != TOMBSTONE && s->hash == h && strcmp(s->key, key) == 0)
			return s;
	}
}

void *pgs_strmap_get(const struct pgs_strmap *map, const char *key)
{
	struct pgs_strmap_slot *s = find(map, key, hash_str(key));

	return s ? s->value : NULL;
}

static void insert(struct pgs_strmap *map, const char *key, void *value, uint64_t h)
{
	for (size_t i = h & (map->cap - 1);; i = (i + 1) & (map->cap - 1)) {
		struct pgs_strmap_slot *s = &map->slots[i];

		if (!s->key || s->key == TOMBSTONE) {
			s->key = key;
			s->value = value;
			s->hash = h;
			map->n++;
			return;
		}
	}
}

void pgs_strmap_put(struct pgs_strmap *map, const char *key, void *value)
{
	uint64_t h = hash_str(key);
	struct pgs_strmap_slot *s = find(map, key, h);

	if (s) {
		s->value = value;
		return;
	}
	/* n counts tombstones too, so probing always finds an empty slot */
	if ((map->n + 1) * 4 > map->cap * 3) {
		struct pgs_strmap old = *map;
		size_t live = 0;

		for (size_t i = 0; i < old.cap; i++)
			live += old.slots[i].key && old.slots[i].key != TOMBSTONE;
		map->cap = old.cap ? old.cap : 16;
		while ((live + 1) * 2 > map->cap)
			map->cap *= 2;
		map->slots = pgs_xmalloc(map->cap * sizeof(*map->slots));
		memset(map->slots, 0, map->cap * sizeof(*map->slots));
		map->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].key && old.slots[i].key != TOMBSTONE)
				insert(map, old.slots[i].key, old.slots[i].value, old.slots[i].hash);
		free(old.slots);
	}
	insert(map, key, value, h);
}

void pgs_strmap_remove(struct pgs_strmap *map, const char *key)
{
	struct pgs_strmap_slot *s = find(map, key, hash_str(key));

	if (s) {
		s->key = TOMBSTONE;
		s->value = NULL;
	}
}

void pgs_strmap_each(const struct pgs_strmap *map, void (*fn)(void *data, const char *key,
							       void *value),
		     void *data)
{
	for (size_t i = 0; i < map->cap; i++)
		if (map->slots[i].key && map->slots[i].key != TOMBSTONE)
			fn(data, map->slots[i].key, map->slots[i].value);
}
