/*
 * nodes.c - building the node table from the SOURCE arguments.
 */
#include "nodes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Append a node, its index in *id: 0, -ENOMEM, or -EOVERFLOW (too many
 * nodes for the inode numbers). */
static int add_node(struct mmapfs_tree *t, const char *name, const char *path,
		    uint32_t parent, enum mmapfs_node_type type, uint32_t *id)
{
	struct mmapfs_node *n;

	if (t->nnodes == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		struct mmapfs_node *grown;

		if (cap > (1u << 30))
			return -EOVERFLOW;
		grown = realloc(t->nodes, cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		t->nodes = grown;
		t->cap = cap;
	}
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof(*n));
	n->name = name ? strdup(name) : NULL;
	n->path = path ? strdup(path) : NULL;
	if ((name && !n->name) || (path && !n->path)) {
		free(n->name);
		free(n->path);
		return -ENOMEM;
	}
	n->parent = parent;
	n->type = type;
	if (type == MMAPFS_N_FILE)
		t->nfiles++;
	*id = t->nnodes++;
	return 0;
}

static int add_child(struct mmapfs_tree *t, uint32_t dir, uint32_t child)
{
	struct mmapfs_node *d = &t->nodes[dir];
	uint32_t *grown;

	grown = realloc(d->children, (d->nchildren + 1) * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	d->children = grown;
	d->children[d->nchildren++] = child;
	return 0;
}

static const struct mmapfs_tree *sort_tree; /* qsort has no context */

/* Children by name: qsort's comparison, with its contract (< 0, 0, > 0). */
static int cmp_child(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return strcmp(sort_tree->nodes[x].name, sort_tree->nodes[y].name);
}

static void sort_children(struct mmapfs_tree *t, uint32_t dir)
{
	if (t->nodes[dir].nchildren < 2)
		return; /* and qsort must not see the NULL of an empty one */
	sort_tree = t;
	qsort(t->nodes[dir].children, t->nodes[dir].nchildren, sizeof(uint32_t),
	      cmp_child);
	sort_tree = NULL;
}

/* Does `path` lie strictly inside directory `root`? */
static bool inside(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/' && path[1] != '\0';
	return strncmp(root, path, n) == 0 && path[n] == '/';
}

/* Is resolved `path` the mount point or inside it? */
static bool in_mountpoint(const struct mmapfs_tree *t, const char *path)
{
	return strcmp(path, t->mnt_path) == 0 || inside(t->mnt_path, path);
}

static int scan_dir(struct mmapfs_tree *t, uint32_t dir, const char *root);

/* One entry of a scanned directory: add it, or leave it out.  0, or
 * -ENOMEM or -EOVERFLOW (the tree cannot take it). */
static int scan_entry(struct mmapfs_tree *t, uint32_t dir, const char *root,
		      int dfd, const char *name)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *target = path;
	struct stat st;
	uint32_t child;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", t->nodes[dir].path, name) >=
	    (int)sizeof(path))
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0; /* vanished while scanning */
	if (S_ISLNK(st.st_mode)) {
		/* Files only, so no link makes the tree loop; never into
		 * the mount point, which would be the daemon asking itself. */
		if (realpath(path, real) == NULL ||
		    (!t->follow_symlinks && !inside(root, real)) ||
		    in_mountpoint(t, real) || stat(real, &st) != 0 ||
		    !S_ISREG(st.st_mode)) {
			log_info("not following symbolic link %s", path);
			return 0;
		}
		target = real;
	}
	if (S_ISREG(st.st_mode)) {
		rc = add_node(t, name, target, dir, MMAPFS_N_FILE, &child);
	} else if (S_ISDIR(st.st_mode) && st.st_dev == t->mnt_dev &&
		   st.st_ino == t->mnt_ino) {
		rc = add_node(t, name, path, dir, MMAPFS_N_DIR, &child);
		if (rc == 0)
			t->nodes[child].is_mountpoint = true; /* not scanned */
	} else if (S_ISDIR(st.st_mode)) {
		rc = add_node(t, name, path, dir, MMAPFS_N_DIR, &child);
		if (rc == 0)
			rc = scan_dir(t, child, root);
	} else {
		return 0; /* FIFOs, devices and sockets are not data files */
	}
	if (rc != 0)
		return rc;
	return add_child(t, dir, child);
}

/* Mirror directory node `dir`; unreadable sub-directories stay empty.
 * 0, or as scan_entry(). */
