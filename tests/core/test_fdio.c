/*
 * test_fdio — whole writes: every byte lands, a short write is carried
 * on from, and write(2)'s errors come back as -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdio.h"

/* An unlinked temp file open for reading and writing. */
static int temp_fd(void)
{
	char path[] = "/tmp/dfs-fdio-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static void test_fdio_write_all_every_byte(void **state)
{
	size_t n = 3 * 1024 * 1024 + 17;
	char *buf = malloc(n), *back = malloc(n);
	int fd = temp_fd();

	(void)state;
	assert_non_null(buf);
	assert_non_null(back);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(i * 31 + 7);
	assert_int_equal(dfs_fdio_write_all(fd, buf, n), 0);
	assert_int_equal(dfs_fdio_write_all(fd, buf, 0), 0);
	assert_int_equal(pread(fd, back, n, 0), (ssize_t)n);
	assert_memory_equal(buf, back, n);
	close(fd);
	free(buf);
	free(back);
}

/* A file size limit makes the first write short and the next one fail. */
static void test_fdio_write_all_short_then_error(void **state)
{
	struct rlimit old, lim;
	char buf[4000];
	struct stat st;
	int fd = temp_fd();

	(void)state;
	memset(buf, 'x', sizeof(buf));
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(dfs_fdio_write_all(fd, buf, sizeof(buf)), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	/* The short write's bytes were kept: it went on from there. */
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 1000);
	close(fd);
}

static void test_fdio_write_all_errors(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(dfs_fdio_write_all(-1, "x", 1), -EBADF);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(dfs_fdio_write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdio_write_all_every_byte),
		cmocka_unit_test(test_fdio_write_all_short_then_error),
		cmocka_unit_test(test_fdio_write_all_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
