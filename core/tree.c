/* tree — see tree.h. */
#include "payload.h"
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "blobs.h"
#include "catalog.h"
#include "keepcache.h"
#include "project.h"
#include "isotime.h"
#include "log.h"
#include "reader.h"
#include "tree_impl.h"
#include "uuid7.h"

const char *const dfs_tree_top_names[4] = {"deploy", "deployments", "projects",
					   "status"};

int dfs_tree_new(struct dfs_store *st, struct dfs_dropbox *db, uid_t uid,
		 gid_t gid, struct dfs_tree **out)
{
	struct dfs_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->st = st;
	t->db = db;
	t->kc = dfs_keepcache_new(); /* without: no pages kept */
	t->uid = uid;
	t->gid = gid;
	clock_gettime(CLOCK_REALTIME, &t->born);
	*out = t;
	return 0;
}

void dfs_tree_free(struct dfs_tree *t)
{
	if (t)
		dfs_keepcache_free(t->kc);
	free(t);
}

enum dfs_node_type dfs_tree_type(uint64_t ino)
{
	switch (ino_class(ino)) {
	case C_FIXED:
		if (ino == INO_AUDIT)
			return DFS_NODE_AUDIT;
		return (ino >= 1 && ino < INO_AUDIT) || ino == INO_NEWEST
			       ? DFS_NODE_DIR
			       : DFS_NODE_NONE;
	case C_DEPLOYMENT:
		switch (ino_kind(ino)) {
		case D_DIR:
			return DFS_NODE_DIR;
		case D_RECORD:
			return DFS_NODE_RECORD;
		case D_PAYLOAD:
			return DFS_NODE_PAYLOAD;
		case D_PROJLINK:
		case D_STATUSLINK:
			return DFS_NODE_LINK;
		case D_LOG:
		case D_MANIFEST:
			return DFS_NODE_SIDE;
		case D_DELIVERIES:
			return DFS_NODE_DIR;
		}
		return DFS_NODE_NONE;
	case C_PROJECT:
		switch (ino_kind(ino)) {
		case P_DROPBOX:
			return DFS_NODE_DROPBOX;
		case P_DIR:
		case P_NODES:
			return DFS_NODE_DIR;
		case P_LATEST:
		case P_CURRENT:
			return DFS_NODE_LINK;
		case P_FLEET:
			return DFS_NODE_DELIVERY;
		}
		return DFS_NODE_NONE;
	case C_NODE:
		return ino_kind(ino) == N_FILE	? DFS_NODE_DROPBOX
		       : ino_kind(ino) == N_DIR ? DFS_NODE_DIR
						: DFS_NODE_NONE;
	case C_QUERY:
		return ino_kind(ino) <= DFS_STATUS_COUNT ? DFS_NODE_DIR
							 : DFS_NODE_NONE;
	case C_DELIVERY:
		return ino_kind(ino) == DL_JSON	 ? DFS_NODE_DELIVERY
		       : ino_kind(ino) == DL_LOG ? DFS_NODE_DELIVERY_LOG
						 : DFS_NODE_NONE;
	case C_NODELINK:
		return ino_kind(ino) == 0 ? DFS_NODE_LINK : DFS_NODE_NONE;
	case C_BOXVIEW:
		return ino_kind(ino) == 0 ? DFS_NODE_DROPBOX : DFS_NODE_NONE;
	}
	return DFS_NODE_NONE;
}

bool dfs_tree_dropbox_ref(uint64_t ino, enum dfs_dbkind *kind, uint64_t *num)
{
	if (dfs_tree_type(ino) != DFS_NODE_DROPBOX &&
	    (ino_class(ino) != C_NODE || ino_kind(ino) != N_DIR))
		return false;
	*kind = ino_class(ino) == C_PROJECT   ? DFS_DB_PROJECT
		: ino_class(ino) == C_BOXVIEW ? DFS_DB_VIEW
		: ino_kind(ino) == N_DIR      ? DFS_DB_DIR
					      : DFS_DB_NODE;
	*num = ino_num(ino);
	return true;
}

