/*
 * co_queue.h - the coherence module's helper thread (co_queue.c), and the
 * threads of rule 4's conflicts as the shutdown sees them.
 *
 * Invariants:
 *  - A job on the queue is owned by the queue; the helper frees it after
 *    running it, and a job queued once the module is stopping is freed
 *    at once, not run.
 *  - Names (dentries) are invalidated on the helper thread only (rule 6):
 *    the kernel takes the directory's lock, which a LOOKUP being answered
 *    holds.  With the single-threaded loop every drop is a job (rule 5).
 *  - A job runs with no lock of the module held; the queue lock (qlock)
 *    is a leaf, held only to take or put a job.
 *  - Every conflict thread is counted (nconflicts) from before it starts
 *    until its last touch of the module, so that mmapfs_co_stop() knows
 *    when the module may be freed.
 */
#ifndef MMAPFS_CO_QUEUE_H
#define MMAPFS_CO_QUEUE_H

#include "co_i.h"

/* Run one job in the calling thread: a name, or a drop of pages (through
 * the file's gate as `kind` says). */
void co_run_job(struct mmapfs_co *c, const struct mmapfs_co_job *j,
		enum co_gate_kind kind);
/* Queue a drop of entry `ino`'s pages over [off, off + len) (relative to
 * the entry) for the helper thread; logged and lost when out of memory. */
void co_enqueue_drop(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		     uint64_t off, uint64_t len);
/* The helper thread's body, until c->stopping. */
void *co_helper_main(void *arg);
/* Free the jobs left on the queue (after the helper ended). */
void co_free_queue(struct mmapfs_co *c);
/* Join thread `t` at shutdown; after bounds.join_ms abort the daemon's
 * own connection (once) or, where that cannot be done, cancel it. */
void co_join_or_cancel(struct mmapfs_co *c, pthread_t t, const char *what);
/* A conflict thread ends (its last touch of c). */
void co_conflict_end(struct mmapfs_co *c);
/* Wait for every conflict thread, aborting the connection after
 * bounds.join_ms; true when none runs any more. */
bool co_wait_conflicts(struct mmapfs_co *c);

#endif /* MMAPFS_CO_QUEUE_H */
