/*
 * test_hints.c - madvise advice (every value, unaligned ranges widened, not
 * rejected), mlock/munlock, prewarm.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define PAGES 16

static bool thp_available(void)
{
	return access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
}

static mmapio_file *pattern_handle(char *p, mmapio_mode mode, unsigned seed)
{
	return th_open_pattern(p, "hints", PAGES * th_page(), seed, mode);
}

/* Pages of [p, p + len) resident in memory. */
static size_t resident_pages(const void *p, size_t len)
{
	size_t pg = th_page(), n = (len + pg - 1) / pg, count = 0;
	unsigned char *vec = calloc(n, 1);

	assert_non_null(vec);
	if (mincore((void *)p, len, vec) != 0)
		fail_msg("mincore: %s", strerror(errno));
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

static const struct {
	mmapio_advice adv;
	int madv;
	const char *name;
} advices[] = {
	{ MMAPIO_ADV_NORMAL, MADV_NORMAL, "NORMAL" },
	{ MMAPIO_ADV_RANDOM, MADV_RANDOM, "RANDOM" },
	{ MMAPIO_ADV_SEQUENTIAL, MADV_SEQUENTIAL, "SEQUENTIAL" },
	{ MMAPIO_ADV_WILLNEED, MADV_WILLNEED, "WILLNEED" },
	{ MMAPIO_ADV_DONTNEED, MADV_DONTNEED, "DONTNEED" },
	{ MMAPIO_ADV_HUGEPAGE, MADV_HUGEPAGE, "HUGEPAGE" },
	{ MMAPIO_ADV_NOHUGEPAGE, MADV_NOHUGEPAGE, "NOHUGEPAGE" },
};

static void check_advise(mmapio_file *f, uint64_t off, uint64_t len)
{
	unsigned char *base = th_base(f);
	uint64_t end = len == 0 ? mmapio_size(f) : off + len;

	for (size_t i = 0; i < sizeof(advices) / sizeof(advices[0]); i++) {
		bool huge = advices[i].adv == MMAPIO_ADV_HUGEPAGE ||
			    advices[i].adv == MMAPIO_ADV_NOHUGEPAGE;
		bool seen = false;
		int rc;
		th_record_madvise();
		rc = mmapio_advise(f, off, len, advices[i].adv);
		if (huge && !thp_available())
			assert_true(rc == 0 || rc == -EINVAL);
		else if (rc != 0)
			fail_msg("advise(%llu, %llu, %s) returned %d (%s)",
				 (unsigned long long)off,
				 (unsigned long long)len, advices[i].name, rc,
				 mmapio_strerror(rc));
		for (unsigned k = 0; k < th_madvise_count(); k++) {
			struct th_call c = th_madvise_call(k);
			if (c.arg != advices[i].madv)
				continue;
			assert_int_equal(c.addr % th_page(), 0);
			if (th_covers(&c, base + off, end - off))
				seen = true;
		}
		if (!seen)
			fail_msg("advise(%llu, %llu, %s): no madvise(%d) over "
				 "the widened range",
				 (unsigned long long)off,
				 (unsigned long long)len, advices[i].name,
				 advices[i].madv);
	}
}

static void test_advise_every_value(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 1);
	(void)state;

	check_advise(f, 1, pg + 5);	/* unaligned: widened */
	check_advise(f, pg - 1, 2);	/* straddles a page boundary */
	check_advise(f, 3 * pg, 0);	/* len 0: to the end */
	check_advise(f, 0, PAGES * pg); /* whole file */
	assert_ok(mmapio_close(f));

	f = pattern_handle(p, MMAPIO_RO, 1);
	check_advise(f, 7, 100);
	assert_ok(mmapio_close(f));
	f = pattern_handle(p, MMAPIO_COW, 1);
	check_advise(f, 7, 100);
	assert_ok(mmapio_close(f));
}

static void test_advise_errors(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 2);
	(void)state;

	assert_rc(mmapio_advise(f, 0, 10, (mmapio_advice)99), -EINVAL);
	assert_rc(mmapio_advise(f, 0, 10, (mmapio_advice)-1), -EINVAL);
	assert_rc(mmapio_advise(f, PAGES * pg + 1, 0, MMAPIO_ADV_NORMAL),
		  -ERANGE);
	assert_rc(mmapio_advise(f, PAGES * pg - 1, 2, MMAPIO_ADV_RANDOM),
		  -ERANGE);
	assert_rc(mmapio_advise(f, 1, UINT64_MAX, MMAPIO_ADV_WILLNEED),
		  -ERANGE);
	/* madvise(2) errors surface */
	th_madvise_fail(EAGAIN);
	assert_rc(mmapio_advise(f, 0, 10, MMAPIO_ADV_SEQUENTIAL), -EAGAIN);
	assert_true(th_madvise_count() >= 1);
	mmapio__sys_reset();
	assert_ok(mmapio_advise(f, 0, 10, MMAPIO_ADV_SEQUENTIAL));
	assert_ok(mmapio_close(f));
}

