/*
 * segment.c - bounded sub-ranges of a mapped file.
 */
#include <errno.h>
#include <stdlib.h>

#include "mmapio_i.h"

struct mmapio_segment {
	mmapio_file *file;
	mmapio_view view; /* pins the mapping; data unused for copies */
	uint64_t off;
	uint64_t len;
};

int mmapio_segment_open(mmapio_segment **out, mmapio_file *f, uint64_t off,
			uint64_t len)
{
	mmapio_segment *s;
	int rc;

	if (out == NULL)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	rc = mmapio__view_get(f, off, len, false, &s->view);
	if (rc != 0) {
		free(s);
		return rc;
	}
	s->file = f;
	s->off = off;
	s->len = len;
	*out = s;
	return 0;
}

void mmapio_segment_close(mmapio_segment *s)
{
	if (s == NULL)
		return;
	mmapio_view_release(&s->view);
	free(s);
}

uint64_t mmapio_segment_len(const mmapio_segment *s)
{
	return s->len;
}

uint64_t mmapio_segment_offset(const mmapio_segment *s)
{
	return s->off;
}

int mmapio_segment_read(mmapio_segment *s, uint64_t off, void *dst, size_t len)
{
	if (!mmapio__in_bounds(off, len, s->len))
		return -ERANGE;
	return mmapio_read(s->file, s->off + off, dst, len);
}

int mmapio_segment_write(mmapio_segment *s, uint64_t off, const void *src,
			 size_t len)
{
	if (!mmapio__in_bounds(off, len, s->len))
		return -ERANGE;
	return mmapio_write(s->file, s->off + off, src, len);
}

int mmapio_segment_flush(mmapio_segment *s)
{
	return mmapio_flush_range(s->file, s->off, s->len);
}
