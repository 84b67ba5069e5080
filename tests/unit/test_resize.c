/*
 * test_resize.c - mmapio_resize() and mmapio_refresh(): data kept, growth
 * reads zeros, shrink, views pin the mapping, external size changes,
 * resizes racing readers.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static mmapio_file *pattern_rw(char *p, size_t size, unsigned seed)
{
	return th_open_pattern(p, "resize", size, seed, MMAPIO_RW);
}

static void test_grow_keeps_data(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page(), old = 5000, nsz = 3 * pg + 17;
	unsigned char *want = malloc(old), *got = malloc(nsz);
	mmapio_file *f = pattern_rw(p, old, 1);
	(void)state;

	th_fill(want, old, 1);
	assert_ok(mmapio_resize(f, nsz));
	assert_int_equal(mmapio_size(f), nsz);
	assert_int_equal(th_disk_size(p), nsz);
	memset(got, 0xee, nsz);
	assert_ok(mmapio_read(f, 0, got, nsz));
	assert_memory_equal(got, want, old);
	assert_true(th_all_zero(got + old, nsz - old));
	assert_ok(mmapio_write(f, nsz - 1, "z", 1));
	assert_rc(mmapio_write(f, nsz, "z", 1), -ERANGE);
	assert_ok(mmapio_read(f, nsz, got, 0));
	assert_ok(mmapio_close(f));
	th_pread_file(p, nsz - 1, got, 1);
	assert_int_equal(got[0], 'z');
	free(want);
	free(got);
}

static void test_grow_large(void **state)
{
	char p[TH_PATH_MAX];
	uint64_t big = (uint64_t)200 << 20; /* beyond the default reserve */
	unsigned char want[4096], got[4096];
	mmapio_file *f = pattern_rw(p, sizeof(want), 2);
	(void)state;

	th_fill(want, sizeof(want), 2);
	assert_ok(mmapio_resize(f, big));
	assert_int_equal(mmapio_size(f), big);
	assert_ok(mmapio_read(f, 0, got, sizeof(got)));
	assert_memory_equal(got, want, sizeof(want));
	assert_ok(mmapio_write(f, big - 4, "tail", 4));
	assert_ok(mmapio_read(f, big - 4096, got, 4096));
	assert_true(th_all_zero(got, 4092));
	assert_memory_equal(got + 4092, "tail", 4);
	assert_ok(mmapio_resize(f, 4096));
	assert_ok(mmapio_read(f, 0, got, sizeof(got)));
	assert_memory_equal(got, want, sizeof(want));
	assert_ok(mmapio_close(f));
	assert_int_equal(th_disk_size(p), 4096);
}

static void test_shrink(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char want[20000], got[20000];
	mmapio_file *f = pattern_rw(p, sizeof(want), 3);
	(void)state;

	th_fill(want, sizeof(want), 3);
	assert_ok(mmapio_resize(f, 1000));
	assert_int_equal(mmapio_size(f), 1000);
	assert_int_equal(th_disk_size(p), 1000);
	assert_ok(mmapio_read(f, 0, got, 1000));
	assert_memory_equal(got, want, 1000);
	assert_ok(mmapio_read(f, 1000, got, 0));
	assert_rc(mmapio_read(f, 999, got, 2), -ERANGE);
	assert_rc(mmapio_read(f, 1001, got, 0), -ERANGE);
	assert_rc(mmapio_read(f, 5000, got, 10), -ERANGE);
	assert_rc(mmapio_write(f, 1000, "x", 1), -ERANGE);
	/* growing again exposes zeros, not the old bytes */
	assert_ok(mmapio_resize(f, 20000));
	assert_ok(mmapio_read(f, 0, got, 20000));
	assert_memory_equal(got, want, 1000);
	assert_true(th_all_zero(got + 1000, 19000));
	/* same size is a no-op */
	assert_ok(mmapio_resize(f, 20000));
	assert_int_equal(mmapio_size(f), 20000);
	assert_ok(mmapio_close(f));
}

static void test_resize_errors(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_rw(p, 3000, 4), *ro, *cow;
	(void)state;

	assert_rc(mmapio_resize(f, 0), -EINVAL);
	assert_int_equal(mmapio_size(f), 3000);
	assert_int_equal(th_disk_size(p), 3000);
	ro = th_open(p, MMAPIO_RO);
	cow = th_open(p, MMAPIO_COW);
	assert_rc(mmapio_resize(ro, 5000), -EBADF);
	assert_rc(mmapio_resize(cow, 5000), -EBADF);
	assert_rc(mmapio_resize(cow, 100), -EBADF);
	assert_int_equal(mmapio_size(ro), 3000);
	assert_int_equal(mmapio_size(cow), 3000);
	assert_int_equal(th_disk_size(p), 3000);
	assert_ok(mmapio_close(cow));
	assert_ok(mmapio_close(ro));
	assert_ok(mmapio_close(f));
}

