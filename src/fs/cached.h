/*
 * cached.h - the entries of one file whose pages the kernel may cache.
 *
 * An entry's pages are kept in the kernel between opens only while they
 * are known to be current (coherence.c, rule 1).  This set holds what is
 * known: every entry opened, whether its pages may be stale (a write
 * through an alias since they were last dropped), and the file's epoch
 * they reflect (changes by other processes).  It is a hash table keyed
 * by inode number, with the closed entries on a least-recently-used list
 * so that it can be bounded: the caller forgets the oldest closed entries
 * when the mount holds too many (coherence.c), and a forgotten entry
 * counts as stale when it is opened again, so forgetting never needs to
 * touch the kernel.
 *
 * No locking here: coherence.c holds the file's lock around every call.
 */
#ifndef MMAPFS_CACHED_H
#define MMAPFS_CACHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmapfs_cached_rec {
	uint64_t ino;
	uint64_t off, len; /* backing range the entry covers */
	uint32_t opens;	   /* open handles (a mapping keeps one open) */
	uint32_t dirtied;  /* times marked stale, to notice one during a drop */
	/* Bytes of the entry READ since its last own write: [lo, hi), empty
	 * when lo >= hi; the file's READ count at the last one, to notice
	 * one during a drop (rule 8). */
	uint64_t read_lo, read_hi;
	uint64_t last_read;
	uint64_t epoch; /* the file's epoch its pages reflect */
	bool stale;	/* its cached pages may be out of date */
	struct mmapfs_cached_rec *hnext;       /* hash chain */
	struct mmapfs_cached_rec *prev, *next; /* closed list, oldest first */
};

struct mmapfs_cached {
	struct mmapfs_cached_rec **buckets;
	size_t nbuckets; /* a power of two, or 0 before the first add */
	size_t count;
	struct mmapfs_cached_rec *oldest, *newest; /* closed records */
};

/* An empty set; allocates nothing until the first add. */
void mmapfs_cached_init(struct mmapfs_cached *s);
void mmapfs_cached_destroy(struct mmapfs_cached *s);

struct mmapfs_cached_rec *mmapfs_cached_find(const struct mmapfs_cached *s,
					     uint64_t ino);

/*
 * The record of `ino`, added (closed, stale, epoch 0) when missing, with
 * *added telling which.  NULL when out of memory.
 */
struct mmapfs_cached_rec *mmapfs_cached_add(struct mmapfs_cached *s,
					    uint64_t ino, uint64_t off,
					    uint64_t len, bool *added);

/* Mark stale: its pages must be dropped before it is trusted again. */
void mmapfs_cached_dirty(struct mmapfs_cached_rec *r);

/* One more open handle: off the closed list.  True if it was on it. */
bool mmapfs_cached_open(struct mmapfs_cached *s, struct mmapfs_cached_rec *r);

/* One handle fewer; the last one puts it on the closed list (then true). */
bool mmapfs_cached_close(struct mmapfs_cached *s, struct mmapfs_cached_rec *r);

/*
 * Forget the least recently closed record (it is stale when it comes
 * back); false when no record is closed.  Open records are never
 * forgotten.  Pointers to the forgotten record must not be used again.
 */
bool mmapfs_cached_forget_oldest(struct mmapfs_cached *s);

#endif /* MMAPFS_CACHED_H */
