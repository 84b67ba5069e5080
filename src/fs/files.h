/*
 * files.h - lazily mapped data files, a bounded number at a time.
 *
 * A FILE node is mapped (mmapio_open_ex) on first use and stays mapped in
 * an LRU list.  Every user holds a reference between mmapfs_files_get()
 * and mmapfs_files_put(): a request for the duration of its reply, an open
 * entry from open() to release().  When more than `cap` files are mapped,
 * the least recently used unreferenced ones are closed (which flushes
 * them), so a source directory of 10,000 files never holds 10,000
 * descriptors.  A referenced file is never closed.  Entries are opened
 * by the kernel without a request (cache=keep), so nothing holds a
 * reference between requests: a file found removed, renamed or replaced
 * (mmapfs_files_stat(); the watcher looks when inotify reports a rename
 * or a removal) is kept mapped until unmount instead, and keeps being
 * served from its mapping, as an open descriptor would be.
 *
 * On a copy-on-write mount a file's changes live only in its private
 * mapping: closing it would lose them.  A COW file written through the
 * mount (mmapfs_files_written()) is kept mapped until unmount and does
 * not count towards `cap`, so the bound on descriptors and mappings is
 * cap + the number of files written.
 *
 * A backing file without write permission, or one the daemon cannot open
 * for writing, is mapped read-only whatever the mount options: it is
 * never written.
 */
#ifndef MMAPFS_FILES_H
#define MMAPFS_FILES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "mmapio.h"
#include "nodes.h"

struct mmapfs_fstate;

struct mmapfs_files {
	pthread_mutex_t lock;	  /* guards every fstate's mf, refs and links */
	struct mmapfs_fstate *st; /* one per node, used for FILE nodes */
	const struct mmapfs_tree *tree;
	mmapio_mode mode; /* RW, RO or COW for the whole mount */
	mmapio_flush_policy flush;
	unsigned cap;
	unsigned nmapped;
	unsigned nkept; /* never closed: COW files holding changes, and
			   files removed, renamed or replaced */
	uint32_t lru_head, lru_tail;
};

#define MMAPFS_FILES_CAP 256

/* Set up for the FILE nodes of `t`; nothing is mapped yet.  cap 0 means
 * MMAPFS_FILES_CAP.  Returns 0 or -ENOMEM. */
int mmapfs_files_init(struct mmapfs_files *f, const struct mmapfs_tree *t,
		      mmapio_mode mode, mmapio_flush_policy flush,
		      unsigned cap);

/*
 * Map FILE node `node` if needed and take a reference.  Returns 0 and the
 * handle, or a negative errno (the backing file could not be opened).
 */
int mmapfs_files_get(struct mmapfs_files *f, uint32_t node, mmapio_file **out);

/* Drop a reference taken by mmapfs_files_get(). */
void mmapfs_files_put(struct mmapfs_files *f, uint32_t node);

/*
 * Say that FILE node `node` is about to be written through the mount.
 * The caller holds a reference (so the file is mapped).  On a COW mount
 * the file is then never closed before mmapfs_files_destroy(): its
 * private mapping is the only copy of what was written.  Cheap after the
 * first call for a file; does nothing on RW and RO mounts.
 */
void mmapfs_files_written(struct mmapfs_files *f, uint32_t node);

/*
 * Pick up size changes made by other processes (mmapio_refresh).  Sets
 * *before to the size the previous refresh saw, so that the caller can
 * tell the kernel what changed.  The caller holds a reference.  Returns
 * the size now in force.
 */
uint64_t mmapfs_files_refresh(struct mmapfs_files *f, uint32_t node,
			      mmapio_file *mf, uint64_t *before);

/*
 * Attributes of the backing object of `node` (any type): fstat of the
 * mapping when the file is mapped, else stat of its path.  Logs once
 * when a mapped file turns out removed.  Returns 0 or a negative errno.
 */
int mmapfs_files_stat(struct mmapfs_files *f, uint32_t node, struct stat *st);

/* Whether the mapping accepts writes (RW or COW). */
bool mmapfs_files_writable(const mmapio_file *mf);

/* Flush every mapped file; returns 0 or the first negative errno. */
int mmapfs_files_flush_all(struct mmapfs_files *f);

/* Close everything (after the session loop ended).  NULL-safe. */
void mmapfs_files_destroy(struct mmapfs_files *f);

#endif /* MMAPFS_FILES_H */
