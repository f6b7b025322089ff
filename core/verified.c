/* verified — see verified.h. */
#include "verified.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mark {
	uint8_t hash[32];
	bool used;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct dfs_verified {
	pthread_mutex_t lock;
	struct mark slots[DFS_VERIFIED_SLOTS];
};

int dfs_verified_new(struct dfs_verified **out)
{
	struct dfs_verified *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->lock, NULL);
	*out = v;
	return 0;
}

void dfs_verified_free(struct dfs_verified *v)
{
	if (!v)
		return;
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* Hashes are uniform: their first bytes pick the slot. */
static struct mark *slot_of(struct dfs_verified *v, const uint8_t hash[32])
{
	uint32_t k;

	memcpy(&k, hash, sizeof(k));
	return &v->slots[k % DFS_VERIFIED_SLOTS];
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

bool dfs_verified_holds(struct dfs_verified *v, const uint8_t hash[32],
			const struct stat *sb)
{
	struct mark *m;
	bool holds;

	if (!v)
		return false;
	m = slot_of(v, hash);
	pthread_mutex_lock(&v->lock);
	holds = m->used && memcmp(m->hash, hash, 32) == 0 &&
		m->dev == sb->st_dev && m->ino == sb->st_ino &&
		m->size == sb->st_size && same_time(&m->mtime, &sb->st_mtim) &&
		same_time(&m->ctime, &sb->st_ctim);
	pthread_mutex_unlock(&v->lock);
	return holds;
}

/* Whether @t is at least DFS_VERIFIED_SETTLE_MS in the past. */
static bool settled(const struct timespec *t)
{
	struct timespec now;
	int64_t ms;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		return false;
	ms = ((int64_t)now.tv_sec - (int64_t)t->tv_sec) * 1000 +
	     ((int64_t)now.tv_nsec - (int64_t)t->tv_nsec) / 1000000;
	return ms >= DFS_VERIFIED_SETTLE_MS;
}

void dfs_verified_mark(struct dfs_verified *v, const uint8_t hash[32],
		       const struct stat *sb)
{
	struct mark *m;

	if (!v || !settled(&sb->st_ctim) || !settled(&sb->st_mtim))
		return;
	m = slot_of(v, hash);
	pthread_mutex_lock(&v->lock);
	memcpy(m->hash, hash, 32);
	m->used = true;
	m->dev = sb->st_dev;
	m->ino = sb->st_ino;
	m->size = sb->st_size;
	m->mtime = sb->st_mtim;
	m->ctime = sb->st_ctim;
	pthread_mutex_unlock(&v->lock);
}

void dfs_verified_forget(struct dfs_verified *v, const uint8_t hash[32])
{
	struct mark *m;

	if (!v)
		return;
	m = slot_of(v, hash);
	pthread_mutex_lock(&v->lock);
	if (m->used && memcmp(m->hash, hash, 32) == 0)
		m->used = false;
	pthread_mutex_unlock(&v->lock);
}
