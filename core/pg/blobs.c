/* pg/blobs — see blobs.h. */
#include "pg_blobs.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"

static const struct dfs_pg_stmt claim = {
	"dfs_blob_claim",
	"INSERT INTO deployfs.blobs (hash, size, nchunks, created_ms) "
	"VALUES ($1, $2, $3, (extract(epoch FROM clock_timestamp()) * "
	"1000)::bigint) ON CONFLICT (hash) DO NOTHING RETURNING 1"};

static const struct dfs_pg_stmt put_chunk = {
	"dfs_blob_chunk",
	"WITH c AS (INSERT INTO deployfs.chunks (hash, size, data) "
	"VALUES ($3, $4, $5) ON CONFLICT (hash) DO NOTHING) "
	"INSERT INTO deployfs.blob_chunks (hash, idx, chunk) "
	"VALUES ($1, $2, $3)"};

static const struct dfs_pg_stmt stat_blob = {
	"dfs_blob_stat",
	"SELECT b.size, coalesce(r.refs, 0), b.nchunks FROM deployfs.blobs b "
	"LEFT JOIN deployfs.blob_refs r ON r.hash = b.hash WHERE b.hash = $1"};

static const struct dfs_pg_stmt get_chunk = {
	"dfs_blob_get", "SELECT c.data, c.hash FROM deployfs.blob_chunks b "
			"JOIN deployfs.chunks c ON c.hash = b.chunk "
			"WHERE b.hash = $1 AND b.idx = $2"};

static const struct dfs_pg_stmt lock_chunks = {
	"dfs_blob_lock",
	"LOCK TABLE deployfs.chunks IN SHARE ROW EXCLUSIVE MODE"};

static const struct dfs_pg_stmt del_blob = {
	"dfs_blob_del",
	"DELETE FROM deployfs.blobs b WHERE hash = $1 RETURNING "
	"(SELECT coalesce(max(refs), 0) FROM deployfs.blob_refs r "
	"WHERE r.hash = b.hash)"};

static const struct dfs_pg_stmt del_unused_blobs = {
	"dfs_blob_del_unused",
	"WITH d AS (DELETE FROM deployfs.blobs b WHERE created_ms < "
	"(extract(epoch FROM clock_timestamp()) * 1000)::bigint - $1 AND NOT "
	"EXISTS (SELECT 1 FROM deployfs.blob_refs r WHERE r.hash = b.hash) "
	"RETURNING 1) SELECT count(*) FROM d"};

static const struct dfs_pg_stmt count_unused_blobs = {
	"dfs_blob_count_unused",
	"SELECT count(*), coalesce(sum(size), 0)::bigint FROM deployfs.blobs b "
	"WHERE created_ms < (extract(epoch FROM clock_timestamp()) * "
	"1000)::bigint - $1 AND NOT EXISTS (SELECT 1 FROM deployfs.blob_refs r "
	"WHERE r.hash = b.hash)"};

static const struct dfs_pg_stmt del_orphans = {
	"dfs_blob_del_orphans",
	"WITH d AS (DELETE FROM deployfs.chunks c WHERE NOT EXISTS "
	"(SELECT 1 FROM deployfs.blob_chunks b WHERE b.chunk = c.hash) "
	"RETURNING size) SELECT coalesce(sum(size), 0)::bigint FROM d"};

static int sha256(const void *buf, size_t n, uint8_t out[32])
{
	unsigned len = 0;

	if (!EVP_Digest(buf, n, out, &len, EVP_sha256(), NULL) || len != 32)
		return -ENOMEM;
	return 0;
}

