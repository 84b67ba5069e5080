/*
 * test_co_watch.c - outside changes (rule 7 of src/fs/coherence.c) as
 * co_watch.c applies them through the mount's mmapio_watch, against a
 * kernel that answers every notification with 0: a source directory of
 * three real files, `a` and its hard link `b`, and `c`, each 64 KiB (one
 * chunk).  Changes are applied by mmapfs_co_settle(); the change hook
 * counts them per file.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <fuse_lowlevel.h>

#include "coherence.h"

#define CHUNK 65536u

struct fixture {
	char dir[64], src[96], mnt[96];
	char a[128], b[128], c[128], moved[128];
	uint32_t na, nb, nc; /* their nodes */
	struct mmapfs_tree tree;
	struct mmapfs_layout layout;
	struct mmapfs_co co;
	unsigned changes[16]; /* on_change calls per node */
};

static int fake_inval_inode(void *k, uint64_t ino, int64_t off, int64_t len)
{
	(void)k;
	(void)ino;
	(void)off;
	(void)len;
	return 0;
}

static int fake_inval_entry(void *k, uint64_t parent, const char *name,
			    size_t namelen)
{
	(void)k;
	(void)parent;
	(void)name;
	(void)namelen;
	return 0;
}

static struct fixture *current; /* for the retrieve answer */

/* The kernel has no page to show (rule 8): nothing to check. */
static int fake_retrieve(void *k, uint64_t ino, size_t size, int64_t off,
			 void *cookie)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);

	(void)k;
	(void)ino;
	(void)size;
	(void)off;
	mmapfs_co_retrieved(&current->co, cookie, &bv);
	return 0;
}

static void on_change(void *arg, uint32_t node)
{
	struct fixture *fx = arg;

	assert_true(node < 16);
	fx->changes[node]++;
}

static void make_file(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, CHUNK), 0);
	close(fd);
}

/* Another process writes `path`. */
static void write_outside(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "outside", 7, 10), 7);
	close(fd);
}

static uint32_t node_of(struct fixture *fx, uint32_t dir, const char *name)
{
	uint32_t node;

	assert_int_equal(mmapfs_tree_child(&fx->tree, dir, name, &node), 0);
	assert_true(node < 16);
	return node;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct mmapfs_notify k = { fake_inval_inode, fake_inval_entry,
				   fake_retrieve, NULL };
	char err[256], *src[1];
	struct stat mst;
	uint32_t dir;

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/test_co_watch.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->src, sizeof(fx->src), "%s/src", fx->dir);
	snprintf(fx->mnt, sizeof(fx->mnt), "%s/mnt", fx->dir);
	snprintf(fx->a, sizeof(fx->a), "%s/a", fx->src);
	snprintf(fx->b, sizeof(fx->b), "%s/b", fx->src);
	snprintf(fx->c, sizeof(fx->c), "%s/c", fx->src);
	snprintf(fx->moved, sizeof(fx->moved), "%s/moved", fx->dir);
	assert_int_equal(mkdir(fx->src, 0755), 0);
	assert_int_equal(mkdir(fx->mnt, 0755), 0);
	make_file(fx->a);
	assert_int_equal(link(fx->a, fx->b), 0);
	make_file(fx->c);
	assert_int_equal(stat(fx->mnt, &mst), 0);
	src[0] = fx->src;
	assert_int_equal(mmapfs_tree_build(&fx->tree, src, 1, fx->mnt, &mst,
					   false, err, sizeof(err)),
			 0);
	dir = node_of(fx, 0, "src");
	fx->na = node_of(fx, dir, "a");
	fx->nb = node_of(fx, dir, "b");
	fx->nc = node_of(fx, dir, "c");
	mmapfs_layout_init(&fx->layout, fx->tree.nnodes);
	assert_int_equal(mmapfs_co_init(&fx->co, &fx->tree, &fx->layout, CHUNK,
					true, MMAPFS_CACHE_KEEP),
			 0);
	k.k = fx;
	mmapfs_co_set_kernel(&fx->co, &k);
	mmapfs_co_set_change_hook(&fx->co, on_change, fx);
	current = fx;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	mmapfs_co_destroy(&fx->co);
	mmapfs_tree_free(&fx->tree);
	unlink(fx->a);
	unlink(fx->b);
	unlink(fx->c);
	unlink(fx->moved);
	rmdir(fx->src);
	rmdir(fx->mnt);
	rmdir(fx->dir);
	free(fx);
	current = NULL;
	return 0;
}

static uint64_t chunk0(const struct fixture *fx, uint32_t node)
{
	struct mmapfs_ino id = { node, MMAPFS_K_CHUNK, 0 };

	return mmapfs_ino_encode(&fx->layout, &id);
}

/* The kernel looks up chunks/0 of `node`: its file is watched first. */
static void lookup(struct fixture *fx, uint32_t node)
{
	uint32_t mark;

	assert_int_equal(mmapfs_co_lookup(&fx->co, node, chunk0(fx, node), 0,
					  CHUNK, &mark),
			 0);
}

