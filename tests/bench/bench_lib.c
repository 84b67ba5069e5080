/*
 * bench_lib.c - libmmapio library benchmark.
 *
 * Measures, side by side in one run on one file warm in the page cache,
 * mmapio_read/mmapio_write against memcpy on the same mapping and against
 * pread/pwrite at 4 KiB and 1 MiB blocks, and chunk and page iteration
 * against a raw loop doing the same work; prints a table of throughputs,
 * ratios and targets, and optionally writes it as TSV.
 *
 * Timings never decide the exit status: 0 when everything ran and every
 * contender computed the same checksum, 1 on a failure, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cases.h"
#include "bench_fixture.h"
#include "bench_report.h"
#include "bench_run.h"

#define DEFAULT_SIZE ((uint64_t)1 << 30)
#define QUICK_SIZE ((uint64_t)4 << 20)
#define DEFAULT_ROUNDS 7u
#define MAX_SIZE ((uint64_t)1 << 50)

struct options {
	uint64_t size;
	unsigned rounds;
	const char *output;
	const char *dir;
	const char *only;
	int quick;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_lib [options]\n"
		"  -s, --size SIZE     file size, bytes or with K/M/G suffix "
		"(default 1G;\n"
		"                      rounded up to a multiple of 1M)\n"
		"  -r, --rounds N      timed rounds per measurement (default "
		"%u)\n"
		"  -o, --output FILE   also write the results as TSV to FILE\n"
		"  -d, --dir DIR       directory for the temporary file "
		"(default: /dev/shm\n"
		"                      if it is a tmpfs with room, else "
		"$TMPDIR or /tmp)\n"
		"      --only TEXT     run only operations whose name contains "
		"TEXT\n"
		"  -q, --quick         smoke run: 4M file and 1 round unless "
		"given\n"
		"  -h, --help          this text\n",
		DEFAULT_ROUNDS);
}

/* Parse "123", "64K", "512M", "1G" into bytes; 0 on error. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' && shift != 0)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > (MAX_SIZE >> shift))
		return 0;
	return (uint64_t)v << shift;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "size", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "dir", required_argument, NULL, 'd' },
		{ "only", required_argument, NULL, 'O' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, have_size = 0, have_rounds = 0;
	unsigned long r;
	char *end;

	memset(o, 0, sizeof(*o));
	while ((opt = getopt_long(argc, argv, "s:r:o:d:qh", longs, NULL)) !=
	       -1) {
		switch (opt) {
		case 's':
			o->size = parse_size(optarg);
			if (o->size == 0)
				goto bad;
			have_size = 1;
			break;
		case 'r':
			r = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || r == 0 ||
			    r > 100000)
				goto bad;
			o->rounds = (unsigned)r;
			have_rounds = 1;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'O':
			o->only = optarg;
			break;
		case 'q':
			o->quick = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (!have_size)
		o->size = o->quick ? QUICK_SIZE : DEFAULT_SIZE;
	if (!have_rounds)
		o->rounds = o->quick ? 1 : DEFAULT_ROUNDS;
	o->size = (o->size + BENCH_MAX_BLOCK - 1) / BENCH_MAX_BLOCK *
		  BENCH_MAX_BLOCK;
	return 0;
bad:
	usage(stderr);
	return -EINVAL;
}

/* Run the selected groups; returns how many results were filled, or -1. */
static int run_all(struct bench_fixture *fx, const struct options *o,
		   const struct bench_group *groups, size_t ngroups,
		   struct bench_result *res)
{
	size_t i;
	int n = 0;

	for (i = 0; i < ngroups; i++) {
		const struct bench_group *g = &groups[i];

		if (o->only != NULL && strstr(g->op, o->only) == NULL)
			continue;
		fprintf(stderr, "bench_lib: %s, %zu-byte blocks...\n", g->op,
			g->block);
		if (bench_run_group(fx, g, o->rounds, &res[n]) != 0) {
			fprintf(stderr, "bench_lib: %s (%s, %zu): %s\n",
				fx->err_what, g->op, g->block,
				mmapio_strerror(fx->err));
			return -1;
		}
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct bench_group groups[BENCH_MAX_GROUPS];
	struct bench_result res[BENCH_MAX_GROUPS];
	struct bench_fixture fx;
	struct bench_info info;
	struct options o;
	uint64_t checksum = 0;
	size_t ngroups;
	int n, i, rc;

	if (parse_options(argc, argv, &o) != 0)
		return 2;
	ngroups = bench_groups(groups, mmapio_page_size());
	if (o.dir == NULL)
		o.dir = bench_pick_dir(o.size);
	if (bench_fixture_open(&fx, o.dir, o.size) != 0)
		return 1;

	memset(&info, 0, sizeof(info));
	info.size = o.size;
	info.rounds = o.rounds;
	info.dir = fx.dir;
	info.fstype = fx.fstype;
	bench_info_machine(&info);

	n = run_all(&fx, &o, groups, ngroups, res);
	bench_fixture_close(&fx);
	if (n < 0)
		return 1;
	if (n == 0) {
		fprintf(stderr, "bench_lib: no operation matches \"%s\"\n",
			o.only);
		return 2;
	}

	bench_report_header(stdout, &info);
	bench_report_table(stdout, res, (size_t)n);
	for (i = 0; i < n; i++)
		checksum += res[i].checksum;
	printf("\nchecksum %016llx (every contender of each operation "
	       "agreed)\n",
	       (unsigned long long)checksum);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("bench_lib: stdout");
		return 1;
	}
	if (o.output != NULL) {
		rc = bench_report_tsv(o.output, &info, res, (size_t)n);
		if (rc != 0) {
			fprintf(stderr, "bench_lib: %s: %s\n", o.output,
				mmapio_strerror(rc));
			return 1;
		}
	}
	return 0;
}
