/*
 * errors.h - the one place that decides which errno the filesystem
 * returns.
 *
 * Handlers name *why* a request fails (a mmapfs_fail value) or pass on a
 * library result; mmapfs_errno() turns that into the errno the kernel
 * gets.  The table in errors.c is the whole error policy of the mount.
 */
#ifndef MMAPFS_ERRORS_H
#define MMAPFS_ERRORS_H

#include <stdbool.h>

enum mmapfs_fail {
	MMAPFS_E_NO_ENTRY,	/* no such name or inode */
	MMAPFS_E_NAMESPACE,	/* create, mkdir, unlink, rename, link, ... */
	MMAPFS_E_METADATA,	/* chmod, chown, utimens */
	MMAPFS_E_RESIZE,	/* truncate an entry to another size */
	MMAPFS_E_WRITE_RO,	/* write access on a read-only mount */
	MMAPFS_E_WRITE_BACKING, /* write access to a read-only backing file */
	MMAPFS_E_AT_END,	/* write starting at or past the entry's end */
	MMAPFS_E_XATTR_SET,	/* setxattr/removexattr */
	MMAPFS_E_XATTR_NONE,	/* getxattr of a name we do not have */
	MMAPFS_E_XATTR_SMALL,	/* buffer too small for the value or list */
	MMAPFS_E_NOT_DIR,	/* directory operation on an entry */
	MMAPFS_E_IS_DIR,	/* file operation on a directory */
	MMAPFS_E_UNSUPPORTED,	/* unsupported requests and modes */
	MMAPFS_E_NO_MEMORY,
	MMAPFS_E_BACKING_GONE, /* backing file unreadable at remap time */
	MMAPFS_E_NO_DATA,      /* SEEK_DATA/SEEK_HOLE at or past the end */
	MMAPFS_E_COUNT
};

/* errno (positive) for a failure, on a read-only (ro) mount or not. */
int mmapfs_errno(enum mmapfs_fail why, bool ro);

/*
 * errno (positive) for a negative result of libmmapio, for the operation
 * that produced it.  Out-of-range accesses after an external truncation
 * and faults on pages the file no longer backs are EIO.
 */
int mmapfs_errno_lib(int rc);

#endif /* MMAPFS_ERRORS_H */
