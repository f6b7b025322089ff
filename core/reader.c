/* reader — see reader.h. */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobs.h"
#include "catalog.h"
#include "verified.h"

#define HASH_CHUNK (256u << 10)

enum proof {
	UNPROVEN,
	PROVEN,
	CORRUPT
};

struct dfs_reader {
	struct dfs_store *st;
	struct dfs_record rec;
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t moved; /* next, hashed, proof or stop changed */
	enum proof proof;
	bool noted;	 /* the corruption is in the audit trail */
	bool started;	 /* a read at offset 0 began the proof */
	bool in_order;	 /* every read so far began at or before next */
	uint64_t next;	 /* the end of the reads in order */
	bool hashing;	 /* the hasher thread runs */
	bool has_thread; /* ... and is to be joined */
	bool stop;	 /* asks the hasher to give up */
	uint64_t hashed; /* bytes [0, hashed) are hashed */
	EVP_MD_CTX *md;	 /* the hasher's */
	pthread_t hasher;
};

int dfs_reader_open(struct dfs_store *st, const struct dfs_record *rec,
		    struct dfs_reader **out)
{
	struct dfs_reader *r;
	struct stat sb;
	int rc;

	if (!rec->has_hash || !rec->payload_blob_present)
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->st = st;
	r->rec = *rec;
	rc = dfs_blobs_open(dfs_store_blobs(st), rec->payload_hash, &r->fd);
	if (rc) {
		free(r);
		return rc == -ENOENT ? -EIO : rc;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->moved, NULL);
	if (fstat(r->fd, &sb) == 0 &&
	    (uint64_t)sb.st_size == rec->payload_size &&
	    dfs_verified_holds(dfs_blobs_verified(dfs_store_blobs(st)),
			       rec->payload_hash, &sb))
		r->proof = PROVEN;
	*out = r;
	return 0;
}

/* The hash is complete: judge it, and mark a proven file. Under lock. */
static void judge(struct dfs_reader *r)
{
	uint8_t hash[32];
	struct stat sb;

	if (r->hashed == r->rec.payload_size && r->md &&
	    EVP_DigestFinal_ex(r->md, hash, NULL) == 1 &&
	    memcmp(hash, r->rec.payload_hash, 32) == 0 &&
	    fstat(r->fd, &sb) == 0 &&
	    (uint64_t)sb.st_size == r->rec.payload_size) {
		r->proof = PROVEN;
		dfs_verified_mark(dfs_blobs_verified(dfs_store_blobs(r->st)),
				  r->rec.payload_hash, &sb);
	} else {
		r->proof = CORRUPT;
		dfs_verified_forget(dfs_blobs_verified(dfs_store_blobs(r->st)),
				    r->rec.payload_hash);
	}
}

/*
 * Hash the blob from r->hashed to its end, keeping at most
 * DFS_READER_AHEAD ahead of the reads; stops early when asked to. Called
 * under lock, which it drops while it reads and hashes.
 */
static void hash_rest(struct dfs_reader *r)
{
	uint64_t size = r->rec.payload_size;
	uint8_t *buf = malloc(HASH_CHUNK);
	ssize_t k = 1;

	while (buf && !r->stop && r->hashed < size && k > 0) {
		uint64_t at = r->hashed;
		size_t want = size - at < HASH_CHUNK ? size - at : HASH_CHUNK;

		if (at >= r->next + DFS_READER_AHEAD && r->in_order) {
			pthread_cond_wait(&r->moved, &r->lock);
			continue;
		}
		pthread_mutex_unlock(&r->lock);
		k = pread(r->fd, buf, want, (off_t)at);
		if (k > 0 && EVP_DigestUpdate(r->md, buf, (size_t)k) != 1)
			k = -1;
		pthread_mutex_lock(&r->lock);
		if (k > 0)
			r->hashed += (uint64_t)k;
		pthread_cond_broadcast(&r->moved);
	}
	free(buf);
	/* A short file, a read error or no memory: not the record's bytes. */
	if (!r->stop)
		judge(r);
}