static int scan_dir(struct mmapfs_tree *t, uint32_t dir, const char *root)
{
	struct dirent *de;
	int rc = 0, dfd;
	DIR *d;

	dfd = open(t->nodes[dir].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		log_warn("cannot read directory %s: %s", t->nodes[dir].path,
			 strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = scan_entry(t, dir, root, dirfd(d), de->d_name);
	}
	closedir(d);
	if (rc == 0)
		sort_children(t, dir);
	return rc;
}

static const char *kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file, block device or directory";
}

/* Check one SOURCE and resolve it; 0, or a negative errno with err set
 * (see mmapfs_tree_build()). */
static int check_source(const struct mmapfs_tree *t, const char *src,
			char *real, struct stat *st, char *err, size_t errlen)
{
	int fd, e;

	if (realpath(src, real) == NULL || stat(real, st) != 0) {
		e = errno;
		set_err(err, errlen, "source '%s': %s", src, strerror(e));
		return -e;
	}
	/* Block devices are served like files (their size comes from
	 * BLKGETSIZE64 in the library); FIFOs and character devices have no
	 * size to map. */
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) &&
	    !S_ISBLK(st->st_mode)) {
		set_err(err, errlen,
			"source '%s' is %s; only regular files, block "
			"devices and directories can be served",
			src, kind_of(st->st_mode));
		return -ENODEV;
	}
	if (strcmp(real, "/") == 0) {
		set_err(err, errlen,
			"source '%s': the root directory cannot be served",
			src);
		return -EINVAL;
	}
	if (in_mountpoint(t, real)) {
		set_err(err, errlen,
			"source '%s' is the mount point or lies inside it",
			src);
		return -EINVAL;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		set_err(err, errlen, "source '%s': %s", src, strerror(e));
		return -e;
	}
	close(fd);
	return 0;
}

/* Add one SOURCE (and, for a directory, what it holds); 0, or a negative
 * errno with err set (see mmapfs_tree_build()). */
static int add_source(struct mmapfs_tree *t, const char *src, char *err,
		      size_t errlen)
{
	char real[PATH_MAX];
	const char *name;
	struct stat st;
	uint32_t dup, id;
	int rc;

	rc = check_source(t, src, real, &st, err, errlen);
	if (rc != 0)
		return rc;
	name = strrchr(real, '/') + 1;
	if (mmapfs_tree_child(t, 0, name, &dup) == 0) {
		set_err(err, errlen,
			"sources '%s' and '%s' would both be "
			"named '%s'",
			t->nodes[dup].path, real, name);
		return -EEXIST;
	}
	rc = add_node(t, name, real, 0,
		      S_ISDIR(st.st_mode) ? MMAPFS_N_DIR : MMAPFS_N_FILE, &id);
	if (rc == 0)
		rc = add_child(t, 0, id);
	if (rc != 0)
		goto full;
	sort_children(t, 0); /* keeps the duplicate check a bsearch */
	if (S_ISDIR(st.st_mode))
		rc = scan_dir(t, id, real);
	if (rc != 0)
		goto full;
	return 0;
full:
	set_err(err, errlen, "source '%s': %s", src,
		rc == -ENOMEM ? "out of memory" : "too many files");
	return rc;
}

int mmapfs_tree_build(struct mmapfs_tree *t, char *const *sources, size_t n,
		      const char *mnt, const struct stat *mnt_st, bool follow,
		      char *err, size_t errlen)
{
	uint32_t root;
	int rc;

	memset(t, 0, sizeof(*t));
	t->follow_symlinks = follow;
	t->mnt_path = mnt;
	t->mnt_dev = mnt_st->st_dev;
	t->mnt_ino = mnt_st->st_ino;
	rc = add_node(t, NULL, NULL, 0, MMAPFS_N_ROOT, &root);
	if (rc != 0) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_source(t, sources[i], err, errlen);
	if (rc == 0)
		return 0;
fail:
	mmapfs_tree_free(t);
	return rc;
}

void mmapfs_tree_free(struct mmapfs_tree *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->nnodes; i++) {
		free(t->nodes[i].name);
		free(t->nodes[i].path);
		free(t->nodes[i].children);
	}
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

int mmapfs_tree_child(const struct mmapfs_tree *t, uint32_t dir,
		      const char *name, uint32_t *child)
{
	const struct mmapfs_node *d = &t->nodes[dir];
	size_t lo = 0, hi = d->nchildren;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t c = d->children[mid];
		int cmp = strcmp(name, t->nodes[c].name);

		if (cmp == 0) {
			*child = c;
			return 0;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}
