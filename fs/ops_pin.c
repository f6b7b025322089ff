/*
 * ops_pin — the pinned flag as an extended attribute of a deployment's
 * directory: setfattr -n user.pinned pins, setfattr -x unpins (tree.h).
 * There is no getxattr, on purpose: without it the kernel stops asking
 * for security.capability on every write. record.json shows "pinned".
 */
#include <errno.h>
#include <string.h>

#include "fs.h"

static void set_pinned(fuse_req_t req, fuse_ino_t ino, const char *name,
		       bool on)
{
	struct dfs_caller c;

	if (strcmp(name, DFS_TREE_XATTR_PINNED) != 0) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	dfs_fs_caller_groups(req, &c);
	fuse_reply_err(req,
		       -dfs_tree_set_pinned(dfs_fs_of(req)->tree, ino, on, &c));
}

/* Any value pins; setting it again changes nothing. */
void dfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		     const char *value, size_t size, int flags)
{
	(void)value;
	(void)size;
	(void)flags;
	set_pinned(req, ino, name, true);
}

/* Unpinning what is not pinned changes nothing either. */
void dfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	set_pinned(req, ino, name, false);
}
