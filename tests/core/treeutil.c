/*
 * treeutil — helpers of the tree tests (see treeutil.h).
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

#include "catalog.h"
#include "deploy.h"
#include "dropbox.h"
#include "treeutil.h"
#include "uuid7.h"

struct tu_tree_fix {
	struct dfs_dropbox *db;
	struct dfs_tree *t;
};

int tu_tree_setup(void **state)
{
	struct tu_tree_fix *tf = calloc(1, sizeof(*tf));
	struct tu_fix *fix;

	if (!tf || tu_store_setup(state)) {
		free(tf);
		return -1;
	}
	fix = *state;
	fix->extra = tf;
	if (dfs_dropbox_new(fix->st, &fix->conf, &tf->db) ||
	    dfs_tree_new(fix->st, tf->db, getuid(), getgid(), &tf->t)) {
		tu_tree_teardown(state);
		return -1;
	}
	return 0;
}

int tu_tree_teardown(void **state)
{
	struct tu_fix *fix = *state;
	struct tu_tree_fix *tf = fix ? fix->extra : NULL;

	if (tf) {
		if (tf->t)
			dfs_tree_free(tf->t);
		if (tf->db)
			dfs_dropbox_free(tf->db);
		free(tf);
	}
	return tu_teardown(state);
}

struct dfs_tree *tu_tree(struct tu_fix *fix)
{
	return ((struct tu_tree_fix *)fix->extra)->t;
}

struct dfs_dropbox *tu_tree_db(struct tu_fix *fix)
{
	return ((struct tu_tree_fix *)fix->extra)->db;
}

void tu_tree_deploy(struct tu_fix *fix, const char *project, uint32_t seed,
		    bool good, struct dfs_record *rec)
{
	static const char text[] = "not an archive\n";
	struct dfs_project_attr attr;
	struct dfs_deploy *d;
	struct dfs_who who;
	uint8_t *buf = NULL;
	size_t len = sizeof(text) - 1;

	tu_who(&who);
	tu_attr(&attr, 0644);
	if (good)
		assert_int_equal(tu_targz(1000, seed, &buf, &len), 0);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, project, &who, &attr, &d),
		0);
	assert_int_equal(
		dfs_deploy_write(
			d, DFS_SRC_MEM(good ? buf : (const void *)text, len),
			0),
		0);
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), good ? 0 : -EBADMSG);
	*rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);
	free(buf);
}

void tu_world_make(struct tu_fix *fix, struct tu_world *w)
{
	struct dfs_project_attr attr;
	struct dfs_who who;

	tu_tree_deploy(fix, "web", 1, true, &w->rec[TU_A]);
	tu_tree_deploy(fix, "web", 2, true, &w->rec[TU_B]);
	tu_tree_deploy(fix, "api", 3, false, &w->rec[TU_C]);
	tu_tree_deploy(fix, "web", 4, false, &w->rec[TU_D]);
	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(dfs_catalog_create(dfs_store_catalog(fix->st), "api",
					    &who, &attr, &w->rec[TU_E]),
			 0);
	for (int i = 0; i < TU_NWORLD; i++)
		dfs_uuid7_format(w->rec[i].id, w->id[i]);
}

void tu_resolve(struct tu_fix *fix, const char *path, struct stat *s)
{
	char buf[256], *name, *save = NULL;
	uint64_t ino = DFS_INO_ROOT;

	assert_int_equal(dfs_tree_getattr(tu_tree(fix), ino, s), 0);
	snprintf(buf, sizeof(buf), "%s", path);
	for (name = strtok_r(buf, "/", &save); name;
	     name = strtok_r(NULL, "/", &save)) {
		if (dfs_tree_lookup(tu_tree(fix), ino, name, s, NULL) != 0)
			fail_msg("lookup of '%s' in '%s' failed", name, path);
		ino = s->st_ino;
	}
}

uint64_t tu_ino(struct tu_fix *fix, const char *fmt, ...)
{
	char path[256];
	struct stat s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	tu_resolve(fix, path, &s);
	return s.st_ino;
}

static int fill_cb(void *arg, const char *name, const struct stat *st,
		   uint64_t next)
{
	struct tu_listing *l = arg;

	if (l->taken == l->quota)
		return 1; /* the buffer is full: this entry is not taken */
	assert_true(l->n < TU_LIST_MAX);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
	l->ino[l->n] = st->st_ino;
	l->next[l->n++] = next;
	l->taken++;
	return 0;
}

void tu_list(struct tu_fix *fix, uint64_t ino, size_t quota,
	     struct tu_listing *l)
{
	uint64_t off = 0;

	memset(l, 0, sizeof(*l));
	l->quota = quota;
	for (int calls = 0; calls < 4 * TU_LIST_MAX; calls++) {
		l->taken = 0;
		assert_int_equal(
			dfs_tree_readdir(tu_tree(fix), ino, off, fill_cb, l),
			0);
		if (l->taken == 0)
			return;
		off = l->next[l->n - 1];
	}
	fail_msg("readdir of %llu never ends", (unsigned long long)ino);
}

bool tu_listed(const struct tu_listing *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

void tu_assert_link(struct tu_fix *fix, uint64_t ino, const char *id)
{
	char buf[128], want[128];

	snprintf(want, sizeof(want), "../../deployments/%s", id);
	assert_int_equal(dfs_tree_readlink(tu_tree(fix), ino, buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, want);
}
