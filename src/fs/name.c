/*
 * name.c - strict canonical decimal names (see name.h).
 *
 * strtoull() is deliberately not used: it accepts leading white space,
 * signs, "0x" with base 0 and saturates on overflow, and every one of
 * those would give an entry a second name.
 */
#include "name.h"

#include <errno.h>
#include <string.h>

int mmapfs_parse_index(const char *name, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (name == NULL || len == 0 || len > MMAPFS_NAME_MAX - 1)
		return -EINVAL;
	if (name[0] == '0' && len > 1)
		return -EINVAL; /* "017" would alias "17" */
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)name[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int mmapfs_parse_index_str(const char *name, uint64_t *out)
{
	if (name == NULL)
		return -EINVAL;
	/* strnlen bounds the scan of hostile 255-byte names. */
	size_t len = strnlen(name, MMAPFS_NAME_MAX);

	return mmapfs_parse_index(name, len, out);
}

void mmapfs_format_index(uint64_t index, char buf[MMAPFS_NAME_MAX])
{
	char tmp[MMAPFS_NAME_MAX];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + index % 10);
		index /= 10;
	} while (index != 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}
