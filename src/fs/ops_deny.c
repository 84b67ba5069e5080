/*
 * ops_deny.c - the tree is computed from the sources, so nothing can be
 * created, removed, renamed or linked in it.  Each request is answered
 * with the errno errors.c gives a namespace change, and nothing is ever
 * created on disk.
 */
#include "ops.h"

void mmapfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	mmapfs_reply_fail(req, MMAPFS_E_NAMESPACE);
}

void mmapfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	(void)parent, (void)name, (void)mode;
	mmapfs_reply_fail(req, MMAPFS_E_NAMESPACE);
}

void mmapfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent, (void)name;
	mmapfs_reply_fail(req, MMAPFS_E_NAMESPACE);
}

void mmapfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent, (void)name;
	mmapfs_reply_fail(req, MMAPFS_E_NAMESPACE);
}

void mmapfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	(void)link, (void)parent, (void)name;
	mmapfs_reply_fail(req, MMAPFS_E_NAMESPACE);
}

void mmapfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	(void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
	mmapfs_reply_fail(req, MMAPFS_E_NAMESPACE);
}

void mmapfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	(void)ino, (void)newparent, (void)newname;
	mmapfs_reply_fail(req, MMAPFS_E_NAMESPACE);
}

void mmapfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	(void)parent, (void)name, (void)mode, (void)fi;
	mmapfs_reply_fail(req, MMAPFS_E_NAMESPACE);
}
