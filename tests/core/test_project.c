/*
 * test_project — counting a project's deployments and removing a project
 * with its records, their blob references, logs and manifests, in one
 * transaction per batch; listings positioned on what was removed resume.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "project.h"
#include "audit.h"
#include "catalog.h"
#include "isotime.h"
#include "log.h"
#include "maintutil.h"
#include "testutil.h"

static void who_as(struct dfs_who *who, uint32_t uid)
{
	tu_who(who);
	who->uid = uid;
}

/* Everything a removed record leaves must be gone. */
static void assert_gone(struct tu_fix *fix, const struct dfs_record *r)
{
	struct dfs_record back;
	int fd;

	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), r->id, &back),
		-ENOENT);
	assert_int_equal(
		dfs_catalog_get_seq(dfs_store_catalog(fix->st), r->seq, &back),
		-ENOENT);
	assert_int_equal(dfs_log_open(fix->st, DFS_LOG, r->id, false, &fd),
			 -ENOENT);
	assert_int_equal(dfs_log_open(fix->st, DFS_MANIFEST, r->id, false, &fd),
			 -ENOENT);
}

struct event {
	long n;
	bool has_id;
	uint64_t records;
	char project[DFS_PROJECT_MAX + 1];
};

static int find_removed(void *arg, const struct dfs_event *e)
{
	struct event *ev = arg;

	if (strcmp(e->action, "project_removed") != 0)
		return 0;
	ev->n++;
	ev->has_id = e->has_id;
	ev->records = e->records;
	snprintf(ev->project, sizeof(ev->project), "%s", e->project);
	return 0;
}

static void removed_event(struct tu_fix *fix, struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	assert_int_equal(dfs_catalog_audit_scan(dfs_store_catalog(fix->st), 0,
						find_removed, ev),
			 0);
}

static void test_project_count(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_counts c;
	struct dfs_record r;
	struct dfs_who who;

	tu_deploy(fix, "web", 1, NULL);
	tu_deploy(fix, "web", 2, NULL);
	tu_deploy_text(fix, "web", NULL);
	tu_who(&who);
	assert_int_equal(dfs_catalog_create(dfs_store_catalog(fix->st), "web",
					    &who, NULL, &r),
			 0);
	tu_deploy(fix, "api", 3, NULL);
	assert_int_equal(dfs_catalog_project_count(dfs_store_catalog(fix->st),
						   "web", &c),
			 0);
	assert_int_equal(c.total, 4);
	assert_int_equal(c.success, 2);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.pending, 1);
	assert_int_equal(dfs_catalog_project_count(dfs_store_catalog(fix->st),
						   "api", &c),
			 0);
	assert_int_equal(c.total, 1);
	assert_int_equal(dfs_catalog_project_count(dfs_store_catalog(fix->st),
						   "nope", &c),
			 -ENOENT);
	assert_int_equal(dfs_catalog_project_count(dfs_store_catalog(fix->st),
						   "../x", &c),
			 -ENOENT);
}

/* A failed-only project goes: records, indexes, refs, files, one event. */
static void test_project_remove_failed_only(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b, keep;
	struct dfs_project p;
	struct dfs_who who;
	struct event ev;
	uint64_t removed = 99, freed = 99, refs;

	tu_deploy_text(fix, "app.tgz", &a);
	tu_deploy_text(fix, "app.tgz", &b);
	tu_deploy(fix, "web", 5, &keep);
	assert_true(tu_blob_file_exists(fix, a.payload_hash));
	who_as(&who, 1000); /* the owner (tu_attr's uid) */
	assert_int_equal(dfs_project_remove(fix->st, "app.tgz", false, &who,
					    &removed, &freed),
			 0);
	assert_int_equal(removed, 2);
	assert_int_equal(freed, a.payload_size);
	assert_int_equal(dfs_catalog_project_get(dfs_store_catalog(fix->st),
						 "app.tgz", &p),
			 -ENOENT);
	assert_gone(fix, &a);
	assert_gone(fix, &b);
	assert_int_equal(dfs_catalog_blob_refs(dfs_store_catalog(fix->st),
					       a.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 0);
	assert_false(tu_blob_file_exists(fix, a.payload_hash));
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_PROJECT, "app.tgz"),
			 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "failed"),
			 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 1);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_PROJECTS, NULL),
			 1);
	removed_event(fix, &ev);
	assert_int_equal(ev.n, 1);
	assert_false(ev.has_id);
	assert_int_equal(ev.records, 2);
	assert_string_equal(ev.project, "app.tgz");
	/* The other project is whole. */
	tu_assert_current(fix, "web", &keep);
	assert_true(tu_blob_file_exists(fix, keep.payload_hash));
}

