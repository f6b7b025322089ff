/*
 * test_check_links — entries that leave the archive's root only once its
 * symbolic links are followed: chains of links, entries and hard links
 * written through links, links redirected by later ones; the bounds on
 * hops, walked bytes and memory; and legitimate chains that stay inside.
 * First on check_links itself, then through the full check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "archutil.h"
#include "check.h"
#include "check_impl.h"
#include "testutil.h"

/* One entry: 'f' file, 'd' directory, 'l' symlink, 'h' hard link. */
struct ent {
	const char *path;
	char type;
	const char *link;
};

static int feed(struct dfs_check_links *l, const struct ent *e,
		struct dfs_record_error *err)
{
	return dfs_check_links_entry(l, e->path,
				     e->type == 'l' ? e->link : NULL,
				     e->type == 'h' ? e->link : NULL, err);
}

/* All @n entries accepted, and the end too. */
static void assert_inside(const struct ent *e, size_t n)
{
	struct dfs_check_links *l;
	struct dfs_record_error err;

	assert_int_equal(dfs_check_links_new(DFS_CHECK_LINKS_MAX, &l), 0);
	for (size_t i = 0; i < n; i++)
		if (feed(l, &e[i], &err) != 0)
			fail_msg("%s refused: %s", e[i].path, err.message);
	if (dfs_check_links_finish(l, &err) != 0)
		fail_msg("refused at the end: %s", err.message);
	dfs_check_links_free(l);
}

static void assert_message(const struct dfs_record_error *err, const char *code,
			   const char *in_message)
{
	assert_string_equal(err->code, code);
	assert_int_equal(err->phase, DFS_PHASE_VALIDATE);
	if (!strstr(err->message, in_message))
		fail_msg("message '%s' lacks '%s'", err->message, in_message);
}

/* The first @n - 1 entries accepted, the last refused with @rc. */
static void assert_last_refused(const struct ent *e, size_t n, int rc,
				const char *code, const char *in_message)
{
	struct dfs_check_links *l;
	struct dfs_record_error err;

	assert_int_equal(dfs_check_links_new(DFS_CHECK_LINKS_MAX, &l), 0);
	for (size_t i = 0; i + 1 < n; i++)
		if (feed(l, &e[i], &err) != 0)
			fail_msg("%s refused: %s", e[i].path, err.message);
	assert_int_equal(feed(l, &e[n - 1], &err), rc);
	assert_message(&err, code, in_message);
	dfs_check_links_free(l);
}

static void test_check_links_entry_chain_escapes(void **state)
{
	/* a/l is the root; a/m, a/l/.. as text, is the root's parent. */
	static const struct ent e[] = {
		{"a/l", 'l', ".."},
		{"a/m", 'l', "l/.."},
	};

	(void)state;
	assert_last_refused(e, 2, -EBADMSG, "unsafe_path",
			    "through the symbolic link a/l: a/m -> l/..");
}

static void test_check_links_entry_chain_through_dirs_escapes(void **state)
{
	/* x is a/l, the root; x/.. as text is fine, followed it is not. */
	static const struct ent e[] = {
		{"a/l", 'l', ".."},
		{"./x", 'l', "a/l"},
		{"b/c/up", 'l', "../../x/.."},
	};

	(void)state;
	assert_last_refused(e, 3, -EBADMSG, "unsafe_path",
			    "links x and a/l: b/c/up -> ../../x/..");
}

static void test_check_links_entry_through_link_escapes(void **state)
{
	/* x is the root while d is a directory; d -> . takes it out. */
	static const struct ent e[] = {
		{"x", 'l', "d/.."},
		{"d", 'l', "."},
		{"x/etc/passwd", 'f', NULL},
	};

	(void)state;
	assert_last_refused(e, 3, -EBADMSG, "unsafe_path",
			    "entry out of the archive's root through the "
			    "symbolic links x and d: x/etc/passwd");
}

