/*
 * name.h - the one strict parser for entry names.
 *
 * Entries of chunks/ and pages/ are named by canonical decimal numbers:
 * "0", "1", ... "18446744073709551615".  Every other spelling of a number
 * (leading zeros, signs, spaces, hex, exponents, values past 2^64 - 1) is
 * not a name of anything, so the filesystem answers ENOENT for it.
 */
#ifndef MMAPFS_NAME_H
#define MMAPFS_NAME_H

#include <stddef.h>
#include <stdint.h>

/* Longest canonical name: 20 digits of UINT64_MAX plus the NUL. */
#define MMAPFS_NAME_MAX 21

/*
 * Parse the first `len` bytes of `name` (which need not be NUL-terminated)
 * as a canonical decimal index.  Returns 0 and sets *out, or -EINVAL when
 * the name is not canonical or does not fit in 64 bits (a lookup answers
 * ENOENT for such a name, an option parser EINVAL).
 */
int mmapfs_parse_index(const char *name, size_t len, uint64_t *out);

/* As above for a NUL-terminated name; -EINVAL for NULL too. */
int mmapfs_parse_index_str(const char *name, uint64_t *out);

/* Write the canonical name of `index` into buf (MMAPFS_NAME_MAX bytes). */
void mmapfs_format_index(uint64_t index, char buf[MMAPFS_NAME_MAX]);

#endif /* MMAPFS_NAME_H */
