/*
 * file_impl — struct dfs_file, for the tree that opens files (tree_open.c)
 * and file.c only.
 */
#ifndef DFS_FILE_IMPL_H
#define DFS_FILE_IMPL_H

#include "dropbox.h"
#include "keepcache.h"
#include "file.h"
#include "reader.h"
#include "store.h"

enum dfs_file_kind {
	DFS_FILE_RECORD,  /* buf: a snapshot taken at open */
	DFS_FILE_AUDIT,	  /* read through the catalog at each read */
	DFS_FILE_SIDE,	  /* fd: a log or manifest */
	DFS_FILE_PAYLOAD, /* reader: verified as it is read */
	DFS_FILE_DROPBOX, /* db: deploy/<name> or a staging file */
	DFS_FILE_DLOG,	  /* a delivery's log, read through the catalog */
};

struct dfs_file {
	enum dfs_file_kind kind;
	bool direct_io;
	bool keep_cache;
	struct dfs_keepcache *kc; /* the ledger that counts this handle */
	uint64_t kc_ino;
	bool kc_proven;	      /* proven when it opened */
	struct dfs_store *st; /* audit.log */
	char *buf;
	size_t len;
	int fd;
	struct dfs_reader *reader;
	struct dfs_dbfile *db;
	uint8_t id[16]; /* a delivery log's deployment and node */
	char *node;
};

/* A file of @kind with nothing open yet (fd -1); NULL without memory. */
struct dfs_file *dfs_file_new(enum dfs_file_kind kind);

#endif
