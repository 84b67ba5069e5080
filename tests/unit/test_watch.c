/*
 * test_watch.c - inotify-based change watching: every event kind through
 * mmapio_watch_next() with poll on mmapio_watch_fd(), and through the
 * mmapio_watch_start() callback thread.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_name(int k)
{
	switch (k) {
	case MMAPIO_EV_MODIFIED:
		return "MODIFIED";
	case MMAPIO_EV_RESIZED:
		return "RESIZED";
	case MMAPIO_EV_METADATA:
		return "METADATA";
	case MMAPIO_EV_REMOVED:
		return "REMOVED";
	case MMAPIO_EV_MOVED:
		return "MOVED";
	default:
		return "?";
	}
}

/*
 * Poll and drain until an event of `kind` arrives or the timeout passes.
 * Other kinds are collected in `seen` (a printable list) for the message.
 */
static bool wait_kind(mmapio_watch *w, mmapio_event_kind kind,
		      mmapio_event *out, char *seen, size_t cap)
{
	uint64_t end = th_now_ms() + (uint64_t)th_ms(3000);
	int fd = mmapio_watch_fd(w);

	seen[0] = '\0';
	for (;;) {
		mmapio_event ev;
		int rc;
		uint64_t now = th_now_ms();
		struct pollfd pfd = { fd, POLLIN, 0 };
		while ((rc = mmapio_watch_next(w, &ev)) == 1) {
			size_t l = strlen(seen);
			snprintf(seen + l, cap - l, "%s(%llu) ",
				 kind_name(ev.kind),
				 (unsigned long long)ev.size);
			if (ev.kind == kind) {
				*out = ev;
				return true;
			}
		}
		if (rc != 0)
			fail_msg("mmapio_watch_next returned %d (%s)", rc,
				 mmapio_strerror(rc));
		if (now >= end)
			return false;
		poll(&pfd, 1, (int)(end - now));
	}
}

#define EXPECT(w, kind, ev)                                              \
	do {                                                             \
		char seen_[512];                                         \
		if (!wait_kind((w), (kind), (ev), seen_, sizeof(seen_))) \
			fail_msg("no %s event within %d ms; got: %s",    \
				 kind_name(kind), th_ms(3000), seen_);   \
	} while (0)

static void pwrite_file(const char *p, uint64_t off, const char *s)
{
	int fd = open(p, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, s, strlen(s), (off_t)off),
			 (ssize_t)strlen(s));
	close(fd);
}

static void drain(mmapio_watch *w)
{
	mmapio_event ev;

	th_sleep_ms(20);
	while (mmapio_watch_next(w, &ev) == 1)
		;
}

static void watch_all_kinds(mmapio_watch *w, const char *p, char *moved)
{
	mmapio_event ev;

	assert_true(mmapio_watch_fd(w) >= 0);
	assert_rc(mmapio_watch_next(w, &ev), 0);

	pwrite_file(p, 10, "changed");
	EXPECT(w, MMAPIO_EV_MODIFIED, &ev);
	assert_int_equal(ev.size, 8192);
	drain(w);

	th_truncate(p, 100000);
	EXPECT(w, MMAPIO_EV_RESIZED, &ev);
	assert_int_equal(ev.size, 100000);
	drain(w);

	th_truncate(p, 1000);
	EXPECT(w, MMAPIO_EV_RESIZED, &ev);
	assert_int_equal(ev.size, 1000);
	drain(w);

	assert_int_equal(chmod(p, 0600), 0);
	EXPECT(w, MMAPIO_EV_METADATA, &ev);
	drain(w);

	th_unique(moved, "watch-moved");
	assert_int_equal(rename(p, moved), 0);
	EXPECT(w, MMAPIO_EV_MOVED, &ev);
	drain(w);

	assert_int_equal(unlink(moved), 0);
	EXPECT(w, MMAPIO_EV_REMOVED, &ev);
}

static void test_watch_path(void **state)
{
	char p[TH_PATH_MAX], moved[TH_PATH_MAX];
	mmapio_watch *w = NULL;
	(void)state;

	th_unique(p, "watch");
	th_pattern_file(p, 8192, 1);
	assert_ok(mmapio_watch_open(&w, p));
	assert_non_null(w);
	watch_all_kinds(w, p, moved);
	mmapio_watch_close(w);
}

