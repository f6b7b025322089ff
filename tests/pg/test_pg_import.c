/*
 * test_pg_import — an LMDB store's history moves into PostgreSQL as it
 * is: the same records (ids, versions, statuses, pins), projects with
 * their owner and mode, policies, payloads in the database, audit.log
 * byte for byte; and a second run changes nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "blobs.h"
#include "catalog_pg.h"
#include "isotime.h"
#include "pgutil.h"
#include "store.h"

struct src {
	char dir[64];
	struct dfs_store *st;
	struct dfs_record recs[5];
};

/* A store with five deployments of two projects, a pin and a policy. */
static void make_store(struct src *s)
{
	struct dfs_project_attr attr = {1000, 1000, 0640};
	struct dfs_catalog *cat;
	struct dfs_retention pol = {3, 0, 0};
	struct dfs_who who;
	char data[64];

	strcpy(s->dir, "/tmp/dfs-pgimport.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	strcat(s->dir, "/s");
	assert_int_equal(dfs_store_open(s->dir, DFS_STORE_CREATE, 0, &s->st),
			 0);
	cat = dfs_store_catalog(s->st);
	dfs_who_self(&who);
	for (int i = 0; i < 5; i++) {
		struct dfs_record *r = &s->recs[i];

		assert_int_equal(dfs_catalog_create(cat, i < 3 ? "web" : "api",
						    &who, &attr, r),
				 0);
		if (i == 4)
			continue; /* stays pending */
		snprintf(data, sizeof(data), "payload %d", i % 3);
		assert_int_equal(dfs_blobs_put_bytes(dfs_store_blobs(s->st),
						     data, strlen(data),
						     r->payload_hash),
				 0);
		r->has_hash = true;
		r->payload_size = strlen(data);
		r->payload_blob_present = i != 1;
		if (i == 2)
			dfs_record_fail(r, DFS_ERR_NOT_AN_ARCHIVE, "no");
		else
			dfs_record_succeed(r);
		assert_int_equal(dfs_catalog_update(cat, r, NULL, NULL), 0);
	}
	assert_int_equal(dfs_catalog_set_pinned(cat, s->recs[0].id, true, &who),
			 0);
	assert_int_equal(dfs_catalog_policy_set(cat, "web", &pol), 0);
}

static void drop_store(struct src *s)
{
	char cmd[128];

	dfs_store_close(s->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %.*s", (int)strlen(s->dir) - 2,
		 s->dir);
	assert_int_equal(system(cmd), 0);
}

static char *audit_of(struct dfs_catalog *cat, size_t *n)
{
	uint64_t size;
	char *buf;

	assert_int_equal(dfs_catalog_audit_size(cat, &size), 0);
	buf = malloc(size + 1);
	assert_int_equal(dfs_catalog_audit_read(cat, 0, buf, size + 1, n), 0);
	assert_int_equal(*n, size);
	return buf;
}

static void test_pg_import_history(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_import_stats st;
	struct dfs_catalog *pg, *cat;
	struct dfs_record back;
	struct dfs_retention pol;
	struct dfs_project p;
	char *a, *b;
	size_t na, nb;
	struct src s;
	bool set;

	make_store(&s);
	cat = dfs_store_catalog(s.st);
	assert_int_equal(dfs_catalog_open_pg(fix->conninfo, DFS_CATALOG_CREATE,
					     "importer", &pg, NULL),
			 0);
	assert_int_equal(
		dfs_catalog_pg_import(pg, cat, dfs_store_blobs(s.st), &st), 0);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.projects, 2);
	assert_int_equal(st.blobs,
			 2); /* "payload 0" twice, "payload 1" dropped */
	assert_false(st.audit_kept);
	for (int i = 0; i < 5; i++) {
		struct dfs_record want;

		assert_int_equal(dfs_catalog_get(cat, s.recs[i].id, &want), 0);
		assert_int_equal(dfs_catalog_get(pg, s.recs[i].id, &back), 0);
		assert_int_equal(back.status, want.status);
		assert_int_equal(back.version, want.version);
		assert_int_equal(back.pinned, want.pinned);
		assert_string_equal(back.origin_node, want.origin_node);
		assert_memory_equal(back.payload_hash, want.payload_hash, 32);
	}
	assert_int_equal(dfs_catalog_project_get(pg, "web", &p), 0);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.mode, 0640);
	assert_true(p.has_current);
	assert_memory_equal(p.current, s.recs[0].id, 16);
	assert_int_equal(dfs_catalog_policy_get(pg, "web", &pol, &set), 0);
	assert_true(set);
	assert_int_equal(pol.keep_success, 3);
	a = audit_of(cat, &na);
	b = audit_of(pg, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	free(b);

	/* Again: nothing changes. */
	assert_int_equal(
		dfs_catalog_pg_import(pg, cat, dfs_store_blobs(s.st), &st), 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.skipped, 5);
	assert_int_equal(st.blobs, 0);
	assert_int_equal(st.events, 0);
	b = audit_of(pg, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	free(a);
	free(b);
	/* And the next deploy in PostgreSQL gets a newer id. */
	{
		struct dfs_project_attr attr = {0, 0, 0644};
		struct dfs_who who;

		dfs_who_self(&who);
		assert_int_equal(
			dfs_catalog_create(pg, "web", &who, &attr, &back), 0);
		assert_true(memcmp(back.id, s.recs[4].id, 16) > 0);
		assert_int_equal(back.version, 4);
	}
	dfs_catalog_close(pg);
	drop_store(&s);
}

static void test_pg_import_refuses_older(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_project_attr attr = {0, 0, 0644};
	struct dfs_import_stats st;
	struct dfs_catalog *pg;
	struct dfs_record rec;
	struct dfs_who who;
	struct src s;

	make_store(&s);
	assert_int_equal(dfs_catalog_open_pg(fix->conninfo, DFS_CATALOG_CREATE,
					     "importer", &pg, NULL),
			 0);
	/* The catalog has a deploy newer than the store's history. */
	dfs_who_self(&who);
	assert_int_equal(dfs_catalog_create(pg, "other", &who, &attr, &rec), 0);
	assert_int_equal(dfs_catalog_pg_import(pg, dfs_store_catalog(s.st),
					       dfs_store_blobs(s.st), &st),
			 -EEXIST);
	dfs_catalog_close(pg);
	drop_store(&s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_import_history),
		T(test_pg_import_refuses_older),
	};
#undef T

	pgt_main_check("test_pg_import");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
