/*
 * store_impl — the store's insides, shared by core/ modules only (never
 * by fs/ or tools/): the directory's file descriptors and its catalog.
 */
#ifndef DFS_STORE_IMPL_H
#define DFS_STORE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "blobs.h"
#include "catalog.h"
#include "store.h"

struct dfs_store {
	char *dir;
	int dirfd;
	int tmpfd;
	int lockfd; /* -1 unless exclusive */
	struct dfs_catalog *cat;
	struct dfs_blobs *blobs;
};

#endif
