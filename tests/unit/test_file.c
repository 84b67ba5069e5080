/*
 * test_file.c - opening, creating and closing files; modes; copy-on-write
 * isolation; open_or_create races; getters, version, page size, strerror.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL ((mmapio_file *)(uintptr_t)0x5a5a5a5a)

static void test_version_and_page_size(void **state)
{
	(void)state;
	assert_non_null(mmapio_version());
	assert_string_equal(mmapio_version(), MMAPIO_VERSION_STRING);
	assert_int_equal(mmapio_page_size(), (size_t)sysconf(_SC_PAGESIZE));
}

static void test_strerror(void **state)
{
	static const int named[] = { ERANGE, EBADF,  EINVAL, EIO,    EBUSY,
				     EEXIST, ENOENT, EACCES, ENOMEM, EAGAIN,
				     ENODEV, EISDIR, EPERM,  ENOSPC };
	static const int unknown[] = { 0x7fff,	-0x7fff, 4095,	     -4095,
				       INT_MAX, INT_MIN, INT_MIN + 1 };
	(void)state;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		const char *neg = mmapio_strerror(-named[i]);
		const char *pos = mmapio_strerror(named[i]);
		assert_non_null(neg);
		assert_non_null(pos);
		if (neg[0] == '\0')
			fail_msg("empty message for -%d", named[i]);
		/* positive values are accepted too: same message */
		assert_string_equal(neg, pos);
	}
	assert_string_not_equal(mmapio_strerror(-ERANGE),
				mmapio_strerror(-EBADF));
	assert_string_not_equal(mmapio_strerror(-EIO),
				mmapio_strerror(-EINVAL));
	assert_non_null(mmapio_strerror(0));
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *m = mmapio_strerror(unknown[i]);
		assert_non_null(m);
		if (m[0] == '\0')
			fail_msg("empty message for %d", unknown[i]);
	}
}

static void test_create_basic(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = NULL;
	unsigned char buf[10000];
	struct stat a, b;
	(void)state;

	th_unique(p, "create");
	assert_ok(mmapio_create(&f, p, 10000));
	assert_non_null(f);
	assert_int_equal(mmapio_size(f), 10000);
	assert_int_equal(mmapio_mode_of(f), MMAPIO_RW);
	assert_string_equal(mmapio_path(f), p);
	assert_true(mmapio_fd(f) >= 0);
	assert_int_equal(fstat(mmapio_fd(f), &a), 0);
	assert_int_equal(stat(p, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_dev, b.st_dev);
	assert_int_equal(th_disk_size(p), 10000);
	memset(buf, 0xee, sizeof(buf));
	assert_ok(mmapio_read(f, 0, buf, sizeof(buf)));
	assert_true(th_all_zero(buf, sizeof(buf)));
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
}

static void test_create_size_zero(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = SENTINEL;
	mmapio_options o = { 0 };
	(void)state;

	th_unique(p, "zero");
	assert_rc(mmapio_create(&f, p, 0), -EINVAL);
	assert_ptr_equal(f, SENTINEL);
	assert_rc(mmapio_open_or_create(&f, p, 0), -EINVAL);
	assert_ptr_equal(f, SENTINEL);
	o.mode = MMAPIO_RW;
	o.flags = MMAPIO_O_CREATE;
	o.size = 0;
	assert_rc(mmapio_open_ex(&f, p, &o), -EINVAL);
	assert_ptr_equal(f, SENTINEL);
}

static void test_create_existing_is_resized(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = NULL;
	(void)state;

	th_unique(p, "resized");
	th_pattern_file(p, 100, 1);
	assert_ok(mmapio_create(&f, p, 5000));
	assert_int_equal(mmapio_size(f), 5000);
	assert_int_equal(th_disk_size(p), 5000);
	assert_ok(mmapio_close(f));

	th_pattern_file(p, 10000, 1);
	assert_ok(mmapio_create(&f, p, 100));
	assert_int_equal(mmapio_size(f), 100);
	assert_int_equal(th_disk_size(p), 100);
	assert_ok(mmapio_close(f));
}

static void test_open_missing(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = SENTINEL;
	static const mmapio_mode modes[] = { MMAPIO_RO, MMAPIO_RW, MMAPIO_COW };
	(void)state;

	th_unique(p, "missing");
	for (size_t i = 0; i < 3; i++) {
		assert_rc(mmapio_open(&f, p, modes[i]), -ENOENT);
		assert_ptr_equal(f, SENTINEL);
	}
	assert_rc(mmapio_open_ex(&f, p, NULL), -ENOENT);
	assert_ptr_equal(f, SENTINEL);
	assert_int_equal(access(p, F_OK), -1);
}

static void test_open_directory(void **state)
{
	mmapio_file *f = SENTINEL;
	(void)state;

	assert_rc(mmapio_open(&f, th_dir(), MMAPIO_RO), -EISDIR);
	assert_ptr_equal(f, SENTINEL);
	assert_rc(mmapio_open(&f, th_dir(), MMAPIO_RW), -EISDIR);
	assert_ptr_equal(f, SENTINEL);
}

/* Open a FIFO in a child so that a blocking open(2) shows up as a failure
 * instead of hanging the whole program. */
static void test_open_fifo(void **state)
{
	char p[TH_PATH_MAX];
	static const mmapio_mode modes[] = { MMAPIO_RO, MMAPIO_RW, MMAPIO_COW };
	(void)state;

	th_unique(p, "fifo");
	if (mkfifo(p, 0600) != 0)
		th_skip("mkfifo: %s", strerror(errno));
	for (size_t i = 0; i < 3; i++) {
		int status = 0;
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			mmapio_file *f = SENTINEL;
			int rc;
			th_child();
			alarm(10);
			rc = mmapio_open(&f, p, modes[i]);
			_exit(rc == -ENODEV && f == SENTINEL ? 0 : 100 - rc);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status))
			fail_msg("mode %zu: child killed by signal %d "
				 "(SIGALRM: open blocked on the FIFO)",
				 i, WTERMSIG(status));
		if (WEXITSTATUS(status) != 0)
			fail_msg("mode %zu: mmapio_open(FIFO) returned %d, "
				 "expected -ENODEV (%d)",
				 i, 100 - WEXITSTATUS(status), -ENODEV);
	}
}

