/*
 * test_record — the record's names, its stored form (encode/decode round
 * trip) and record.json (valid JSON, the design's fields in its order),
 * checked with jansson as an independent parser.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "isotime.h"
#include "record.h"
#include "uuid7.h"

#define T_START 1795731524123LL /* 2026-11-26T22:18:44.123Z */

static void full_record(struct dfs_record *rec)
{
	int i;

	dfs_record_init(rec);
	dfs_uuid7_next(NULL, (uint64_t)T_START, rec->id);
	rec->seq = 77;
	strcpy(rec->project, "myapp");
	rec->status = DFS_STATUS_FAILED;
	rec->phase = DFS_PHASE_DONE;
	rec->started_ms = T_START;
	rec->completed_ms = T_START + 2500;
	rec->who.uid = 1000;
	rec->who.gid = 1001;
	rec->who.pid = 4242;
	strcpy(rec->who.user, "ci");
	strcpy(rec->who.command, "cp \"app.tar.gz\" /mnt/deploy/myapp\n\t\\");
	strcpy(rec->origin_node, "buildhost-1");
	rec->bytes_received = 1048576;
	rec->has_hash = true;
	for (i = 0; i < 32; i++)
		rec->payload_hash[i] = (uint8_t)(i * 7 + 1);
	rec->payload_size = 1048576;
	strcpy(rec->payload_format, "tar+gzip");
	rec->payload_blob_present = true;
	rec->source_mtime_ms = 1795730000000LL;
	rec->source_mtime_ns = 456789;
	dfs_record_set_error(rec, DFS_ERR_NOT_AN_ARCHIVE, DFS_PHASE_VALIDATE,
			     "first bytes %02x %02x", 0x68, 0x65);
	rec->has_rollback = true;
	dfs_uuid7_next(NULL, (uint64_t)T_START - 60000, rec->rollback_of);
	rec->version = 42;
	strcpy(rec->who.prov.exe, "/usr/bin/cp");
	strcpy(rec->who.prov.ssh_client, "192.0.2.7");
	strcpy(rec->who.prov.revision, "abc123");
	strcpy(rec->who.prov.ref, "refs/heads/main");
	strcpy(rec->who.prov.note, "hotfix \"quoted\"");
}

static void assert_records_equal(const struct dfs_record *a,
				 const struct dfs_record *b)
{
	assert_memory_equal(a->id, b->id, 16);
	assert_int_equal(a->seq, b->seq);
	assert_string_equal(a->project, b->project);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->phase, b->phase);
	assert_int_equal(a->started_ms, b->started_ms);
	assert_int_equal(a->completed_ms, b->completed_ms);
	assert_int_equal(a->who.uid, b->who.uid);
	assert_int_equal(a->who.gid, b->who.gid);
	assert_int_equal(a->who.pid, b->who.pid);
	assert_string_equal(a->who.user, b->who.user);
	assert_string_equal(a->who.command, b->who.command);
	assert_string_equal(a->origin_node, b->origin_node);
	assert_int_equal(a->bytes_received, b->bytes_received);
	assert_int_equal(a->has_hash, b->has_hash);
	if (a->has_hash)
		assert_memory_equal(a->payload_hash, b->payload_hash, 32);
	assert_int_equal(a->payload_size, b->payload_size);
	assert_string_equal(a->payload_format, b->payload_format);
	assert_int_equal(a->payload_blob_present, b->payload_blob_present);
	assert_int_equal(a->source_mtime_ms, b->source_mtime_ms);
	if (a->source_mtime_ms != DFS_TIME_NONE)
		assert_int_equal(a->source_mtime_ns, b->source_mtime_ns);
	assert_string_equal(a->error.code, b->error.code);
	assert_string_equal(a->error.message, b->error.message);
	if (a->error.code[0])
		assert_int_equal(a->error.phase, b->error.phase);
	assert_int_equal(a->has_rollback, b->has_rollback);
	if (a->has_rollback)
		assert_memory_equal(a->rollback_of, b->rollback_of, 16);
	assert_int_equal(a->version, b->version);
	assert_memory_equal(&a->who.prov, &b->who.prov, sizeof(a->who.prov));
}

