/*
 * mmapio_i.h - internals of libmmapio shared by the core's modules.
 *
 * Concurrency
 *
 * Reads, writes, views, flushes and hints take no lock.  They load the
 * handle's state word once (acquire): its top bits name the mapping
 * generation, its low bits the size in force.  A generation's address
 * range stays mapped, to the same file, until mmapio_close(), so whatever
 * a reader loaded stays valid memory for as long as it uses it:
 *   - growth inside the reservation maps more pages at the same base;
 *   - growth past it maps the file again at a new base (a new generation)
 *     and leaves the old range mapped, still coherent for shared mappings;
 *   - a shrink maps nothing away: pages past the new end fault with SIGBUS,
 *     which the library's copies turn into -EIO.
 * Writers of the state (resize, refresh) serialise on resize_mu.  A shrink
 * and a view acquisition order themselves Dekker-style on the view count
 * and the state word (both seq_cst), so a shrink never strands a view.
 *
 * Lock order: resize_mu -> flusher.mu.  Nothing takes them the other way.
 */
#ifndef MMAPIO_I_H
#define MMAPIO_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "flush.h"
#include "mmapio.h"

#define MMAPIO_HIDDEN __attribute__((visibility("hidden")))

#define MMAPIO_SIZE_BITS 56
#define MMAPIO_SIZE_MASK ((UINT64_C(1) << MMAPIO_SIZE_BITS) - 1)
#define MMAPIO_MAX_GENS 64

struct mmapio_gen {
	uint8_t *base;	   /* start of the reservation */
	uint64_t reserved; /* bytes of address space at base */
};

struct mmapio_file {
	int fd;
	mmapio_mode mode;
	char *path;

	/* generation << MMAPIO_SIZE_BITS | size.  See "Concurrency". */
	_Atomic uint64_t state;
	/* gens[g] is written before a state naming g is published. */
	struct mmapio_gen gens[MMAPIO_MAX_GENS];

	pthread_mutex_t resize_mu;
	unsigned ngens;	 /* under resize_mu */
	uint64_t mapped; /* under resize_mu: [0, mapped) of the newest
			    generation maps the file; a page multiple */

	atomic_uint views; /* views, segments, iterators outstanding */

	struct mmapio_flusher flusher;
};

/* A consistent (base, size) pair as one reader sees it. */
struct mmapio_snap {
	uint8_t *base;
	uint64_t size;
};

static inline struct mmapio_snap mmapio__decode(const mmapio_file *f,
						uint64_t state)
{
	struct mmapio_snap snap = {
		f->gens[state >> MMAPIO_SIZE_BITS].base,
		state & MMAPIO_SIZE_MASK,
	};

	return snap;
}

static inline struct mmapio_snap mmapio__snap(const mmapio_file *f)
{
	return mmapio__decode(
		f, atomic_load_explicit(&f->state, memory_order_acquire));
}

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

/*
 * msync(MS_SYNC) [off, off + len) of snapshot `s`, widened to pages and
 * clipped to the file's last page.
 */
MMAPIO_HIDDEN int mmapio__sync(mmapio_file *f, struct mmapio_snap s,
			       uint64_t off, uint64_t len);

/*
 * Resolve a hint range against a snapshot: len 0 means to the end; the
 * result is widened to whole pages and clipped to the file's last page.
 */
MMAPIO_HIDDEN int mmapio__page_range(struct mmapio_snap s, uint64_t off,
				     uint64_t len, uint8_t **addr,
				     size_t *plen);

/* Take and drop a view reference on [off, off + len). */
MMAPIO_HIDDEN int mmapio__view_get(mmapio_file *f, uint64_t off, uint64_t len,
				   bool writable, mmapio_view *view);
MMAPIO_HIDDEN void mmapio__view_put(mmapio_file *f);

#endif /* MMAPIO_I_H */