static void test_check_links_entry_hardlink_escapes(void **state)
{
	static const struct ent through[] = {
		{"x", 'l', "d/.."},
		{"d", 'l', "."},
		{"h", 'h', "x/passwd"},
	};
	/* A hard link to a link is that link again, at the new place. */
	static const struct ent to_link[] = {
		{"a/l", 'l', ".."},
		{"h", 'h', "a/l"},
	};

	(void)state;
	assert_last_refused(through, 3, -EBADMSG, "unsafe_path",
			    "hard link out of the archive's root through the "
			    "symbolic links x and d: h link to x/passwd");
	assert_last_refused(to_link, 2, -EBADMSG, "unsafe_path",
			    "symbolic link out of the archive's root through "
			    "the symbolic link a/l: h -> ..");
}

static void test_check_links_finish_redirected_escapes(void **state)
{
	/* Each fine when it comes; together x points out of the root. */
	static const struct ent e[] = {
		{"x", 'l', "d/.."},
		{"d", 'l', "."},
	};
	struct dfs_check_links *l;
	struct dfs_record_error err;

	(void)state;
	assert_int_equal(dfs_check_links_new(DFS_CHECK_LINKS_MAX, &l), 0);
	assert_int_equal(feed(l, &e[0], &err), 0);
	assert_int_equal(feed(l, &e[1], &err), 0);
	assert_int_equal(dfs_check_links_finish(l, &err), -EBADMSG);
	assert_message(&err, "unsafe_path",
		       "once unpacked through the symbolic link d: x -> d/..");
	dfs_check_links_free(l);
}

static void test_check_links_entry_dir_on_link_escapes(void **state)
{
	/*
	 * A directory put where d -> . is: an extractor may keep the link
	 * (it is a directory already), so x -> d/.. leaves the root.
	 */
	static const struct ent e[] = {
		{"d", 'l', "."},
		{"d/", 'd', NULL},
		{"x", 'l', "d/.."},
	};

	(void)state;
	assert_last_refused(e, 3, -EBADMSG, "unsafe_path",
			    "symbolic link out of the archive's root");
}

static void test_check_links_entry_file_on_link_escapes(void **state)
{
	/*
	 * L leads inside while N -> d/e; N -> . redirects it out; a file
	 * then put on L would be written through it, out of the root.
	 */
	static const struct ent e[] = {
		{"d/", 'd', NULL}, {"d/e/", 'd', NULL},
		{"N", 'l', "d/e"}, {"L", 'l', "N/../pwned"},
		{"N", 'l', "."},   {"L", 'f', NULL},
	};

	(void)state;
	assert_last_refused(e, 6, -EBADMSG, "unsafe_path",
			    "entry put on a symbolic link out of the archive's "
			    "root");
}

static void test_check_links_entry_file_on_link_inside_safe(void **state)
{
	/* A file put on a link that leads inside: fine. */
	static const struct ent e[] = {
		{"v1/", 'd', NULL},  {"cur", 'l', "v1"},   {"cur", 'f', NULL},
		{"cur/", 'd', NULL}, {"cur/x", 'f', NULL},
	};

	(void)state;
	assert_inside(e, 5);
}

/* A chain C0 -> C1 -> ... -> C39 -> ., each target about 800 bytes. */
static void long_chain(struct dfs_check_links *l)
{
	struct dfs_record_error err;
	char name[16], target[1024];

	for (int i = 39; i >= 0; i--) {
		size_t n = 0;

		for (int k = 0; k < 160; k++)
			n += (size_t)snprintf(target + n, sizeof(target) - n,
					      "d/../");
		if (i == 39)
			snprintf(target + n, sizeof(target) - n, ".");
		else
			snprintf(target + n, sizeof(target) - n, "C%d", i + 1);
		snprintf(name, sizeof(name), "C%d", i);
		if (dfs_check_links_entry(l, name, target, NULL, &err) != 0)
			fail_msg("%s refused: %s", name, err.message);
	}
}