/* The string at @key, or a marker that never equals a real value. */
static const char *jstr(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "<not a string>";
}

static long long jint(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	return json_is_integer(v) ? json_integer_value(v) : -999999;
}

static json_t *render_parse(const struct dfs_record *rec, size_t flags)
{
	json_error_t jerr;
	char *out = NULL;
	size_t len = 0;
	json_t *j;

	assert_int_equal(dfs_record_render(rec, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	assert_true(len > 2);
	assert_int_equal(out[len - 1], '\n');
	j = json_loadb(out, len, flags, &jerr);
	if (!j)
		fail_msg("record.json is not JSON: %s\n%s", jerr.text, out);
	assert_true(json_is_object(j));
	free(out);
	return j;
}

static void test_status_name_all(void **state)
{
	(void)state;
	assert_string_equal(dfs_status_name(DFS_STATUS_PENDING), "pending");
	assert_string_equal(dfs_status_name(DFS_STATUS_SUCCESS), "success");
	assert_string_equal(dfs_status_name(DFS_STATUS_FAILED), "failed");
}

static void test_status_parse_valid(void **state)
{
	enum dfs_status s = DFS_STATUS_PENDING;
	int i;

	(void)state;
	for (i = 0; i < DFS_STATUS_COUNT; i++) {
		assert_int_equal(dfs_status_parse(dfs_status_name(i), &s), 0);
		assert_int_equal(s, i);
	}
}

static void test_status_parse_unknown(void **state)
{
	enum dfs_status s = DFS_STATUS_FAILED;

	(void)state;
	assert_int_equal(dfs_status_parse("bogus", &s), -EINVAL);
	assert_int_equal(dfs_status_parse("", &s), -EINVAL);
	assert_int_equal(dfs_status_parse("Success", &s), -EINVAL);
	assert_int_equal(s, DFS_STATUS_FAILED);
}

static void test_phase_name_all(void **state)
{
	(void)state;
	assert_string_equal(dfs_phase_name(DFS_PHASE_UPLOAD), "upload");
	assert_string_equal(dfs_phase_name(DFS_PHASE_VALIDATE), "validate");
	assert_string_equal(dfs_phase_name(DFS_PHASE_DONE), "done");
}

static void test_record_init_defaults(void **state)
{
	struct dfs_record rec;

	(void)state;
	memset(&rec, 0x5a, sizeof(rec));
	dfs_record_init(&rec);
	assert_int_equal(rec.status, DFS_STATUS_PENDING);
	assert_int_equal(rec.phase, DFS_PHASE_UPLOAD);
	assert_int_equal(rec.started_ms, DFS_TIME_NONE);
	assert_int_equal(rec.completed_ms, DFS_TIME_NONE);
	assert_int_equal(rec.source_mtime_ms, DFS_TIME_NONE);
	assert_false(rec.has_hash);
	assert_false(rec.has_rollback);
	assert_false(rec.payload_blob_present);
	assert_string_equal(rec.project, "");
	assert_string_equal(rec.error.code, "");
	assert_string_equal(rec.payload_format, "");
	assert_int_equal(rec.bytes_received, 0);
}

static void test_record_set_error_fields(void **state)
{
	struct dfs_record rec;

	(void)state;
	dfs_record_init(&rec);
	dfs_record_set_error(&rec, DFS_ERR_NO_SPACE, DFS_PHASE_UPLOAD,
			     "disk full after %d bytes", 4096);
	assert_string_equal(rec.error.code, "no_space");
	assert_string_equal(rec.error.message, "disk full after 4096 bytes");
	assert_int_equal(rec.error.phase, DFS_PHASE_UPLOAD);
}

static void test_record_set_error_long_message(void **state)
{
	char big[2 * DFS_ERRMSG_MAX];
	struct dfs_record rec;

	(void)state;
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dfs_record_init(&rec);
	dfs_record_set_error(&rec, DFS_ERR_IO_ERROR, DFS_PHASE_VALIDATE, "%s",
			     big);
	assert_int_equal(strlen(rec.error.message), DFS_ERRMSG_MAX - 1);
}

static void test_record_encode_decode_roundtrip(void **state)
{
	struct dfs_record rec, back;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	full_record(&rec);
	assert_int_equal(dfs_record_encode(&rec, &buf, &len), 0);
	assert_non_null(buf);
	assert_true(len > 0);
	dfs_record_init(&back);
	assert_int_equal(dfs_record_decode(buf, len, &back), 0);
	assert_records_equal(&rec, &back);
	free(buf);
}

static void test_record_encode_decode_pending(void **state)
{
	struct dfs_record rec, back;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	dfs_record_init(&rec);
	dfs_uuid7_next(NULL, (uint64_t)T_START, rec.id);
	rec.seq = 1;
	strcpy(rec.project, "web");
	rec.started_ms = T_START;
	assert_int_equal(dfs_record_encode(&rec, &buf, &len), 0);
	memset(&back, 0x5a, sizeof(back));
	assert_int_equal(dfs_record_decode(buf, len, &back), 0);
	assert_records_equal(&rec, &back);
	assert_int_equal(back.completed_ms, DFS_TIME_NONE);
	assert_int_equal(back.source_mtime_ms, DFS_TIME_NONE);
	free(buf);
}

static void test_record_decode_garbage(void **state)
{
	static const char *const bad[] = {
		"", "garbage", "[1,2,3]", "null", "\"myapp\"", "{\"deploy",
	};
	struct dfs_record rec, keep;
	size_t i;

	(void)state;
	memset(&keep, 0x5a, sizeof(keep));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(&rec, &keep, sizeof(rec));
		assert_int_equal(
			dfs_record_decode(bad[i], strlen(bad[i]), &rec),
			-EBADMSG);
		assert_memory_equal(&rec, &keep, sizeof(rec));
	}
}

static void test_record_decode_truncated(void **state)
{
	struct dfs_record rec, keep;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	full_record(&rec);
	assert_int_equal(dfs_record_encode(&rec, &buf, &len), 0);
	memset(&keep, 0x5a, sizeof(keep));
	memcpy(&rec, &keep, sizeof(rec));
	assert_int_equal(dfs_record_decode(buf, len / 2, &rec), -EBADMSG);
	assert_memory_equal(&rec, &keep, sizeof(rec));
	free(buf);
}

static void test_record_render_valid_json(void **state)
{
	char id[37], rb[37], hex[65], t[DFS_ISOTIME_LEN];
	struct dfs_record rec;
	json_t *j, *err;

	(void)state;
	full_record(&rec);
	j = render_parse(&rec, 0);
	dfs_uuid7_format(rec.id, id);
	dfs_uuid7_format(rec.rollback_of, rb);
	dfs_hash_hex(rec.payload_hash, hex);

	assert_string_equal(jstr(j, "deployment_id"), id);
	assert_string_equal(jstr(j, "project"), "myapp");
	assert_string_equal(jstr(j, "status"), "failed");
	assert_string_equal(jstr(j, "phase"), "done");
	assert_string_equal(jstr(j, "started_at"),
			    dfs_time_format(rec.started_ms, t));
	assert_string_equal(jstr(j, "started_at"), "2026-11-26T22:18:44.123Z");
	assert_string_equal(jstr(j, "completed_at"),
			    dfs_time_format(rec.completed_ms, t));
	assert_string_equal(jstr(j, "user"), "ci");
	assert_int_equal(jint(j, "uid"), 1000);
	assert_int_equal(jint(j, "gid"), 1001);
	assert_int_equal(jint(j, "pid"), 4242);
	assert_string_equal(jstr(j, "command"), rec.who.command);
	assert_string_equal(jstr(j, "origin_node"), "buildhost-1");
	assert_int_equal(jint(j, "bytes_received"), 1048576);
	assert_string_equal(jstr(j, "payload_hash"), hex);
	assert_int_equal(jint(j, "payload_size"), 1048576);
	assert_string_equal(jstr(j, "payload_format"), "tar+gzip");
	assert_true(json_is_true(json_object_get(j, "payload_blob_present")));
	assert_string_equal(jstr(j, "source_mtime"),
			    dfs_time_format(rec.source_mtime_ms, t));
	assert_string_equal(jstr(j, "rollback_of"), rb);

	err = json_object_get(j, "error");
	assert_true(json_is_object(err));
	assert_string_equal(jstr(err, "code"), "not_an_archive");
	assert_string_equal(jstr(err, "message"), "first bytes 68 65");
	assert_string_equal(jstr(err, "phase"), "validate");
	json_decref(j);
}

static void test_record_render_field_order(void **state)
{
	static const char *const order[] = {
		"deployment_id",
		"project",
		"status",
		"phase",
		"started_at",
		"completed_at",
		"user",
		"uid",
		"gid",
		"pid",
		"command",
		"origin_node",
		"bytes_received",
		"payload_hash",
		"payload_size",
		"payload_format",
		"entries",
		"unpacked_size",
		"package_identifier",
		"payload_blob_present",
		"source_mtime",
		"error",
		"rollback_of",
		"pinned",
		"version",
		"provenance",
	};
	const size_t n = sizeof(order) / sizeof(order[0]);
	struct dfs_record rec;
	const char *key;
	json_t *j, *v;
	size_t i = 0;

	(void)state;
	full_record(&rec);
	j = render_parse(&rec, JSON_PRESERVE_ORDER);
	json_object_foreach(j, key, v)
	{
		(void)v;
		assert_true(i < n);
		assert_string_equal(key, order[i]);
		i++;
	}
	assert_int_equal(i, n);
	json_decref(j);
}

static void test_record_render_compact_one_line(void **state)
{
	struct dfs_record rec;
	const char *k1, *k2;
	json_error_t jerr;
	json_t *a, *b;
	char *out = NULL;
	size_t len = 0;
	void *i1, *i2;

	(void)state;
	full_record(&rec);
	assert_int_equal(dfs_record_render_compact(&rec, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	assert_null(strchr(out, '\n'));
	b = json_loadb(out, len, JSON_PRESERVE_ORDER, &jerr);
	if (!b)
		fail_msg("compact record is not JSON: %s\n%s", jerr.text, out);
	free(out);
	/* The same fields, values and order as record.json. */
	a = render_parse(&rec, JSON_PRESERVE_ORDER);
	assert_true(json_equal(a, b));
	for (i1 = json_object_iter(a), i2 = json_object_iter(b); i1 && i2;
	     i1 = json_object_iter_next(a, i1),
	    i2 = json_object_iter_next(b, i2)) {
		k1 = json_object_iter_key(i1);
		k2 = json_object_iter_key(i2);
		assert_string_equal(k1, k2);
	}
	assert_null(i1);
	assert_null(i2);
	json_decref(a);
	json_decref(b);
}

static void test_record_render_indented(void **state)
{
	struct dfs_record rec;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	full_record(&rec);
	assert_int_equal(dfs_record_render(&rec, &out, &len), 0);
	/* One field a line, at least: people read it with cat. */
	assert_non_null(strstr(out, "{\n"));
	assert_non_null(strstr(out, "\n}\n"));
	assert_null(strstr(out, "\"seq\""));
	free(out);
}

/* record.json in a shared catalog: the same, then the deliveries counts. */
static void test_record_render_fleet_counts_last(void **state)
{
	struct dfs_record_fleet fleet = {2, 1, 3};
	struct dfs_record rec;
	json_error_t jerr;
	json_t *a, *b, *c;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	full_record(&rec);
	assert_int_equal(dfs_record_render_fleet(&rec, &fleet, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	assert_true(out[len - 1] == '\n');
	b = json_loadb(out, len, JSON_PRESERVE_ORDER, &jerr);
	if (!b)
		fail_msg("fleet record is not JSON: %s\n%s", jerr.text, out);
	free(out);
	c = json_pack("{s:I, s:I, s:I}", "success", (json_int_t)2, "failed",
		      (json_int_t)1, "pending", (json_int_t)3);
	assert_true(json_equal(json_object_get(b, "deliveries"), c));
	assert_string_equal(
		json_object_iter_key(json_object_iter_at(b, "deliveries")),
		"deliveries");
	assert_null(
		json_object_iter_next(b, json_object_iter_at(b, "deliveries")));
	json_object_del(b, "deliveries");
	a = render_parse(&rec, JSON_PRESERVE_ORDER);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_record_render_nulls(void **state)
{
	struct dfs_record rec;
	json_t *j;

	(void)state;
	dfs_record_init(&rec);
	dfs_uuid7_next(NULL, (uint64_t)T_START, rec.id);
	strcpy(rec.project, "web");
	rec.started_ms = T_START;
	j = render_parse(&rec, 0);
	assert_string_equal(jstr(j, "status"), "pending");
	assert_string_equal(jstr(j, "phase"), "upload");
	assert_true(json_is_null(json_object_get(j, "completed_at")));
	assert_true(json_is_null(json_object_get(j, "payload_hash")));
	assert_true(json_is_null(json_object_get(j, "payload_format")));
	assert_true(json_is_null(json_object_get(j, "source_mtime")));
	assert_true(json_is_null(json_object_get(j, "error")));
	assert_true(json_is_null(json_object_get(j, "rollback_of")));
	assert_true(json_is_false(json_object_get(j, "payload_blob_present")));
	assert_int_equal(jint(j, "bytes_received"), 0);
	json_decref(j);
}

static void test_record_render_version_provenance(void **state)
{
	struct dfs_record rec;
	json_t *j, *p;

	(void)state;
	full_record(&rec);
	j = render_parse(&rec, 0);
	assert_int_equal(jint(j, "version"), 42);
	p = json_object_get(j, "provenance");
	assert_true(json_is_object(p));
	assert_int_equal(json_object_size(p), 6);
	assert_string_equal(jstr(p, "exe"), "/usr/bin/cp");
	assert_string_equal(jstr(p, "ssh_client"), "192.0.2.7");
	assert_string_equal(jstr(p, "revision"), "abc123");
	assert_string_equal(jstr(p, "ref"), "refs/heads/main");
	assert_true(json_is_null(json_object_get(p, "ci_url")));
	assert_string_equal(jstr(p, "note"), "hotfix \"quoted\"");
	json_decref(j);

	/* Nothing known: every provenance field is null, version too. */
	dfs_record_init(&rec);
	dfs_uuid7_next(NULL, (uint64_t)T_START, rec.id);
	strcpy(rec.project, "web");
	j = render_parse(&rec, 0);
	assert_true(json_is_null(json_object_get(j, "version")));
	p = json_object_get(j, "provenance");
	assert_int_equal(json_object_size(p), 6);
	assert_true(json_is_null(json_object_get(p, "exe")));
	assert_true(json_is_null(json_object_get(p, "ssh_client")));
	assert_true(json_is_null(json_object_get(p, "note")));
	json_decref(j);
}

/* A record stored before versions and provenance still decodes. */
static void test_record_decode_without_version_provenance(void **state)
{
	struct dfs_record rec, back;
	json_t *j;
	char *s, *old;
	size_t len;

	(void)state;
	full_record(&rec);
	assert_int_equal(dfs_record_encode(&rec, &s, &len), 0);
	j = json_loadb(s, len, JSON_PRESERVE_ORDER, NULL);
	assert_non_null(j);
	free(s);
	json_object_del(j, "version");
	json_object_del(j, "provenance");
	old = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	assert_int_equal(dfs_record_decode(old, strlen(old), &back), 0);
	free(old);
	assert_int_equal(back.version, 0);
	assert_string_equal(back.who.prov.exe, "");
	assert_string_equal(back.who.prov.revision, "");
	assert_string_equal(back.who.command, rec.who.command);
}

static void test_record_decode_bad_version(void **state)
{
	static const char *const bad[] = {"-1", "\"7\"", "1.5"};
	struct dfs_record rec, back;
	char *s, *t, *at;
	size_t len;

	(void)state;
	full_record(&rec);
	assert_int_equal(dfs_record_encode(&rec, &s, &len), 0);
	at = strstr(s, "\"version\":42");
	assert_non_null(at);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = malloc(len + 16);
		assert_non_null(t);
		sprintf(t, "%.*s\"version\":%s%s", (int)(at - s), s, bad[i],
			at + strlen("\"version\":42"));
		assert_int_equal(dfs_record_decode(t, strlen(t), &back),
				 -EBADMSG);
		free(t);
	}
	free(s);
}

static void test_hash_hex_known(void **state)
{
	uint8_t h[32];
	char hex[65];
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		h[i] = (uint8_t)(0xa0 + i);
	dfs_hash_hex(h, hex);
	assert_int_equal(strlen(hex), 64);
	assert_memory_equal(hex, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", 32);
	assert_memory_equal(hex + 32, "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf", 32);
}

static void test_hash_parse_roundtrip(void **state)
{
	uint8_t h[32], back[32];
	char hex[65];
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		h[i] = (uint8_t)(i * 37 + 11);
	dfs_hash_hex(h, hex);
	assert_int_equal(dfs_hash_parse(hex, back), 0);
	assert_memory_equal(h, back, 32);
}

static void test_hash_parse_bad(void **state)
{
	uint8_t out[32];
	char hex[80];

	(void)state;
	assert_int_equal(dfs_hash_parse("", out), -EINVAL);
	assert_int_equal(dfs_hash_parse("abcd", out), -EINVAL);
	memset(hex, 'a', 64);
	hex[64] = '\0';
	hex[10] = 'g';
	assert_int_equal(dfs_hash_parse(hex, out), -EINVAL);
	hex[10] = 'a';
	hex[64] = 'a';
	hex[65] = '\0';
	assert_int_equal(dfs_hash_parse(hex, out), -EINVAL);
}

static void test_errcode_names_roundtrip(void **state)
{
	enum dfs_errcode c;

	(void)state;
	assert_string_equal(dfs_errcode_name(DFS_ERR_NONE), "");
	assert_string_equal(dfs_errcode_name(DFS_ERR_NOT_AN_ARCHIVE),
			    "not_an_archive");
	assert_string_equal(dfs_errcode_name(DFS_ERR_ABORTED), "aborted");
	assert_string_equal(dfs_errcode_name((enum dfs_errcode)DFS_ERR_COUNT),
			    "?");
	for (unsigned i = 1; i < DFS_ERR_COUNT; i++) {
		const char *n = dfs_errcode_name((enum dfs_errcode)i);

		assert_true(n[0] != '\0');
		assert_int_equal(dfs_errcode_parse(n, &c), 0);
		assert_int_equal(c, i);
	}
	assert_int_equal(dfs_errcode_parse("no_such_code", &c), -EINVAL);
}

/* Every code is in the README's list of the record's error codes. */
static void test_errcode_names_documented(void **state)
{
	FILE *f = fopen(DFS_README, "r");
	static char text[1 << 20];
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (unsigned i = 1; i < DFS_ERR_COUNT; i++) {
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "`%s`",
			 dfs_errcode_name((enum dfs_errcode)i));
		assert_non_null(strstr(text, quoted));
	}
}

static void test_record_succeed_fail(void **state)
{
	struct dfs_record r;

	(void)state;
	dfs_record_init(&r);
	r.phase = DFS_PHASE_VALIDATE;
	dfs_record_fail(&r, DFS_ERR_IO_ERROR, "disk %d", 3);
	assert_int_equal(r.status, DFS_STATUS_FAILED);
	assert_int_equal(r.phase, DFS_PHASE_DONE);
	assert_int_equal(r.error.phase, DFS_PHASE_VALIDATE);
	assert_string_equal(r.error.code, "io_error");
	assert_string_equal(r.error.message, "disk 3");
	assert_true(r.completed_ms != DFS_TIME_NONE);
	dfs_record_init(&r);
	dfs_record_succeed(&r);
	assert_int_equal(r.status, DFS_STATUS_SUCCESS);
	assert_int_equal(r.phase, DFS_PHASE_DONE);
	assert_string_equal(r.error.code, "");
	assert_true(r.completed_ms != DFS_TIME_NONE);
	r.has_hash = true;
	assert_false(dfs_record_holds_payload(&r));
	r.payload_blob_present = true;
	assert_true(dfs_record_holds_payload(&r));
}

/* A batch's record keeps what create assigned and settles as asked. */
static void test_record_settle_as_keeps_created(void **state)
{
	struct dfs_record tmpl, created, fin;

	(void)state;
	dfs_record_init(&tmpl);
	dfs_record_init(&created);
	snprintf(tmpl.project, sizeof(tmpl.project), "web");
	tmpl.status = DFS_STATUS_SUCCESS;
	tmpl.started_ms = 1000;
	tmpl.completed_ms = 500; /* before the start the catalog gives */
	tmpl.version = 99;
	snprintf(tmpl.origin_node, sizeof(tmpl.origin_node), "other");
	memset(created.id, 0xab, 16);
	created.seq = 7;
	created.version = 3;
	created.started_ms = 2000;
	snprintf(created.origin_node, sizeof(created.origin_node), "here");

	dfs_record_settle_as(&fin, &tmpl, &created);
	assert_memory_equal(fin.id, created.id, 16);
	assert_int_equal(fin.seq, 7);
	assert_int_equal(fin.version, 3);
	assert_int_equal(fin.started_ms, 2000);
	assert_int_equal(fin.completed_ms, 2000);
	assert_string_equal(fin.origin_node, "here");
	assert_string_equal(fin.project, "web");
	assert_int_equal(fin.status, DFS_STATUS_SUCCESS);
	assert_int_equal(fin.phase, DFS_PHASE_DONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errcode_names_roundtrip),
		cmocka_unit_test(test_errcode_names_documented),
		cmocka_unit_test(test_record_succeed_fail),
		cmocka_unit_test(test_status_name_all),
		cmocka_unit_test(test_status_parse_valid),
		cmocka_unit_test(test_status_parse_unknown),
		cmocka_unit_test(test_phase_name_all),
		cmocka_unit_test(test_record_init_defaults),
		cmocka_unit_test(test_record_set_error_fields),
		cmocka_unit_test(test_record_set_error_long_message),
		cmocka_unit_test(test_record_encode_decode_roundtrip),
		cmocka_unit_test(test_record_encode_decode_pending),
		cmocka_unit_test(test_record_decode_garbage),
		cmocka_unit_test(test_record_decode_truncated),
		cmocka_unit_test(test_record_render_valid_json),
		cmocka_unit_test(test_record_render_field_order),
		cmocka_unit_test(test_record_render_compact_one_line),
		cmocka_unit_test(test_record_render_indented),
		cmocka_unit_test(test_record_render_fleet_counts_last),
		cmocka_unit_test(test_record_render_nulls),
		cmocka_unit_test(test_record_render_version_provenance),
		cmocka_unit_test(test_record_decode_without_version_provenance),
		cmocka_unit_test(test_record_decode_bad_version),
		cmocka_unit_test(test_hash_hex_known),
		cmocka_unit_test(test_hash_parse_roundtrip),
		cmocka_unit_test(test_hash_parse_bad),
		cmocka_unit_test(test_record_settle_as_keeps_created),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
