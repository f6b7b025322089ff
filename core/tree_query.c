/*
 * tree_query — newest/: query directories that list deployments newest
 * first, and the pinned flag as an extended attribute (see tree.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "isotime.h"
#include "project.h"
#include "query.h"
#include "retention.h"
#include "tree_impl.h"
#include "uuid7.h"

int dfs_tree_query_filter(struct dfs_tree *t, uint64_t ino,
			  char project[DFS_PROJECT_MAX + 1], int *status)
{
	struct dfs_project p;
	int rc;

	project[0] = '\0';
	*status = (int)ino_kind(ino) - 1;
	if (ino_num(ino) == 0)
		return 0;
	rc = dfs_catalog_project_get_seq(dfs_store_catalog(t->st), ino_num(ino),
					 &p);
	if (rc)
		return rc;
	memcpy(project, p.name, sizeof(p.name));
	return 0;
}

/* The query of directory @ino, from offset @off on (see tree.h). */
static int query_of(struct dfs_tree *t, uint64_t ino, uint64_t off,
		    char project[DFS_PROJECT_MAX + 1], struct dfs_query *q,
		    bool *has_before, uint8_t before[16])
{
	struct dfs_record r;
	int status, rc;

	rc = dfs_tree_query_filter(t, ino, project, &status);
	if (rc)
		return rc;
	dfs_query_init(q);
	q->project = project[0] ? project : NULL;
	q->has_status = status >= 0;
	q->status =
		q->has_status ? (enum dfs_status)status : DFS_STATUS_PENDING;
	*has_before = false;
	if (off >= DFS_TREE_OFF_TIME) {
		q->until_ms = (int64_t)(off - DFS_TREE_OFF_TIME);
		return 0;
	}
	if (off < OFF_CURSOR)
		return 0;
	/* After the entry of seq off - OFF_CURSOR: its ms, then below it. */
	rc = dfs_catalog_get_seq(dfs_store_catalog(t->st), off - OFF_CURSOR,
				 &r);
	if (rc)
		return rc;
	q->until_ms = r.started_ms;
	memcpy(before, r.id, 16);
	*has_before = true;
	return 0;
}

static int count_stop(void *arg, const struct dfs_record *r)
{
	(void)arg;
	(void)r;
	return 1;
}

int dfs_tree_query_getattr(struct dfs_tree *t, uint64_t ino, struct stat *s)
{
	char project[DFS_PROJECT_MAX + 1];
	struct dfs_query q;
	uint64_t total = 0;
	uint8_t before[16];
	bool has_before;
	int rc;

	rc = query_of(t, ino, 0, project, &q, &has_before, before);
	if (rc)
		return rc;
	/* Counting stops at the first record: O(1) without a time range. */
	q.limit = 1;
	rc = dfs_catalog_query(dfs_store_catalog(t->st), &q, count_stop, NULL,
			       &total);
	if (rc < 0)
		return rc;
	memset(s, 0, sizeof(*s));
	s->st_ino = ino;
	s->st_mode = S_IFDIR | 0555;
	s->st_nlink = 2;
	s->st_uid = t->uid;
	s->st_gid = t->gid;
	s->st_blksize = 1 << 20;
	s->st_atim = s->st_mtim = s->st_ctim = t->born;
	/* The number of deployments it lists, like a query's total. */
	s->st_size = (off_t)total;
	return 0;
}

/*
 * newest/<name>: "<project>", "<project>:<status>", ":<status>" or
 * ":all". Errors: -ENOENT (no such project, or not such a name).
 */
