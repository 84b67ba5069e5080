/*
 * compat.h - kernel and libc version shims, kept out of the logic.
 */
#ifndef MMAPIO_COMPAT_H
#define MMAPIO_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * Fault [addr, addr + len) (page aligned) into the page tables for reading.
 * MADV_POPULATE_READ where the kernel has it (5.14+), else a guarded touch
 * of every page.  Returns 0, -EIO (a page the file does not back) or
 * -ENOMEM.
 */
int mmapio__populate_read(uint8_t *addr, size_t len);

/*
 * Size in bytes of the object open at `fd`, whose fstat(2) is `st`: st_size
 * for a regular file, ioctl(BLKGETSIZE64) for a block device (whose
 * st_size is 0).  Returns 0 or a negative errno.
 */
int mmapio__fd_size(int fd, const struct stat *st, uint64_t *size);

/*
 * Whether the block device open at `fd` is read-only (ioctl BLKROGET).
 * False when that cannot be told.
 */
bool mmapio__blkdev_ro(int fd);

/* A static description of a positive errno value, or NULL if unknown. */
const char *mmapio__errno_text(int err);

#endif /* MMAPIO_COMPAT_H */
