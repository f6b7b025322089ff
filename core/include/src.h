/*
 * src — bytes to write: from memory, or from a pipe or file descriptor
 * (FUSE hands write data over as a pipe, which is spliced into the
 * upload's file, never copied through this process). The one source
 * type of every layer's write: dfs_file_write, dfs_dbfile_write,
 * dfs_deploy_write and dfs_upload_write.
 */
#ifndef DFS_SRC_H
#define DFS_SRC_H

#include <stddef.h>

struct dfs_src {
	const void *buf; /* NULL: read the bytes from @fd */
	int fd;
	size_t n;
};

/* A source, as an argument: DFS_SRC_MEM(buf, n), DFS_SRC_FD(fd, n). */
#define DFS_SRC_MEM(b, len) (&(const struct dfs_src){(b), -1, (len)})
#define DFS_SRC_FD(f, len)  (&(const struct dfs_src){NULL, (f), (len)})

#endif
