/*
 * ops_tree.c - names and attributes: lookup, getattr, readdir.
 *
 * Directories list "." and "..", then their children in order.  The
 * readdir offset is the position of the next child, so listing streams
 * in constant memory, resumes anywhere (seekdir), and a directory of 2^40
 * entries costs no more per call than one of ten.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "name.h"
#include "ops.h"

static const char *const view_names[] = { "chunks", "pages" };

/*
 * Child `name` of directory `dir`: 0, or a negative errno (ops.h): the
 * errno of MMAPFS_E_NO_ENTRY when there is none, of MMAPFS_E_NOT_DIR when
 * dir is an entry.
 */
static int resolve(struct mmapfs *fs, const struct mmapfs_ino *dir,
		   const char *name, struct mmapfs_ino *child)
{
	const struct mmapfs_node *n = &fs->tree.nodes[dir->node];
	int none = -mmapfs_errno(MMAPFS_E_NO_ENTRY, fs->ro);

	*child = (struct mmapfs_ino){ dir->node, MMAPFS_K_NODE, 0 };
	switch (dir->kind) {
	case MMAPFS_K_NODE:
		if (n->type != MMAPFS_N_FILE) {
			if (mmapfs_tree_child(&fs->tree, dir->node, name,
					      &child->node) != 0)
				return none;
		} else if (strcmp(name, view_names[0]) == 0) {
			child->kind = MMAPFS_K_CHUNKS;
		} else if (strcmp(name, view_names[1]) == 0) {
			child->kind = MMAPFS_K_PAGES;
		} else {
			return none;
		}
		return 0;
	case MMAPFS_K_CHUNKS:
	case MMAPFS_K_PAGES:
		/* Whether the entry exists (now) is getattr's question. */
		child->kind = mmapfs_kind_entry_of(dir->kind);
		if (mmapfs_parse_index_str(name, &child->index) != 0 ||
		    child->index > mmapfs_layout_max_index(&fs->layout))
			return none;
		return 0;
	default:
		return -mmapfs_errno(MMAPFS_E_NOT_DIR, fs->ro);
	}
}

static struct mmapfs_ino parent_of(const struct mmapfs *fs,
				   const struct mmapfs_ino *dir);

/*
 * resolve(), and "." and ".." of every object.  The kernel asks for them
 * to turn a file handle back into an inode (fs/fuse/inode.c,
 * fuse_get_dentry and fuse_get_parent, with export support): LOOKUP(id,
 * ".") for an inode it does not hold, entries included, and LOOKUP(dir,
 * "..") for a directory's parent.  0 or a negative errno, as resolve().
 */
static int resolve_dots(struct mmapfs *fs, const struct mmapfs_ino *dir,
			const char *name, struct mmapfs_ino *child)
{
	if (strcmp(name, ".") == 0) {
		*child = *dir;
		return 0;
	}
	if (strcmp(name, "..") != 0)
		return resolve(fs, dir, name, child);
	if (mmapfs_kind_is_entry(dir->kind))
		return -mmapfs_errno(MMAPFS_E_NOT_DIR, fs->ro);
	*child = parent_of(fs, dir);
	return 0;
}

/* mmapfs_ino_decode() of this mount: 0 or -ENOENT. */
static int decode(struct mmapfs *fs, fuse_ino_t ino, struct mmapfs_ino *id)
{
	return mmapfs_ino_decode(&fs->layout, ino, id);
}

/*
 * Attributes of `id` for a reply the kernel will cache; again if a write
 * through an alias changed the entry while they were taken (rule 2 of
 * coherence.c: its invalidation may have come before the kernel has
 * them).  0 or a negative errno (ops.h).
 */
static int attrs_for_reply(struct mmapfs *fs, const struct mmapfs_ino *id,
			   uint64_t ino, bool lookup, struct stat *st,
			   uint32_t mark)
{
	int err;

	for (int tries = 0;; tries++) {
		err = mmapfs_getattr(fs, id, lookup, st);
		if (err != 0 || !mmapfs_kind_is_entry(id->kind) || tries == 3 ||
		    mmapfs_co_attrs_current(&fs->co, id->node, ino, &mark))
			return err;
	}
}

/*
 * What a LOOKUP or READDIRPLUS tells the kernel of `id`; 0 or a negative
 * errno (ops.h).  An entry is registered as held by the kernel before the
 * reply goes out (coherence.c, rule 1).
 */
