/*
 * fdio — whole writes to a file descriptor, retried across signals and
 * short writes, for the library and the tools alike.
 */
#ifndef DFS_FDIO_H
#define DFS_FDIO_H

#include <stddef.h>

/*
 * dfs_fdio_write_all — write all @n bytes of @buf to @fd at its current
 * position, going on after a short write or EINTR. On error some bytes
 * may have been written. Errors: -errno of write(2) (-EBADF, -ENOSPC,
 * -EPIPE, -EIO, ...).
 */
int dfs_fdio_write_all(int fd, const void *buf, size_t n);

#endif