static void test_resize_with_views(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char want[8192], got[8192];
	mmapio_file *f = pattern_rw(p, sizeof(want), 5);
	mmapio_view v, w;
	mmapio_segment *s = NULL;
	mmapio_iter *it = NULL;
	(void)state;

	th_fill(want, sizeof(want), 5);
	assert_ok(mmapio_view_acquire(f, 0, 100, &v));
	assert_rc(mmapio_resize(f, 4096), -EBUSY);
	assert_int_equal(mmapio_size(f), sizeof(want));
	assert_int_equal(th_disk_size(p), sizeof(want));
	assert_memory_equal(v.data, want, 100);
	/* growth within the reservation keeps the address */
	assert_ok(mmapio_resize(f, 1u << 20));
	assert_int_equal(mmapio_size(f), 1u << 20);
	assert_ok(mmapio_view_acquire(f, 0, 1u << 20, &w));
	assert_ptr_equal(w.data, v.data);
	assert_memory_equal(v.data, want, 100);
	mmapio_view_release(&w);
	mmapio_view_release(&v);
	assert_ok(mmapio_resize(f, 4096));
	assert_int_equal(mmapio_size(f), 4096);

	/* segments and iterators pin the mapping too */
	assert_ok(mmapio_segment_open(&s, f, 0, 10));
	assert_rc(mmapio_resize(f, 2048), -EBUSY);
	mmapio_segment_close(s);
	assert_ok(mmapio_iter_chunks(&it, f, 1000));
	assert_rc(mmapio_resize(f, 2048), -EBUSY);
	mmapio_iter_close(it);
	assert_int_equal(mmapio_size(f), 4096);
	assert_ok(mmapio_read(f, 0, got, 4096));
	assert_memory_equal(got, want, 4096);
	assert_ok(mmapio_resize(f, 2048));
	assert_ok(mmapio_close(f));
}

/* Past a small explicit reservation, growth with a view outstanding maps
 * the file again elsewhere; the old view stays valid and coherent with the
 * new mapping (both share the file's pages). */
static void test_grow_past_reservation_with_view(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_options o = { 0 };
	mmapio_file *f = NULL;
	mmapio_view v, w;
	unsigned char got[16], want[16];
	(void)state;

	th_unique(p, "reserve");
	th_pattern_file(p, pg, 6);
	th_fill(want, sizeof(want), 6);
	o.mode = MMAPIO_RW;
	o.reserve = 2 * pg;
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_ok(mmapio_view_acquire(f, 0, 16, &v));
	assert_ok(mmapio_resize(f, 256 * pg));
	assert_int_equal(mmapio_size(f), 256 * pg);
	assert_memory_equal(v.data, want, 16);
	assert_ok(mmapio_view_acquire_mut(f, 0, 256 * pg, &w));
	memcpy(w.data, "through new", 11);
	assert_memory_equal(v.data, "through new", 11);
	mmapio_view_release(&w);
	mmapio_view_release(&v);
	assert_ok(mmapio_resize(f, 512 * pg));
	assert_int_equal(mmapio_size(f), 512 * pg);
	assert_ok(mmapio_write(f, 512 * pg - 3, "end", 3));
	assert_ok(mmapio_read(f, 512 * pg - 3, got, 3));
	assert_memory_equal(got, "end", 3);
	assert_ok(mmapio_close(f));
}

static void test_refresh_growth(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char want[4096], got[20000];
	mmapio_file *f = pattern_rw(p, sizeof(want), 7);
	uint64_t ns = 0;
	mmapio_view v, w;
	int fd;
	(void)state;

	th_fill(want, sizeof(want), 7);
	assert_ok(mmapio_refresh(f, &ns));
	assert_int_equal(ns, 4096);
	assert_ok(mmapio_view_acquire(f, 0, 16, &v));
	fd = open(p, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 20000), 0);
	assert_int_equal(pwrite(fd, "outside", 7, 15000), 7);
	close(fd);
	/* not picked up until refresh */
	assert_int_equal(mmapio_size(f), 4096);
	assert_rc(mmapio_read(f, 15000, got, 7), -ERANGE);
	assert_ok(mmapio_refresh(f, &ns));
	assert_int_equal(ns, 20000);
	assert_int_equal(mmapio_size(f), 20000);
	assert_ok(mmapio_read(f, 0, got, 20000));
	assert_memory_equal(got, want, 4096);
	assert_true(th_all_zero(got + 4096, 15000 - 4096));
	assert_memory_equal(got + 15000, "outside", 7);
	assert_ok(mmapio_write(f, 19999, "!", 1));
	/* the view kept its address */
	assert_ok(mmapio_view_acquire(f, 0, 20000, &w));
	assert_ptr_equal(w.data, v.data);
	mmapio_view_release(&w);
	mmapio_view_release(&v);
	assert_ok(mmapio_refresh(f, NULL));
	assert_ok(mmapio_close(f));
	th_pread_file(p, 19999, got, 1);
	assert_int_equal(got[0], '!');
}