/* A blob shared with another project keeps its file and its reference. */
static void test_project_remove_shared_blob(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, other;
	struct dfs_who who;
	uint64_t removed, freed = 99, refs;

	tu_deploy_text(fix, "oops", &a);
	tu_deploy_text(fix, "other", &other);
	assert_memory_equal(a.payload_hash, other.payload_hash, 32);
	who_as(&who, 0);
	assert_int_equal(dfs_project_remove(fix->st, "oops", false, &who,
					    &removed, &freed),
			 0);
	assert_int_equal(removed, 1);
	assert_int_equal(freed, 0);
	assert_int_equal(dfs_catalog_blob_refs(dfs_store_catalog(fix->st),
					       other.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 1);
	assert_true(tu_blob_file_exists(fix, other.payload_hash));
	assert_true(tu_holds(fix, &other));
}

/* A success refuses the removal unless forced; forced, current goes too. */
static void test_project_remove_success_needs_force(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record ok, bad;
	struct dfs_project p;
	struct dfs_who who;
	struct event ev;
	uint64_t removed = 99, freed = 99;

	tu_deploy(fix, "web", 7, &ok);
	tu_deploy_text(fix, "web", &bad);
	who_as(&who, 1000);
	assert_int_equal(dfs_project_remove(fix->st, "web", false, &who,
					    &removed, &freed),
			 -ENOTEMPTY);
	assert_int_equal(removed, 0);
	tu_assert_current(fix, "web", &ok);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_PROJECT, "web"),
			 2);
	removed_event(fix, &ev);
	assert_int_equal(ev.n, 0);

	assert_int_equal(dfs_project_remove(fix->st, "web", true, &who,
					    &removed, &freed),
			 0);
	assert_int_equal(removed, 2);
	assert_int_equal(freed, ok.payload_size + bad.payload_size);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		-ENOENT);
	assert_gone(fix, &ok);
	assert_false(tu_blob_file_exists(fix, ok.payload_hash));
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "success"),
			 0);
}

static void test_project_remove_pending_busy(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record pend, done;
	struct dfs_who who;
	uint64_t removed, freed;

	tu_deploy_text(fix, "web", &done);
	tu_who(&who);
	assert_int_equal(dfs_catalog_create(dfs_store_catalog(fix->st), "web",
					    &who, NULL, &pend),
			 0);
	assert_int_equal(dfs_project_remove(fix->st, "web", true, &who,
					    &removed, &freed),
			 -EBUSY);
	assert_int_equal(removed, 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_PROJECT, "web"),
			 2);
	assert_true(tu_blob_file_exists(fix, done.payload_hash));
}

static void test_project_remove_not_owner(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_who who;
	uint64_t removed, freed;

	tu_deploy_text(fix, "web", NULL);
	who_as(&who, 2000);
	assert_int_equal(dfs_project_remove(fix->st, "web", true, &who,
					    &removed, &freed),
			 -EPERM);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_PROJECT, "web"),
			 1);
	who_as(&who, 0); /* root may */
	assert_int_equal(dfs_project_remove(fix->st, "web", true, &who,
					    &removed, &freed),
			 0);
	assert_int_equal(removed, 1);
}