uint64_t dfs_tree_dropbox_ino(enum dfs_dbkind kind, uint64_t num)
{
	return kind == DFS_DB_PROJECT ? mkino(C_PROJECT, num, P_DROPBOX)
	       : kind == DFS_DB_VIEW  ? mkino(C_BOXVIEW, num, 0)
	       : kind == DFS_DB_DIR   ? mkino(C_NODE, num, N_DIR)
				      : mkino(C_NODE, num, N_FILE);
}

/* ---- attributes -------------------------------------------------------- */

static void fixed_stat(struct dfs_tree *t, uint64_t ino, struct stat *s)
{
	uint64_t size = 0;

	if (ino == INO_AUDIT) {
		base_stat(s, ino, S_IFREG | 0444, t->uid, t->gid, t->born);
		if (dfs_catalog_audit_size(dfs_store_catalog(t->st), &size) ==
		    0)
			set_size(s, size);
		return;
	}
	if (ino == DFS_INO_DEPLOY) {
		struct dfs_dbstat d;

		/* Its own owner and mode, stored: who may start projects. */
		dfs_dropbox_dir_stat(t->db, &d);
		base_stat(s, ino, S_IFDIR | (d.mode & 07777), d.uid, d.gid,
			  t->born);
		s->st_ctim = d.ctime;
		return;
	}
	base_stat(s, ino, S_IFDIR | 0555, t->uid, t->gid, t->born);
}

void dfs_tree_dropbox_stat(const struct dfs_dbstat *db, struct stat *s)
{
	base_stat(s, dfs_tree_dropbox_ino(db->kind, db->num),
		  db->link		   ? S_IFLNK | 0777
		  : db->kind == DFS_DB_DIR ? S_IFDIR | (db->mode & 07777)
					   : S_IFREG | (db->mode & 07777),
		  db->uid, db->gid, db->mtime);
	s->st_atim = db->atime;
	s->st_ctim = db->ctime;
	if (db->kind != DFS_DB_DIR)
		set_size(s, db->size);
}

#define LINK_LEN (sizeof("../../deployments/") - 1 + DFS_ID_STR_LEN)

static struct timespec rec_time(const struct dfs_record *r)
{
	return dfs_time_to_timespec(r->completed_ms != DFS_TIME_NONE
					    ? r->completed_ms
					    : r->started_ms);
}

/* A log or manifest: the project's owner and read bits, like the payload. */
static int side_stat(struct dfs_tree *t, const struct dfs_record *r,
		     unsigned kind, uint64_t ino, struct stat *s)
{
	struct dfs_project p;
	struct stat fs;
	int fd, rc;

	rc = dfs_log_open(t->st, kind == D_LOG ? DFS_LOG : DFS_MANIFEST, r->id,
			  false, &fd);
	if (rc)
		return rc;
	rc = fstat(fd, &fs) < 0 ? -errno : 0;
	close(fd);
	if (!rc)
		rc = dfs_catalog_project_get(dfs_store_catalog(t->st),
					     r->project, &p);
	if (rc)
		return rc;
	base_stat(s, ino, S_IFREG | (p.mode & 0444), p.uid, p.gid, fs.st_mtim);
	set_size(s, (uint64_t)fs.st_size);
	return 0;
}

