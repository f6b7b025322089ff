/*
 * maintutil — what the maintenance tests share (retention, verify, gc,
 * payload reads, rollback): real deploys through deploy.h, blob files
 * found and damaged on disk, and audit events counted. Each helper fails
 * the running test on an unexpected error, except where it returns the
 * result it exists to observe.
 */
#ifndef DFS_MAINTUTIL_H
#define DFS_MAINTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "testutil.h"

/*
 * Deploy @n bytes of @buf to @project through dfs_deploy_begin, write and
 * commit, as tu_who() with mode 0644. Returns the commit's result; @rec
 * (may be NULL) is the record as stored afterwards.
 */
int tu_deploy_buf(struct tu_fix *fix, const char *project, const void *buf,
		  size_t n, struct dfs_record *rec);
/* A tar.gz of 2000 bytes of tu_fill(@seed): must succeed. */
void tu_deploy(struct tu_fix *fix, const char *project, uint32_t seed,
	       struct dfs_record *rec);
/* A plain tar of exactly @size bytes (tu_tar): must succeed. */
void tu_deploy_tar(struct tu_fix *fix, const char *project, size_t size,
		   uint32_t seed, struct dfs_record *rec);
/* Text, not an archive: must fail (-EBADMSG) keeping its bytes. */
void tu_deploy_text(struct tu_fix *fix, const char *project,
		    struct dfs_record *rec);

/* The record @id as stored now. */
void tu_get(struct tu_fix *fix, const uint8_t id[16], struct dfs_record *rec);
/* The project's current is @rec's deployment (NULL: it has none). */
void tu_assert_current(struct tu_fix *fix, const char *project,
		       const struct dfs_record *rec);
/* The record @rec still holds its payload (payload_blob_present). */
bool tu_holds(struct tu_fix *fix, const struct dfs_record *rec);

/* The absolute path of blob @hash's file. */
void tu_blob_path(struct tu_fix *fix, const uint8_t hash[32], char *out);
bool tu_blob_file_exists(struct tu_fix *fix, const uint8_t hash[32]);
/* Invert byte @off of blob @hash's file (made writable for it). */
void tu_blob_flip(struct tu_fix *fix, const uint8_t hash[32], uint64_t off);
/* Cut blob @hash's file to @size bytes. */
void tu_blob_truncate(struct tu_fix *fix, const uint8_t hash[32],
		      uint64_t size);
/* Remove blob @hash's file behind the library's back. */
void tu_blob_unlink(struct tu_fix *fix, const uint8_t hash[32]);

/* Audit events with @action about @id (NULL: any deployment). */
long tu_audit_count(struct tu_fix *fix, const char *action, const uint8_t *id);

/* A fresh id that names no deployment of the store. */
void tu_unknown_id(struct tu_fix *fix, uint8_t id[16]);

#endif
