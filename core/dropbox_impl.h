/*
 * dropbox_impl — the dropbox's insides, shared by the dropbox*.c files
 * only.
 *
 * A node is a file of deploy/ with a draft: a staging file (linked: found
 * by name, shared by its handles, kept by the directory until renamed or
 * unlinked) or one writer's private file on a project. Lock order:
 * dropbox lock, then node lock; never the reverse.
 */
#ifndef DFS_DROPBOX_IMPL_H
#define DFS_DROPBOX_IMPL_H

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "deploy.h"
#include "dropbox.h"
#include "project.h"
#include "reader.h"

struct node {
	pthread_mutex_t
		lock; /* everything below but name, refs, linked, next */
	char name[DFS_DROPBOX_PATH_MAX + 1]; /* under the dropbox lock */
	char project[DFS_PROJECT_MAX +
		     1]; /* "" until a staging file is renamed */
	uint64_t num;
	bool staging;
	bool link;	    /* a symlink to a deployment: renamed = rollback */
	uint8_t target[16]; /* of a link */
	struct dfs_deploy *dep; /* NULL until the first write */
	bool has_seed;		/* start from this payload (no O_TRUNC) */
	uint8_t seed[32];
	uint64_t seed_size;
	struct dfs_project_attr attr;
	bool attr_set;	  /* chmod/chown while open */
	bool new_project; /* its deploy creates the project: attr applies */
	struct timespec atime, mtime, ctime;
	bool mtime_set; /* utimens: the commit records it as source_mtime */
	unsigned refs;	/* under the dropbox lock */
	bool linked;	/* staging file present in the directory */
	struct node *next;
};

/* A staging directory: files in it are nodes named "<name>/<leaf>". */
struct sdir {
	char name[DFS_NAME_MAX + 1];
	uint64_t num;
	struct dfs_project_attr attr;
	struct timespec atime, mtime, ctime;
	struct sdir *next;
};

struct dfs_dropbox {
	struct dfs_store *st;
	/* For every deployment it starts (borrowed; NULL: defaults). */
	const struct dfs_deploy_conf *conf;
	pthread_mutex_t lock; /* nodes, refs, next_num */
	struct node *nodes;
	struct sdir *dirs;
	struct unbacked *unbacked; /* projects whose backup name was removed */
	uint64_t next_num;	   /* of nodes and directories */
	uint32_t owner;		   /* the mount's owner */
	struct dfs_project_attr dir; /* deploy/ itself, under lock */
	struct timespec dir_ctime;
};

struct dfs_dbfile {
	struct dfs_dropbox *db;
	int flags;
	enum dfs_dbkind kind; /* what the handle was opened as */
	uint64_t num;
	struct node *node;	   /* writers and staging files */
	struct dfs_reader *reader; /* the current payload, or NULL */
};

/* "../deployments/<id>": what a link node reads as. */
#define DFS_LINK_LEN (sizeof("../deployments/") - 1 + 36)

/* A new node with one reference (the caller's), not linked. */
struct node *dfs_dropbox_node_new(struct dfs_dropbox *db, const char *name,
				  const char *project, bool staging,
				  const struct dfs_project_attr *attr);

/*
 * May @c read or write (DFS_MAY_*) the files of @project in deploy/? A
 * project that does not exist yet: whoever may write deploy/ may create
 * it. Returns 0 or -EACCES.
 */
int dfs_dropbox_may(struct dfs_dropbox *db, const char *project,
		    const struct dfs_caller *c, unsigned want);

/* deploy/'s attributes from the store (defaults: the mount's owner, 1777). */
int dfs_dropbox_dir_load(struct dfs_dropbox *db);
/* May @c create and remove names in deploy/ (write and search on it)? */
bool dfs_dropbox_dir_may_write(struct dfs_dropbox *db,
			       const struct dfs_caller *c);
/*
 * The sticky bit of deploy/: may @c remove or replace a name owned by
 * @owner? (Root, the name's owner and deploy/'s owner may; anyone when
 * deploy/ is not sticky.)
 */
bool dfs_dropbox_may_delete(struct dfs_dropbox *db, uint32_t owner,
			    const struct dfs_caller *c);
/*
 * chmod, chown and times as on a file with attributes @cur, for @c who
 * may write it or not (@may_write): chmod is the owner's, chown root's,
 * chgrp the owner's to a group of theirs. Returns 0, -EPERM or -EACCES.
 */
int dfs_dropbox_may_change(const struct dfs_project_attr *cur, bool may_write,
			   const struct dfs_setattr *sa,
			   const struct dfs_caller *c);

