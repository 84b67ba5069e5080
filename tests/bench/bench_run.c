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
 * The order of the contenders in round r: rotated by r, and reversed on
 * every other cycle of rotations, which with 2 or 3 contenders visits
 * every permutation equally often.
 */
static void round_order(size_t *order, size_t n, unsigned r)
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

/* Bytes per slice: the unit of interleaving.  Small enough that a burst of
 * noise spans several slices of every contender, large enough (beyond the
 * last-level cache) that timing calls cost nothing. */
static uint64_t slice_bytes(uint64_t size)
{
	uint64_t slice = BENCH_SLICE;

	while (slice > BENCH_MAX_BLOCK && size / slice < 8)
		slice /= 2;
	return slice;
}

/* One contender's share of a pass, timed; adds to *secs and *sum. */
static int run_range(struct bench_fixture *fx, const struct bench_group *g,
		     size_t c, struct bench_cursor *cur, uint64_t from,
		     uint64_t to, double *secs, uint64_t *sum)
{
	double t0 = bench_now();
	uint64_t s = g->contenders[c].pass(fx, g, cur, from, to);

	*secs += bench_now() - t0;
	*sum += s;
	return fx->err;
}

/*
 * One pass of every contender, interleaved slice by slice.  At each step
 * contender c does slice (step + rot[c]) % nslices, so contenders never
 * work on the same data back to back (contender 0 goes in order, as an
 * iterator must); the order within a step alternates.  secs[c] receives
 * each contender's total time, sums[c] its checksum.
 */
static int interleaved_pass(struct bench_fixture *fx,
			    const struct bench_group *g, unsigned r,
			    double *secs, uint64_t *sums)
{
	struct bench_cursor cur[BENCH_MAX_CONTENDERS];
	size_t n = g->ncontenders, order[BENCH_MAX_CONTENDERS], c, k;
	uint64_t slice = slice_bytes(fx->size);
	uint64_t nslices = (fx->size + slice - 1) / slice, step, s;
	int rc = 0;

	memset(cur, 0, sizeof(cur));
	for (c = 0; c < n; c++) {
		secs[c] = 0;
		sums[c] = 0;
	}
	for (step = 0; step < nslices && rc == 0; step++) {
		round_order(order, n, (unsigned)(r * nslices + step));
		for (k = 0; k < n && rc == 0; k++) {
			c = order[k];
			s = (step + c * nslices / n) % nslices;
			rc = run_range(fx, g, c, &cur[c], s * slice,
				       s + 1 < nslices ? (s + 1) * slice
						       : fx->size,
				       &secs[c], &sums[c]);
		}
	}
	for (c = 0; c < n; c++)
		bench_cursor_reset(&cur[c]);
	return rc;
}

/* Every contender must return the checksum of the group's first pass. */
static int check_sums(struct bench_fixture *fx, const struct bench_group *g,
		      const uint64_t *sums, uint64_t *expect)
{
	size_t c;

	for (c = 0; c < g->ncontenders; c++) {
		if (sums[c] != *expect) {
			bench_fail(fx, g->contenders[c].name, -EIO);
			fx->err_what = "checksum differs between contenders";
			return -EIO;
		}
	}
	return 0;
}

/* Fill res from secs[r * n + c]; `tmp` has room for `rounds` doubles. */
static void summarise(struct bench_result *res, const double *secs,
		      unsigned rounds, size_t n, double bytes, double *tmp)
{
	double best[BENCH_MAX_CONTENDERS];
	size_t c;
	unsigned r;

	for (c = 0; c < n; c++) {
		best[c] = secs[c];
		for (r = 0; r < rounds; r++) {
			tmp[r] = bytes / GIB / secs[r * n + c];
			if (secs[r * n + c] < best[c])
				best[c] = secs[r * n + c];
		}
		res->gibps_median[c] = median(tmp, rounds);
		res->gibps_best[c] = bytes / GIB / best[c];
	}
	res->ratio_median[0] = 1.0;
	res->ratio_best[0] = 1.0;
	for (c = 1; c < n; c++) {
		for (r = 0; r < rounds; r++)
			tmp[r] = secs[r * n + c] / secs[r * n];
		res->ratio_median[c] = median(tmp, rounds);
		res->ratio_best[c] = best[c] / best[0];
	}
}

int bench_run_group(struct bench_fixture *fx, const struct bench_group *g,
		    unsigned rounds, struct bench_result *res)
{
	size_t n = g->ncontenders;
	double *secs, *tmp, warm[BENCH_MAX_CONTENDERS];
	uint64_t sums[BENCH_MAX_CONTENDERS], expect;
	int rc;
	unsigned r;

	memset(res, 0, sizeof(*res));
	res->group = g;
	res->rounds = rounds;
	secs = calloc((size_t)rounds * n, sizeof(*secs));
	tmp = calloc(rounds, sizeof(*tmp));
	if (secs == NULL || tmp == NULL) {
		bench_fail(fx, "calloc", -ENOMEM);
		rc = -ENOMEM;
		goto out;
	}
	if (g->prepare != NULL)
		g->prepare(fx);
	/* Warm-up pass, untimed: faults the mapping in, warms the buffer. */
	rc = interleaved_pass(fx, g, 0, warm, sums);
	expect = sums[0];
	if (rc == 0)
		rc = check_sums(fx, g, sums, &expect);
	for (r = 0; r < rounds && rc == 0; r++) {
		rc = interleaved_pass(fx, g, r + 1, &secs[r * n], sums);
		if (rc == 0)
			rc = check_sums(fx, g, sums, &expect);
	}
	if (rc == 0 && g->verify != NULL)
		rc = g->verify(fx, g->span);
	if (rc == 0) {
		summarise(res, secs, rounds, n, (double)fx->size, tmp);
		res->checksum = expect;
	}
out:
	free(tmp);
	free(secs);
	return rc;
}
