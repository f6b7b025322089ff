/*
 * tree_open — the tree's operations that open or change files (see
 * tree.h): what each kind of inode does on open, create, rename,
 * symlink, setattr and the refused ones, so a front end never tests an
 * inode's kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "catalog.h"
#include "file_impl.h"
#include "tree_impl.h"

int dfs_tree_dropbox_path(struct dfs_tree *t, uint64_t parent, const char *name,
			  char *buf, size_t size)
{
	if (parent == DFS_INO_DEPLOY)
		return (size_t)snprintf(buf, size, "%s", name) >= size
			       ? -ENAMETOOLONG
			       : 0;
	if (ino_class(parent) == C_NODE && ino_kind(parent) == N_DIR)
		return dfs_dropbox_dir_path(t->db, ino_num(parent), name, buf,
					    size);
	return -EROFS;
}

int dfs_tree_dropbox_lookup(struct dfs_tree *t, uint64_t parent,
			    const char *name, struct stat *s, uint64_t *node)
{
	char path[DFS_DROPBOX_PATH_MAX + 1];
	struct dfs_dbstat db;
	struct dfs_record r;
	int rc;

	rc = dfs_tree_dropbox_path(t, parent, name, path, sizeof(path));
	if (!rc)
		rc = dfs_dropbox_lookup(t->db, path, &db);
	if (!rc) {
		dfs_tree_dropbox_stat(&db, s);
		if (db.view) /* the kernel's inode: one per deployed version */
			*node = dfs_tree_dropbox_ino(DFS_DB_VIEW, db.view);
		return 0;
	}
	if (rc != -ENOENT || parent != DFS_INO_DEPLOY ||
	    dfs_dropbox_backup(t->db, name, r.id) != 0)
		return rc == -EINVAL ? -ENOENT : rc;
	/* A backup name: the payload it shows, read-only. */
	rc = dfs_catalog_get(dfs_store_catalog(t->st), r.id, &r);
	return rc ? rc
		  : dfs_tree_getattr(t, mkino(C_DEPLOYMENT, r.seq, D_PAYLOAD),
				     s);
}

static bool in_deploy(uint64_t parent)
{
	return parent == DFS_INO_DEPLOY ||
	       (ino_class(parent) == C_NODE && ino_kind(parent) == N_DIR);
}

/* Only deploy/ takes new entries: EPERM there, a read-only tree elsewhere. */
int dfs_tree_mknod(struct dfs_tree *t, uint64_t parent)
{
	(void)t;
	return in_deploy(parent) ? -EPERM : -EROFS;
}

int dfs_tree_mkdir(struct dfs_tree *t, uint64_t parent, const char *name,
		   uint32_t mode, const struct dfs_caller *c, struct stat *st)
{
	struct dfs_dbstat ds;
	int rc;

	if (parent != DFS_INO_DEPLOY)
		return dfs_tree_mknod(t, parent); /* no nesting */
	rc = dfs_dropbox_mkdir(t->db, name, mode, c, &ds);
	if (!rc)
		dfs_tree_dropbox_stat(&ds, st);
	return rc;
}

int dfs_tree_rmdir(struct dfs_tree *t, uint64_t parent, const char *name,
		   const struct dfs_caller *c)
{
	char path[DFS_DROPBOX_PATH_MAX + 1];
	struct dfs_dbstat ds;
	int rc;

	if (parent == DFS_INO_DEPLOY)
		return dfs_dropbox_rmdir(t->db, name, c);
	rc = dfs_tree_dropbox_path(t, parent, name, path, sizeof(path));
	if (rc)
		return rc == -EINVAL ? -ENOENT : rc;
	/* In a staging directory: files only. */
	return dfs_dropbox_lookup(t->db, path, &ds) == 0 ? -ENOTDIR : -ENOENT;
}

/* Open what is not a drop box: read-only, and each kind its own way. */
static int open_read(struct dfs_tree *t, uint64_t ino,
		     const struct dfs_caller *c, struct dfs_file *f)
{
	switch (f->kind) {
	case DFS_FILE_RECORD:
		/* A snapshot: a record can change while it is read. */
		f->direct_io = true;
		if (dfs_tree_type(ino) == DFS_NODE_DELIVERY)
			return dfs_tree_fleet_json(t, ino, &f->buf, &f->len);
		return dfs_tree_record(t, ino, &f->buf, &f->len);
	case DFS_FILE_DLOG:
		f->direct_io = true; /* a hook's output grows while it runs */
		return dfs_tree_fleet_open_log(t, ino, c, f);
	case DFS_FILE_AUDIT:
		f->direct_io = true; /* it grows: always read what is there */
		f->st = t->st;
		return 0;
	case DFS_FILE_SIDE:
		f->direct_io = true; /* a log grows while its deploy runs */
		return dfs_tree_open_side(t, ino, c, &f->fd);
	case DFS_FILE_PAYLOAD:
		/* Pages kept only while proven: see cache_hints. */
		return dfs_tree_open_payload(t, ino, c, &f->reader);
	default:
		return -EINVAL;
	}
}

