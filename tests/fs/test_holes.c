/*
 * test_holes.c - allocation and SEEK_DATA/SEEK_HOLE inside a window of a
 * sparse file, as entries report them.
 *
 * The file is made in $TMPDIR (or /tmp): 64 KiB holes around a 16 KiB and
 * an 8 KiB data extent.  A file system that reports no holes there makes
 * the tests skip.
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

#include "holes.h"

#define K 1024u
/* Data at [64K, 80K) and [144K, 152K) of a 256 KiB file. */
#define D1 (64 * K)
#define D1_END (80 * K)
#define D2 (144 * K)
#define D2_END (152 * K)
#define SIZE (256 * K)

/* An unnamed empty file in $TMPDIR or /tmp. */
static int temp_fd(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/holes.XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static int make_sparse(void)
{
	char buf[16 * K];
	int fd = temp_fd();

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ftruncate(fd, SIZE), 0);
	assert_int_equal(pwrite(fd, buf, D1_END - D1, D1), D1_END - D1);
	assert_int_equal(pwrite(fd, buf, D2_END - D2, D2), D2_END - D2);
	assert_int_equal(fsync(fd), 0);
	if (lseek(fd, 0, SEEK_DATA) != D1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void counts_data_in_a_window(void **state)
{
	int fd = make_sparse();

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(mmapfs_holes_allocated(fd, 0, SIZE),
			 (D1_END - D1) + (D2_END - D2));
	/* A window cutting the first extent, and one of holes only. */
	assert_int_equal(mmapfs_holes_allocated(fd, 72 * K, 64 * K), 8 * K);
	assert_int_equal(mmapfs_holes_allocated(fd, 0, 64 * K), 0);
	assert_int_equal(mmapfs_holes_allocated(fd, 160 * K, 96 * K), 0);
	/* All data: the whole window. */
	assert_int_equal(mmapfs_holes_allocated(fd, D1, 16 * K), 16 * K);
	/* Past the file's end: nothing. */
	assert_int_equal(mmapfs_holes_allocated(fd, SIZE, 64 * K), 0);
	close(fd);
}

static void seeks_relative_to_the_window(void **state)
{
	uint64_t w = 48 * K, len = 128 * K, out = 0; /* [48K, 176K) */
	int fd = make_sparse();

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(mmapfs_holes_seek(fd, w, len, 0, SEEK_DATA, &out), 0);
	assert_int_equal(out, D1 - w);
	assert_int_equal(mmapfs_holes_seek(fd, w, len, out, SEEK_HOLE, &out),
			 0);
	assert_int_equal(out, D1_END - w);
	assert_int_equal(mmapfs_holes_seek(fd, w, len, out, SEEK_DATA, &out),
			 0);
	assert_int_equal(out, D2 - w);
	assert_int_equal(mmapfs_holes_seek(fd, w, len, 0, SEEK_HOLE, &out), 0);
	assert_int_equal(out, 0);
	/* No data after the last extent inside the window: -ENXIO. */
	assert_int_equal(
		mmapfs_holes_seek(fd, w, len, D2_END - w, SEEK_DATA, &out),
		-ENXIO);
	/* The window's end is a hole even where the file has data. */
	assert_int_equal(mmapfs_holes_seek(fd, D1, 8 * K, 0, SEEK_HOLE, &out),
			 0);
	assert_int_equal(out, 8 * K);
	/* At or past the window's end: -ENXIO, as lseek(2) at a file's end. */
	assert_int_equal(mmapfs_holes_seek(fd, w, len, len, SEEK_DATA, &out),
			 -ENXIO);
	assert_int_equal(mmapfs_holes_seek(fd, w, len, len, SEEK_HOLE, &out),
			 -ENXIO);
	assert_int_equal(mmapfs_holes_seek(fd, w, len, 0, SEEK_END, &out),
			 -EINVAL);
	close(fd);
}

static void caps_the_extents_counted(void **state)
{
	char c = 'x';
	unsigned n = 2 * MMAPFS_HOLES_MAX_EXTENTS;
	uint64_t got;
	int fd = temp_fd();

	(void)state;
	/* One data block every other 64 KiB: 2 * MAX extents. */
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pwrite(fd, &c, 1, (off_t)i * 128 * K), 1);
	assert_int_equal(ftruncate(fd, (off_t)n * 128 * K), 0);
	if (lseek(fd, 0, SEEK_HOLE) >= (off_t)n * 128 * K) {
		close(fd);
		skip();
	}
	got = mmapfs_holes_allocated(fd, 0, (uint64_t)n * 128 * K);
	/* Never under the truth, never the whole range. */
	assert_true(got >= (uint64_t)n * 4 * K);
	assert_true(got < (uint64_t)n * 128 * K);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_data_in_a_window),
		cmocka_unit_test(seeks_relative_to_the_window),
		cmocka_unit_test(caps_the_extents_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
