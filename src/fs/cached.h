/*
 * cached.h - the entries of one file the kernel holds or has open.
 *
 * The kernel keeps an entry's pages as long as it keeps the entry's inode,
 * and it keeps the inode from the LOOKUP (or READDIRPLUS) that named it
 * until it sends FORGET.  This set holds a record for every entry the
 * kernel holds (its lookup count) or has open (cache=open), with what is
 * known of its pages: whether it may have any (a READ or a write through
 * it since they were last dropped whole), whether they may be stale (a
 * write through an alias; cache=open), the file's epoch they reflect
 * (changes by other processes), and what READs filled since its last own
 * write (coherence.c, rule 8).  A record lives while the entry is held or
 * open, and is freed when it is neither: the kernel then has no inode for
 * it, so no pages, and one looked up again starts new (stale, no pages).
 * So the set is bounded by the kernel's own inode cache: one record
 * (MMAPFS_CACHED_REC_BYTES plus the allocator's header) per entry the
 * kernel holds, against about a kilobyte the kernel spends on the same
 * inode and dentry.  It is a hash table keyed by inode number.
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
	uint32_t opens;	   /* open handles (cache=open) */
	uint32_t dirtied;  /* times marked stale, to notice one during a drop */
	/* Bytes of the entry READ since its last own write: [lo, hi), empty
	 * when lo >= hi; the file's READ count at the last one, to notice
	 * one during a drop (rule 8). */
	uint64_t read_lo, read_hi;
	uint64_t last_read;
	uint64_t epoch;	     /* the file's epoch its pages reflect */
	uint64_t last_touch; /* the file's touch count at its last READ or
				write, to notice one during a drop (rule 1) */
	bool stale;	     /* its cached pages may be out of date */
	bool pages;	     /* the kernel may cache some of its pages */
	bool attrs;	     /* the kernel may cache its attributes (a LOOKUP,
		       READDIRPLUS or GETATTR reply since the last drop) */
	struct mmapfs_cached_rec *hnext; /* hash chain */
};

struct mmapfs_cached {
	struct mmapfs_cached_rec **buckets;
	size_t nbuckets; /* a power of two, or 0 before the first add */
	size_t count;
};

/* Bytes of one record, for the memory figures the documentation states. */
#define MMAPFS_CACHED_REC_BYTES sizeof(struct mmapfs_cached_rec)

/* An empty set; allocates nothing until the first add. */
void mmapfs_cached_init(struct mmapfs_cached *s);
void mmapfs_cached_destroy(struct mmapfs_cached *s);

struct mmapfs_cached_rec *mmapfs_cached_find(const struct mmapfs_cached *s,
					     uint64_t ino);

/*
 * The record of `ino` into *out, added (neither held nor open, stale, no
 * pages, epoch 0) when missing, with *added telling which.  0, or
 * -ENOMEM with nothing added.  The caller holds or opens a new record at
 * once.
 */
int mmapfs_cached_add(struct mmapfs_cached *s, uint64_t ino, uint64_t off,
		      uint64_t len, struct mmapfs_cached_rec **out,
		      bool *added);

/* Mark stale: its pages must be dropped before it is trusted again. */
void mmapfs_cached_dirty(struct mmapfs_cached_rec *r);

/* The kernel looked the entry up `n` more times (LOOKUP, READDIRPLUS). */
void mmapfs_cached_hold(struct mmapfs_cached_rec *r, uint64_t n);

/* One more open handle (cache=open). */
void mmapfs_cached_open(struct mmapfs_cached_rec *r);

/*
 * The kernel forgot `n` lookups (FORGET; more than it holds counts as
 * all), or one handle was closed.  When the entry is then neither held
 * nor open the record is freed (true): pointers to it must not be used
 * again.
 */
bool mmapfs_cached_forget(struct mmapfs_cached *s, struct mmapfs_cached_rec *r,
			  uint64_t n);
bool mmapfs_cached_close(struct mmapfs_cached *s, struct mmapfs_cached_rec *r);

/* Call fn(record, arg) for every record; fn must not add or remove any. */
void mmapfs_cached_foreach(const struct mmapfs_cached *s,
			   void (*fn)(struct mmapfs_cached_rec *, void *),
			   void *arg);

#endif /* MMAPFS_CACHED_H */
