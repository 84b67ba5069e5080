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
#include <time.h>

#include "log.h"
#include "ops.h"

static struct mmapfs_fh *fh_of(struct fuse_file_info *fi)
{
	return (struct mmapfs_fh *)(uintptr_t)fi->fh;
}

static void fh_track(struct mmapfs *fs, struct mmapfs_fh *fh)
{
	pthread_mutex_lock(&fs->fh_lock);
	fh->prev = NULL;
	fh->next = fs->fh_list;
	if (fs->fh_list != NULL)
		fs->fh_list->prev = fh;
	fs->fh_list = fh;
	pthread_mutex_unlock(&fs->fh_lock);
}

static void fh_free(struct mmapfs *fs, struct mmapfs_fh *fh)
{
	pthread_mutex_lock(&fs->fh_lock);
	if (fh->prev != NULL)
		fh->prev->next = fh->next;
	else
		fs->fh_list = fh->next;
	if (fh->next != NULL)
		fh->next->prev = fh->prev;
	pthread_mutex_unlock(&fs->fh_lock);
	mmapfs_co_released(&fs->co, fh->id.node, fh->ino);
	mmapfs_files_put(&fs->files, fh->id.node);
	free(fh);
}

/* Check the open mode and pin the entry's file; 0 or a positive errno. */
static int open_entry(struct mmapfs *fs, const struct mmapfs_ino *id, int flags,
		      struct mmapfs_fh **out, bool *keep_cache)
{
	bool wr = (flags & O_ACCMODE) != O_RDONLY;
	struct mmapfs_fh *fh = NULL;
	uint64_t off, len;
	mmapio_file *mf;
	int err;

	if (wr && fs->ro)
		return mmapfs_errno(MMAPFS_E_WRITE_RO, fs->ro);
	err = mmapfs_entry_get(fs, id, &mf, &off, &len);
	if (err != 0)
		return err;
	if (wr && !mmapfs_files_writable(mf)) {
		err = mmapfs_errno(MMAPFS_E_WRITE_BACKING, fs->ro);
		goto fail;
	}
	fh = calloc(1, sizeof(*fh));
	if (fh == NULL) {
		err = mmapfs_errno(MMAPFS_E_NO_MEMORY, fs->ro);
		goto fail;
	}
	fh->id = *id;
	fh->ino = mmapfs_ino_encode(&fs->layout, id);
	fh->piece_off = off;
	fh->mf = mf;
	if (mmapfs_co_opened(&fs->co, id->node, fh->ino, off,
			     mmapfs_piece_of(fs, id->kind), keep_cache) != 0) {
		free(fh);
		err = mmapfs_errno(MMAPFS_E_NO_MEMORY, fs->ro);
		goto fail;
	}
	fh_track(fs, fh);
	*out = fh;
	return 0;
fail:
	mmapfs_files_put(&fs->files, id->node);
	return err;
}

void mmapfs_fh_release_all(struct mmapfs *fs)
{
	while (fs->fh_list != NULL)
		fh_free(fs, fs->fh_list);
}

void mmapfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_fh *fh = NULL;
	struct mmapfs_ino id;
	bool keep_cache;
	int err;

	mmapfs_after_init(fs);
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
	err = open_entry(fs, &id, fi->flags, &fh, &keep_cache);
	if (err != 0) {
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)fh;
	fi->keep_cache = keep_cache; /* coherence.c, rules 1 and 7 */
	fi->direct_io = 0;	     /* keeps mmap() of entries possible */
	fi->noflush = (fi->flags & O_ACCMODE) == O_RDONLY;
	if (fuse_reply_open(req, fi) == -ENOENT)
		fh_free(fs, fh); /* open was interrupted: no release follows */
}

void mmapfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_fh *fh = fh_of(fi);
	mmapio_view v = { 0 };
	uint64_t eoff, elen, n;
	int rc;

	(void)ino;
	/* A range the file no longer has reads as end of file. */
	if (off < 0 || mmapfs_entry_range(fs, &fh->id, fh->mf, &eoff, &elen) ||
	    (uint64_t)off >= elen) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	n = elen - (uint64_t)off < size ? elen - (uint64_t)off : size;
	rc = mmapio_view_acquire(fh->mf, eoff + (uint64_t)off, n, &v);
	if (rc == -ERANGE) {
		fuse_reply_buf(req, NULL, 0); /* shrank since the check */
		return;
	}
	if (rc != 0) {
		fuse_reply_err(req, mmapfs_errno_lib(rc));
		return;
	}
	mmapfs_co_read(&fs->co, fh->id.node, fh->ino, (uint64_t)off, v.len);
	rc = fuse_reply_buf(req, v.data, v.len);
	if (rc != 0 && rc != -ENOENT)
		log_debug("read reply of %llu bytes at %llu failed: %s "
			  "(backing file truncated?)",
			  (unsigned long long)n,
			  (unsigned long long)(eoff + (uint64_t)off),
			  strerror(-rc));
	mmapio_view_release(&v);
}

/* The test hook of fs.h: hold a WRITE (coherence.c, rule 8). */
static void test_delay(const struct mmapfs *fs)
{
	struct timespec t = { .tv_sec = fs->test_write_delay_ms / 1000,
			      .tv_nsec = fs->test_write_delay_ms % 1000 *
					 1000000L };

	if (fs->test_write_delay_ms != 0)
		nanosleep(&t, NULL);
}

void mmapfs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_fh *fh = fh_of(fi);
	struct mmapfs_co_write w;
	uint64_t eoff, elen, n;
	int rc;

	if (fs->ro) {
		mmapfs_reply_fail(req, MMAPFS_E_WRITE_RO);
		return;
	}
	if (off < 0 || mmapfs_entry_range(fs, &fh->id, fh->mf, &eoff, &elen) ||
	    (uint64_t)off >= elen) {
		mmapfs_reply_fail(req, MMAPFS_E_AT_END);
		return;
	}
	/* Never past the entry's end: the part that fits, a short count. */
	n = elen - (uint64_t)off < size ? elen - (uint64_t)off : size;
	w = (struct mmapfs_co_write){ .node = fh->id.node,
				      .ino = ino,
				      .off = eoff + (uint64_t)off,
				      .len = n,
				      .entry_off = eoff,
				      .data = buf,
				      .writeback = fi->writepage != 0 };
	mmapfs_co_write_arrive(&fs->co, &w);
	test_delay(fs);
	rc = mmapio_write(fh->mf, eoff + (uint64_t)off, buf, n);
	if (rc != 0) {
		mmapfs_co_write_abort(&fs->co, &w);
		fuse_reply_err(req, mmapfs_errno_lib(rc));
		return;
	}
	mmapfs_co_write(&fs->co, &w);
	fuse_reply_write(req, n);
	test_delay(fs);
	mmapfs_co_write_end(&fs->co, &w);
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
	fuse_reply_err(req, 0); /* durability is fsync's job */
}

void mmapfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_fh *fh = fh_of(fi);
	uint64_t eoff, elen;
	int rc = 0;

	(void)ino;
	(void)datasync; /* the data is all there is: both are msync */
	if (mmapfs_entry_range(fs, &fh->id, fh->mf, &eoff, &elen) == 0)
		rc = mmapio_flush_range(fh->mf, eoff, elen);
	fuse_reply_err(req, mmapfs_errno_lib(rc));
}

void mmapfs_op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	fh_free(fs_of(req), fh_of(fi));
	fuse_reply_err(req, 0);
}

#define TIME_BITS                                                              \
	(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW | \
	 FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)

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
	 * bits ride along and are ignored; alone (utimensat) they fail.
	 */
	if ((to_set &
	     (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) ||
	    (!(to_set & FUSE_SET_ATTR_SIZE) && (to_set & TIME_BITS))) {
		mmapfs_reply_fail(req, MMAPFS_E_METADATA);
		return;
	}
	/* Truncation zeroes (size 0) or does nothing (own size), and the
	 * reply carries the entry's real, unchanged size (ops_space.c). */
	err = 0;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (attr->st_size < 0)
			err = mmapfs_errno(MMAPFS_E_RESIZE, fs->ro);
		else
			err = mmapfs_truncate_begin(
				fs, &id, ino, (uint64_t)attr->st_size, &z);
	}
	if (err == 0)
		err = mmapfs_getattr(fs, &id, false, &st);
	if (err != 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, fs->attr_timeout);
	mmapfs_truncate_end(fs, &z);
}
