/*
 * coherence.h - keeping aliased entries coherent in the kernel page cache.
 *
 * The same backing bytes are reachable through several inodes (pages/3
 * lies inside chunks/0), and the kernel caches each inode's pages
 * separately.  This module decides which cached pages a write makes stale
 * and tells the kernel to drop them, and notices changes made to the
 * backing files by other processes; see coherence.c for why it is done
 * the way it is.
 */
#ifndef MMAPFS_COHERENCE_H
#define MMAPFS_COHERENCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cached.h"
#include "ino.h"
#include "nodes.h"
#include "notify.h"
#include "opts.h"

struct fuse_session;
struct mmapfs_co_node;
struct mmapfs_co_job;
struct co_look;
struct fuse_bufvec;
struct mmapio_watch;

/*
 * The module's bounded waits.  Each exists because of a kernel behaviour
 * that coherence.c names at the rule cited, and each has a unit test in
 * tests/fs/test_coherence.c that hangs without it.  mmapfs_co_init() sets
 * the defaults below; the unit tests shorten them.  What a user can
 * observe when one runs out is in the man page (COHERENCE).
 */
struct mmapfs_co_bounds {
	/* Rule 4: how long a write that conflicts with another keeps
	 * waiting for its drops while the other write is blocked dropping
	 * the first one's inode: then it takes the wait for a cycle.  The
	 * module cannot see page locks, only that the condition lasts. */
	long cycle_ms; /* 20 */
	/* Rule 4: how long a conflicting write waits at most, cycle or
	 * not: a drop whose page a READ holds waits for a libfuse worker,
	 * and the workers are a bounded pool (max_threads). */
	long conflict_max_ms; /* 5000 */
	/* Rule 8: how long a write waits for the kernel to show it a page
	 * (FUSE_NOTIFY_RETRIEVE is answered by a request a worker must
	 * read; at unmount none is). */
	long look_ms; /* 1000 */
	/* Rule 8: how long a write keeps looking at its last page that the
	 * kernel does not show, for a reader answered before the write
	 * arrived to mark it uptodate (fuse_read_folio() marks the folio
	 * uptodate in the reader's own thread, after our reply). */
	long slow_reader_us; /* 1600 */
	/* Truncation: how long a SETATTR waits for the drop of its entry's
	 * own pages (ops_space.c: fuse_set_nowrite() holds back the WRITE of
	 * a page dirty through mmap() until our reply). */
	long own_drop_ms; /* 500 */
	/* Rule 8: how long a drop waits at its file's gate behind a drop
	 * that is not a write's (the watcher's, the helper's, an open's):
	 * that one may wait for a READ only a libfuse worker answers, and
	 * the drop at the gate is often a worker's. */
	long gate_ms; /* 50 */
	/* Shutdown: how long a thread of the module is given to end before
	 * the daemon aborts its own connection (co_queue.c: a drop holds
	 * the connection's killsb while it waits for a READ nobody will
	 * answer, and the unmount waits for killsb). */
	long join_ms; /* 2000 */
};

struct mmapfs_co {
	struct mmapfs_notify kernel; /* notify.h */
	struct mmapfs_co_bounds bounds;
	bool sync; /* drop before replying (false with -s) */
	enum mmapfs_cache_mode mode;
	uint64_t page;	/* page size, the kernel's granule */
	uint64_t chunk; /* chunk size */
	const struct mmapfs_layout *layout;
	const struct mmapfs_tree *tree;
	struct mmapfs_co_node *nodes;
	uint32_t nnodes;

	/* Changes to the backing files by other processes (rule 7). */
	/* The mount's watch (one inotify instance), each file under its
	 * node's index as tag; NULL with cache=open or without inotify. */
	struct mmapio_watch *watch;
	bool watch_warned;     /* a watch failed, and it was said */
	pthread_mutex_t wlock; /* the nodes' watch states, and draining */

