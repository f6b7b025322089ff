/*
 * catalog — see catalog.h: the checks every backend would make alike,
 * then a call through the backend's table (catalog_backend.h).
 */
#include "catalog_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"

void dfs_catalog_close(struct dfs_catalog *cat)
{
	if (cat)
		cat->ops->close(cat);
}

const char *dfs_catalog_node(const struct dfs_catalog *cat)
{
	return cat->node;
}

bool dfs_catalog_shared(const struct dfs_catalog *cat)
{
	return cat->ops->shared;
}

int dfs_catalog_recover(struct dfs_catalog *cat, const struct dfs_who *actor,
			unsigned *n)
{
	return cat->ops->recover(cat, actor, n);
}

int dfs_catalog_trim(struct dfs_catalog *cat, uint64_t limit, bool *trimmed)
{
	*trimmed = false;
	return cat->ops->trim ? cat->ops->trim(cat, limit, trimmed) : 0;
}

int dfs_catalog_create(struct dfs_catalog *cat, const char *project,
		       const struct dfs_who *who,
		       const struct dfs_project_attr *attr,
		       struct dfs_record *rec)
{
	if (!dfs_name_is_project(project))
		return -EINVAL;
	return cat->ops->create(cat, project, who, attr, rec);
}

int dfs_catalog_update(struct dfs_catalog *cat, const struct dfs_record *rec,
		       const struct dfs_project_attr *attr,
		       const struct dfs_who *actor)
{
	return cat->ops->update(cat, rec, attr, actor);
}

int dfs_catalog_drop_payload(struct dfs_catalog *cat, const uint8_t id[16],
			     enum dfs_drop_why why, const struct dfs_who *actor,
			     struct dfs_record *rec, bool *last_ref)
{
	return cat->ops->drop_payload(cat, id, why, actor, rec, last_ref);
}

int dfs_catalog_set_pinned(struct dfs_catalog *cat, const uint8_t id[16],
			   bool on, const struct dfs_who *actor)
{
	return cat->ops->set_pinned(cat, id, on, actor);
}

int dfs_catalog_note(struct dfs_catalog *cat, const struct dfs_record *rec,
		     const char *action, const struct dfs_who *actor)
{
	if (strlen(action) >= sizeof(((struct dfs_event *)0)->action))
		return -EINVAL;
	return cat->ops->note(cat, rec, action, actor);
}

int dfs_catalog_get(struct dfs_catalog *cat, const uint8_t id[16],
		    struct dfs_record *rec)
{
	return cat->ops->get(cat, id, rec);
}

int dfs_catalog_get_seq(struct dfs_catalog *cat, uint64_t seq,
			struct dfs_record *rec)
{
	return cat->ops->get_seq(cat, seq, rec);
}

int dfs_catalog_find_version(struct dfs_catalog *cat, const char *project,
			     uint64_t version, uint8_t id[16], uint64_t *seq)
{
	if (!dfs_name_is_project(project) || version == 0)
		return -EINVAL;
	return cat->ops->find_version(cat, project, version, id, seq);
}

int dfs_catalog_find_prefix(struct dfs_catalog *cat, const uint8_t lo[16],
			    unsigned nibbles, uint8_t id[16])
{
	if (nibbles < 4 || nibbles > 32)
		return -EINVAL;
	return cat->ops->find_prefix(cat, lo, nibbles, id);
}

int dfs_catalog_latest(struct dfs_catalog *cat, const char *project,
		       uint8_t id[16])
{
	if (!dfs_name_is_project(project))
		return -ENOENT;
	return cat->ops->latest(cat, project, id);
}

int dfs_catalog_blob_refs(struct dfs_catalog *cat, const uint8_t hash[32],
			  uint64_t *refs)
{
	return cat->ops->blob_refs(cat, hash, refs);
}

int dfs_catalog_project_get(struct dfs_catalog *cat, const char *name,
			    struct dfs_project *p)
{
	if (!dfs_name_is_project(name))
		return -ENOENT;
	return cat->ops->project_get(cat, name, p);
}

int dfs_catalog_project_get_seq(struct dfs_catalog *cat, uint64_t pseq,
				struct dfs_project *p)
{
	return cat->ops->project_get_seq(cat, pseq, p);
}

int dfs_catalog_project_count(struct dfs_catalog *cat, const char *name,
			      struct dfs_project_counts *out)
{
	if (!dfs_name_is_project(name))
		return -ENOENT;
	return cat->ops->project_count(cat, name, out);
}

int dfs_catalog_project_set_attr(struct dfs_catalog *cat, const char *name,
				 const struct dfs_project_attr *attr)
{
	if (!dfs_name_is_project(name))
		return -ENOENT;
	return cat->ops->project_set_attr(cat, name, attr);
}

int dfs_catalog_project_hide(struct dfs_catalog *cat, const char *name)
{
	if (!dfs_name_is_project(name))
		return -ENOENT;
	return cat->ops->project_hide(cat, name);
}

int dfs_removal_delete(struct dfs_removal *rm,
		       int (*del)(void *ctx, const uint8_t id[16],
				  struct dfs_record *old, bool *last_ref),
		       void *ctx)
{
	struct dfs_record old;
	bool last;
	int rc = 0;

	for (unsigned i = 0; !rc && i < rm->n; i++) {
		rc = del(ctx, rm->ids[i], &old, &last);
		rm->unref[i] = !rc && last;
		if (rm->unref[i]) {
			memcpy(rm->blobs[i], old.payload_hash, 32);
			rm->sizes[i] = old.payload_size;
		}
	}
	rm->done = !rc && rm->n < DFS_REMOVE_BATCH;
	return rc;
}

