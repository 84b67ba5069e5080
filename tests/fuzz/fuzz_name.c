/*
 * fuzz_name.c - libFuzzer target for the entry name parser (src/fs/name.c).
 *
 * The input is a name of any bytes.  mmapfs_parse_index() must agree with
 * a slow reference definition of "canonical decimal below 2^64", read
 * nothing past the given length (the buffer is exactly that long, so
 * AddressSanitizer sees any over-read), and every accepted name must
 * format back to itself.  The NUL-terminated variant must agree with the
 * counted one on the bytes before the first NUL.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char u64_max[] = "18446744073709551615";

/* Canonical decimal, by the definition rather than by arithmetic; 0 or
 * -EINVAL, as mmapfs_parse_index(). */
static int reference(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	if (n == 20 && memcmp(s, u64_max, 20) > 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	*out = v;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *exact = malloc(size ? size : 1), *str = malloc(size + 1);
	char back[MMAPFS_NAME_MAX];
	uint64_t got = 0, want = 0;
	int rc, ref;

	if (exact == NULL || str == NULL)
		abort();
	memcpy(exact, data, size);
	rc = mmapfs_parse_index(exact, size, &got);
	ref = reference(exact, size, &want);
	if (rc != ref || (rc == 0 && got != want))
		abort();
	if (rc == 0) {
		mmapfs_format_index(got, back);
		if (strlen(back) != size || memcmp(back, exact, size) != 0)
			abort();
	}
	memcpy(str, data, size);
	str[size] = '\0';
	rc = mmapfs_parse_index_str(str, &got);
	ref = reference(str, strlen(str), &want);
	if (rc != ref || (rc == 0 && got != want))
		abort();
	free(exact);
	free(str);
	return 0;
}
