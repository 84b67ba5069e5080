/*
 * ops.c - session start and end, and the table handed to libfuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

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
	struct mmapfs *fs = userdata;

	/*
	 * open(O_TRUNC) must reach the daemon as a SETATTR of size 0, the
	 * path truncate(2) takes: one code path zeroes the entry for both
	 * (ops_space.c).  With FUSE_ATOMIC_O_TRUNC and no OPEN request
	 * (cache=keep), the kernel would set the entry's size to 0 itself
	 * (fuse_setattr, ATTR_OPEN).
	 */
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	/* Write-back caching would let the kernel delay and merge writes,
	 * and writes must reach the mapping before they return. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* auto_inval_data stays on: coherence.c, rule 1. */
	/* cache=keep: OPEN and OPENDIR are answered ENOSYS once, and the
	 * kernel opens entries and directories itself, keeping their pages
	 * and listings (coherence.c, rule 1). */
	if (fs->co.no_open) {
		if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT)
			conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
		if (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT)
			conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
	}
	/* `ls -l`: names with their attributes, when the kernel sees them
	 * used (READDIRPLUS_AUTO). */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO)
		conn->want |= FUSE_CAP_READDIRPLUS_AUTO;
	/* File handles (NFS export): LOOKUP of "." and "..", ops_tree.c. */
	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
}

/*
 * The backing file's mtime is where entries' times start after a remount
 * (times.h): carry the last write through the mount to it when the
 * kernel did not (a store into a page already dirty in the mapping does
 * not move it).  Never on a copy-on-write or read-only mount.
 */
static void carry_times(struct mmapfs *fs)
{
	for (uint32_t i = 0; i < fs->tree.nnodes; i++) {
		const struct mmapfs_node *n = &fs->tree.nodes[i];
		struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT } };
		struct stat b;

		if (n->type != MMAPFS_N_FILE || stat(n->path, &b) != 0 ||
		    !S_ISREG(b.st_mode))
			continue;
		if (mmapfs_times_ahead(&fs->times, i, &b.st_mtim, &ts[1]))
			if (utimensat(AT_FDCWD, n->path, ts, 0) != 0)
				log_debug("times of %s: %s", n->path,
					  strerror(errno));
	}
}

void mmapfs_make_durable(struct mmapfs *fs)
{
	mmapfs_files_flush_all(&fs->files);
	if (!fs->ro && !fs->cow)
		carry_times(fs);
}

/* Unmount (or the end of the session): make everything durable. */
static void op_destroy(void *userdata)
{
	mmapfs_make_durable(userdata);
}

const struct fuse_lowlevel_ops mmapfs_ops = {
	.init = op_init,
	.destroy = op_destroy,
	.lookup = mmapfs_op_lookup,
	.getattr = mmapfs_op_getattr,
	.statfs = mmapfs_op_statfs,
	.setattr = mmapfs_op_setattr,
	.forget = mmapfs_op_forget,
	.forget_multi = mmapfs_op_forget_multi,
	.readdir = mmapfs_op_readdir,
	.readdirplus = mmapfs_op_readdirplus,
	.opendir = mmapfs_op_opendir,
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
