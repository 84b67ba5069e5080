/*
 * errors.c - messages for the library's return values, and the version.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "compat.h"
#include "mmapio.h"

/* What the library means by the errors it returns itself. */
static const struct {
	int err;
	const char *text;
} texts[] = {
	{ ERANGE, "offset or length outside the mapped range" },
	{ EBADF, "operation not allowed by the mapping's mode" },
	{ EINVAL, "invalid argument" },
	{ EIO, "input/output error: page no longer backed by the file" },
	{ EBUSY, "views, segments or iterators are still outstanding" },
	{ ENODEV, "not a regular file or block device (FIFO, socket or "
		  "character device)" },
	{ EISDIR, "is a directory" },
	{ EFBIG, "file too large to map" },
};

const char *mmapio_strerror(int err)
{
	const char *text;
	size_t i;

	if (err == 0)
		return "success";
	if (err == INT_MIN)
		return "unknown error";
	err = abs(err);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].err == err)
			return texts[i].text;
	text = mmapio__errno_text(err);
	return text != NULL ? text : "unknown error";
}

const char *mmapio_version(void)
{
	return MMAPIO_VERSION_STRING;
}
