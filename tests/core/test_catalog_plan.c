/*
 * test_catalog_plan — what a change of a record or a project implies,
 * as every catalog backend applies it: status moves, blob references,
 * current, the audit event, drops a policy may make, removals (and
 * dfs_removal_delete, the shared part of a removal's batch).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "catalog_backend.h"
#include "catalog_plan.h"
#include "isotime.h"
#include "uuid7.h"

static const uint8_t HASH[32] = {0xab};

/* A pending record of "app", seq 7, version 3, id ending in @last. */
static void pending(struct dfs_record *r, uint8_t last)
{
	dfs_record_init(r);
	snprintf(r->project, sizeof(r->project), "app");
	r->id[0] = 0x01;
	r->id[15] = last;
	r->seq = 7;
	r->version = 3;
	r->status = DFS_STATUS_PENDING;
	r->who.uid = 1000;
}

/* A success holding its payload. */
static void held(struct dfs_record *r, uint8_t last)
{
	pending(r, last);
	r->status = DFS_STATUS_SUCCESS;
	r->has_hash = true;
	memcpy(r->payload_hash, HASH, 32);
	r->payload_size = 10;
	r->payload_blob_present = true;
}

static void test_plan_update_settle_success(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	pending(&old, 1);
	held(&rec, 1);
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL), 0);
	assert_true(plan.status_moves);
	assert_int_equal(plan.ref, +1);
	assert_int_equal(plan.current, DFS_PLAN_CURRENT_SETTLE);
	assert_string_equal(plan.action, "succeeded");
	/* No actor given: the event is in the record's writer's name. */
	assert_ptr_equal(plan.actor, &plan.rec.who);
	assert_int_equal(plan.actor->uid, 1000);
}

static void test_plan_update_fail_without_payload(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;
	struct dfs_who actor = {.uid = 5};

	(void)state;
	pending(&old, 1);
	rec = old;
	dfs_record_fail(&rec, DFS_ERR_NOT_AN_ARCHIVE, "no");
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, &actor), 0);
	assert_true(plan.status_moves);
	assert_int_equal(plan.ref, 0);
	assert_int_equal(plan.current, DFS_PLAN_CURRENT_KEEP);
	assert_string_equal(plan.action, "failed");
	assert_ptr_equal(plan.actor, &actor);
}

static void test_plan_update_fail_keeping_payload(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	pending(&old, 1);
	held(&rec, 1);
	dfs_record_fail(&rec, DFS_ERR_HOOK_FAILED, "hook");
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL), 0);
	/* A failure's kept bytes are referenced, but never current. */
	assert_int_equal(plan.ref, +1);
	assert_int_equal(plan.current, DFS_PLAN_CURRENT_KEEP);
	assert_string_equal(plan.action, "failed");
}

static void test_plan_update_interrupted(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	pending(&old, 1);
	rec = old;
	dfs_record_fail(&rec, DFS_ERR_INTERRUPTED, "stopped");
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL), 0);
	assert_string_equal(plan.action, "interrupted");
}

static void test_plan_update_drop_success(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	held(&old, 1);
	rec = old;
	rec.payload_blob_present = false;
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL), 0);
	assert_false(plan.status_moves);
	assert_int_equal(plan.ref, -1);
	assert_int_equal(plan.current, DFS_PLAN_CURRENT_RECOMPUTE);
	assert_string_equal(plan.action, "payload_dropped");
}

static void test_plan_update_drop_failed(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	held(&old, 1);
	old.status = DFS_STATUS_FAILED;
	rec = old;
	rec.payload_blob_present = false;
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL), 0);
	/* A failure was never current: nothing to recompute. */
	assert_int_equal(plan.ref, -1);
	assert_int_equal(plan.current, DFS_PLAN_CURRENT_KEEP);
	assert_string_equal(plan.action, "payload_dropped");
}

static void test_plan_update_no_event(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	pending(&old, 1);
	rec = old;
	rec.bytes_received = 4096; /* progress only */
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL), 0);
	assert_false(plan.status_moves);
	assert_int_equal(plan.ref, 0);
	assert_int_equal(plan.current, DFS_PLAN_CURRENT_KEEP);
	assert_null(plan.action);
	assert_int_equal(plan.rec.bytes_received, 4096);
}

