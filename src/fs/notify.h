/*
 * notify.h - what the daemon asks of the kernel on its own initiative:
 * the fuse_lowlevel_notify_* calls, through one table.
 *
 * The coherence module (coherence.h) talks to the kernel only through a
 * struct mmapfs_notify, so that its unit tests can stand in for the
 * kernel (tests/fs/test_coherence.c): record what is asked, block like a
 * page lock would, answer a retrieve.  The daemon fills it with
 * mmapfs_notify_fuse().  Each call returns 0 or a negative errno, as
 * libfuse's do; -ENOENT means the kernel does not hold the inode.
 */
#ifndef MMAPFS_NOTIFY_H
#define MMAPFS_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct fuse_session;

struct mmapfs_notify {
	/* Drop the attributes of inode `ino` and, when off >= 0, its cached
	 * pages over [off, off + len) (len <= 0: to the end).  Waits for
	 * the page locks it meets (invalidate_inode_pages2_range()). */
	int (*inval_inode)(void *k, uint64_t ino, int64_t off, int64_t len);
	/* Drop the cached name `name` in directory `parent`; takes the
	 * directory's inode lock. */
	int (*inval_entry)(void *k, uint64_t parent, const char *name,
			   size_t namelen);
	/* Ask the kernel for its uptodate cached bytes of `ino` over [off,
	 * off + size); the answer comes as a retrieve_reply with `cookie`. */
	int (*retrieve)(void *k, uint64_t ino, size_t size, int64_t off,
			void *cookie);
	void *k; /* the session, or the tests' fake kernel */
};

/* The real thing: libfuse's notifications on session `se`. */
void mmapfs_notify_fuse(struct mmapfs_notify *n, struct fuse_session *se);

#endif /* MMAPFS_NOTIFY_H */