static int deployment_stat(struct dfs_tree *t, const struct dfs_record *r,
			   unsigned kind, struct stat *s)
{
	struct timespec started = dfs_time_to_timespec(r->started_ms);
	uint64_t ino = mkino(C_DEPLOYMENT, r->seq, kind);
	struct dfs_project p;
	char *buf;
	size_t len;
	int rc;

	switch (kind) {
	case D_DIR:
	case D_DELIVERIES:
		if (kind == D_DELIVERIES && !dfs_tree_fleet_on(t))
			return -ENOENT;
		/* Writable where the project is: rm payload drops it. */
		rc = dfs_catalog_project_get(dfs_store_catalog(t->st),
					     r->project, &p);
		if (rc)
			return rc;
		base_stat(s, ino,
			  S_IFDIR | 0555 | (kind == D_DIR ? p.mode & 0222 : 0),
			  p.uid, p.gid, started);
		return 0;
	case D_RECORD:
		rc = dfs_tree_record_render(t, r, &buf, &len);
		if (rc)
			return rc;
		free(buf);
		base_stat(s, ino, S_IFREG | 0444, r->who.uid, r->who.gid,
			  rec_time(r));
		set_size(s, len);
		return 0;
	case D_LOG:
	case D_MANIFEST:
		return side_stat(t, r, kind, ino, s);
	case D_PAYLOAD:
		if (!r->payload_blob_present)
			return -ENOENT;
		rc = dfs_catalog_project_get(dfs_store_catalog(t->st),
					     r->project, &p);
		if (rc)
			return rc;
		base_stat(s, ino, S_IFREG | (p.mode & 0444), p.uid, p.gid,
			  rec_time(r));
		if (r->source_mtime_ms != DFS_TIME_NONE)
			s->st_mtim = dfs_time_to_timespec(r->source_mtime_ms);
		set_size(s, r->payload_size);
		return 0;
	default:
		base_stat(s, ino, S_IFLNK | 0777, r->who.uid, r->who.gid,
			  started);
		set_size(s, LINK_LEN);
		return 0;
	}
}

static int project_link_id(struct dfs_tree *t, const struct dfs_project *p,
			   unsigned kind, uint8_t id[16])
{
	if (kind == P_LATEST)
		return dfs_catalog_latest(dfs_store_catalog(t->st), p->name,
					  id);
	if (!p->has_current)
		return -ENOENT;
	memcpy(id, p->current, 16);
	return 0;
}

static int project_stat(struct dfs_tree *t, const struct dfs_project *p,
			unsigned kind, struct stat *s)
{
	uint64_t ino = mkino(C_PROJECT, p->pseq, kind);
	struct dfs_dbstat db;
	struct dfs_record r;
	uint8_t id[16];
	int rc;

	if (kind == P_DROPBOX) {
		rc = dfs_dropbox_stat(t->db, DFS_DB_PROJECT, p->pseq, &db);
		if (!rc)
			dfs_tree_dropbox_stat(&db, s);
		return rc;
	}
	if (kind == P_FLEET)
		return dfs_tree_fleet_view_stat(t, p, s);
	if (kind == P_NODES && !dfs_tree_fleet_on(t))
		return -ENOENT;
	/* Directories and links show the time of the newest deployment. */
	rc = dfs_catalog_latest(dfs_store_catalog(t->st), p->name, id);
	if (rc && rc != -ENOENT)
		return rc;
	base_stat(s, ino,
		  kind == P_DIR || kind == P_NODES ? S_IFDIR | 0555
						   : S_IFLNK | 0777,
		  p->uid, p->gid, dfs_time_to_timespec(p->created_ms));
	if (rc == 0)
		s->st_mtim = s->st_ctim =
			dfs_time_to_timespec((int64_t)dfs_uuid7_ms(id));
	if (kind == P_DIR || kind == P_NODES)
		return 0;
	rc = project_link_id(t, p, kind, id);
	if (rc)
		return rc;
	if (dfs_catalog_get(dfs_store_catalog(t->st), id, &r) == 0)
		s->st_mtim = s->st_ctim = dfs_time_to_timespec(r.started_ms);
	set_size(s, LINK_LEN);
	return 0;
}

int dfs_tree_getattr(struct dfs_tree *t, uint64_t ino, struct stat *s)
{
	struct dfs_dbstat db;
	struct dfs_project p;
	struct dfs_record r;
	int rc;

	switch (dfs_tree_type(ino) == DFS_NODE_NONE ? 99 : ino_class(ino)) {
	case C_FIXED:
		fixed_stat(t, ino, s);
		return 0;
	case C_DEPLOYMENT:
		rc = dfs_catalog_get_seq(dfs_store_catalog(t->st), ino_num(ino),
					 &r);
		return rc ? rc : deployment_stat(t, &r, ino_kind(ino), s);
	case C_PROJECT:
		rc = dfs_catalog_project_get_seq(dfs_store_catalog(t->st),
						 ino_num(ino), &p);
		return rc ? rc : project_stat(t, &p, ino_kind(ino), s);
	case C_NODE:
	case C_BOXVIEW:
		rc = dfs_dropbox_stat(t->db,
				      ino_class(ino) == C_BOXVIEW ? DFS_DB_VIEW
				      : ino_kind(ino) == N_DIR	  ? DFS_DB_DIR
								  : DFS_DB_NODE,
				      ino_num(ino), &db);
		if (!rc)
			dfs_tree_dropbox_stat(&db, s);
		return rc;
	case C_QUERY:
		return dfs_tree_query_getattr(t, ino, s);
	case C_DELIVERY:
	case C_NODELINK:
		return dfs_tree_fleet_getattr(t, ino, s);
	}
	return -ENOENT;
}

