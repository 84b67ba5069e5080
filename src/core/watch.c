/*
 * watch.c - change notification built on inotify: one file with its size
 * (mmapio_watch_open/file), or many files under the caller's tags in one
 * inotify instance (mmapio_watch_new/add).
 *
 * A one-file watch keeps an O_PATH descriptor of the file: fstat(2) on it
 * tells whether a modification changed the size and whether the last name
 * is gone.  Holding it also keeps the inode alive, which is why an unlink
 * shows up as IN_ATTRIB with st_nlink == 0 rather than IN_DELETE_SELF.
 *
 * A tagged watch keeps no descriptor per file (a tree of thousands of
 * files must not cost thousands of descriptors), so its events come from
 * the inotify mask alone.  inotify gives one watch descriptor per inode:
 * a hard link added under a second tag gets the wd of the first, so each
 * watched file (struct wfile, found by wd) carries a list of tags (struct
 * wtag, found by tag).  Both are chained hash tables sharing one bucket
 * count, grown as tags are added.  An event of a file is copied out as
 * the list of its tags (w->ptags) and delivered one tag per call, so that
 * the caller may add and remove tags between the calls.
 *
 * Every function takes w->mu for its duration; it is a leaf, and is never
 * held while a callback runs.
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
#include "sys.h"

#define WATCH_MASK (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)
#define MIN_BUCKETS 64

struct wtag {
	uint64_t tag;
	struct wfile *file;
	struct wtag *hnext; /* same bucket of tags[] */
	struct wtag *fnext; /* the file's next tag */
};

struct wfile {
	int wd;
	size_t ntags;
	struct wtag *tags;
	struct wfile *hnext; /* same bucket of files[] */
};

struct mmapio_watch {
	int ifd;    /* inotify instance */
	int pfd;    /* one file: O_PATH descriptor of it */
	int stopfd; /* eventfd that ends the callback thread */
	uint64_t last_size;
	bool removed;
	bool tagged; /* made by mmapio_watch_new() */

	pthread_mutex_t mu; /* everything below */

	/* Tagged: the watched files by wd, their tags by tag. */
	struct wfile **files;
	struct wtag **tags;
	size_t nbuckets, ntags;

	/* Tagged: the event being delivered, to ptags[pi..pn).  pcap is at
	 * least the tag count of every file, so copying never allocates. */
	mmapio_event_kind pkind;
	uint64_t *ptags;
	size_t pi, pn, pcap;

	/* Raw events read but not yet delivered. */
	size_t pos, end;
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	bool started;
	pthread_t thread;
	mmapio_watch_cb cb;
	void *arg;
};

static mmapio_watch *watch_alloc(void)
{
	mmapio_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->ifd = w->pfd = w->stopfd = -1;
	pthread_mutex_init(&w->mu, NULL);
	return w;
}

static int watch_open_at(mmapio_watch **out, const char *path)
{
	mmapio_watch *w;
	struct stat st;
	int rc;

	if (out == NULL || path == NULL)
		return -EINVAL;
	w = watch_alloc();
	if (w == NULL)
		return -ENOMEM;

	w->pfd = open(path, O_PATH | O_CLOEXEC);
	if (w->pfd < 0 || mmapio__sys.fstat(w->pfd, &st) != 0)
		goto fail_errno;
	w->last_size = (uint64_t)st.st_size;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0)
		goto fail_errno;
	if (mmapio__sys.inotify_add_watch(w->ifd, path, WATCH_MASK) < 0)
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

int mmapio_watch_new(mmapio_watch **out)
{
	mmapio_watch *w;
	int rc;

	if (out == NULL)
		return -EINVAL;
	w = watch_alloc();
	if (w == NULL)
		return -ENOMEM;
	w->tagged = true;
	w->nbuckets = MIN_BUCKETS;
	w->files = calloc(w->nbuckets, sizeof(*w->files));
	w->tags = calloc(w->nbuckets, sizeof(*w->tags));
	w->pcap = 4;
	w->ptags = calloc(w->pcap, sizeof(*w->ptags));
	if (w->files == NULL || w->tags == NULL || w->ptags == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0) {
		rc = -errno;
		goto fail;
	}
	*out = w;
	return 0;

fail:
	mmapio_watch_close(w);
	return rc;
}

