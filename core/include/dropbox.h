/*
 * dropbox — the deploy/ directory: one file per project, plus staging
 * files (any name starting with a dot) that live until renamed onto a
 * project or unlinked. A file behaves as a normal file would for cp, rsync, dd,
 * tee and shell redirections; what a writer leaves on it at close (or at
 * the rename of a staging file) is a deployment.
 *
 *  - deploy/<project> reads as the project's current payload; its size is
 *    that payload's and its mtime the payload's source_mtime.
 *  - The first write (or truncate) through a handle starts a deployment:
 *    a pending record appears. A handle opened without O_TRUNC starts
 *    from a copy of the current payload.
 *  - flush of a project handle commits (idempotent: a second flush returns
 *    the first result); flush of a staging handle commits nothing.
 *  - A staging file keeps its data and attributes across closes; rename
 *    onto a project commits it, unlink abandons it. One named
 *    ".<project>.XXXXXX" (rsync's) belongs to its project from its first
 *    write, with a pending record, and abandoning it fails that record
 *    "aborted"; any other has no record until its rename, and abandoning
 *    it leaves nothing.
 *  - unlink of a project hides it from deploy/ until its next deployment
 *    and changes nothing else; creating its name again starts that
 *    deployment (install, mv, cp --remove-destination redeploy).
 *  - A staging directory (mkdir of a name starting with a dot: rsync's
 *    --delay-updates and --partial-dir) holds staging files, named
 *    "<dir>/<leaf>" in the calls below; each is a staging file that names
 *    no project, whatever its leaf (one moved in keeps its own), until
 *    renamed onto a project. Staging files move between deploy/ and
 *    staging directories by rename. Directories do not nest and are not
 *    renamed; like staging files, they live in the daemon's memory.
 *  - rename of a project onto its backup name ("<project>~",
 *    "<project>.~N~": cp -b, install -b, rsync -b) hides it as unlink
 *    does; the history is the backup (see dfs_dropbox_backup).
 *
 * A write or truncate that would make a payload larger than the store's
 * max_payload fails with -EFBIG, before any deployment starts or payload
 * is copied; a write past it fails the deployment in progress as
 * "too_large" (see deploy.h).
 *
 * Permissions are checked here, as the kernel would check them on files
 * and a directory, so that a mount without default_permissions holds the
 * same: deploy/ has an owner, group and mode of its own (1777 by
 * default, stored); creating a project or any name needs write permission
 * on deploy/, and its sticky bit keeps others' names theirs (unlink and
 * rename over them are the owner's, deploy/'s owner's or root's). Writing
 * a project's files needs write permission on the project, reading needs
 * read permission; chmod is the owner's, chown root's. Failures are
 * -EACCES or -EPERM.
 *
 * All functions are thread-safe. Errors are -errno, as a filesystem would
 * return them.
 */
#ifndef DFS_DROPBOX_H
#define DFS_DROPBOX_H

#include <stdint.h>
#include <time.h>

#include "catalog.h"
#include "deploy.h"
#include "store.h"
#include "who.h"

struct dfs_dropbox;
struct dfs_dbfile;

enum dfs_dbkind {
	DFS_DB_PROJECT, /* num is the project's pseq */
	DFS_DB_NODE,	/* num numbers a staging file, or a new project's file
			   not committed yet, within this dropbox */
	DFS_DB_DIR,	/* a staging directory, numbered with the nodes */
	DFS_DB_VIEW,	/* a project as it showed one deployment: num is
			   that deployment's seq (see dfs_dbstat.view) */
};

/*
 * The longest name the calls below take: a name in deploy/, or
 * "<dir>/<leaf>" in a staging directory (each part at most DFS_NAME_MAX).
 */
#define DFS_DROPBOX_PATH_MAX (2 * DFS_NAME_MAX + 1)

