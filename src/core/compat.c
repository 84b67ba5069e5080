/*
 * compat.c - kernel and libc version shims.
 */
#include <errno.h>
#include <string.h>
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

const char *mmapio__errno_text(int err)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	return strerrordesc_np(err);
#else
	(void)err;
	return NULL;
#endif
}
