/*
 * test_faults.c - external truncation under a handle (SIGBUS turned into
 * -EIO by the library's copies; raw pointers not guarded), and injected
 * failures of mmap, msync, ftruncate and fstat through the seam: the
 * matching -errno, nothing leaked, the handle still usable.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL ((mmapio_file *)(uintptr_t)0x5a5a5a5a)
#define PAGES 4

static mmapio_file *pattern_handle(char *p, mmapio_mode mode)
{
	return th_open_pattern(p, "faults", PAGES * th_page(), 1, mode);
}

/* Shrink the file behind the handle's back: no refresh. */
static void shrink_behind(const char *p, uint64_t size)
{
	int fd = open(p, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

struct sigbus_reader {
	mmapio_file *f;
	uint64_t off;
	int rc;
};

static void *sigbus_read_thread(void *arg)
{
	struct sigbus_reader *r = arg;
	unsigned char buf[64];

	r->rc = mmapio_read(r->f, r->off, buf, sizeof(buf));
	return NULL;
}

static void test_truncated_read_is_eio(void **state)
{
	static const mmapio_mode modes[] = { MMAPIO_RW, MMAPIO_RO, MMAPIO_COW };
	size_t pg = th_page();
	(void)state;

	th_guard_begin();
	for (size_t m = 0; m < 3; m++) {
		char p[TH_PATH_MAX];
		mmapio_file *f = pattern_handle(p, modes[m]);
		unsigned char want[100], buf[100];
		mmapio_segment *s = NULL;
		struct sigbus_reader r;
		pthread_t t;

		th_fill(want, sizeof(want), 1);
		assert_ok(mmapio_segment_open(&s, f, 2 * pg, pg));
		shrink_behind(p, pg);
		assert_int_equal(mmapio_size(f), PAGES * pg);
		for (int i = 0; i < 3; i++)
			assert_rc(mmapio_read(f, 2 * pg, buf, 100), -EIO);
		assert_rc(mmapio_read(f, pg - 10, buf, 100), -EIO);
		if (modes[m] != MMAPIO_RO)
			assert_rc(mmapio_write(f, 3 * pg, "x", 1), -EIO);
		assert_rc(mmapio_segment_read(s, 0, buf, 10), -EIO);
		if (modes[m] != MMAPIO_RO)
			assert_rc(mmapio_segment_write(s, 5, "x", 1), -EIO);
		/* another thread has its own recovery point */
		r = (struct sigbus_reader){ f, 3 * pg, 1 };
		assert_int_equal(
			pthread_create(&t, NULL, sigbus_read_thread, &r), 0);
		pthread_join(t, NULL);
		assert_rc(r.rc, -EIO);
		/* the process lives on and the backed part still reads */
		assert_ok(mmapio_read(f, 0, buf, 100));
		assert_memory_equal(buf, want, 100);
		mmapio_segment_close(s);
		/* prewarm of the vanished range */
		assert_rc(mmapio_prewarm(f, 2 * pg, pg), -EIO);
		/* after refresh the range is gone: -ERANGE */
		assert_ok(mmapio_refresh(f, NULL));
		assert_int_equal(mmapio_size(f), pg);
		assert_rc(mmapio_read(f, 2 * pg, buf, 100), -ERANGE);
		assert_ok(mmapio_close(f));
	}
	th_guard_end();
}

/* Raw pointers are not guarded: the fault reaches the previous handler
 * (here the default action) instead of being swallowed. */
static void test_raw_view_fault_not_swallowed(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = pattern_handle(p, MMAPIO_RO);
	mmapio_view v;
	int status = 0;
	pid_t pid;
	(void)state;

	th_guard_begin();
	assert_ok(mmapio_view_acquire(f, 0, PAGES * pg, &v));
	shrink_behind(p, pg);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		volatile unsigned char *q = v.data;
		unsigned char c;
		th_child();
		c = q[3 * pg];
		_exit(c == 0 ? 42 : 43); /* survived: wrong */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) &&
	    (WEXITSTATUS(status) == 42 || WEXITSTATUS(status) == 43))
		fail_msg("touching a truncated page through a raw view did "
			 "not fault: the library swallowed the SIGBUS");
	if (WIFSIGNALED(status) && th_valgrind() && WTERMSIG(status) != SIGBUS)
		/* valgrind reports a re-raised SIGBUS with the default
		 * action as an invalid read and ends the child by SIGSEGV */
		print_message("note: child died of signal %d under valgrind\n",
			      WTERMSIG(status));
	else if (WIFSIGNALED(status))
		assert_int_equal(WTERMSIG(status), SIGBUS);
	else /* a sanitizer's own SIGBUS report exits non-zero */
		assert_true(WEXITSTATUS(status) != 0);
	mmapio_view_release(&v);
	assert_ok(mmapio_close(f));
	th_guard_end();
}