int mmapio_watch_fd(const mmapio_watch *w)
{
	return w->ifd;
}

/* ------------------------------------------------------------------------ */
/* The tables of a tagged watch (under w->mu)                               */
/* ------------------------------------------------------------------------ */

static size_t bucket_of(size_t nbuckets, uint64_t key)
{
	/* Fibonacci hashing: wds count up, tags are often dense too. */
	return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) &
	       (nbuckets - 1);
}

static struct wfile *find_file(const mmapio_watch *w, int wd)
{
	struct wfile *f = w->files[bucket_of(w->nbuckets, (uint32_t)wd)];

	while (f != NULL && f->wd != wd)
		f = f->hnext;
	return f;
}

static struct wtag *find_tag(const mmapio_watch *w, uint64_t tag)
{
	struct wtag *t = w->tags[bucket_of(w->nbuckets, tag)];

	while (t != NULL && t->tag != tag)
		t = t->hnext;
	return t;
}

/* Double the bucket count when the tags outnumber the buckets. */
static int grow_tables(mmapio_watch *w)
{
	size_t n = w->nbuckets * 2;
	struct wfile **files;
	struct wtag **tags;

	if (w->ntags < w->nbuckets)
		return 0;
	files = calloc(n, sizeof(*files));
	tags = calloc(n, sizeof(*tags));
	if (files == NULL || tags == NULL) {
		free(files);
		free(tags);
		return -ENOMEM;
	}
	for (size_t i = 0; i < w->nbuckets; i++) {
		while (w->files[i] != NULL) {
			struct wfile *f = w->files[i];
			size_t b = bucket_of(n, (uint32_t)f->wd);

			w->files[i] = f->hnext;
			f->hnext = files[b];
			files[b] = f;
		}
		while (w->tags[i] != NULL) {
			struct wtag *t = w->tags[i];
			size_t b = bucket_of(n, t->tag);

			w->tags[i] = t->hnext;
			t->hnext = tags[b];
			tags[b] = t;
		}
	}
	free(w->files);
	free(w->tags);
	w->files = files;
	w->tags = tags;
	w->nbuckets = n;
	return 0;
}

/* Take `t` out of the tag table and its file's list, and free it. */
static void drop_tag(mmapio_watch *w, struct wtag *t)
{
	struct wtag **pp = &w->tags[bucket_of(w->nbuckets, t->tag)];

	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	for (pp = &t->file->tags; *pp != t;)
		pp = &(*pp)->fnext;
	*pp = t->fnext;
	t->file->ntags--;
	w->ntags--;
	free(t);
}

/* Take `f`, left with no tag, out of the file table and free it. */
static void drop_file(mmapio_watch *w, struct wfile *f)
{
	struct wfile **pp = &w->files[bucket_of(w->nbuckets, (uint32_t)f->wd)];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	free(f);
}

/* No event read before now is delivered to `tag`. */
static void strike_pending(mmapio_watch *w, uint64_t tag)
{
	size_t j = w->pi;

	for (size_t i = w->pi; i < w->pn; i++)
		if (w->ptags[i] != tag)
			w->ptags[j++] = w->ptags[i];
	w->pn = j;
}