int dfs_catalog_project_remove(struct dfs_catalog *cat, const char *name,
			       bool force, const struct dfs_who *actor,
			       dfs_removed_fn fn, void *arg, uint64_t *removed)
{
	struct dfs_removal *rm;
	int rc;

	*removed = 0;
	if (!dfs_name_is_project(name))
		return -ENOENT;
	rm = calloc(1, sizeof(*rm));
	if (!rm)
		return -ENOMEM;
	rm->name = name;
	rm->force = force;
	rm->actor = actor;
	do {
		rc = cat->ops->project_remove_batch(cat, rm);
		if (rc)
			break;
		/* Committed: the caller's files. */
		for (unsigned i = 0; i < rm->n; i++)
			fn(arg, rm->ids[i], rm->unref[i] ? rm->blobs[i] : NULL,
			   rm->sizes[i]);
		rm->removed += rm->n;
	} while (!rm->done);
	*removed = rm->removed;
	free(rm);
	return rc;
}

int dfs_catalog_scan(struct dfs_catalog *cat, enum dfs_scan scope,
		     const char *key, uint64_t after, dfs_scan_fn fn, void *arg)
{
	enum dfs_status status;

	if (scope == DFS_SCAN_STATUS && dfs_status_parse(key, &status) != 0)
		return -EINVAL;
	if ((scope == DFS_SCAN_PROJECT || scope == DFS_SCAN_HELD) &&
	    !dfs_name_is_project(key))
		return 0; /* no such project: nothing to walk */
	return cat->ops->scan(cat, scope, key, after, fn, arg);
}

void dfs_query_init(struct dfs_query *q)
{
	memset(q, 0, sizeof(*q));
	q->since_ms = DFS_TIME_NONE;
	q->until_ms = DFS_TIME_NONE;
}

int dfs_catalog_query(struct dfs_catalog *cat, const struct dfs_query *q,
		      int (*fn)(void *arg, const struct dfs_record *rec),
		      void *arg, uint64_t *total)
{
	if (q->project && !dfs_name_is_project(q->project))
		return -EINVAL;
	return cat->ops->query(cat, q, fn, arg, total);
}

int dfs_catalog_audit_size(struct dfs_catalog *cat, uint64_t *size)
{
	return cat->ops->audit_size(cat, size);
}

int dfs_catalog_audit_read(struct dfs_catalog *cat, uint64_t off, void *buf,
			   size_t n, size_t *got)
{
	return cat->ops->audit_read(cat, off, buf, n, got);
}

int dfs_catalog_audit_scan(struct dfs_catalog *cat, uint64_t from,
			   int (*fn)(void *arg, const struct dfs_event *e),
			   void *arg)
{
	return cat->ops->audit_scan(cat, from, fn, arg);
}

int dfs_catalog_policy_get(struct dfs_catalog *cat, const char *project,
			   struct dfs_retention *pol, bool *set)
{
	if (project && !dfs_name_is_project(project))
		return -EINVAL;
	return cat->ops->policy_get(cat, project, pol, set);
}

int dfs_catalog_policy_set(struct dfs_catalog *cat, const char *project,
			   const struct dfs_retention *pol)
{
	if (project && !dfs_name_is_project(project))
		return -EINVAL;
	return cat->ops->policy_set(cat, project, pol);
}

int dfs_catalog_setting_get(struct dfs_catalog *cat, const char *key,
			    char **val)
{
	return cat->ops->setting_get(cat, key, val);
}

int dfs_catalog_setting_set(struct dfs_catalog *cat, const char *key,
			    const char *val)
{
	return cat->ops->setting_set(cat, key, val);
}

int dfs_catalog_batch_begin(struct dfs_catalog *cat, struct dfs_batch **out)
{
	return cat->ops->batch_begin(cat, out);
}

int dfs_batch_add(struct dfs_batch *b, const struct dfs_record *tmpl,
		  int64_t at_ms, struct dfs_record *out)
{
	const struct dfs_catalog_ops *ops = b->cat->ops;
	struct dfs_project_attr attr = {tmpl->who.uid, tmpl->who.gid, 0644};
	struct dfs_record rec, fin;
	int rc;

	if (!dfs_name_is_project(tmpl->project))
		return -EINVAL;
	dfs_record_init(&rec);
	rc = ops->batch_create(b, tmpl->project, &tmpl->who, &attr, at_ms,
			       &rec);
	if (rc || tmpl->status == DFS_STATUS_PENDING)
		goto out;
	/* Settle it as the template says, keeping what create assigned. */
	dfs_record_settle_as(&fin, tmpl, &rec);
	rc = ops->batch_update(b, &fin);
	rec = fin;
out:
	if (!rc && out)
		*out = rec;
	return rc;
}

int dfs_batch_commit(struct dfs_batch *b)
{
	return b->cat->ops->batch_commit(b);
}

void dfs_batch_abort(struct dfs_batch *b)
{
	if (b)
		b->cat->ops->batch_abort(b);
}
