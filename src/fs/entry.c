/*
 * entry.c - what every handler needs to know about an object: whether it
 * exists, which bytes of which file it covers, and its attributes.
 */
#include <errno.h>
#include <string.h>

#include "holes.h"
#include "log.h"
#include "name.h"
#include "ops.h"

void mmapfs_reply_fail(fuse_req_t req, enum mmapfs_fail why)
{
	fuse_reply_err(req, mmapfs_errno(why, fs_of(req)->ro));
}

uint64_t mmapfs_piece_of(const struct mmapfs *fs, enum mmapfs_kind k)
{
	if (k == MMAPFS_K_CHUNKS || k == MMAPFS_K_CHUNK)
		return fs->chunk_size;
	return fs->page_size;
}

/* Number of entries of a view, capped at what inode numbers can name. */
static uint64_t view_count(const struct mmapfs *fs, enum mmapfs_kind k,
			   uint64_t size)
{
	uint64_t n = mmapfs_piece_count(size, mmapfs_piece_of(fs, k));
	uint64_t max = mmapfs_layout_max_index(&fs->layout) + 1;

	return n < max ? n : max;
}

int mmapfs_entry_range(const struct mmapfs *fs, const struct mmapfs_ino *id,
		       mmapio_file *mf, uint64_t *off, uint64_t *len)
{
	uint64_t size = mmapio_size(mf);

	if (id->index >= view_count(fs, id->kind, size))
		return -ENOENT;
	return mmapfs_piece_range(size, mmapfs_piece_of(fs, id->kind),
				  id->index, off, len);
}

static uint64_t ino_of(const struct mmapfs *fs, uint32_t node,
		       enum mmapfs_kind k, uint64_t index)
{
	struct mmapfs_ino id = { node, k, index };

	return mmapfs_ino_encode(&fs->layout, &id);
}

/*
 * The file changed size under the mount: the old and new last entries
 * change size, and on a shrink the names past the end vanish.  Tell the
 * kernel, so that stat() and lookups follow without waiting for timeouts.
 */
static void size_changed(struct mmapfs *fs, uint32_t node, uint64_t before,
			 uint64_t now)
{
	static const enum mmapfs_kind views[] = { MMAPFS_K_CHUNKS,
						  MMAPFS_K_PAGES };

	uint64_t first_gone[2];

	for (size_t v = 0; v < 2; v++) {
		enum mmapfs_kind ek = mmapfs_kind_entry_of(views[v]);
		uint64_t old_n = view_count(fs, views[v], before);
		uint64_t new_n = view_count(fs, views[v], now);
		uint64_t dir = ino_of(fs, node, views[v], 0);

		/* The listing the kernel keeps (FOPEN_CACHE_DIR) and the
		 * directory's attributes. */
		mmapfs_co_inval_dir(&fs->co, dir);
		if (old_n > 0)
			mmapfs_co_inval_attr(&fs->co,
					     ino_of(fs, node, ek, old_n - 1));
		if (new_n > 0)
			mmapfs_co_inval_attr(&fs->co,
					     ino_of(fs, node, ek, new_n - 1));
		first_gone[v] = new_n;
	}
	/* The names past the end that the kernel holds (no others are
	 * cached): at once, whatever their number. */
	if (now < before)
		mmapfs_co_vanished(&fs->co, node, first_gone[0], first_gone[1]);
}

/*
 * The file could not be mapped (rc, the library's result).  An empty file
 * has no entries whatever the mapping layer thinks of mapping zero bytes;
 * anything else is the library's error.  The negative errno (ops.h).
 */