static void test_refresh_shrink(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char want[20000], got[20000];
	mmapio_file *f = pattern_rw(p, sizeof(want), 8);
	uint64_t ns = 0;
	(void)state;

	th_fill(want, sizeof(want), 8);
	th_truncate(p, 1000);
	assert_ok(mmapio_refresh(f, &ns));
	assert_int_equal(ns, 1000);
	assert_int_equal(mmapio_size(f), 1000);
	assert_ok(mmapio_read(f, 0, got, 1000));
	assert_memory_equal(got, want, 1000);
	assert_rc(mmapio_read(f, 999, got, 2), -ERANGE);
	assert_rc(mmapio_read(f, 10000, got, 10), -ERANGE);
	assert_rc(mmapio_write(f, 1000, "x", 1), -ERANGE);
	/* down to empty and back */
	th_truncate(p, 0);
	assert_ok(mmapio_refresh(f, &ns));
	assert_int_equal(ns, 0);
	assert_rc(mmapio_read(f, 0, got, 1), -ERANGE);
	th_truncate(p, 3000);
	assert_ok(mmapio_refresh(f, &ns));
	assert_int_equal(ns, 3000);
	assert_ok(mmapio_read(f, 0, got, 3000));
	assert_true(th_all_zero(got, 3000));
	assert_ok(mmapio_close(f));
}

static void test_refresh_ro_and_cow(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char got[8192];
	mmapio_file *ro, *cow;
	uint64_t ns = 0;
	(void)state;

	th_unique(p, "refresh-ro");
	th_pattern_file(p, 4096, 9);
	ro = th_open(p, MMAPIO_RO);
	cow = th_open(p, MMAPIO_COW);
	th_truncate(p, 8192);
	assert_ok(mmapio_refresh(ro, &ns));
	assert_int_equal(ns, 8192);
	assert_ok(mmapio_read(ro, 4096, got, 4096));
	assert_true(th_all_zero(got, 4096));
	assert_ok(mmapio_refresh(cow, &ns));
	assert_int_equal(ns, 8192);
	assert_ok(mmapio_read(cow, 0, got, 8192));
	assert_ok(mmapio_close(cow));
	assert_ok(mmapio_close(ro));
}

struct reader {
	mmapio_file *f;
	atomic_int *stop;
	int bad_rc;
	int bad_data;
	unsigned long ok;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	size_t pg = th_page();
	unsigned char want[64], got[256];
	unsigned x = 1;

	th_fill(want, sizeof(want), 10);
	while (!atomic_load(r->stop)) {
		uint64_t off;
		int rc = mmapio_read(r->f, 0, got, sizeof(want));
		if (rc != 0) {
			r->bad_rc = rc;
			break;
		}
		if (memcmp(got, want, sizeof(want)) != 0) {
			r->bad_data = 1;
			break;
		}
		x = x * 1103515245u + 12345u;
		off = pg + (x >> 8) % (63 * pg);
		rc = mmapio_read(r->f, off, got, sizeof(got));
		if (rc != 0 && rc != -ERANGE) {
			r->bad_rc = rc;
			break;
		}
		if (rc == 0 && !th_all_zero(got, sizeof(got))) {
			r->bad_data = 2;
			break;
		}
		r->ok++;
	}
	return NULL;
}

/* Reads racing resizes: in bounds means right data, else -ERANGE; never
 * -EIO from a stale bounds check nor a crash. */
static void test_resize_races_readers(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = pattern_rw(p, 64, 10);
	atomic_int stop = 0;
	pthread_t t[4];
	struct reader r[4];
	unsigned rounds = th_valgrind() ? 40 : 400;
	(void)state;

	th_guard_begin();
	assert_ok(mmapio_resize(f, pg));
	for (unsigned i = 0; i < 4; i++) {
		r[i] = (struct reader){ f, &stop, 0, 0, 0 };
		assert_int_equal(
			pthread_create(&t[i], NULL, reader_thread, &r[i]), 0);
	}
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t sz = (i % 2) ? 64 * pg : pg + (i % 7) * 100;
		int rc = mmapio_resize(f, sz);
		if (rc != 0) {
			atomic_store(&stop, 1);
			for (unsigned k = 0; k < 4; k++)
				pthread_join(t[k], NULL);
			fail_msg("resize #%u to %llu returned %d (%s)", i,
				 (unsigned long long)sz, rc,
				 mmapio_strerror(rc));
		}
	}
	atomic_store(&stop, 1);
	for (unsigned i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < 4; i++) {
		if (r[i].bad_rc)
			fail_msg("reader %u: read returned %d (%s)", i,
				 r[i].bad_rc, mmapio_strerror(r[i].bad_rc));
		if (r[i].bad_data)
			fail_msg("reader %u: wrong data (case %d)", i,
				 r[i].bad_data);
	}
	assert_ok(mmapio_close(f));
	th_guard_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_grow_keeps_data),
		TH_TEST(test_grow_large),
		TH_TEST(test_shrink),
		TH_TEST(test_resize_errors),
		TH_TEST(test_resize_with_views),
		TH_TEST(test_grow_past_reservation_with_view),
		TH_TEST(test_refresh_growth),
		TH_TEST(test_refresh_shrink),
		TH_TEST(test_refresh_ro_and_cow),
		TH_TEST(test_resize_races_readers),
	};

	th_init();
	return th_fini(
		cmocka_run_group_tests_name("resize", tests, NULL, NULL));
}
