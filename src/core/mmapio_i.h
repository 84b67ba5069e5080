/*
 * mmapio_i.h - internals of libmmapio shared by the core's modules.
 *
 * Lock order (never take them the other way round):
 *     mmapio_file.lock  (rwlock: base, mapped, reserved, size)
 *       -> mmapio_flusher.mu  (policy thread state and async queue)
 * The flusher thread takes file.lock (shared) only while it does not hold
 * flusher.mu.
 */
#ifndef MMAPIO_I_H
#define MMAPIO_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mmapio.h"
#include "flush.h"

#define MMAPIO_HIDDEN __attribute__((visibility("hidden")))

struct mmapio_file {
	int fd;
	mmapio_mode mode;
	char *path;

	/*
	 * Shared by every access through the mapping, exclusive for a change
	 * of base/mapped/reserved/size.  Readers check bounds under it, so a
	 * concurrent resize can never leave an access past the mapping.
	 */
	pthread_rwlock_t lock;
	uint8_t *base;	   /* start of the reservation; fixed while views > 0 */
	uint64_t reserved; /* bytes of address space at base */
	uint64_t mapped;   /* [0, mapped) maps the file; page multiple */
	_Atomic uint64_t size; /* file size as last seen; written under lock */

	atomic_uint views; /* views, segments, iterators outstanding */

	struct mmapio_flusher flusher;
};

/* Round up/down to the page size (a power of two). */
static inline uint64_t mmapio__page_down(uint64_t x)
{
	return x & ~((uint64_t)mmapio_page_size() - 1);
}

static inline uint64_t mmapio__page_up(uint64_t x)
{
	return mmapio__page_down(x + mmapio_page_size() - 1);
}

/* True when [off, off + len) lies within size, with no overflow. */
static inline bool mmapio__in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static inline uint64_t mmapio__size_locked(const mmapio_file *f)
{
	return atomic_load_explicit(&f->size, memory_order_relaxed);
}

/*
 * msync(MS_SYNC) [off, off + len) widened to pages and clipped to the
 * mapping.  Caller holds f->lock (shared or exclusive).
 */
MMAPIO_HIDDEN int mmapio__sync_locked(mmapio_file *f, uint64_t off,
				      uint64_t len);

/*
 * Resolve a hint range: len 0 means to the end; the result is widened to
 * whole pages and clipped to the mapping.  Caller holds f->lock.
 */
MMAPIO_HIDDEN int mmapio__page_range_locked(mmapio_file *f, uint64_t off,
					    uint64_t len, uint8_t **addr,
					    size_t *plen);

/* Take and drop a view reference on [off, off + len) under the lock. */
MMAPIO_HIDDEN int mmapio__view_get(mmapio_file *f, uint64_t off, uint64_t len,
				   bool writable, mmapio_view *view);
MMAPIO_HIDDEN void mmapio__view_put(mmapio_file *f);

#endif /* MMAPIO_I_H */
