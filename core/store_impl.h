/*
 * store_impl — the store's insides, shared by core/ modules only (never
 * by fs/ or tools/). LMDB handles and errno translation live here.
 */
#ifndef DFS_STORE_IMPL_H
#define DFS_STORE_IMPL_H

#include <lmdb.h>
#include <stdbool.h>

#include "store.h"

struct dfs_store {
	char *dir;
	int dirfd;
	int tmpfd;
	int blobsfd;
	int lockfd; /* -1 unless exclusive */
	MDB_env *env;
	MDB_dbi meta;	     /* "format", counters, "audit_end" */
	MDB_dbi records;     /* id -> record (JSON) */
	MDB_dbi by_seq;	     /* seq (u64 BE) -> id */
	MDB_dbi by_project;  /* project -> id, dupsort */
	MDB_dbi by_status;   /* status name -> id, dupsort */
	MDB_dbi by_pstatus;  /* "project/status" -> id, dupsort */
	MDB_dbi by_held;     /* project -> id of records holding a payload */
	MDB_dbi audit;	     /* byte offset (u64 BE) -> one JSON line */
	MDB_dbi projects;    /* name -> project (JSON) */
	MDB_dbi project_seq; /* pseq (u64 BE) -> name */
	MDB_dbi blobs;	     /* sha256 -> struct blob_ref */
	MDB_dbi by_version;  /* project NUL version (u64 BE) -> id, seq */
	char host[256];
	uint64_t max_payload;
	struct dfs_hooks *hooks; /* attached by the daemon, or NULL */
	/* Where settled deployments are reported (report.h), or NULL. */
	void (*report_fn)(void *arg, const char *line);
	void *report_arg;
	uint64_t max_unpacked; /* for the check; 0: its default */
	void *map;	/* LMDB's map of data.mdb, found in /proc/self/maps */
	size_t map_len; /* 0 when it could not be found */
	struct dfs_verified *verified; /* blobs proven in this process */
};

/* The one translation of LMDB return codes to -errno. */
int dfs_store_lmdb_err(int rc);

/* Begin a transaction; returns 0 or -errno. */
int dfs_store_txn(struct dfs_store *st, bool write, MDB_txn **txn);

/* Commit; returns 0 or -errno (the transaction is gone either way). */
int dfs_store_commit(MDB_txn *txn);

/* Big-endian u64 keys sort numerically. */
void dfs_store_u64_key(uint64_t v, uint8_t out[8]);
uint64_t dfs_store_u64_val(const void *p);

#endif