int dfs_tree_query_lookup(struct dfs_tree *t, const char *name, struct stat *s)
{
	char project[DFS_PROJECT_MAX + 1];
	const char *colon = strchr(name, ':');
	size_t n = colon ? (size_t)(colon - name) : strlen(name);
	enum dfs_status status;
	struct dfs_project p;
	unsigned kind = 0;
	uint64_t pseq = 0;
	int rc;

	if (n > DFS_PROJECT_MAX)
		return -ENOENT;
	memcpy(project, name, n);
	project[n] = '\0';
	if (colon && strcmp(colon + 1, "all") == 0 && n == 0)
		kind = 0;
	else if (colon && dfs_status_parse(colon + 1, &status) == 0)
		kind = 1 + (unsigned)status;
	else if (colon || n == 0)
		return -ENOENT;
	if (n > 0) {
		if (!dfs_name_is_project(project))
			return -ENOENT;
		rc = dfs_catalog_project_get(dfs_store_catalog(t->st), project,
					     &p);
		if (rc)
			return rc;
		pseq = p.pseq;
	}
	return dfs_tree_query_getattr(t, mkino(C_QUERY, pseq, kind), s);
}

struct newest {
	dfs_tree_fill_fn fn;
	void *arg;
	bool has_before;
	uint8_t before[16];
};

static int emit_newest(void *arg, const struct dfs_record *r)
{
	struct newest *l = arg;
	char idstr[37];
	struct stat s;

	/* The same millisecond as the resume point: only what is below. */
	if (l->has_before && memcmp(r->id, l->before, 16) >= 0)
		return 0;
	dfs_uuid7_format(r->id, idstr);
	memset(&s, 0, sizeof(s));
	s.st_ino = mkino(C_DEPLOYMENT, r->seq, D_PROJLINK);
	s.st_mode = S_IFLNK;
	return l->fn(l->arg, idstr, &s, OFF_CURSOR + r->seq) ? 1 : 0;
}

int dfs_tree_query_readdir(struct dfs_tree *t, uint64_t ino, uint64_t off,
			   dfs_tree_fill_fn fn, void *arg)
{
	char project[DFS_PROJECT_MAX + 1];
	struct newest l = {fn, arg, false, {0}};
	struct dfs_query q;
	int rc;

	rc = query_of(t, ino, off, project, &q, &l.has_before, l.before);
	if (rc == -ENOENT)
		return 0; /* the resume point was removed: the listing ends */
	if (rc)
		return rc;
	if (q.until_ms != DFS_TIME_NONE && q.until_ms < 0)
		return 0;
	rc = dfs_catalog_query(dfs_store_catalog(t->st), &q, emit_newest, &l,
			       NULL);
	return rc > 0 ? 0 : rc;
}

/* ---- the pinned flag ------------------------------------------------- */

static int deployment_of(struct dfs_tree *t, uint64_t ino, struct dfs_record *r)
{
	if (ino_class(ino) != C_DEPLOYMENT || ino_kind(ino) != D_DIR ||
	    dfs_tree_type(ino) != DFS_NODE_DIR)
		return -ENODATA;
	return dfs_catalog_get_seq(dfs_store_catalog(t->st), ino_num(ino), r);
}

int dfs_tree_pinned(struct dfs_tree *t, uint64_t ino, bool *on)
{
	struct dfs_record r;
	int rc = deployment_of(t, ino, &r);

	if (!rc)
		*on = r.pinned;
	return rc;
}

int dfs_tree_set_pinned(struct dfs_tree *t, uint64_t ino, bool on,
			const struct dfs_caller *caller)
{
	struct dfs_project p;
	struct dfs_record r;
	struct dfs_who who;
	int rc;

	rc = deployment_of(t, ino, &r);
	if (rc == -ENODATA)
		return -ENOTSUP;
	if (!rc)
		rc = dfs_catalog_project_get(dfs_store_catalog(t->st),
					     r.project, &p);
	if (rc)
		return rc;
	if (!dfs_project_may(&p, caller, DFS_MAY_WRITE))
		return -EACCES;
	dfs_who_fill(&who, caller->uid, caller->gid, caller->pid);
	return dfs_catalog_set_pinned(dfs_store_catalog(t->st), r.id, on, &who);
}