static void test_check_links_entry_cost_bounded(void **state)
{
	struct dfs_check_links *l;
	struct dfs_record_error err;
	char path[32];
	int rc = 0, i;

	(void)state;
	assert_int_equal(dfs_check_links_new(DFS_CHECK_LINKS_MAX, &l), 0);
	long_chain(l);
	/* Each entry under C0 walks all 40 links: refused as too costly. */
	for (i = 0; i < 20000 && rc == 0; i++) {
		snprintf(path, sizeof(path), "C0/f%d", i);
		rc = dfs_check_links_entry(l, path, NULL, NULL, &err);
	}
	assert_int_equal(rc, -EFBIG);
	assert_true(i < 20000);
	assert_message(&err, "too_large", "too costly to follow");
	dfs_check_links_free(l);
}

static void test_check_links_entry_cost_usual_safe(void **state)
{
	struct dfs_check_links *l;
	struct dfs_record_error err;
	char path[64];

	(void)state;
	assert_int_equal(dfs_check_links_new(DFS_CHECK_LINKS_MAX, &l), 0);
	assert_int_equal(
		dfs_check_links_entry(l, "current", "releases/v2", NULL, &err),
		0);
	assert_int_equal(dfs_check_links_entry(l, "releases/v2/lib",
					       "../../shared/lib", NULL, &err),
			 0);
	/* Many entries through two short links: within the allowance. */
	for (int i = 0; i < 100000; i++) {
		snprintf(path, sizeof(path), "current/lib/m%d/file.js", i);
		if (dfs_check_links_entry(l, path, NULL, NULL, &err) != 0)
			fail_msg("%s refused: %s", path, err.message);
	}
	assert_int_equal(dfs_check_links_finish(l, &err), 0);
	dfs_check_links_free(l);
}

static void test_check_links_entry_order_safe(void **state)
{
	/* Written before the link came: d was a directory then. */
	static const struct ent e[] = {
		{"x", 'l', "d/.."},
		{"x/f", 'f', NULL},
		{"d/g", 'f', NULL},
		{"d/", 'd', NULL},
	};

	(void)state;
	assert_inside(e, 4);
}

static void test_check_links_entry_chains_inside_safe(void **state)
{
	static const struct ent e[] = {
		{"shared/lib/libx.so", 'f', NULL},
		{"v2/bin/app", 'f', NULL},
		{"cur", 'l', "v2"},
		{"v2/lib", 'l', "../shared/lib"},
		{"bin", 'l', "cur/bin"},
		{"lib", 'l', "./cur/lib/"},
		{"cur/bin/tool", 'f', NULL},
		{"cur/lib/libx.so.1", 'h', "lib/libx.so"},
		{"node_modules/pkg/bin/x", 'f', NULL},
		{"node_modules/.bin/x", 'l', "../pkg/bin/x"},
		{"a/l", 'l', ".."},
		{"a/m", 'l', "l"},
		{"a/n", 'l', "m/a/l/v2"},
		{"self", 'l', "."},
		{"self/self/self/cur/bin/t2", 'f', NULL},
		{"dangling", 'l', "no/such/thing"},
	};

	(void)state;
	assert_inside(e, sizeof(e) / sizeof(e[0]));
}