static void test_plan_update_keeps_pinned_and_version(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	held(&old, 1);
	old.pinned = true;
	rec = old;
	rec.pinned = false;
	rec.version = 99;
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL), 0);
	assert_true(plan.rec.pinned);
	assert_int_equal(plan.rec.version, 3);
}

static void test_plan_update_other_record(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	pending(&old, 1);
	rec = old;
	rec.seq = 8;
	memset(&plan, 0x5a, sizeof(plan));
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL),
			 -EINVAL);
	assert_int_equal(plan.ref, 0x5a5a5a5a); /* untouched */
	rec = old;
	snprintf(rec.project, sizeof(rec.project), "other");
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL),
			 -EINVAL);
}

static void test_plan_update_back_to_pending(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	held(&old, 1);
	pending(&rec, 1);
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL),
			 -EINVAL);
}

static void test_plan_create_fields(void **state)
{
	struct dfs_who who = {.uid = 1000, .gid = 100, .pid = 42};
	struct dfs_record rec;
	uint8_t id[16];

	(void)state;
	dfs_record_init(&rec);
	dfs_uuid7_next(NULL, 1700000000123ull, id);
	memcpy(rec.id, id, 16);
	dfs_catalog_plan_create(&rec, "app", &who, "host-1");
	assert_string_equal(rec.project, "app");
	assert_int_equal(rec.started_ms, 1700000000123ll);
	assert_int_equal(rec.who.uid, 1000);
	assert_int_equal(rec.who.pid, 42);
	assert_string_equal(rec.origin_node, "host-1");
	assert_memory_equal(rec.id, id, 16); /* the backend's, kept */
}

static void test_plan_pin_changes_once(void **state)
{
	struct dfs_record rec;

	(void)state;
	held(&rec, 1);
	assert_string_equal(dfs_catalog_plan_pin(&rec, true), "pinned");
	assert_true(rec.pinned);
	assert_null(dfs_catalog_plan_pin(&rec, true));
	assert_true(rec.pinned);
	assert_string_equal(dfs_catalog_plan_pin(&rec, false), "unpinned");
	assert_false(rec.pinned);
	assert_null(dfs_catalog_plan_pin(&rec, false));
}

static void test_plan_interrupt_fails_pending(void **state)
{
	struct dfs_record old, rec;
	struct dfs_catalog_plan plan;

	(void)state;
	pending(&old, 1);
	rec = old;
	dfs_catalog_plan_interrupt(&rec);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "interrupted");
	assert_true(rec.completed_ms != DFS_TIME_NONE);
	assert_int_equal(dfs_catalog_plan_update(&plan, &old, &rec, NULL), 0);
	assert_string_equal(plan.action, "interrupted");
}

static void test_plan_settle_newer_moves_current(void **state)
{
	struct dfs_project p = {.has_current = true, .uid = 1, .mode = 0600};
	struct dfs_record rec;

	(void)state;
	held(&rec, 9);
	p.current[15] = 2;
	dfs_catalog_plan_settle(&p, &rec, NULL, 1234);
	assert_memory_equal(p.current, rec.id, 16);
	/* No attributes given: owner, mode and ctime stay. */
	assert_int_equal(p.uid, 1);
	assert_int_equal(p.mode, 0600);
	assert_int_equal(p.ctime_ms, 0);
}

static void test_plan_settle_older_keeps_current(void **state)
{
	struct dfs_project_attr attr = {42, 43, 0100755};
	struct dfs_project p = {.has_current = true};
	struct dfs_record rec;
	uint8_t newer[16] = {0x02};

	(void)state;
	held(&rec, 1);
	memcpy(p.current, newer, 16);
	dfs_catalog_plan_settle(&p, &rec, &attr, 1234);
	assert_memory_equal(p.current, newer, 16);
	assert_int_equal(p.uid, 42);
	assert_int_equal(p.gid, 43);
	assert_int_equal(p.mode, 0755); /* permission bits only */
	assert_int_equal(p.ctime_ms, 1234);
}

