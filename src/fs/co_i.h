/*
 * co_i.h - what the parts of the coherence module share (coherence.c,
 * co_queue.c, co_watch.c, co_write.c): the per-file state, the lock
 * levels, page arithmetic.  Each part states its own invariants in its
 * header (co_queue.h, co_watch.h, co_write.h; cached.h for the table of
 * entries the kernel holds); coherence.c says why each rule holds.  Not
 * for the request handlers: they use coherence.h.
 *
 * Lock order: apply_lock, then wlock (watch states), then a node's
 * lock; a conflict wait's lock, the look lock (llock) and the queue lock
 * (qlock) are leaves, and no two of them are held at once, nor two node
 * locks.  Every lock of the module is taken with co_lock(), which asserts
 * the order in builds with assertions (the test builds): a thread may
 * take a lock only above every lock it holds.  No lock is held while a
 * notification goes to the kernel, except the apply lock (rule 7).
 * The mutex of the mount's mmapio_watch is below them all: libmmapio
 * takes it inside its calls only, and calls nothing of ours under it.
 */
#ifndef MMAPFS_CO_I_H
#define MMAPFS_CO_I_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coherence.h"
#include "log.h"

/* Lock levels, in the order above. */
enum co_level { CO_APPLY = 1u, CO_WATCH = 2u, CO_NODE = 4u, CO_LEAF = 8u };

/* pthread_mutex_lock/unlock of a lock of `level`, the order asserted. */
void co_lock(pthread_mutex_t *m, unsigned level);
void co_unlock(pthread_mutex_t *m, unsigned level);

/*
 * How a drop passes its file's gate (rule 8): not at all (the drops of a
 * conflict, rule 4, and of the written entry's own pages), as a write's
 * drop of an alias, or as anyone else's (the watcher's, the helper's, an
 * open's).  A drop waits without bound behind a write's, at most
 * bounds.gate_ms behind anyone else's.
 */
enum co_gate_kind { CO_UNGATED, CO_GATE_WRITE, CO_GATE_OTHER };

/* A drop in progress (rule 8); on the dropping thread's stack. */
struct co_gate {
	uint64_t ino, lo, hi; /* pages, in bytes of the entry */
	enum co_gate_kind kind;
	struct co_gate *next;
};

struct mmapfs_co_node {
	pthread_mutex_t lock;
	pthread_cond_t gate_cond;
	struct mmapfs_cached set;
	struct co_gate *gates;
	struct mmapfs_co_write *writes;	 /* in flight */
	struct mmapfs_co_write *arrived; /* not yet checked (rule 8) */
	uint64_t reads;			 /* READs counted (rule 8) */
	uint64_t touches; /* READs and writes of entries counted (rule 1) */
	uint64_t next_seq;
	uint64_t epoch; /* outside changes seen (rule 7) */
	/* Under the watch lock: */
	atomic_int watch; /* 0: not yet, 1: watched, -1: failed (tried again) */
	atomic_bool has_siblings;
	atomic_bool changed; /* an outside change not yet applied (rule 7) */
};

struct mmapfs_co_job {
	uint32_t node;
	uint64_t ino; /* inode to drop, or parent of `name` */
	uint64_t off, len;
	char *name; /* a dentry */
	struct mmapfs_co_job *next;
};

struct co_target {
	uint64_t ino, off, len; /* off relative to the entry */
	bool conflict;		/* the alias has a write in flight (rule 4) */
	bool attr_only;		/* no pages: its attributes only (rule 2) */
	uint64_t with;		/* that write's seq */
};

static inline uint64_t round_down(uint64_t v, uint64_t p)
{
	return v - v % p;
}

/* [lo, hi) widened to whole pages, saturating at 2^64 - 1. */
static inline void page_span(uint64_t lo, uint64_t hi, uint64_t p,
			     uint64_t *plo, uint64_t *phi)
{
	*plo = round_down(lo, p);
	*phi = hi % p == 0 ? hi
			   : (hi > UINT64_MAX - p ? UINT64_MAX
						  : round_down(hi, p) + p);
}

/* [*lo, *hi) grown to cover [off, end); empty when *lo >= *hi. */
static inline void span_add(uint64_t *lo, uint64_t *hi, uint64_t off,
			    uint64_t end)
{
	if (*lo >= *hi) {
		*lo = off;
		*hi = end;
		return;
	}
	if (off < *lo)
		*lo = off;
	if (end > *hi)
		*hi = end;
}

/* Now + ms on `clock`, for timed waits. */
static inline void deadline_in(clockid_t clock, long ms, struct timespec *t)
{
	clock_gettime(clock, t);
	t->tv_nsec += ms * 1000000L;
	t->tv_sec += t->tv_nsec / 1000000000L;
	t->tv_nsec %= 1000000000L;
}

/* coherence.c: drop the cached pages of entry `ino` over [off, off + len)
 * (relative to the entry), through the file's gate as `kind` says; true
 * when the kernel dropped them all or had none. */
bool co_drop_pages(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		   uint64_t off, uint64_t len, enum co_gate_kind kind);
/* coherence.c: the records of file `node` that pick() takes, under the
 * node's lock, as targets it fills; *n of them, to free().  NULL when
 * none, or out of memory (logged: the entries of `what` stay cached). */
struct co_target *co_select(struct mmapfs_co *c, uint32_t node,
			    bool (*pick)(struct mmapfs_cached_rec *r,
					 struct co_target *t, void *arg),
			    void *arg, size_t *n, const char *what);

#endif /* MMAPFS_CO_I_H */
