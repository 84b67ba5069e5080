/*
 * holes.c - allocation of a backing file's range (see holes.h).
 */
#include "holes.h"

#include <errno.h>
#include <unistd.h>

/* lseek that reports failure as -errno; offsets past INT64_MAX fail. */
static int64_t seek_at(int fd, uint64_t at, int whence)
{
	off_t r;

	if (at > (uint64_t)INT64_MAX)
		return -ENXIO;
	r = lseek(fd, (off_t)at, whence);
	return r < 0 ? -errno : (int64_t)r;
}

uint64_t mmapfs_holes_allocated(int fd, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, pos = off, total = 0;
	int64_t d, h;

	if (end < off)
		return len;
	for (unsigned n = 0; pos < end; n++) {
		d = seek_at(fd, pos, SEEK_DATA);
		if (d == -ENXIO)
			break; /* only holes from pos to the file's end */
		if (d < 0)
			return len; /* holes not reported: all data */
		if ((uint64_t)d >= end)
			break;
		if (n == MMAPFS_HOLES_MAX_EXTENTS)
			return total + (end - (uint64_t)d);
		h = seek_at(fd, (uint64_t)d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > end)
			h = (int64_t)end;
		if ((uint64_t)h <= (uint64_t)d)
			return total + (end - (uint64_t)d); /* no progress */
		total += (uint64_t)h - (uint64_t)d;
		pos = (uint64_t)h;
	}
	return total;
}

int mmapfs_holes_seek(int fd, uint64_t off, uint64_t len, uint64_t pos,
		      int whence, uint64_t *out)
{
	uint64_t end = off + len;
	int64_t r;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (pos >= len || end < off)
		return -ENXIO;
	r = seek_at(fd, off + pos, whence);
	if (whence == SEEK_DATA) {
		if (r == -ENXIO || (r >= 0 && (uint64_t)r >= end))
			return -ENXIO;
		*out = r < 0 ? pos : (uint64_t)r - off; /* r < 0: all data */
		return 0;
	}
	if (r < 0 || (uint64_t)r > end)
		r = (int64_t)end; /* no hole known before the window's end */
	*out = (uint64_t)r - off;
	return 0;
}
