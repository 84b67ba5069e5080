/*
 * test_iter.c - chunk counts and zero-copy chunk/page iteration.
 */
#include "helpers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static mmapio_file *pattern_handle(char *p, size_t size, mmapio_mode mode)
{
	return th_open_pattern(p, "iter", size, (unsigned)size, mode);
}

static void test_chunk_count(void **state)
{
	static const struct {
		uint64_t size;
		uint64_t want;
	} cases[] = { { 3000, 4 },  { 1, 10240 },      { 10240, 1 },
		      { 10239, 2 }, { 5120, 2 },       { 10241, 1 },
		      { 20000, 1 }, { UINT64_MAX, 1 }, { 1024, 10 } };
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, 10240, MMAPIO_RO);
	uint64_t n = 77;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = 77;
		assert_ok(mmapio_chunk_count(f, cases[i].size, &n));
		if (n != cases[i].want)
			fail_msg("chunk_count(10240 bytes, %llu) = %llu, "
				 "expected %llu",
				 (unsigned long long)cases[i].size,
				 (unsigned long long)n,
				 (unsigned long long)cases[i].want);
	}
	n = 77;
	assert_rc(mmapio_chunk_count(f, 0, &n), -EINVAL);
	assert_ok(mmapio_close(f));

	th_unique(p, "iter-empty");
	th_write_file(p, "", 0);
	f = th_open(p, MMAPIO_RO);
	assert_ok(mmapio_chunk_count(f, 3000, &n));
	assert_int_equal(n, 0);
	assert_ok(mmapio_chunk_count(f, 1, &n));
	assert_int_equal(n, 0);
	assert_rc(mmapio_chunk_count(f, 0, &n), -EINVAL);
	assert_ok(mmapio_close(f));
}

/* Walk an iterator and check each piece against the whole-file view. */
static unsigned walk(mmapio_iter *it, mmapio_file *f, uint64_t piece,
		     const unsigned char *want, uint64_t *last_len)
{
	uint64_t size = mmapio_size(f);
	unsigned char *base = th_base(f);
	unsigned n = 0;
	mmapio_view v;
	int rc;

	memset(&v, 0x5a, sizeof(v));
	while ((rc = mmapio_iter_next(it, &v)) == 1) {
		uint64_t off = (uint64_t)n * piece;
		uint64_t len = size - off < piece ? size - off : piece;
		if (v.off != off || v.len != len)
			fail_msg("piece %u: off %llu len %zu, expected off "
				 "%llu len %llu",
				 n, (unsigned long long)v.off, v.len,
				 (unsigned long long)off,
				 (unsigned long long)len);
		/* zero-copy: a pointer into the mapping */
		assert_ptr_equal(v.data, base + off);
		assert_null(v.file);
		assert_memory_equal(v.data, want + off, len);
		*last_len = v.len;
		n++;
		memset(&v, 0x5a, sizeof(v));
	}
	assert_rc(rc, 0);
	/* stays at the end */
	assert_rc(mmapio_iter_next(it, &v), 0);
	return n;
}

static void test_iter_chunks(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char want[10240];
	mmapio_file *f = pattern_handle(p, sizeof(want), MMAPIO_RO);
	mmapio_iter *it = NULL;
	uint64_t last = 0;
	(void)state;

	th_fill(want, sizeof(want), sizeof(want));
	assert_ok(mmapio_iter_chunks(&it, f, 3000));
	assert_non_null(it);
	assert_int_equal(mmapio_view_count(f), 1);
	assert_int_equal(walk(it, f, 3000, want, &last), 4);
	assert_int_equal(last, 1240);
	mmapio_iter_close(it);
	assert_int_equal(mmapio_view_count(f), 0);

	/* exact multiple: no empty tail piece */
	assert_ok(mmapio_iter_chunks(&it, f, 5120));
	assert_int_equal(walk(it, f, 5120, want, &last), 2);
	assert_int_equal(last, 5120);
	mmapio_iter_close(it);
	/* one piece larger than the file */
	assert_ok(mmapio_iter_chunks(&it, f, 1u << 30));
	assert_int_equal(walk(it, f, 1u << 30, want, &last), 1);
	assert_int_equal(last, 10240);
	mmapio_iter_close(it);
	assert_ok(mmapio_close(f));
}

static void test_iter_pages(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page(), size = 3 * pg + 100;
	unsigned char *want = malloc(size);
	mmapio_file *f = pattern_handle(p, size, MMAPIO_RW);
	mmapio_iter *it = NULL;
	uint64_t last = 0, n = 0;
	(void)state;

	th_fill(want, size, (unsigned)size);
	assert_ok(mmapio_chunk_count(f, pg, &n));
	assert_int_equal(n, 4);
	assert_ok(mmapio_iter_pages(&it, f));
	assert_int_equal(walk(it, f, pg, want, &last), 4);
	assert_int_equal(last, 100);
	mmapio_iter_close(it);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
	free(want);
}

static void test_iter_empty_file(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f;
	mmapio_iter *it = NULL;
	mmapio_view v;
	(void)state;

	th_unique(p, "iter-empty");
	th_write_file(p, "", 0);
	f = th_open(p, MMAPIO_RO);
	assert_ok(mmapio_iter_chunks(&it, f, 3000));
	assert_rc(mmapio_iter_next(it, &v), 0);
	assert_rc(mmapio_iter_next(it, &v), 0);
	mmapio_iter_close(it);
	assert_ok(mmapio_iter_pages(&it, f));
	assert_rc(mmapio_iter_next(it, &v), 0);
	mmapio_iter_close(it);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
}

static void test_iter_errors(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, 5000, MMAPIO_RO);
	mmapio_iter *it = NULL;
	(void)state;

	assert_rc(mmapio_iter_chunks(&it, f, 0), -EINVAL);
	assert_null(it);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_iter_chunks(&it, f, 1000));
	assert_rc(mmapio_iter_next(it, NULL), -EINVAL);
	mmapio_iter_close(it);
	mmapio_iter_close(NULL);
	assert_ok(mmapio_close(f));
}

/* The iterator yields the pieces of the size at open, even if the file
 * grows meanwhile (growth within the reservation keeps the address). */
static void test_iter_size_at_open(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char want[10240];
	mmapio_file *f = pattern_handle(p, sizeof(want), MMAPIO_RW);
	mmapio_iter *it = NULL, *it2 = NULL;
	mmapio_view v;
	unsigned n = 0;
	uint64_t total = 0;
	(void)state;

	th_fill(want, sizeof(want), sizeof(want));
	assert_ok(mmapio_iter_chunks(&it, f, 3000));
	assert_ok(mmapio_iter_chunks(&it2, f, 3000));
	assert_int_equal(mmapio_view_count(f), 2);
	assert_ok(mmapio_resize(f, 20000));
	while (mmapio_iter_next(it, &v) == 1) {
		total += v.len;
		n++;
	}
	assert_int_equal(n, 4);
	assert_int_equal(total, 10240);
	/* the second iterator is independent */
	assert_rc(mmapio_iter_next(it2, &v), 1);
	assert_int_equal(v.off, 0);
	assert_memory_equal(v.data, want, 3000);
	mmapio_iter_close(it);
	mmapio_iter_close(it2);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_chunk_count), TH_TEST(test_iter_chunks),
		TH_TEST(test_iter_pages),  TH_TEST(test_iter_empty_file),
		TH_TEST(test_iter_errors), TH_TEST(test_iter_size_at_open),
	};

	th_init();
	return th_fini(cmocka_run_group_tests_name("iter", tests, NULL, NULL));
}
