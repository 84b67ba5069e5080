/*
 * notify.c - the kernel's side of notify.h: libfuse's notifications.
 */
#include "notify.h"

#include <fuse_lowlevel.h>

static int fuse_inval_inode(void *k, uint64_t ino, int64_t off, int64_t len)
{
	return fuse_lowlevel_notify_inval_inode(k, ino, (off_t)off, (off_t)len);
}

static int fuse_inval_entry(void *k, uint64_t parent, const char *name,
			    size_t namelen)
{
	return fuse_lowlevel_notify_inval_entry(k, parent, name, namelen);
}

static int fuse_retrieve(void *k, uint64_t ino, size_t size, int64_t off,
			 void *cookie)
{
	return fuse_lowlevel_notify_retrieve(k, ino, size, (off_t)off, cookie);
}

void mmapfs_notify_fuse(struct mmapfs_notify *n, struct fuse_session *se)
{
	n->inval_inode = fuse_inval_inode;
	n->inval_entry = fuse_inval_entry;
	n->retrieve = fuse_retrieve;
	n->k = se;
}
