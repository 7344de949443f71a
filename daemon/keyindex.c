/* keyindex.c - numbers for keys; see keyindex.h. */
#include <socklife/keyindex.h>

#include <errno.h>

long keyindex_of(struct keyindex *k, uint32_t key, bool *added)
{
	*added = false;
	if (k->has_last && key == k->last_key)
		return k->last_index;
	struct keyindex_slot *s = hashmap_put(&k->map, &key, added);
	if (!s)
		return -ENOMEM;
	if (*added)
		s->index = k->count++;
	k->has_last = true;
	k->last_key = key;
	k->last_index = s->index;
	return s->index;
}

long keyindex_find(const struct keyindex *k, uint32_t key)
{
	const struct keyindex_slot *s = hashmap_get(&k->map, &key);
	return s ? (long)s->index : -1;
}

void keyindex_clear(struct keyindex *k)
{
	hashmap_clear(&k->map);
	k->count = 0;
	k->has_last = false;
}

void keyindex_free(struct keyindex *k)
{
	hashmap_free(&k->map);
	*k = (struct keyindex)KEYINDEX_INIT;
}