struct snapshot {
	unsigned fds;
	unsigned tasks;
	uint64_t mapped;
};

static struct snapshot snap(void)
{
	struct snapshot s = { th_fd_count(), th_task_count(),
			      th_mapped_bytes() };
	return s;
}

#define RESERVE ((uint64_t)1 << 30)

static void check_no_leak(const struct snapshot *before, const char *p,
			  const char *what, unsigned k)
{
	struct snapshot now = snap();

	if (now.fds != before->fds)
		fail_msg("%s, mmap #%u failed: %u descriptors open, %u before",
			 what, k, now.fds, before->fds);
	if (!th_wait_task_count(before->tasks, th_ms(1000)))
		fail_msg("%s, mmap #%u failed: %u threads, %u before", what, k,
			 th_task_count(), before->tasks);
	if (now.mapped > before->mapped + RESERVE / 2)
		fail_msg("%s, mmap #%u failed: %llu bytes mapped, %llu before "
			 "(reservation leaked)",
			 what, k, (unsigned long long)now.mapped,
			 (unsigned long long)before->mapped);
	if (p != NULL && th_maps_of(p) != 0)
		fail_msg("%s, mmap #%u failed: %s still mapped", what, k, p);
}

/*
 * Fail the 1st, 2nd, ... mmap of an open until one succeeds without
 * reaching the failing call.  Each failure: the errno, *out untouched,
 * no descriptor, thread or mapping left behind.  ENOMEM from the first
 * reservation may be absorbed by a smaller reservation (documented in
 * mmapio_options.reserve's fallback): then the open succeeds.
 */
static void fail_each_mmap(const char *what,
			   int (*open_fn)(mmapio_file **, const char *),
			   const char *p, int err)
{
	unsigned k;

	for (k = 1; k <= 16; k++) {
		mmapio_file *f = SENTINEL;
		struct snapshot before = snap();
		int rc;
		th_mmap_fail(k, err);
		rc = open_fn(&f, p);
		if (th_mmap_count() < k) {
			/* the open needed fewer mmap calls: success */
			mmapio__sys_reset();
			assert_rc(rc, 0);
			if (k == 1)
				fail_msg("%s made no mmap through the seam",
					 what);
			assert_ok(mmapio_close(f));
			check_no_leak(&before, p, what, k);
			return;
		}
		mmapio__sys_reset();
		if (rc == 0 && err == ENOMEM) {
			assert_ok(mmapio_close(f));
		} else {
			if (rc != -err)
				fail_msg("%s with mmap #%u failing (%s) "
					 "returned %d (%s)",
					 what, k, strerror(err), rc,
					 mmapio_strerror(rc));
			assert_ptr_equal(f, SENTINEL);
		}
		check_no_leak(&before, p, what, k);
	}
	fail_msg("%s: still failing after 16 mmap calls", what);
}

static int open_ro(mmapio_file **f, const char *p)
{
	mmapio_options o = { 0 };

	o.mode = MMAPIO_RO;
	o.reserve = RESERVE;
	return mmapio_open_ex(f, p, &o);
}

static int open_rw_interval(mmapio_file **f, const char *p)
{
	mmapio_options o = { 0 };

	o.mode = MMAPIO_RW;
	o.reserve = RESERVE;
	o.flush.kind = MMAPIO_FLUSH_INTERVAL;
	o.flush.n = 1000;
	return mmapio_open_ex(f, p, &o);
}

static int open_cow(mmapio_file **f, const char *p)
{
	mmapio_options o = { 0 };

	o.mode = MMAPIO_COW;
	o.reserve = RESERVE;
	return mmapio_open_ex(f, p, &o);
}

static int create_fn(mmapio_file **f, const char *p)
{
	return mmapio_create(f, p, 3 * th_page());
}

