/*
 * test_views.c - zero-copy views (acquire, release, count, mutability),
 * close refused while anything holds the mapping, and segments (bounded,
 * relative offsets, flush of their own range).
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define S 10000u

static mmapio_file *pattern_handle(char *p, mmapio_mode mode, unsigned seed)
{
	return th_open_pattern(p, "views", S, seed, mode);
}

static void test_acquire_release_count(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RO, 1);
	unsigned char want[S];
	mmapio_view a, b, e;
	(void)state;

	th_fill(want, S, 1);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_view_acquire(f, 0, 100, &a));
	assert_int_equal(mmapio_view_count(f), 1);
	assert_non_null(a.data);
	assert_int_equal(a.len, 100);
	assert_int_equal(a.off, 0);
	assert_ptr_equal(a.file, f);
	assert_memory_equal(a.data, want, 100);
	assert_ok(mmapio_view_acquire(f, 100, 50, &b));
	assert_int_equal(mmapio_view_count(f), 2);
	assert_ptr_equal(b.data, (unsigned char *)a.data + 100);
	assert_int_equal(b.off, 100);
	assert_memory_equal(b.data, want + 100, 50);
	/* empty view: data NULL, still counted until released */
	assert_ok(mmapio_view_acquire(f, S, 0, &e));
	assert_null(e.data);
	assert_int_equal(e.len, 0);
	assert_int_equal(mmapio_view_count(f), 3);
	mmapio_view_release(&e);
	assert_null(e.file);
	assert_int_equal(mmapio_view_count(f), 2);

	mmapio_view_release(&a);
	assert_null(a.file);
	assert_int_equal(mmapio_view_count(f), 1);
	mmapio_view_release(&a); /* idempotent */
	assert_int_equal(mmapio_view_count(f), 1);
	mmapio_view_release(NULL);
	mmapio_view_release(&b);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
}

static void test_acquire_errors(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RO, 2);
	mmapio_view v = { 0 };
	(void)state;

	assert_rc(mmapio_view_acquire(f, 0, 10, NULL), -EINVAL);
	assert_rc(mmapio_view_acquire_mut(f, 0, 10, NULL), -EINVAL);
	assert_rc(mmapio_view_acquire(f, S + 1, 0, &v), -ERANGE);
	assert_null(v.file);
	assert_rc(mmapio_view_acquire_mut(f, 0, 10, &v), -EBADF);
	assert_null(v.file);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
}

static void test_mut_view_writes(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 3);
	mmapio_view v;
	unsigned char got[8];
	(void)state;

	assert_ok(mmapio_view_acquire_mut(f, 4000, 8, &v));
	assert_ptr_equal(v.file, f);
	memcpy(v.data, "RAWWRITE", 8);
	assert_ok(mmapio_read(f, 4000, got, 8));
	assert_memory_equal(got, "RAWWRITE", 8);
	th_pread_file(p, 4000, got, 8);
	assert_memory_equal(got, "RAWWRITE", 8);
	mmapio_view_release(&v);
	/* read views see writes made through the handle */
	assert_ok(mmapio_write(f, 10, "abc", 3));
	assert_ok(mmapio_view_acquire(f, 10, 3, &v));
	assert_memory_equal(v.data, "abc", 3);
	mmapio_view_release(&v);
	assert_ok(mmapio_close(f));
	th_pread_file(p, 4000, got, 8);
	assert_memory_equal(got, "RAWWRITE", 8);
}

static void test_close_busy(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 4);
	mmapio_view v;
	mmapio_segment *s = NULL;
	mmapio_iter *it = NULL;
	_Atomic uint64_t *a = NULL;
	unsigned char got[4];
	(void)state;

	assert_ok(mmapio_view_acquire(f, 0, 4, &v));
	assert_rc(mmapio_close(f), -EBUSY);
	/* the handle is untouched */
	assert_ok(mmapio_write(f, 0, "live", 4));
	assert_ok(mmapio_read(f, 0, got, 4));
	assert_memory_equal(got, "live", 4);
	assert_memory_equal(v.data, "live", 4);
	mmapio_view_release(&v);

	assert_ok(mmapio_segment_open(&s, f, 0, 10));
	assert_rc(mmapio_close(f), -EBUSY);
	mmapio_segment_close(s);

	assert_ok(mmapio_iter_pages(&it, f));
	assert_rc(mmapio_close(f), -EBUSY);
	mmapio_iter_close(it);

	assert_ok(mmapio_atomic_u64(f, 8, &v, &a));
	assert_rc(mmapio_close(f), -EBUSY);
	mmapio_view_release(&v);

	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
	th_pread_file(p, 0, got, 4);
	assert_memory_equal(got, "live", 4);
}

