/* reader — see reader.h. */
#include "reader.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobs.h"
#include "catalog.h"

struct dfs_reader {
	struct dfs_store *st;
	struct dfs_record rec;
	int fd;
	EVP_MD_CTX *md;	 /* NULL once the reads left their order */
	uint64_t hashed; /* bytes [0, hashed) went into md */
	bool corrupt;
	pthread_mutex_t lock;
};

int dfs_reader_open(struct dfs_store *st, const struct dfs_record *rec,
		    struct dfs_reader **out)
{
	struct dfs_reader *r;
	int rc;

	if (!rec->has_hash || !rec->payload_blob_present)
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->st = st;
	r->rec = *rec;
	pthread_mutex_init(&r->lock, NULL);
	rc = dfs_blobs_open(dfs_store_blobs(st), rec->payload_hash, &r->fd);
	if (rc) {
		free(r);
		return rc == -ENOENT ? -EIO : rc;
	}
	r->md = EVP_MD_CTX_new();
	if (r->md && EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(r->md);
		r->md = NULL;
	}
	*out = r;
	return 0;
}

/* The end was reached in order: the bytes must hash to the record's. */
static bool proven(struct dfs_reader *r)
{
	uint8_t hash[32];
	struct dfs_who who;

	if (EVP_DigestFinal_ex(r->md, hash, NULL) == 1 &&
	    memcmp(hash, r->rec.payload_hash, 32) == 0)
		return true;
	dfs_who_self(&who);
	dfs_catalog_note(dfs_store_catalog(r->st), &r->rec, "payload_corrupt",
			 &who);
	return false;
}

static int reader_read(struct dfs_reader *r, void *buf, size_t n, uint64_t off,
		       size_t *got)
{
	ssize_t k;

	if (r->corrupt && off + n >= r->rec.payload_size)
		return -EIO;
	k = pread(r->fd, buf, n, (off_t)off);
	if (k < 0)
		return -errno;
	if (r->md && off == r->hashed) {
		EVP_DigestUpdate(r->md, buf, (size_t)k);
		r->hashed += (uint64_t)k;
		if (r->hashed >= r->rec.payload_size || k == 0) {
			r->corrupt =
				!proven(r) || r->hashed != r->rec.payload_size;
			EVP_MD_CTX_free(r->md);
			r->md = NULL;
			if (r->corrupt)
				return -EIO;
		}
	} else if (r->md && off > r->hashed) {
		EVP_MD_CTX_free(r->md); /* a jump: not a full read */
		r->md = NULL;
	}
	*got = (size_t)k;
	return 0;
}

int dfs_reader_read(struct dfs_reader *r, void *buf, size_t n, uint64_t off,
		    size_t *got)
{
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = reader_read(r, buf, n, off, got);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void dfs_reader_close(struct dfs_reader *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	close(r->fd);
	EVP_MD_CTX_free(r->md);
	free(r);
}
