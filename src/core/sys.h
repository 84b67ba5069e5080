/*
 * sys.h - the seam between libmmapio and the system calls tests must be
 * able to fail on purpose.
 *
 * Every mmap, munmap, msync, ftruncate, madvise and fstat the library makes
 * goes through mmapio__sys, and so does inotify_add_watch (its -ENOSPC, the
 * user's watch limit reached, cannot be had on purpose otherwise).  Unit tests link the static core, replace an
 * entry to observe or fail a call, and put the real one back with
 * mmapio__sys_reset().  Not part of the public API.
 */
#ifndef MMAPIO_SYS_H
#define MMAPIO_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct mmapio_sys {
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd,
		      off_t off);
	int (*munmap)(void *addr, size_t len);
	int (*msync)(void *addr, size_t len, int flags);
	int (*ftruncate)(int fd, off_t len);
	int (*madvise)(void *addr, size_t len, int advice);
	int (*fstat)(int fd, struct stat *st);
	int (*inotify_add_watch)(int fd, const char *path, uint32_t mask);
};

extern struct mmapio_sys mmapio__sys;

/* Restore every entry to the real system call. */
void mmapio__sys_reset(void);

#endif /* MMAPIO_SYS_H */
