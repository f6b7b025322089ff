/*
 * record — one deployment, as stored and as shown in record.json.
 *
 * A record is a plain caller-owned struct of fixed-size fields (no heap),
 * so it can be copied by assignment and needs no release. Status moves
 * only pending -> success | failed; completed_ms is set exactly when the
 * status leaves pending. payload_hash is valid when has_hash is true.
 * version is given once, at creation, and never changes; who.prov is the
 * provenance of the writer (record.json's "provenance").
 */
#ifndef DFS_RECORD_H
#define DFS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name.h"
#include "who.h"

enum dfs_status {
	DFS_STATUS_PENDING = 0,
	DFS_STATUS_SUCCESS = 1,
	DFS_STATUS_FAILED = 2,
};
#define DFS_STATUS_COUNT 3

enum dfs_phase {
	DFS_PHASE_UPLOAD = 0,
	DFS_PHASE_VALIDATE = 1,
	DFS_PHASE_HOOK = 2,
	DFS_PHASE_DONE = 3,
};

#define DFS_HOST_MAX	256
#define DFS_FORMAT_MAX	32
#define DFS_ERRCODE_MAX 32
#define DFS_ERRMSG_MAX	512
#define DFS_PACKAGE_MAX 256

/*
 * The error codes, stable lowercase tokens (dfs_errcode_name), in the
 * order README.md lists them: the archive check's (check.h), the
 * upload's (deploy.h: errno mapped by dfs_deploy_errcode), the hook's
 * (hook.h), recovery's and a writer's that went away.
 */
enum dfs_errcode {
	DFS_ERR_NONE = 0,	   /* "" */
	DFS_ERR_NOT_AN_ARCHIVE,	   /* not tar, plain or compressed */
	DFS_ERR_TRUNCATED_ARCHIVE, /* the data ends before the archive */
	DFS_ERR_CORRUPT_ARCHIVE,   /* anything else wrong in it */
	DFS_ERR_UNSAFE_PATH,	   /* absolute, .., or a link out of it */
	DFS_ERR_UNSAFE_ENTRY,	   /* device, FIFO, socket, setuid/setgid */
	DFS_ERR_TOO_LARGE,	   /* max_unpacked, max_payload, a window */
	DFS_ERR_NO_SPACE,	   /* ENOSPC, EDQUOT, a full catalog */
	DFS_ERR_IO_ERROR,	   /* EIO */
	DFS_ERR_NO_MEMORY,	   /* ENOMEM */
	DFS_ERR_WRITE_ERROR,	   /* any other errno of a write */
	DFS_ERR_HOOK_FAILED,	   /* exit status not 0, or not run */
	DFS_ERR_HOOK_TIMEOUT,	   /* past hook_timeout: killed */
	DFS_ERR_INTERRUPTED,	   /* the daemon stopped mid-deploy */
	DFS_ERR_ABORTED,	   /* the writer went away */
};
#define DFS_ERR_COUNT 15

/* The token of @code ("" for DFS_ERR_NONE, "?" out of range). */
const char *dfs_errcode_name(enum dfs_errcode code);

/* The code named @s into *@out. Returns 0 or -EINVAL (unknown). */
int dfs_errcode_parse(const char *s, enum dfs_errcode *out);

/* code is one of enum dfs_errcode's tokens, "" when there is none. */
struct dfs_record_error {
	char code[DFS_ERRCODE_MAX]; /* "" when there is no error */
	char message[DFS_ERRMSG_MAX];
	enum dfs_phase phase;
};

struct dfs_record {
	uint8_t id[16];
	uint64_t seq; /* store-wide creation number: stable inode numbers */
	char project[DFS_PROJECT_MAX + 1];
	enum dfs_status status;
	enum dfs_phase phase;
	int64_t started_ms;   /* equal to the id's timestamp */
	int64_t completed_ms; /* DFS_TIME_NONE while pending */
	struct dfs_who who;
	char origin_node[DFS_HOST_MAX];
	uint64_t bytes_received;
	bool has_hash;
	uint8_t payload_hash[32];
	uint64_t payload_size;
	char payload_format[DFS_FORMAT_MAX]; /* "" = unknown (null) */
	bool checked;		/* the archive was read to its end */
	uint64_t entries;	/* valid when checked */
	uint64_t unpacked_size; /* sum of the entries' sizes, when checked */
	char package_identifier[DFS_PACKAGE_MAX]; /* "name@version" or "" */
	bool payload_blob_present;
	int64_t source_mtime_ms; /* DFS_TIME_NONE = null */
	int32_t source_mtime_ns; /* nanoseconds within that millisecond */
	struct dfs_record_error error;
	bool has_rollback;
	uint8_t rollback_of[16];
	bool pinned;	  /* retention never drops its payload */
	uint64_t version; /* the project's n-th deployment, from 1; 0 unknown */
};