struct dfs_dbstat {
	enum dfs_dbkind kind;
	uint64_t num;
	/*
	 * A project with a current deployment, looked up by name: that
	 * deployment's seq. Each deployed version of deploy/<p> is a file of
	 * its own to the kernel (DFS_DB_VIEW, numbered by it), as a rename
	 * over a file makes a new one: a handle opened before a deploy keeps
	 * its size and its cached pages. 0: none.
	 */
	uint64_t view;
	uint32_t uid;
	uint32_t gid;
	uint32_t mode; /* permission bits (with S_ISVTX for deploy/) */
	bool link;     /* a symlink to a deployment (see dfs_dropbox_symlink) */
	uint64_t size;
	struct timespec atime;
	struct timespec mtime; /* nanoseconds kept: rsync compares them */
	struct timespec ctime;
};

enum dfs_set_mask {
	DFS_SET_MODE = 1 << 0,
	DFS_SET_UID = 1 << 1,
	DFS_SET_GID = 1 << 2,
	DFS_SET_SIZE = 1 << 3,
	DFS_SET_ATIME = 1 << 4,
	DFS_SET_MTIME = 1 << 5,
};

struct dfs_setattr {
	unsigned mask;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint64_t size;
	struct timespec atime;
	struct timespec mtime;
};

/*
 * dfs_dropbox_new — the drop boxes of @st; every deployment they start
 * runs under @conf as it is then (may be NULL: defaults; borrowed, it
 * must outlive the dropbox, and its hooks the deployments that run
 * them). Errors: -ENOMEM, the catalog's.
 */
int dfs_dropbox_new(struct dfs_store *st, const struct dfs_deploy_conf *conf,
		    struct dfs_dropbox **out);
/* Abandons every staging file still present (records fail "aborted"). */
void dfs_dropbox_free(struct dfs_dropbox *db);

/*
 * dfs_dropbox_lookup — attributes of deploy/@name: a project with at least
 * one deployment that is not hidden, or a staging file. A new project's
 * file stays invisible by name until its first deployment is recorded.
 * Errors: -ENOENT (whatever the name).
 */
int dfs_dropbox_lookup(struct dfs_dropbox *db, const char *name,
		       struct dfs_dbstat *out);

/*
 * Attributes of the entry @kind/@num (as lookup reported it, hidden since
 * or not). -ENOENT.
 */
int dfs_dropbox_stat(struct dfs_dropbox *db, enum dfs_dbkind kind, uint64_t num,
		     struct dfs_dbstat *out);

/*
 * dfs_dropbox_create — open deploy/@name with O_CREAT and open(2) @flags
 * (O_ACCMODE, O_EXCL, O_TRUNC count). A new project or staging file takes
 * @caller's uid/gid and @mode. Each create of a project that has no
 * deployment yet, or is hidden, is a writer of its own (concurrent cp of
 * a new project all succeed). Errors: -EINVAL (bad name), -EEXIST
 * (O_EXCL), -EACCES, -errno.
 */
int dfs_dropbox_create(struct dfs_dropbox *db, const char *name, int flags,
		       uint32_t mode, const struct dfs_caller *caller,
		       struct dfs_dbfile **out);

/* Open an existing entry. Errors: -ENOENT, -errno. */
int dfs_dropbox_open(struct dfs_dropbox *db, enum dfs_dbkind kind, uint64_t num,
		     int flags, const struct dfs_caller *caller,
		     struct dfs_dbfile **out);

/* The entry's attributes into @out. Errors: -ENOENT (gone). */
int dfs_dbfile_stat(struct dfs_dbfile *f, struct dfs_dbstat *out);

/* The reader of a handle opened read-only on a project, or NULL. */
struct dfs_reader *dfs_dbfile_reader(struct dfs_dbfile *f);
/*
 * Read what the handle sees: the upload in progress, or the payload it
 * committed or started from. Errors: -EBADF (write-only), -EIO, -errno.
 */
