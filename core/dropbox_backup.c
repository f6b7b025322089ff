/*
 * dropbox_backup — what a backup name of a project shows (see
 * dropbox.h). The history keeps every deployment, so a backup is a view:
 * "<project>~" is the deployment the drop box showed before its content
 * now, found from the project's current record back through its
 * versions. A tool that removes the backup name first (rsync -b, when
 * one shows) makes it show nothing until its next backup rename: that
 * is kept in the daemon's memory only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dropbox_impl.h"

/* The newest success of @p before version @below (exclusive). */
static int success_before(struct dfs_catalog *cat, const char *project,
			  uint64_t below, uint8_t id[16])
{
	struct dfs_record r;
	int rc;

	for (uint64_t v = below; v-- > 1;) {
		rc = dfs_catalog_find_version(cat, project, v, r.id, NULL);
		if (rc == -ENOENT)
			continue; /* a number never used */
		if (!rc)
			rc = dfs_catalog_get(cat, r.id, &r);
		if (rc)
			return rc;
		if (r.status == DFS_STATUS_SUCCESS) {
			memcpy(id, r.id, 16);
			return 0;
		}
	}
	return -ENOENT;
}

/* A project whose backup name was removed (unlink), until its next backup. */
struct unbacked {
	struct unbacked *next;
	char project[DFS_PROJECT_MAX + 1];
};

/* Find @project's entry; with @take, unlink it and return it (or NULL). */
static struct unbacked *unbacked_find_locked(struct dfs_dropbox *db,
					     const char *project, bool take)
{
	for (struct unbacked **p = &db->unbacked; *p; p = &(*p)->next)
		if (strcmp((*p)->project, project) == 0) {
			struct unbacked *u = *p;

			if (take)
				*p = u->next;
			return u;
		}
	return NULL;
}

int dfs_dropbox_backup(struct dfs_dropbox *db, const char *name, uint8_t id[16])
{
	struct dfs_catalog *cat = dfs_store_catalog(db->st);
	char project[DFS_PROJECT_MAX + 1];
	struct dfs_record cur;
	struct dfs_project p;
	uint64_t number;
	bool has, gone;
	int rc;

	if (!dfs_name_parse_backup(name, project, &number) || number != 0)
		return -ENOENT;
	pthread_mutex_lock(&db->lock);
	gone = unbacked_find_locked(db, project, false) != NULL;
	pthread_mutex_unlock(&db->lock);
	if (gone)
		return -ENOENT;
	rc = dfs_dropbox_current(db, project, &p, &cur, &has);
	if (rc || !has)
		return rc ? rc : -ENOENT;
	if (p.hidden) {
		/* Right after the tool's rename: what the drop box showed. */
		memcpy(id, cur.id, 16);
		return 0;
	}
	return success_before(cat, project, cur.version, id);
}

int dfs_dropbox_backup_rename(struct dfs_dropbox *db, const char *from,
			      const char *to, const struct dfs_caller *c)
{
	char project[DFS_PROJECT_MAX + 1];
	struct unbacked *u;
	uint64_t number;
	int rc;

	if (!dfs_name_parse_backup(to, project, &number) ||
	    strcmp(project, from) != 0)
		return -EPERM; /* a drop box is not renamed: today's answer */
	rc = dfs_dropbox_unlink(db, from, c);
	if (rc)
		return rc;
	pthread_mutex_lock(&db->lock);
	u = unbacked_find_locked(db, project, true);
	pthread_mutex_unlock(&db->lock);
	free(u);
	return 0;
}

int dfs_dropbox_backup_unlink(struct dfs_dropbox *db, const char *name,
			      const struct dfs_caller *c)
{
	char project[DFS_PROJECT_MAX + 1];
	struct dfs_project p;
	struct unbacked *u;
	uint64_t number;
	uint8_t id[16];
	int rc;

	rc = dfs_dropbox_backup(db, name, id);
	if (!rc)
		rc = dfs_name_parse_backup(name, project, &number) ? 0
								   : -ENOENT;
	if (!rc)
		rc = dfs_catalog_project_get(dfs_store_catalog(db->st), project,
					     &p);
	if (!rc)
		rc = dfs_dropbox_may_hide(db, &p, c);
	if (rc)
		return rc;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	snprintf(u->project, sizeof(u->project), "%s", project);
	pthread_mutex_lock(&db->lock);
	if (!unbacked_find_locked(db, project, false)) {
		u->next = db->unbacked;
		db->unbacked = u;
		u = NULL;
	}
	pthread_mutex_unlock(&db->lock);
	free(u);
	return 0;
}

void dfs_dropbox_backups_free(struct dfs_dropbox *db)
{
	while (db->unbacked) {
		struct unbacked *u = db->unbacked;

		db->unbacked = u->next;
		free(u);
	}
}
