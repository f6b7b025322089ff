/*
 * pg/clock — deployment ids and seqs for every host, from one clock
 * under one lock.
 *
 * The single row of deployfs.clock holds the last id handed out and the
 * next seq. A create locks it (SELECT … FOR UPDATE) for the rest of its
 * transaction, takes the server's time and makes the next id exactly as
 * the LMDB store does (uuid7.h: max(now, last) with the 74-bit tail as a
 * counter), so ids and seqs grow together in commit order across hosts,
 * and a rolled-back create hands out nothing. Seqs are never reused:
 * they are inode numbers.
 */
#ifndef DFS_PG_CLOCK_H
#define DFS_PG_CLOCK_H

#include <stdint.h>

#include "pg.h"

/*
 * dfs_pg_clock_next — the next id and seq, inside the caller's
 * transaction (which holds the clock until it ends). Errors: -EINVAL
 * outside a transaction, -EIO, -errno.
 */
int dfs_pg_clock_next(struct dfs_pg *pg, uint8_t id[16], uint64_t *seq);

/*
 * dfs_pg_clock_next_at — the same at time @at_ms instead of the server's
 * clock (generators, imports): a time before the last id's is moved up
 * to it, so ids still grow. @at_ms < 0: the server's clock.
 */
int dfs_pg_clock_next_at(struct dfs_pg *pg, int64_t at_ms, uint8_t id[16],
			 uint64_t *seq);

#endif
