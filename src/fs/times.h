/*
 * times.h - modification and change times of entries, which never stay
 * behind a change to their bytes.
 *
 * Each file has a floor: the backing file's times when the mount first
 * looked, raised to the backing file's times whenever a change from
 * outside is seen (the daemon cannot tell which bytes changed, so every
 * entry of the file moves): reported by inotify, or found when the
 * backing file's mtime is later than both the floor and the last write
 * through the mount (a store through another process's mapping).  An entry written through the mount gets the
 * time of that write, an entry whose times were set (utimensat, as
 * `rsync -a` does) keeps them until the next change.  What an object
 * shows: its own record when it has one and it was set since the last
 * raise of the floor, else the later of its record and the floor.
 *
 * Bounded: at most `cap` records per mount.  A record pushed out raises
 * its file's floor to its times, so every entry of that file shows times
 * at least as late: never older than the truth, only more entries for a
 * backup tool to look at again.  About 70 bytes per record.
 *
 * Thread-safe: one lock around the table.
 */
#ifndef MMAPFS_TIMES_H
#define MMAPFS_TIMES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct mmapfs_times_rec;

struct mmapfs_times_file {
	struct timespec mtime, ctime; /* the floor */
	struct timespec latest;	      /* last write through the mount */
	uint32_t gen;		      /* raises of the floor */
	bool known;		      /* floor taken from the backing file */
};

struct mmapfs_times {
	pthread_mutex_t lock;
	struct mmapfs_times_rec **buckets;
	size_t nbuckets, count, cap;
	size_t evict_next; /* bucket to push a record out of */
	struct mmapfs_times_file *files;
	uint32_t nfiles;
};

/* For nfiles file nodes (node numbers below nfiles), at most cap records.
 * Returns 0 or -ENOMEM. */
int mmapfs_times_init(struct mmapfs_times *t, uint32_t nfiles, size_t cap);
void mmapfs_times_destroy(struct mmapfs_times *t); /* NULL-safe */

/*
 * Times of object `ino` of file `node`, whose backing file's attributes
 * are *b.  `live`: the floor follows the backing file's times at every
 * call (outside changes are not reported for this file: cache=open, or
 * no inotify watch).
 */
void mmapfs_times_get(struct mmapfs_times *t, uint32_t node, uint64_t ino,
		      const struct stat *b, bool live, struct timespec *mtime,
		      struct timespec *ctime);

/* The n objects inos[] of file `node` were written through the mount at
 * `now`. */
void mmapfs_times_written(struct mmapfs_times *t, uint32_t node,
			  const uint64_t *inos, size_t n,
			  const struct timespec *now);

/* Every object of file `node` was written at `now` (too many to name). */
void mmapfs_times_all_written(struct mmapfs_times *t, uint32_t node,
			      const struct timespec *now);

/* Times of object `ino` set (utimensat) to mtime, at `now`.  Returns 0
 * or -ENOMEM (no record could be made: nothing changed). */
int mmapfs_times_set(struct mmapfs_times *t, uint32_t node, uint64_t ino,
		     const struct timespec *mtime, const struct timespec *now);

/* A change from outside was seen: the floor rises to *b's times. */
void mmapfs_times_outside(struct mmapfs_times *t, uint32_t node,
			  const struct stat *b);

/* Whether the last write through the mount to file `node` is later than
 * `mtime` (the backing file's), and when it was (*latest). */
bool mmapfs_times_ahead(struct mmapfs_times *t, uint32_t node,
			const struct timespec *mtime, struct timespec *latest);

#endif /* MMAPFS_TIMES_H */