	/* cache=keep: the kernel opens entries itself (FUSE_CAP_NO_OPEN
	 * semantics: OPEN is answered ENOSYS), so every change drops the
	 * pages of the entries the kernel holds when it happens (rule 1). */
	bool no_open;
	/* The watcher thread applies outside changes as inotify reports
	 * them (rule 7); woken through wake_fd. */
	pthread_t watcher;
	bool watcher_running;
	pthread_mutex_t apply_lock; /* one application of changes at a time */
	atomic_uint pending;	    /* files marked changed, not yet applied */
	atomic_bool watcher_stop;
	int wake_fd;
	/* Called by the watcher for a file that changed outside, before its
	 * entries are dropped: picks up a new size. */
	void (*on_change)(void *arg, uint32_t node);
	void *on_change_arg;
	/* Aborts the daemon's own connection, for a thread stuck at
	 * shutdown (co_queue.c); NULL: cancel the thread instead. */
	bool (*abort)(void *arg);
	void *abort_arg;
	bool aborted; /* it was, at shutdown */

	/* The helper thread for drops that must not be waited on. */
	pthread_t helper;
	bool helper_running;
	bool stopping;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct mmapfs_co_job *qhead, *qtail;

	atomic_uint nconflicts; /* conflict threads running (rule 4) */
	bool threads_left;	/* some still ran at shutdown */

	/* Looks at the kernel's copy of a written page (rule 8). */
	pthread_mutex_t llock;
	pthread_cond_t lcond;
	struct co_look *looks;
	uint64_t look_next;
};

/* One write being made coherent, from mmapfs_co_write_arrive() to
 * mmapfs_co_write_end(); lives on the writer's stack. */
struct mmapfs_co_write {
	uint32_t node;
	uint64_t ino;
	uint64_t off, len;  /* written backing range */
	uint64_t entry_off; /* where the written entry starts */
	const void *data;   /* the bytes written, as the kernel sent them */
	bool writeback;	    /* the kernel writing back a mapping's pages */
	uint64_t after_off, after_len; /* own page to drop after the reply */
	/* Under the node's lock, for rule 4: */
	uint64_t seq;	     /* registration order */
	uint64_t blocked_on; /* inode being dropped inline, or 0 */
	bool waiting;	     /* in its own conflict wait */
	struct mmapfs_co_write *next;
	/* Under the node's lock, for rule 8, while on the arrived list: the
	 * write's last page (in the entry), and whether a READ of it was
	 * answered since the write arrived. */
	uint64_t last_page;
	bool late, arrived;
	struct mmapfs_co_write *anext;
};

/*
 * sync: false with the single-threaded loop (see coherence.c).  The tree
 * and layout must outlive the module.  Returns 0 or -errno.
 */
int mmapfs_co_init(struct mmapfs_co *c, const struct mmapfs_tree *tree,
		   const struct mmapfs_layout *layout, uint64_t chunk,
		   bool sync, enum mmapfs_cache_mode mode);
void mmapfs_co_set_session(struct mmapfs_co *c, struct fuse_session *se);
/* Talk to another kernel than the session's (the unit tests). */
void mmapfs_co_set_kernel(struct mmapfs_co *c, const struct mmapfs_notify *k);
int mmapfs_co_start(struct mmapfs_co *c);
void mmapfs_co_stop(struct mmapfs_co *c);
void mmapfs_co_destroy(struct mmapfs_co *c);

/* At shutdown, a helper or watcher thread that waits for a request no one
 * will answer makes the module call fn(arg), which aborts the connection
 * and returns true, or returns false (mmapfs_co_stop). */
void mmapfs_co_set_abort(struct mmapfs_co *c, bool (*fn)(void *arg), void *arg);

/* The watcher calls fn(arg, node) for a file changed from outside. */
void mmapfs_co_set_change_hook(struct mmapfs_co *c,
			       void (*fn)(void *arg, uint32_t node), void *arg);

/*
 * The kernel is told of entry `ino` covering backing bytes [off, off +
 * len) of file `node` (a LOOKUP or READDIRPLUS reply): call before its
 * attributes are computed, so that a change from then on finds it.
 * Watches the file first (rule 7).  *mark is for
 * mmapfs_co_attrs_current().  Returns 0 or -ENOMEM.
 */
int mmapfs_co_lookup(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		     uint64_t off, uint64_t len, uint32_t *mark);

/*
 * The attributes of entry `ino` are about to be computed for a GETATTR
 * reply: the kernel will cache them (rule 2).  Returns a mark.
 */
uint32_t mmapfs_co_attrs_begin(struct mmapfs_co *c, uint32_t node,
			       uint64_t ino);

/*
 * Attributes of `ino` were computed since *mark: false when a write
 * through an alias changed the entry meanwhile (its invalidation may have
 * missed the reply being built): compute them again, with *mark renewed.
 */