/* A write of chunks/0 of `node` through the mount. */
static void write_through(struct fixture *fx, uint32_t node)
{
	static const uint8_t bytes[8] = "through";
	struct mmapfs_co_write w = { .node = node,
				     .ino = chunk0(fx, node),
				     .off = 100,
				     .len = sizeof(bytes),
				     .data = bytes };

	mmapfs_co_write_arrive(&fx->co, &w);
	mmapfs_co_write(&fx->co, &w);
	mmapfs_co_write_end(&fx->co, &w);
}

/* A write from outside is applied to its file by the settle barrier,
 * with no wait: inotify queued it before write(2) returned. */
static void outside_write_applied(void **state)
{
	struct fixture *fx = *state;

	lookup(fx, fx->nc);
	assert_true(mmapfs_co_watched(&fx->co, fx->nc));
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 0);
	write_outside(fx->c);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 1);
	assert_int_equal(fx->changes[fx->na], 0);
}

/* Two names of one file share one inotify watch: a write from outside
 * changes both; a write through one name marks the other changed, and
 * not itself (its own entries are handled by the write path).  (Fails
 * without the link lookup of co_watch_node: b stays unchanged.) */
static void hard_links_change_together(void **state)
{
	struct fixture *fx = *state;

	lookup(fx, fx->na);
	lookup(fx, fx->nb);
	assert_true(mmapfs_co_watched(&fx->co, fx->na));
	assert_true(mmapfs_co_watched(&fx->co, fx->nb));
	write_outside(fx->a);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->na], 1);
	assert_int_equal(fx->changes[fx->nb], 1);

	write_through(fx, fx->na);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->na], 1);
	assert_int_equal(fx->changes[fx->nb], 2);
	write_through(fx, fx->nb);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->na], 2);
	assert_int_equal(fx->changes[fx->nb], 2);
	assert_int_equal(fx->changes[fx->nc], 0);
}

/* A watched file renamed away is a change, stops being watched (the name
 * may lead to another file now), and is watched again by name at the
 * next lookup: the new file's changes are seen, the old one's are not. */
static void renamed_watched_again_by_name(void **state)
{
	struct fixture *fx = *state;

	lookup(fx, fx->nc);
	assert_int_equal(rename(fx->c, fx->moved), 0);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 1);
	assert_false(mmapfs_co_watched(&fx->co, fx->nc));
	write_outside(fx->moved);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 1);

	make_file(fx->c);
	lookup(fx, fx->nc);
	assert_true(mmapfs_co_watched(&fx->co, fx->nc));
	write_outside(fx->c);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 2);
}

/* Removed: a change, and no longer watched; with no file by that name,
 * the next lookup cannot watch it (its entries get short attribute
 * timeouts), and a file created later by the name is watched at the
 * lookup after.  (Fails when a failed watch is not tried again.) */
static void removed_is_unwatched(void **state)
{
	struct fixture *fx = *state;

	lookup(fx, fx->nc);
	assert_int_equal(unlink(fx->c), 0);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 1);
	assert_false(mmapfs_co_watched(&fx->co, fx->nc));
	lookup(fx, fx->nc);
	assert_false(mmapfs_co_watched(&fx->co, fx->nc));
	make_file(fx->c);
	lookup(fx, fx->nc);
	assert_true(mmapfs_co_watched(&fx->co, fx->nc));
	write_outside(fx->c);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 2);
}

/* Removed while the daemon has it mapped (files.c keeps serving a file
 * removed under it, as an open descriptor would): the kernel reports only
 * a link count change, the watch stays on the inode the mount serves, and
 * a write to that inode through a descriptor still open is a change.
 * (Fails when a link count change is taken for a removal: the served
 * inode's changes would go unseen.) */
static void removed_while_mapped_stays_watched(void **state)
{
	struct fixture *fx = *state;
	int fd = open(fx->c, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	lookup(fx, fx->nc);
	assert_int_equal(unlink(fx->c), 0);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 0);
	assert_true(mmapfs_co_watched(&fx->co, fx->nc));
	assert_int_equal(pwrite(fd, "outside", 7, 10), 7);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nc], 1);
	close(fd);
}

/* One name of a hard-linked file removed: the other is still watched
 * (an unlink that leaves a name is only a link count change). */
static void one_link_removed(void **state)
{
	struct fixture *fx = *state;

	lookup(fx, fx->na);
	lookup(fx, fx->nb);
	assert_int_equal(unlink(fx->a), 0);
	mmapfs_co_settle(&fx->co);
	assert_true(mmapfs_co_watched(&fx->co, fx->nb));
	write_outside(fx->b);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->changes[fx->nb], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(outside_write_applied, setup,
						teardown),
		cmocka_unit_test_setup_teardown(hard_links_change_together,
						setup, teardown),
		cmocka_unit_test_setup_teardown(renamed_watched_again_by_name,
						setup, teardown),
		cmocka_unit_test_setup_teardown(removed_is_unwatched, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			removed_while_mapped_stays_watched, setup, teardown),
		cmocka_unit_test_setup_teardown(one_link_removed, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("co_watch", tests, NULL, NULL);
}