static void test_open_device(void **state)
{
	mmapio_file *f = SENTINEL;
	(void)state;

	if (access("/dev/null", R_OK) != 0)
		th_skip("no /dev/null");
	assert_rc(mmapio_open(&f, "/dev/null", MMAPIO_RO), -ENODEV);
	assert_ptr_equal(f, SENTINEL);
}

static void test_open_empty(void **state)
{
	char p[TH_PATH_MAX];
	static const mmapio_mode modes[] = { MMAPIO_RO, MMAPIO_RW, MMAPIO_COW };
	unsigned char b = 0;
	(void)state;

	th_unique(p, "empty");
	th_write_file(p, "", 0);
	for (size_t i = 0; i < 3; i++) {
		mmapio_file *f = th_open(p, modes[i]);
		mmapio_view v;
		assert_int_equal(mmapio_size(f), 0);
		assert_int_equal(mmapio_mode_of(f), modes[i]);
		assert_ok(mmapio_read(f, 0, &b, 0));
		assert_rc(mmapio_read(f, 0, &b, 1), -ERANGE);
		assert_rc(mmapio_read(f, 1, &b, 0), -ERANGE);
		assert_ok(mmapio_view_acquire(f, 0, 0, &v));
		assert_null(v.data);
		assert_int_equal(v.len, 0);
		mmapio_view_release(&v);
		assert_ok(mmapio_flush(f));
		assert_ok(mmapio_close(f));
	}
	assert_int_equal(th_disk_size(p), 0);
}

static void test_open_modes_and_data(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char want[3000], got[3000];
	static const mmapio_mode modes[] = { MMAPIO_RO, MMAPIO_RW, MMAPIO_COW };
	(void)state;

	th_unique(p, "modes");
	th_fill(want, sizeof(want), 7);
	th_write_file(p, want, sizeof(want));
	for (size_t i = 0; i < 3; i++) {
		mmapio_file *f = th_open(p, modes[i]);
		assert_int_equal(mmapio_mode_of(f), modes[i]);
		assert_int_equal(mmapio_size(f), sizeof(want));
		assert_string_equal(mmapio_path(f), p);
		assert_ok(mmapio_read(f, 0, got, sizeof(got)));
		assert_memory_equal(got, want, sizeof(want));
		assert_ok(mmapio_close(f));
	}
}

