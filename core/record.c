/* record — see record.h. JSON through jansson, in one place. */
#include "record.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "uuid7.h"

static const char *const status_names[] = {"pending", "success", "failed"};
static const char *const phase_names[] = {"upload", "validate", "hook", "done"};

const char *dfs_status_name(enum dfs_status s)
{
	return (unsigned)s < DFS_STATUS_COUNT ? status_names[s] : "unknown";
}

int dfs_status_parse(const char *s, enum dfs_status *out)
{
	for (int i = 0; i < DFS_STATUS_COUNT; i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum dfs_status)i;
			return 0;
		}
	return -EINVAL;
}

const char *dfs_phase_name(enum dfs_phase p)
{
	return (unsigned)p <= DFS_PHASE_DONE ? phase_names[p] : "unknown";
}

static int phase_parse(const char *s, enum dfs_phase *out)
{
	for (int i = 0; i <= DFS_PHASE_DONE; i++)
		if (strcmp(s, phase_names[i]) == 0) {
			*out = (enum dfs_phase)i;
			return 0;
		}
	return -EINVAL;
}

bool dfs_record_holds_payload(const struct dfs_record *rec)
{
	return rec->has_hash && rec->payload_blob_present;
}

void dfs_record_init(struct dfs_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->started_ms = DFS_TIME_NONE;
	rec->completed_ms = DFS_TIME_NONE;
	rec->source_mtime_ms = DFS_TIME_NONE;
}

static const char *const errcode_names[DFS_ERR_COUNT] = {
	[DFS_ERR_NONE] = "",
	[DFS_ERR_NOT_AN_ARCHIVE] = "not_an_archive",
	[DFS_ERR_TRUNCATED_ARCHIVE] = "truncated_archive",
	[DFS_ERR_CORRUPT_ARCHIVE] = "corrupt_archive",
	[DFS_ERR_UNSAFE_PATH] = "unsafe_path",
	[DFS_ERR_UNSAFE_ENTRY] = "unsafe_entry",
	[DFS_ERR_TOO_LARGE] = "too_large",
	[DFS_ERR_NO_SPACE] = "no_space",
	[DFS_ERR_IO_ERROR] = "io_error",
	[DFS_ERR_NO_MEMORY] = "no_memory",
	[DFS_ERR_WRITE_ERROR] = "write_error",
	[DFS_ERR_HOOK_FAILED] = "hook_failed",
	[DFS_ERR_HOOK_TIMEOUT] = "hook_timeout",
	[DFS_ERR_INTERRUPTED] = "interrupted",
	[DFS_ERR_ABORTED] = "aborted",
};

const char *dfs_errcode_name(enum dfs_errcode code)
{
	return (unsigned)code < DFS_ERR_COUNT ? errcode_names[code] : "?";
}

int dfs_errcode_parse(const char *s, enum dfs_errcode *out)
{
	for (unsigned i = 0; i < DFS_ERR_COUNT; i++)
		if (strcmp(s, errcode_names[i]) == 0) {
			*out = (enum dfs_errcode)i;
			return 0;
		}
	return -EINVAL;
}

static void set_error_v(struct dfs_record *rec, enum dfs_errcode code,
			enum dfs_phase phase, const char *fmt, va_list ap)
{
	snprintf(rec->error.code, sizeof(rec->error.code), "%s",
		 dfs_errcode_name(code));
	rec->error.phase = phase;
	vsnprintf(rec->error.message, sizeof(rec->error.message), fmt, ap);
}

void dfs_record_set_error(struct dfs_record *rec, enum dfs_errcode code,
			  enum dfs_phase phase, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error_v(rec, code, phase, fmt, ap);
	va_end(ap);
}

static void leave_pending(struct dfs_record *rec, enum dfs_status status)
{
	rec->status = status;
	rec->phase = DFS_PHASE_DONE;
	rec->completed_ms = dfs_time_now_ms();
}

void dfs_record_succeed(struct dfs_record *rec)
{
	leave_pending(rec, DFS_STATUS_SUCCESS);
}

void dfs_record_settle_as(struct dfs_record *fin, const struct dfs_record *tmpl,
			  const struct dfs_record *created)
{
	*fin = *tmpl;
	memcpy(fin->id, created->id, 16);
	fin->seq = created->seq;
	fin->version = created->version;
	fin->started_ms = created->started_ms;
	snprintf(fin->origin_node, sizeof(fin->origin_node), "%s",
		 created->origin_node);
	if (fin->completed_ms == DFS_TIME_NONE ||
	    fin->completed_ms < created->started_ms)
		fin->completed_ms = created->started_ms;
	fin->phase = DFS_PHASE_DONE;
}