static void test_plan_settle_shows_hidden(void **state)
{
	struct dfs_project p = {.has_current = true, .hidden = true};
	struct dfs_record rec;
	uint8_t newer[16] = {0x02};

	(void)state;
	/* Even a success older than current: its record predates the hide. */
	held(&rec, 1);
	memcpy(p.current, newer, 16);
	dfs_catalog_plan_settle(&p, &rec, NULL, 1234);
	assert_false(p.hidden);
}

static void test_plan_settle_first_current(void **state)
{
	struct dfs_project p = {0};
	struct dfs_record rec;

	(void)state;
	held(&rec, 1);
	dfs_catalog_plan_settle(&p, &rec, NULL, 0);
	assert_true(p.has_current);
	assert_memory_equal(p.current, rec.id, 16);
}

static void test_plan_new_project_defaults(void **state)
{
	struct dfs_project_attr attr = {7, 8, 01775};
	struct dfs_project p;

	(void)state;
	memset(&p, 0x5a, sizeof(p));
	dfs_catalog_plan_new_project(&p, "app", NULL, 500);
	assert_string_equal(p.name, "app");
	assert_int_equal(p.uid, 0);
	assert_int_equal(p.gid, 0);
	assert_int_equal(p.mode, 0644);
	assert_int_equal(p.created_ms, 500);
	assert_int_equal(p.ctime_ms, 500);
	assert_false(p.has_current);
	assert_false(p.hidden);
	assert_int_equal(p.pseq, 0);
	dfs_catalog_plan_new_project(&p, "app", &attr, 500);
	assert_int_equal(p.uid, 7);
	assert_int_equal(p.gid, 8);
	assert_int_equal(p.mode, 01775);
}

static void test_plan_hide_once(void **state)
{
	struct dfs_project p = {.uid = 3};

	(void)state;
	assert_int_equal(dfs_catalog_plan_hide(&p), 0);
	assert_true(p.hidden);
	assert_int_equal(dfs_catalog_plan_hide(&p), -ENOENT);
	assert_true(p.hidden);
}

static void test_plan_drop_pending_busy(void **state)
{
	struct dfs_record rec;

	(void)state;
	pending(&rec, 1);
	assert_false(
		dfs_catalog_plan_drop_needs_project(&rec, DFS_DROP_POLICY));
	assert_int_equal(dfs_catalog_plan_drop(&rec, DFS_DROP_ASKED, NULL),
			 -EBUSY);
	assert_int_equal(dfs_catalog_plan_drop(&rec, DFS_DROP_POLICY, NULL),
			 -EBUSY);
}

static void test_plan_drop_policy_keeps_pinned_and_current(void **state)
{
	struct dfs_project p = {.has_current = true};
	struct dfs_record rec;

	(void)state;
	held(&rec, 1);
	rec.pinned = true;
	assert_false(
		dfs_catalog_plan_drop_needs_project(&rec, DFS_DROP_POLICY));
	assert_int_equal(dfs_catalog_plan_drop(&rec, DFS_DROP_POLICY, NULL),
			 -EBUSY);
	/* A person may drop what a policy keeps. */
	assert_int_equal(dfs_catalog_plan_drop(&rec, DFS_DROP_ASKED, NULL), 0);
	rec.pinned = false;
	assert_true(dfs_catalog_plan_drop_needs_project(&rec, DFS_DROP_POLICY));
	memcpy(p.current, rec.id, 16);
	assert_int_equal(dfs_catalog_plan_drop(&rec, DFS_DROP_POLICY, &p),
			 -EBUSY);
	p.current[15] ^= 1;
	assert_int_equal(dfs_catalog_plan_drop(&rec, DFS_DROP_POLICY, &p), 0);
	p.has_current = false;
	assert_int_equal(dfs_catalog_plan_drop(&rec, DFS_DROP_POLICY, &p), 0);
}

