/*
 * bench_run.c - interleaved rounds and their statistics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_run.h"

#define GIB 1073741824.0

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * The order of the contenders at step r: rotated by r, and reversed on
 * every other cycle of rotations, which with 2 or 3 contenders visits
 * every permutation equally often.
 */
static void step_order(size_t *order, size_t n, unsigned r)
{
	size_t i;
	int reverse = (r / n) % 2 != 0;

	for (i = 0; i < n; i++) {
		size_t k = (i + r) % n;

		order[reverse ? n - 1 - i : i] = k;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n), which it sorts. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Bytes per slice, the unit of interleaving: a few milliseconds of work, so
 * that the slices of a pair see the same machine conditions, and far more
 * than the two clock reads around it cost.  At least 8 slices a pass where
 * the file allows. */
static uint64_t slice_bytes(uint64_t size)
{
	uint64_t slice = BENCH_SLICE;

	while (slice > BENCH_MAX_BLOCK && size / slice < 8)
		slice /= 2;
	return slice;
}

/* Timings of one group: per round and per step of every round. */
struct trial {
	size_t n;	    /* contenders */
	uint64_t slice;	    /* bytes per slice */
	uint64_t nslices;   /* slices per pass = steps per round */
	double *round_secs; /* [r * n + c]: contender c's time in round r */
	double *step_gibps; /* [(r * nslices + step) * n + c] */
};

/* One contender's share of a pass, timed; returns its throughput. */
static double run_range(struct bench_fixture *fx, const struct bench_group *g,
			size_t c, struct bench_cursor *cur, uint64_t from,
			uint64_t to, double *secs, uint64_t *sum)
{
	double t0 = bench_now(), dt;

	*sum += g->contenders[c].pass(fx, g, cur, from, to);
	dt = bench_now() - t0;
	*secs += dt;
	return dt > 0 ? (double)(to - from) / GIB / dt : 0;
}

/*
 * One pass of every contender, interleaved slice by slice.  At each step
 * contender c does slice (step + c * nslices / n) % nslices, so
 * contenders never work on the same data back to back (contender 0 goes
 * in order, as an iterator must); the order within a step alternates.
 * Round r's timings go to t (r < 0: the warm-up, not recorded); sums[c]
 * receives each contender's checksum.
 */
static int interleaved_pass(struct bench_fixture *fx,
			    const struct bench_group *g, struct trial *t,
			    long r, uint64_t *sums)
{
	struct bench_cursor cur[BENCH_MAX_CONTENDERS];
	double secs[BENCH_MAX_CONTENDERS], gibps, *row;
	size_t n = t->n, order[BENCH_MAX_CONTENDERS], c, k;
	uint64_t step, s, from, to, first = (uint64_t)(r + 1) * t->nslices;

	memset(cur, 0, sizeof(cur));
	for (c = 0; c < n; c++) {
		secs[c] = 0;
		sums[c] = 0;
	}
	for (step = 0; step < t->nslices && fx->err == 0; step++) {
		row = r < 0 ? NULL
			    : &t->step_gibps[(first - t->nslices + step) * n];
		step_order(order, n, (unsigned)(first + step));
		for (k = 0; k < n && fx->err == 0; k++) {
			c = order[k];
			s = (step + c * t->nslices / n) % t->nslices;
			from = s * t->slice;
			to = s + 1 < t->nslices ? from + t->slice : fx->size;
			gibps = run_range(fx, g, c, &cur[c], from, to, &secs[c],
					  &sums[c]);
			if (row != NULL)
				row[c] = gibps;
		}
	}
	for (c = 0; c < n; c++) {
		bench_cursor_reset(&cur[c]);
		if (r >= 0)
			t->round_secs[(size_t)r * n + c] = secs[c];
	}
	return fx->err;
}

/* Every contender must return the checksum of the group's first pass. */
static int check_sums(struct bench_fixture *fx, const struct bench_group *g,
		      const uint64_t *sums, uint64_t expect)
{
	size_t c;

	for (c = 0; c < g->ncontenders; c++) {
		if (sums[c] != expect) {
			bench_fail(fx, g->contenders[c].name, -EIO);
			fx->err_what = "checksum differs between contenders";
			return -EIO;
		}
	}
	return 0;
}

/* Fill res from t; `tmp` has room for rounds * nslices doubles. */
static void summarise(struct bench_result *res, const struct trial *t,
		      unsigned rounds, double bytes, double *tmp)
{
	double best[BENCH_MAX_CONTENDERS];
	uint64_t steps = rounds * t->nslices, i;
	size_t n = t->n, c;
	unsigned r;

	for (c = 0; c < n; c++) {
		best[c] = t->round_secs[c];
		for (r = 0; r < rounds; r++) {
			double secs = t->round_secs[r * n + c];

			tmp[r] = bytes / GIB / secs;
			if (secs < best[c])
				best[c] = secs;
		}
		res->gibps_median[c] = median(tmp, rounds);
		res->gibps_best[c] = bytes / GIB / best[c];
	}
	res->ratio_median[0] = 1.0;
	res->ratio_best[0] = 1.0;
	for (c = 1; c < n; c++) {
		for (i = 0; i < steps; i++)
			tmp[i] =
				t->step_gibps[i * n] / t->step_gibps[i * n + c];
		res->ratio_median[c] = median(tmp, (size_t)steps);
		res->ratio_best[c] = best[c] / best[0];
	}
}

int bench_run_group(struct bench_fixture *fx, const struct bench_group *g,
		    unsigned rounds, struct bench_result *res)
{
	struct trial t;
	uint64_t sums[BENCH_MAX_CONTENDERS], expect = 0;
	double *tmp;
	unsigned r;
	int rc;

	memset(res, 0, sizeof(*res));
	res->group = g;
	res->rounds = rounds;
	t.n = g->ncontenders;
	t.slice = slice_bytes(fx->size);
	t.nslices = (fx->size + t.slice - 1) / t.slice;
	t.round_secs = calloc((size_t)rounds * t.n, sizeof(double));
	t.step_gibps =
		calloc((size_t)(rounds * t.nslices) * t.n, sizeof(double));
	tmp = calloc((size_t)(rounds * t.nslices), sizeof(double));
	if (t.round_secs == NULL || t.step_gibps == NULL || tmp == NULL) {
		bench_fail(fx, "calloc", -ENOMEM);
		rc = -ENOMEM;
		goto out;
	}
	if (g->prepare != NULL)
		g->prepare(fx);
	/* Warm-up pass, untimed: faults the mapping in, warms the buffer. */
	rc = interleaved_pass(fx, g, &t, -1, sums);
	if (rc == 0) {
		expect = sums[0];
		rc = check_sums(fx, g, sums, expect);
	}
	for (r = 0; r < rounds && rc == 0; r++) {
		rc = interleaved_pass(fx, g, &t, (long)r, sums);
		if (rc == 0)
			rc = check_sums(fx, g, sums, expect);
	}
	if (rc == 0 && g->verify != NULL)
		rc = g->verify(fx, g->span);
	if (rc == 0) {
		summarise(res, &t, rounds, (double)fx->size, tmp);
		res->checksum = expect;
	}
out:
	free(tmp);
	free(t.step_gibps);
	free(t.round_secs);
	return rc;
}