static int open_or_create_fn(mmapio_file **f, const char *p)
{
	return mmapio_open_or_create(f, p, 3 * th_page());
}

static void test_mmap_failure_at_open(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = SENTINEL;
	int rc;
	(void)state;

	th_unique(p, "mmap-fail");
	th_pattern_file(p, 5 * th_page(), 2);
	for (int i = 0; i < 2; i++) {
		int err = i == 0 ? EPERM : ENOMEM;
		fail_each_mmap("open RO", open_ro, p, err);
		fail_each_mmap("open RW+INTERVAL", open_rw_interval, p, err);
		fail_each_mmap("open COW", open_cow, p, err);
		fail_each_mmap("create", create_fn, p, err);
		th_unique(p, "mmap-fail-new");
		fail_each_mmap("open_or_create", open_or_create_fn, p, err);
	}

	/* every mmap failing: the errno is passed through as is */
	th_mmap_fail(0, ENOMEM);
	rc = mmapio_open(&f, p, MMAPIO_RW);
	assert_rc(rc, -ENOMEM);
	assert_ptr_equal(f, SENTINEL);
	th_mmap_fail(0, EACCES);
	rc = mmapio_open(&f, p, MMAPIO_RW);
	assert_rc(rc, -EACCES);
	assert_ptr_equal(f, SENTINEL);
}

static void test_mmap_failure_in_resize(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = pattern_handle(p, MMAPIO_RW);
	unsigned char want[100], buf[100];
	static const uint64_t sizes[] = { 8 * 4096, (uint64_t)300 << 20 };
	(void)state;

	th_fill(want, sizeof(want), 1);
	for (size_t i = 0; i < 2; i++) {
		int rc;
		th_mmap_fail(0, ENOMEM);
		rc = mmapio_resize(f, sizes[i]);
		if (th_mmap_count() > 0 && rc != -ENOMEM)
			fail_msg("resize to %llu with mmap failing returned "
				 "%d (%s)",
				 (unsigned long long)sizes[i], rc,
				 mmapio_strerror(rc));
		mmapio__sys_reset();
		if (rc == 0) {
			assert_int_equal(mmapio_size(f), sizes[i]);
		} else {
			assert_rc(rc, -ENOMEM);
			assert_int_equal(mmapio_size(f), PAGES * pg);
		}
		/* still usable */
		assert_ok(mmapio_read(f, 0, buf, 100));
		assert_memory_equal(buf, want, 100);
		assert_ok(mmapio_write(f, PAGES * pg - 1, "u", 1));
		assert_ok(mmapio_resize(f, sizes[i]));
		assert_int_equal(mmapio_size(f), sizes[i]);
		assert_ok(mmapio_resize(f, PAGES * pg));
	}
	assert_ok(mmapio_close(f));
}

static void test_msync_failure(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW);
	mmapio_segment *s = NULL;
	mmapio_flush_policy pol = { MMAPIO_FLUSH_ALWAYS, 0 };
	(void)state;

	assert_ok(mmapio_write(f, 0, "x", 1));
	th_msync_fail(EIO);
	assert_rc(mmapio_flush(f), -EIO);
	assert_rc(mmapio_flush_range(f, 0, 10), -EIO);
	assert_ok(mmapio_segment_open(&s, f, 0, 100));
	assert_rc(mmapio_segment_flush(s), -EIO);
	mmapio_segment_close(s);
	assert_ok(mmapio_set_flush_policy(f, &pol));
	assert_rc(mmapio_write(f, 10, "y", 1), -EIO);
	th_msync_fail(ENOMEM);
	assert_rc(mmapio_flush(f), -ENOMEM);
	/* recovers */
	th_msync_fail(0);
	assert_ok(mmapio_write(f, 10, "y", 1));
	assert_ok(mmapio_flush(f));
	/* close returns the final flush's result and frees regardless */
	th_msync_fail(EIO);
	assert_rc(mmapio_write(f, 20, "z", 1), -EIO);
	assert_rc(mmapio_close(f), -EIO);
}

struct async_result {
	atomic_int calls;
	atomic_int result;
};

static void async_cb(mmapio_file *f, int result, void *arg)
{
	struct async_result *r = arg;
	(void)f;
	atomic_store(&r->result, result);
	atomic_fetch_add(&r->calls, 1);
}