static void *hasher_main(void *arg)
{
	struct dfs_reader *r = arg;

	pthread_mutex_lock(&r->lock);
	hash_rest(r);
	r->hashing = false;
	pthread_cond_broadcast(&r->moved);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* A read at offset 0 begins the proof. Under lock. */
static void start(struct dfs_reader *r)
{
	r->started = true;
	r->md = EVP_MD_CTX_new();
	if (!r->md || EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1)
		return; /* no hash to be had: served unverified */
	r->in_order = true;
	r->hashing = true;
	if (pthread_create(&r->hasher, NULL, hasher_main, r) == 0)
		r->has_thread = true;
	else
		r->hashing = false; /* the read at the end hashes itself */
}

/*
 * Let the @n bytes at @off be served: *@len of them are the payload's.
 * The read that ends an in-order read waits for the proof. Under lock.
 */
static int admit(struct dfs_reader *r, size_t n, uint64_t off, size_t *len)
{
	uint64_t size = r->rec.payload_size;
	bool at_end = off + n >= size;

	*len = off >= size ? 0 : (size - off < n ? (size_t)(size - off) : n);
	if (r->proof == PROVEN)
		return 0;
	if (!r->started && off == 0 && r->proof == UNPROVEN)
		start(r);
	if (r->in_order && off > r->next) {
		r->in_order = false; /* a jump: not a full read */
		r->stop = true;
	} else if (r->in_order && off + *len > r->next) {
		r->next = off + *len;
	}
	pthread_cond_broadcast(&r->moved);
	if (r->in_order && at_end) {
		while (r->hashing)
			pthread_cond_wait(&r->moved, &r->lock);
		if (r->proof == UNPROVEN)
			hash_rest(r);
	}
	if (r->proof != CORRUPT || !at_end)
		return 0;
	if (!r->noted) {
		struct dfs_who who;

		r->noted = true;
		dfs_who_self(&who);
		dfs_catalog_note(dfs_store_catalog(r->st), &r->rec,
				 "payload_corrupt", &who);
	}
	return -EIO;
}

int dfs_reader_read(struct dfs_reader *r, void *buf, size_t n, uint64_t off,
		    size_t *got)
{
	size_t len;
	ssize_t k;
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = admit(r, n, off, &len);
	pthread_mutex_unlock(&r->lock);
	if (rc)
		return rc;
	k = len ? pread(r->fd, buf, len, (off_t)off) : 0;
	if (k < 0)
		return -errno;
	*got = (size_t)k;
	return 0;
}

int dfs_reader_span(struct dfs_reader *r, size_t n, uint64_t off, int *fd,
		    size_t *len)
{
	size_t l;
	int rc, d;

	pthread_mutex_lock(&r->lock);
	rc = admit(r, n, off, &l);
	pthread_mutex_unlock(&r->lock);
	if (rc)
		return rc;
	/* Its own descriptor: @r may close while the span is spliced. */
	d = fcntl(r->fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		return -errno;
	*fd = d;
	*len = l;
	return 0;
}

bool dfs_reader_proven(struct dfs_reader *r)
{
	bool proven;

	pthread_mutex_lock(&r->lock);
	proven = r->proof == PROVEN;
	pthread_mutex_unlock(&r->lock);
	return proven;
}

const uint8_t *dfs_reader_hash(const struct dfs_reader *r)
{
	return r->rec.payload_hash;
}

void dfs_reader_close(struct dfs_reader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->moved);
	pthread_mutex_unlock(&r->lock);
	if (r->has_thread)
		pthread_join(r->hasher, NULL);
	pthread_cond_destroy(&r->moved);
	pthread_mutex_destroy(&r->lock);
	close(r->fd);
	EVP_MD_CTX_free(r->md);
	free(r);
}