static void test_ro_refuses_writes(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f;
	mmapio_view v = { 0 };
	mmapio_segment *s = NULL;
	_Atomic uint32_t *a32 = NULL;
	_Atomic uint64_t *a64 = NULL;
	unsigned char before[64], after[64];
	(void)state;

	th_unique(p, "ro");
	th_pattern_file(p, 8192, 3);
	th_pread_file(p, 0, before, sizeof(before));
	f = th_open(p, MMAPIO_RO);
	th_record_msync();
	assert_rc(mmapio_write(f, 0, "x", 1), -EBADF);
	assert_rc(mmapio_write(f, 0, "x", 0), -EBADF);
	assert_rc(mmapio_resize(f, 16384), -EBADF);
	assert_rc(mmapio_view_acquire_mut(f, 0, 8, &v), -EBADF);
	assert_null(v.file);
	assert_rc(mmapio_atomic_u32(f, 0, &v, &a32), -EBADF);
	assert_rc(mmapio_atomic_u64(f, 0, &v, &a64), -EBADF);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_segment_open(&s, f, 0, 100));
	assert_rc(mmapio_segment_write(s, 0, "x", 1), -EBADF);
	mmapio_segment_close(s);
	/* flush on RO: success without a system call */
	assert_ok(mmapio_flush(f));
	assert_ok(mmapio_flush_range(f, 0, 100));
	assert_int_equal(th_msync_count(), 0);
	assert_int_equal(mmapio_size(f), 8192);
	assert_ok(mmapio_close(f));
	assert_int_equal(th_msync_count(), 0);
	th_pread_file(p, 0, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(th_disk_size(p), 8192);
}

static void test_cow_isolation(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char orig[5000], got[5000], disk[16];
	mmapio_file *cow, *ro;
	mmapio_view v;
	(void)state;

	th_unique(p, "cow");
	th_fill(orig, sizeof(orig), 11);
	th_write_file(p, orig, sizeof(orig));
	cow = th_open(p, MMAPIO_COW);
	th_record_msync();
	assert_ok(mmapio_write(cow, 10, "COWDATA", 7));
	assert_ok(mmapio_view_acquire_mut(cow, 4096, 4, &v));
	memcpy(v.data, "VIEW", 4);
	mmapio_view_release(&v);
	assert_ok(mmapio_read(cow, 10, got, 7));
	assert_memory_equal(got, "COWDATA", 7);
	assert_ok(mmapio_flush(cow));
	assert_ok(mmapio_flush_range(cow, 0, 100));
	assert_int_equal(th_msync_count(), 0);
	assert_rc(mmapio_resize(cow, 10000), -EBADF);
	assert_int_equal(mmapio_size(cow), sizeof(orig));

	/* the file never sees the write */
	th_pread_file(p, 10, disk, 7);
	assert_memory_equal(disk, orig + 10, 7);
	th_pread_file(p, 4096, disk, 4);
	assert_memory_equal(disk, orig + 4096, 4);
	ro = th_open(p, MMAPIO_RO);
	assert_ok(mmapio_read(ro, 0, got, sizeof(got)));
	assert_memory_equal(got, orig, sizeof(orig));
	assert_ok(mmapio_close(ro));

	/* ...while the COW handle still does */
	assert_ok(mmapio_read(cow, 10, got, 7));
	assert_memory_equal(got, "COWDATA", 7);
	assert_ok(mmapio_read(cow, 4096, got, 4));
	assert_memory_equal(got, "VIEW", 4);
	assert_ok(mmapio_close(cow));
	assert_int_equal(th_msync_count(), 0);
	th_pread_file(p, 0, got, sizeof(got));
	assert_memory_equal(got, orig, sizeof(orig));
}

