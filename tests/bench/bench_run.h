/*
 * bench_run.h - run a group's contenders in interleaved rounds.
 *
 * A round is one pass over the file by every contender, interleaved slice
 * by slice (BENCH_SLICE bytes, fewer on small files): A B C, then the next
 * slice in another order, and so on, each contender on a different slice
 * at each step.  Noise from the machine lasts longer than a slice, so it
 * lands on all contenders alike.  An untimed round first faults the
 * mapping in and warms the shared buffer.  Throughputs are over rounds;
 * ratios are over steps, each pairing two slices run back to back, so a
 * burst of noise spoils a few pairs and the median ignores them.
 */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include <stdint.h>

#include "bench_cases.h"

/* Bytes each contender does before the next one takes its turn. */
#define BENCH_SLICE ((uint64_t)4 << 20)

struct bench_result {
	const struct bench_group *group;
	unsigned rounds;
	double gibps_median[BENCH_MAX_CONTENDERS];
	double gibps_best[BENCH_MAX_CONTENDERS];
	/*
	 * [c] for c >= 1: throughput of contender 0 over contender c.
	 * ratio_median is the median, over every step of every round, of
	 * the ratio of the two slices done back to back at that step;
	 * ratio_best divides the best rounds.  [0] is 1.
	 */
	double ratio_median[BENCH_MAX_CONTENDERS];
	double ratio_best[BENCH_MAX_CONTENDERS];
	uint64_t checksum; /* the one every pass of every contender returned */
};

/* Monotonic time in seconds. */
double bench_now(void);

/*
 * Run group `g` on `fx` for `rounds` rounds (>= 1) into `res`.  Returns 0,
 * or a negative errno when a contender failed or the contenders'
 * checksums disagree (fx->err and fx->err_what say which).
 */
int bench_run_group(struct bench_fixture *fx, const struct bench_group *g,
		    unsigned rounds, struct bench_result *res);

#endif /* BENCH_RUN_H */