static void test_project_remove_missing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_who who;
	uint64_t removed, freed;

	who_as(&who, 0);
	assert_int_equal(dfs_project_remove(fix->st, "nope", true, &who,
					    &removed, &freed),
			 -ENOENT);
	assert_int_equal(dfs_project_remove(fix->st, "a/b", true, &who,
					    &removed, &freed),
			 -ENOENT);
}

/* More records than one batch holds: all go, one event counts them. */
static void test_project_remove_batches(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record t, first, last;
	struct dfs_batch *b;
	struct dfs_who who;
	struct event ev;
	uint64_t removed, freed;
	const unsigned n = 1300;

	tu_deploy(fix, "keep", 9, NULL);
	assert_int_equal(
		dfs_catalog_batch_begin(dfs_store_catalog(fix->st), &b), 0);
	for (unsigned i = 0; i < n; i++) {
		dfs_record_init(&t);
		snprintf(t.project, sizeof(t.project), "big");
		tu_who(&t.who);
		t.status = DFS_STATUS_FAILED;
		dfs_record_set_error(&t, DFS_ERR_NOT_AN_ARCHIVE,
				     DFS_PHASE_VALIDATE, "synthetic");
		assert_int_equal(dfs_batch_add(b, &t, DFS_TIME_NONE,
					       i == 0 ? &first : &last),
				 0);
	}
	assert_int_equal(dfs_batch_commit(b), 0);
	who_as(&who, 0);
	assert_int_equal(dfs_project_remove(fix->st, "big", false, &who,
					    &removed, &freed),
			 0);
	assert_int_equal(removed, n);
	assert_gone(fix, &first);
	assert_gone(fix, &last);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 1);
	removed_event(fix, &ev);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.records, n);
}

struct first {
	uint64_t seq;
	char name[DFS_PROJECT_MAX + 1];
	unsigned n;
};

static int first_cb(void *arg, const struct dfs_entry *e)
{
	struct first *f = arg;

	if (f->n++ == 0) {
		f->seq = e->seq;
		snprintf(f->name, sizeof(f->name), "%s",
			 e->name ? e->name : "");
	}
	return 0;
}

/* A listing positioned on a removed record or project resumes after it. */
static void test_project_remove_scan_resumes(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, gone, c;
	struct dfs_project pg, pb;
	struct dfs_who who;
	struct first f;
	uint64_t removed, freed;

	tu_deploy_text(fix, "a", &a);
	tu_deploy_text(fix, "b", &gone);
	tu_deploy_text(fix, "c", &c);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "b", &pb),
		0);
	who_as(&who, 0);
	assert_int_equal(
		dfs_project_remove(fix->st, "b", false, &who, &removed, &freed),
		0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(dfs_catalog_scan(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL, gone.seq,
					  first_cb, &f),
			 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.seq, c.seq);
	memset(&f, 0, sizeof(f));
	assert_int_equal(dfs_catalog_scan(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "failed", gone.seq,
					  first_cb, &f),
			 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.seq, c.seq);
	memset(&f, 0, sizeof(f));
	assert_int_equal(dfs_catalog_scan(dfs_store_catalog(fix->st),
					  DFS_SCAN_PROJECTS, NULL, pb.pseq,
					  first_cb, &f),
			 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.name, "c");
	/* The old inode stays gone even when the name is taken again. */
	assert_int_equal(dfs_catalog_project_get_seq(dfs_store_catalog(fix->st),
						     pb.pseq, &pg),
			 -ENOENT);
	tu_deploy_text(fix, "b", NULL);
	assert_int_equal(dfs_catalog_project_get_seq(dfs_store_catalog(fix->st),
						     pb.pseq, &pg),
			 -ENOENT);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "b", &pg),
		0);
	assert_true(pg.pseq > pb.pseq);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_PROJECT, "b"),
			 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_project_count),
		T(test_project_remove_failed_only),
		T(test_project_remove_shared_blob),
		T(test_project_remove_success_needs_force),
		T(test_project_remove_pending_busy),
		T(test_project_remove_not_owner),
		T(test_project_remove_missing),
		T(test_project_remove_batches),
		T(test_project_remove_scan_resumes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
