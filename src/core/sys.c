/*
 * sys.c - the system call seam (see sys.h).
 */
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"

struct mmapio_sys mmapio__sys = {
	.mmap = mmap,
	.munmap = munmap,
	.msync = msync,
	.ftruncate = ftruncate,
	.madvise = madvise,
	.fstat = fstat,
	.inotify_add_watch = inotify_add_watch,
};

void mmapio__sys_reset(void)
{
	mmapio__sys.mmap = mmap;
	mmapio__sys.munmap = munmap;
	mmapio__sys.msync = msync;
	mmapio__sys.ftruncate = ftruncate;
	mmapio__sys.madvise = madvise;
	mmapio__sys.fstat = fstat;
	mmapio__sys.inotify_add_watch = inotify_add_watch;
}