static void test_rw_reaches_file(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char data[7000], got[7000];
	mmapio_file *f = NULL;
	(void)state;

	th_unique(p, "rw");
	assert_ok(mmapio_create(&f, p, sizeof(data)));
	th_fill(data, sizeof(data), 5);
	assert_ok(mmapio_write(f, 0, data, sizeof(data)));
	assert_ok(mmapio_close(f));
	th_pread_file(p, 0, got, sizeof(got));
	assert_memory_equal(got, data, sizeof(data));
	f = th_open(p, MMAPIO_RW);
	assert_ok(mmapio_read(f, 0, got, sizeof(got)));
	assert_memory_equal(got, data, sizeof(data));
	assert_ok(mmapio_close(f));
}

static void test_close_null(void **state)
{
	(void)state;
	mmapio_close(NULL);
	mmapio_view_release(NULL);
	mmapio_segment_close(NULL);
	mmapio_iter_close(NULL);
	mmapio_watch_close(NULL);
}

static void test_open_ex_defaults(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_options o = { 0 };
	mmapio_file *f = NULL;
	(void)state;

	th_unique(p, "ex-default");
	th_pattern_file(p, 4000, 9);
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_int_equal(mmapio_mode_of(f), MMAPIO_RO);
	assert_int_equal(mmapio_size(f), 4000);
	assert_rc(mmapio_write(f, 0, "x", 1), -EBADF);
	assert_ok(mmapio_close(f));
	f = NULL;
	assert_ok(mmapio_open_ex(&f, p, NULL));
	assert_int_equal(mmapio_mode_of(f), MMAPIO_RO);
	assert_ok(mmapio_close(f));
}

static void test_open_ex_create(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_options o = { 0 };
	mmapio_file *f = NULL;
	struct stat st;
	unsigned char got[100];
	mode_t old = umask(022);
	(void)state;

	th_unique(p, "ex-create");
	o.mode = MMAPIO_RW;
	o.flags = MMAPIO_O_CREATE;
	o.size = 3000;
	o.create_mode = 0600;
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_int_equal(mmapio_size(f), 3000);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 3000);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_ok(mmapio_write(f, 0, "keep", 4));
	assert_ok(mmapio_close(f));

	/* CREATE on an existing file keeps size and content */
	o.size = 9999;
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_int_equal(mmapio_size(f), 3000);
	assert_ok(mmapio_read(f, 0, got, 4));
	assert_memory_equal(got, "keep", 4);
	assert_ok(mmapio_close(f));

	/* CREATE|EXCL on an existing file */
	f = SENTINEL;
	o.flags = MMAPIO_O_CREATE | MMAPIO_O_EXCL;
	assert_rc(mmapio_open_ex(&f, p, &o), -EEXIST);
	assert_ptr_equal(f, SENTINEL);

	/* CREATE|TRUNCATE discards content, then sets the size */
	o.flags = MMAPIO_O_CREATE | MMAPIO_O_TRUNCATE;
	o.size = 5000;
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_int_equal(mmapio_size(f), 5000);
	assert_int_equal(th_disk_size(p), 5000);
	assert_ok(mmapio_read(f, 0, got, sizeof(got)));
	assert_true(th_all_zero(got, sizeof(got)));
	assert_ok(mmapio_close(f));

	/* create_mode 0 means 0644 */
	th_unique(p, "ex-create-0644");
	o.flags = MMAPIO_O_CREATE | MMAPIO_O_EXCL;
	o.create_mode = 0;
	o.size = 10;
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_ok(mmapio_close(f));
	umask(old);
}

static void test_open_ex_bad_options(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_options o = { 0 };
	mmapio_file *f = SENTINEL;
	(void)state;

	th_unique(p, "ex-bad");
	th_pattern_file(p, 100, 1);
	o.mode = (mmapio_mode)42;
	assert_rc(mmapio_open_ex(&f, p, &o), -EINVAL);
	assert_ptr_equal(f, SENTINEL);
	assert_rc(mmapio_open(&f, p, (mmapio_mode)42), -EINVAL);
	assert_ptr_equal(f, SENTINEL);
	o.mode = MMAPIO_RW;
	o.flush.kind = (mmapio_flush_kind)42;
	assert_rc(mmapio_open_ex(&f, p, &o), -EINVAL);
	assert_ptr_equal(f, SENTINEL);
	o.flush.kind = MMAPIO_FLUSH_WRITES;
	o.flush.n = 0;
	assert_rc(mmapio_open_ex(&f, p, &o), -EINVAL);
	assert_ptr_equal(f, SENTINEL);
	o.flush.kind = MMAPIO_FLUSH_INTERVAL;
	assert_rc(mmapio_open_ex(&f, p, &o), -EINVAL);
	assert_ptr_equal(f, SENTINEL);
}

