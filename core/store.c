/* store — see store.h. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "catalog.h"
#include "catalog_impl.h"
#include "store_impl.h"
#include "verified.h"

int dfs_store_lmdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_PAGE_FULL:
		return -ENOSPC;
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED:
		return -EAGAIN;
	case MDB_VERSION_MISMATCH:
		return -EPROTO;
	case MDB_INVALID:      /* not an LMDB file at all */
	case MDB_INCOMPATIBLE: /* a database of that name, not ours */
		return -EBADMSG;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_PANIC:
		return -EIO;
	case MDB_DBS_FULL:
	case MDB_TLS_FULL:
	case MDB_CURSOR_FULL:
		return -ENOMEM;
	case MDB_BAD_RSLOT:
	case MDB_BAD_TXN:
	case MDB_BAD_VALSIZE:
	case MDB_BAD_DBI:
		return -EINVAL;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

int dfs_store_txn(struct dfs_store *st, bool write, MDB_txn **txn)
{
	return dfs_store_lmdb_err(
	    mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, txn));
}

int dfs_store_commit(MDB_txn *txn)
{
	return dfs_store_lmdb_err(mdb_txn_commit(txn));
}

void dfs_store_u64_key(uint64_t v, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t dfs_store_u64_val(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static int open_subdir(int dirfd, const char *name, int *fd)
{
	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	*fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

static int take_lock(struct dfs_store *st)
{
	st->lockfd = openat(st->dirfd, "daemon.lock",
			    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lockfd < 0)
		return -errno;
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

/*
 * The format in meta into *@have: -ENOENT when missing (set it when
 * @write). The previous format passes too: the caller upgrades it.
 */
static int check_format(struct dfs_store *st, MDB_txn *txn, bool write,
			uint32_t *have)
{
	uint32_t format = DFS_STORE_FORMAT;
	MDB_val k = {6, "format"}, v;
	int rc;

	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND && write) {
		*have = format;
		v = (MDB_val){sizeof(format), &format};
		return dfs_store_lmdb_err(mdb_put(txn, st->meta, &k, &v, 0));
	}
	if (rc)
		return dfs_store_lmdb_err(rc);
	if (v.mv_size != sizeof(*have))
		return -EPROTO;
	memcpy(have, v.mv_data, sizeof(*have));
	return *have == DFS_STORE_FORMAT || *have == DFS_STORE_FORMAT - 1
		   ? 0
		   : -EPROTO;
}

/*
 * Open every database and check the format, in a read transaction when
 * @write is false (-ENOENT: something is missing, a new store), else in a
 * write transaction creating what is missing. The format is checked
 * before the other databases are opened, so that a store of another
 * format is refused as such whatever it lacks.
 */
static int open_dbs_txn(struct dfs_store *st, bool write, uint32_t *have)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned flags;
	} dbs[] = {
	    {"records", offsetof(struct dfs_store, records), 0},
	    {"by_seq", offsetof(struct dfs_store, by_seq), 0},
	    {"by_project", offsetof(struct dfs_store, by_project),
	     MDB_DUPSORT | MDB_DUPFIXED},
	    {"by_status", offsetof(struct dfs_store, by_status),
	     MDB_DUPSORT | MDB_DUPFIXED},
	    {"by_pstatus", offsetof(struct dfs_store, by_pstatus),
	     MDB_DUPSORT | MDB_DUPFIXED},
	    {"by_held", offsetof(struct dfs_store, by_held),
	     MDB_DUPSORT | MDB_DUPFIXED},
	    {"audit", offsetof(struct dfs_store, audit), 0},
	    {"projects", offsetof(struct dfs_store, projects), 0},
	    {"project_seq", offsetof(struct dfs_store, project_seq), 0},
	    {"blobs", offsetof(struct dfs_store, blobs), 0},
	    {"by_version", offsetof(struct dfs_store, by_version), 0},
	};
	unsigned create = write ? MDB_CREATE : 0;
	MDB_txn *txn;
	int rc;

	rc = dfs_store_txn(st, write, &txn);
	if (rc)
		return rc;
	rc = dfs_store_lmdb_err(mdb_dbi_open(txn, "meta", create, &st->meta));
	if (!rc)
		rc = check_format(st, txn, write, have);
	for (size_t i = 0; !rc && i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)st + dbs[i].off);

		rc = dfs_store_lmdb_err(
		    mdb_dbi_open(txn, dbs[i].name, dbs[i].flags | create, dbi));
	}
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return dfs_store_commit(txn);
}

