/*
 * readers.h - announcing in-flight accesses so that a shrink can wait for
 * them, without a shared lock on the read path.
 *
 * Each thread owns a slot.  An access stores the handle it uses into its
 * slot before loading the handle's state and clears it afterwards: two
 * plain stores to a cache line no other thread writes.  A shrink publishes
 * the smaller size, then mmapio__readers_wait() makes every thread of the
 * process pass a memory barrier (membarrier(2)) and waits until no slot
 * names the handle any more.  From then on every access sees the new size,
 * so the file can be truncated without an access racing into the cut.
 */
#ifndef MMAPIO_READERS_H
#define MMAPIO_READERS_H

#include <stdatomic.h>
#include <stdbool.h>

struct mmapio_file;

struct mmapio_reader {
	_Atomic(const struct mmapio_file *) file;
	struct mmapio_reader *next;
	atomic_bool in_use;
};

/* This thread's slot, registering it on first use; NULL if out of memory. */
struct mmapio_reader *mmapio__reader_slot(void);

/* Whether accesses need a real fence (no membarrier on this kernel). */
extern atomic_bool mmapio__readers_fence;

static inline struct mmapio_reader *
mmapio__read_begin(const struct mmapio_file *f)
{
	struct mmapio_reader *r = mmapio__reader_slot();

	if (r == NULL)
		return NULL;
	atomic_store_explicit(&r->file, f, memory_order_relaxed);
	if (atomic_load_explicit(&mmapio__readers_fence, memory_order_relaxed))
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
	return r;
}

static inline void mmapio__read_end(struct mmapio_reader *r)
{
	atomic_store_explicit(&r->file, NULL, memory_order_release);
}

/*
 * Wait until every access to f that may have loaded a state older than the
 * one just published has finished.  Called with f->resize_mu held.
 */
void mmapio__readers_wait(const struct mmapio_file *f);

#endif /* MMAPIO_READERS_H */