static void test_open_ex_populate_hugepage(void **state)
{
	char p[TH_PATH_MAX];
	unsigned char want[20000], got[20000];
	mmapio_options o = { 0 };
	mmapio_file *f = NULL;
	(void)state;

	th_unique(p, "ex-populate");
	th_fill(want, sizeof(want), 21);
	th_write_file(p, want, sizeof(want));
	o.mode = MMAPIO_RW;
	o.flags = MMAPIO_O_POPULATE | MMAPIO_O_HUGEPAGE;
	o.reserve = 1u << 20;
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_int_equal(mmapio_size(f), sizeof(want));
	assert_ok(mmapio_read(f, 0, got, sizeof(got)));
	assert_memory_equal(got, want, sizeof(want));
	assert_ok(mmapio_close(f));
	o.mode = MMAPIO_COW;
	assert_ok(mmapio_open_ex(&f, p, &o));
	assert_ok(mmapio_read(f, 0, got, sizeof(got)));
	assert_memory_equal(got, want, sizeof(want));
	assert_ok(mmapio_close(f));
}

static void test_open_or_create_reopen(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = NULL;
	unsigned char got[5];
	(void)state;

	th_unique(p, "ooc");
	assert_ok(mmapio_open_or_create(&f, p, 4096));
	assert_int_equal(mmapio_size(f), 4096);
	assert_int_equal(mmapio_mode_of(f), MMAPIO_RW);
	assert_int_equal(th_disk_size(p), 4096);
	assert_ok(mmapio_write(f, 100, "hello", 5));
	assert_ok(mmapio_close(f));

	f = NULL;
	assert_ok(mmapio_open_or_create(&f, p, 99999));
	assert_int_equal(mmapio_size(f), 4096);
	assert_ok(mmapio_read(f, 100, got, 5));
	assert_memory_equal(got, "hello", 5);
	assert_ok(mmapio_close(f));
	assert_int_equal(th_disk_size(p), 4096);

	/* an existing empty file keeps size 0 */
	th_unique(p, "ooc-empty");
	th_write_file(p, "", 0);
	assert_ok(mmapio_open_or_create(&f, p, 4096));
	assert_int_equal(mmapio_size(f), 0);
	assert_ok(mmapio_close(f));
	assert_int_equal(th_disk_size(p), 0);
}

#define RACERS 8
#define RACE_SIZE 8192

struct racer {
	pthread_barrier_t *bar;
	const char *path;
	unsigned id;
	int rc;
	uint64_t size;
	int write_rc;
};

static void *race_thread(void *arg)
{
	struct racer *r = arg;
	mmapio_file *f = NULL;
	unsigned char b = (unsigned char)(r->id + 1);

	pthread_barrier_wait(r->bar);
	r->rc = mmapio_open_or_create(&f, r->path, RACE_SIZE);
	if (r->rc != 0)
		return NULL;
	r->size = mmapio_size(f);
	r->write_rc = mmapio_write(f, r->id * 512, &b, 1);
	mmapio_close(f);
	return NULL;
}

static void check_race_file(const char *p, unsigned n)
{
	unsigned char got[RACE_SIZE];

	assert_int_equal(th_disk_size(p), RACE_SIZE);
	th_pread_file(p, 0, got, sizeof(got));
	for (unsigned i = 0; i < n; i++)
		if (got[i * 512] != (unsigned char)(i + 1))
			fail_msg("racer %u's byte missing from the file", i);
}

