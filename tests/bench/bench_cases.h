/*
 * bench_cases.h - what is measured: groups of contenders doing the same
 * work on the same file.
 *
 * A group is one operation at one block size.  Contender 0 is always the
 * library; contender 1 is the reference its target is set against;
 * further contenders are shown for information.
 *
 * A pass covers the whole file once (size / block calls or pieces), in
 * slices: the runner hands each contender [from, to) ranges of the pass,
 * interleaving the contenders slice by slice, and sums the checksums each
 * returns.  The sums are the same for every contender of a group (so the
 * runner can check that they did the same work, and the compiler cannot
 * drop any of it).
 */
#ifndef BENCH_CASES_H
#define BENCH_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "bench_fixture.h"

#define BENCH_MAX_CONTENDERS 3
#define BENCH_MAX_GROUPS 10

/* Span of the cache-resident groups: well inside any L2 cache. */
#define BENCH_HOT_SPAN ((uint64_t)256 << 10)

struct bench_group;

/* A contender's progress through one pass; zeroed before each pass. */
struct bench_cursor {
	mmapio_iter *it; /* iteration contenders: the open iterator */
	uint64_t pos;	 /* iteration contenders: bytes of the pass done */
};

/*
 * Do [from, to) of a pass: the calls or pieces whose bytes fall there
 * (from and to are multiples of BENCH_MAX_BLOCK, or to is the file size).
 * Copy contenders take ranges in any order.  Iteration contenders must be
 * contender 0 and get them in order, since an iterator only goes forward.
 * Returns the range's checksum; on failure records it in fx and returns 0.
 */
typedef uint64_t (*bench_pass_fn)(struct bench_fixture *fx,
				  const struct bench_group *g,
				  struct bench_cursor *cur, uint64_t from,
				  uint64_t to);

struct bench_contender {
	const char *name;
	bench_pass_fn pass;
};

/* Release what a cursor holds (an iterator of an unfinished pass). */
void bench_cursor_reset(struct bench_cursor *cur);

struct bench_group {
	const char *op;		 /* operation, e.g. "read" */
	size_t block;		 /* bytes per call or per piece */
	uint64_t span;		 /* offsets cycle through [0, span): the n-th
	                            call of a pass goes to n * block % span.
	                            0 = the whole file (data comes from
	                            memory); a small span keeps the data in
	                            the CPU's caches and shows the per-call
	                            cost */
	double target;		 /* least acceptable throughput ratio of
	                            contender 0 to contender 1; 0 = none */
	const char *target_text; /* the target as the table shows it */
	size_t ncontenders;
	struct bench_contender contenders[BENCH_MAX_CONTENDERS];
	/* Optional: run once before the group and once after it. */
	void (*prepare)(struct bench_fixture *fx);
	int (*verify)(struct bench_fixture *fx, uint64_t span);
};

/*
 * Fill `out` (room for BENCH_MAX_GROUPS) with every group, in the order
 * they run: reads, iteration, writes (which overwrite the file), then
 * the cache-resident reads and writes, shown for information.
 * `page` is the system page size.  Returns the number of groups.
 */
size_t bench_groups(struct bench_group *out, size_t page);

#endif /* BENCH_CASES_H */
