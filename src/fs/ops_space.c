/*
 * ops_space.c - holes and zeroing of entries: lseek SEEK_DATA/SEEK_HOLE,
 * fallocate, and truncate(2) to 0 (which open(O_TRUNC) arrives as).
 *
 * An entry is a window of its backing file that never changes size, so
 * "replacing its contents" zeroes the window: truncate to 0 (and so
 * O_TRUNC) punches the range out of the backing file (fallocate
 * PUNCH_HOLE|KEEP_SIZE), or writes zeros through the mapping where the
 * backing file system cannot punch, and on a copy-on-write mount, whose
 * private pages a punch in the file would not reach.  A zeroing is a write
 * of zeros for coherence.c: the aliases overlapping it are dropped before
 * the reply, as after a write.  The entry's own pages are the kernel's
 * business after a fallocate (see mmapfs_op_fallocate) and ours after a
 * truncate (see mmapfs_truncate_begin).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>
#include <unistd.h>

#include "holes.h"
#include "log.h"
#include "ops.h"

/* Pieces in which zeros are written through the mapping. */
#define ZERO_PIECE (64u * 1024u)

void mmapfs_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	uint64_t eoff, elen, out = 0;
	struct mmapfs_ino id;
	mmapio_file *mf;
	int err;

	(void)fi;
	if (whence != SEEK_DATA && whence != SEEK_HOLE) {
		mmapfs_reply_fail(req, MMAPFS_E_UNSUPPORTED);
		return;
	}
	err = mmapfs_io_entry(fs, ino, &id, &mf, &eoff, &elen);
	if (err != 0) {
		fuse_reply_err(req, -err);
		return;
	}
	if (off < 0 || (uint64_t)off >= elen) {
		err = -ENXIO;
	} else if (mmapio_mode_of(mf) == MMAPIO_COW) {
		/* Private copies are data the file's holes do not show. */
		out = whence == SEEK_DATA ? (uint64_t)off : elen;
	} else {
		err = mmapfs_holes_seek(mmapio_fd(mf), eoff, elen,
					(uint64_t)off, whence, &out);
	}
	mmapfs_files_put(&fs->files, id.node);
	if (err == -ENXIO)
		mmapfs_reply_fail(req, MMAPFS_E_NO_DATA);
	else if (err != 0)
		fuse_reply_err(req, -err);
	else
		fuse_reply_lseek(req, (off_t)out);
}

/* Write zeros over [off, off + len) of the mapping; 0 or mmapio_write()'s
 * negative errno. */
static int zero_through_mapping(mmapio_file *mf, uint64_t off, uint64_t len)
{
	static const char zeros[ZERO_PIECE];

	while (len > 0) {
		size_t n = len < ZERO_PIECE ? (size_t)len : ZERO_PIECE;
		int rc = mmapio_write(mf, off, zeros, n);

		if (rc != 0)
			return rc;
		off += n;
		len -= n;
	}
	return 0;
}

/* fallocate(2) on the backing file, EINTR retried; 0 or -errno. */
static int backing_fallocate(mmapio_file *mf, int mode, uint64_t off,
			     uint64_t len)
{
	int rc;

	do
		rc = fallocate(mmapio_fd(mf), mode, (off_t)off, (off_t)len);
	while (rc != 0 && errno == EINTR);
	return rc != 0 ? -errno : 0;
}

/*
 * Make [off, off + len) of the file read as zeros: a punched hole where
 * the backing file allows it, else zeros through the mapping.  A
 * copy-on-write mapping keeps private copies of pages already written,
 * which a hole in the file would not clear: zeros through the mapping.
 * Returns 0 or a negative errno.
 */
static int zero_range(mmapio_file *mf, uint64_t off, uint64_t len)
{
	int rc;

	if (mmapio_mode_of(mf) == MMAPIO_COW)
		return zero_through_mapping(mf, off, len);
	rc = backing_fallocate(mf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       off, len);
	if (rc == -EOPNOTSUPP || rc == -ENOSYS || rc == -EINVAL ||
	    rc == -ENODEV)
		rc = zero_through_mapping(mf, off, len);
	return rc;
}

/*
 * fallocate on an entry.  The kernel (fs/fuse/file.c,
 * fuse_file_fallocate()) passes only KEEP_SIZE, PUNCH_HOLE and ZERO_RANGE
 * (EOPNOTSUPP for other modes before we see them), has written back and
 * waited for the entry's dirty pages of the range before sending
 * (fuse_writeback_range()), holds no page lock while we answer, and
 * drops the entry's own pages of the range after our reply for
 * PUNCH_HOLE and ZERO_RANGE (truncate_pagecache_range()).  What is ours
 * is the aliases: the zeroing goes through coherence.c as a write whose
 * own pages need nothing (the `writeback` kind).
 *
 * Range: with KEEP_SIZE, the part past the entry's end is ignored, as
 * fallocate(2) does past a regular file's end and on a block device;
 * without it, a range reaching past the end would grow the entry: EPERM,
 * as truncate(2) to another size.  Mode 0 (allocation) inside the entry
 * is passed to the backing file, and is a no-op with copy-on-write.
 */