static void test_segment_bounds(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 5);
	mmapio_segment *s = NULL, *t = NULL;
	unsigned char want[S], got[300];
	(void)state;

	th_fill(want, S, 5);
	assert_ok(mmapio_segment_open(&s, f, 100, 200));
	assert_non_null(s);
	assert_int_equal(mmapio_segment_offset(s), 100);
	assert_int_equal(mmapio_segment_len(s), 200);
	assert_int_equal(mmapio_view_count(f), 1);
	/* offsets are relative */
	assert_ok(mmapio_segment_read(s, 0, got, 200));
	assert_memory_equal(got, want + 100, 200);
	assert_ok(mmapio_segment_read(s, 150, got, 50));
	assert_memory_equal(got, want + 250, 50);
	/* bounded by the segment, not by the file */
	assert_rc(mmapio_segment_read(s, 150, got, 51), -ERANGE);
	assert_rc(mmapio_segment_read(s, 0, got, 201), -ERANGE);
	assert_rc(mmapio_segment_read(s, 201, got, 0), -ERANGE);
	assert_ok(mmapio_segment_read(s, 200, got, 0));
	assert_rc(mmapio_segment_read(s, UINT64_MAX, got, 2), -ERANGE);
	assert_rc(mmapio_segment_read(s, 1, got, SIZE_MAX), -ERANGE);
	assert_rc(mmapio_segment_write(s, 199, "ab", 2), -ERANGE);
	assert_rc(mmapio_segment_write(s, 200, "a", 1), -ERANGE);
	assert_rc(mmapio_segment_write(s, 2, "a", SIZE_MAX), -ERANGE);
	assert_ok(mmapio_read(f, 0, got, 300));
	assert_memory_equal(got, want, 300);

	assert_ok(mmapio_segment_write(s, 0, "SEG", 3));
	assert_ok(mmapio_segment_write(s, 197, "END", 3));
	assert_ok(mmapio_read(f, 100, got, 3));
	assert_memory_equal(got, "SEG", 3);
	assert_ok(mmapio_read(f, 297, got, 3));
	assert_memory_equal(got, "END", 3);
	assert_ok(mmapio_read(f, 300, got, 1));
	assert_int_equal(got[0], want[300]);

	/* a second, overlapping segment sees the same bytes */
	assert_ok(mmapio_segment_open(&t, f, 99, 5));
	assert_int_equal(mmapio_view_count(f), 2);
	assert_ok(mmapio_segment_read(t, 1, got, 3));
	assert_memory_equal(got, "SEG", 3);
	mmapio_segment_close(t);
	mmapio_segment_close(s);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
	th_pread_file(p, 100, got, 3);
	assert_memory_equal(got, "SEG", 3);
}

static void test_segment_open_errors(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RO, 6);
	mmapio_segment *s = NULL;
	unsigned char b;
	(void)state;

	assert_rc(mmapio_segment_open(&s, f, S - 10, 11), -ERANGE);
	assert_null(s);
	assert_rc(mmapio_segment_open(&s, f, S + 1, 0), -ERANGE);
	assert_rc(mmapio_segment_open(&s, f, 1, UINT64_MAX), -ERANGE);
	assert_null(s);
	assert_int_equal(mmapio_view_count(f), 0);
	/* empty segment at the end */
	assert_ok(mmapio_segment_open(&s, f, S, 0));
	assert_int_equal(mmapio_segment_len(s), 0);
	assert_ok(mmapio_segment_read(s, 0, &b, 0));
	assert_rc(mmapio_segment_read(s, 0, &b, 1), -ERANGE);
	mmapio_segment_close(s);
	/* RO segments read, refuse writes, and flush as a no-op */
	assert_ok(mmapio_segment_open(&s, f, 0, S));
	assert_ok(mmapio_segment_read(s, S - 1, &b, 1));
	assert_rc(mmapio_segment_write(s, 0, "x", 1), -EBADF);
	assert_ok(mmapio_segment_flush(s));
	mmapio_segment_close(s);
	assert_ok(mmapio_close(f));
}

static void test_segment_flush(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = NULL;
	mmapio_segment *s = NULL;
	unsigned char *base;
	unsigned n;
	(void)state;

	th_unique(p, "seg-flush");
	assert_ok(mmapio_create(&f, p, 8 * pg));
	base = th_base(f);
	assert_ok(mmapio_segment_open(&s, f, pg + 100, 2 * pg));
	assert_ok(mmapio_segment_write(s, 0, "x", 1));
	th_record_msync();
	assert_ok(mmapio_segment_flush(s));
	n = th_msync_count();
	assert_true(n >= 1);
	{
		struct th_call c = th_msync_call(n - 1);
		th_assert_sync_covers(&c, base + pg + 100, 2 * pg);
		/* its own range widened to pages, not the whole file */
		assert_true(c.addr >= (uintptr_t)(base + pg));
		assert_true(c.addr + c.len <= (uintptr_t)(base + 4 * pg));
	}
	mmapio_segment_close(s);
	assert_ok(mmapio_close(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_acquire_release_count),
		TH_TEST(test_acquire_errors),
		TH_TEST(test_mut_view_writes),
		TH_TEST(test_close_busy),
		TH_TEST(test_segment_bounds),
		TH_TEST(test_segment_open_errors),
		TH_TEST(test_segment_flush),
	};

	th_init();
	return th_fini(cmocka_run_group_tests_name("views", tests, NULL, NULL));
}
