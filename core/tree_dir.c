/* tree_dir — directory listings of the tree (see tree.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "log.h"
#include "tree_impl.h"
#include "uuid7.h"

/* ---- listings -------------------------------------------------------- */

struct lister {
	dfs_tree_fill_fn fn;
	void *arg;
	enum ino_class cls;
	unsigned kind;
	mode_t mode;
};

static int emit(struct lister *l, const char *name, uint64_t ino, mode_t mode,
		uint64_t next)
{
	struct stat s;

	memset(&s, 0, sizeof(s));
	s.st_ino = ino;
	s.st_mode = mode;
	return l->fn(l->arg, name, &s, next);
}

static int emit_entry(void *arg, const struct dfs_entry *e)
{
	struct lister *l = arg;
	char idstr[37];

	if (e->name)
		return emit(l, e->name, mkino(l->cls, e->seq, l->kind), l->mode,
			    e->seq + OFF_CURSOR);
	dfs_uuid7_format(e->id, idstr);
	return emit(l, idstr, mkino(l->cls, e->seq, l->kind), l->mode,
		    e->seq + OFF_CURSOR);
}

/* deploy/ lists the projects that are not hidden (see dropbox.h). */
static int emit_dropbox(void *arg, const struct dfs_entry *e)
{
	return e->hidden ? 0 : emit_entry(arg, e);
}

/* Staging files, links and directories: in deploy/ or a staging dir. */
static int emit_staging(void *arg, const char *name, enum dfs_dbkind kind,
			uint64_t num)
{
	return emit(arg, name, dfs_tree_dropbox_ino(kind, num),
		    kind == DFS_DB_DIR ? S_IFDIR : S_IFREG, OFF_STAGING + num);
}

/* Walk a cursor from offset @off; a stop or a vanished position is fine. */
static int list(struct dfs_tree *t, struct lister *l, enum dfs_scan scope,
		const char *key, uint64_t off)
{
	uint64_t after = off >= OFF_CURSOR ? off - OFF_CURSOR : 0;
	int rc = dfs_catalog_scan(dfs_store_catalog(t->st), scope, key, after,
				  emit_entry, l);

	return rc > 0 || rc == -ENOENT ? 0 : rc;
}

static int list_fixed(struct dfs_tree *t, struct lister *l, uint64_t ino,
		      uint64_t off)
{
	static const char *const status_names[] = {"pending", "success",
						   "failed"};
	int rc;

	switch (ino) {
	case DFS_INO_ROOT:
		for (unsigned i = 0; i < 4; i++)
			if (off < 3 + i &&
			    emit(l, dfs_tree_top_names[i], DFS_INO_DEPLOY + i,
				 S_IFDIR, 3 + i))
				return 0;
		if (off < 7 && emit(l, "audit.log", INO_AUDIT, S_IFREG, 7))
			return 0;
		if (off < 8)
			emit(l, "newest", INO_NEWEST, S_IFDIR, 8);
		return 0;
	case DFS_INO_DEPLOY:
		if (off < OFF_STAGING) {
			*l = (struct lister){l->fn, l->arg, C_PROJECT,
					     P_DROPBOX, S_IFREG};
			rc = dfs_catalog_scan(
				dfs_store_catalog(t->st), DFS_SCAN_PROJECTS,
				NULL, off >= OFF_CURSOR ? off - OFF_CURSOR : 0,
				emit_dropbox, l);
			if (rc)
				return rc > 0 || rc == -ENOENT ? 0 : rc;
			off = OFF_STAGING;
		}
		rc = dfs_dropbox_scan(t->db, 0, off - OFF_STAGING, emit_staging,
				      l);
		return rc > 0 ? 0 : rc;
	case INO_DEPLOYMENTS:
		*l = (struct lister){l->fn, l->arg, C_DEPLOYMENT, D_DIR,
				     S_IFDIR};
		return list(t, l, DFS_SCAN_ALL, NULL, off);
	case INO_PROJECTS:
		*l = (struct lister){l->fn, l->arg, C_PROJECT, P_DIR, S_IFDIR};
		return list(t, l, DFS_SCAN_PROJECTS, NULL, off);
	case INO_NEWEST:
		return 0; /* query directories are looked up, not listed */
	case INO_STATUS:
		for (unsigned i = 0; i < DFS_STATUS_COUNT; i++)
			if (off < 3 + i &&
			    emit(l, status_names[i], INO_STATUS_DIR + i,
				 S_IFDIR, 3 + i))
				return 0;
		return 0;
	default:
		*l = (struct lister){l->fn, l->arg, C_DEPLOYMENT, D_STATUSLINK,
				     S_IFLNK};
		return list(t, l, DFS_SCAN_STATUS,
			    status_names[ino - INO_STATUS_DIR], off);
	}
}

