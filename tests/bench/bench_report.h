/*
 * bench_report.h - the results as a table for people and as TSV for tools.
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_run.h"

/* What the run was: printed above the table and into the TSV. */
struct bench_info {
	uint64_t size;
	unsigned rounds;
	const char *dir;
	const char *fstype;
	char cpu[128];
	long ncpu;
};

/* Fill cpu and ncpu from the running machine. */
void bench_info_machine(struct bench_info *info);

void bench_report_header(FILE *out, const struct bench_info *info);

/*
 * One row per library contender and reference: the first reference of
 * each group carries the target and met/missed, further ones are "info".
 */
void bench_report_table(FILE *out, const struct bench_result *res, size_t n);

/* Write the same rows as tab-separated values to `path`; 0 or -errno. */
int bench_report_tsv(const char *path, const struct bench_info *info,
		     const struct bench_result *res, size_t n);

#endif /* BENCH_REPORT_H */