int dfs_dbfile_read(struct dfs_dbfile *f, void *buf, size_t n, uint64_t off,
		    size_t *got);
/*
 * The @n bytes at @off as a span of a committed payload's blob file (see
 * dfs_reader_span): *@fd is the caller's to close. *@fd is -1 when the
 * bytes are not in a blob (a deploy in progress through this handle, no
 * payload yet): read them with dfs_dbfile_read. Errors: as
 * dfs_reader_span.
 */
int dfs_dbfile_span(struct dfs_dbfile *f, size_t n, uint64_t off, int *fd,
		    size_t *len);
/*
 * The first write starts the deployment in @caller's name. Errors:
 * -EBADF (read-only), -EFBIG (past max_payload), -ENOSPC, -EIO, the
 * catalog's, or the result of a deployment that settled already.
 */
int dfs_dbfile_write(struct dfs_dbfile *f, const struct dfs_src *src,
		     uint64_t off, const struct dfs_caller *caller);
/*
 * Commit (project handles) or report a failed write (staging files).
 * Errors: what dfs_deploy_commit returns (-EBADMSG, -EFBIG, -ENOSPC,
 * -EIO, -ECANCELED or -ETIMEDOUT from a waited-for hook).
 */
int dfs_dbfile_flush(struct dfs_dbfile *f);
/* Release: never commits; an uncommitted project handle is abandoned. */
void dfs_dbfile_close(struct dfs_dbfile *f);

/*
 * dfs_dropbox_setattr — chmod, chown, truncate, utimens on @kind/@num,
 * through @f when the request came through an open handle (may be NULL).
 * A truncate with no open handle is a deployment of its own. utimens on a
 * project sets the mtime of its open writers' deployments, or when none
 * is open its current deployment's source_mtime. Fills @out. Errors:
 * -EPERM (chown or chmod by other than the owner or root), -EACCES,
 * -EFBIG (a truncate past max_payload), -ENOENT, the deployment's.
 */
int dfs_dropbox_setattr(struct dfs_dropbox *db, enum dfs_dbkind kind,
			uint64_t num, struct dfs_dbfile *f,
			const struct dfs_setattr *sa,
			const struct dfs_caller *caller,
			struct dfs_dbstat *out);

/*
 * dfs_dropbox_rename — rename staging file @from onto project @to:
 * commits it as a deployment of @to (creating it if new, with @from's
 * owner and mode); a link (see dfs_dropbox_symlink) onto its project:
 * rolls it back. @from is gone on success and stays on failure. A
 * staging file onto another staging name (in deploy/ or a staging
 * directory): moves it, replacing a staging file there, and commits
 * nothing. A project onto its backup name: hides it (dfs_dropbox_unlink).
 * Errors: the commit's or the rollback's, -ENOENT, -EINVAL (@to is no
 * project name, or not the project @from names, or the link's target is
 * not a success), -ENODATA (the target's payload was dropped), -EPERM
 * (@from is a project and @to not its backup name, @from is a staging
 * directory, or the sticky bit), -EISDIR (@to is a staging directory),
 * -EACCES.
 */
int dfs_dropbox_rename(struct dfs_dropbox *db, const char *from, const char *to,
		       const struct dfs_caller *caller);

/*
 * dfs_dropbox_symlink — the rollback gesture: a symlink @name in deploy/
 * to "../deployments/<id>" (or "<id>", or any path ending so). Renaming it
 * onto a project (what `ln -sfn ../deployments/<id> deploy/<project>`
 * does) rolls the project back to that deployment; unlink drops it.
 * Errors: -EINVAL (@target names no deployment id), -ENOENT (no such
 * deployment), -EEXIST (@name is taken).
 */
int dfs_dropbox_symlink(struct dfs_dropbox *db, const char *name,
			const char *target, const struct dfs_caller *caller,
			struct dfs_dbstat *out);

