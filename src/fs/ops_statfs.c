/*
 * ops_statfs.c - statfs (df, stat -f): the figures of the filesystem
 * that holds the first SOURCE.
 *
 * The mount's bytes are that filesystem's bytes: a write through an entry
 * lands there, so its size, free space and free inodes are what `df`
 * should show.  With several SOURCEs on different filesystems one set of
 * figures has to be chosen, and the first SOURCE is the one the mount is
 * named after (its fsname, opts.c).  The descriptor is opened at mount
 * time (O_PATH), so the figures stay those of that filesystem when the
 * source is renamed or removed later.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "ops.h"

int mmapfs_statfs_init(struct mmapfs *fs, const char *source)
{
	int e;

	fs->statfs_fd = open(source, O_PATH | O_CLOEXEC);
	if (fs->statfs_fd < 0) {
		e = errno;
		log_err("source '%s': %s", source, strerror(e));
		return -e;
	}
	return 0;
}

void mmapfs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct mmapfs *fs = fs_of(req);
	struct statvfs sv;

	(void)ino;
	mmapfs_after_init(fs);
	if (fstatvfs(fs->statfs_fd, &sv) != 0) {
		fuse_reply_err(req, errno);
		return;
	}
	/* Entry names are short numbers, but mirrored directories keep the
	 * backing names: the backing filesystem's limit is ours.  The
	 * flags are the kernel's to set (ro, nosuid, ...). */
	if (sv.f_namemax == 0)
		sv.f_namemax = 255;
	sv.f_flag = 0;
	fuse_reply_statfs(req, &sv);
}