/* With the file also open and mapped, and the watch made from the handle. */
static void test_watch_handle(void **state)
{
	char p[TH_PATH_MAX], moved[TH_PATH_MAX];
	mmapio_watch *w = NULL;
	mmapio_file *f;
	(void)state;

	th_unique(p, "watch-h");
	th_pattern_file(p, 8192, 2);
	f = th_open(p, MMAPIO_RO);
	assert_ok(mmapio_watch_file(&w, f));
	watch_all_kinds(w, p, moved);
	mmapio_watch_close(w);
	assert_ok(mmapio_close(f));
}

static void test_watch_errors(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_watch *w = NULL;
	(void)state;

	th_unique(p, "watch-missing");
	assert_rc(mmapio_watch_open(&w, p), -ENOENT);
	assert_null(w);
	mmapio_watch_close(NULL);
}

struct collected {
	pthread_mutex_t lock;
	int kinds[64];
	uint64_t sizes[64];
	unsigned n;
	mmapio_watch *w;
	int wrong_watch;
};

static void collect_cb(mmapio_watch *w, const mmapio_event *ev, void *arg)
{
	struct collected *c = arg;

	pthread_mutex_lock(&c->lock);
	if (w != c->w)
		c->wrong_watch = 1;
	if (c->n < 64) {
		c->kinds[c->n] = (int)ev->kind;
		c->sizes[c->n] = ev->size;
	}
	c->n++;
	pthread_mutex_unlock(&c->lock);
}

static bool wait_cb_kind(struct collected *c, int kind, uint64_t *size)
{
	uint64_t end = th_now_ms() + (uint64_t)th_ms(3000);

	for (;;) {
		pthread_mutex_lock(&c->lock);
		for (unsigned i = 0; i < c->n && i < 64; i++)
			if (c->kinds[i] == kind) {
				*size = c->sizes[i];
				c->kinds[i] = 0;
				pthread_mutex_unlock(&c->lock);
				return true;
			}
		pthread_mutex_unlock(&c->lock);
		if (th_now_ms() >= end)
			return false;
		th_sleep_ms(5);
	}
}

static void test_watch_callback(void **state)
{
	char p[TH_PATH_MAX];
	unsigned before = th_task_count();
	struct collected c;
	uint64_t size = 0;
	mmapio_watch *w = NULL;
	(void)state;

	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.lock, NULL);
	th_unique(p, "watch-cb");
	th_pattern_file(p, 4096, 3);
	assert_ok(mmapio_watch_open(&w, p));
	c.w = w;
	assert_ok(mmapio_watch_start(w, collect_cb, &c));
	assert_rc(mmapio_watch_start(w, collect_cb, &c), -EBUSY);
	assert_true(th_task_count() > before);

	pwrite_file(p, 0, "cb");
	if (!wait_cb_kind(&c, MMAPIO_EV_MODIFIED, &size))
		fail_msg("callback: no MODIFIED event");
	assert_int_equal(size, 4096);
	th_truncate(p, 12345);
	if (!wait_cb_kind(&c, MMAPIO_EV_RESIZED, &size))
		fail_msg("callback: no RESIZED event");
	assert_int_equal(size, 12345);
	assert_int_equal(chmod(p, 0640), 0);
	if (!wait_cb_kind(&c, MMAPIO_EV_METADATA, &size))
		fail_msg("callback: no METADATA event");
	assert_int_equal(unlink(p), 0);
	if (!wait_cb_kind(&c, MMAPIO_EV_REMOVED, &size))
		fail_msg("callback: no REMOVED event");
	mmapio_watch_close(w);
	assert_int_equal(c.wrong_watch, 0);
	if (!th_wait_task_count(before, th_ms(1000)))
		fail_msg("watch thread still there after close: %u tasks, %u "
			 "before",
			 th_task_count(), before);
	pthread_mutex_destroy(&c.lock);
}

/* Writes through a shared mapping make no inotify event: nothing to see,
 * but watch_next must still answer 0 without blocking. */
static void test_watch_quiet(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_watch *w = NULL;
	mmapio_event ev;
	uint64_t t0;
	(void)state;

	th_unique(p, "watch-quiet");
	th_pattern_file(p, 4096, 4);
	assert_ok(mmapio_watch_open(&w, p));
	t0 = th_now_ms();
	for (int i = 0; i < 100; i++)
		assert_rc(mmapio_watch_next(w, &ev), 0);
	assert_true(th_now_ms() - t0 < (uint64_t)th_ms(1000));
	mmapio_watch_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_watch_path),   TH_TEST(test_watch_handle),
		TH_TEST(test_watch_errors), TH_TEST(test_watch_callback),
		TH_TEST(test_watch_quiet),
	};

	th_init();
	return th_fini(cmocka_run_group_tests_name("watch", tests, NULL, NULL));
}
