/*
 * cached.h - the entries of one file whose pages the kernel may cache.
 *
 * The kernel keeps an entry's pages as long as it keeps the entry's inode,
 * and it keeps the inode from the LOOKUP (or READDIRPLUS) that named it
 * until it sends FORGET.  This set holds a record for every entry the
 * kernel holds (its lookup count) or has open (cache=open), with what is
 * known of its pages: whether it may have any (a READ or a write through
 * it since they were last dropped whole), whether they may be stale (a
 * write through an alias; cache=open only), and the file's epoch they
 * reflect (changes by other processes).  A record whose lookup count
 * falls to 0 while the entry is not open is freed: the kernel has no
 * inode for it, so no pages.  Records of entries that are neither held
 * nor open (cache=open, after the kernel forgot a name it had opened) sit
 * on a least-recently-used list so that they can be bounded: the caller
 * forgets the oldest such records when the mount holds too many, and a
 * forgotten entry counts as stale when it is opened again.  It is a hash
 * table keyed by inode number.  Memory: one record (MMAPFS_CACHED_REC_BYTES
 * plus the allocator's header) per entry the kernel holds, against about
 * a kilobyte the kernel spends on the same inode and dentry.
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
	uint64_t nlookup;  /* lookups the kernel has not forgotten */
	uint32_t opens;	   /* open handles (a mapping keeps one open) */
	uint32_t dirtied;  /* times marked stale, to notice one during a drop */
	/* Bytes of the entry READ since its last own write: [lo, hi), empty
	 * when lo >= hi; the file's READ count at the last one, to notice
	 * one during a drop (rule 8). */
	uint64_t read_lo, read_hi;
	uint64_t last_read;
	uint64_t epoch;	     /* the file's epoch its pages reflect */
	bool stale;	     /* its cached pages may be out of date */
	bool pages;	     /* the kernel may cache some of its pages */
	uint64_t last_touch; /* the file's touch count at its last READ or
				write, to notice one during a drop (rule 1) */
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

/* Bytes of one record, for the memory figures the documentation states. */
#define MMAPFS_CACHED_REC_BYTES sizeof(struct mmapfs_cached_rec)

/* Mark stale: its pages must be dropped before it is trusted again. */
void mmapfs_cached_dirty(struct mmapfs_cached_rec *r);

/* One more open handle: off the closed list.  True if it was on it. */
bool mmapfs_cached_open(struct mmapfs_cached *s, struct mmapfs_cached_rec *r);

/* One handle fewer; the last one puts it on the closed list (then true)
 * unless the kernel holds it. */
bool mmapfs_cached_close(struct mmapfs_cached *s, struct mmapfs_cached_rec *r);

/*
 * The kernel looked the entry up `n` more times (LOOKUP, READDIRPLUS):
 * held until forgotten, off the closed list.  True if it was on it.
 */
bool mmapfs_cached_hold(struct mmapfs_cached *s, struct mmapfs_cached_rec *r,
			uint64_t n);

/*
 * The kernel forgot `n` lookups (FORGET; more than it holds counts as
 * all).  When it holds none any more and the entry is not open the record
 * is freed (true): pointers to it must not be used again.
 */
bool mmapfs_cached_forget(struct mmapfs_cached *s, struct mmapfs_cached_rec *r,
			  uint64_t n);

/* Call fn(record, arg) for every record; fn must not add or remove any. */
void mmapfs_cached_foreach(const struct mmapfs_cached *s,
			   void (*fn)(struct mmapfs_cached_rec *, void *),
			   void *arg);

/*
 * Forget the least recently closed record (it is stale when it comes
 * back); false when no record is closed.  Open records are never
 * forgotten.  Pointers to the forgotten record must not be used again.
 */
bool mmapfs_cached_forget_oldest(struct mmapfs_cached *s);

#endif /* MMAPFS_CACHED_H */