static int file_kind(enum dfs_node_type type, enum dfs_file_kind *kind)
{
	switch (type) {
	case DFS_NODE_RECORD:
	case DFS_NODE_DELIVERY:
		*kind = DFS_FILE_RECORD;
		return 0;
	case DFS_NODE_DELIVERY_LOG:
		*kind = DFS_FILE_DLOG;
		return 0;
	case DFS_NODE_AUDIT:
		*kind = DFS_FILE_AUDIT;
		return 0;
	case DFS_NODE_SIDE:
		*kind = DFS_FILE_SIDE;
		return 0;
	case DFS_NODE_PAYLOAD:
		*kind = DFS_FILE_PAYLOAD;
		return 0;
	case DFS_NODE_DROPBOX:
		*kind = DFS_FILE_DROPBOX;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Writers bypass the page cache: payloads can be many GB. Their open
 * leaves readers' pages be (rsync --inplace opens its basis to read, then
 * to write): what they write reaches readers only by a commit, which
 * changes the blob a later open serves, and so drops the pages then.
 */
static void dropbox_hints(struct dfs_file *f, int flags)
{
	f->direct_io = (flags & O_ACCMODE) != O_RDONLY;
	f->keep_cache = f->direct_io;
}

/* How a read-only payload handle uses the page cache: see keepcache.h. */
static void cache_hints(struct dfs_tree *t, uint64_t ino, struct dfs_file *f)
{
	struct dfs_reader *r = f->reader;

	if (!r && f->db)
		r = dfs_dbfile_reader(f->db);
	if (f->direct_io || !r)
		return;
	f->kc_proven = dfs_reader_proven(r);
	switch (dfs_keepcache_open(t->kc, ino, dfs_reader_hash(r),
				   f->kc_proven)) {
	case DFS_CACHE_BYPASS:
		f->direct_io = true;
		f->keep_cache = true; /* the pages are others' */
		return;
	case DFS_CACHE_KEEP:
		f->keep_cache = true;
		break;
	case DFS_CACHE_DROP:
		break;
	}
	f->kc = t->kc;
	f->kc_ino = ino;
}

int dfs_tree_open(struct dfs_tree *t, uint64_t ino, int flags,
		  const struct dfs_caller *c, struct dfs_file **out)
{
	enum dfs_node_type type = dfs_tree_type(ino);
	enum dfs_file_kind kind;
	struct dfs_file *f;
	enum dfs_dbkind dk;
	uint64_t num;
	int rc;

	if (type != DFS_NODE_DROPBOX && (flags & O_ACCMODE) != O_RDONLY)
		return type == DFS_NODE_DIR ? -EISDIR : -EROFS;
	rc = file_kind(type, &kind);
	if (rc)
		return rc;
	f = dfs_file_new(kind);
	if (!f)
		return -ENOMEM;
	if (kind == DFS_FILE_DROPBOX) {
		dfs_tree_dropbox_ref(ino, &dk, &num);
		rc = dfs_dropbox_open(t->db, dk, num, flags, c, &f->db);
		dropbox_hints(f, flags);
	} else {
		rc = open_read(t, ino, c, f);
	}
	if (rc) {
		dfs_file_close(f);
		return rc;
	}
	cache_hints(t, ino, f);
	*out = f;
	return 0;
}

int dfs_tree_create(struct dfs_tree *t, uint64_t parent, const char *name,
		    int flags, uint32_t mode, const struct dfs_caller *c,
		    struct dfs_file **out, struct stat *st)
{
	char path[DFS_DROPBOX_PATH_MAX + 1];
	struct dfs_dbstat ds;
	struct dfs_file *f;
	int rc;

	rc = dfs_tree_dropbox_path(t, parent, name, path, sizeof(path));
	if (rc)
		return rc;
	f = dfs_file_new(DFS_FILE_DROPBOX);
	if (!f)
		return -ENOMEM;
	rc = dfs_dropbox_create(t->db, path, flags, mode, c, &f->db);
	if (!rc)
		rc = dfs_dbfile_stat(f->db, &ds);
	if (rc) {
		dfs_file_close(f);
		return rc;
	}
	dropbox_hints(f, flags);
	dfs_tree_dropbox_stat(&ds, st);
	*out = f;
	return 0;
}

int dfs_tree_symlink(struct dfs_tree *t, uint64_t parent, const char *name,
		     const char *target, const struct dfs_caller *c,
		     struct stat *st)
{
	struct dfs_dbstat ds;
	int rc;

	if (parent != DFS_INO_DEPLOY)
		return -EROFS;
	rc = dfs_dropbox_symlink(t->db, name, target, c, &ds);
	if (!rc)
		dfs_tree_dropbox_stat(&ds, st);
	return rc;
}

int dfs_tree_rename(struct dfs_tree *t, uint64_t parent, const char *name,
		    uint64_t newparent, const char *newname, unsigned flags,
		    const struct dfs_caller *c)
{
	char from[DFS_DROPBOX_PATH_MAX + 1], to[DFS_DROPBOX_PATH_MAX + 1];
	int rc;

	if (!in_deploy(parent) || !in_deploy(newparent))
		return parent == newparent ? -EROFS : -EXDEV;
	if (flags)
		return -EINVAL;
	rc = dfs_tree_dropbox_path(t, parent, name, from, sizeof(from));
	if (!rc)
		rc = dfs_tree_dropbox_path(t, newparent, newname, to,
					   sizeof(to));
	return rc ? rc : dfs_dropbox_rename(t->db, from, to, c);
}

int dfs_tree_setattr(struct dfs_tree *t, uint64_t ino,
		     const struct dfs_setattr *sa, struct dfs_file *f,
		     const struct dfs_caller *c, struct stat *st)
{
	struct dfs_dbfile *through =
		f && f->kind == DFS_FILE_DROPBOX ? f->db : NULL;
	struct dfs_dbstat ds;
	enum dfs_dbkind kind;
	uint64_t num;
	int rc;

	if (ino == DFS_INO_DEPLOY)
		rc = dfs_dropbox_dir_setattr(t->db, sa, c, &ds);
	else if (dfs_tree_dropbox_ref(ino, &kind, &num))
		rc = dfs_dropbox_setattr(t->db, kind, num, through, sa, c, &ds);
	else
		rc = -EROFS;
	return rc ? rc : dfs_tree_getattr(t, ino, st);
}
