/* query — see query.h. */
#include "query.h"

#include <errno.h>
#include <string.h>

#include "uuid7.h"

/* One seek to the first id at or above the prefix, then at most 2 steps. */
static int resolve_prefix(struct dfs_catalog *cat, const char *prefix,
			  uint8_t id[16])
{
	uint8_t lo[16];
	unsigned nib;
	int rc;

	rc = dfs_uuid7_parse_prefix(prefix, lo, &nib);
	return rc ? rc : dfs_catalog_find_prefix(cat, lo, nib, id);
}

int dfs_query_parse_name(const char *s, enum dfs_name_kind *kind,
			 char project[DFS_PROJECT_MAX + 1], uint64_t *version)
{
	const char *at = strrchr(s, '@'), *v;
	size_t n;
	uint64_t num = 0;

	*version = 0;
	if (!at) {
		*kind = DFS_NAME_PREFIX;
		return 0;
	}
	n = (size_t)(at - s);
	if (n == 0 || n > DFS_PROJECT_MAX)
		return -EINVAL;
	memcpy(project, s, n);
	project[n] = '\0';
	if (!dfs_name_is_project(project))
		return -EINVAL;
	v = at + 1;
	if (strcmp(v, "current") == 0) {
		*kind = DFS_NAME_CURRENT;
		return 0;
	}
	if (strcmp(v, "latest") == 0) {
		*kind = DFS_NAME_LATEST;
		return 0;
	}
	if (*v < '1' || *v > '9')
		return -EINVAL;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || num > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		num = num * 10 + (uint64_t)(*v - '0');
	}
	*kind = DFS_NAME_VERSION;
	*version = num;
	return 0;
}

/* The id of <project>@current or @latest. */
static int resolve_link(struct dfs_catalog *cat, const char *project,
			enum dfs_name_kind kind, uint8_t id[16])
{
	struct dfs_project p;
	int rc;

	if (kind == DFS_NAME_LATEST)
		return dfs_catalog_latest(cat, project, id);
	rc = dfs_catalog_project_get(cat, project, &p);
	if (rc)
		return rc;
	if (!p.has_current)
		return -ENOENT;
	memcpy(id, p.current, 16);
	return 0;
}

int dfs_query_before_fn(void *arg, const struct dfs_record *r)
{
	struct dfs_query_before *b = arg;

	if (memcmp(r->id, b->current, 16) >= 0 || !r->payload_blob_present)
		return 0;
	b->found = *r;
	b->has = true;
	return 1;
}

int dfs_query_resolve(struct dfs_catalog *cat, const char *name, uint8_t id[16])
{
	char project[DFS_PROJECT_MAX + 1];
	enum dfs_name_kind kind;
	uint64_t version;
	int rc;

	rc = dfs_query_parse_name(name, &kind, project, &version);
	if (rc)
		return rc;
	switch (kind) {
	case DFS_NAME_VERSION:
		return dfs_catalog_find_version(cat, project, version, id,
						NULL);
	case DFS_NAME_CURRENT:
	case DFS_NAME_LATEST:
		return resolve_link(cat, project, kind, id);
	default:
		return resolve_prefix(cat, name, id);
	}
}
