/*
 * test_times.c - entries' times (src/fs/times.h): the floor taken from
 * the backing file, writes moving only the entries named, changes from
 * outside moving every entry, times set with utimensat kept until the
 * next change, and the bound: a record pushed out raises its file's
 * floor, so no entry ever shows a time older than its last change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "times.h"

static struct stat backing(time_t mtime)
{
	struct stat b;

	memset(&b, 0, sizeof(b));
	b.st_mtim.tv_sec = mtime;
	b.st_ctim.tv_sec = mtime;
	return b;
}

static time_t mtime_of(struct mmapfs_times *t, uint32_t node, uint64_t ino,
		       const struct stat *b, bool live)
{
	struct timespec m, c;

	mmapfs_times_get(t, node, ino, b, live, &m, &c);
	return m.tv_sec;
}

static struct timespec at(time_t s)
{
	return (struct timespec){ .tv_sec = s };
}

static void floor_from_backing(void **state)
{
	struct mmapfs_times t;
	struct stat b = backing(100), later = backing(200);
	struct timespec latest;

	(void)state;
	uint64_t ino = 9;
	struct timespec now = at(200);

	assert_int_equal(mmapfs_times_init(&t, 2, 16), 0);
	assert_int_equal(mtime_of(&t, 1, 7, &b, false), 100);
	assert_false(mmapfs_times_ahead(&t, 1, &b.st_mtim, &latest));
	/* Kept, not live: our own write moved the backing file, and only
	 * the entry it touched moves. */
	mmapfs_times_written(&t, 1, &ino, 1, &now);
	assert_int_equal(mtime_of(&t, 1, 8, &later, false), 100);
	/* Live (no outside changes reported): follows it. */
	assert_int_equal(mtime_of(&t, 1, 8, &later, true), 200);
	mmapfs_times_destroy(&t);
}

static void writes_move_only_the_entries_named(void **state)
{
	struct mmapfs_times t;
	struct stat b = backing(100);
	uint64_t inos[] = { 7, 9 };
	struct timespec now = at(150), latest;

	(void)state;
	assert_int_equal(mmapfs_times_init(&t, 2, 16), 0);
	mmapfs_times_written(&t, 1, inos, 2, &now);
	assert_int_equal(mtime_of(&t, 1, 7, &b, false), 150);
	assert_int_equal(mtime_of(&t, 1, 9, &b, false), 150);
	assert_int_equal(mtime_of(&t, 1, 8, &b, false), 100);
	assert_true(mmapfs_times_ahead(&t, 1, &b.st_mtim, &latest));
	assert_int_equal(latest.tv_sec, 150);
	now = latest; /* not later than itself */
	assert_false(mmapfs_times_ahead(&t, 1, &now, &latest));
	now = at(160);
	mmapfs_times_all_written(&t, 1, &now);
	assert_int_equal(mtime_of(&t, 1, 8, &b, false), 160);
	mmapfs_times_destroy(&t);
}

static void outside_moves_every_entry(void **state)
{
	struct mmapfs_times t;
	struct stat b = backing(100), out = backing(300);
	uint64_t ino = 7;
	struct timespec now = at(350);

	(void)state;
	assert_int_equal(mmapfs_times_init(&t, 2, 16), 0);
	assert_int_equal(mtime_of(&t, 1, 8, &b, false), 100);
	mmapfs_times_outside(&t, 1, &out);
	assert_int_equal(mtime_of(&t, 1, 8, &b, false), 300);
	/* A later write through the mount stays later. */
	mmapfs_times_written(&t, 1, &ino, 1, &now);
	assert_int_equal(mtime_of(&t, 1, 7, &b, false), 350);
	/* Another file is not moved. */
	assert_int_equal(mtime_of(&t, 0, 5, &b, false), 100);
	mmapfs_times_destroy(&t);
}

/* The backing file's mtime later than our last write and the floor: a
 * change from outside no event reported (a store through a mapping). */
static void unexplained_mtime_moves_every_entry(void **state)
{
	struct mmapfs_times t;
	struct stat b = backing(100), ours = backing(150),
		    theirs = backing(170);
	uint64_t ino = 7;
	struct timespec now = at(150);

	(void)state;
	assert_int_equal(mmapfs_times_init(&t, 2, 16), 0);
	assert_int_equal(mtime_of(&t, 1, 8, &b, false), 100);
	mmapfs_times_written(&t, 1, &ino, 1, &now);
	/* Our own write moved it: only the entry written moves. */
	assert_int_equal(mtime_of(&t, 1, 8, &ours, false), 100);
	assert_int_equal(mtime_of(&t, 1, 7, &ours, false), 150);
	/* Later than our last write: someone else's. */
	assert_int_equal(mtime_of(&t, 1, 8, &theirs, false), 170);
	mmapfs_times_destroy(&t);
}

static void set_times_kept_until_a_change(void **state)
{
	struct mmapfs_times t;
	struct stat b = backing(100), out = backing(400);
	struct timespec set = at(50), now = at(120);

	(void)state;
	assert_int_equal(mmapfs_times_init(&t, 2, 16), 0);
	assert_int_equal(mmapfs_times_set(&t, 1, 7, &set, &now), 0);
	/* Older than the floor, as rsync -a restores it. */
	assert_int_equal(mtime_of(&t, 1, 7, &b, false), 50);
	mmapfs_times_outside(&t, 1, &out);
	assert_int_equal(mtime_of(&t, 1, 7, &b, false), 400);
	mmapfs_times_destroy(&t);
}

static void eviction_never_goes_back(void **state)
{
	struct mmapfs_times t;
	struct stat b = backing(100);

	(void)state;
	assert_int_equal(mmapfs_times_init(&t, 2, 4), 0);
	for (uint64_t i = 0; i < 64; i++) {
		struct timespec now = at(200 + (time_t)i);

		mmapfs_times_written(&t, 1, &i, 1, &now);
		assert_true(t.count <= 4);
	}
	/* Every entry shows at least its last write. */
	for (uint64_t i = 0; i < 64; i++)
		assert_true(mtime_of(&t, 1, i, &b, false) >= 200 + (time_t)i);
	mmapfs_times_destroy(&t);
	mmapfs_times_destroy(&t); /* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(floor_from_backing),
		cmocka_unit_test(writes_move_only_the_entries_named),
		cmocka_unit_test(outside_moves_every_entry),
		cmocka_unit_test(unexplained_mtime_moves_every_entry),
		cmocka_unit_test(set_times_kept_until_a_change),
		cmocka_unit_test(eviction_never_goes_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