/* ---- lookup ------------------------------------------------------------ */

static int lookup_deployment(struct dfs_tree *t, const char *name,
			     unsigned kind, const char *project, int status,
			     struct stat *s)
{
	struct dfs_record r;
	uint8_t id[16];
	int rc;

	if (dfs_uuid7_parse(name, id) != 0)
		return -ENOENT;
	rc = dfs_catalog_get(dfs_store_catalog(t->st), id, &r);
	if (rc)
		return rc;
	if ((project && strcmp(r.project, project) != 0) ||
	    (status >= 0 && (int)r.status != status))
		return -ENOENT;
	return deployment_stat(t, &r, kind, s);
}

static int lookup_fixed(struct dfs_tree *t, uint64_t parent, const char *name,
			struct stat *s, uint64_t *node)
{
	struct dfs_project p;
	enum dfs_status status;
	int rc;

	switch (parent) {
	case DFS_INO_ROOT:
		for (unsigned i = 0; i < 4; i++)
			if (strcmp(name, dfs_tree_top_names[i]) == 0) {
				fixed_stat(t, DFS_INO_DEPLOY + i, s);
				return 0;
			}
		if (strcmp(name, "audit.log") == 0) {
			fixed_stat(t, INO_AUDIT, s);
			return 0;
		}
		if (strcmp(name, "newest") == 0) {
			fixed_stat(t, INO_NEWEST, s);
			return 0;
		}
		return -ENOENT;
	case DFS_INO_DEPLOY:
		return dfs_tree_dropbox_lookup(t, parent, name, s, node);
	case INO_DEPLOYMENTS:
		return lookup_deployment(t, name, D_DIR, NULL, -1, s);
	case INO_PROJECTS:
		rc = dfs_catalog_project_get(dfs_store_catalog(t->st), name,
					     &p);
		return rc ? rc : project_stat(t, &p, P_DIR, s);
	case INO_STATUS:
		if (dfs_status_parse(name, &status) != 0)
			return -ENOENT;
		fixed_stat(t, INO_STATUS_DIR + status, s);
		return 0;
	case INO_NEWEST:
		return dfs_tree_query_lookup(t, name, s);
	default:
		return lookup_deployment(t, name, D_STATUSLINK, NULL,
					 (int)(parent - INO_STATUS_DIR), s);
	}
}

/*
 * projects/<p>/v<N>: deployment N of the project, the same link as its
 * <id> entry (same inode). Looked up through the version index; readdir
 * does not list these names (see README).
 */
static int lookup_version(struct dfs_tree *t, const struct dfs_project *p,
			  const char *name, struct stat *s)
{
	struct dfs_record r;
	uint64_t v = 0;
	uint8_t id[16];
	int rc;

	if (name[0] != 'v' || name[1] < '1' || name[1] > '9')
		return -ENOENT;
	for (const char *c = name + 1; *c; c++) {
		if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10)
			return -ENOENT;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	rc = dfs_catalog_find_version(dfs_store_catalog(t->st), p->name, v, id,
				      NULL);
	if (!rc)
		rc = dfs_catalog_get(dfs_store_catalog(t->st), id, &r);
	return rc ? rc : deployment_stat(t, &r, D_PROJLINK, s);
}

static int lookup(struct dfs_tree *t, uint64_t parent, const char *name,
		  struct stat *s, uint64_t *node)
{
	struct dfs_project p;
	struct dfs_record r;
	int rc;

