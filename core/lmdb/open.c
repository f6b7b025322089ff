/* lmdb/open — opening the LMDB catalog, and its floor (see lmdb_impl.h). */

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

#include "lmdb_impl.h"

int dfs_lmdb_err(int rc)
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

int dfs_lmdb_txn(struct dfs_lmdb *st, bool write, MDB_txn **txn)
{
	return dfs_lmdb_err(
		mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, txn));
}

int dfs_lmdb_commit(MDB_txn *txn)
{
	return dfs_lmdb_err(mdb_txn_commit(txn));
}

int dfs_lmdb_end(MDB_txn *txn, int rc)
{
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return dfs_lmdb_commit(txn);
}

void dfs_lmdb_u64_key(uint64_t v, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t dfs_lmdb_u64_val(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Take the store's daemon.lock into *@fd: -EBUSY when a daemon holds it. */
static int take_lock(const char *dir, int *fd)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/daemon.lock", dir) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return -errno;
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

/*
 * The format in meta into *@have: -ENOENT when missing (set it when
 * @write). The previous format passes too: the caller upgrades it.
 */
static int check_format(struct dfs_lmdb *st, MDB_txn *txn, bool write,
			uint32_t *have)
{
	uint32_t format = DFS_LMDB_FORMAT;
	MDB_val k = {6, "format"}, v;
	int rc;

	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND && write) {
		*have = format;
		v = (MDB_val){sizeof(format), &format};
		return dfs_lmdb_err(mdb_put(txn, st->meta, &k, &v, 0));
	}
	if (rc)
		return dfs_lmdb_err(rc);
	if (v.mv_size != sizeof(*have))
		return -EPROTO;
	memcpy(have, v.mv_data, sizeof(*have));
	return *have == DFS_LMDB_FORMAT || *have == DFS_LMDB_FORMAT - 1
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
static int open_dbs_txn(struct dfs_lmdb *st, bool write, uint32_t *have)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned flags;
	} dbs[] = {
		{"records", offsetof(struct dfs_lmdb, records), 0},
		{"by_seq", offsetof(struct dfs_lmdb, by_seq), 0},
		{"by_project", offsetof(struct dfs_lmdb, by_project),
		 MDB_DUPSORT | MDB_DUPFIXED},
		{"by_status", offsetof(struct dfs_lmdb, by_status),
		 MDB_DUPSORT | MDB_DUPFIXED},
		{"by_pstatus", offsetof(struct dfs_lmdb, by_pstatus),
		 MDB_DUPSORT | MDB_DUPFIXED},
		{"by_held", offsetof(struct dfs_lmdb, by_held),
		 MDB_DUPSORT | MDB_DUPFIXED},
		{"audit", offsetof(struct dfs_lmdb, audit), 0},
		{"projects", offsetof(struct dfs_lmdb, projects), 0},
		{"project_seq", offsetof(struct dfs_lmdb, project_seq), 0},
		{"blobs", offsetof(struct dfs_lmdb, blobs), 0},
		{"by_version", offsetof(struct dfs_lmdb, by_version), 0},
	};
	unsigned create = write ? MDB_CREATE : 0;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, write, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_err(mdb_dbi_open(txn, "meta", create, &st->meta));
	if (!rc)
		rc = check_format(st, txn, write, have);
	for (size_t i = 0; !rc && i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)st + dbs[i].off);

		rc = dfs_lmdb_err(mdb_dbi_open(txn, dbs[i].name,
					       dbs[i].flags | create, dbi));
	}
	return dfs_lmdb_end(txn, rc);
}