static void test_plan_remove_verdicts(void **state)
{
	struct dfs_project p = {.uid = 1000};
	struct dfs_project_counts c = {0};
	struct dfs_who owner = {.uid = 1000}, other = {.uid = 1001};
	struct dfs_who root = {.uid = 0};

	(void)state;
	assert_int_equal(dfs_catalog_plan_remove(&owner, &p, &c, false), 0);
	assert_int_equal(dfs_catalog_plan_remove(&root, &p, &c, false), 0);
	assert_int_equal(dfs_catalog_plan_remove(&other, &p, &c, true), -EPERM);
	c.success = 1;
	assert_int_equal(dfs_catalog_plan_remove(&owner, &p, &c, false),
			 -ENOTEMPTY);
	assert_int_equal(dfs_catalog_plan_remove(&owner, &p, &c, true), 0);
	c.pending = 1;
	assert_int_equal(dfs_catalog_plan_remove(&owner, &p, &c, true), -EBUSY);
}

/* A backend's delete: odd ids leave their blob unreferenced; id 0xee fails. */
static int fake_delete(void *ctx, const uint8_t id[16], struct dfs_record *old,
		       bool *last_ref)
{
	unsigned *calls = ctx;

	(*calls)++;
	if (id[0] == 0xee)
		return -EIO;
	held(old, id[0]);
	old->payload_hash[1] = id[0];
	old->payload_size = id[0] * 100u;
	*last_ref = id[0] & 1;
	return 0;
}

static void test_removal_delete_notes_unreferenced(void **state)
{
	static struct dfs_removal rm;
	unsigned calls = 0;

	(void)state;
	rm.n = 3;
	for (unsigned i = 0; i < rm.n; i++)
		rm.ids[i][0] = (uint8_t)(i + 1);
	assert_int_equal(dfs_removal_delete(&rm, fake_delete, &calls), 0);
	assert_int_equal(calls, 3);
	assert_true(rm.unref[0]);
	assert_false(rm.unref[1]);
	assert_true(rm.unref[2]);
	assert_int_equal(rm.blobs[2][1], 3);
	assert_int_equal(rm.sizes[2], 300);
	/* Fewer than a batch: the project's last records. */
	assert_true(rm.done);
}

static void test_removal_delete_full_batch_not_done(void **state)
{
	static struct dfs_removal rm;
	unsigned calls = 0;

	(void)state;
	rm.n = DFS_REMOVE_BATCH;
	assert_int_equal(dfs_removal_delete(&rm, fake_delete, &calls), 0);
	assert_int_equal(calls, DFS_REMOVE_BATCH);
	assert_false(rm.done);
}

static void test_removal_delete_stops_at_error(void **state)
{
	static struct dfs_removal rm;
	unsigned calls = 0;

	(void)state;
	rm.n = 3;
	rm.ids[0][0] = 1;
	rm.ids[1][0] = 0xee;
	rm.ids[2][0] = 3;
	assert_int_equal(dfs_removal_delete(&rm, fake_delete, &calls), -EIO);
	assert_int_equal(calls, 2);
	assert_false(rm.unref[1]);
	assert_false(rm.done);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plan_update_settle_success),
		T(test_plan_update_fail_without_payload),
		T(test_plan_update_fail_keeping_payload),
		T(test_plan_update_interrupted),
		T(test_plan_update_drop_success),
		T(test_plan_update_drop_failed),
		T(test_plan_update_no_event),
		T(test_plan_update_keeps_pinned_and_version),
		T(test_plan_update_other_record),
		T(test_plan_update_back_to_pending),
		T(test_plan_create_fields),
		T(test_plan_pin_changes_once),
		T(test_plan_interrupt_fails_pending),
		T(test_plan_settle_newer_moves_current),
		T(test_plan_settle_older_keeps_current),
		T(test_plan_settle_shows_hidden),
		T(test_plan_settle_first_current),
		T(test_plan_new_project_defaults),
		T(test_plan_hide_once),
		T(test_plan_drop_pending_busy),
		T(test_plan_drop_policy_keeps_pinned_and_current),
		T(test_plan_remove_verdicts),
		T(test_removal_delete_notes_unreferenced),
		T(test_removal_delete_full_batch_not_done),
		T(test_removal_delete_stops_at_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
