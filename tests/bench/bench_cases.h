/*
 * bench_cases.h - what is measured: groups of contenders doing the same
 * work on the same file.
 *
 * A group is one operation at one block size.  Contender 0 is always the
 * library; contender 1 is the reference its target is set against;
 * further contenders are shown for information.  Every pass covers the
 * whole file once and returns a checksum that is the same for every
 * contender of a group (so the runner can check that they did the same
 * work, and the compiler cannot drop any of it).
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

/*
 * One pass: size / block calls or pieces, so every pass moves as many
 * bytes as the file holds.  Offsets run through the group's span.
 */
typedef uint64_t (*bench_pass_fn)(struct bench_fixture *fx,
				  const struct bench_group *g);

struct bench_contender {
	const char *name;
	bench_pass_fn pass;
};

struct bench_group {
	const char *op;		 /* operation, e.g. "read" */
	size_t block;		 /* bytes per call or per piece */
	uint64_t span;		 /* offsets cycle through [0, span); 0 = the
	                            whole file (data comes from memory); a
	                            small span keeps the data in the CPU's
	                            caches and shows the per-call cost */
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
