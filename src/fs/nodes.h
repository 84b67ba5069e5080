/*
 * nodes.h - the directory nodes of a mount, built once from the SOURCEs.
 *
 * Node 0 is the mount's root.  Each SOURCE file or block device becomes a
 * FILE node (shown as <name>/ with chunks/ and pages/); each SOURCE
 * directory becomes a DIR
 * node whose regular files and sub-directories are scanned at mount time
 * and become FILE and DIR nodes in turn.  Nodes hold names and paths only:
 * nothing is opened or mapped here (files.h maps lazily), so mounting a
 * directory of 10,000 files costs one readdir and one fstatat per entry.
 *
 * Inside a SOURCE directory, FIFOs, devices and sockets are left out, and
 * a symbolic link is followed only when it resolves to a regular file
 * inside the same SOURCE directory, or anywhere but the mount point with
 * -o follow_symlinks; links to directories are left out so that no link
 * can make the tree loop.
 */
#ifndef MMAPFS_NODES_H
#define MMAPFS_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

enum mmapfs_node_type { MMAPFS_N_ROOT, MMAPFS_N_DIR, MMAPFS_N_FILE };

struct mmapfs_node {
	char *name;	 /* NULL for the root */
	char *path;	 /* absolute path of the backing object */
	uint32_t parent; /* the root is its own parent */
	enum mmapfs_node_type type;
	uint32_t *children; /* DIR and ROOT: sorted by name */
	uint32_t nchildren;
	bool is_mountpoint; /* the mount point, met inside a source */
};

struct mmapfs_tree {
	struct mmapfs_node *nodes;
	uint32_t nnodes;
	uint32_t cap;
	uint32_t nfiles;
	/* The mount point, so that the scan never looks into it: once
	 * mounted, that would be the daemon asking itself. */
	const char *mnt_path; /* absolute, resolved */
	dev_t mnt_dev;
	ino_t mnt_ino;
	bool follow_symlinks; /* links may point outside their source */
};

/*
 * Build the tree for `sources`, to be mounted at `mnt` (resolved path and
 * its stat before mounting).  A mount point met inside a source directory
 * becomes an empty directory node (is_mountpoint).  follow: follow links
 * to files outside their source directory.  Returns 0, or a negative
 * errno with one line in err naming the bad SOURCE: the error of
 * realpath(3), stat(2) or open(2) (missing, unreadable), -ENODEV (FIFO,
 * device, socket), -EEXIST (duplicate name), -EINVAL (the root
 * directory, the mount point itself or inside it), -ENOMEM, -EOVERFLOW
 * (more than 2^30 nodes).  On failure the tree is freed.
 */
int mmapfs_tree_build(struct mmapfs_tree *t, char *const *sources, size_t n,
		      const char *mnt, const struct stat *mnt_st, bool follow,
		      char *err, size_t errlen);

/* NULL-safe, accepts half-built trees. */
void mmapfs_tree_free(struct mmapfs_tree *t);

/* Child of directory node `dir` called `name`: 0 and *child, or -ENOENT. */
int mmapfs_tree_child(const struct mmapfs_tree *t, uint32_t dir,
		      const char *name, uint32_t *child);

#endif /* MMAPFS_NODES_H */
