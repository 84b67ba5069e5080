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

/* One timed (or warm-up) pass; checks the checksum against the group's. */
static int one_pass(struct bench_fixture *fx, const struct bench_group *g,
		    size_t c, int *have_sum, uint64_t *sum, double *secs)
{
	double t0 = bench_now();
	uint64_t s = g->contenders[c].pass(fx, g);

	*secs = bench_now() - t0;
	if (fx->err != 0)
		return fx->err;
	if (*have_sum && s != *sum) {
		bench_fail(fx, g->contenders[c].name, -EIO);
		fx->err_what = "checksum differs between contenders";
		return -EIO;
	}
	*have_sum = 1;
	*sum = s;
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
	size_t n = g->ncontenders, order[BENCH_MAX_CONTENDERS], c;
	double *secs, *tmp, warm;
	int have_sum = 0, rc = 0;
	uint64_t sum = 0;
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
	for (c = 0; c < n && rc == 0; c++)
		rc = one_pass(fx, g, c, &have_sum, &sum, &warm);
	for (r = 0; r < rounds && rc == 0; r++) {
		round_order(order, n, r);
		for (c = 0; c < n && rc == 0; c++)
			rc = one_pass(fx, g, order[c], &have_sum, &sum,
				      &secs[r * n + order[c]]);
	}
	if (rc == 0 && g->verify != NULL)
		rc = g->verify(fx, g->span);
	if (rc == 0) {
		summarise(res, secs, rounds, n, (double)fx->size, tmp);
		res->checksum = sum;
	}
out:
	free(tmp);
	free(secs);
	return rc;
}