static void test_dontneed_keeps_data(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page(), size = PAGES * pg;
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 3);
	unsigned char *want = malloc(size), *got = malloc(size);
	(void)state;

	th_fill(want, size, 3);
	memcpy(want + 5 * pg + 3, "written", 7);
	assert_ok(mmapio_write(f, 5 * pg + 3, "written", 7));
	assert_ok(mmapio_advise(f, 0, 0, MMAPIO_ADV_DONTNEED));
	assert_ok(mmapio_read(f, 0, got, size));
	assert_memory_equal(got, want, size);
	assert_ok(mmapio_close(f));
	th_pread_file(p, 0, got, size);
	assert_memory_equal(got, want, size);
	free(want);
	free(got);
}

static bool lock_unavailable(int rc)
{
	struct rlimit rl;

	if (rc != -ENOMEM && rc != -EPERM && rc != -EAGAIN)
		return false;
	return geteuid() != 0 && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	       rl.rlim_cur != RLIM_INFINITY &&
	       rl.rlim_cur < PAGES * th_page() * 4;
}

static void test_lock_unlock(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page(), size = PAGES * pg;
	mmapio_file *f = pattern_handle(p, MMAPIO_RW, 4);
	unsigned char *base = th_base(f);
	long before = TH_ASAN ? -1 : th_vmlck_kb();
	int rc;
	(void)state;

	if (TH_ASAN)
		print_message("note: ASan makes mlock a no-op; VmLck not "
			      "checked\n");

	rc = mmapio_lock(f, 0, 0);
	if (lock_unavailable(rc)) {
		mmapio_close(f);
		th_skip("mlock refused by RLIMIT_MEMLOCK: %s",
			mmapio_strerror(rc));
	}
	assert_rc(rc, 0);
	if (before >= 0 && th_vmlck_kb() < before + (long)(size / 1024))
		fail_msg("VmLck %ld kB after lock(0, 0) of %zu kB, %ld before",
			 th_vmlck_kb(), size / 1024, before);
	assert_int_equal(resident_pages(base, size), PAGES);
	assert_ok(mmapio_unlock(f, 0, 0));
	if (before >= 0)
		assert_int_equal(th_vmlck_kb(), before);

	/* unaligned ranges are widened */
	assert_ok(mmapio_lock(f, pg + 1, 10));
	if (before >= 0)
		assert_int_equal(th_vmlck_kb(), before + (long)(pg / 1024));
	assert_ok(mmapio_unlock(f, pg + 1, 10));
	assert_ok(mmapio_lock(f, pg - 1, 2));
	if (before >= 0)
		assert_int_equal(th_vmlck_kb(), before + 2 * (long)(pg / 1024));
	assert_ok(mmapio_unlock(f, 0, 0));
	if (before >= 0)
		assert_int_equal(th_vmlck_kb(), before);

	assert_rc(mmapio_lock(f, size + 1, 0), -ERANGE);
	assert_rc(mmapio_lock(f, size - 1, 2), -ERANGE);
	assert_rc(mmapio_unlock(f, size + 1, 0), -ERANGE);
	assert_rc(mmapio_unlock(f, 1, UINT64_MAX), -ERANGE);
	assert_ok(mmapio_close(f));
	if (before >= 0)
		assert_int_equal(th_vmlck_kb(), before);
}

/* Write a file, push it out of the page cache, then prewarm it back. */
static void test_prewarm(void **state)
{
	static const mmapio_mode modes[] = { MMAPIO_RO, MMAPIO_RW, MMAPIO_COW };
	char p[TH_PATH_MAX];
	size_t pg = th_page(), size = PAGES * pg;
	(void)state;

	th_unique(p, "prewarm");
	th_pattern_file(p, size, 5);
	for (size_t m = 0; m < 3; m++) {
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		mmapio_file *f;
		unsigned char *base;
		assert_true(fd >= 0);
		fsync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
		f = th_open(p, modes[m]);
		base = th_base(f);
		assert_ok(mmapio_prewarm(f, 0, 0));
		if (resident_pages(base, size) != PAGES)
			fail_msg("mode %zu: %zu of %d pages resident after "
				 "prewarm(0, 0)",
				 m, resident_pages(base, size), PAGES);
		assert_ok(mmapio_prewarm(f, 1, 10));
		assert_ok(mmapio_prewarm(f, pg - 1, 2));
		assert_ok(mmapio_prewarm(f, size, 0));
		assert_rc(mmapio_prewarm(f, size + 1, 0), -ERANGE);
		assert_rc(mmapio_prewarm(f, size - 1, 2), -ERANGE);
		assert_rc(mmapio_prewarm(f, 1, UINT64_MAX), -ERANGE);
		assert_ok(mmapio_close(f));
	}
}

/* Populating at open works like prewarm. */
static void test_populate_at_open(void **state)
{
	char p[TH_PATH_MAX];
	size_t size = PAGES * th_page();
	mmapio_options o = { 0 };
	mmapio_file *f = NULL;
	int fd;
	(void)state;

	th_unique(p, "populate");
	th_pattern_file(p, size, 6);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	fsync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	o.mode = MMAPIO_RO;
	o.flags = MMAPIO_O_POPULATE;
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_int_equal(resident_pages(th_base(f), size), PAGES);
	assert_ok(mmapio_close(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_advise_every_value),
		TH_TEST(test_advise_errors),
		TH_TEST(test_dontneed_keeps_data),
		TH_TEST(test_lock_unlock),
		TH_TEST(test_prewarm),
		TH_TEST(test_populate_at_open),
	};

	th_init();
	return th_fini(cmocka_run_group_tests_name("hints", tests, NULL, NULL));
}
