/*
 * flush.h - flush policies, the background flusher thread and the
 * asynchronous flush queue of one mapped file.
 */
#ifndef MMAPIO_FLUSH_H
#define MMAPIO_FLUSH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mmapio.h"

struct mmapio_async_req;
struct mmapio_snap;

struct mmapio_flusher {
	/* The policy, read on every write without a lock. */
	_Atomic int kind;
	_Atomic uint64_t n;
	_Atomic uint64_t pending; /* bytes or writes since the last flush */
	atomic_bool dirty;	  /* written since the interval flush */

	/* Thread state and queue, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running;
	bool stop;
	pthread_t thread;
	struct mmapio_async_req *head, *tail;
};

int mmapio__flusher_init(struct mmapio_flusher *fl);

/* Stop the thread after it has run the queued flushes; free everything. */
void mmapio__flusher_destroy(struct mmapio_file *f);

/*
 * Account a write of [off, off + len) that just completed through snapshot
 * `s` and flush as the policy demands.
 */
int mmapio__flusher_wrote(struct mmapio_file *f, struct mmapio_snap s,
			  uint64_t off, uint64_t len);

#endif /* MMAPIO_FLUSH_H */
