/*
 * ops.h - the FUSE low-level request handlers, grouped by concern:
 *   ops_tree.c   lookup, getattr, readdir (names and attributes)
 *   ops_io.c     open, read, write, fsync, release, setattr
 *   ops_space.c  lseek SEEK_DATA/SEEK_HOLE, fallocate, truncation to 0
 *   ops_xattr.c  the read-only user.mmapfs.* attributes
 *   ops_deny.c   namespace changes, which the computed tree refuses
 *   ops_statfs.c statfs: the backing filesystem's figures
 *   ops.c        init, destroy and the table handed to libfuse
 * and the helpers they share (entries, attributes, replies).
 *
 * Those helpers that can fail return 0 or a negative errno that is
 * already the one the request fails with, decided by errors.h
 * (-mmapfs_errno() for a reason the filesystem names, -mmapfs_errno_lib()
 * for a result of libmmapio): a handler replies fuse_reply_err(req, -rc).
 */
#ifndef MMAPFS_OPS_H
#define MMAPFS_OPS_H

#include <fuse_lowlevel.h>

#include "errors.h"
#include "fs.h"

extern const struct fuse_lowlevel_ops mmapfs_ops;

/* Make every change durable (msync of every mapping) and carry the last
 * write's time to the backing files: the destroy operation's work, for
 * main() too when it cannot let fuse_session_destroy() do it. */
void mmapfs_make_durable(struct mmapfs *fs);

static inline struct mmapfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Work that must wait until the session is initialised (ops.c); cheap
 * after the first call.  Called at the start of common requests. */
void mmapfs_after_init(struct mmapfs *fs);

/* Reply with the errno errors.c decides for `why`. */
void mmapfs_reply_fail(fuse_req_t req, enum mmapfs_fail why);

/* Piece size of a view kind (CHUNKS/CHUNK or PAGES/PAGE). */
uint64_t mmapfs_piece_of(const struct mmapfs *fs, enum mmapfs_kind k);

/*
 * Map an entry's file, pick up external size changes, and compute the
 * entry's range.  Returns 0 with a reference on *mf (mmapfs_files_put()
 * it), or a negative errno: -ENOENT when the entry does not exist (now).
 */
int mmapfs_entry_get(struct mmapfs *fs, const struct mmapfs_ino *id,
		     mmapio_file **mf, uint64_t *off, uint64_t *len);

/* The entry's range in the file as the mapping sees it now (no refresh):
 * 0, or -ENOENT when the file has shrunk below the entry. */
int mmapfs_entry_range(const struct mmapfs *fs, const struct mmapfs_ino *id,
		       mmapio_file *mf, uint64_t *off, uint64_t *len);

/* Bytes of the entry's range [off, off + len) of mf's file that hold data
 * (holes.h): st_blocks.  A copy-on-write mapping reports no holes. */
uint64_t mmapfs_entry_allocated(mmapio_file *mf, uint64_t off, uint64_t len);

/*
 * Attributes of any object; 0 or a negative errno.  With lookup false (a
 * getattr of an inode the kernel holds), an entry the file no longer
 * reaches is shown empty instead of -ENOENT.
 */
int mmapfs_getattr(struct mmapfs *fs, const struct mmapfs_ino *id, bool lookup,
		   struct stat *st);

/* How long the kernel may keep the name and the attributes of `id`. */
double mmapfs_name_timeout(struct mmapfs *fs, const struct mmapfs_ino *id);
double mmapfs_attr_timeout(struct mmapfs *fs, const struct mmapfs_ino *id);

/* File `node` changed from outside (the watcher's hook, coherence.h):
 * pick up its size, move its entries' times. */
void mmapfs_node_changed(void *fs, uint32_t node);

/* Bytes [off, off + len) of file `node` were written through the mount:
 * the entries over them get the time of now (times.h).  Call before the
 * aliases' attributes are dropped (mmapfs_co_write). */
void mmapfs_entries_written(struct mmapfs *fs, uint32_t node, uint64_t off,
			    uint64_t len);

/* ops_tree.c */
void mmapfs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void mmapfs_op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi);
void mmapfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi);
void mmapfs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi);
void mmapfs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void mmapfs_op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets);

/* ops_statfs.c */
/* Open what statfs reports on: the first SOURCE.  0 or the negative errno
 * of open(2) (logged). */
int mmapfs_statfs_init(struct mmapfs *fs, const char *source);
void mmapfs_op_statfs(fuse_req_t req, fuse_ino_t ino);

/* ops_io.c */
/*
 * The entry a request names, with a reference on its file's mapping
 * (mmapfs_files_put() it) and its range now (0 bytes when the file shrank
 * below it): 0, or a negative errno.  Entries are not opened through the
 * daemon with cache=keep (coherence.c, rule 1), so every request finds
 * its entry from the inode number.
 */
int mmapfs_io_entry(struct mmapfs *fs, fuse_ino_t ino, struct mmapfs_ino *id,
		    mmapio_file **mf, uint64_t *off, uint64_t *len);

void mmapfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mmapfs_op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi);
void mmapfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void mmapfs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi);
void mmapfs_op_retrieve_reply(fuse_req_t req, void *cookie, fuse_ino_t ino,
			      off_t offset, struct fuse_bufvec *bufv);
void mmapfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mmapfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi);
void mmapfs_op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi);
void mmapfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi);

/* ops_space.c */
void mmapfs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi);
void mmapfs_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi);

/* A truncation of an entry in progress (for setattr). */
struct mmapfs_trunc {
	struct mmapfs_co_write w;
	bool active;
};

/*
 * Truncate entry `id` (inode `ino`) to `size`: 0 zeroes it, its own size
 * does nothing, any other size fails.  0 or a negative errno; on 0, reply
 * and then call mmapfs_truncate_end().
 */
int mmapfs_truncate_begin(struct mmapfs *fs, const struct mmapfs_ino *id,
			  uint64_t ino, uint64_t size, struct mmapfs_trunc *z);
void mmapfs_truncate_end(struct mmapfs *fs, struct mmapfs_trunc *z);

/* ops_xattr.c */
void mmapfs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size);
void mmapfs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void mmapfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags);
void mmapfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* ops_deny.c */
void mmapfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev);
void mmapfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode);
void mmapfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void mmapfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void mmapfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name);
void mmapfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags);
void mmapfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname);
void mmapfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi);

#endif /* MMAPFS_OPS_H */
