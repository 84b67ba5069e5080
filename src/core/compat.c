/*
 * compat.c - kernel and libc version shims.
 */
#include <errno.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "compat.h"
#include "guard.h"
#include "mmapio.h"
#include "sys.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

int mmapio__populate_read(uint8_t *addr, size_t len)
{
	if (mmapio__sys.madvise(addr, len, MADV_POPULATE_READ) == 0)
		return 0;
	switch (errno) {
	case EINVAL: /* kernel without MADV_POPULATE_READ */
		return mmapio__guarded_touch(addr, len, mmapio_page_size());
	case EFAULT: /* a page past the file's end: it would raise SIGBUS */
		return -EIO;
	default:
		return -errno;
	}
}

int mmapio__fd_size(int fd, const struct stat *st, uint64_t *size)
{
	uint64_t n = 0;

	if (!S_ISBLK(st->st_mode)) {
		if (st->st_size < 0)
			return -EFBIG;
		*size = (uint64_t)st->st_size;
		return 0;
	}
	if (ioctl(fd, BLKGETSIZE64, &n) != 0)
		return -errno;
	*size = n;
	return 0;
}

bool mmapio__blkdev_ro(int fd)
{
	int ro = 0;

	return ioctl(fd, BLKROGET, &ro) == 0 && ro != 0;
}

const char *mmapio__errno_text(int err)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	return strerrordesc_np(err);
#else
	(void)err;
	return NULL;
#endif
}
