/*
 * guard.c - recovery from SIGBUS in the library's own copies.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "guard.h"

struct guard {
	sigjmp_buf env;
};

/*
 * The armed recovery point of this thread, or NULL.  initial-exec: the
 * handler must not reach __tls_get_addr, which may allocate.
 */
static _Thread_local struct guard *volatile tl_guard
	__attribute__((tls_model("initial-exec")));

static struct sigaction prev_action;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_error;

/*
 * Not ours: hand the fault to whoever had SIGBUS before us.  For the
 * default action, restore it and return: the faulting instruction runs
 * again and the process dies of SIGBUS as it would have without us.
 */
static void pass_on(int sig, siginfo_t *si, void *uc)
{
	if (prev_action.sa_flags & SA_SIGINFO) {
		prev_action.sa_sigaction(sig, si, uc);
		return;
	}
	if (prev_action.sa_handler == SIG_IGN)
		return;
	if (prev_action.sa_handler == SIG_DFL) {
		signal(sig, SIG_DFL);
		return;
	}
	prev_action.sa_handler(sig);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct guard *g = tl_guard;

	if (g == NULL) {
		pass_on(sig, si, uc);
		return;
	}
	tl_guard = NULL;
	siglongjmp(g->env, 1);
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	/*
	 * SA_NODEFER: we leave the handler by siglongjmp without restoring
	 * the signal mask (that would cost a system call per copy), so SIGBUS
	 * must not be blocked while the handler runs.
	 */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &prev_action) != 0)
		install_error = -errno;
}

int mmapio__guard_install(void)
{
	pthread_once(&install_once, install);
	return install_error;
}

/*
 * The copy and the touch live in functions of their own so that nothing
 * the compiler keeps in registers across sigsetjmp() is used after the
 * jump: only the arguments, which are not modified.
 */
int mmapio__guarded_copy(void *dst, const void *src, size_t len)
{
	struct guard g;

	if (sigsetjmp(g.env, 0) != 0)
		return -EIO;
	tl_guard = &g;
	memcpy(dst, src, len);
	tl_guard = NULL;
	return 0;
}

int mmapio__guarded_touch(const uint8_t *p, size_t len, size_t step)
{
	struct guard g;
	const volatile uint8_t *q = p;
	size_t i;

	if (sigsetjmp(g.env, 0) != 0)
		return -EIO;
	tl_guard = &g;
	for (i = 0; i < len; i += step)
		(void)q[i];
	tl_guard = NULL;
	return 0;
}