static int entry_param(struct mmapfs *fs, const struct mmapfs_ino *id,
		       struct fuse_entry_param *e)
{
	uint64_t piece = mmapfs_piece_of(fs, id->kind);
	uint32_t mark = 0;
	int err;

	memset(e, 0, sizeof(*e));
	e->ino = mmapfs_ino_encode(&fs->layout, id);
	e->generation = mmapfs_generation(&fs->tree, id, piece);
	/* Registered (and the file watched) before the attributes are
	 * taken, so that no change between the two goes unseen. */
	if (mmapfs_kind_is_entry(id->kind) &&
	    mmapfs_co_lookup(&fs->co, id->node, e->ino, id->index * piece,
			     piece, &mark) != 0)
		return -mmapfs_errno(MMAPFS_E_NO_MEMORY, fs->ro);
	err = attrs_for_reply(fs, id, e->ino, true, &e->attr, mark);
	if (err != 0) {
		/* The kernel will not hold it: the count added goes. */
		if (mmapfs_kind_is_entry(id->kind))
			mmapfs_co_forget(&fs->co, id->node, e->ino, 1);
		return err;
	}
	/* After the registration: it may have started the watch. */
	e->attr_timeout = mmapfs_attr_timeout(fs, id);
	e->entry_timeout = mmapfs_name_timeout(fs, id);
	return 0;
}

void mmapfs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mmapfs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct mmapfs_ino dir, child;
	int err;

	mmapfs_after_init(fs);
	if (decode(fs, parent, &dir) != 0) {
		mmapfs_reply_fail(req, MMAPFS_E_NO_ENTRY);
		return;
	}
	err = resolve_dots(fs, &dir, name, &child);
	if (err == 0)
		err = entry_param(fs, &child, &e);
	if (err != 0)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, &e);
}

void mmapfs_op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_ino id;
	struct stat st;
	int err;

	(void)fi;
	mmapfs_after_init(fs);
	if (decode(fs, ino, &id) != 0) {
		mmapfs_reply_fail(req, MMAPFS_E_NO_ENTRY);
		return;
	}
	err = attrs_for_reply(
		fs, &id, ino, false, &st,
		mmapfs_kind_is_entry(id.kind)
			? mmapfs_co_attrs_begin(&fs->co, id.node, ino)
			: 0);
	if (err != 0)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, mmapfs_attr_timeout(fs, &id));
}

void mmapfs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_ino id;

	if (decode(fs, ino, &id) == 0 && mmapfs_kind_is_entry(id.kind))
		mmapfs_co_forget(&fs->co, id.node, ino, nlookup);
	fuse_reply_none(req);
}

void mmapfs_op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_ino id;

	for (size_t i = 0; i < count; i++)
		if (decode(fs, forgets[i].ino, &id) == 0 &&
		    mmapfs_kind_is_entry(id.kind))
			mmapfs_co_forget(&fs->co, id.node, forgets[i].ino,
					 forgets[i].nlookup);
	fuse_reply_none(req);
}

/* What a directory lists at one position. */
struct dirent_at {
	const char *name;
	char buf[MMAPFS_NAME_MAX];
	struct mmapfs_ino id;
};

/* Number of children of a directory (after "." and ".."). */
static uint64_t child_count(struct mmapfs *fs, const struct mmapfs_ino *dir,
			    bool refresh)
{
	const struct mmapfs_node *n = &fs->tree.nodes[dir->node];
	uint64_t off, len, count;
	mmapio_file *mf;

	if (dir->kind == MMAPFS_K_NODE)
		return n->type == MMAPFS_N_FILE ? 2 : n->nchildren;
	if (refresh) {
		if (mmapfs_entry_get(fs, dir, &mf, &off, &len) != 0)
			return 0;
	} else if (mmapfs_files_get(&fs->files, dir->node, &mf) != 0) {
		return 0;
	}
	count = mmapfs_piece_count(mmapio_size(mf),
				   mmapfs_piece_of(fs, dir->kind));
	if (count > mmapfs_layout_max_index(&fs->layout) + 1)
		count = mmapfs_layout_max_index(&fs->layout) + 1;
	mmapfs_files_put(&fs->files, dir->node);
	return count;
}

