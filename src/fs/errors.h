/*
 * errors.h - the one place that decides which errno the filesystem
 * returns, and the daemon's one error convention.
 *
 * Handlers name *why* a request fails (a mmapfs_fail value) or pass on a
 * library result; mmapfs_errno() turns that into the errno the kernel
 * gets.  The table in errors.c is the whole error policy of the mount.
 *
 * The error convention, for every module of the daemon:
 *  - A function that can fail returns int: 0 on success or a negative
 *    errno saying why (-ENOENT, -ENOMEM, -EINVAL, ...), as libmmapio
 *    does; results go through out-parameters.  Never -1, never a
 *    positive errno, never an index or count that doubles as an error.
 *    Save errno before cleanup calls can change it.
 *  - A function whose failure a person reads (the command line, the
 *    SOURCEs at mount time) also writes one line into a buffer of its
 *    caller (err and errlen, or mmapfs_opts.err); it still returns the
 *    negative errno.
 *  - Predicates return bool.  A function that cannot fail returns void
 *    or its result.
 *  - A callback whose contract another library fixes (fuse_opt's
 *    processing function: -1, 0 or 1) keeps that contract and says so.
 *  - Only the request handlers (ops*.c) turn a failure into the errno
 *    the kernel gets, and only through this header: mmapfs_errno() for a
 *    reason the filesystem names (mmapfs_reply_fail() replies with it),
 *    mmapfs_errno_lib() for a negative result.  Both return the positive
 *    errno that fuse_reply_err() takes; nothing else in the daemon deals
 *    in positive errnos.  main() turns failures into exit statuses.
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
	MMAPFS_E_XATTR_SPACE,	/* a namespace other than user.: no ACLs,
				   no security labels */
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
