/*
 * test_atomic.c - atomic u32/u64 views: alignment, bounds, mode, and exact
 * sums from several threads and several processes.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE 100u /* not a multiple of 8: the last u64 slot is partial */

static mmapio_file *zero_rw(char *p)
{
	mmapio_file *f = NULL;

	th_unique(p, "atomic");
	assert_ok(mmapio_create(&f, p, SIZE));
	return f;
}

static void test_atomic_basics(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = zero_rw(p);
	unsigned char *base = th_base(f);
	mmapio_view v32, v64;
	_Atomic uint32_t *a32 = NULL;
	_Atomic uint64_t *a64 = NULL;
	uint64_t x = 0x1122334455667788u, got64;
	uint32_t got32;
	(void)state;

	assert_ok(mmapio_write(f, 16, &x, 8));
	assert_ok(mmapio_atomic_u64(f, 16, &v64, &a64));
	assert_non_null(a64);
	assert_ptr_equal((void *)a64, base + 16);
	assert_ptr_equal(v64.file, f);
	assert_int_equal(mmapio_view_count(f), 1);
	assert_true(atomic_load(a64) == x);
	atomic_store(a64, 42);
	assert_ok(mmapio_read(f, 16, &got64, 8));
	assert_int_equal(got64, 42);

	assert_ok(mmapio_atomic_u32(f, 96, &v32, &a32));
	assert_ptr_equal((void *)a32, base + 96);
	assert_int_equal(mmapio_view_count(f), 2);
	atomic_fetch_add(a32, 7);
	assert_ok(mmapio_read(f, 96, &got32, 4));
	assert_int_equal(got32, 7);
	mmapio_view_release(&v32);
	mmapio_view_release(&v64);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_close(f));
	th_pread_file(p, 16, &got64, 8);
	assert_int_equal(got64, 42);
}

static void test_atomic_errors(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = zero_rw(p), *ro;
	mmapio_view v = { 0 };
	_Atomic uint32_t *a32 = NULL;
	_Atomic uint64_t *a64 = NULL;
	(void)state;

	/* misaligned */
	assert_rc(mmapio_atomic_u32(f, 2, &v, &a32), -EINVAL);
	assert_rc(mmapio_atomic_u32(f, 1, &v, &a32), -EINVAL);
	assert_rc(mmapio_atomic_u64(f, 4, &v, &a64), -EINVAL);
	assert_rc(mmapio_atomic_u64(f, 12, &v, &a64), -EINVAL);
	assert_rc(mmapio_atomic_u64(f, 7, &v, &a64), -EINVAL);
	/* out of range (aligned) */
	assert_rc(mmapio_atomic_u64(f, 96, &v, &a64), -ERANGE);
	assert_rc(mmapio_atomic_u64(f, 104, &v, &a64), -ERANGE);
	assert_rc(mmapio_atomic_u32(f, 100, &v, &a32), -ERANGE);
	assert_rc(mmapio_atomic_u64(f, UINT64_MAX - 7, &v, &a64), -ERANGE);
	assert_null(v.file);
	assert_null(a32);
	assert_null(a64);
	assert_int_equal(mmapio_view_count(f), 0);

	/* read-only mappings refuse (a store would crash) */
	ro = th_open(p, MMAPIO_RO);
	assert_rc(mmapio_atomic_u32(ro, 0, &v, &a32), -EBADF);
	assert_rc(mmapio_atomic_u64(ro, 0, &v, &a64), -EBADF);
	assert_null(a32);
	assert_null(a64);
	assert_int_equal(mmapio_view_count(ro), 0);
	assert_ok(mmapio_close(ro));
	assert_ok(mmapio_close(f));
}

#define THREADS 4

struct adder {
	mmapio_file *f;
	unsigned iters;
	int rc;
};

static void *adder_thread(void *arg)
{
	struct adder *a = arg;
	mmapio_view v32, v64;
	_Atomic uint32_t *a32;
	_Atomic uint64_t *a64;

	a->rc = mmapio_atomic_u64(a->f, 8, &v64, &a64);
	if (a->rc != 0)
		return NULL;
	a->rc = mmapio_atomic_u32(a->f, 4, &v32, &a32);
	if (a->rc != 0) {
		mmapio_view_release(&v64);
		return NULL;
	}
	for (unsigned i = 0; i < a->iters; i++) {
		atomic_fetch_add(a64, 3);
		atomic_fetch_add(a32, 1);
	}
	mmapio_view_release(&v32);
	mmapio_view_release(&v64);
	return NULL;
}

static void test_atomic_threads_sum(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = zero_rw(p);
	unsigned iters = th_valgrind() ? 2000 : 100000;
	pthread_t t[THREADS];
	struct adder a[THREADS];
	uint64_t got64;
	uint32_t got32;
	(void)state;

	for (unsigned i = 0; i < THREADS; i++) {
		a[i] = (struct adder){ f, iters, 0 };
		assert_int_equal(
			pthread_create(&t[i], NULL, adder_thread, &a[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < THREADS; i++)
		assert_rc(a[i].rc, 0);
	assert_int_equal(mmapio_view_count(f), 0);
	assert_ok(mmapio_read(f, 8, &got64, 8));
	assert_ok(mmapio_read(f, 4, &got32, 4));
	assert_int_equal(got64, (uint64_t)THREADS * iters * 3);
	assert_int_equal(got32, THREADS * iters);
	assert_ok(mmapio_close(f));
}

/* Processes with their own handles on the same file share the words. */
static void test_atomic_processes_sum(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = zero_rw(p);
	unsigned iters = th_valgrind() ? 2000 : 100000;
	pid_t pid[3];
	struct adder a = { f, iters, 0 };
	uint64_t got64;
	uint32_t got32;
	(void)state;

	for (unsigned i = 0; i < 3; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			mmapio_file *g = NULL;
			struct adder b;
			th_child();
			if (mmapio_open(&g, p, MMAPIO_RW) != 0)
				_exit(10);
			b = (struct adder){ g, iters, 0 };
			adder_thread(&b);
			if (b.rc != 0)
				_exit(11);
			_exit(mmapio_close(g) == 0 ? 0 : 12);
		}
	}
	adder_thread(&a);
	assert_rc(a.rc, 0);
	for (unsigned i = 0; i < 3; i++) {
		int status = 0;
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_ok(mmapio_read(f, 8, &got64, 8));
	assert_ok(mmapio_read(f, 4, &got32, 4));
	assert_int_equal(got64, (uint64_t)4 * iters * 3);
	assert_int_equal(got32, 4 * iters);
	assert_ok(mmapio_close(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_atomic_basics),
		TH_TEST(test_atomic_errors),
		TH_TEST(test_atomic_threads_sum),
		TH_TEST(test_atomic_processes_sum),
	};

	th_init();
	return th_fini(
		cmocka_run_group_tests_name("atomic", tests, NULL, NULL));
}