static void test_check_links_entry_hops_bounded(void **state)
{
	/* l0 -> l1 -> ... -> l40 -> t: 41 links from l0, 40 from l1. */
	struct ent e[DFS_CHECK_LINKS_HOPS + 3];
	char names[DFS_CHECK_LINKS_HOPS + 1][8];
	struct dfs_check_links *l;
	struct dfs_record_error err;
	size_t n = 0;

	(void)state;
	for (unsigned i = 0; i <= DFS_CHECK_LINKS_HOPS; i++)
		snprintf(names[i], sizeof(names[i]), "l%u", i);
	e[n++] = (struct ent){"t/", 'd', NULL};
	e[n++] = (struct ent){names[DFS_CHECK_LINKS_HOPS], 'l', "t"};
	for (unsigned i = DFS_CHECK_LINKS_HOPS; i-- > 0;)
		e[n++] = (struct ent){names[i], 'l', names[i + 1]};
	assert_int_equal(dfs_check_links_new(DFS_CHECK_LINKS_MAX, &l), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(feed(l, &e[i], &err), 0);
	assert_int_equal(feed(l, &(struct ent){"l1/f", 'f', NULL}, &err), 0);
	assert_int_equal(feed(l, &(struct ent){"l0/f", 'f', NULL}, &err),
			 -EBADMSG);
	assert_message(&err, "unsafe_path",
		       "too many symbolic links to follow (over 40");
	assert_message(&err, "unsafe_path", "l0 and l40: l0/f");
	assert_int_equal(dfs_check_links_finish(l, &err), 0);
	dfs_check_links_free(l);
}

static void test_check_links_entry_loop_refused(void **state)
{
	/* The link that closes a loop is refused: it leads nowhere. */
	static const struct ent loop[] = {
		{"a", 'l', "b"},
		{"b", 'l', "a"},
	};
	static const struct ent self[] = {
		{"a", 'l', "a/x"},
	};

	(void)state;
	assert_last_refused(loop, 2, -EBADMSG, "unsafe_path",
			    "too many symbolic links");
	assert_last_refused(self, 1, -EBADMSG, "unsafe_path",
			    "too many symbolic links");
}

static void test_check_links_entry_walk_bounded(void **state)
{
	size_t n = DFS_CHECK_LINKS_WALK_MAX / 2 + 8;
	char *target = malloc(n + 1), *path = malloc(2 * n + 1);
	struct dfs_check_links *l;
	struct dfs_record_error err;

	(void)state;
	assert_non_null(target);
	assert_non_null(path);
	memset(target, 'a', n);
	target[n] = '\0';
	/* Each target alone fits; followed twice in one walk it does not. */
	assert_int_equal(dfs_check_links_new(DFS_CHECK_LINKS_MAX, &l), 0);
	assert_int_equal(feed(l, &(struct ent){"p", 'l', target}, &err), 0);
	assert_int_equal(feed(l, &(struct ent){"q", 'l', target}, &err), 0);
	assert_int_equal(feed(l, &(struct ent){"r", 'l', "p/../q"}, &err),
			 -EBADMSG);
	assert_message(&err, "unsafe_path", "bytes of path");
	memset(path, 'b', 2 * n);
	memcpy(path + 2 * n - 2, "/f", 3);
	assert_int_equal(feed(l, &(struct ent){path, 'f', NULL}, &err),
			 -EBADMSG);
	dfs_check_links_free(l);
	free(path);
	free(target);
}

static void test_check_links_entry_memory_bounded(void **state)
{
	struct dfs_check_links *l;
	struct dfs_record_error err;
	char name[32];
	int rc = 0;
	unsigned i;

	(void)state;
	assert_int_equal(dfs_check_links_new(8192, &l), 0);
	/* Files, and a link replaced again and again, take nothing. */
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "dir/f%u", i);
		assert_int_equal(feed(l, &(struct ent){name, 'f', NULL}, &err),
				 0);
		assert_int_equal(feed(l, &(struct ent){"cur", 'l', name}, &err),
				 0);
	}
	for (i = 0; i < 10000 && rc == 0; i++) {
		snprintf(name, sizeof(name), "links/l%u", i);
		rc = feed(l, &(struct ent){name, 'l', "../dir"}, &err);
	}
	assert_int_equal(rc, -EFBIG);
	assert_true(i > 20 && i < 200);
	assert_message(&err, "too_large",
		       "more symbolic links than the check keeps (over 8192");
	dfs_check_links_free(l);
}

/* The full check of @n entries, with @filter. */
static void check_entries(struct tu_fix *fix, const struct tu_entry *e,
			  size_t n, const char *filter,
			  struct dfs_check_result *res)
{
	uint8_t *buf;
	size_t len;

	tu_archive_or_skip(e, n, filter, &buf, &len);
	tu_check_buf(fix, buf, len, -1, res);
	free(buf);
}

