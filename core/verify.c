/* verify — see verify.h. */
#include "verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobs.h"
#include "catalog.h"
#include "upload.h"

#define PAGE 256

/* A blob's verdict, kept so that shared blobs are hashed once. */
struct verdict {
	uint8_t hash[32];
	bool used;
	int kind; /* -1: fine, else enum dfs_problem_kind */
	uint64_t size;
};

struct cache {
	struct verdict *v;
	size_t cap, n;
};

static size_t slot(const struct cache *c, const uint8_t hash[32])
{
	size_t i;

	memcpy(&i, hash, sizeof(i));
	for (i &= c->cap - 1; c->v[i].used && memcmp(c->v[i].hash, hash, 32);
	     i = (i + 1) & (c->cap - 1))
		;
	return i;
}

static int cache_grow(struct cache *c)
{
	struct cache big = {calloc(c->cap * 2, sizeof(*c->v)), c->cap * 2, 0};

	if (!big.v)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++)
		if (c->v[i].used) {
			big.v[slot(&big, c->v[i].hash)] = c->v[i];
			big.n++;
		}
	free(c->v);
	*c = big;
	return 0;
}

static void check_blob(struct dfs_store *st, const struct dfs_record *r,
		       struct verdict *v)
{
	uint8_t hash[32];
	struct stat sb;
	uint64_t size;
	int fd;

	v->kind = -1;
	v->size = 0;
	if (dfs_blobs_open(dfs_store_blobs(st), r->payload_hash, &fd) != 0) {
		v->kind = DFS_PROBLEM_MISSING;
		return;
	}
	if (fstat(fd, &sb) == 0)
		v->size = (uint64_t)sb.st_size;
	if (v->size != r->payload_size)
		v->kind = DFS_PROBLEM_SIZE;
	else if (dfs_sha256_fd(fd, hash, &size) != 0 ||
		 memcmp(hash, r->payload_hash, 32) != 0)
		v->kind = DFS_PROBLEM_HASH;
	close(fd);
}

struct walk {
	struct dfs_store *st;
	struct cache cache;
	int (*fn)(void *arg, const struct dfs_problem *p);
	void *arg;
	uint64_t checked;
	uint64_t seqs[PAGE];
	uint8_t ids[PAGE][16];
	size_t n;
};

static int collect(void *arg, const struct dfs_entry *e)
{
	struct walk *w = arg;

	w->seqs[w->n] = e->seq;
	memcpy(w->ids[w->n], e->id, 16);
	return ++w->n == PAGE; /* a page: stop, verify it, go on */
}

static int verify_one(struct walk *w, const uint8_t id[16])
{
	struct dfs_problem p;
	struct dfs_record r;
	struct verdict *v;
	int rc;

	rc = dfs_catalog_get(dfs_store_catalog(w->st), id, &r);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	if (!r.has_hash || !r.payload_blob_present)
		return 0;
	if (w->cache.n * 2 >= w->cache.cap && cache_grow(&w->cache))
		return -ENOMEM;
	v = &w->cache.v[slot(&w->cache, r.payload_hash)];
	if (!v->used) {
		memcpy(v->hash, r.payload_hash, 32);
		v->used = true;
		w->cache.n++;
		check_blob(w->st, &r, v);
	}
	w->checked++;
	if (v->kind < 0)
		return 0;
	memset(&p, 0, sizeof(p));
	memcpy(p.id, r.id, 16);
	snprintf(p.project, sizeof(p.project), "%s", r.project);
	p.kind = (enum dfs_problem_kind)v->kind;
	p.expected_size = r.payload_size;
	p.found_size = v->size;
	dfs_blobs_path(dfs_store_blobs(w->st), r.payload_hash, p.path);
	return w->fn(w->arg, &p);
}

int dfs_verify(struct dfs_store *st, const char *project, const uint8_t *id,
	       int (*fn)(void *arg, const struct dfs_problem *p), void *arg,
	       uint64_t *checked)
{
	struct walk *w = calloc(1, sizeof(*w));
	struct dfs_project pr;
	uint64_t after = 0;
	int rc = 0;

	if (!w)
		return -ENOMEM;
	*w = (struct walk){.st = st, .fn = fn, .arg = arg};
	w->cache.cap = 64;
	w->cache.v = calloc(w->cache.cap, sizeof(*w->cache.v));
	if (!w->cache.v)
		rc = -ENOMEM;
	if (!rc && project)
		rc = dfs_catalog_project_get(dfs_store_catalog(st), project,
					     &pr);
	if (!rc && id) {
		struct dfs_record r;

		rc = dfs_catalog_get(dfs_store_catalog(st), id, &r);
		if (!rc)
			rc = verify_one(w, id);
	}
	while (!rc && !id) {
		w->n = 0;
		rc = dfs_catalog_scan(dfs_store_catalog(st),
				      project ? DFS_SCAN_PROJECT : DFS_SCAN_ALL,
				      project, after, collect, w);
		if (rc < 0)
			break;
		/* Outside the read transaction: hashing may take long. */
		rc = 0;
		for (size_t i = 0; i < w->n && !rc; i++)
			rc = verify_one(w, w->ids[i]);
		if (w->n < PAGE)
			break;
		after = w->seqs[w->n - 1];
	}
	if (!rc || rc > 0)
		*checked = w->checked;
	free(w->cache.v);
	free(w);
	return rc < 0 ? rc : 0;
}
