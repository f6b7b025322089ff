/*
 * testutil — what every unit test needs: a fresh temp directory (and a
 * store in it) per test, removed afterwards, plus payload makers and
 * independent checks (OpenSSL one-shot SHA-256, directory counts).
 *
 * The fixture lives in cmocka's *state; setup and teardown functions have
 * the cmocka signature so they can be passed to
 * cmocka_unit_test_setup_teardown directly.
 */
#ifndef DFS_TESTUTIL_H
#define DFS_TESTUTIL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "deploy.h"
#include "store.h"
#include "who.h"

struct tu_fix {
	char base[PATH_MAX];  /* the test's own temp directory */
	char dir[PATH_MAX];   /* base/store */
	struct dfs_store *st; /* open on dir, or NULL */
	struct dfs_catalog
		*cat; /* a catalog alone (tu_catalog_setup), or NULL */
	void *extra;  /* per-suite object (a dropbox, ...) */
	/* What the test's deploys and dropboxes run under (all zero). */
	struct dfs_deploy_conf conf;
};

/* A temp directory only (fix->st stays NULL). */
int tu_dir_setup(void **state);
/* A temp directory and a store opened with CREATE | EXCLUSIVE. */
int tu_store_setup(void **state);
/*
 * A temp directory and a catalog alone in fix->cat (no store), of the
 * backend tu_catalog_open chooses: the fixture of the catalog suite.
 */
int tu_catalog_setup(void **state);
/* (Re)open fix->cat: $DEPLOYFS_TEST_CATALOG names the backend (lmdb). */
int tu_catalog_open(struct tu_fix *fix);
/* Close fix->cat and fix->st if open, remove the temp directory, free the fixture. */
int tu_teardown(void **state);

/*
 * What the daemon does at start: dfs_catalog_recover in this process's
 * name, then dfs_store_clear_tmp. Returns the first error.
 */
int tu_recover(struct dfs_store *st, unsigned *n);

/* Open fix->dir again (after the test closed it). Returns dfs_store_open's. */
int tu_reopen(struct tu_fix *fix, unsigned flags, uint64_t map_size);

/* Format a path into @out (PATH_MAX bytes); exits the test on overflow. */
void tu_path(char *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Remove @path and everything below it. Returns 0 or -errno. */
int tu_rmtree(const char *path);

/* Entries in directory @path, without . and ..; -errno on error. */
int tu_count_entries(const char *path);
/* Files under STORE/blobs (all fan-out directories together). */
int tu_count_blobs(const char *storedir);
/* Entries in STORE/tmp. */
int tu_count_tmp(const char *storedir);

/* Deterministic pseudo-random bytes. */
void tu_fill(void *buf, size_t n, uint32_t seed);

/*
 * Bytes that pass the magic sniffing of check.h as gzip but are not a
 * real gzip stream: the full check must reject them. Tests that need a
 * valid payload use tu_targz or tu_tar (archutil.h).
 */
void tu_gzip_magic(void *buf, size_t n, uint32_t seed);

/*
 * A real tar.gz (libarchive) holding one file of @content bytes made by
 * tu_fill(@seed); the same arguments give the same bytes (no time in the
 * gzip header). *@out is malloc'd. Returns 0 or -1.
 */
int tu_targz(size_t content, uint32_t seed, uint8_t **out, size_t *len);

/* SHA-256 by OpenSSL in one shot: the reference the library must match. */
void tu_sha256(const void *buf, size_t n, uint8_t out[32]);

/* Write @n bytes to a new file @path (0644). Returns 0 or -errno. */
int tu_write_file(const char *path, const void *buf, size_t n);

/* The who and attr used by the tests. */
void tu_who(struct dfs_who *who);
void tu_attr(struct dfs_project_attr *attr, uint32_t mode);

/* Number of deployments in @scope (see dfs_catalog_scan), or -errno. */
long tu_count_records(struct dfs_catalog *cat, enum dfs_scan scope,
		      const char *key);

#endif