static void test_check_finish_link_chain_escapes(void **state)
{
	static const struct tu_entry e[] = {
		{.path = "app/ok", .type = 'f', .size = 10},
		{.path = "a/l", .type = 'l', .link = ".."},
		{.path = "a/m", .type = 'l', .link = "l/.."},
		{.path = "app/more", .type = 'f', .size = 10},
	};
	static const struct tu_entry later[] = {
		{.path = "x", .type = 'l', .link = "d/.."},
		{.path = "d", .type = 'l', .link = "."},
		{.path = "app/ok", .type = 'f', .size = 10},
	};
	struct dfs_check_result res;

	check_entries(*state, e, 4, "gzip", &res);
	assert_string_equal(res.error.code, "unsafe_path");
	assert_non_null(strstr(res.error.message, "a/l: a/m -> l/.."));
	assert_int_equal(res.entries, 4); /* read to the end all the same */
	check_entries(*state, later, 3, "none", &res);
	assert_string_equal(res.error.code, "unsafe_path");
	assert_non_null(strstr(res.error.message, "once unpacked"));
}

static void test_check_finish_link_chains_inside_safe(void **state)
{
	static const struct tu_entry e[] = {
		{.path = "v2/bin/app", .type = 'f', .size = 10},
		{.path = "shared/lib/libx.so", .type = 'f', .size = 10},
		{.path = "cur", .type = 'l', .link = "v2"},
		{.path = "v2/lib", .type = 'l', .link = "../shared/lib"},
		{.path = "bin", .type = 'l', .link = "cur/bin"},
		{.path = "bin/tool", .type = 'f', .size = 3},
		{.path = "lib.so", .type = 'h', .link = "cur/lib/libx.so"},
	};
	struct dfs_check_result res;

	check_entries(*state, e, 7, "gzip", &res);
	assert_string_equal(res.error.code, "");
	assert_int_equal(res.entries, 7);
}

static void test_check_finish_links_memory_bounded(void **state)
{
	/* Past DFS_CHECK_LINKS_MAX bytes of links: too_large, stopped. */
	size_t tlen = 30000, n = DFS_CHECK_LINKS_MAX / tlen + 2;
	struct tu_entry *e = calloc(n, sizeof(*e));
	char *target = malloc(tlen + 1), (*names)[16] = calloc(n, 16);
	struct dfs_check_result res;

	assert_non_null(e);
	assert_non_null(target);
	assert_non_null(names);
	memset(target, 't', tlen);
	target[tlen] = '\0';
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], 16, "l/%zu", i);
		e[i] = (struct tu_entry){
			.path = names[i], .type = 'l', .link = target};
	}
	check_entries(*state, e, n, "gzip", &res);
	assert_string_equal(res.error.code, "too_large");
	assert_non_null(strstr(res.error.message, "more symbolic links"));
	assert_true(res.entries < n);
	free(names);
	free(target);
	free(e);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_dir_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_links_entry_chain_escapes),
		T(test_check_links_entry_chain_through_dirs_escapes),
		T(test_check_links_entry_through_link_escapes),
		T(test_check_links_entry_hardlink_escapes),
		T(test_check_links_finish_redirected_escapes),
		T(test_check_links_entry_dir_on_link_escapes),
		T(test_check_links_entry_file_on_link_escapes),
		T(test_check_links_entry_file_on_link_inside_safe),
		T(test_check_links_entry_cost_bounded),
		T(test_check_links_entry_cost_usual_safe),
		T(test_check_links_entry_order_safe),
		T(test_check_links_entry_chains_inside_safe),
		T(test_check_links_entry_hops_bounded),
		T(test_check_links_entry_loop_refused),
		T(test_check_links_entry_walk_bounded),
		T(test_check_links_entry_memory_bounded),
		T(test_check_finish_link_chain_escapes),
		T(test_check_finish_link_chains_inside_safe),
		T(test_check_finish_links_memory_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
