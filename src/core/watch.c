/*
 * watch.c - change notification for one file, built on inotify.
 *
 * The watch keeps an O_PATH descriptor of the file: fstat(2) on it tells
 * whether a modification changed the size and whether the last name is
 * gone.  Holding it also keeps the inode alive, which is why an unlink
 * shows up as IN_ATTRIB with st_nlink == 0 rather than IN_DELETE_SELF.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmapio_i.h"

#define WATCH_MASK (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)

struct mmapio_watch {
	int ifd;    /* inotify instance */
	int pfd;    /* O_PATH descriptor of the watched file */
	int stopfd; /* eventfd that ends the callback thread */
	uint64_t last_size;
	bool removed;

	/* Raw events read but not yet delivered. */
	size_t pos, end;
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	bool started;
	pthread_t thread;
	mmapio_watch_cb cb;
	void *arg;
};

static int watch_open_at(mmapio_watch **out, const char *path)
{
	mmapio_watch *w;
	struct stat st;
	int rc;

	if (out == NULL || path == NULL)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->ifd = w->pfd = w->stopfd = -1;

	w->pfd = open(path, O_PATH | O_CLOEXEC);
	if (w->pfd < 0 || fstat(w->pfd, &st) != 0)
		goto fail_errno;
	w->last_size = (uint64_t)st.st_size;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0)
		goto fail_errno;
	if (inotify_add_watch(w->ifd, path, WATCH_MASK) < 0)
		goto fail_errno;
	*out = w;
	return 0;

fail_errno:
	rc = -errno;
	mmapio_watch_close(w);
	return rc;
}

int mmapio_watch_open(mmapio_watch **out, const char *path)
{
	return watch_open_at(out, path);
}

int mmapio_watch_file(mmapio_watch **out, mmapio_file *f)
{
	char path[64];

	/* The /proc link follows the open file even if renamed or removed. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mmapio_fd(f));
	return watch_open_at(out, path);
}

int mmapio_watch_fd(const mmapio_watch *w)
{
	return w->ifd;
}

/* Turn one inotify mask into an event; false when it is not reported. */
static bool translate(mmapio_watch *w, uint32_t mask, mmapio_event *ev)
{
	struct stat st;
	bool have_stat = fstat(w->pfd, &st) == 0;
	uint64_t size = have_stat ? (uint64_t)st.st_size : w->last_size;
	bool resized = size != w->last_size;

	w->last_size = size;
	ev->size = size;
	if (mask & IN_MOVE_SELF) {
		ev->kind = MMAPIO_EV_MOVED;
		return true;
	}
	if ((mask & IN_DELETE_SELF) || (have_stat && st.st_nlink == 0)) {
		if (w->removed)
			return false;
		w->removed = true;
		ev->kind = MMAPIO_EV_REMOVED;
		return true;
	}
	if (resized) {
		ev->kind = MMAPIO_EV_RESIZED;
		return true;
	}
	if (mask & IN_MODIFY) {
		ev->kind = MMAPIO_EV_MODIFIED;
		return true;
	}
	if (mask & IN_ATTRIB) {
		ev->kind = MMAPIO_EV_METADATA;
		return true;
	}
	return false; /* IN_IGNORED, IN_Q_OVERFLOW handled by the caller */
}

int mmapio_watch_next(mmapio_watch *w, mmapio_event *ev)
{
	for (;;) {
		const struct inotify_event *ie;
		ssize_t n;

		if (w->pos >= w->end) {
			n = read(w->ifd, w->buf, sizeof(w->buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return errno == EAGAIN ? 0 : -errno;
			w->pos = 0;
			w->end = (size_t)n;
		}
		ie = (const struct inotify_event *)(w->buf + w->pos);
		w->pos += sizeof(*ie) + ie->len;
		if (ie->mask & IN_Q_OVERFLOW) {
			/* Events were lost: report what fstat can still tell. */
			if (translate(w, IN_MODIFY, ev))
				return 1;
			continue;
		}
		if (translate(w, ie->mask, ev))
			return 1;
	}
}

static void *watch_main(void *arg)
{
	mmapio_watch *w = arg;
	struct pollfd p[2] = {
		{ .fd = w->ifd, .events = POLLIN },
		{ .fd = w->stopfd, .events = POLLIN },
	};
	mmapio_event ev;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		while (mmapio_watch_next(w, &ev) == 1)
			w->cb(w, &ev, w->arg);
	}
	return NULL;
}

int mmapio_watch_start(mmapio_watch *w, mmapio_watch_cb cb, void *arg)
{
	int rc;

	if (cb == NULL)
		return -EINVAL;
	if (w->started)
		return -EBUSY;
	w->stopfd = eventfd(0, EFD_CLOEXEC);
	if (w->stopfd < 0)
		return -errno;
	w->cb = cb;
	w->arg = arg;
	rc = pthread_create(&w->thread, NULL, watch_main, w);
	if (rc != 0) {
		close(w->stopfd);
		w->stopfd = -1;
		return -rc;
	}
	w->started = true;
	return 0;
}

void mmapio_watch_close(mmapio_watch *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		uint64_t one = 1;

		while (write(w->stopfd, &one, sizeof(one)) < 0 &&
		       errno == EINTR)
			;
		pthread_join(w->thread, NULL);
	}
	if (w->stopfd >= 0)
		close(w->stopfd);
	if (w->ifd >= 0)
		close(w->ifd);
	if (w->pfd >= 0)
		close(w->pfd);
	free(w);
}