/* Set the current format, ending an upgrade. */
static int set_format(struct dfs_store *st)
{
	uint32_t format = DFS_STORE_FORMAT;
	MDB_val k = {6, "format"}, v = {sizeof(format), &format},
		ck = {11, "upgrade_seq"};
	MDB_txn *txn;
	int rc;

	rc = dfs_store_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = mdb_del(txn, st->meta, &ck, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_put(txn, st->meta, &k, &v, 0);
	if (rc) {
		mdb_txn_abort(txn);
		return dfs_store_lmdb_err(rc);
	}
	return dfs_store_commit(txn);
}

/*
 * Upgrade a store of the previous format, holding daemon.lock (taken
 * here for a moment unless the caller is the daemon): -EPROTO while a
 * daemon of the older build serves it.
 */
static int upgrade(struct dfs_store *st)
{
	bool borrowed = st->lockfd < 0;
	uint32_t have = 0;
	int rc = 0;

	if (borrowed)
		rc = take_lock(st);
	if (rc == -EBUSY)
		rc = -EPROTO;
	if (!rc)
		rc = open_dbs_txn(st, true, &have);
	if (!rc && have != DFS_STORE_FORMAT)
		rc = dfs_version_upgrade(st);
	if (!rc && have != DFS_STORE_FORMAT)
		rc = set_format(st);
	if (borrowed && st->lockfd >= 0) {
		close(st->lockfd);
		st->lockfd = -1;
	}
	return rc;
}

/*
 * A read transaction when all is there: opening costs no fsync. Without
 * @create, an LMDB file that lacks what a store holds is not a store.
 */
static int open_dbs(struct dfs_store *st, bool create)
{
	uint32_t have = 0;
	int rc = open_dbs_txn(st, false, &have);

	if ((rc == 0 || rc == -ENOENT) && have == DFS_STORE_FORMAT - 1)
		return upgrade(st);
	if (rc == -ENOENT)
		return create ? open_dbs_txn(st, true, &have) : -EBADMSG;
	return rc;
}

/* Where LMDB mapped data.mdb: the line of /proc/self/maps with its inode. */
static void find_map(struct dfs_store *st)
{
	unsigned long long lo, hi, ino;
	unsigned maj, mnr;
	struct stat sb;
	char line[512];
	int fd;
	FILE *f;

	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) < 0)
		return;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %*s %x:%x %llu", &lo, &hi, &maj,
			   &mnr, &ino) != 5)
			continue;
		if (ino == sb.st_ino && maj == major(sb.st_dev) &&
		    mnr == minor(sb.st_dev)) {
			st->map = (void *)(uintptr_t)lo;
			st->map_len = (size_t)(hi - lo);
			break;
		}
	}
	fclose(f);
}

static int open_env(struct dfs_store *st, uint64_t map_size, bool create)
{
	int rc;

	rc = dfs_store_lmdb_err(mdb_env_create(&st->env));
	if (rc)
		return rc;
	mdb_env_set_maxdbs(st->env, 16);
	mdb_env_set_maxreaders(st->env, 512);
	rc = dfs_store_lmdb_err(mdb_env_set_mapsize(
	    st->env, map_size ? map_size : DFS_STORE_MAP_DEFAULT));
	if (rc)
		return rc;
	rc =
	    dfs_store_lmdb_err(mdb_env_open(st->env, st->dir, MDB_NOTLS, 0600));
	if (rc)
		return rc;
	find_map(st);
	return open_dbs(st, create);
}

/*
 * Without DFS_STORE_CREATE the directory must hold a store already:
 * -ENOENT when it has no data.mdb, -EBADMSG when that is not a file LMDB
 * could have written (empty, or not a regular file). Nothing is created.
 */
static int check_existing(int dirfd)
{
	struct stat sb;

	if (fstatat(dirfd, "data.mdb", &sb, 0) < 0)
		return -errno;
	return S_ISREG(sb.st_mode) && sb.st_size > 0 ? 0 : -EBADMSG;
}