	if (dfs_tree_type(parent) != DFS_NODE_DIR)
		return -ENOTDIR;
	if (ino_class(parent) == C_FIXED)
		return lookup_fixed(t, parent, name, s, node);
	if (ino_class(parent) == C_NODE)
		return dfs_tree_dropbox_lookup(t, parent, name, s, node);
	if (ino_class(parent) == C_QUERY) {
		char project[DFS_PROJECT_MAX + 1];
		int status;

		rc = dfs_tree_query_filter(t, parent, project, &status);
		return rc ? rc
			  : lookup_deployment(t, name, D_PROJLINK,
					      project[0] ? project : NULL,
					      status, s);
	}
	if ((ino_class(parent) == C_DEPLOYMENT &&
	     ino_kind(parent) == D_DELIVERIES) ||
	    (ino_class(parent) == C_PROJECT && ino_kind(parent) == P_NODES))
		return dfs_tree_fleet_lookup(t, parent, name, s);
	if (ino_class(parent) == C_DEPLOYMENT) {
		rc = dfs_catalog_get_seq(dfs_store_catalog(t->st),
					 ino_num(parent), &r);
		if (rc)
			return rc;
		if (strcmp(name, "record.json") == 0)
			return deployment_stat(t, &r, D_RECORD, s);
		if (strcmp(name, "payload") == 0)
			return deployment_stat(t, &r, D_PAYLOAD, s);
		if (strcmp(name, "log") == 0)
			return deployment_stat(t, &r, D_LOG, s);
		if (strcmp(name, "manifest") == 0)
			return deployment_stat(t, &r, D_MANIFEST, s);
		if (strcmp(name, "deliveries") == 0)
			return deployment_stat(t, &r, D_DELIVERIES, s);
		return -ENOENT;
	}
	rc = dfs_catalog_project_get_seq(dfs_store_catalog(t->st),
					 ino_num(parent), &p);
	if (rc)
		return rc;
	if (strcmp(name, "latest") == 0)
		return project_stat(t, &p, P_LATEST, s);
	if (strcmp(name, "current") == 0)
		return project_stat(t, &p, P_CURRENT, s);
	if (strcmp(name, "nodes") == 0)
		return project_stat(t, &p, P_NODES, s);
	if (strcmp(name, "nodes.json") == 0)
		return project_stat(t, &p, P_FLEET, s);
	if (name[0] == 'v')
		return lookup_version(t, &p, name, s);
	return lookup_deployment(t, name, D_PROJLINK, p.name, -1, s);
}

int dfs_tree_lookup(struct dfs_tree *t, uint64_t parent, const char *name,
		    struct stat *s, uint64_t *node)
{
	uint64_t n = 0;
	int rc = lookup(t, parent, name, s, &n);

	if (!rc && node)
		*node = n ? n : (uint64_t)s->st_ino;
	return rc;
}