static int list_project(struct dfs_tree *t, struct lister *l, uint64_t ino,
			uint64_t off)
{
	struct dfs_project p;
	uint8_t id[16];
	int rc;

	rc = dfs_catalog_project_get_seq(dfs_store_catalog(t->st), ino_num(ino),
					 &p);
	if (rc)
		return rc;
	if (off < 3 &&
	    dfs_catalog_latest(dfs_store_catalog(t->st), p.name, id) == 0 &&
	    emit(l, "latest", mkino(C_PROJECT, p.pseq, P_LATEST), S_IFLNK, 3))
		return 0;
	if (off < 4 && p.has_current &&
	    emit(l, "current", mkino(C_PROJECT, p.pseq, P_CURRENT), S_IFLNK, 4))
		return 0;
	if (off < 5 && dfs_tree_fleet_on(t) &&
	    emit(l, "nodes", mkino(C_PROJECT, p.pseq, P_NODES), S_IFDIR, 5))
		return 0;
	if (off < 6 && dfs_tree_fleet_on(t) &&
	    emit(l, "nodes.json", mkino(C_PROJECT, p.pseq, P_FLEET), S_IFREG,
		 6))
		return 0;
	*l = (struct lister){l->fn, l->arg, C_DEPLOYMENT, D_PROJLINK, S_IFLNK};
	return list(t, l, DFS_SCAN_PROJECT, p.name, off);
}

static bool has_side(struct dfs_tree *t, const struct dfs_record *r,
		     enum dfs_side_file which)
{
	int fd;

	if (dfs_log_open(t->st, which, r->id, false, &fd) != 0)
		return false;
	close(fd);
	return true;
}

static int list_deployment(struct dfs_tree *t, struct lister *l, uint64_t ino,
			   uint64_t off)
{
	struct dfs_record r;
	int rc;

	rc = dfs_catalog_get_seq(dfs_store_catalog(t->st), ino_num(ino), &r);
	if (rc)
		return rc;
	if (off < 3 && emit(l, "record.json",
			    mkino(C_DEPLOYMENT, r.seq, D_RECORD), S_IFREG, 3))
		return 0;
	if (off < 4 && r.payload_blob_present &&
	    emit(l, "payload", mkino(C_DEPLOYMENT, r.seq, D_PAYLOAD), S_IFREG,
		 4))
		return 0;
	if (off < 5 && has_side(t, &r, DFS_LOG) &&
	    emit(l, "log", mkino(C_DEPLOYMENT, r.seq, D_LOG), S_IFREG, 5))
		return 0;
	if (off < 6 && has_side(t, &r, DFS_MANIFEST) &&
	    emit(l, "manifest", mkino(C_DEPLOYMENT, r.seq, D_MANIFEST), S_IFREG,
		 6))
		return 0;
	if (off < 7 && dfs_tree_fleet_on(t))
		emit(l, "deliveries", mkino(C_DEPLOYMENT, r.seq, D_DELIVERIES),
		     S_IFDIR, 7);
	return 0;
}

int dfs_tree_readdir(struct dfs_tree *t, uint64_t ino, uint64_t off,
		     dfs_tree_fill_fn fn, void *arg)
{
	struct lister l = {fn, arg, C_FIXED, 0, 0};
	int rc;

	if (dfs_tree_type(ino) != DFS_NODE_DIR)
		return -ENOTDIR;
	if (off < 1 && emit(&l, ".", ino, S_IFDIR, 1))
		return 0;
	if (off < 2 &&
	    emit(&l, "..",
		 ino_class(ino) == C_NODE ? DFS_INO_DEPLOY : DFS_INO_ROOT,
		 S_IFDIR, 2))
		return 0;
	if ((ino_class(ino) == C_DEPLOYMENT && ino_kind(ino) == D_DELIVERIES) ||
	    (ino_class(ino) == C_PROJECT && ino_kind(ino) == P_NODES))
		return dfs_tree_fleet_readdir(t, ino, off, fn, arg);
	switch (ino_class(ino)) {
	case C_FIXED:
		return list_fixed(t, &l, ino, off);
	case C_PROJECT:
		return list_project(t, &l, ino, off);
	case C_QUERY:
		return dfs_tree_query_readdir(t, ino, off, fn, arg);
	case C_NODE:
		rc = dfs_dropbox_scan(t->db, ino_num(ino),
				      off < OFF_STAGING ? 0 : off - OFF_STAGING,
				      emit_staging, &l);
		return rc > 0 ? 0 : rc;
	default:
		return list_deployment(t, &l, ino, off);
	}
}
