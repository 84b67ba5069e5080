/*
 * holes.h - where an entry's range of the backing file is allocated.
 *
 * Entries are windows of their backing file, so an entry's holes are the
 * backing file's holes inside its range: st_blocks, SEEK_DATA and
 * SEEK_HOLE of an entry are answered with lseek(2) SEEK_DATA/SEEK_HOLE on
 * the backing file's descriptor.  Nothing is cached.  The lseek calls are
 * absolute, so the descriptor's own offset (unused by the mapping) does
 * not matter and concurrent callers do not disturb each other.
 *
 * Where the backing file system does not report holes (lseek fails with
 * EINVAL), or for a block device (whose lseek reports data everywhere),
 * every byte counts as data.
 */
#ifndef MMAPFS_HOLES_H
#define MMAPFS_HOLES_H

#include <stdint.h>

/* Data extents counted one by one per call; the rest of the range past
 * the last of them counts as allocated (an over-count, never under). */
#define MMAPFS_HOLES_MAX_EXTENTS 32

/*
 * Bytes of [off, off + len) of `fd` that hold data.  Costs at most
 * 2 * MMAPFS_HOLES_MAX_EXTENTS + 1 lseek calls, whatever the size of the
 * range or of the file: a 1 TiB sparse file costs one lseek (SEEK_DATA
 * answers ENXIO or a place past the range).
 */
uint64_t mmapfs_holes_allocated(int fd, uint64_t off, uint64_t len);

/*
 * lseek(2) SEEK_DATA or SEEK_HOLE (`whence`) from `pos` inside the window
 * [off, off + len) of `fd`, positions relative to the window; the
 * window's end counts as a hole, as a file's end does.  Returns 0 and
 * *out, or a negative errno: -ENXIO when pos is at or past the window's
 * end, or, for SEEK_DATA, no data follows pos inside it; -EINVAL for
 * another whence.
 */
int mmapfs_holes_seek(int fd, uint64_t off, uint64_t len, uint64_t pos,
		      int whence, uint64_t *out);

#endif /* MMAPFS_HOLES_H */
