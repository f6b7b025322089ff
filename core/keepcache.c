/* keepcache — see keepcache.h. */
#include "keepcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKET_BITS 10

struct entry {
	struct entry *next;
	uint64_t ino;
	uint8_t hash[32]; /* the blob the inode's pages, if any, are of */
	bool has_hash;
	/* Pages may hold bytes no proof covered: a reader left unproven. */
	bool tainted;
	uint32_t opens;	   /* handles using the pages */
	uint32_t unproven; /* ... of them not proven when they opened */
};

struct dfs_keepcache {
	pthread_mutex_t lock;
	struct entry *bucket[1u << BUCKET_BITS];
	size_t idle; /* entries with no open handle */
};

struct dfs_keepcache *dfs_keepcache_new(void)
{
	struct dfs_keepcache *k = calloc(1, sizeof(*k));

	if (k)
		pthread_mutex_init(&k->lock, NULL);
	return k;
}

void dfs_keepcache_free(struct dfs_keepcache *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < (1u << BUCKET_BITS); i++) {
		while (k->bucket[i]) {
			struct entry *e = k->bucket[i];

			k->bucket[i] = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static struct entry **slot(struct dfs_keepcache *k, uint64_t ino)
{
	struct entry **p =
		&k->bucket[(ino * 0x9e3779b97f4a7c15ULL) >> (64 - BUCKET_BITS)];

	while (*p && (*p)->ino != ino)
		p = &(*p)->next;
	return p;
}

enum dfs_cache_use dfs_keepcache_open(struct dfs_keepcache *k, uint64_t ino,
				      const uint8_t hash[32], bool proven)
{
	enum dfs_cache_use use;
	struct entry **p, *e;
	bool same;

	if (!k)
		return DFS_CACHE_DROP;
	pthread_mutex_lock(&k->lock);
	p = slot(k, ino);
	e = *p;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			pthread_mutex_unlock(&k->lock);
			return DFS_CACHE_BYPASS; /* uncounted: leave the pages */
		}
		e->ino = ino;
		*p = e;
		k->idle++;
	}
	same = e->has_hash && memcmp(e->hash, hash, 32) == 0;
	if (e->opens && !same) {
		pthread_mutex_unlock(&k->lock);
		return DFS_CACHE_BYPASS; /* the pages are another blob's */
	}
	use = proven && same && !e->tainted && !e->unproven ? DFS_CACHE_KEEP
							    : DFS_CACHE_DROP;
	/* Dropped now; only proven handles fill them again: clean. */
	if (use == DFS_CACHE_DROP && proven && !e->unproven)
		e->tainted = false;
	memcpy(e->hash, hash, 32);
	e->has_hash = true;
	if (!proven)
		e->unproven++;
	if (e->opens++ == 0)
		k->idle--;
	pthread_mutex_unlock(&k->lock);
	return use;
}

void dfs_keepcache_close(struct dfs_keepcache *k, uint64_t ino, bool was_proven,
			 bool proven)
{
	struct entry **p, *e;

	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	p = slot(k, ino);
	e = *p;
	if (e && !was_proven && e->unproven) {
		e->unproven--;
		/* Its reads were not all hashed to the end: unchecked pages. */
		if (!proven)
			e->tainted = true;
	}
	if (e && e->opens && --e->opens == 0) {
		if (k->idle >= DFS_KEEPCACHE_IDLE) {
			*p = e->next;
			free(e);
		} else {
			k->idle++;
		}
	}
	pthread_mutex_unlock(&k->lock);
}
