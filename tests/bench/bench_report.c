/*
 * bench_report.c - table and TSV output.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bench_report.h"

void bench_info_machine(struct bench_info *info)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(info->cpu, sizeof(info->cpu), "unknown CPU");
	info->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || colon == NULL)
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(info->cpu, sizeof(info->cpu), "%s", colon);
		break;
	}
	fclose(f);
}

static const char *block_text(size_t block, char *buf, size_t len)
{
	if (block >= ((size_t)1 << 20) && block % ((size_t)1 << 20) == 0)
		snprintf(buf, len, "%zu MiB", block >> 20);
	else if (block >= 1024 && block % 1024 == 0)
		snprintf(buf, len, "%zu KiB", block >> 10);
	else
		snprintf(buf, len, "%zu B", block);
	return buf;
}

/* "met", "missed", or "info" for a reference without a target. */
static const char *verdict(const struct bench_result *r, size_t c)
{
	if (c != 1 || r->group->target <= 0)
		return "info";
	return r->ratio_median[1] >= r->group->target ? "met" : "missed";
}

void bench_report_header(FILE *out, const struct bench_info *info)
{
	fprintf(out,
		"libmmapio %s library benchmark\n"
		"machine: %s, %ld online CPUs\n"
		"file:    %llu MiB in %s (%s), warm in the page cache\n"
		"method:  %u round%s; in each round every contender passes "
		"over the file once,\n"
		"         interleaved with the others slice by slice "
		"(order alternating);\n"
		"         GiB/s = median over rounds; ratio = mmapio / "
		"reference, median over all\n"
		"         pairs of slices run back to back (iteration "
		"target: time <= 1.1x raw\n"
		"         loop, i.e. ratio >= 0.909)\n\n",
		mmapio_version(), info->cpu, info->ncpu,
		(unsigned long long)(info->size >> 20), info->dir, info->fstype,
		info->rounds, info->rounds == 1 ? "" : "s");
}

void bench_report_table(FILE *out, const struct bench_result *res, size_t n)
{
	size_t i, c;
	char blk[32];

	fprintf(out, "%-15s %-7s %-19s %7s  %-17s %7s  %6s  %-8s %s\n",
		"operation", "block", "mmapio", "GiB/s", "reference", "GiB/s",
		"ratio", "target", "result");
	for (i = 0; i < n; i++) {
		const struct bench_result *r = &res[i];
		const struct bench_group *g = r->group;

		for (c = 1; c < g->ncontenders; c++)
			fprintf(out,
				"%-15s %-7s %-19s %7.2f  %-17s %7.2f  %6.3f  "
				"%-8s %s\n",
				g->op, block_text(g->block, blk, sizeof(blk)),
				g->contenders[0].name, r->gibps_median[0],
				g->contenders[c].name, r->gibps_median[c],
				r->ratio_median[c],
				c == 1 ? g->target_text : "-", verdict(r, c));
	}
}

int bench_report_tsv(const char *path, const struct bench_info *info,
		     const struct bench_result *res, size_t n)
{
	FILE *f = fopen(path, "w");
	size_t i, c;
	int rc = 0;

	if (f == NULL)
		return -errno;
	fprintf(f,
		"# libmmapio %s library benchmark; cpu=%s; ncpu=%ld; "
		"size_bytes=%llu; dir=%s; fs=%s; rounds=%u\n",
		mmapio_version(), info->cpu, info->ncpu,
		(unsigned long long)info->size, info->dir, info->fstype,
		info->rounds);
	fprintf(f, "operation\tblock_bytes\tmmapio\tmmapio_gibps_median\t"
		   "mmapio_gibps_best\treference\tref_gibps_median\t"
		   "ref_gibps_best\tratio_median\tratio_best\ttarget\t"
		   "result\n");
	for (i = 0; i < n; i++) {
		const struct bench_result *r = &res[i];
		const struct bench_group *g = r->group;

		for (c = 1; c < g->ncontenders; c++)
			fprintf(f,
				"%s\t%zu\t%s\t%.4f\t%.4f\t%s\t%.4f\t%.4f\t"
				"%.4f\t%.4f\t%.4f\t%s\n",
				g->op, g->block, g->contenders[0].name,
				r->gibps_median[0], r->gibps_best[0],
				g->contenders[c].name, r->gibps_median[c],
				r->gibps_best[c], r->ratio_median[c],
				r->ratio_best[c], c == 1 ? g->target : 0.0,
				verdict(r, c));
	}
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}