/* Find a node by linked @name, or by @num when @name is NULL; +1 ref. */
struct node *dfs_dropbox_node_find(struct dfs_dropbox *db, const char *name,
				   uint64_t num);
void dfs_dropbox_node_put(struct dfs_dropbox *db, struct node *n);
/*
 * Call @fn on every node, with a reference held and no lock: @fn takes the
 * node's lock itself. Nodes added meanwhile may be missed.
 */
void dfs_dropbox_for_each(struct dfs_dropbox *db,
			  void (*fn)(struct node *n, void *arg), void *arg);
int dfs_dropbox_draft_start(struct dfs_dropbox *db, struct node *n,
			    const struct dfs_caller *caller);
int dfs_dropbox_draft_commit(struct dfs_dropbox *db, struct node *n);
int dfs_dropbox_current(struct dfs_dropbox *db, const char *name,
			struct dfs_project *p, struct dfs_record *cur,
			bool *has_cur);

/* ---- dropbox_sdir.c --------------------------------------------------- */

/*
 * May @c add an entry @path (@owner NULL) or remove or replace one owned
 * by *@owner, as the kernel judges it on the entry's directory (deploy/
 * or a staging directory: write and search, and its sticky bit)?
 * 0, -EACCES, -EPERM, -ENOENT (the staging directory is gone).
 */
int dfs_dropbox_parent_may(struct dfs_dropbox *db, const char *path,
			   const uint32_t *owner, const struct dfs_caller *c);
/* Is @name a staging directory of deploy/? */
bool dfs_dropbox_is_dir(struct dfs_dropbox *db, const char *name);
/* A staging directory's attributes (DFS_DB_DIR). -ENOENT. */
int dfs_dropbox_dir_stat_num(struct dfs_dropbox *db, uint64_t num,
			     struct dfs_dbstat *out);
int dfs_dropbox_sdir_lookup(struct dfs_dropbox *db, const char *name,
			    struct dfs_dbstat *out);
int dfs_dropbox_sdir_setattr(struct dfs_dropbox *db, uint64_t num,
			     const struct dfs_setattr *sa,
			     const struct dfs_caller *c);
/*
 * Rename staging file @n to staging name @to (in deploy/ or a staging
 * directory), replacing the staging file there. Errors: -EISDIR (@to is
 * a directory), dfs_dropbox_parent_may's.
 */
int dfs_dropbox_move(struct dfs_dropbox *db, struct node *n, const char *to,
		     const struct dfs_caller *c);
/* Is @path a place for a staging file: a staging name, or "<dir>/<leaf>"? */
bool dfs_dropbox_staging_path(const char *path);
void dfs_dropbox_dirs_free(struct dfs_dropbox *db);

/*
 * May @c take project @p's name out of deploy/ (unlink, a backup rename)?
 * Write on deploy/, its sticky bit, and write on @p. 0, -EACCES, -EPERM.
 */
int dfs_dropbox_may_hide(struct dfs_dropbox *db, const struct dfs_project *p,
			 const struct dfs_caller *c);

/* ---- shared helpers --------------------------------------------------- */

static inline struct timespec dfs_dropbox_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* Whether open flags @flags write. */
static inline bool dfs_dropbox_writable(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

/* The project (its pseq) of view @seq (see DFS_DB_VIEW). -ESTALE: gone. */
int dfs_dropbox_view_project(struct dfs_dropbox *db, uint64_t seq,
			     uint64_t *pseq);

/* @n's attributes, as a drop box or staging file shows them. */
void dfs_dropbox_node_stat(struct node *n, struct dfs_dbstat *out);

/* ---- dropbox_backup.c ------------------------------------------------- */

/*
 * rename of project @from onto its backup name @to: hides @from as
 * unlink does, and shows the backup name again if it was removed.
 * Errors: -EPERM (@to is no backup name of @from), dfs_dropbox_unlink's.
 */
int dfs_dropbox_backup_rename(struct dfs_dropbox *db, const char *from,
			      const char *to, const struct dfs_caller *c);
/*
 * unlink of backup name @name: it shows nothing until the project's next
 * backup rename (the daemon's memory). -ENOENT (nothing shown there),
 * -EACCES, -EPERM as for unlink of the project.
 */
int dfs_dropbox_backup_unlink(struct dfs_dropbox *db, const char *name,
			      const struct dfs_caller *c);
void dfs_dropbox_backups_free(struct dfs_dropbox *db);

#endif