static void test_msync_failure_async(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = pattern_handle(p, MMAPIO_RW);
	struct async_result r;
	(void)state;

	atomic_init(&r.calls, 0);
	atomic_init(&r.result, 0);
	th_msync_fail(EIO);
	assert_ok(mmapio_flush_async(f, 0, 0, async_cb, &r));
	for (int i = 0; i < th_ms(3000) && atomic_load(&r.calls) == 0; i++)
		th_sleep_ms(1);
	assert_int_equal(atomic_load(&r.calls), 1);
	assert_rc(atomic_load(&r.result), -EIO);
	th_msync_fail(0);
	assert_ok(mmapio_close(f));
	assert_int_equal(atomic_load(&r.calls), 1);
}

static void test_ftruncate_failure(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = pattern_handle(p, MMAPIO_RW);
	unsigned char want[100], buf[100];
	mmapio_options o = { 0 };
	struct snapshot before;
	(void)state;

	th_fill(want, sizeof(want), 1);
	th_ftruncate_fail(ENOSPC);
	assert_rc(mmapio_resize(f, 16 * pg), -ENOSPC);
	assert_true(th_ftruncate_count() >= 1);
	assert_int_equal(mmapio_size(f), PAGES * pg);
	assert_rc(mmapio_resize(f, pg), -ENOSPC);
	assert_int_equal(mmapio_size(f), PAGES * pg);
	th_ftruncate_fail(EFBIG);
	assert_rc(mmapio_resize(f, 16 * pg), -EFBIG);
	mmapio__sys_reset();
	assert_int_equal(th_disk_size(p), PAGES * pg);
	/* unchanged and usable */
	assert_ok(mmapio_read(f, 0, buf, 100));
	assert_memory_equal(buf, want, 100);
	assert_ok(mmapio_write(f, PAGES * pg - 1, "u", 1));
	assert_ok(mmapio_resize(f, 16 * pg));
	assert_int_equal(mmapio_size(f), 16 * pg);
	assert_ok(mmapio_close(f));

	/* at creation */
	th_unique(p, "ftruncate-new");
	before = snap();
	th_ftruncate_fail(ENOSPC);
	f = SENTINEL;
	assert_rc(mmapio_create(&f, p, 8192), -ENOSPC);
	assert_ptr_equal(f, SENTINEL);
	th_unique(p, "ftruncate-new");
	assert_rc(mmapio_open_or_create(&f, p, 8192), -ENOSPC);
	assert_ptr_equal(f, SENTINEL);
	o.mode = MMAPIO_RW;
	o.flags = MMAPIO_O_CREATE | MMAPIO_O_TRUNCATE;
	o.size = 8192;
	assert_rc(mmapio_open_ex(&f, p, &o), -ENOSPC);
	assert_ptr_equal(f, SENTINEL);
	mmapio__sys_reset();
	check_no_leak(&before, NULL, "ftruncate", 0);
}

static void test_fstat_failure(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = SENTINEL;
	struct snapshot before;
	uint64_t ns = 7;
	(void)state;

	th_unique(p, "fstat");
	th_pattern_file(p, 8192, 3);
	before = snap();
	th_fstat_fail(EIO);
	assert_rc(mmapio_open(&f, p, MMAPIO_RO), -EIO);
	assert_ptr_equal(f, SENTINEL);
	mmapio__sys_reset();
	check_no_leak(&before, p, "fstat at open", 0);

	f = th_open(p, MMAPIO_RW);
	th_truncate(p, 20000);
	th_fstat_fail(EOVERFLOW);
	assert_rc(mmapio_refresh(f, &ns), -EOVERFLOW);
	assert_int_equal(mmapio_size(f), 8192);
	mmapio__sys_reset();
	assert_ok(mmapio_refresh(f, &ns));
	assert_int_equal(ns, 20000);
	assert_ok(mmapio_close(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_truncated_read_is_eio),
		TH_TEST(test_raw_view_fault_not_swallowed),
		TH_TEST(test_mmap_failure_at_open),
		TH_TEST(test_mmap_failure_in_resize),
		TH_TEST(test_msync_failure),
		TH_TEST(test_msync_failure_async),
		TH_TEST(test_ftruncate_failure),
		TH_TEST(test_fstat_failure),
	};

	th_init();
	return th_fini(
		cmocka_run_group_tests_name("faults", tests, NULL, NULL));
}