static int unmappable(struct mmapfs *fs, const struct mmapfs_ino *id, int rc)
{
	struct stat st;

	if (mmapfs_files_stat(&fs->files, id->node, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size == 0)
		return -mmapfs_errno(MMAPFS_E_NO_ENTRY, fs->ro);
	return -mmapfs_errno_lib(rc);
}

int mmapfs_entry_get(struct mmapfs *fs, const struct mmapfs_ino *id,
		     mmapio_file **mf, uint64_t *off, uint64_t *len)
{
	uint64_t before, now;
	int rc;

	rc = mmapfs_files_get(&fs->files, id->node, mf);
	if (rc != 0)
		return unmappable(fs, id, rc);
	now = mmapfs_files_refresh(&fs->files, id->node, *mf, &before);
	if (before != now)
		size_changed(fs, id->node, before, now);
	if (mmapfs_kind_is_entry(id->kind) &&
	    mmapfs_entry_range(fs, id, *mf, off, len) != 0) {
		mmapfs_files_put(&fs->files, id->node);
		return -mmapfs_errno(MMAPFS_E_NO_ENTRY, fs->ro);
	}
	return 0;
}

/* Directory permissions: x wherever r, as for any readable directory. */
static mode_t dir_mode(mode_t m)
{
	m &= 0777;
	return S_IFDIR | m | ((m & 0444) >> 2);
}

static void fill_from(const struct mmapfs *fs, const struct stat *b,
		      struct stat *st)
{
	st->st_uid = fs->set_uid ? fs->uid : b->st_uid;
	st->st_gid = fs->set_gid ? fs->gid : b->st_gid;
	st->st_atim = b->st_atim;
	st->st_mtim = b->st_mtim;
	st->st_ctim = b->st_ctim;
	st->st_mode &= ~fs->umask;
	if (fs->ro)
		st->st_mode &= ~(mode_t)0222;
}

uint64_t mmapfs_entry_allocated(mmapio_file *mf, uint64_t off, uint64_t len)
{
	/* A private mapping's copies are data the backing file's holes do
	 * not show: a copy-on-write mount reports no holes. */
	if (mmapio_mode_of(mf) == MMAPIO_COW)
		return len;
	return mmapfs_holes_allocated(mmapio_fd(mf), off, len);
}

/*
 * An entry past the file's end: a lookup must not find it (ENOENT), but
 * an inode the kernel already holds (an open descriptor, a cached name)
 * is shown empty, so that read(2) on it returns 0 bytes rather than "no
 * such file" when the kernel refreshes its attributes first.
 */
static int entry_attr(struct mmapfs *fs, const struct mmapfs_ino *id,
		      bool vanished_ok, struct stat *st)
{
	uint64_t off, len, alloc = 0;
	mmapio_file *mf;
	int rc = mmapfs_entry_get(fs, id, &mf, &off, &len);

	if (rc == -mmapfs_errno(MMAPFS_E_NO_ENTRY, fs->ro) && vanished_ok) {
		len = 0;
	} else if (rc != 0) {
		return rc;
	} else {
		if (!mmapfs_files_writable(mf))
			st->st_mode &= ~(mode_t)0222;
		alloc = mmapfs_entry_allocated(mf, off, len);
		mmapfs_files_put(&fs->files, id->node);
	}
	st->st_size = (off_t)len;
	st->st_blocks = (blkcnt_t)((alloc + 511) / 512);
	st->st_blksize = (blksize_t)(mmapfs_piece_of(fs, id->kind) < 65536
					     ? mmapfs_piece_of(fs, id->kind)
					     : 65536);
	return 0;
}

int mmapfs_getattr(struct mmapfs *fs, const struct mmapfs_ino *id, bool lookup,
		   struct stat *st)
{
	const struct mmapfs_node *n = &fs->tree.nodes[id->node];
	struct stat b;
	int rc;

	memset(st, 0, sizeof(*st));
	st->st_ino = mmapfs_ino_encode(&fs->layout, id);
	if (n->type == MMAPFS_N_ROOT || n->is_mountpoint) {
		b = fs->root_st; /* never stat our own mount point */
	} else if ((rc = mmapfs_files_stat(&fs->files, id->node, &b)) != 0) {
		log_debug("stat %s: %s", n->path, strerror(-rc));
		/* Gone and not mapped: nothing left to serve under the name. */
		return -mmapfs_errno(rc == -ENOENT ? MMAPFS_E_NO_ENTRY
						   : MMAPFS_E_BACKING_GONE,
				     fs->ro);
	}
	if (mmapfs_kind_is_entry(id->kind)) {
		st->st_mode = S_IFREG | (b.st_mode & 0666);
		st->st_nlink = 1;
		rc = entry_attr(fs, id, !lookup, st);
		if (rc != 0)
			return rc;
	} else {
		st->st_mode = dir_mode(b.st_mode);
		st->st_nlink = 2;
		st->st_blksize = (blksize_t)fs->page_size;
	}
	fill_from(fs, &b, st);
	/* Entries, and chunks/ and pages/, have times of their own; the
	 * floor follows the backing file live when its changes from
	 * outside are not reported (times.h). */
	if (n->type == MMAPFS_N_FILE)
		mmapfs_times_get(&fs->times, id->node, st->st_ino, &b,
				 !mmapfs_co_watched(&fs->co, id->node),
				 &st->st_mtim, &st->st_ctim);
	return 0;
}

/* Entries of a watched file (cache=keep) are kept long: the daemon
 * invalidates them itself at every change.  Directories follow the
 * backing file's times within a second, as before. */
static bool kept(struct mmapfs *fs, const struct mmapfs_ino *id)
{
	return mmapfs_kind_is_entry(id->kind) &&
	       mmapfs_co_watched(&fs->co, id->node);
}

double mmapfs_name_timeout(struct mmapfs *fs, const struct mmapfs_ino *id)
{
	if (!mmapfs_kind_is_entry(id->kind))
		return fs->name_timeout;
	return kept(fs, id) ? fs->kept_timeout : fs->entry_timeout;
}

double mmapfs_attr_timeout(struct mmapfs *fs, const struct mmapfs_ino *id)
{
	return kept(fs, id) ? fs->kept_timeout : fs->attr_timeout;
}

void mmapfs_node_changed(void *arg, uint32_t node)
{
	struct mmapfs *fs = arg;
	struct mmapfs_ino id = { node, MMAPFS_K_NODE, 0 };
	uint64_t off, len;
	mmapio_file *mf;
	struct stat b;

	if (mmapfs_entry_get(fs, &id, &mf, &off, &len) == 0)
		mmapfs_files_put(&fs->files, node);
	/* The daemon cannot tell which bytes: every entry's times move. */
	if (mmapfs_files_stat(&fs->files, node, &b) == 0)
		mmapfs_times_outside(&fs->times, node, &b);
}

/* Past this many entries a write moves the times of every entry of the
 * file instead of naming each (fallocate or truncation of a large
 * entry): bounded work, never older than the truth. */
#define WRITTEN_MAX 4096

void mmapfs_entries_written(struct mmapfs *fs, uint32_t node, uint64_t off,
			    uint64_t len)
{
	static const enum mmapfs_kind kinds[] = { MMAPFS_K_CHUNK,
						  MMAPFS_K_PAGE };
	uint64_t inos[WRITTEN_MAX];
	uint64_t max = mmapfs_layout_max_index(&fs->layout);
	struct timespec now;
	size_t n = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	if (len == 0)
		return;
	for (size_t k = 0; k < 2; k++) {
		uint64_t piece = mmapfs_piece_of(fs, kinds[k]);
		uint64_t first = off / piece, last = (off + len - 1) / piece;

		if (last > max)
			last = max;
		if (first > last)
			continue;
		if (last - first + 1 > WRITTEN_MAX - n) {
			mmapfs_times_all_written(&fs->times, node, &now);
			return;
		}
		for (uint64_t i = first; i <= last; i++)
			inos[n++] = ino_of(fs, node, kinds[k], i);
	}
	mmapfs_times_written(&fs->times, node, inos, n, &now);
}
