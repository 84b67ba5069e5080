/*
 * test_watch.c - inotify-based change watching: every event kind through
 * mmapio_watch_next() with poll on mmapio_watch_fd(), and through the
 * mmapio_watch_start() callback thread; then watches of many files under
 * tags (mmapio_watch_new/add/remove/links): hard links, removed and
 * renamed files, thousands of files on one descriptor, threads, errors.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
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

/* ------------------------------------------------------------------------ */
/* Watches of many files under tags                                         */
/* ------------------------------------------------------------------------ */

#define MAX_EVS 64

struct evlog {
	mmapio_event ev[MAX_EVS];
	unsigned n;
};

/* Take every event queued now, without waiting. */
static void take_all(mmapio_watch *w, struct evlog *l)
{
	mmapio_event ev;
	int rc;

	l->n = 0;
	while ((rc = mmapio_watch_next(w, &ev)) == 1) {
		if (ev.kind != MMAPIO_EV_OVERFLOW &&
		    ev.size != MMAPIO_EV_SIZE_UNKNOWN)
			fail_msg("tagged event with a size: %llu",
				 (unsigned long long)ev.size);
		if (l->n < MAX_EVS)
			l->ev[l->n] = ev;
		l->n++;
	}
	assert_rc(rc, 0);
}

static unsigned count_of(const struct evlog *l, int kind, uint64_t tag)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->n && i < MAX_EVS; i++)
		if ((int)l->ev[i].kind == kind && l->ev[i].tag == tag)
			n++;
	return n;
}

/* Events arrive within the timeout; `l` holds all taken so far. */
static bool wait_for(mmapio_watch *w, struct evlog *l, int kind, uint64_t tag)
{
	uint64_t end = th_now_ms() + (uint64_t)th_ms(3000);
	struct evlog more;

	for (;;) {
		if (count_of(l, kind, tag) > 0)
			return true;
		if (th_now_ms() >= end)
			return false;
		struct pollfd pfd = { mmapio_watch_fd(w), POLLIN, 0 };
		poll(&pfd, 1, 50);
		take_all(w, &more);
		for (unsigned i = 0; i < more.n && l->n < MAX_EVS; i++)
			l->ev[l->n++] = more.ev[i];
	}
}

#define EXPECT_TAG(w, l, kind, tag)                                          \
	do {                                                                 \
		if (!wait_for((w), (l), (kind), (tag)))                      \
			fail_msg("no %s event for tag %llu within %d ms",    \
				 kind_name(kind), (unsigned long long)(tag), \
				 th_ms(3000));                               \
	} while (0)

static void new_file(char *p, const char *stem)
{
	th_unique(p, stem);
	th_pattern_file(p, 4096, 7);
}

/* Each file reports under its own tag, from the mask alone, and the
 * event of a write(2) is queued before it returns: no wait needed. */