int dfs_tree_readlink(struct dfs_tree *t, uint64_t ino, char *buf, size_t size)
{
	char idstr[37];
	struct dfs_project p;
	struct dfs_record r;
	uint8_t id[16];
	int rc;

	if (ino_class(ino) == C_NODE)
		return dfs_dropbox_readlink(t->db, ino_num(ino), buf, size);
	if (ino_class(ino) == C_NODELINK && dfs_tree_type(ino) == DFS_NODE_LINK)
		return dfs_tree_fleet_readlink(t, ino, buf, size);
	if (dfs_tree_type(ino) != DFS_NODE_LINK)
		return -EINVAL;
	if (ino_class(ino) == C_DEPLOYMENT) {
		rc = dfs_catalog_get_seq(dfs_store_catalog(t->st), ino_num(ino),
					 &r);
		if (rc)
			return rc;
		memcpy(id, r.id, 16);
	} else {
		rc = dfs_catalog_project_get_seq(dfs_store_catalog(t->st),
						 ino_num(ino), &p);
		if (!rc)
			rc = project_link_id(t, &p, ino_kind(ino), id);
		if (rc)
			return rc;
	}
	dfs_uuid7_format(id, idstr);
	if ((size_t)snprintf(buf, size, "../../deployments/%s", idstr) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* The other files of a deployment are its history: never removed. */
static int history_unlink(struct dfs_tree *t, uint64_t parent, const char *name)
{
	struct stat s;
	int rc;

	if (ino_kind(parent) == D_DIR && strcmp(name, "record.json") != 0 &&
	    strcmp(name, "log") != 0 && strcmp(name, "manifest") != 0)
		return -ENOENT;
	rc = dfs_tree_lookup(t, parent, name, &s, NULL);
	return rc ? rc : -EPERM;
}

int dfs_tree_unlink(struct dfs_tree *t, uint64_t parent, const char *name,
		    const struct dfs_caller *caller)
{
	struct dfs_project p;
	struct dfs_record r;
	struct dfs_who who;
	char path[DFS_DROPBOX_PATH_MAX + 1];
	uint64_t freed;
	int rc;

	rc = dfs_tree_dropbox_path(t, parent, name, path, sizeof(path));
	if (rc != -EROFS)
		return rc ? rc : dfs_dropbox_unlink(t->db, path, caller);
	if (dfs_tree_type(parent) != DFS_NODE_DIR ||
	    ino_class(parent) != C_DEPLOYMENT)
		return -EROFS;
	if (strcmp(name, "payload") != 0 || ino_kind(parent) != D_DIR)
		return history_unlink(t, parent, name);
	rc = dfs_catalog_get_seq(dfs_store_catalog(t->st), ino_num(parent), &r);
	if (!rc)
		rc = dfs_catalog_project_get(dfs_store_catalog(t->st),
					     r.project, &p);
	if (rc)
		return rc;
	if (!r.payload_blob_present)
		return -ENOENT;
	if (!dfs_project_may(&p, caller, DFS_MAY_WRITE))
		return -EACCES;
	dfs_who_fill(&who, caller->uid, caller->gid, caller->pid);
	return dfs_payload_drop(t->st, r.id, DFS_DROP_ASKED, &who, &freed);
}

int dfs_tree_record(struct dfs_tree *t, uint64_t ino, char **buf, size_t *len)
{
	struct dfs_record r;
	int rc;

	if (dfs_tree_type(ino) != DFS_NODE_RECORD)
		return -EINVAL;
	rc = dfs_catalog_get_seq(dfs_store_catalog(t->st), ino_num(ino), &r);
	return rc ? rc : dfs_tree_record_render(t, &r, buf, len);
}

/* Read permission on a deployment's payload, log or manifest. */
static int may_read(struct dfs_tree *t, const struct dfs_record *r,
		    const struct dfs_caller *c)
{
	struct dfs_project p;
	int rc = dfs_catalog_project_get(dfs_store_catalog(t->st), r->project,
					 &p);

	if (rc)
		return rc;
	return dfs_project_may(&p, c, DFS_MAY_READ) ? 0 : -EACCES;
}

int dfs_tree_open_side(struct dfs_tree *t, uint64_t ino,
		       const struct dfs_caller *c, int *fd)
{
	struct dfs_record r;
	int rc;

	if (dfs_tree_type(ino) != DFS_NODE_SIDE)
		return -EINVAL;
	rc = dfs_catalog_get_seq(dfs_store_catalog(t->st), ino_num(ino), &r);
	if (!rc)
		rc = may_read(t, &r, c);
	if (rc)
		return rc;
	return dfs_log_open(t->st,
			    ino_kind(ino) == D_LOG ? DFS_LOG : DFS_MANIFEST,
			    r.id, false, fd);
}

int dfs_tree_open_payload(struct dfs_tree *t, uint64_t ino,
			  const struct dfs_caller *c,
			  struct dfs_reader **reader)
{
	struct dfs_record r;
	int rc;

	if (dfs_tree_type(ino) != DFS_NODE_PAYLOAD)
		return -EINVAL;
	rc = dfs_catalog_get_seq(dfs_store_catalog(t->st), ino_num(ino), &r);
	if (!rc)
		rc = may_read(t, &r, c);
	return rc ? rc : dfs_reader_open(t->st, &r, reader);
}
