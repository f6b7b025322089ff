/*
 * store_impl — the store's insides, shared by core/ modules only (never
 * by fs/ or tools/): the directory's file descriptors and the settings
 * the front end chose.
 */
#ifndef DFS_STORE_IMPL_H
#define DFS_STORE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "store.h"

struct dfs_store {
	char *dir;
	int dirfd;
	int tmpfd;
	int blobsfd;
	int lockfd; /* -1 unless exclusive */
	struct dfs_catalog *cat;
	uint64_t max_payload;
	struct dfs_hooks *hooks; /* attached by the daemon, or NULL */
	/* Where settled deployments are reported (report.h), or NULL. */
	void (*report_fn)(void *arg, const char *line);
	void *report_arg;
	uint64_t max_unpacked; /* for the check; 0: its default */
};

#endif
