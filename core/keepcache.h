/*
 * keepcache — how a read-only handle on a payload uses the kernel's page
 * cache of its inode: keep the pages earlier opens cached
 * (FOPEN_KEEP_CACHE), drop them, or bypass the cache (direct I/O). So a
 * payload read twice in a row (rsync reads its basis file once for block
 * sums, then again to rebuild) comes from memory the second time, and a
 * drop box, which serves a new blob after every deploy, never shows one
 * blob's pages to a handle of another.
 *
 * The pages of an inode are only ever filled by handles of one blob: a
 * handle whose blob differs from that of handles still open on the inode
 * bypasses the cache. An open keeps the pages when they are its blob's,
 * its blob is proven now (see verified.h), and no byte in them can have
 * escaped a proof: no handle unproven at its open is still open, and
 * none closed unproven (a partial read, a corrupt file) since the pages
 * were last dropped — so a full read served from them is one the daemon
 * has checked. Otherwise the open drops them.
 *
 * Entries for inodes with no open handle are kept up to
 * DFS_KEEPCACHE_IDLE; a forgotten inode's next open drops its pages.
 * Thread-safe.
 */
#ifndef DFS_KEEPCACHE_H
#define DFS_KEEPCACHE_H

#include <stdbool.h>
#include <stdint.h>

#define DFS_KEEPCACHE_IDLE 4096

enum dfs_cache_use {
	DFS_CACHE_DROP,	  /* the open drops the inode's pages */
	DFS_CACHE_KEEP,	  /* the open keeps them */
	DFS_CACHE_BYPASS, /* direct I/O: pages neither read nor filled */
};

struct dfs_keepcache;

/* An empty ledger, or NULL without memory (then every open drops). */
struct dfs_keepcache *dfs_keepcache_new(void);
void dfs_keepcache_free(struct dfs_keepcache *k);

/*
 * dfs_keepcache_open — a read-only handle on @ino serving blob @hash
 * (@proven: its file is proven now) opens; how it uses the page cache.
 * Every open that returns DROP or KEEP is paired with one
 * dfs_keepcache_close of the same @ino, saying whether the handle was
 * proven at its open (@was_proven, the open's @proven) and is now
 * (@proven). A NULL ledger drops.
 */
enum dfs_cache_use dfs_keepcache_open(struct dfs_keepcache *k, uint64_t ino,
				      const uint8_t hash[32], bool proven);
void dfs_keepcache_close(struct dfs_keepcache *k, uint64_t ino, bool was_proven,
			 bool proven);

#endif