static void test_open_or_create_race_threads(void **state)
{
	unsigned rounds = th_valgrind() ? 3 : 30;
	(void)state;

	for (unsigned round = 0; round < rounds; round++) {
		char p[TH_PATH_MAX];
		pthread_barrier_t bar;
		pthread_t t[RACERS];
		struct racer r[RACERS];

		th_unique(p, "race-t");
		pthread_barrier_init(&bar, NULL, RACERS);
		for (unsigned i = 0; i < RACERS; i++) {
			r[i] = (struct racer){ &bar, p, i, 1, 0, 1 };
			assert_int_equal(
				pthread_create(&t[i], NULL, race_thread, &r[i]),
				0);
		}
		for (unsigned i = 0; i < RACERS; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&bar);
		for (unsigned i = 0; i < RACERS; i++) {
			if (r[i].rc != 0)
				fail_msg("round %u racer %u: open_or_create "
					 "returned %d (%s)",
					 round, i, r[i].rc,
					 mmapio_strerror(r[i].rc));
			if (r[i].size != RACE_SIZE)
				fail_msg("round %u racer %u saw size %llu, "
					 "expected %d (opened the file before "
					 "its creator sized it)",
					 round, i,
					 (unsigned long long)r[i].size,
					 RACE_SIZE);
			assert_rc(r[i].write_rc, 0);
		}
		check_race_file(p, RACERS);
	}
}

/* Child: wait for the start signal, open_or_create, write one byte.
 * Exit 0, or 10 + step on failure. */
static void race_child(int rfd, const char *p, unsigned id)
{
	mmapio_file *f = NULL;
	unsigned char b = (unsigned char)(id + 1);
	char c;

	if (read(rfd, &c, 1) < 0)
		_exit(9);
	if (mmapio_open_or_create(&f, p, RACE_SIZE) != 0)
		_exit(10);
	if (mmapio_size(f) != RACE_SIZE)
		_exit(11);
	if (mmapio_write(f, id * 512, &b, 1) != 0)
		_exit(12);
	if (mmapio_close(f) != 0)
		_exit(13);
	_exit(0);
}

static void test_open_or_create_race_procs(void **state)
{
	unsigned rounds = th_valgrind() ? 2 : 20;
	(void)state;

	for (unsigned round = 0; round < rounds; round++) {
		char p[TH_PATH_MAX];
		pid_t pid[RACERS];
		int fds[2];

		th_unique(p, "race-p");
		assert_int_equal(pipe(fds), 0);
		for (unsigned i = 0; i < RACERS; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				th_child();
				close(fds[1]);
				race_child(fds[0], p, i);
			}
		}
		close(fds[0]);
		close(fds[1]); /* start: every read returns 0 */
		for (unsigned i = 0; i < RACERS; i++) {
			int status = 0;
			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
			if (!WIFEXITED(status))
				fail_msg("round %u child %u died of signal %d",
					 round, i, WTERMSIG(status));
			if (WEXITSTATUS(status) != 0)
				fail_msg("round %u child %u failed at step %d "
					 "(10 open_or_create, 11 size != %d, "
					 "12 write, 13 close)",
					 round, i, WEXITSTATUS(status),
					 RACE_SIZE);
		}
		check_race_file(p, RACERS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_version_and_page_size),
		TH_TEST(test_strerror),
		TH_TEST(test_create_basic),
		TH_TEST(test_create_size_zero),
		TH_TEST(test_create_existing_is_resized),
		TH_TEST(test_open_missing),
		TH_TEST(test_open_directory),
		TH_TEST(test_open_fifo),
		TH_TEST(test_open_device),
		TH_TEST(test_open_empty),
		TH_TEST(test_open_modes_and_data),
		TH_TEST(test_ro_refuses_writes),
		TH_TEST(test_cow_isolation),
		TH_TEST(test_rw_reaches_file),
		TH_TEST(test_close_null),
		TH_TEST(test_open_ex_defaults),
		TH_TEST(test_open_ex_create),
		TH_TEST(test_open_ex_bad_options),
		TH_TEST(test_open_ex_populate_hugepage),
		TH_TEST(test_open_or_create_reopen),
		TH_TEST(test_open_or_create_race_threads),
		TH_TEST(test_open_or_create_race_procs),
	};

	th_init();
	return th_fini(cmocka_run_group_tests_name("file", tests, NULL, NULL));
}
