/*
 * test_rw.c - bounds-checked reads and writes: the bounds matrix applied to
 * every range-taking call, round trips, coherence with the file and with a
 * second handle, concurrent writers.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S 10000u

struct range {
	uint64_t off;
	uint64_t len;
	int want; /* 0 or -ERANGE */
};

/* The bounds matrix for a file of S bytes.  Lengths are kept <= SIZE_MAX. */
static const struct range matrix[] = {
	{ 0, 0, 0 },
	{ 0, S, 0 },
	{ 0, 1, 0 },
	{ S - 1, 1, 0 },
	{ S, 0, 0 },
	{ 1, S - 1, 0 },
	{ S + 1, 0, -ERANGE },
	{ S, 1, -ERANGE },
	{ S - 1, 2, -ERANGE },
	{ 0, S + 1, -ERANGE },
	{ 1, S, -ERANGE },
	{ UINT64_MAX, 0, -ERANGE },
	{ UINT64_MAX, 1, -ERANGE },
	{ UINT64_MAX - 1, 2, -ERANGE },
	{ 1, SIZE_MAX, -ERANGE },
	{ S - 1, SIZE_MAX, -ERANGE },
	{ 2, SIZE_MAX - 1, -ERANGE },
	{ S, SIZE_MAX, -ERANGE },
	{ (uint64_t)1 << 63, (uint64_t)1 << 63, -ERANGE },
};

#define NMATRIX (sizeof(matrix) / sizeof(matrix[0]))

static mmapio_file *pattern_handle(char *p, mmapio_mode mode, unsigned seed)
{
	return th_open_pattern(p, "rw", S, seed, mode);
}

static void report(const char *fn, const struct range *r, int rc)
{
	if (rc != r->want)
		fail_msg("%s(off=%llu, len=%llu) returned %d (%s), expected %d",
			 fn, (unsigned long long)r->off,
			 (unsigned long long)r->len, rc, mmapio_strerror(rc),
			 r->want);
}

static void test_bounds_read(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char *buf = malloc(S + 16), want[S];
	mmapio_file *f = pattern_handle(p, MMAPIO_RO, 1);
	(void)state;

	th_fill(want, S, 1);
	for (size_t i = 0; i < NMATRIX; i++) {
		const struct range *r = &matrix[i];
		/* Failing calls get a tiny buffer: they must not touch it. */
		size_t cap = r->want == 0 ? S + 16 : 16;
		int rc;
		memset(buf, 0xa5, cap);
		rc = mmapio_read(f, r->off, buf, (size_t)r->len);
		report("mmapio_read", r, rc);
		if (rc == 0) {
			assert_memory_equal(buf, want + r->off, r->len);
			assert_int_equal(buf[r->len], 0xa5);
		} else {
			for (size_t k = 0; k < cap; k++)
				if (buf[k] != 0xa5)
					fail_msg("failed read (off=%llu, "
						 "len=%llu) wrote byte %zu",
						 (unsigned long long)r->off,
						 (unsigned long long)r->len, k);
		}
	}
	free(buf);
	assert_ok(mmapio_close(f));
}

static void test_bounds_write(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char *src = calloc(1, S + 16), got[S], want[S];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 2);
	(void)state;

	th_fill(want, S, 2);
	for (size_t i = 0; i < NMATRIX; i++) {
		const struct range *r = &matrix[i];
		report("mmapio_write", r,
		       mmapio_write(f, r->off, src, (size_t)r->len));
		if (r->want == 0)
			memset(want + r->off, 0, r->len);
		assert_ok(mmapio_read(f, 0, got, S));
		if (memcmp(got, want, S) != 0)
			fail_msg("content wrong after write(off=%llu, "
				 "len=%llu)",
				 (unsigned long long)r->off,
				 (unsigned long long)r->len);
	}
	assert_int_equal(mmapio_size(f), S);
	free(src);
	assert_ok(mmapio_close(f));
	assert_int_equal(th_disk_size(p), S);
}

/* A NULL buffer is refused, never taken for the mapping; with len 0 there
 * is nothing to copy and the call succeeds. */