static void test_set_tags(void **state)
{
	char a[TH_PATH_MAX], b[TH_PATH_MAX];
	unsigned fds = th_fd_count();
	mmapio_watch *w = NULL;
	struct evlog l;
	(void)state;

	new_file(a, "set-a");
	new_file(b, "set-b");
	assert_ok(mmapio_watch_new(&w));
	assert_ok(mmapio_watch_add(w, a, 10));
	assert_ok(mmapio_watch_add(w, b, 20));
	assert_int_equal(th_fd_count(), fds + 1);
	take_all(w, &l);
	assert_int_equal(l.n, 0);

	pwrite_file(a, 5, "x");
	take_all(w, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(count_of(&l, MMAPIO_EV_MODIFIED, 10), 1);

	th_truncate(b, 100);
	take_all(w, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(count_of(&l, MMAPIO_EV_MODIFIED, 20), 1);

	assert_int_equal(chmod(a, 0600), 0);
	take_all(w, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(count_of(&l, MMAPIO_EV_METADATA, 10), 1);
	mmapio_watch_close(w);
	assert_int_equal(th_fd_count(), fds);
}

/* Two names of one file share one inotify watch: add says so, links
 * names both tags, and every event goes to each. */
static void test_set_hard_link(void **state)
{
	char p[TH_PATH_MAX], q[TH_PATH_MAX];
	uint64_t tags[4] = { 0 };
	mmapio_watch *w = NULL;
	struct evlog l;
	(void)state;

	new_file(p, "link-p");
	th_unique(q, "link-q");
	assert_int_equal(link(p, q), 0);
	assert_ok(mmapio_watch_new(&w));
	assert_rc(mmapio_watch_add(w, p, 1), 0);
	assert_rc(mmapio_watch_add(w, q, 2), 1);
	assert_rc(mmapio_watch_add(w, q, 2), 1); /* again: no change */
	assert_rc(mmapio_watch_links(w, 1, tags, 4), 2);
	assert_true((tags[0] == 1 && tags[1] == 2) ||
		    (tags[0] == 2 && tags[1] == 1));
	assert_rc(mmapio_watch_links(w, 2, NULL, 0), 2);

	pwrite_file(q, 0, "y");
	take_all(w, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(count_of(&l, MMAPIO_EV_MODIFIED, 1), 1);
	assert_int_equal(count_of(&l, MMAPIO_EV_MODIFIED, 2), 1);

	/* One tag removed: the other keeps the watch. */
	assert_ok(mmapio_watch_remove(w, 1));
	assert_rc(mmapio_watch_remove(w, 1), -ENOENT);
	assert_rc(mmapio_watch_links(w, 2, tags, 4), 1);
	assert_int_equal(tags[0], 2);
	pwrite_file(p, 0, "z");
	take_all(w, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(count_of(&l, MMAPIO_EV_MODIFIED, 2), 1);

	/* Removed between the deliveries of one event: not delivered. */
	assert_rc(mmapio_watch_add(w, p, 1), 1);
	pwrite_file(p, 1, "w");
	mmapio_event ev;
	assert_rc(mmapio_watch_next(w, &ev), 1);
	assert_ok(mmapio_watch_remove(w, ev.tag == 1 ? 2 : 1));
	assert_rc(mmapio_watch_next(w, &ev), 0);
	assert_rc(mmapio_watch_add(w, p, 2), 1);

	/* One name unlinked: the link count (METADATA) for both tags.  The
	 * last: the file is gone, for both, and their watch ends. */
	assert_int_equal(unlink(p), 0);
	take_all(w, &l);
	assert_int_equal(count_of(&l, MMAPIO_EV_METADATA, 1), 1);
	assert_int_equal(count_of(&l, MMAPIO_EV_METADATA, 2), 1);
	assert_int_equal(unlink(q), 0);
	l.n = 0;
	EXPECT_TAG(w, &l, MMAPIO_EV_REMOVED, 1);
	EXPECT_TAG(w, &l, MMAPIO_EV_REMOVED, 2);
	EXPECT_TAG(w, &l, MMAPIO_EV_UNWATCHED, 1);
	EXPECT_TAG(w, &l, MMAPIO_EV_UNWATCHED, 2);
	assert_rc(mmapio_watch_links(w, 1, NULL, 0), -ENOENT);
	assert_rc(mmapio_watch_links(w, 2, NULL, 0), -ENOENT);
	assert_rc(mmapio_watch_remove(w, 2), -ENOENT);
	mmapio_watch_close(w);
}

/* Renamed: the watch follows the file until its tag is removed; removed:
 * the kernel ends the watch (IN_IGNORED) and the tag is free again. */
static void test_set_moved_removed(void **state)
{
	char p[TH_PATH_MAX], moved[TH_PATH_MAX];
	mmapio_watch *w = NULL;
	struct evlog l = { .n = 0 };
	(void)state;

	new_file(p, "gone");
	th_unique(moved, "gone-moved");
	assert_ok(mmapio_watch_new(&w));
	assert_ok(mmapio_watch_add(w, p, 7));
	assert_int_equal(rename(p, moved), 0);
	EXPECT_TAG(w, &l, MMAPIO_EV_MOVED, 7);
	pwrite_file(moved, 0, "m");
	take_all(w, &l);
	assert_int_equal(count_of(&l, MMAPIO_EV_MODIFIED, 7), 1);
	assert_ok(mmapio_watch_remove(w, 7));
	pwrite_file(moved, 0, "n");
	take_all(w, &l);
	assert_int_equal(l.n, 0);

	/* A new file by the old name, under the same tag. */
	new_file(p, "gone");
	assert_ok(mmapio_watch_add(w, p, 7));
	assert_int_equal(unlink(p), 0);
	l.n = 0;
	EXPECT_TAG(w, &l, MMAPIO_EV_REMOVED, 7);
	EXPECT_TAG(w, &l, MMAPIO_EV_UNWATCHED, 7);
	assert_rc(mmapio_watch_links(w, 7, NULL, 0), -ENOENT);
	assert_rc(mmapio_watch_add(w, p, 7), -ENOENT);

	/* Removed with its events still queued: none is delivered. */
	assert_ok(mmapio_watch_add(w, moved, 7));
	pwrite_file(moved, 0, "o");
	assert_int_equal(unlink(moved), 0);
	assert_ok(mmapio_watch_remove(w, 7));
	th_sleep_ms(20);
	take_all(w, &l);
	assert_int_equal(l.n, 0);
	mmapio_watch_close(w);
}

#define MANY 2000

/* Thousands of files on one descriptor; every event finds its tag. */
static void test_set_many(void **state)
{
	static char paths[MANY][TH_PATH_MAX];
	unsigned fds = th_fd_count();
	mmapio_watch *w = NULL;
	unsigned char *seen = calloc(MANY, 1);
	mmapio_event ev;
	int rc;
	(void)state;

	assert_non_null(seen);
	assert_ok(mmapio_watch_new(&w));
	for (unsigned i = 0; i < MANY; i++) {
		new_file(paths[i], "many");
		rc = mmapio_watch_add(w, paths[i], (uint64_t)i * 1000003u);
		if (rc == -ENOSPC) {
			mmapio_watch_close(w);
			free(seen);
			th_skip("the inotify watch limit is below %d", MANY);
		}
		assert_rc(rc, 0);
	}
	assert_int_equal(th_fd_count(), fds + 1);
	for (unsigned i = 0; i < MANY; i += 7)
		pwrite_file(paths[i], 0, "!");
	while ((rc = mmapio_watch_next(w, &ev)) == 1) {
		uint64_t i = ev.tag / 1000003u;

		assert_int_equal(ev.kind, MMAPIO_EV_MODIFIED);
		assert_int_equal(ev.tag % 1000003u, 0);
		assert_true(i < MANY && i % 7 == 0);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
	}
	assert_rc(rc, 0);
	for (unsigned i = 0; i < MANY; i += 7)
		assert_int_equal(seen[i], 1);
	for (unsigned i = 0; i < MANY; i += 2)
		assert_ok(mmapio_watch_remove(w, (uint64_t)i * 1000003u));
	for (unsigned i = 0; i < MANY; i++)
		assert_rc(
			mmapio_watch_links(w, (uint64_t)i * 1000003u, NULL, 0),
			i % 2 == 0 ? -ENOENT : 1);
	mmapio_watch_close(w);
	free(seen);
}

static void test_set_errors(void **state)
{
	char a[TH_PATH_MAX], b[TH_PATH_MAX], missing[TH_PATH_MAX];
	mmapio_watch *w = NULL, *one = NULL;
	struct evlog l;
	mmapio_event ev;
	uint64_t tag;
	(void)state;

	new_file(a, "err-a");
	new_file(b, "err-b");
	th_unique(missing, "err-missing");
	assert_rc(mmapio_watch_new(NULL), -EINVAL);
	assert_ok(mmapio_watch_new(&w));
	assert_rc(mmapio_watch_add(NULL, a, 1), -EINVAL);
	assert_rc(mmapio_watch_add(w, NULL, 1), -EINVAL);
	assert_rc(mmapio_watch_add(w, "", 1), -ENOENT);
	assert_rc(mmapio_watch_add(w, missing, 1), -ENOENT);
	assert_rc(mmapio_watch_links(w, 1, NULL, 0), -ENOENT);
	assert_rc(mmapio_watch_links(w, 1, NULL, 1), -EINVAL);
	assert_rc(mmapio_watch_links(NULL, 1, &tag, 1), -EINVAL);
	assert_rc(mmapio_watch_remove(w, 1), -ENOENT);
	assert_rc(mmapio_watch_remove(NULL, 1), -EINVAL);
	assert_rc(mmapio_watch_next(NULL, &ev), -EINVAL);
	assert_rc(mmapio_watch_next(w, NULL), -EINVAL);

	/* A tag watches one file; the refused file is not watched. */
	assert_ok(mmapio_watch_add(w, a, 5));
	assert_rc(mmapio_watch_add(w, b, 5), -EEXIST);
	pwrite_file(b, 0, "b");
	take_all(w, &l);
	assert_int_equal(l.n, 0);

	/* inotify_add_watch's errors come back as they are. */
	th_inotify_add_fail(ENOSPC);
	assert_rc(mmapio_watch_add(w, b, 6), -ENOSPC);
	mmapio__sys_reset();
	assert_rc(mmapio_watch_links(w, 6, NULL, 0), -ENOENT);
	assert_ok(mmapio_watch_add(w, b, 6));

	/* A one-file watch takes no tagged files. */
	assert_ok(mmapio_watch_open(&one, a));
	assert_rc(mmapio_watch_add(one, b, 1), -EINVAL);
	assert_rc(mmapio_watch_remove(one, 1), -EINVAL);
	assert_rc(mmapio_watch_links(one, 1, NULL, 0), -EINVAL);
	mmapio_watch_close(one);
	mmapio_watch_close(w);
}

/* When the kernel's queue overflows, one OVERFLOW event (tag 0) says so. */
static void test_set_overflow(void **state)
{
	char a[TH_PATH_MAX], b[TH_PATH_MAX];
	unsigned long max = 0;
	mmapio_watch *w = NULL;
	mmapio_event ev;
	unsigned overflows = 0;
	FILE *fp;
	int fa, fb, rc;
	(void)state;

	fp = fopen("/proc/sys/fs/inotify/max_queued_events", "re");
	if (fp == NULL || fscanf(fp, "%lu", &max) != 1 || max > 65536) {
		if (fp != NULL)
			fclose(fp);
		th_skip("inotify queue length unknown or above 65536");
	}
	fclose(fp);
	new_file(a, "ovf-a");
	new_file(b, "ovf-b");
	assert_ok(mmapio_watch_new(&w));
	assert_ok(mmapio_watch_add(w, a, 1));
	assert_ok(mmapio_watch_add(w, b, 2));
	fa = open(a, O_WRONLY | O_CLOEXEC);
	fb = open(b, O_WRONLY | O_CLOEXEC);
	assert_true(fa >= 0 && fb >= 0);
	/* Alternating files: the kernel merges no two events in a row. */
	for (unsigned long i = 0; i <= max; i++)
		assert_int_equal(pwrite(i % 2 ? fb : fa, "o", 1, 0), 1);
	close(fa);
	close(fb);
	while ((rc = mmapio_watch_next(w, &ev)) == 1)
		if (ev.kind == MMAPIO_EV_OVERFLOW) {
			assert_int_equal(ev.tag, 0);
			overflows++;
		}
	assert_rc(rc, 0);
	assert_int_equal(overflows, 1);
	mmapio_watch_close(w);
}

#define ADDED 300

struct adder {
	mmapio_watch *w;
	char (*paths)[TH_PATH_MAX];
	int failed;
};

/* Adds files while the main thread takes events, writing each after. */
static void *adder_main(void *arg)
{
	struct adder *a = arg;

	for (unsigned i = 0; i < ADDED; i++) {
		int fd;

		if (mmapio_watch_add(a->w, a->paths[i], 100 + i) != 0) {
			a->failed = 1;
			break;
		}
		fd = open(a->paths[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || pwrite(fd, "t", 1, 0) != 1)
			a->failed = 1;
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void test_set_threads(void **state)
{
	static char paths[ADDED][TH_PATH_MAX];
	struct adder a = { .paths = paths };
	unsigned char seen[ADDED] = { 0 };
	unsigned nseen = 0;
	uint64_t end;
	pthread_t t;
	(void)state;

	for (unsigned i = 0; i < ADDED; i++)
		new_file(paths[i], "thr");
	assert_ok(mmapio_watch_new(&a.w));
	assert_int_equal(pthread_create(&t, NULL, adder_main, &a), 0);
	end = th_now_ms() + (uint64_t)th_ms(5000);
	while (nseen < ADDED && th_now_ms() < end) {
		struct pollfd pfd = { mmapio_watch_fd(a.w), POLLIN, 0 };
		mmapio_event ev;
		int rc;

		poll(&pfd, 1, 20);
		while ((rc = mmapio_watch_next(a.w, &ev)) == 1) {
			assert_int_equal(ev.kind, MMAPIO_EV_MODIFIED);
			assert_true(ev.tag >= 100 && ev.tag < 100 + ADDED);
			assert_int_equal(seen[ev.tag - 100], 0);
			seen[ev.tag - 100] = 1;
			nseen++;
		}
		assert_rc(rc, 0);
	}
	pthread_join(t, NULL);
	assert_int_equal(a.failed, 0);
	assert_int_equal(nseen, ADDED);
	mmapio_watch_close(a.w);
}

struct cb_state {
	pthread_mutex_t lock;
	unsigned got[3];
	int remove_rc;
};

/* Removes its tag at its first event: the watch's lock is not held. */
static void remove_cb(mmapio_watch *w, const mmapio_event *ev, void *arg)
{
	struct cb_state *s = arg;
	int rc = 0;

	if (ev->tag == 1 && ev->kind == MMAPIO_EV_MODIFIED)
		rc = mmapio_watch_remove(w, 1);
	pthread_mutex_lock(&s->lock);
	if (ev->tag < 3)
		s->got[ev->tag]++;
	if (rc != 0)
		s->remove_rc = rc;
	pthread_mutex_unlock(&s->lock);
}

static unsigned got_of(struct cb_state *s, unsigned tag)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = s->got[tag];
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void test_set_callback(void **state)
{
	char a[TH_PATH_MAX], b[TH_PATH_MAX];
	struct cb_state s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	mmapio_watch *w = NULL;
	uint64_t end;
	(void)state;

	new_file(a, "cb-a");
	new_file(b, "cb-b");
	assert_ok(mmapio_watch_new(&w));
	assert_ok(mmapio_watch_add(w, a, 1));
	assert_ok(mmapio_watch_add(w, b, 2));
	assert_ok(mmapio_watch_start(w, remove_cb, &s));
	pwrite_file(a, 0, "1");
	end = th_now_ms() + (uint64_t)th_ms(3000);
	while (got_of(&s, 1) == 0 && th_now_ms() < end)
		th_sleep_ms(5);
	assert_int_equal(got_of(&s, 1), 1);
	pwrite_file(a, 0, "2"); /* removed: not reported */
	pwrite_file(b, 0, "3");
	while (got_of(&s, 2) == 0 && th_now_ms() < end)
		th_sleep_ms(5);
	assert_int_equal(got_of(&s, 2), 1);
	assert_int_equal(got_of(&s, 1), 1);
	mmapio_watch_close(w);
	assert_int_equal(s.remove_rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_watch_path),    TH_TEST(test_watch_handle),
		TH_TEST(test_watch_errors),  TH_TEST(test_watch_callback),
		TH_TEST(test_watch_quiet),   TH_TEST(test_set_tags),
		TH_TEST(test_set_hard_link), TH_TEST(test_set_moved_removed),
		TH_TEST(test_set_many),	     TH_TEST(test_set_errors),
		TH_TEST(test_set_overflow),  TH_TEST(test_set_threads),
		TH_TEST(test_set_callback),
	};

	th_init();
	return th_fini(cmocka_run_group_tests_name("watch", tests, NULL, NULL));
}
