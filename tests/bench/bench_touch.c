/*
 * bench_touch.c - the per-piece work of the iteration benchmark.
 */
#include <string.h>

#include "bench_touch.h"

uint64_t bench_touch(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + sizeof(uint64_t) <= len; i += BENCH_LINE) {
		uint64_t w;

		memcpy(&w, p + i, sizeof(w));
		sum += w;
	}
	return sum;
}