bool mmapfs_co_attrs_current(struct mmapfs_co *c, uint32_t node, uint64_t ino,
			     uint32_t *mark);

/* The kernel forgot `nlookup` lookups of entry `ino` (FORGET). */
void mmapfs_co_forget(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		      uint64_t nlookup);

/*
 * Apply every outside change inotify reported so far, before returning
 * (rule 7): a change whose write(2) returned before the call is seen
 * through every entry after it.  Waits for an application in progress.
 */
void mmapfs_co_settle(struct mmapfs_co *c);

/* Whether changes to file `node` from outside are reported (inotify); the
 * attribute timeouts of entries of files that are not must be short. */
bool mmapfs_co_watched(struct mmapfs_co *c, uint32_t node);

/*
 * An entry covering backing bytes [off, off + len) is being opened; call
 * before replying.  Drops its cached pages first when they may be stale
 * (rule 7), or sets *keep_cache false so that the kernel drops them (-s).
 * Returns 0 or -ENOMEM.
 */
int mmapfs_co_opened(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		     uint64_t off, uint64_t len, bool *keep_cache);
/* An open handle of the entry was released. */
void mmapfs_co_released(struct mmapfs_co *c, uint32_t node, uint64_t ino);

/*
 * A WRITE arrived, before its bytes reach the mapping: READs of the entry
 * from now on are noted (rule 8).  Then mmapfs_co_write(), or
 * mmapfs_co_write_abort() if the write failed.  w's node, ino, off, len,
 * entry_off, data and writeback are set; the rest is the module's.
 */
void mmapfs_co_write_arrive(struct mmapfs_co *c, struct mmapfs_co_write *w);
void mmapfs_co_write_abort(struct mmapfs_co *c, struct mmapfs_co_write *w);

/*
 * Call after the bytes reached the mapping and before replying: drops the
 * stale pages of every alias overlapping the write, and the written
 * entry's own pages when they may have been dropped meanwhile (rule 8).
 */
void mmapfs_co_write(struct mmapfs_co *c, struct mmapfs_co_write *w);

/* Call after the reply to the write: the rest of rule 8. */
void mmapfs_co_write_end(struct mmapfs_co *c, struct mmapfs_co_write *w);

/*
 * A READ of [off, off + len) of entry `ino` (relative to the entry) of
 * file `node` is about to be answered: call before its bytes are taken
 * from the mapping (rules 1 and 8).
 */
void mmapfs_co_read(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		    uint64_t off, uint64_t len);

/*
 * The kernel's answer to a look at one of its pages (the retrieve_reply
 * operation, rule 8): `cookie` as it was given, `bufv` the bytes it has.
 */
void mmapfs_co_retrieved(struct mmapfs_co *c, void *cookie,
			 struct fuse_bufvec *bufv);

/*
 * Drop the cached pages of entry `ino` over [off, off + len) (relative to
 * the entry) from a thread of its own, waiting up to bounds.own_drop_ms
 * for it: for a request during which the kernel holds the entry's writes back (a
 * SETATTR of its size), where dropping a page dirty through mmap() on the
 * request's own thread would wait for that request's reply.  True when the
 * drop finished; false when it goes on after the return (and with -s,
 * where it is queued).
 */
bool mmapfs_co_drop_own(struct mmapfs_co *c, uint32_t node, uint64_t ino,
			uint64_t off, uint64_t len);

/*
 * A size change was noticed: drop cached attributes of `ino` now (cheap,
 * never blocks on pages), and queue the dentry `name` in directory
 * `parent` for invalidation when parent is not 0.
 */
void mmapfs_co_inval_attr(struct mmapfs_co *c, uint64_t ino);
/* A directory's listing changed: drop the kernel's cached listing and its
 * attributes (takes no lock a request of the directory holds). */
void mmapfs_co_inval_dir(struct mmapfs_co *c, uint64_t ino);
void mmapfs_co_queue_entry(struct mmapfs_co *c, uint64_t parent,
			   const char *name);

/* File `node` shrank: queue the invalidation of the names the kernel
 * holds of chunks from `chunks` on and pages from `pages` on (rule 6). */
void mmapfs_co_vanished(struct mmapfs_co *c, uint32_t node, uint64_t chunks,
			uint64_t pages);

#endif /* MMAPFS_COHERENCE_H */
