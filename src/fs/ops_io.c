/*
 * ops_io.c - open, read, write, fsync, release, setattr.
 *
 * Reads reply straight from the mapping: the view's pointer goes to
 * fuse_reply_buf(), whose writev() to /dev/fuse is the only copy.  If the
 * backing file was truncated underneath, that copy is the kernel's: it
 * fails with EFAULT and the reader gets EIO, the daemon gets no SIGBUS.
 *
 * Writes go through mmapio_write() (SIGBUS-guarded) into entry offset +
 * write offset, are cut at the entry's end, and make aliased entries
 * coherent before the reply (coherence.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops.h"
#include "testhooks.h"

int mmapfs_io_entry(struct mmapfs *fs, fuse_ino_t ino, struct mmapfs_ino *id,
		    mmapio_file **mf, uint64_t *off, uint64_t *len)
{
	if (mmapfs_ino_decode(&fs->layout, ino, id) != 0)
		return -mmapfs_errno(MMAPFS_E_NO_ENTRY, fs->ro);
	if (!mmapfs_kind_is_entry(id->kind))
		return -mmapfs_errno(MMAPFS_E_IS_DIR, fs->ro);
	if (mmapfs_files_get(&fs->files, id->node, mf) != 0)
		return -mmapfs_errno(MMAPFS_E_NO_ENTRY, fs->ro);
	/* A range the file no longer has reads as end of file. */
	if (mmapfs_entry_range(fs, id, *mf, off, len) != 0)
		*off = *len = 0;
	return 0;
}

/* cache=open only: check the open mode, drop stale pages (rule 1).  0 or
 * a negative errno (ops.h). */
static int open_entry(struct mmapfs *fs, const struct mmapfs_ino *id,
		      uint64_t ino, int flags, bool *keep_cache)
{
	bool wr = (flags & O_ACCMODE) != O_RDONLY;
	uint64_t off, len;
	mmapio_file *mf;
	int err;

	if (wr && fs->ro)
		return -mmapfs_errno(MMAPFS_E_WRITE_RO, fs->ro);
	err = mmapfs_entry_get(fs, id, &mf, &off, &len);
	if (err != 0)
		return err;
	if (wr && !mmapfs_files_writable(mf))
		err = -mmapfs_errno(MMAPFS_E_WRITE_BACKING, fs->ro);
	else if (mmapfs_co_opened(&fs->co, id->node, ino, off,
				  mmapfs_piece_of(fs, id->kind),
				  keep_cache) != 0)
		err = -mmapfs_errno(MMAPFS_E_NO_MEMORY, fs->ro);
	mmapfs_files_put(&fs->files, id->node);
	return err;
}

void mmapfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_ino id;
	bool keep_cache;
	int err;

	mmapfs_after_init(fs);
	/* cache=keep: the kernel opens entries itself from now on, keeping
	 * their pages, and sends no RELEASE (FUSE_CAP_NO_OPEN_SUPPORT). */
	if (fs->co.no_open) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (mmapfs_ino_decode(&fs->layout, ino, &id) != 0) {
		mmapfs_reply_fail(req, MMAPFS_E_NO_ENTRY);
		return;
	}
	if (!mmapfs_kind_is_entry(id.kind)) {
		mmapfs_reply_fail(req, MMAPFS_E_IS_DIR);
		return;
	}
	/* O_TRUNC never reaches us here: the kernel strips it and sends a
	 * SETATTR to 0 after the OPEN (ops.c, ops_space.c). */
	err = open_entry(fs, &id, ino, fi->flags, &keep_cache);
	if (err != 0) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = 0;
	fi->keep_cache = keep_cache; /* coherence.c, rules 1 and 7 */
	fi->direct_io = 0;	     /* keeps mmap() of entries possible */
	fi->noflush = 1;
	if (fuse_reply_open(req, fi) == -ENOENT) /* interrupted: no release */
		mmapfs_co_released(&fs->co, id.node, ino);
}