const char *dfs_status_name(enum dfs_status s);
/* Returns 0 and sets @out, or -EINVAL for an unknown name. */
int dfs_status_parse(const char *s, enum dfs_status *out);
const char *dfs_phase_name(enum dfs_phase p);

/* Zero @rec and set every time to DFS_TIME_NONE. */
void dfs_record_init(struct dfs_record *rec);

/*
 * Whether @rec holds a payload: it has a hash and its blob is present
 * (a success, or a failed record whose bytes were kept). What blob
 * references, the held index and current count.
 */
bool dfs_record_holds_payload(const struct dfs_record *rec);

/* Set the error fields (message formatted like printf). */
void dfs_record_set_error(struct dfs_record *rec, enum dfs_errcode code,
			  enum dfs_phase phase, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The transitions out of pending, the only ones there are (see the
 * invariants above): status success or failed, phase done, completed
 * now. dfs_record_fail sets the error too, its phase the phase @rec was
 * in (message formatted like printf). dfs_record_fail_with takes an
 * error as the check made it.
 */
void dfs_record_succeed(struct dfs_record *rec);
void dfs_record_fail(struct dfs_record *rec, enum dfs_errcode code,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dfs_record_fail_with(struct dfs_record *rec,
			  const struct dfs_record_error *err);

/*
 * dfs_record_settle_as — @fin becomes the settled record a batch (a
 * synthetic or imported history) asks for: @tmpl's fields, with what the
 * catalog assigned at create kept from @created (id, seq, version,
 * started_at, origin_node), completed no earlier than started, phase done.
 */
void dfs_record_settle_as(struct dfs_record *fin, const struct dfs_record *tmpl,
			  const struct dfs_record *created);

/*
 * dfs_record_encode — the stored form (compact JSON, with the internal
 * seq). Returns 0 or -ENOMEM; *@out is malloc'd, the caller frees it.
 */
int dfs_record_encode(const struct dfs_record *rec, char **out, size_t *len);

/*
 * dfs_record_decode — parse the stored form. Returns 0, or -EBADMSG when
 * the bytes are not a record; @rec is untouched on error.
 */
int dfs_record_decode(const void *buf, size_t len, struct dfs_record *rec);

/*
 * dfs_record_render — record.json as users read it: indented JSON with a
 * final newline, the fields of the design contract in their order.
 * Returns 0 or -ENOMEM; *@out is malloc'd, the caller frees it.
 */
int dfs_record_render(const struct dfs_record *rec, char **out, size_t *len);

/* A deployment's deliveries by status, as record.json shows them. */
struct dfs_record_fleet {
	uint64_t success, failed, pending;
};

/*
 * dfs_record_render_fleet — dfs_record_render with a last field
 * "deliveries": {"success": N, "failed": N, "pending": N} from @fleet
 * (in a shared catalog, where followers deliver). Errors: -ENOMEM.
 */
int dfs_record_render_fleet(const struct dfs_record *rec,
			    const struct dfs_record_fleet *fleet, char **out,
			    size_t *len);

/* The same as one compact line of JSON, no newline. Errors: -ENOMEM. */
int dfs_record_render_compact(const struct dfs_record *rec, char **out,
			      size_t *len);

/* The value of hex digit @c, or -1. */
int dfs_hex_digit(char c);

/* Hex of a 32-byte hash into @out (65 bytes with the NUL). */
void dfs_hash_hex(const uint8_t hash[32], char out[65]);
/* Returns 0 or -EINVAL. */
int dfs_hash_parse(const char *hex, uint8_t out[32]);

#endif
