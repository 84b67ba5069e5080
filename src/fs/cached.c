/*
 * cached.c - the entries of one file the kernel holds or has open (see
 * cached.h).  Chained hash table that doubles when it holds more records
 * than buckets.
 */
#include "cached.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ino.h"

#define FIRST_BUCKETS 16

void mmapfs_cached_init(struct mmapfs_cached *s)
{
	memset(s, 0, sizeof(*s));
}

void mmapfs_cached_destroy(struct mmapfs_cached *s)
{
	for (size_t b = 0; b < s->nbuckets; b++) {
		struct mmapfs_cached_rec *r = s->buckets[b];

		while (r != NULL) {
			struct mmapfs_cached_rec *next = r->hnext;

			free(r);
			r = next;
		}
	}
	free(s->buckets);
	memset(s, 0, sizeof(*s));
}

struct mmapfs_cached_rec *mmapfs_cached_find(const struct mmapfs_cached *s,
					     uint64_t ino)
{
	if (s->nbuckets == 0)
		return NULL;
	for (struct mmapfs_cached_rec *r =
		     s->buckets[mmapfs_ino_bucket(ino, s->nbuckets)];
	     r != NULL; r = r->hnext)
		if (r->ino == ino)
			return r;
	return NULL;
}

/* Double the buckets (the first FIRST_BUCKETS); 0 or -ENOMEM. */
static int grow(struct mmapfs_cached *s)
{
	size_t n = s->nbuckets ? s->nbuckets * 2 : FIRST_BUCKETS;
	struct mmapfs_cached_rec **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct mmapfs_cached_rec *r = s->buckets[i];

		while (r != NULL) {
			struct mmapfs_cached_rec *next = r->hnext;
			size_t k = mmapfs_ino_bucket(r->ino, n);

			r->hnext = b[k];
			b[k] = r;
			r = next;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
	return 0;
}

static void unhash(struct mmapfs_cached *s, struct mmapfs_cached_rec *r)
{
	struct mmapfs_cached_rec **pp =
		&s->buckets[mmapfs_ino_bucket(r->ino, s->nbuckets)];

	while (*pp != r)
		pp = &(*pp)->hnext;
	*pp = r->hnext;
	s->count--;
}

int mmapfs_cached_add(struct mmapfs_cached *s, uint64_t ino, uint64_t off,
		      uint64_t len, struct mmapfs_cached_rec **out, bool *added)
{
	struct mmapfs_cached_rec *r = mmapfs_cached_find(s, ino);
	size_t k;

	*added = false;
	*out = r;
	if (r != NULL)
		return 0;
	if (s->count >= s->nbuckets && grow(s) != 0)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->ino = ino;
	r->off = off;
	r->len = len;
	r->stale = true;
	k = mmapfs_ino_bucket(ino, s->nbuckets);
	r->hnext = s->buckets[k];
	s->buckets[k] = r;
	s->count++;
	*added = true;
	*out = r;
	return 0;
}

void mmapfs_cached_dirty(struct mmapfs_cached_rec *r)
{
	r->stale = true;
	r->dirtied++;
}

/* Free r when the kernel neither holds it nor has it open; true then. */
static bool release(struct mmapfs_cached *s, struct mmapfs_cached_rec *r)
{
	if (r->nlookup != 0 || r->opens != 0)
		return false;
	unhash(s, r);
	free(r);
	return true;
}

void mmapfs_cached_hold(struct mmapfs_cached_rec *r, uint64_t n)
{
	r->nlookup = r->nlookup > UINT64_MAX - n ? UINT64_MAX : r->nlookup + n;
}

void mmapfs_cached_open(struct mmapfs_cached_rec *r)
{
	r->opens++;
}

bool mmapfs_cached_forget(struct mmapfs_cached *s, struct mmapfs_cached_rec *r,
			  uint64_t n)
{
	r->nlookup = n >= r->nlookup ? 0 : r->nlookup - n;
	return release(s, r);
}

bool mmapfs_cached_close(struct mmapfs_cached *s, struct mmapfs_cached_rec *r)
{
	if (r->opens > 0)
		r->opens--;
	return release(s, r);
}

void mmapfs_cached_foreach(const struct mmapfs_cached *s,
			   void (*fn)(struct mmapfs_cached_rec *, void *),
			   void *arg)
{
	for (size_t b = 0; b < s->nbuckets; b++)
		for (struct mmapfs_cached_rec *r = s->buckets[b]; r != NULL;
		     r = r->hnext)
			fn(r, arg);
}