/* Directories: opened by the kernel itself, which then keeps listings in
 * its cache (FOPEN_CACHE_DIR) until the daemon drops them (entry.c). */
void mmapfs_op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);

	(void)ino;
	if (fs->co.no_open) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fi->fh = 0;
	fuse_reply_open(req, fi);
}

void mmapfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	mmapio_view v = { 0 };
	struct mmapfs_ino id;
	uint64_t eoff, elen, n;
	mmapio_file *mf;
	int rc;

	(void)fi;
	rc = mmapfs_io_entry(fs, ino, &id, &mf, &eoff, &elen);
	if (rc != 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (off < 0 || (uint64_t)off >= elen) {
		fuse_reply_buf(req, NULL, 0);
		goto out;
	}
	n = elen - (uint64_t)off < size ? elen - (uint64_t)off : size;
	rc = mmapio_view_acquire(mf, eoff + (uint64_t)off, n, &v);
	if (rc == -ERANGE) {
		fuse_reply_buf(req, NULL, 0); /* shrank since the check */
		goto out;
	}
	if (rc != 0) {
		fuse_reply_err(req, mmapfs_errno_lib(rc));
		goto out;
	}
	mmapfs_co_read(&fs->co, id.node, ino, (uint64_t)off, v.len);
	rc = fuse_reply_buf(req, v.data, v.len);
	if (rc != 0 && rc != -ENOENT)
		log_debug("read reply of %llu bytes at %llu failed: %s "
			  "(backing file truncated?)",
			  (unsigned long long)n,
			  (unsigned long long)(eoff + (uint64_t)off),
			  strerror(-rc));
	mmapio_view_release(&v);
out:
	mmapfs_files_put(&fs->files, id.node);
}

void mmapfs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_co_write w;
	struct mmapfs_ino id;
	uint64_t eoff, elen, n;
	mmapio_file *mf;
	int rc;

	if (fs->ro) {
		mmapfs_reply_fail(req, MMAPFS_E_WRITE_RO);
		return;
	}
	rc = mmapfs_io_entry(fs, ino, &id, &mf, &eoff, &elen);
	if (rc != 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (!mmapfs_files_writable(mf)) {
		mmapfs_reply_fail(req, MMAPFS_E_WRITE_BACKING);
		goto out;
	}
	if (off < 0 || (uint64_t)off >= elen) {
		mmapfs_reply_fail(req, MMAPFS_E_AT_END);
		goto out;
	}
	/* Never past the entry's end: the part that fits, a short count. */
	n = elen - (uint64_t)off < size ? elen - (uint64_t)off : size;
	w = (struct mmapfs_co_write){ .node = id.node,
				      .ino = ino,
				      .off = eoff + (uint64_t)off,
				      .len = n,
				      .entry_off = eoff,
				      .data = buf,
				      .writeback = fi->writepage != 0 };
	mmapfs_co_write_arrive(&fs->co, &w);
	mmapfs_test_write_delay();
	mmapfs_files_written(&fs->files, id.node); /* -o cow: keep it */
	rc = mmapio_write(mf, eoff + (uint64_t)off, buf, n);
	if (rc != 0) {
		mmapfs_co_write_abort(&fs->co, &w);
		fuse_reply_err(req, mmapfs_errno_lib(rc));
		goto out;
	}
	mmapfs_entries_written(fs, id.node, eoff + (uint64_t)off, n);
	mmapfs_co_write(&fs->co, &w);
	fuse_reply_write(req, n);
	mmapfs_test_write_delay();
	mmapfs_co_write_end(&fs->co, &w);
out:
	mmapfs_files_put(&fs->files, id.node);
}

/* The kernel showed us pages we asked to see (coherence.c, rule 8). */
void mmapfs_op_retrieve_reply(fuse_req_t req, void *cookie, fuse_ino_t ino,
			      off_t offset, struct fuse_bufvec *bufv)
{
	struct mmapfs *fs = fs_of(req);

	(void)ino;
	(void)offset;
	mmapfs_co_retrieved(&fs->co, cookie, bufv);
	fuse_reply_none(req);
}

void mmapfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	/* Durability is fsync's job: the kernel stops sending FLUSH. */
	fuse_reply_err(req, ENOSYS);
}

void mmapfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_ino id;
	uint64_t eoff, elen;
	mmapio_file *mf;
	int rc;

	(void)fi;
	(void)datasync; /* the data is all there is: both are msync */
	rc = mmapfs_io_entry(fs, ino, &id, &mf, &eoff, &elen);
	if (rc != 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	rc = elen > 0 ? mmapio_flush_range(mf, eoff, elen) : 0;
	mmapfs_files_put(&fs->files, id.node);
	fuse_reply_err(req, mmapfs_errno_lib(rc));
}

void mmapfs_op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_ino id;

	(void)fi;
	if (mmapfs_ino_decode(&fs->layout, ino, &id) == 0)
		mmapfs_co_released(&fs->co, id.node, ino);
	fuse_reply_err(req, 0);
}

#define TIME_BITS                                                              \
	(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW | \
	 FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)

/*
 * utimensat on an object: entries and chunks/ pages/ keep the
 * modification time given (or now); the access time stays the backing
 * file's.  0 or a negative errno (ops.h).
 */
static int set_times(struct mmapfs *fs, const struct mmapfs_ino *id,
		     uint64_t ino, const struct stat *attr, int to_set)
{
	struct timespec now, mtime;
	struct stat cur;
	int err;

	if (fs->tree.nodes[id->node].type != MMAPFS_N_FILE ||
	    id->kind == MMAPFS_K_NODE)
		return -mmapfs_errno(MMAPFS_E_METADATA, fs->ro);
	if (fs->ro)
		return -mmapfs_errno(MMAPFS_E_WRITE_RO, fs->ro);
	err = mmapfs_getattr(fs, id, false, &cur);
	if (err != 0)
		return err;
	clock_gettime(CLOCK_REALTIME, &now);
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		mtime = now;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		mtime = attr->st_mtim;
	else
		mtime = cur.st_mtim; /* the access time alone: kept as is */
	if (mmapfs_times_set(&fs->times, id->node, ino, &mtime, &now) != 0)
		return -mmapfs_errno(MMAPFS_E_NO_MEMORY, fs->ro);
	return 0;
}

void mmapfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_trunc z = { .active = false };
	struct mmapfs_ino id;
	struct stat st;
	int err;

	(void)fi;
	if (mmapfs_ino_decode(&fs->layout, ino, &id) != 0) {
		mmapfs_reply_fail(req, MMAPFS_E_NO_ENTRY);
		return;
	}
	/*
	 * truncate(2) by path also asks for mtime "now": with a size, time
	 * bits ride along (the zeroing moves the times itself).  Alone
	 * (utimensat), they set the times of an entry or of chunks/ and
	 * pages/ (times.h), as rsync -a does; other objects refuse.
	 */
	if (to_set &
	    (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		mmapfs_reply_fail(req, MMAPFS_E_METADATA);
		return;
	}
	if (!(to_set & FUSE_SET_ATTR_SIZE) && (to_set & TIME_BITS)) {
		err = set_times(fs, &id, ino, attr, to_set);
		if (err == 0)
			err = mmapfs_getattr(fs, &id, false, &st);
		if (err != 0)
			fuse_reply_err(req, -err);
		else
			fuse_reply_attr(req, &st, mmapfs_attr_timeout(fs, &id));
		return;
	}
	/* Truncation zeroes (size 0) or does nothing (own size), and the
	 * reply carries the entry's real, unchanged size (ops_space.c). */
	err = 0;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (attr->st_size < 0)
			err = -mmapfs_errno(MMAPFS_E_RESIZE, fs->ro);
		else
			err = mmapfs_truncate_begin(
				fs, &id, ino, (uint64_t)attr->st_size, &z);
	}
	if (err == 0)
		err = mmapfs_getattr(fs, &id, false, &st);
	if (err != 0)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, fs->attr_timeout);
	mmapfs_truncate_end(fs, &z);
}
