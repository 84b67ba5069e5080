/*
 * cachestat.h - how many pages of a file's range are dirty or under
 * writeback, for the tests that check what an fsync through the mount
 * promised: that the backing file's pages are on disk, not only in the
 * page cache.  A missing msync() leaves the pages a store through the
 * daemon's MAP_SHARED mapping dirtied in the page cache, where killing
 * the daemon does not lose them, so only such a count catches it.
 *
 * cachestat(2) is Linux 6.5 and later (syscall 451 where libc's headers
 * do not name it yet: x86-64 and the architectures of the common table).  Header-only: shared by tests/fs/fsprobe.c and
 * tests/hardening/crashio.c.
 */
#ifndef MMAPFS_TEST_CACHESTAT_H
#define MMAPFS_TEST_CACHESTAT_H

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif

#define CS_TMPFS_MAGIC 0x01021994

struct cs_range {
	uint64_t off, len;
};

struct cs_stat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
		nr_recently_evicted;
};

/* Dirty and writeback pages of [off, off + len) of fd: 0 or -errno. */
static inline int cs_unclean(int fd, uint64_t off, uint64_t len,
			     uint64_t *dirty, uint64_t *writeback)
{
	struct cs_range r = { off, len };
	struct cs_stat s;

	if (syscall(SYS_cachestat, fd, &r, &s, 0) != 0)
		return -errno;
	*dirty = s.nr_dirty;
	*writeback = s.nr_writeback;
	return 0;
}

/*
 * Why the count cannot judge durability for fd, or NULL when it can:
 * the kernel has no cachestat(2), or the file is on tmpfs, whose pages
 * stay dirty whatever msync() does.
 */
static inline const char *cs_unusable(int fd)
{
	uint64_t d = 0, w = 0;
	struct statfs sf;
	int rc = cs_unclean(fd, 0, 1, &d, &w);

	if (rc != 0)
		return rc == -ENOSYS ? "cachestat(2) not available "
				       "(Linux 6.5 or later)"
				     : "cachestat(2) fails on the backing file";
	if (fstatfs(fd, &sf) == 0 && sf.f_type == CS_TMPFS_MAGIC)
		return "the backing file is on tmpfs, whose pages are never "
		       "clean";
	return NULL;
}

#endif /* MMAPFS_TEST_CACHESTAT_H */
