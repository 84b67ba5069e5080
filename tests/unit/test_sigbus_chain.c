/*
 * test_sigbus_chain.c - the library's SIGBUS handler, installed on the
 * first open, passes faults outside its own copies to the handler that was
 * installed before it.  This program installs one before its first open.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf user_jmp;
static volatile sig_atomic_t user_calls;
static volatile sig_atomic_t user_armed;

static void user_handler(int sig, siginfo_t *info, void *ctx)
{
	(void)info;
	(void)ctx;
	if (sig == SIGBUS)
		user_calls++;
	if (user_armed) {
		user_armed = 0;
		siglongjmp(user_jmp, 1);
	}
	_exit(3);
}

static void test_chain_to_previous_handler(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f;
	mmapio_view v;
	unsigned char buf[16];
	int fd;
	(void)state;

	th_guard_begin();
	th_unique(p, "chain");
	th_pattern_file(p, 4 * pg, 1);
	f = th_open(p, MMAPIO_RW);
	assert_ok(mmapio_view_acquire(f, 0, 4 * pg, &v));
	fd = open(p, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)pg), 0);
	close(fd);

	/* the library's own copy: -EIO, the user handler is not involved */
	user_calls = 0;
	assert_rc(mmapio_read(f, 2 * pg, buf, sizeof(buf)), -EIO);
	assert_int_equal(user_calls, 0);

	/* a raw access: passed on to the user handler */
	if (sigsetjmp(user_jmp, 1) == 0) {
		volatile unsigned char *q = v.data;
		user_armed = 1;
		buf[0] = q[3 * pg];
		user_armed = 0;
		fail_msg("reading a truncated page raised no SIGBUS");
	}
	assert_int_equal(user_calls, 1);

	/* and the guard still works afterwards */
	assert_rc(mmapio_read(f, 3 * pg, buf, sizeof(buf)), -EIO);
	assert_int_equal(user_calls, 1);
	assert_ok(mmapio_read(f, 0, buf, sizeof(buf)));
	mmapio_view_release(&v);
	assert_ok(mmapio_close(f));
	th_guard_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_chain_to_previous_handler),
	};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = user_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	th_init();
	return th_fini(
		cmocka_run_group_tests_name("sigbus_chain", tests, NULL, NULL));
}
