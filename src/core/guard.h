/*
 * guard.h - SIGBUS-safe copies.
 *
 * A page of a shared file mapping beyond the file's current end raises
 * SIGBUS when touched.  The guard arms a thread-local recovery point around
 * the library's own memcpy; the process-wide handler jumps back to it and
 * the copy reports -EIO.  A SIGBUS raised anywhere else is passed on to the
 * handler that was installed before the library's (or to the default
 * action).
 */
#ifndef MMAPIO_GUARD_H
#define MMAPIO_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* Install the process-wide SIGBUS handler once.  Returns 0 or -errno. */
int mmapio__guard_install(void);

/* memcpy(dst, src, len); -EIO if a SIGBUS interrupted it, else 0. */
int mmapio__guarded_copy(void *dst, const void *src, size_t len);

/*
 * Read one byte of every page of [p, p + len): -EIO on SIGBUS, else 0.
 * The fallback for kernels without MADV_POPULATE_READ.
 */
int mmapio__guarded_touch(const uint8_t *p, size_t len, size_t step);

#endif /* MMAPIO_GUARD_H */
