/*
 * errors.c - the error policy of the filesystem (see errors.h).
 */
#include "errors.h"

#include <errno.h>

struct policy {
	int rw; /* on a read-write or cow mount */
	int ro; /* on a read-only mount */
};

static const struct policy table[MMAPFS_E_COUNT] = {
	[MMAPFS_E_NO_ENTRY] = { ENOENT, ENOENT },
	/* The tree is computed: nothing can be created, removed, renamed. */
	[MMAPFS_E_NAMESPACE] = { EPERM, EROFS },
	[MMAPFS_E_METADATA] = { EPERM, EROFS },
	/* Entries never change size: truncate(2) to a size other than 0 or
	 * their own, and fallocate(2) that would grow them, are refused. */
	[MMAPFS_E_RESIZE] = { EPERM, EROFS },
	[MMAPFS_E_WRITE_RO] = { EROFS, EROFS },
	/* Mode bits of the backing file say no: as a failed permission. */
	[MMAPFS_E_WRITE_BACKING] = { EACCES, EROFS },
	/* Like a block device: no room past the end. */
	[MMAPFS_E_AT_END] = { ENOSPC, EROFS },
	/* The attributes describe the entry; they are not storage. */
	[MMAPFS_E_XATTR_SET] = { EPERM, EROFS },
	[MMAPFS_E_XATTR_NONE] = { ENODATA, ENODATA },
	/* Not ENOSYS, which would end every getxattr of the mount: a
	 * namespace the filesystem lacks, so `ls -l` (coreutils) asks once
	 * per filesystem, not once per entry, for ACLs and SELinux labels. */
	[MMAPFS_E_XATTR_SPACE] = { EOPNOTSUPP, EOPNOTSUPP },
	[MMAPFS_E_XATTR_SMALL] = { ERANGE, ERANGE },
	[MMAPFS_E_NOT_DIR] = { ENOTDIR, ENOTDIR },
	[MMAPFS_E_IS_DIR] = { EISDIR, EISDIR },
	[MMAPFS_E_UNSUPPORTED] = { EOPNOTSUPP, EOPNOTSUPP },
	[MMAPFS_E_NO_MEMORY] = { ENOMEM, ENOMEM },
	[MMAPFS_E_BACKING_GONE] = { EIO, EIO },
	/* As lseek(2) SEEK_DATA/SEEK_HOLE at a file's end. */
	[MMAPFS_E_NO_DATA] = { ENXIO, ENXIO },
};

int mmapfs_errno(enum mmapfs_fail why, bool ro)
{
	if ((unsigned)why >= MMAPFS_E_COUNT)
		return EIO;
	return ro ? table[why].ro : table[why].rw;
}

int mmapfs_errno_lib(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case -ERANGE: /* the file shrank under the request */
	case -EFAULT:
		return EIO;
	case -EBADF: /* write to a read-only mapping */
		return EACCES;
	default:
		return rc < 0 ? -rc : EIO;
	}
}