static void child_at(struct mmapfs *fs, const struct mmapfs_ino *dir,
		     uint64_t i, struct dirent_at *d)
{
	const struct mmapfs_node *n = &fs->tree.nodes[dir->node];

	d->id = (struct mmapfs_ino){ dir->node, MMAPFS_K_NODE, 0 };
	if (dir->kind == MMAPFS_K_NODE && n->type != MMAPFS_N_FILE) {
		d->id.node = n->children[i];
		d->name = fs->tree.nodes[d->id.node].name;
	} else if (dir->kind == MMAPFS_K_NODE) {
		d->id.kind = i == 0 ? MMAPFS_K_CHUNKS : MMAPFS_K_PAGES;
		d->name = view_names[i];
	} else {
		d->id.kind = mmapfs_kind_entry_of(dir->kind);
		d->id.index = i;
		mmapfs_format_index(i, d->buf);
		d->name = d->buf;
	}
}

/* The parent of a directory, for "..". */
static struct mmapfs_ino parent_of(const struct mmapfs *fs,
				   const struct mmapfs_ino *dir)
{
	if (dir->kind != MMAPFS_K_NODE)
		return (struct mmapfs_ino){ dir->node, MMAPFS_K_NODE, 0 };
	return (struct mmapfs_ino){ fs->tree.nodes[dir->node].parent,
				    MMAPFS_K_NODE, 0 };
}

static mode_t type_of(enum mmapfs_kind k)
{
	return mmapfs_kind_is_entry(k) ? S_IFREG : S_IFDIR;
}

/*
 * Add the object at listing position `pos` to buf, which has `room` bytes
 * left.  Returns 0 with the bytes added in *n (0 when it did not fit:
 * nothing was added), or entry_param()'s negative errno.  READDIRPLUS
 * hands the kernel a lookup of every child it adds, so an entry that does
 * not fit must not be registered (entry_param).
 */
static int add_at(fuse_req_t req, struct mmapfs *fs,
		  const struct mmapfs_ino *dir, uint64_t pos, bool plus,
		  char *buf, size_t room, size_t *n)
{
	struct fuse_entry_param e;
	struct dirent_at d;
	size_t need;
	int rc;

	if (pos < 2) {
		d.name = pos == 0 ? "." : "..";
		d.id = pos == 0 ? *dir : parent_of(fs, dir);
	} else {
		child_at(fs, dir, pos - 2, &d);
	}
	memset(&e, 0, sizeof(e));
	e.attr.st_ino = mmapfs_ino_encode(&fs->layout, &d.id);
	e.attr.st_mode = type_of(d.id.kind);
	*n = 0;
	if (!plus) {
		/* Adds nothing when the entry does not fit. */
		need = fuse_add_direntry(req, buf, room, d.name, &e.attr,
					 (off_t)(pos + 1));
		if (need <= room)
			*n = need;
		return 0;
	}
	need = fuse_add_direntry_plus(req, NULL, 0, d.name, NULL, 0);
	if (need > room)
		return 0;
	/* "." and ".." carry no lookup: the kernel skips them. */
	if (pos >= 2) {
		rc = entry_param(fs, &d.id, &e);
		if (rc != 0)
			return rc;
	}
	*n = fuse_add_direntry_plus(req, buf, room, d.name, &e,
				    (off_t)(pos + 1));
	return 0;
}

static void list_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     bool plus)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_ino dir;
	uint64_t count, pos;
	size_t used = 0;
	int err = 0;
	char *buf;

	if (decode(fs, ino, &dir) != 0 || off < 0) {
		mmapfs_reply_fail(req, MMAPFS_E_NO_ENTRY);
		return;
	}
	if (mmapfs_kind_is_entry(dir.kind)) {
		mmapfs_reply_fail(req, MMAPFS_E_NOT_DIR);
		return;
	}
	buf = malloc(size);
	if (buf == NULL) {
		mmapfs_reply_fail(req, MMAPFS_E_NO_MEMORY);
		return;
	}
	/* A listing from the start is a use: pick up size changes then. */
	count = child_count(fs, &dir, off == 0);
	for (pos = (uint64_t)off; pos < count + 2; pos++) {
		size_t n;

		err = add_at(req, fs, &dir, pos, plus, buf + used, size - used,
			     &n);
		if (err != 0 || n == 0)
			break;
		used += n;
	}
	/* A child that vanished meanwhile (the file shrank) ends the listing
	 * there; another error only when it is the first thing asked for. */
	if (used == 0 && err != 0 &&
	    err != -mmapfs_errno(MMAPFS_E_NO_ENTRY, fs->ro))
		fuse_reply_err(req, -err);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

void mmapfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	list_dir(req, ino, size, off, false);
}

void mmapfs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	list_dir(req, ino, size, off, true);
}
