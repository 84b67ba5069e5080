/*
 * ops.c - session start and end, and the table handed to libfuse.
 */
#include "log.h"
#include "ops.h"
#include "readahead.h"

#define READAHEAD_KB 1024

/*
 * The INIT reply can only lower the mount's readahead, and the kernel
 * applies it while libfuse sends that reply; so the bdi is raised on the
 * first request after INIT.
 */
void mmapfs_after_init(struct mmapfs *fs)
{
	if (!atomic_exchange(&fs->ra_pending, false))
		return;
	if (mmapfs_raise_readahead(fs->mountpoint, READAHEAD_KB) != 0)
		log_debug("could not raise the readahead of %s",
			  fs->mountpoint);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Without atomic O_TRUNC the kernel sends open(O_TRUNC) as the OPEN
	 * (flag stripped) and then a SETATTR to size 0, the path truncate(2)
	 * takes: one code path zeroes the entry for both (ops_space.c). */
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	/* Write-back caching would let the kernel delay and merge writes,
	 * and writes must reach the mapping before they return. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* auto_inval_data stays on: coherence.c, rule 1. */
	conn->want &= ~FUSE_CAP_READDIRPLUS;
}

/* Unmount (or the end of the session): make everything durable. */
static void op_destroy(void *userdata)
{
	struct mmapfs *fs = userdata;

	mmapfs_files_flush_all(&fs->files);
}

const struct fuse_lowlevel_ops mmapfs_ops = {
	.init = op_init,
	.destroy = op_destroy,
	.lookup = mmapfs_op_lookup,
	.getattr = mmapfs_op_getattr,
	.setattr = mmapfs_op_setattr,
	.readdir = mmapfs_op_readdir,
	.open = mmapfs_op_open,
	.read = mmapfs_op_read,
	.write = mmapfs_op_write,
	.retrieve_reply = mmapfs_op_retrieve_reply,
	.flush = mmapfs_op_flush,
	.fsync = mmapfs_op_fsync,
	.release = mmapfs_op_release,
	.fallocate = mmapfs_op_fallocate,
	.lseek = mmapfs_op_lseek,
	.getxattr = mmapfs_op_getxattr,
	.listxattr = mmapfs_op_listxattr,
	.setxattr = mmapfs_op_setxattr,
	.removexattr = mmapfs_op_removexattr,
	.mknod = mmapfs_op_mknod,
	.mkdir = mmapfs_op_mkdir,
	.unlink = mmapfs_op_unlink,
	.rmdir = mmapfs_op_rmdir,
	.symlink = mmapfs_op_symlink,
	.rename = mmapfs_op_rename,
	.link = mmapfs_op_link,
	.create = mmapfs_op_create,
};