/* Set the current format, ending an upgrade. */
static int set_format(struct dfs_lmdb *st)
{
	uint32_t format = DFS_LMDB_FORMAT;
	MDB_val k = {6, "format"}, v = {sizeof(format), &format},
		ck = {11, "upgrade_seq"};
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = mdb_del(txn, st->meta, &ck, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_put(txn, st->meta, &k, &v, 0);
	return dfs_lmdb_end(txn, dfs_lmdb_err(rc));
}

/*
 * Upgrade a store of the previous format, holding the store's
 * daemon.lock for a moment (dfs_store_open opens the catalog before it
 * takes that lock for good): -EPROTO while a daemon of the older build
 * serves it.
 */
static int upgrade(struct dfs_lmdb *st)
{
	uint32_t have = 0;
	int lockfd = -1, rc;

	rc = take_lock(st->dir, &lockfd);
	if (rc == -EBUSY)
		rc = -EPROTO;
	if (!rc)
		rc = open_dbs_txn(st, true, &have);
	if (!rc && have != DFS_LMDB_FORMAT)
		rc = dfs_lmdb_version_upgrade(st);
	if (!rc && have != DFS_LMDB_FORMAT)
		rc = set_format(st);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/*
 * A read transaction when all is there: opening costs no fsync. Without
 * @create, an LMDB file that lacks what a store holds is not a store.
 */
static int open_dbs(struct dfs_lmdb *st, bool create)
{
	uint32_t have = 0;
	int rc = open_dbs_txn(st, false, &have);

	if ((rc == 0 || rc == -ENOENT) && have == DFS_LMDB_FORMAT - 1)
		return upgrade(st);
	if (rc == -ENOENT)
		return create ? open_dbs_txn(st, true, &have) : -EBADMSG;
	return rc;
}

/* Where LMDB mapped data.mdb: the line of /proc/self/maps with its inode. */
static void find_map(struct dfs_lmdb *st)
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

static int open_env(struct dfs_lmdb *st, uint64_t map_size, bool create)
{
	int rc;

	rc = dfs_lmdb_err(mdb_env_create(&st->env));
	if (rc)
		return rc;
	mdb_env_set_maxdbs(st->env, 16);
	mdb_env_set_maxreaders(st->env, 512);
	rc = dfs_lmdb_err(mdb_env_set_mapsize(
		st->env, map_size ? map_size : DFS_LMDB_MAP_DEFAULT));
	if (rc)
		return rc;
	rc = dfs_lmdb_err(mdb_env_open(st->env, st->dir, MDB_NOTLS, 0600));
	if (rc)
		return rc;
	find_map(st);
	return open_dbs(st, create);
}

int dfs_lmdb_trim(struct dfs_catalog *cat, uint64_t limit, bool *trimmed)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
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

static const struct dfs_catalog_ops lmdb_ops = {
	.close = dfs_lmdb_close,
	.recover = dfs_lmdb_recover,
	.trim = dfs_lmdb_trim,
	.create = dfs_lmdb_create,
	.update = dfs_lmdb_update,
	.drop_payload = dfs_lmdb_drop_payload,
	.set_pinned = dfs_lmdb_set_pinned,
	.note = dfs_lmdb_note,
	.get = dfs_lmdb_get,
	.get_seq = dfs_lmdb_get_seq,
	.find_version = dfs_lmdb_find_version,
	.find_prefix = dfs_lmdb_find_prefix,
	.latest = dfs_lmdb_latest,
	.blob_refs = dfs_lmdb_blob_refs,
	.project_get = dfs_lmdb_project_get,
	.project_get_seq = dfs_lmdb_project_get_seq,
	.project_count = dfs_lmdb_project_count,
	.project_set_attr = dfs_lmdb_project_set_attr,
	.project_hide = dfs_lmdb_project_hide,
	.project_remove_batch = dfs_lmdb_project_remove_batch,
	.scan = dfs_lmdb_scan,
	.query = dfs_lmdb_query,
	.audit_size = dfs_lmdb_audit_size,
	.audit_read = dfs_lmdb_audit_read,
	.audit_scan = dfs_lmdb_audit_scan,
	.policy_get = dfs_lmdb_policy_get,
	.policy_set = dfs_lmdb_policy_set,
	.setting_get = dfs_lmdb_setting_get,
	.setting_set = dfs_lmdb_setting_set,
	.batch_begin = dfs_lmdb_batch_begin,
	.batch_create = dfs_lmdb_batch_create,
	.batch_update = dfs_lmdb_batch_update,
	.batch_commit = dfs_lmdb_batch_commit,
	.batch_abort = dfs_lmdb_batch_abort,
};

/*
 * Without DFS_CATALOG_CREATE the directory must hold a catalog already:
 * -ENOENT when it has no data.mdb, -EBADMSG when that is not a file LMDB
 * could have written (empty, or not a regular file). Nothing is created.
 */
static int check_existing(const char *dir)
{
	char path[4096];
	struct stat sb;

	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &sb) < 0)
		return -errno;
	return S_ISREG(sb.st_mode) && sb.st_size > 0 ? 0 : -EBADMSG;
}

int dfs_catalog_open_lmdb(const char *dir, unsigned flags, uint64_t map_size,
			  const char *node, struct dfs_catalog **out)
{
	struct dfs_lmdb *st;
	int rc;

	if (!(flags & DFS_CATALOG_CREATE)) {
		rc = check_existing(dir);
		if (rc)
			return rc;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->base.ops = &lmdb_ops;
	snprintf(st->base.node, sizeof(st->base.node), "%s", node);
	st->dir = strdup(dir);
	rc = st->dir ? open_env(st, map_size, flags & DFS_CATALOG_CREATE)
		     : -ENOMEM;
	if (rc) {
		dfs_lmdb_close(&st->base);
		return rc;
	}
	*out = &st->base;
	return 0;
}

void dfs_lmdb_close(struct dfs_catalog *cat)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);

	if (st->env)
		mdb_env_close(st->env);
	free(st->dir);
	free(st);
}