/* Read exactly @n bytes at @off (short only at end of file). */
static int read_at(int fd, void *buf, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done,
				  (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

static int send_chunks(struct dfs_pg *pg, int fd, uint64_t size,
		       const uint8_t hash[32], void *buf)
{
	uint8_t ch[32], whole[32];
	struct dfs_pg_params p;
	unsigned len = 0;
	EVP_MD_CTX *md;
	size_t got = 0;
	int rc = 0;

	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	for (uint64_t off = 0, idx = 0; !rc && off < size;
	     off += DFS_PG_CHUNK, idx++) {
		size_t want = size - off < DFS_PG_CHUNK ? (size_t)(size - off)
							: DFS_PG_CHUNK;

		rc = read_at(fd, buf, want, off, &got);
		if (!rc && got != want)
			rc = -EBADMSG; /* the file shrank under us */
		if (!rc)
			rc = sha256(buf, got, ch);
		if (rc)
			break;
		EVP_DigestUpdate(md, buf, got);
		dfs_pg_params_init(&p);
		dfs_pg_param_bytes(&p, hash, 32);
		dfs_pg_param_i32(&p, (int32_t)idx);
		dfs_pg_param_bytes(&p, ch, 32);
		dfs_pg_param_i32(&p, (int32_t)got);
		dfs_pg_param_bytes(&p, buf, got);
		rc = dfs_pg_exec(pg, &put_chunk, &p, NULL);
	}
	if (!rc && (!EVP_DigestFinal_ex(md, whole, &len) || len != 32))
		rc = -ENOMEM;
	if (!rc && memcmp(whole, hash, 32) != 0)
		rc = -EBADMSG;
	EVP_MD_CTX_free(md);
	return rc;
}

int dfs_pg_blob_put_fd(struct dfs_pg *pg, int fd, uint64_t size,
		       const uint8_t hash[32], bool *stored_before)
{
	struct dfs_pg_params p;
	uint64_t nchunks = (size + DFS_PG_CHUNK - 1) / DFS_PG_CHUNK;
	unsigned rows = 0;
	bool fresh;
	void *buf;
	int rc;

	if (dfs_pg_in_txn(pg) || nchunks > INT32_MAX || size > INT64_MAX)
		return -EINVAL;
	buf = malloc(DFS_PG_CHUNK);
	if (!buf)
		return -ENOMEM;
	rc = dfs_pg_begin(pg);
	if (rc)
		goto out_free;
	/* Claiming the row first makes a concurrent put of it wait. */
	dfs_pg_params_init(&p);
	dfs_pg_param_bytes(&p, hash, 32);
	dfs_pg_param_i64(&p, (int64_t)size);
	dfs_pg_param_i32(&p, (int32_t)nchunks);
	rc = dfs_pg_query(pg, NULL, &claim, &p, NULL, NULL, &rows);
	if (rc)
		goto out_rollback;
	fresh = rows == 1;
	if (fresh)
		rc = send_chunks(pg, fd, size, hash, buf);
	if (rc)
		goto out_rollback;
	rc = dfs_pg_commit(pg);
	if (!rc && stored_before)
		*stored_before = !fresh;
	goto out_free;
out_rollback:
	dfs_pg_rollback(pg);
out_free:
	free(buf);
	return rc;
}

struct blob_stat {
	bool exists;
	uint64_t size, refs;
};

static int stat_at(void *arg, const PGresult *r, int row)
{
	struct blob_stat *st = arg;

	st->exists = true;
	st->size = (uint64_t)dfs_pg_i64(r, row, 0);
	st->refs = (uint64_t)dfs_pg_i64(r, row, 1);
	return 0;
}

int dfs_pg_blob_stat(struct dfs_pg *pg, const uint8_t hash[32], bool *exists,
		     uint64_t *size, uint64_t *refs)
{
	struct blob_stat st = {false, 0, 0};
	struct dfs_pg_params p;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_bytes(&p, hash, 32);
	rc = dfs_pg_query_one(pg, NULL, &stat_blob, &p, 0, stat_at, &st);
	if (rc)
		return rc;
	*exists = st.exists;
	if (size)
		*size = st.size;
	if (refs)
		*refs = st.refs;
	return 0;
}

/*
 * Chunk @idx of a stored blob @hash, checked against its own hash: -EIO
 * when it is missing (the blob row promised it), -EBADMSG when it does
 * not match.
 */
static int get_chunk_checked(struct dfs_pg *pg, const uint8_t hash[32],
			     uint64_t idx, PGresult **res, const char **data,
			     size_t *len)
{
	struct dfs_pg_params p;
	uint8_t want[32], got[32];
	const char *h;
	PGresult *r;
	size_t hl;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_bytes(&p, hash, 32);
	dfs_pg_param_i32(&p, (int32_t)idx);
	rc = dfs_pg_exec(pg, &get_chunk, &p, &r);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -EIO;
	}
	*data = dfs_pg_bytes(r, 0, 0, len);
	h = dfs_pg_bytes(r, 0, 1, &hl);
	rc = hl == 32 ? sha256(*data, *len, got) : -EBADMSG;
	if (!rc) {
		memcpy(want, h, 32);
		if (memcmp(got, want, 32) != 0)
			rc = -EBADMSG;
	}
	if (rc) {
		PQclear(r);
		return rc;
	}
	*res = r;
	return 0;
}

/* The size of blob @hash; -ENOENT when it is not stored. */
static int stored_size(struct dfs_pg *pg, const uint8_t hash[32],
		       uint64_t *size)
{
	bool exists;
	int rc;

	rc = dfs_pg_blob_stat(pg, hash, &exists, size, NULL);
	return rc ? rc : exists ? 0 : -ENOENT;
}

int dfs_pg_blob_read(struct dfs_pg *pg, const uint8_t hash[32], uint64_t off,
		     void *buf, size_t n, size_t *got)
{
	uint64_t size;
	size_t done = 0;
	int rc;

	rc = stored_size(pg, hash, &size);
	if (rc)
		return rc;
	while (done < n && off + done < size) {
		uint64_t at = off + done, idx = at / DFS_PG_CHUNK;
		size_t skip = (size_t)(at % DFS_PG_CHUNK), len, take;
		const char *data;
		PGresult *r;

		rc = get_chunk_checked(pg, hash, idx, &r, &data, &len);
		if (rc)
			return rc;
		take = len > skip ? len - skip : 0;
		if (take > n - done)
			take = n - done;
		memcpy((char *)buf + done, data + skip, take);
		PQclear(r);
		if (take == 0)
			return -EIO;
		done += take;
	}
	*got = done;
	return 0;
}

int dfs_pg_blob_fetch(struct dfs_pg *pg, const uint8_t hash[32], int fd)
{
	uint8_t whole[32];
	uint64_t size, done = 0;
	unsigned len = 0;
	EVP_MD_CTX *md;
	int rc;

	rc = stored_size(pg, hash, &size);
	if (rc)
		return rc;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	for (uint64_t idx = 0; !rc && done < size; idx++) {
		const char *data;
		PGresult *r;
		size_t n;

		rc = get_chunk_checked(pg, hash, idx, &r, &data, &n);
		if (rc)
			break;
		if (n == 0 || n > size - done)
			rc = -EBADMSG;
		if (!rc) {
			EVP_DigestUpdate(md, data, n);
			rc = dfs_fdio_write_all(fd, data, n);
			done += n;
		}
		PQclear(r);
	}
	if (!rc && (!EVP_DigestFinal_ex(md, whole, &len) || len != 32))
		rc = -ENOMEM;
	if (!rc && memcmp(whole, hash, 32) != 0)
		rc = -EBADMSG;
	EVP_MD_CTX_free(md);
	return rc;
}

/* Column 0 of a row into the uint64_t @arg (may be NULL). */
static int u64_at(void *arg, const PGresult *r, int row)
{
	if (arg)
		*(uint64_t *)arg = (uint64_t)dfs_pg_i64(r, row, 0);
	return 0;
}

/*
 * In one transaction that keeps puts out (pg_blobs.h): @st removes
 * blobs and @fn reads its row (@none when none), then the chunks no blob
 * uses any more go; *@freed (may be NULL) their bytes.
 */
static int sweep(struct dfs_pg *pg, const struct dfs_pg_stmt *st,
		 const struct dfs_pg_params *p, int none, dfs_pg_row_fn fn,
		 void *arg, uint64_t *freed)
{
	int rc;

	rc = dfs_pg_begin(pg);
	if (rc)
		return rc;
	rc = dfs_pg_exec(pg, &lock_chunks, NULL, NULL);
	if (!rc)
		rc = dfs_pg_query_one(pg, NULL, st, p, none, fn, arg);
	/* An aggregate: always one row. */
	if (!rc)
		rc = dfs_pg_query_one(pg, NULL, &del_orphans, NULL, -EIO,
				      u64_at, freed);
	if (rc) {
		dfs_pg_rollback(pg);
		return rc;
	}
	return dfs_pg_commit(pg);
}

/* The row of a removed blob: -EBUSY if a record still held it. */
static int unheld_at(void *arg, const PGresult *r, int row)
{
	(void)arg;
	return dfs_pg_i64(r, row, 0) != 0 ? -EBUSY : 0;
}

int dfs_pg_blob_remove(struct dfs_pg *pg, const uint8_t hash[32],
		       uint64_t *freed)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_bytes(&p, hash, 32);
	return sweep(pg, &del_blob, &p, -ENOENT, unheld_at, NULL, freed);
}

int dfs_pg_blob_gc(struct dfs_pg *pg, int64_t grace_ms, uint64_t *blobs,
		   uint64_t *freed)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, grace_ms);
	return sweep(pg, &del_unused_blobs, &p, -EIO, u64_at, blobs, freed);
}

static int unused_at(void *arg, const PGresult *r, int row)
{
	uint64_t *n = arg;

	n[0] = (uint64_t)dfs_pg_i64(r, row, 0);
	n[1] = (uint64_t)dfs_pg_i64(r, row, 1);
	return 0;
}

int dfs_pg_blob_unused(struct dfs_pg *pg, int64_t grace_ms, uint64_t *blobs,
		       uint64_t *bytes)
{
	struct dfs_pg_params p;
	uint64_t n[2];
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, grace_ms);
	/* An aggregate: always one row. */
	rc = dfs_pg_query_one(pg, NULL, &count_unused_blobs, &p, -EIO,
			      unused_at, n);
	if (rc)
		return rc;
	*blobs = n[0];
	*bytes = n[1];
	return 0;
}