void dfs_record_fail(struct dfs_record *rec, enum dfs_errcode code,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error_v(rec, code, rec->phase, fmt, ap);
	va_end(ap);
	leave_pending(rec, DFS_STATUS_FAILED);
}

void dfs_record_fail_with(struct dfs_record *rec,
			  const struct dfs_record_error *err)
{
	rec->error = *err;
	leave_pending(rec, DFS_STATUS_FAILED);
}

void dfs_hash_hex(const uint8_t hash[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 15];
	}
	out[64] = '\0';
}

int dfs_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dfs_hash_parse(const char *hex, uint8_t out[32])
{
	uint8_t h[32];

	if (strlen(hex) != 64)
		return -EINVAL;
	for (int i = 0; i < 32; i++) {
		int hi = dfs_hex_digit(hex[2 * i]),
		    lo = dfs_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		h[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, h, 32);
	return 0;
}

static json_t *json_time(int64_t ms)
{
	char buf[DFS_ISOTIME_LEN];

	if (ms == DFS_TIME_NONE)
		return json_null();
	return json_string(dfs_time_format(ms, buf));
}

static json_t *json_id(bool has, const uint8_t id[16])
{
	char buf[37];

	if (!has)
		return json_null();
	dfs_uuid7_format(id, buf);
	return json_string(buf);
}

static json_t *json_str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

static json_t *provenance_json(const struct dfs_provenance *p)
{
	json_t *o = json_object();

	if (!o)
		return json_null();
	json_object_set_new(o, "exe", json_str_or_null(p->exe));
	json_object_set_new(o, "ssh_client", json_str_or_null(p->ssh_client));
	json_object_set_new(o, "revision", json_str_or_null(p->revision));
	json_object_set_new(o, "ref", json_str_or_null(p->ref));
	json_object_set_new(o, "ci_url", json_str_or_null(p->ci_url));
	json_object_set_new(o, "note", json_str_or_null(p->note));
	return o;
}

/* The record as a JSON object, in the contract's field order. */
static json_t *record_json(const struct dfs_record *rec, bool internal)
{
	char hex[65];
	json_t *o = json_object(), *err;

	if (!o)
		return NULL;
	json_object_set_new(o, "deployment_id", json_id(true, rec->id));
	json_object_set_new(o, "project", json_string(rec->project));
	json_object_set_new(o, "status",
			    json_string(dfs_status_name(rec->status)));
	json_object_set_new(o, "phase",
			    json_string(dfs_phase_name(rec->phase)));
	json_object_set_new(o, "started_at", json_time(rec->started_ms));
	json_object_set_new(o, "completed_at", json_time(rec->completed_ms));
	json_object_set_new(o, "user", json_string(rec->who.user));
	json_object_set_new(o, "uid", json_integer(rec->who.uid));
	json_object_set_new(o, "gid", json_integer(rec->who.gid));
	json_object_set_new(o, "pid", json_integer(rec->who.pid));
	json_object_set_new(o, "command", json_string(rec->who.command));
	json_object_set_new(o, "origin_node", json_string(rec->origin_node));
	json_object_set_new(o, "bytes_received",
			    json_integer((json_int_t)rec->bytes_received));
	if (rec->has_hash) {
		dfs_hash_hex(rec->payload_hash, hex);
		json_object_set_new(o, "payload_hash", json_string(hex));
		json_object_set_new(
			o, "payload_size",
			json_integer((json_int_t)rec->payload_size));
	} else {
		json_object_set_new(o, "payload_hash", json_null());
		json_object_set_new(o, "payload_size", json_null());
	}
	json_object_set_new(o, "payload_format",
			    json_str_or_null(rec->payload_format));
	json_object_set_new(o, "entries",
			    rec->checked
				    ? json_integer((json_int_t)rec->entries)
				    : json_null());
	json_object_set_new(
		o, "unpacked_size",
		rec->checked ? json_integer((json_int_t)rec->unpacked_size)
			     : json_null());
	json_object_set_new(o, "package_identifier",
			    json_str_or_null(rec->package_identifier));
	json_object_set_new(o, "payload_blob_present",
			    json_boolean(rec->payload_blob_present));
	json_object_set_new(o, "source_mtime", json_time(rec->source_mtime_ms));
	if (rec->error.code[0]) {
		err = json_pack("{s:s, s:s, s:s}", "code", rec->error.code,
				"message", rec->error.message, "phase",
				dfs_phase_name(rec->error.phase));
		json_object_set_new(o, "error", err ? err : json_null());
	} else {
		json_object_set_new(o, "error", json_null());
	}
	json_object_set_new(o, "rollback_of",
			    json_id(rec->has_rollback, rec->rollback_of));
	json_object_set_new(o, "pinned", json_boolean(rec->pinned));
	json_object_set_new(o, "version",
			    rec->version
				    ? json_integer((json_int_t)rec->version)
				    : json_null());
	json_object_set_new(o, "provenance", provenance_json(&rec->who.prov));
	if (internal) {
		json_object_set_new(o, "seq",
				    json_integer((json_int_t)rec->seq));
		json_object_set_new(o, "source_mtime_ns",
				    json_integer(rec->source_mtime_ns));
	}
	return o;
}

static int dump(json_t *o, size_t flags, bool newline, char **out, size_t *len)
{
	char *s;
	size_t n;

	if (!o)
		return -ENOMEM;
	s = json_dumps(o, flags);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (newline) {
		char *t = realloc(s, n + 2);

		if (!t) {
			free(s);
			return -ENOMEM;
		}
		s = t;
		s[n++] = '\n';
		s[n] = '\0';
	}
	*out = s;
	*len = n;
	return 0;
}

int dfs_record_encode(const struct dfs_record *rec, char **out, size_t *len)
{
	return dump(record_json(rec, true), JSON_COMPACT | JSON_PRESERVE_ORDER,
		    false, out, len);
}

int dfs_record_render(const struct dfs_record *rec, char **out, size_t *len)
{
	return dump(record_json(rec, false),
		    JSON_INDENT(2) | JSON_PRESERVE_ORDER, true, out, len);
}

int dfs_record_render_fleet(const struct dfs_record *rec,
			    const struct dfs_record_fleet *fleet, char **out,
			    size_t *len)
{
	json_t *o = record_json(rec, false);

	if (o)
		json_object_set_new(
			o, "deliveries",
			json_pack("{s:I, s:I, s:I}", "success",
				  (json_int_t)fleet->success, "failed",
				  (json_int_t)fleet->failed, "pending",
				  (json_int_t)fleet->pending));
	return dump(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER, true, out, len);
}

int dfs_record_render_compact(const struct dfs_record *rec, char **out,
			      size_t *len)
{
	return dump(record_json(rec, false), JSON_COMPACT | JSON_PRESERVE_ORDER,
		    false, out, len);
}

/* Decoding helpers: each returns false when the field has the wrong type. */
static bool get_str(json_t *o, const char *k, char *out, size_t size)
{
	json_t *v = json_object_get(o, k);

	if (!v || json_is_null(v)) {
		out[0] = '\0';
		return true;
	}
	if (!json_is_string(v))
		return false;
	snprintf(out, size, "%s", json_string_value(v));
	return true;
}

static bool get_int(json_t *o, const char *k, json_int_t *out)
{
	json_t *v = json_object_get(o, k);

	if (!v || json_is_null(v)) {
		*out = 0;
		return true;
	}
	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool get_time(json_t *o, const char *k, int64_t *ms)
{
	char buf[64];

	if (!get_str(o, k, buf, sizeof(buf)))
		return false;
	if (!buf[0]) {
		*ms = DFS_TIME_NONE;
		return true;
	}
	return dfs_time_parse(buf, ms) == 0;
}

static bool get_id(json_t *o, const char *k, bool *has, uint8_t id[16])
{
	char buf[64];

	if (!get_str(o, k, buf, sizeof(buf)))
		return false;
	*has = buf[0] != '\0';
	return !*has || dfs_uuid7_parse(buf, id) == 0;
}

static bool decode_error(json_t *o, struct dfs_record_error *e)
{
	json_t *v = json_object_get(o, "error");
	char phase[16];

	memset(e, 0, sizeof(*e));
	if (!v || json_is_null(v))
		return true;
	if (!json_is_object(v) ||
	    !get_str(v, "code", e->code, sizeof(e->code)) ||
	    !get_str(v, "message", e->message, sizeof(e->message)) ||
	    !get_str(v, "phase", phase, sizeof(phase)))
		return false;
	return phase_parse(phase, &e->phase) == 0;
}

/* Records stored before provenance have none: all null. */
static bool decode_provenance(json_t *o, struct dfs_provenance *p)
{
	json_t *v = json_object_get(o, "provenance");

	memset(p, 0, sizeof(*p));
	if (!v || json_is_null(v))
		return true;
	return json_is_object(v) && get_str(v, "exe", p->exe, sizeof(p->exe)) &&
	       get_str(v, "ssh_client", p->ssh_client, sizeof(p->ssh_client)) &&
	       get_str(v, "revision", p->revision, sizeof(p->revision)) &&
	       get_str(v, "ref", p->ref, sizeof(p->ref)) &&
	       get_str(v, "ci_url", p->ci_url, sizeof(p->ci_url)) &&
	       get_str(v, "note", p->note, sizeof(p->note));
}

static bool decode(json_t *o, struct dfs_record *r)
{
	char buf[80];
	json_int_t uid, gid, pid, got, size, seq, ns, version;
	bool has_id;

	if (!json_is_object(o) || !get_id(o, "deployment_id", &has_id, r->id) ||
	    !has_id || !get_str(o, "project", r->project, sizeof(r->project)))
		return false;
	if (!get_str(o, "status", buf, sizeof(buf)) ||
	    dfs_status_parse(buf, &r->status) != 0)
		return false;
	if (!get_str(o, "phase", buf, sizeof(buf)) ||
	    phase_parse(buf, &r->phase) != 0)
		return false;
	if (!get_time(o, "started_at", &r->started_ms) ||
	    !get_time(o, "completed_at", &r->completed_ms) ||
	    !get_time(o, "source_mtime", &r->source_mtime_ms))
		return false;
	if (!get_str(o, "user", r->who.user, sizeof(r->who.user)) ||
	    !get_int(o, "uid", &uid) || !get_int(o, "gid", &gid) ||
	    !get_int(o, "pid", &pid) ||
	    !get_str(o, "command", r->who.command, sizeof(r->who.command)) ||
	    !get_str(o, "origin_node", r->origin_node, sizeof(r->origin_node)))
		return false;
	r->who.uid = (uint32_t)uid;
	r->who.gid = (uint32_t)gid;
	r->who.pid = (int32_t)pid;
	if (!get_int(o, "bytes_received", &got) ||
	    !get_int(o, "payload_size", &size) || !get_int(o, "seq", &seq) ||
	    !get_int(o, "source_mtime_ns", &ns) ||
	    !get_int(o, "version", &version) || version < 0 ||
	    !decode_provenance(o, &r->who.prov))
		return false;
	r->version = (uint64_t)version;
	r->source_mtime_ns = (int32_t)ns;
	r->bytes_received = (uint64_t)got;
	r->payload_size = (uint64_t)size;
	r->seq = (uint64_t)seq;
	if (!get_str(o, "payload_hash", buf, sizeof(buf)))
		return false;
	r->has_hash = buf[0] != '\0';
	if (r->has_hash && dfs_hash_parse(buf, r->payload_hash) != 0)
		return false;
	if (!get_str(o, "payload_format", r->payload_format,
		     sizeof(r->payload_format)) ||
	    !get_str(o, "package_identifier", r->package_identifier,
		     sizeof(r->package_identifier)))
		return false;
	r->checked = json_is_integer(json_object_get(o, "entries"));
	if (!get_int(o, "entries", &got) || !get_int(o, "unpacked_size", &size))
		return false;
	r->entries = (uint64_t)got;
	r->unpacked_size = (uint64_t)size;
	r->payload_blob_present =
		json_is_true(json_object_get(o, "payload_blob_present"));
	r->pinned = json_is_true(json_object_get(o, "pinned"));
	if (!decode_error(o, &r->error))
		return false;
	return get_id(o, "rollback_of", &r->has_rollback, r->rollback_of);
}

int dfs_record_decode(const void *buf, size_t len, struct dfs_record *rec)
{
	struct dfs_record r;
	json_t *o;
	bool ok;

	o = json_loadb(buf, len, 0, NULL);
	if (!o)
		return -EBADMSG;
	dfs_record_init(&r);
	ok = decode(o, &r);
	json_decref(o);
	if (!ok)
		return -EBADMSG;
	*rec = r;
	return 0;
}