int dfs_store_open(const char *dir, unsigned flags, uint64_t map_size,
		   struct dfs_store **out)
{
	struct dfs_store *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->dirfd = st->tmpfd = st->blobsfd = st->lockfd = -1;
	st->max_payload = DFS_STORE_PAYLOAD_DEFAULT;
	st->dir = strdup(dir);
	if (!st->dir) {
		rc = -ENOMEM;
		goto out_free;
	}
	if ((flags & DFS_STORE_CREATE) && mkdir(dir, 0700) < 0 &&
	    errno != EEXIST) {
		rc = -errno;
		goto out_free;
	}
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		rc = -errno;
		goto out_free;
	}
	if (!(flags & DFS_STORE_CREATE)) {
		rc = check_existing(st->dirfd);
		if (rc)
			goto out_free;
	}
	if (flags & DFS_STORE_EXCLUSIVE) {
		rc = take_lock(st);
		if (rc)
			goto out_free;
	}
	/* LMDB first: a damaged store is refused before anything is made. */
	rc = open_env(st, map_size, flags & DFS_STORE_CREATE);
	if (!rc)
		rc = open_subdir(st->dirfd, "tmp", &st->tmpfd);
	if (!rc)
		rc = open_subdir(st->dirfd, "blobs", &st->blobsfd);
	if (!rc)
		rc = dfs_verified_new(&st->verified);
	if (rc)
		goto out_free;
	if (gethostname(st->host, sizeof(st->host) - 1) < 0)
		strcpy(st->host, "localhost");
	*out = st;
	return 0;

out_free:
	dfs_store_close(st);
	return rc;
}

void dfs_store_close(struct dfs_store *st)
{
	if (!st)
		return;
	if (st->env)
		mdb_env_close(st->env);
	if (st->blobsfd >= 0)
		close(st->blobsfd);
	if (st->tmpfd >= 0)
		close(st->tmpfd);
	if (st->lockfd >= 0)
		close(st->lockfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	dfs_verified_free(st->verified);
	free(st->dir);
	free(st);
}

struct dfs_verified *dfs_store_verified(struct dfs_store *st)
{
	return st->verified;
}

const char *dfs_store_dir(const struct dfs_store *st)
{
	return st->dir;
}

void dfs_store_set_max_payload(struct dfs_store *st, uint64_t max)
{
	st->max_payload = max;
}

uint64_t dfs_store_max_payload(const struct dfs_store *st)
{
	return st->max_payload;
}

const char *dfs_store_host(const struct dfs_store *st)
{
	return st->host;
}

void dfs_store_set_max_unpacked(struct dfs_store *st, uint64_t max)
{
	st->max_unpacked = max;
}

uint64_t dfs_store_max_unpacked(const struct dfs_store *st)
{
	return st->max_unpacked;
}

int dfs_store_statfs(struct dfs_store *st, struct statvfs *sv)
{
	return fstatvfs(st->dirfd, sv) < 0 ? -errno : 0;
}

/* Remove every regular file in tmp/ (uploads of a crashed daemon). */
static int clear_tmp(struct dfs_store *st)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = openat(st->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(st->tmpfd, de->d_name, 0) < 0 && errno != ENOENT)
			rc = -errno;
	}
	closedir(d);
	if (!rc && fsync(st->tmpfd) < 0)
		rc = -errno;
	return rc;
}

int dfs_store_recover(struct dfs_store *st, unsigned *n)
{
	int rc;

	if (st->lockfd < 0)
		return -EPERM;
	rc = dfs_catalog_fail_pending(st, n);
	if (rc)
		return rc;
	return clear_tmp(st);
}

int dfs_store_trim(struct dfs_store *st, uint64_t limit, bool *trimmed)
{
	unsigned long long size, resident, shared;
	FILE *f;
	int n;

	*trimmed = false;
	f = fopen("/proc/self/statm", "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu %llu %llu", &size, &resident, &shared);
	fclose(f);
	if (n != 3)
		return -EIO;
	if (shared * (unsigned long long)sysconf(_SC_PAGESIZE) <= limit)
		return 0;
	if (!st->map_len)
		return -ENOENT;
	if (madvise(st->map, st->map_len, MADV_DONTNEED) < 0)
		return -errno;
	*trimmed = true;
	return 0;
}