static void test_null_buffers(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char got[16], want[16];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 4);
	(void)state;

	th_fill(want, sizeof(want), 4);
	assert_rc(mmapio_read(f, 0, NULL, 16), -EINVAL);
	assert_rc(mmapio_write(f, 0, NULL, 16), -EINVAL);
	assert_ok(mmapio_read(f, 0, NULL, 0));
	assert_ok(mmapio_write(f, 0, NULL, 0));
	assert_ok(mmapio_read(f, 0, got, sizeof(got)));
	assert_memory_equal(got, want, sizeof(got));
	assert_ok(mmapio_close(f));
}

static void test_bounds_views(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 3);
	unsigned char *base = th_base(f);
	(void)state;

	for (size_t i = 0; i < NMATRIX; i++) {
		const struct range *r = &matrix[i];
		mmapio_view v = { 0 }, m = { 0 };
		report("mmapio_view_acquire", r,
		       mmapio_view_acquire(f, r->off, r->len, &v));
		report("mmapio_view_acquire_mut", r,
		       mmapio_view_acquire_mut(f, r->off, r->len, &m));
		if (r->want == 0) {
			assert_int_equal(v.len, r->len);
			assert_int_equal(v.off, r->off);
			assert_ptr_equal(v.file, f);
			if (r->len > 0)
				assert_ptr_equal(v.data, base + r->off);
			else
				assert_null(v.data);
			assert_int_equal(mmapio_view_count(f), 2);
		} else {
			assert_null(v.file);
			assert_null(m.file);
			assert_int_equal(mmapio_view_count(f), 0);
		}
		mmapio_view_release(&v);
		mmapio_view_release(&m);
		assert_int_equal(mmapio_view_count(f), 0);
	}
	/* beyond SIZE_MAX is not representable on 64-bit: plain overflow */
	{
		mmapio_view v = { 0 };
		assert_rc(mmapio_view_acquire(f, 1, UINT64_MAX, &v), -ERANGE);
		assert_rc(mmapio_view_acquire(f, UINT64_MAX, UINT64_MAX, &v),
			  -ERANGE);
	}
	assert_ok(mmapio_close(f));
}

static void test_bounds_other_calls(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 4);
	(void)state;

	for (size_t i = 0; i < NMATRIX; i++) {
		const struct range *r = &matrix[i];
		mmapio_segment *s = NULL;
		int rc;
		report("mmapio_flush_range", r,
		       mmapio_flush_range(f, r->off, r->len));
		report("mmapio_mark_dirty", r,
		       mmapio_mark_dirty(f, r->off, r->len));
		rc = mmapio_segment_open(&s, f, r->off, r->len);
		report("mmapio_segment_open", r, rc);
		if (rc == 0) {
			assert_int_equal(mmapio_segment_offset(s), r->off);
			assert_int_equal(mmapio_segment_len(s), r->len);
		} else {
			assert_null(s);
		}
		mmapio_segment_close(s);
		/* advise, lock and prewarm read len 0 as "to the end" */
		if (r->len != 0 || r->want != 0) {
			report("mmapio_advise", r,
			       mmapio_advise(f, r->off, r->len,
					     MMAPIO_ADV_NORMAL));
			report("mmapio_prewarm", r,
			       mmapio_prewarm(f, r->off, r->len));
			report("mmapio_lock", r,
			       mmapio_lock(f, r->off, r->len));
			report("mmapio_unlock", r,
			       mmapio_unlock(f, r->off, r->len));
		}
		if (r->want != 0)
			report("mmapio_flush_async", r,
			       mmapio_flush_async(f, r->off, r->len, NULL,
						  NULL));
	}
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
}

static void test_bounds_empty_file(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f;
	mmapio_view v;
	unsigned char b = 0;
	(void)state;

	th_unique(p, "rw-empty");
	th_write_file(p, "", 0);
	f = th_open(p, MMAPIO_RW);
	assert_ok(mmapio_read(f, 0, &b, 0));
	assert_ok(mmapio_write(f, 0, &b, 0));
	assert_rc(mmapio_read(f, 0, &b, 1), -ERANGE);
	assert_rc(mmapio_write(f, 0, &b, 1), -ERANGE);
	assert_rc(mmapio_read(f, 1, &b, 0), -ERANGE);
	assert_rc(mmapio_read(f, UINT64_MAX, &b, 1), -ERANGE);
	assert_rc(mmapio_view_acquire(f, 1, 0, &v), -ERANGE);
	assert_ok(mmapio_flush_range(f, 0, 0));
	assert_rc(mmapio_flush_range(f, 0, 1), -ERANGE);
	assert_ok(mmapio_close(f));
	assert_int_equal(th_disk_size(p), 0);
}