/* A link node's target into @buf. Errors: -ENOENT, -EINVAL (not a link). */
int dfs_dropbox_readlink(struct dfs_dropbox *db, uint64_t num, char *buf,
			 size_t size);

/*
 * dfs_dropbox_unlink — remove a staging file or link, or hide a project
 * or a backup name (see above). Errors: -ENOENT, -EISDIR (a staging
 * directory), -EACCES, -EPERM (sticky bit).
 */
int dfs_dropbox_unlink(struct dfs_dropbox *db, const char *name,
		       const struct dfs_caller *caller);

/* deploy/ itself: owner, group, mode (S_ISVTX included) and ctime. */
void dfs_dropbox_dir_stat(struct dfs_dropbox *db, struct dfs_dbstat *out);

/*
 * dfs_dropbox_dir_setattr — chmod, chown or chgrp deploy/ (its owner's or
 * root's, as on a directory), stored: who may start projects. Times are
 * accepted and not kept. Fills @out. Errors: -EPERM, -EISDIR (a size),
 * -ENOSPC, -errno.
 */
int dfs_dropbox_dir_setattr(struct dfs_dropbox *db,
			    const struct dfs_setattr *sa,
			    const struct dfs_caller *caller,
			    struct dfs_dbstat *out);

/*
 * dfs_dropbox_tick — housekeeping, about once a second: stores the
 * progress (bytes_received) of every deployment being written.
 */
void dfs_dropbox_tick(struct dfs_dropbox *db);

/*
 * dfs_dropbox_scan — call @fn for each staging file, link and staging
 * directory of deploy/ (@dir 0) or each file of staging directory @dir,
 * by its name there, with a num above @after, in num order; stops when
 * @fn returns non-zero (returned). Errors: -ENOENT (no directory @dir).
 */
int dfs_dropbox_scan(struct dfs_dropbox *db, uint64_t dir, uint64_t after,
		     int (*fn)(void *arg, const char *name,
			       enum dfs_dbkind kind, uint64_t num),
		     void *arg);

/* ---- staging directories (dropbox_sdir.c) ----------------------------- */

/*
 * dfs_dropbox_mkdir — a staging directory deploy/@name, owned by @caller
 * with @mode. Errors: -EPERM (@name is no staging name: deploy/ holds
 * files), -EEXIST, -EACCES (write on deploy/), -ENOMEM.
 */
int dfs_dropbox_mkdir(struct dfs_dropbox *db, const char *name, uint32_t mode,
		      const struct dfs_caller *caller, struct dfs_dbstat *out);

/*
 * dfs_dropbox_rmdir — remove staging directory deploy/@name. Errors:
 * -ENOENT, -ENOTDIR (a file), -ENOTEMPTY, -EACCES, -EPERM (sticky bit).
 */
int dfs_dropbox_rmdir(struct dfs_dropbox *db, const char *name,
		      const struct dfs_caller *caller);

/*
 * The name "<dir>/@leaf" of @leaf in staging directory @dir into @buf.
 * Errors: -ENOENT (no such directory), -ENAMETOOLONG, -EINVAL ("." or
 * "..", or a '/').
 */
int dfs_dropbox_dir_path(struct dfs_dropbox *db, uint64_t dir, const char *leaf,
			 char *buf, size_t size);

/* ---- backups (dropbox_backup.c) --------------------------------------- */

/*
 * dfs_dropbox_backup — the deployment deploy/@name shows when @name is a
 * backup name "<project>~" of a project: what the drop box showed before
 * its current content, i.e. the project's current deployment while the
 * drop box is hidden (right after the tool's rename), else the newest
 * success before the current one. Numbered names ("<project>.~N~") show
 * nothing: a tool numbers them from a listing, which never shows them.
 * Errors: -ENOENT, the catalog's.
 */
int dfs_dropbox_backup(struct dfs_dropbox *db, const char *name,
		       uint8_t id[16]);

#endif