void mmapfs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	int kinds = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
	struct mmapfs_co_write w;
	uint64_t eoff, elen, o, n;
	struct mmapfs_ino id;
	mmapio_file *mf;
	int rc;

	(void)fi;
	if (fs->ro) {
		mmapfs_reply_fail(req, MMAPFS_E_WRITE_RO);
		return;
	}
	if (mode & ~(FALLOC_FL_KEEP_SIZE | kinds) || (mode & kinds) == kinds) {
		mmapfs_reply_fail(req, MMAPFS_E_UNSUPPORTED);
		return;
	}
	if (offset < 0 || length <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	rc = mmapfs_io_entry(fs, ino, &id, &mf, &eoff, &elen);
	if (rc != 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	o = (uint64_t)offset;
	n = (uint64_t)length;
	if (o >= elen || n > elen - o) {
		if (!(mode & FALLOC_FL_KEEP_SIZE)) {
			mmapfs_reply_fail(req, MMAPFS_E_RESIZE);
			goto out;
		}
		n = o >= elen ? 0 : elen - o;
	}
	if (n == 0) {
		fuse_reply_err(req, 0);
		goto out;
	}
	if (!(mode & kinds)) {
		rc = mmapio_mode_of(mf) == MMAPIO_COW
			     ? 0
			     : backing_fallocate(mf, FALLOC_FL_KEEP_SIZE,
						 eoff + o, n);
		fuse_reply_err(req, mmapfs_errno_lib(rc));
		goto out;
	}
	w = (struct mmapfs_co_write){ .node = id.node,
				      .ino = ino,
				      .off = eoff + o,
				      .len = n,
				      .entry_off = eoff,
				      .writeback = true };
	mmapfs_co_write_arrive(&fs->co, &w);
	if (mmapio_mode_of(mf) == MMAPIO_COW)
		rc = zero_through_mapping(mf, eoff + o, n);
	else
		rc = backing_fallocate(mf, (mode & kinds) | FALLOC_FL_KEEP_SIZE,
				       eoff + o, n);
	if (rc != 0) {
		mmapfs_co_write_abort(&fs->co, &w);
		fuse_reply_err(req, mmapfs_errno_lib(rc));
		goto out;
	}
	mmapfs_entries_written(fs, id.node, eoff + o, n);
	mmapfs_co_write(&fs->co, &w);
	fuse_reply_err(req, 0);
	mmapfs_co_write_end(&fs->co, &w);
out:
	mmapfs_files_put(&fs->files, id.node);
}

/*
 * Truncation of an entry to `size` (a SETATTR with a size: truncate(2),
 * ftruncate(2), and open(O_TRUNC), which the kernel sends as a SETATTR to
 * 0 after the OPEN because FUSE_CAP_ATOMIC_O_TRUNC is off, ops.c).
 *
 * The entry's own pages.  fuse_do_setattr() (fs/fuse/dir.c) drops the
 * entry's page cache only when the size in our reply differs from the old
 * one; ours is the unchanged size, so the kernel keeps pages that the
 * zeroing made stale, and we drop them.  Not on this thread: for the whole
 * SETATTR the kernel holds the entry's writes back (fuse_set_nowrite(),
 * released in __fuse_release_nowrite() after our reply), and a page dirty
 * through a shared mmap() of the entry must be written back to be dropped
 * (invalidate_inode_pages2_range() -> the laundering of the folio ->
 * a WRITE that fuse_flush_writepages() does not send while nowrite is set),
 * which would wait for our reply.  So the drop runs on a thread of its own
 * (mmapfs_co_drop_own()), and we wait for it up to bounds.own_drop_ms: with
 * no such dirty page it ends at once (it waits for nothing but READs that
 * other threads answer; the truncating task holds the inode lock, so no
 * write of the entry is in flight) and nothing stale survives the reply.
 * With one, the reply goes out after the wait, the WRITE of that page
 * follows and the drop completes: until then a reader of the entry may see
 * its old bytes, and the page's bytes land over the zeros (as a store that
 * came after the truncation).  The aliases are dropped as after a write.
 *
 * Returns 0 (z->active tells whether mmapfs_truncate_end() has work) or a
 * negative errno (ops.h).  Size 0 zeroes the entry, its own size is a
 * no-op, any other size is -EPERM (-EROFS on a read-only mount).
 */
int mmapfs_truncate_begin(struct mmapfs *fs, const struct mmapfs_ino *id,
			  uint64_t ino, uint64_t size, struct mmapfs_trunc *z)
{
	uint64_t off, len;
	mmapio_file *mf;
	int err, rc;

	z->active = false;
	if (!mmapfs_kind_is_entry(id->kind))
		return -mmapfs_errno(MMAPFS_E_IS_DIR, fs->ro);
	err = mmapfs_entry_get(fs, id, &mf, &off, &len);
	if (err != 0)
		return err;
	if (size == len)
		goto out; /* its own size: nothing changes */
	if (size != 0) {
		err = -mmapfs_errno(MMAPFS_E_RESIZE, fs->ro);
		goto out;
	}
	if (fs->ro || !mmapfs_files_writable(mf)) {
		err = -mmapfs_errno(fs->ro ? MMAPFS_E_WRITE_RO
					   : MMAPFS_E_WRITE_BACKING,
				    fs->ro);
		goto out;
	}
	z->w = (struct mmapfs_co_write){ .node = id->node,
					 .ino = ino,
					 .off = off,
					 .len = len,
					 .entry_off = off,
					 .writeback = true };
	mmapfs_co_write_arrive(&fs->co, &z->w);
	rc = zero_range(mf, off, len);
	if (rc != 0) {
		mmapfs_co_write_abort(&fs->co, &z->w);
		err = -mmapfs_errno_lib(rc);
		goto out;
	}
	mmapfs_entries_written(fs, id->node, off, len);
	mmapfs_co_write(&fs->co, &z->w);
	if (!mmapfs_co_drop_own(&fs->co, id->node, ino, 0, len))
		log_debug("pages of truncated inode %llu dropped after the "
			  "reply",
			  (unsigned long long)ino);
	z->active = true;
out:
	mmapfs_files_put(&fs->files, id->node);
	return err;
}

void mmapfs_truncate_end(struct mmapfs *fs, struct mmapfs_trunc *z)
{
	if (z->active)
		mmapfs_co_write_end(&fs->co, &z->w);
	z->active = false;
}
