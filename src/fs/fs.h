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

#include "conn.h"
#include "coherence.h"
#include "files.h"
#include "ino.h"
#include "nodes.h"
#include "times.h"

struct mmapfs {
	uint64_t chunk_size;
	uint64_t page_size;
	bool ro;	      /* -o ro */
	bool cow;	      /* -o cow: the backing files are never touched */
	double entry_timeout; /* for numbered entries, whose set changes */
	double name_timeout;  /* for fixed names: sources, chunks, pages */
	double attr_timeout;
	double kept_timeout;	 /* entries and attributes of watched files */
	struct stat root_st;	 /* the mount point before mounting */
	const char *mountpoint;	 /* absolute, as libfuse mounts it */
	struct mmapfs_conn conn; /* this mount's connection (conn.h) */
	char mnt_real[PATH_MAX]; /* resolved, for the node scan */
	atomic_bool ra_pending;	 /* readahead not raised yet (ops.c) */
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
	struct mmapfs_times times; /* entries' times (times.h) */
};

#endif /* MMAPFS_FS_H */