/* Room in ptags for a file of n tags. */
static int reserve_pending(mmapio_watch *w, size_t n)
{
	uint64_t *p;

	if (n <= w->pcap)
		return 0;
	if (n < w->pcap * 2)
		n = w->pcap * 2;
	p = realloc(w->ptags, n * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	w->ptags = p;
	w->pcap = n;
	return 0;
}

/* The file of watch descriptor `wd`, new or already watched, gains `tag`. */
static int add_locked(mmapio_watch *w, int wd, uint64_t tag)
{
	struct wfile *f = find_file(w, wd);
	struct wtag *t = find_tag(w, tag);
	bool fresh = f == NULL;
	int rc;

	if (t != NULL)
		return t->file == f ? 1 : -EEXIST;
	rc = grow_tables(w);
	if (rc == 0)
		rc = reserve_pending(w, fresh ? 1 : f->ntags + 1);
	if (rc != 0)
		return rc;
	t = calloc(1, sizeof(*t));
	if (fresh)
		f = calloc(1, sizeof(*f));
	if (t == NULL || f == NULL) {
		free(t);
		if (fresh)
			free(f);
		return -ENOMEM;
	}
	if (fresh) {
		size_t b = bucket_of(w->nbuckets, (uint32_t)wd);

		f->wd = wd;
		f->hnext = w->files[b];
		w->files[b] = f;
	}
	t->tag = tag;
	t->file = f;
	t->hnext = w->tags[bucket_of(w->nbuckets, tag)];
	w->tags[bucket_of(w->nbuckets, tag)] = t;
	t->fnext = f->tags;
	f->tags = t;
	f->ntags++;
	w->ntags++;
	strike_pending(w, tag);
	return fresh ? 0 : 1;
}

int mmapio_watch_add(mmapio_watch *w, const char *path, uint64_t tag)
{
	int wd, rc;

	if (w == NULL || path == NULL || !w->tagged)
		return -EINVAL;
	pthread_mutex_lock(&w->mu);
	wd = mmapio__sys.inotify_add_watch(w->ifd, path, WATCH_MASK);
	if (wd < 0) {
		rc = -errno;
		goto out;
	}
	rc = add_locked(w, wd, tag);
	/* A watch made for nothing: the kernel's, not yet in the table. */
	if (rc < 0 && find_file(w, wd) == NULL)
		inotify_rm_watch(w->ifd, wd);
out:
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int mmapio_watch_remove(mmapio_watch *w, uint64_t tag)
{
	struct wtag *t;
	int rc = 0;

	if (w == NULL || !w->tagged)
		return -EINVAL;
	pthread_mutex_lock(&w->mu);
	strike_pending(w, tag);
	t = find_tag(w, tag);
	if (t == NULL) {
		rc = -ENOENT;
	} else {
		struct wfile *f = t->file;

		drop_tag(w, t);
		if (f->tags == NULL) {
			/* Its IN_IGNORED finds no file, and is skipped: the
			 * kernel hands out wds cyclically, so that this one
			 * is not another file's before it is read. */
			inotify_rm_watch(w->ifd, f->wd);
			drop_file(w, f);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int mmapio_watch_links(mmapio_watch *w, uint64_t tag, uint64_t *tags,
		       size_t cap)
{
	const struct wtag *t;
	size_t n = 0;

	if (w == NULL || !w->tagged || (tags == NULL && cap > 0))
		return -EINVAL;
	pthread_mutex_lock(&w->mu);
	t = find_tag(w, tag);
	for (const struct wtag *x = t != NULL ? t->file->tags : NULL; x != NULL;
	     x = x->fnext) {
		if (n < cap)
			tags[n] = x->tag;
		n++;
	}
	pthread_mutex_unlock(&w->mu);
	if (t == NULL)
		return -ENOENT;
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                   */
/* ------------------------------------------------------------------------ */

/* The next raw event: 1 and *out, 0 when none is queued, or -errno. */
static int take_raw(mmapio_watch *w, const struct inotify_event **out)
{
	const struct inotify_event *ie;
	ssize_t n;

	while (w->pos >= w->end) {
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
	*out = ie;
	return 1;
}

/* One file: turn one inotify mask into an event; false when it is not
 * reported. */
static bool translate(mmapio_watch *w, uint32_t mask, mmapio_event *ev)
{
	struct stat st;
	bool have_stat = mmapio__sys.fstat(w->pfd, &st) == 0;
	uint64_t size = have_stat ? (uint64_t)st.st_size : w->last_size;
	bool resized = size != w->last_size;

	w->last_size = size;
	ev->size = size;
	ev->tag = 0;
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

static int next_one_file(mmapio_watch *w, mmapio_event *ev)
{
	const struct inotify_event *ie;
	int rc;

	while ((rc = take_raw(w, &ie)) == 1) {
		/* Events were lost: report what fstat can still tell. */
		if (translate(w,
			      ie->mask & IN_Q_OVERFLOW ? IN_MODIFY : ie->mask,
			      ev))
			return 1;
	}
	return rc;
}

/* A tagged file's event kind from its mask; false when not reported
 * (IN_UNMOUNT: IN_IGNORED follows). */
static bool kind_of(uint32_t mask, mmapio_event_kind *kind)
{
	if (mask & IN_IGNORED)
		*kind = MMAPIO_EV_UNWATCHED;
	else if (mask & IN_MOVE_SELF)
		*kind = MMAPIO_EV_MOVED;
	else if (mask & IN_DELETE_SELF)
		*kind = MMAPIO_EV_REMOVED;
	else if (mask & IN_MODIFY)
		*kind = MMAPIO_EV_MODIFIED;
	else if (mask & IN_ATTRIB)
		*kind = MMAPIO_EV_METADATA;
	else
		return false;
	return true;
}

static int next_tagged(mmapio_watch *w, mmapio_event *ev)
{
	const struct inotify_event *ie;
	mmapio_event_kind kind;
	struct wfile *f;
	int rc;

	ev->size = MMAPIO_EV_SIZE_UNKNOWN;
	for (;;) {
		if (w->pi < w->pn) {
			ev->kind = w->pkind;
			ev->tag = w->ptags[w->pi++];
			return 1;
		}
		rc = take_raw(w, &ie);
		if (rc != 1)
			return rc;
		if (ie->mask & IN_Q_OVERFLOW) {
			ev->kind = MMAPIO_EV_OVERFLOW;
			ev->tag = 0;
			return 1;
		}
		/* No file: its tags were removed since. */
		f = find_file(w, ie->wd);
		if (f == NULL || !kind_of(ie->mask, &kind))
			continue;
		w->pkind = kind;
		w->pi = w->pn = 0;
		for (const struct wtag *t = f->tags; t != NULL; t = t->fnext)
			w->ptags[w->pn++] = t->tag;
		if (kind == MMAPIO_EV_UNWATCHED) {
			/* The kernel dropped the watch: so do the tables. */
			while (f->tags != NULL)
				drop_tag(w, f->tags);
			drop_file(w, f);
		}
	}
}

int mmapio_watch_next(mmapio_watch *w, mmapio_event *ev)
{
	int rc;

	if (w == NULL || ev == NULL)
		return -EINVAL;
	pthread_mutex_lock(&w->mu);
	rc = w->tagged ? next_tagged(w, ev) : next_one_file(w, ev);
	pthread_mutex_unlock(&w->mu);
	return rc;
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
	int rc = 0;

	if (w == NULL || cb == NULL)
		return -EINVAL;
	pthread_mutex_lock(&w->mu);
	if (w->started) {
		rc = -EBUSY;
		goto out;
	}
	w->stopfd = eventfd(0, EFD_CLOEXEC);
	if (w->stopfd < 0) {
		rc = -errno;
		goto out;
	}
	w->cb = cb;
	w->arg = arg;
	rc = -pthread_create(&w->thread, NULL, watch_main, w);
	if (rc != 0) {
		close(w->stopfd);
		w->stopfd = -1;
		goto out;
	}
	w->started = true;
out:
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* Free the tables of a tagged watch; their watches end with w->ifd. */
static void free_tables(mmapio_watch *w)
{
	for (size_t i = 0; w->files != NULL && i < w->nbuckets; i++) {
		while (w->files[i] != NULL) {
			struct wfile *f = w->files[i];

			w->files[i] = f->hnext;
			while (f->tags != NULL) {
				struct wtag *t = f->tags;

				f->tags = t->fnext;
				free(t);
			}
			free(f);
		}
	}
	free(w->files);
	free(w->tags);
	free(w->ptags);
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
	free_tables(w);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
