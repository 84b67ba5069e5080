/*
 * times.c - times of entries (see times.h).  A chained hash table of
 * records keyed by inode number, which doubles as it fills up to its cap,
 * and a floor per file.
 */
#include "times.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ino.h"

#define FIRST_BUCKETS 64

struct mmapfs_times_rec {
	uint64_t ino;
	struct timespec mtime, ctime;
	uint32_t node;
	uint32_t gen; /* the file's floor raises when it was set */
	bool set;     /* set by utimensat, not by a write */
	struct mmapfs_times_rec *next;
};

int mmapfs_times_init(struct mmapfs_times *t, uint32_t nfiles, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->files = calloc(nfiles > 0 ? nfiles : 1, sizeof(*t->files));
	if (t->files == NULL)
		return -ENOMEM;
	t->nfiles = nfiles;
	t->cap = cap > 0 ? cap : 1;
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

void mmapfs_times_destroy(struct mmapfs_times *t)
{
	if (t == NULL || t->files == NULL)
		return;
	for (size_t b = 0; b < t->nbuckets; b++) {
		while (t->buckets[b] != NULL) {
			struct mmapfs_times_rec *r = t->buckets[b];

			t->buckets[b] = r->next;
			free(r);
		}
	}
	free(t->buckets);
	free(t->files);
	pthread_mutex_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
}

static bool later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static void raise_to(struct timespec *v, const struct timespec *to)
{
	if (later(to, v))
		*v = *to;
}

static struct mmapfs_times_rec *find(const struct mmapfs_times *t, uint64_t ino)
{
	if (t->nbuckets == 0)
		return NULL;
	for (struct mmapfs_times_rec *r =
		     t->buckets[mmapfs_ino_bucket(ino, t->nbuckets)];
	     r != NULL; r = r->next)
		if (r->ino == ino)
			return r;
	return NULL;
}

/* The floor of file `node`, taken from *b the first time. */
static struct mmapfs_times_file *file_of(struct mmapfs_times *t, uint32_t node,
					 const struct stat *b)
{
	struct mmapfs_times_file *f = &t->files[node];

	if (!f->known && b != NULL) {
		/* Raised already if a record of it was pushed out. */
		raise_to(&f->mtime, &b->st_mtim);
		raise_to(&f->ctime, &b->st_ctim);
		f->known = true;
	}
	return f;
}

/* Double the buckets (the first FIRST_BUCKETS); 0 or -ENOMEM. */
static int grow(struct mmapfs_times *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : FIRST_BUCKETS;
	struct mmapfs_times_rec **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->nbuckets; i++) {
		while (t->buckets[i] != NULL) {
			struct mmapfs_times_rec *r = t->buckets[i];
			size_t k = mmapfs_ino_bucket(r->ino, n);

			t->buckets[i] = r->next;
			r->next = b[k];
			b[k] = r;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return 0;
}

/* Push one record out; its file's floor rises to its times. */
static void evict_one(struct mmapfs_times *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		size_t b = (t->evict_next + i) % t->nbuckets;
		struct mmapfs_times_rec *r = t->buckets[b];

		if (r == NULL)
			continue;
		t->buckets[b] = r->next;
		t->evict_next = b + 1;
		raise_to(&t->files[r->node].mtime, &r->mtime);
		raise_to(&t->files[r->node].ctime, &r->ctime);
		t->files[r->node].gen++;
		free(r);
		t->count--;
		return;
	}
}

/* The record of `ino` in *out, added when missing; 0 or -ENOMEM. */
static int get_rec(struct mmapfs_times *t, uint32_t node, uint64_t ino,
		   struct mmapfs_times_rec **out)
{
	struct mmapfs_times_rec *r = find(t, ino);
	size_t k;

	if (r != NULL) {
		*out = r;
		return 0;
	}
	if (t->count >= t->cap)
		evict_one(t);
	if (t->count >= t->nbuckets && t->nbuckets < t->cap && grow(t) != 0)
		return -ENOMEM;
	if (t->nbuckets == 0 || (r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->ino = ino;
	r->node = node;
	k = mmapfs_ino_bucket(ino, t->nbuckets);
	r->next = t->buckets[k];
	t->buckets[k] = r;
	t->count++;
	*out = r;
	return 0;
}

void mmapfs_times_get(struct mmapfs_times *t, uint32_t node, uint64_t ino,
		      const struct stat *b, bool live, struct timespec *mtime,
		      struct timespec *ctime)
{
	struct mmapfs_times_file *f;
	struct mmapfs_times_rec *r;

	pthread_mutex_lock(&t->lock);
	f = file_of(t, node, b);
	if (live ||
	    (later(&b->st_mtim, &f->mtime) && later(&b->st_mtim, &f->latest))) {
		/* Moved past the floor and past our last write: not ours
		 * (the kernel dates our stores no later than the write that
		 * made them), so a change from outside, wherever it is. */
		if (!live)
			f->gen++;
		raise_to(&f->mtime, &b->st_mtim);
		raise_to(&f->ctime, &b->st_ctim);
	}
	*mtime = f->mtime;
	*ctime = f->ctime;
	r = find(t, ino);
	if (r != NULL && r->set && r->gen == f->gen) {
		*mtime = r->mtime; /* set since the last change from outside */
		*ctime = r->ctime;
	} else if (r != NULL) {
		raise_to(mtime, &r->mtime);
		raise_to(ctime, &r->ctime);
	}
	pthread_mutex_unlock(&t->lock);
}

void mmapfs_times_written(struct mmapfs_times *t, uint32_t node,
			  const uint64_t *inos, size_t n,
			  const struct timespec *now)
{
	pthread_mutex_lock(&t->lock);
	raise_to(&t->files[node].latest, now);
	for (size_t i = 0; i < n; i++) {
		struct mmapfs_times_rec *r;

		if (get_rec(t, node, inos[i], &r) != 0) {
			/* No memory: every entry of the file moves. */
			raise_to(&t->files[node].mtime, now);
			raise_to(&t->files[node].ctime, now);
			t->files[node].gen++;
			break;
		}
		r->mtime = r->ctime = *now;
		r->set = false;
	}
	pthread_mutex_unlock(&t->lock);
}

void mmapfs_times_all_written(struct mmapfs_times *t, uint32_t node,
			      const struct timespec *now)
{
	pthread_mutex_lock(&t->lock);
	raise_to(&t->files[node].latest, now);
	raise_to(&t->files[node].mtime, now);
	raise_to(&t->files[node].ctime, now);
	t->files[node].gen++;
	pthread_mutex_unlock(&t->lock);
}

int mmapfs_times_set(struct mmapfs_times *t, uint32_t node, uint64_t ino,
		     const struct timespec *mtime, const struct timespec *now)
{
	struct mmapfs_times_rec *r;
	int rc;

	pthread_mutex_lock(&t->lock);
	rc = get_rec(t, node, ino, &r);
	if (rc == 0) {
		r->mtime = *mtime;
		r->ctime = *now;
		r->set = true;
		r->gen = t->files[node].gen;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void mmapfs_times_outside(struct mmapfs_times *t, uint32_t node,
			  const struct stat *b)
{
	struct mmapfs_times_file *f;

	pthread_mutex_lock(&t->lock);
	f = file_of(t, node, b);
	raise_to(&f->mtime, &b->st_mtim);
	raise_to(&f->ctime, &b->st_ctim);
	f->gen++;
	pthread_mutex_unlock(&t->lock);
}

bool mmapfs_times_ahead(struct mmapfs_times *t, uint32_t node,
			const struct timespec *mtime, struct timespec *latest)
{
	pthread_mutex_lock(&t->lock);
	*latest = t->files[node].latest;
	pthread_mutex_unlock(&t->lock);
	return later(latest, mtime);
}
