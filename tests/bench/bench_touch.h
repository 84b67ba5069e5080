/*
 * bench_touch.h - the per-piece work of the iteration benchmark.
 *
 * Kept in a translation unit of its own so that the compiler cannot inline
 * it into one contender's loop and not the other's: the mmapio iterator and
 * the raw loop call exactly the same out-of-line function on each piece.
 */
#ifndef BENCH_TOUCH_H
#define BENCH_TOUCH_H

#include <stddef.h>
#include <stdint.h>

/* Bytes between two words read by bench_touch(): one per cache line. */
#define BENCH_LINE 64

/*
 * Sum the first 64-bit word of every BENCH_LINE-byte line of
 * [data, data + len); a trailing line shorter than a word is skipped.
 */
uint64_t bench_touch(const void *data, size_t len);

#endif /* BENCH_TOUCH_H */