static void test_roundtrip(void **state)
{
	static const struct {
		uint64_t off;
		size_t len;
	} cases[] = { { 0, 1 },	      { 1, 4095 },   { 4095, 2 },
		      { 4096, 4096 }, { 100, 9000 }, { S - 7, 7 } };
	char p[TH_PATH_MAX];
	unsigned char want[S], got[S], buf[S];
	mmapio_file *f = NULL;
	(void)state;

	th_unique(p, "roundtrip");
	assert_ok(mmapio_create(&f, p, S));
	memset(want, 0, S);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		th_fill(buf, cases[i].len, (unsigned)i + 50);
		assert_ok(mmapio_write(f, cases[i].off, buf, cases[i].len));
		memcpy(want + cases[i].off, buf, cases[i].len);
		memset(got, 0, S);
		assert_ok(mmapio_read(f, cases[i].off, got, cases[i].len));
		assert_memory_equal(got, buf, cases[i].len);
	}
	assert_ok(mmapio_read(f, 0, got, S));
	assert_memory_equal(got, want, S);
	/* a shared mapping is coherent with the page cache: no flush needed */
	th_pread_file(p, 0, got, S);
	assert_memory_equal(got, want, S);
	assert_ok(mmapio_close(f));
}

static void test_two_handles_coherent(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *a, *b, *r;
	unsigned char got[16];
	(void)state;

	th_unique(p, "coherent");
	th_pattern_file(p, S, 5);
	a = th_open(p, MMAPIO_RW);
	b = th_open(p, MMAPIO_RW);
	r = th_open(p, MMAPIO_RO);
	assert_ok(mmapio_write(a, 5000, "from-a", 6));
	assert_ok(mmapio_read(b, 5000, got, 6));
	assert_memory_equal(got, "from-a", 6);
	assert_ok(mmapio_read(r, 5000, got, 6));
	assert_memory_equal(got, "from-a", 6);
	assert_ok(mmapio_write(b, 0, "from-b", 6));
	assert_ok(mmapio_read(a, 0, got, 6));
	assert_memory_equal(got, "from-b", 6);
	assert_ok(mmapio_close(r));
	assert_ok(mmapio_close(b));
	assert_ok(mmapio_close(a));
}

#define WRITERS 4
#define SLICE 4096

struct writer {
	mmapio_file *f;
	unsigned id;
	int bad;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	unsigned char buf[SLICE], got[SLICE];
	unsigned iters = th_valgrind() ? 50 : 2000;

	for (unsigned i = 0; i < iters; i++) {
		memset(buf, (int)(w->id * 16 + (i & 15)), SLICE);
		if (mmapio_write(w->f, (uint64_t)w->id * SLICE, buf, SLICE) ||
		    mmapio_read(w->f, (uint64_t)w->id * SLICE, got, SLICE) ||
		    memcmp(buf, got, SLICE) != 0) {
			w->bad = 1;
			break;
		}
	}
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = NULL;
	pthread_t t[WRITERS];
	struct writer w[WRITERS];
	(void)state;

	th_unique(p, "writers");
	assert_ok(mmapio_create(&f, p, WRITERS * SLICE));
	for (unsigned i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ f, i, 0 };
		assert_int_equal(
			pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
	}
	for (unsigned i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < WRITERS; i++)
		if (w[i].bad)
			fail_msg("writer %u read back something else", i);
	assert_ok(mmapio_close(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_bounds_read),
		TH_TEST(test_bounds_write),
		TH_TEST(test_null_buffers),
		TH_TEST(test_bounds_views),
		TH_TEST(test_bounds_other_calls),
		TH_TEST(test_bounds_empty_file),
		TH_TEST(test_roundtrip),
		TH_TEST(test_two_handles_coherent),
		TH_TEST(test_concurrent_writers),
	};

	th_init();
	return th_fini(cmocka_run_group_tests_name("rw", tests, NULL, NULL));
}
