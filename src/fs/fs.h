/*
 * fs.h - the state of one mount, shared by the request handlers.
 */
#ifndef MMAPFS_FS_H
#define MMAPFS_FS_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "coherence.h"
#include "files.h"
#include "ino.h"
#include "nodes.h"

struct mmapfs {
	uint64_t chunk_size;
	uint64_t page_size;
	bool ro;	      /* -o ro */
	double entry_timeout; /* for numbered entries, whose set changes */
	double name_timeout;  /* for fixed names: sources, chunks, pages */
	double attr_timeout;
	struct stat root_st;	 /* the mount point before mounting */
	const char *mountpoint;	 /* absolute, as libfuse mounts it */
	char mnt_real[PATH_MAX]; /* resolved, for the node scan */
	atomic_bool ra_pending;	 /* readahead not raised yet (ops.c) */
	/* Test hook (MMAPFS_TEST_WRITE_DELAY_MS): how long each WRITE waits
	 * before it reaches the mapping, and again after its reply. */
	unsigned test_write_delay_ms;
	/* -o uid=, gid=, umask=: shown instead of the backing files' */
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid;
	mode_t umask;
	int statfs_fd; /* O_PATH of the first SOURCE, for statfs; or -1 */
	struct mmapfs_tree tree;
	struct mmapfs_layout layout;
	struct mmapfs_files files;
	struct mmapfs_co co;

	/* Open entries: those whose RELEASE is lost at unmount are freed at
	 * exit (ops_io.c). */
	pthread_mutex_t fh_lock;
	struct mmapfs_fh *fh_list;
};

/* Per open entry (fuse_file_info.fh). */
struct mmapfs_fh {
	struct mmapfs_ino id;
	uint64_t ino;
	uint64_t piece_off;	       /* nominal offset of the entry */
	mmapio_file *mf;	       /* referenced until release */
	struct mmapfs_fh *prev, *next; /* fs->fh_list */
};

#endif /* MMAPFS_FS_H */
