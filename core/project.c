/* project — see project.h. */
#include "project.h"

#include "blobs.h"
#include "log.h"

bool dfs_project_may(const struct dfs_project *p, const struct dfs_caller *c,
		     unsigned want)
{
	unsigned bits;

	if (c->uid == 0)
		return true;
	if (c->uid == p->uid)
		bits = p->mode >> 6;
	else if (dfs_caller_in_group(c, p->gid))
		bits = p->mode >> 3;
	else
		bits = p->mode;
	return (bits & want) == want;
}

struct removal {
	struct dfs_store *st;
	uint64_t freed;
};

static void remove_files(void *arg, const uint8_t id[16], const uint8_t *unref,
			 uint64_t size)
{
	struct removal *rm = arg;

	dfs_log_remove(rm->st, id);
	if (unref && dfs_blobs_remove(dfs_store_blobs(rm->st), unref) == 0)
		rm->freed += size;
}

int dfs_project_remove(struct dfs_store *st, const char *name, bool force,
		       const struct dfs_who *actor, uint64_t *removed,
		       uint64_t *freed)
{
	struct removal rm = {st, 0};
	int rc;

	rc = dfs_catalog_project_remove(dfs_store_catalog(st), name, force,
					actor, remove_files, &rm, removed);
	*freed = rm.freed;
	return rc;
}
