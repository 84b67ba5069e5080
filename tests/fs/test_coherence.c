/*
 * test_coherence.c - the coherence module's rules (src/fs/coherence.c)
 * against a scripted kernel: the notify seam (notify.h) records what the
 * module asks of the kernel, from which thread, and answers retrieves as
 * a test says.  One file of 4 chunks of 64 KiB, with 4 KiB pages, as the
 * daemon would lay it out; the backing file is real, for inotify.
 *
 * Each test names the rule it holds; each fails when that rule's code is
 * taken out (the comment says what breaks).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <fuse_lowlevel.h>

#include "coherence.h"

#define PAGE 4096u
#define CHUNK 65536u
#define FILE_SIZE (4 * CHUNK)
#define MAX_CALLS 1024
#define MAX_LOCKS 8

enum call_kind { INVAL_INODE, INVAL_ENTRY, RETRIEVE };

struct call {
	enum call_kind kind;
	uint64_t ino;
	int64_t off, len;
	pthread_t thread;
};

/* How the scripted kernel answers a retrieve (rule 8). */
enum answer { ANSWER_WRITTEN, ANSWER_OTHER, ANSWER_ABSENT };

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct call calls[MAX_CALLS];
	unsigned ncalls;
	enum answer answer;
	const uint8_t *written; /* what ANSWER_WRITTEN shows */
	unsigned changes;	/* on_change hook calls */
	uint64_t read_during;	/* a READ of this inode arrives during a
				   drop of it (once) */
	unsigned calls_at_change;
	/* Pages the scripted kernel keeps locked (a WRITE not yet replied
	 * to, a READ not yet answered): a drop meeting one waits, as
	 * invalidate_inode_pages2_range() waits for folio locks. */
	struct page_lock {
		uint64_t ino;
		int64_t lo, hi;
		bool held;
	} locks[MAX_LOCKS];
	unsigned nlocks;
	/* Drops in progress, and how often two of one inode overlapped. */
	struct page_lock dropping[MAX_LOCKS];
	unsigned overlaps;
	bool silent;	       /* retrieves are never answered */
	unsigned absent_looks; /* answer ABSENT so many times first */
	unsigned aborts;       /* the connection was aborted */
	bool no_abort;	       /* an abort cannot be made (no fusectl) */
};

/* A WRITE request on a thread of its own; `reply` pages are the ones its
 * WRITE keeps locked, unlocked as the reply reaches the writer.  With
 * `len` 0, a getxattr barrier (mmapfs_co_settle) instead. */
struct writer {
	struct fixture *fx;
	uint64_t ino, entry_off, off, len;
	int reply; /* lock index, or -1 */
	pthread_t thread;
};

struct fixture {
	char dir[64], path[96], mnt[96];
	struct mmapfs_tree tree;
	struct mmapfs_layout layout;
	struct mmapfs_co co;
	struct fake fake;
	bool started;
	struct writer writers[4]; /* started, not yet joined */
	unsigned nwriters;
};

static struct fixture *current; /* for the retrieve answer */

static void record(struct fake *f, enum call_kind kind, uint64_t ino,
		   int64_t off, int64_t len)
{
	pthread_mutex_lock(&f->lock);
	assert_true(f->ncalls < MAX_CALLS);
	f->calls[f->ncalls++] =
		(struct call){ kind, ino, off, len, pthread_self() };
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static bool meets(const struct page_lock *l, uint64_t ino, int64_t lo,
		  int64_t hi)
{
	return l->held && l->ino == ino && l->lo < hi && lo < l->hi;
}

/* A drop of pages [off, off + len) of `ino` (len 0: to the end) waits for
 * the locks it meets, as the kernel's does. */
static void drop_waits(struct fake *f, uint64_t ino, int64_t off, int64_t len)
{
	int64_t lo = off - off % PAGE;
	int64_t hi = len <= 0 ? INT64_MAX : off + len;
	struct page_lock *me = NULL;
	bool blocked;

	pthread_mutex_lock(&f->lock);
	for (unsigned i = 0; i < MAX_LOCKS; i++) {
		if (meets(&f->dropping[i], ino, lo, hi))
			f->overlaps++;
		else if (me == NULL && !f->dropping[i].held)
			me = &f->dropping[i];
	}
	assert_non_null(me);
	*me = (struct page_lock){ ino, lo, hi, true };
	do {
		blocked = false;
		for (unsigned i = 0; i < f->nlocks; i++)
			blocked = blocked || meets(&f->locks[i], ino, lo, hi);
		if (blocked)
			pthread_cond_wait(&f->cond, &f->lock);
	} while (blocked);
	me->held = false;
	pthread_mutex_unlock(&f->lock);
}

static int fake_inval_inode(void *k, uint64_t ino, int64_t off, int64_t len)
{
	struct fake *f = k;

	record(f, INVAL_INODE, ino, off, len);
	if (off >= 0)
		drop_waits(f, ino, off, len);
	if (ino != 0 && f->read_during == ino) {
		f->read_during = 0;
		/* A READ answered while the kernel drops: its page stays. */
		mmapfs_co_read(&current->co, 1, ino, 0, PAGE);
	}
	return 0;
}

static int fake_inval_entry(void *k, uint64_t parent, const char *name,
			    size_t namelen)
{
	(void)name;
	record(k, INVAL_ENTRY, parent, -1, (int64_t)namelen);
	return 0;
}

/* The kernel answers at once, as the retrieve_reply operation would. */
static int fake_retrieve(void *k, uint64_t ino, size_t size, int64_t off,
			 void *cookie)
{
	struct fake *f = k;
	uint8_t other[PAGE];
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);

	record(f, RETRIEVE, ino, off, (int64_t)size);
	if (f->silent)
		return 0;
	assert_true(size <= sizeof(other));
	memset(other, 0xee, size);
	bv.buf[0].mem = f->answer == ANSWER_WRITTEN ? (void *)f->written
						    : (void *)other;
	if (f->answer == ANSWER_ABSENT || f->absent_looks > 0)
		bv.buf[0].size = 0;
	if (f->absent_looks > 0)
		f->absent_looks--;
	mmapfs_co_retrieved(&current->co, cookie, &bv);
	return 0;
}

static void on_change(void *arg, uint32_t node)
{
	struct fake *f = arg;

	assert_int_equal(node, 1);
	pthread_mutex_lock(&f->lock);
	f->changes++;
	f->calls_at_change = f->ncalls;
	pthread_mutex_unlock(&f->lock);
}

/* The kernel keeps pages [lo, hi) of `ino` locked until unlock_pages(). */
static unsigned lock_pages(struct fake *f, uint64_t ino, int64_t lo, int64_t hi)
{
	unsigned i;

	pthread_mutex_lock(&f->lock);
	i = f->nlocks++;
	assert_true(i < MAX_LOCKS);
	f->locks[i] = (struct page_lock){ ino, lo, hi, true };
	pthread_mutex_unlock(&f->lock);
	return i;
}

static void unlock_pages(struct fake *f, unsigned i)
{
	pthread_mutex_lock(&f->lock);
	f->locks[i].held = false;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static void unlock_all(struct fake *f)
{
	pthread_mutex_lock(&f->lock);
	for (unsigned i = 0; i < f->nlocks; i++)
		f->locks[i].held = false;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

/* Aborting the connection fails every request in flight, which unlocks
 * their pages. */
static bool fake_abort(void *arg)
{
	struct fake *f = arg;

	bool can;

	pthread_mutex_lock(&f->lock);
	can = !f->no_abort;
	f->aborts += can;
	pthread_mutex_unlock(&f->lock);
	if (can)
		unlock_all(f);
	return can;
}

/* A fixture: sync (multi-threaded loop) or not, cache mode. */
static int setup_mode(void **state, bool sync, enum mmapfs_cache_mode mode)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct mmapfs_notify k = { fake_inval_inode, fake_inval_entry,
				   fake_retrieve, NULL };
	char err[256], *src[1];
	struct stat mst;
	int fd;

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/test_coherence.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/data", fx->dir);
	fd = open(fx->path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, FILE_SIZE), 0);
	close(fd);
	/* A mount point apart from the source (nothing is mounted). */
	snprintf(fx->mnt, sizeof(fx->mnt), "%s/mnt", fx->dir);
	assert_int_equal(mkdir(fx->mnt, 0755), 0);
	assert_int_equal(stat(fx->mnt, &mst), 0);
	src[0] = fx->path;
	assert_int_equal(mmapfs_tree_build(&fx->tree, src, 1, fx->mnt, &mst,
					   false, err, sizeof(err)),
			 0);
	mmapfs_layout_init(&fx->layout, fx->tree.nnodes);
	pthread_mutex_init(&fx->fake.lock, NULL);
	pthread_cond_init(&fx->fake.cond, NULL);
	assert_int_equal(mmapfs_co_init(&fx->co, &fx->tree, &fx->layout, CHUNK,
					sync, mode),
			 0);
	k.k = &fx->fake;
	mmapfs_co_set_kernel(&fx->co, &k);
	mmapfs_co_set_change_hook(&fx->co, on_change, &fx->fake);
	mmapfs_co_set_abort(&fx->co, fake_abort, &fx->fake);
	current = fx;
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return setup_mode(state, true, MMAPFS_CACHE_KEEP);
}

static int setup_single(void **state)
{
	return setup_mode(state, false, MMAPFS_CACHE_KEEP);
}

static void join_writers(struct fixture *fx);

static int teardown(void **state)
{
	struct fixture *fx = *state;

	/* A test that failed half-way leaves threads waiting for pages. */
	unlock_all(&fx->fake);
	join_writers(fx);
	mmapfs_co_destroy(&fx->co);
	mmapfs_tree_free(&fx->tree);
	unlink(fx->path);
	rmdir(fx->mnt);
	rmdir(fx->dir);
	pthread_mutex_destroy(&fx->fake.lock);
	pthread_cond_destroy(&fx->fake.cond);
	free(fx);
	current = NULL;
	return 0;
}

/* Inode numbers of the file's entries (node 1: node 0 is the root). */
static uint64_t chunk_ino(const struct fixture *fx, uint64_t i)
{
	struct mmapfs_ino id = { 1, MMAPFS_K_CHUNK, i };

	return mmapfs_ino_encode(&fx->layout, &id);
}

static uint64_t page_ino(const struct fixture *fx, uint64_t i)
{
	struct mmapfs_ino id = { 1, MMAPFS_K_PAGE, i };

	return mmapfs_ino_encode(&fx->layout, &id);
}

/* The kernel looks the entries up (LOOKUP replies). */
static void lookup_chunk(struct fixture *fx, uint64_t i)
{
	uint32_t mark;

	assert_int_equal(mmapfs_co_lookup(&fx->co, 1, chunk_ino(fx, i),
					  i * CHUNK, CHUNK, &mark),
			 0);
}

static void lookup_page(struct fixture *fx, uint64_t i)
{
	uint32_t mark;

	assert_int_equal(mmapfs_co_lookup(&fx->co, 1, page_ino(fx, i), i * PAGE,
					  PAGE, &mark),
			 0);
}

/* A whole WRITE request as ops_io.c makes it: arrive, write, reply, end.
 * `entry_off` is where the written entry starts in the file. */
static void do_write(struct fixture *fx, uint64_t ino, uint64_t entry_off,
		     uint64_t off, uint64_t len, const uint8_t *data)
{
	struct mmapfs_co_write w = { .node = 1,
				     .ino = ino,
				     .off = entry_off + off,
				     .len = len,
				     .entry_off = entry_off,
				     .data = data };

	mmapfs_co_write_arrive(&fx->co, &w);
	mmapfs_co_write(&fx->co, &w);
	mmapfs_co_write_end(&fx->co, &w);
}

static unsigned ncalls(struct fixture *fx)
{
	unsigned n;

	pthread_mutex_lock(&fx->fake.lock);
	n = fx->fake.ncalls;
	pthread_mutex_unlock(&fx->fake.lock);
	return n;
}

/* Wait (without a deadline that would make a timing assertion: a hang is
 * caught by meson's timeout) for at least n calls. */
static void wait_calls(struct fixture *fx, unsigned n)
{
	pthread_mutex_lock(&fx->fake.lock);
	while (fx->fake.ncalls < n)
		pthread_cond_wait(&fx->fake.cond, &fx->fake.lock);
	pthread_mutex_unlock(&fx->fake.lock);
}

static void assert_call(struct fixture *fx, unsigned i, enum call_kind kind,
			uint64_t ino, int64_t off, int64_t len)
{
	const struct call *c = &fx->fake.calls[i];

	assert_true(i < fx->fake.ncalls);
	assert_int_equal(c->kind, kind);
	assert_int_equal(c->ino, ino);
	assert_int_equal(c->off, off);
	assert_int_equal(c->len, len);
}

static const uint8_t bytes[2 * PAGE];

/* Rule 2: a write drops the overlapping pages of a held alias that may
 * have pages, in the writer's thread, before it returns; nothing else.
 * (Fails without plan_locked's targets: no call.) */
static void write_drops_held_alias(void **state)
{
	struct fixture *fx = *state;

	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	lookup_chunk(fx, 1);
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, CHUNK);
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 1), 0, CHUNK);
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 100, 200, bytes);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, INVAL_INODE, chunk_ino(fx, 0), 3 * PAGE + 100, 200);
	assert_true(pthread_equal(fx->fake.calls[0].thread, pthread_self()));
}

/* Rules 1 and 2: an alias the kernel holds but that has no pages (never
 * read, never written) loses its attributes only (its times moved), once:
 * until the kernel asks for them again it has none to lose.  (Fails when
 * the pages mark is ignored: a drop of its pages; or when attributes are
 * forgotten: no call.) */
static void alias_without_pages_loses_attributes(void **state)
{
	struct fixture *fx = *state;
	uint32_t mark;

	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, INVAL_INODE, chunk_ino(fx, 0), -1, 0);
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	assert_int_equal(ncalls(fx), 1);
	/* A GETATTR reply gives the kernel attributes again. */
	mark = mmapfs_co_attrs_begin(&fx->co, 1, chunk_ino(fx, 0));
	assert_true(
		mmapfs_co_attrs_current(&fx->co, 1, chunk_ino(fx, 0), &mark));
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 1, INVAL_INODE, chunk_ino(fx, 0), -1, 0);
}

/* Rule 2: attributes taken while a write through an alias planned are
 * taken again: its invalidation may have come before the reply.  (Fails
 * when the mark is not compared.) */
static void attributes_taken_during_a_write_are_retaken(void **state)
{
	struct fixture *fx = *state;
	uint32_t mark;

	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	mark = mmapfs_co_attrs_begin(&fx->co, 1, chunk_ino(fx, 0));
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	assert_false(
		mmapfs_co_attrs_current(&fx->co, 1, chunk_ino(fx, 0), &mark));
	assert_true(
		mmapfs_co_attrs_current(&fx->co, 1, chunk_ino(fx, 0), &mark));
	/* Retaken, they are the kernel's again: the next write drops them. */
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	assert_int_equal(ncalls(fx), 2);
}

/* Rule 1: an entry the kernel forgot has no inode, so no pages.  (Fails
 * when FORGET is not counted.) */
static void forgotten_alias_is_skipped(void **state)
{
	struct fixture *fx = *state;

	lookup_chunk(fx, 0);
	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, CHUNK);
	mmapfs_co_forget(&fx->co, 1, chunk_ino(fx, 0), 1);
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	assert_int_equal(ncalls(fx), 1); /* still held once */
	mmapfs_co_forget(&fx->co, 1, chunk_ino(fx, 0), 1);
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	assert_int_equal(ncalls(fx), 1);
}

/* Rule 1: a drop of the whole entry with no READ since proves it has no
 * pages; a READ afterwards brings them back.  (Fails when the mark is
 * never cleared: a second call; or cleared for good: no third.) */
static void whole_drop_clears_pages(void **state)
{
	struct fixture *fx = *state;

	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	mmapfs_co_read(&fx->co, 1, page_ino(fx, 3), 0, PAGE);
	do_write(fx, chunk_ino(fx, 0), 0, 3 * PAGE, PAGE, bytes);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, INVAL_INODE, page_ino(fx, 3), 0, PAGE);
	do_write(fx, chunk_ino(fx, 0), 0, 3 * PAGE, PAGE, bytes);
	assert_int_equal(ncalls(fx), 1);
	mmapfs_co_read(&fx->co, 1, page_ino(fx, 3), 0, PAGE);
	do_write(fx, chunk_ino(fx, 0), 0, 3 * PAGE + 1, 1, bytes);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 1, INVAL_INODE, page_ino(fx, 3), 1, 1);
}

/* Rule 1: the kernel's write-through puts a write's bytes into the
 * written entry's pages: a later write through an alias drops them.
 * (Fails without touch_own.) */
static void written_entry_has_pages(void **state)
{
	struct fixture *fx = *state;

	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	assert_int_equal(ncalls(fx), 1); /* chunks/0's attributes */
	do_write(fx, chunk_ino(fx, 0), 0, 3 * PAGE + 5, 10, bytes);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 1, INVAL_INODE, page_ino(fx, 3), 5, 10);
}

/* Rule 7: a change from outside, once inotify reported it, is applied by
 * mmapfs_co_settle() before it returns: the size first (the hook), then
 * every held entry's pages when it may have some, its attributes
 * otherwise.  (Fails without node_changed: no call.) */
static void outside_change_applied_by_settle(void **state)
{
	struct fixture *fx = *state;
	int fd;

	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, CHUNK);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(ncalls(fx), 0);
	assert_int_equal(fx->fake.changes, 0);
	fd = open(fx->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "outside", 7, 5), 7);
	close(fd);
	mmapfs_co_settle(&fx->co);
	assert_int_equal(fx->fake.changes, 1);
	assert_int_equal(fx->fake.calls_at_change, 0); /* hook first */
	assert_int_equal(ncalls(fx), 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct call *c = &fx->fake.calls[i];

		if (c->ino == chunk_ino(fx, 0))
			assert_call(fx, i, INVAL_INODE, c->ino, 0, CHUNK);
		else
			assert_call(fx, i, INVAL_INODE, page_ino(fx, 3), -1, 0);
	}
}

/* Rule 8: the written entry's own pages that a READ filled since its
 * previous write are dropped before the reply (a READ may have put back
 * the bytes from before the write).  (Fails without drop_own.) */
static void own_pages_read_since_are_dropped(void **state)
{
	struct fixture *fx = *state;

	lookup_chunk(fx, 0);
	do_write(fx, chunk_ino(fx, 0), 0, 0, 2 * PAGE, bytes);
	assert_int_equal(ncalls(fx), 0); /* no READ since: nothing to drop */
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, 2 * PAGE);
	do_write(fx, chunk_ino(fx, 0), 0, 0, 2 * PAGE, bytes);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, INVAL_INODE, chunk_ino(fx, 0), 0, 2 * PAGE);
}

/* Rule 8: a partly written last page may be locked by the writer until
 * the reply, so it is looked at (retrieve) rather than dropped: kept
 * when it holds the bytes written, dropped when it holds others.
 * (Fails when the page is dropped without looking, or never.) */
static void partial_own_page_is_looked_at(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t data[50] = { 1, 2, 3 };

	lookup_chunk(fx, 0);
	fx->fake.written = data;
	fx->fake.answer = ANSWER_WRITTEN;
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, PAGE);
	do_write(fx, chunk_ino(fx, 0), 0, 100, sizeof(data), data);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, RETRIEVE, chunk_ino(fx, 0), 100, sizeof(data));
	fx->fake.answer = ANSWER_OTHER;
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, PAGE);
	do_write(fx, chunk_ino(fx, 0), 0, 100, sizeof(data), data);
	assert_int_equal(ncalls(fx), 3);
	assert_call(fx, 1, RETRIEVE, chunk_ino(fx, 0), 100, sizeof(data));
	assert_call(fx, 2, INVAL_INODE, chunk_ino(fx, 0), 100, sizeof(data));
}

/* Rule 8: a page the kernel does not show, but that a READ answered after
 * the write arrived was filling, is not the write's: dropped.  (Fails
 * without the "late" mark: the page is kept.) */
static void unshown_page_read_late_is_dropped(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t data[50];
	struct mmapfs_co_write w = {
		.node = 1, .off = 100, .len = sizeof(data), .data = data
	};

	lookup_chunk(fx, 0);
	w.ino = chunk_ino(fx, 0);
	fx->fake.answer = ANSWER_ABSENT;
	mmapfs_co_write_arrive(&fx->co, &w);
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, PAGE);
	mmapfs_co_write(&fx->co, &w);
	mmapfs_co_write_end(&fx->co, &w);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 0, RETRIEVE, chunk_ino(fx, 0), 100, sizeof(data));
	assert_call(fx, 1, INVAL_INODE, chunk_ino(fx, 0), 100, sizeof(data));
}

/* Rule 5: with the single-threaded loop no drop may wait in the request
 * thread (it alone answers the READs a drop waits for): the helper thread
 * makes it.  (Fails when drops are made inline: the caller's thread.) */
static void single_thread_drops_on_helper(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mmapfs_co_start(&fx->co), 0);
	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, CHUNK);
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	wait_calls(fx, 1);
	assert_call(fx, 0, INVAL_INODE, chunk_ino(fx, 0), 3 * PAGE, 10);
	assert_false(pthread_equal(fx->fake.calls[0].thread, pthread_self()));
	mmapfs_co_stop(&fx->co);
}

/* Rule 6: names are invalidated from the helper thread only (the kernel
 * takes the directory's lock, which a LOOKUP being answered holds).
 * (Fails when queue_entry calls the kernel itself.) */
static void names_dropped_on_helper(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mmapfs_co_start(&fx->co), 0);
	mmapfs_co_queue_entry(&fx->co, 42, "17");
	wait_calls(fx, 1);
	assert_call(fx, 0, INVAL_ENTRY, 42, -1, 2);
	assert_false(pthread_equal(fx->fake.calls[0].thread, pthread_self()));
	mmapfs_co_stop(&fx->co);
}

/* Rule 6: when the file shrinks, the names the kernel holds past the new
 * end are dropped, all of them and only them (the kernel caches no other
 * names), from the helper thread.  (Fails without mmapfs_co_vanished's
 * selection: too many or too few calls.) */
static void vanished_names_dropped(void **state)
{
	struct fixture *fx = *state;
	struct mmapfs_ino chunks = { 1, MMAPFS_K_CHUNKS, 0 };
	struct mmapfs_ino pages = { 1, MMAPFS_K_PAGES, 0 };
	unsigned seen_chunks = 0, seen_pages = 0;

	assert_int_equal(mmapfs_co_start(&fx->co), 0);
	lookup_chunk(fx, 0);
	lookup_chunk(fx, 2);
	lookup_chunk(fx, 3);
	lookup_page(fx, 5);
	lookup_page(fx, 40);
	mmapfs_co_vanished(&fx->co, 1, 2, 32);
	wait_calls(fx, 3);
	mmapfs_co_stop(&fx->co);
	assert_int_equal(ncalls(fx), 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct call *c = &fx->fake.calls[i];

		assert_int_equal(c->kind, INVAL_ENTRY);
		if (c->ino == mmapfs_ino_encode(&fx->layout, &chunks)) {
			assert_int_equal(c->len, 1); /* "2", "3" */
			seen_chunks++;
		} else {
			assert_int_equal(
				c->ino, mmapfs_ino_encode(&fx->layout, &pages));
			assert_int_equal(c->len, 2); /* "40" */
			seen_pages++;
		}
	}
	assert_int_equal(seen_chunks, 2);
	assert_int_equal(seen_pages, 1);
}

/* Rules 1 and 8: a READ answered during a whole drop of an entry puts a
 * page back, so the drop proves nothing: the entry keeps its pages mark
 * and its READ span.  (Fails without the touch and READ counts compared
 * after the drop: the next writes drop nothing.) */
static void read_during_drop_keeps_marks(void **state)
{
	struct fixture *fx = *state;

	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	mmapfs_co_read(&fx->co, 1, page_ino(fx, 3), 0, PAGE);
	fx->fake.read_during = page_ino(fx, 3);
	do_write(fx, chunk_ino(fx, 0), 0, 3 * PAGE, PAGE, bytes);
	assert_int_equal(ncalls(fx), 1);
	/* Through an alias: pages/3 still may have pages. */
	do_write(fx, chunk_ino(fx, 0), 0, 3 * PAGE, 10, bytes);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 1, INVAL_INODE, page_ino(fx, 3), 0, 10);
}

/* Rule 8: the same for the READ span a write of the entry itself checks.
 * (Fails without the READ count compared after the drop.) */
static void read_during_drop_keeps_span(void **state)
{
	struct fixture *fx = *state;

	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	mmapfs_co_read(&fx->co, 1, page_ino(fx, 3), 0, PAGE);
	fx->fake.read_during = page_ino(fx, 3);
	do_write(fx, chunk_ino(fx, 0), 0, 3 * PAGE, PAGE, bytes);
	assert_int_equal(ncalls(fx), 1);
	/* Through pages/3 itself, whole page: its own page is dropped. */
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, PAGE, bytes);
	assert_int_equal(ncalls(fx), 3); /* chunks/0's pages, then its own */
	assert_call(fx, 2, INVAL_INODE, page_ino(fx, 3), 0, PAGE);
}

static void *writer_main(void *arg)
{
	struct writer *wr = arg;

	if (wr->len == 0)
		mmapfs_co_settle(&wr->fx->co);
	else
		do_write(wr->fx, wr->ino, wr->entry_off, wr->off, wr->len,
			 bytes);
	if (wr->reply >= 0)
		unlock_pages(&wr->fx->fake, (unsigned)wr->reply);
	return NULL;
}

static void start_writer(struct fixture *fx, uint64_t ino, uint64_t entry_off,
			 uint64_t off, uint64_t len, int reply)
{
	struct writer *wr = &fx->writers[fx->nwriters];

	assert_true(fx->nwriters < 4);
	*wr = (struct writer){ fx, ino, entry_off, off, len, reply, 0 };
	assert_int_equal(pthread_create(&wr->thread, NULL, writer_main, wr), 0);
	fx->nwriters++;
}

/* Every writer has replied. */
static void join_writers(struct fixture *fx)
{
	while (fx->nwriters > 0)
		pthread_join(fx->writers[--fx->nwriters].thread, NULL);
}

/* Time for a thread that does not wait where it should to show it; never
 * part of an assertion on timing. */
static void let_run(void)
{
	struct timespec t = { 0, 200 * 1000 * 1000 };

	nanosleep(&t, NULL);
}

static unsigned overlaps(struct fixture *fx)
{
	unsigned n;

	pthread_mutex_lock(&fx->fake.lock);
	n = fx->fake.overlaps;
	pthread_mutex_unlock(&fx->fake.lock);
	return n;
}

/* Rule 8: two drops of overlapping pages of one inode never run at once:
 * the second waits at the file's gate for as long as the first takes,
 * here held up by a READ of the alias that is not answered yet.  (Fails
 * without the gate, or with a bound on its wait: the drops overlap.) */
static void overlapping_drops_take_turns(void **state)
{
	struct fixture *fx = *state;
	unsigned read;

	lookup_chunk(fx, 0);
	lookup_page(fx, 0);
	mmapfs_co_read(&fx->co, 1, page_ino(fx, 0), 0, PAGE);
	read = lock_pages(&fx->fake, page_ino(fx, 0), 0, PAGE);
	start_writer(fx, chunk_ino(fx, 0), 0, 0, 10, -1);
	wait_calls(fx, 1);
	start_writer(fx, chunk_ino(fx, 0), 0, 20, 10, -1);
	let_run();
	assert_int_equal(ncalls(fx), 1); /* b waits at the gate */
	unlock_pages(&fx->fake, read);
	join_writers(fx);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 0, INVAL_INODE, page_ino(fx, 0), 0, 10);
	assert_call(fx, 1, INVAL_INODE, page_ino(fx, 0), 20, 10);
	assert_int_equal(overlaps(fx), 0);
}

/* Rule 8: behind a drop that is not a write's (here the one applying an
 * outside change to a whole entry, held up by a READ that only a worker
 * would answer) a write's drop waits gate_ms at most, then goes ahead,
 * and the write replies.  (Fails, hanging, without the bound.) */
static void gate_bounded_behind_whole_drop(void **state)
{
	struct fixture *fx = *state;
	unsigned read;
	int fd;

	lookup_chunk(fx, 0);
	lookup_page(fx, 0);
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, CHUNK);
	fx->co.bounds.gate_ms = 50;
	read = lock_pages(&fx->fake, chunk_ino(fx, 0), 3 * PAGE, 4 * PAGE);
	fd = open(fx->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "outside", 7, 5), 7);
	close(fd);
	start_writer(fx, 0, 0, 0, 0, -1); /* the barrier applies it */
	wait_calls(fx, 2);		  /* chunks/0 held up, pages/0 */
	do_write(fx, page_ino(fx, 0), 0, 0, 10, bytes);
	assert_int_equal(ncalls(fx), 3);
	assert_call(fx, 2, INVAL_INODE, chunk_ino(fx, 0), 0, 10);
	assert_int_equal(overlaps(fx), 1); /* it went ahead */
	unlock_pages(&fx->fake, read);
	join_writers(fx);
}

/* Both entries have pages, with no READ span (each was written). */
static void written_both(struct fixture *fx)
{
	lookup_chunk(fx, 0);
	lookup_page(fx, 0);
	do_write(fx, chunk_ino(fx, 0), 0, 300, 10, bytes);
	do_write(fx, page_ino(fx, 0), 0, 200, 10, bytes);
}

/* Rule 4: two writes through two aliases, each holding its partly
 * written page locked until its reply (fuse_fill_write_pages()), each
 * dropping the other's: the one that plans second drops on threads of
 * its own and stops waiting for them once the first is blocked on its
 * inode, so both reply.  The conflict's drop ends after the first
 * write's reply.  (Fails, hanging, without the conflict threads or
 * without the cycle rule: conflict_max_ms is an hour here.) */
static void crossed_writes_both_reply(void **state)
{
	struct fixture *fx = *state;
	unsigned base, a_reply, b_reply;

	written_both(fx);
	fx->co.bounds.conflict_max_ms = 3600L * 1000;
	base = ncalls(fx);
	a_reply = lock_pages(&fx->fake, chunk_ino(fx, 0), 0, PAGE);
	b_reply = lock_pages(&fx->fake, page_ino(fx, 0), 0, PAGE);
	start_writer(fx, chunk_ino(fx, 0), 0, 0, 100, (int)a_reply);
	wait_calls(fx, base + 1); /* a drops pages/0: blocked by b's page */
	assert_call(fx, base, INVAL_INODE, page_ino(fx, 0), 0, 100);
	do_write(fx, page_ino(fx, 0), 0, 0, 100, bytes);
	unlock_pages(&fx->fake, b_reply); /* b replied */
	join_writers(fx);
	wait_calls(fx, base + 2);
	assert_call(fx, base + 1, INVAL_INODE, chunk_ino(fx, 0), 0, 100);
}

/* Rule 4: a conflicting write whose drop is held up without a cycle (the
 * first write is blocked on a third inode, the alias's page by a READ
 * nobody answers) waits no longer than conflict_max_ms.  At shutdown the
 * conflict thread still waiting makes the module abort its connection
 * after join_ms, which ends it.  (Fails, hanging, without either bound.) */
static void stuck_conflict_is_bounded(void **state)
{
	struct fixture *fx = *state;
	unsigned base;

	written_both(fx);
	lookup_page(fx, 1);
	do_write(fx, page_ino(fx, 1), PAGE, 200, 10, bytes);
	fx->co.bounds.conflict_max_ms = 100;
	fx->co.bounds.join_ms = 100;
	base = ncalls(fx);
	lock_pages(&fx->fake, page_ino(fx, 1), 0, PAGE);
	lock_pages(&fx->fake, chunk_ino(fx, 0), 0, PAGE);
	start_writer(fx, chunk_ino(fx, 0), 0, 0, 2 * PAGE, -1);
	wait_calls(fx, base + 2); /* pages/0 dropped, pages/1 blocked */
	assert_call(fx, base + 1, INVAL_INODE, page_ino(fx, 1), 0, PAGE);
	do_write(fx, page_ino(fx, 0), 0, 0, 100, bytes);
	assert_int_equal(fx->fake.aborts, 0);
	mmapfs_co_stop(&fx->co);
	assert_int_equal(fx->fake.aborts, 1);
	join_writers(fx);
}

/* Shutdown: a conflict thread that no abort can end still uses the module
 * when mmapfs_co_stop() returns: the module says so (threads_left), and
 * mmapfs_co_destroy() leaves it for the process's exit rather than free
 * it under the thread.  (Fails without threads_left: the destroy frees
 * what the thread then touches, which valgrind and ASan report.) */
static void stuck_conflict_without_abort_keeps_module(void **state)
{
	struct fixture *fx = *state;
	unsigned base;

	written_both(fx);
	lookup_page(fx, 1);
	do_write(fx, page_ino(fx, 1), PAGE, 200, 10, bytes);
	fx->co.bounds.conflict_max_ms = 50;
	fx->co.bounds.join_ms = 50;
	fx->fake.no_abort = true;
	base = ncalls(fx);
	lock_pages(&fx->fake, page_ino(fx, 1), 0, PAGE);
	lock_pages(&fx->fake, chunk_ino(fx, 0), 0, PAGE);
	start_writer(fx, chunk_ino(fx, 0), 0, 0, 2 * PAGE, -1);
	wait_calls(fx, base + 2); /* pages/1's drop held up */
	do_write(fx, page_ino(fx, 0), 0, 0, 100, bytes);
	mmapfs_co_stop(&fx->co);
	assert_true(fx->co.threads_left);
	mmapfs_co_destroy(&fx->co); /* leaves it */
	assert_non_null(fx->co.nodes);
	/* The process did not end: let the thread finish, then free. */
	unlock_all(&fx->fake);
	join_writers(fx);
	fx->co.threads_left = false;
	fx->fake.no_abort = false;
	mmapfs_co_stop(&fx->co); /* waits for the thread now */
	assert_false(fx->co.threads_left);
}

/* Rule 8: a page the kernel is asked to show but never does (the answer
 * is a request a worker must read, and at unmount none is) is waited for
 * look_ms, then dropped after the reply.  (Fails, hanging, without the
 * bound; fails when dropped before the reply.) */
static void unanswered_look_drops_after_reply(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t data[50];
	struct mmapfs_co_write w = {
		.node = 1, .off = 100, .len = sizeof(data), .data = data
	};

	lookup_chunk(fx, 0);
	w.ino = chunk_ino(fx, 0);
	fx->fake.silent = true;
	fx->co.bounds.look_ms = 50;
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, PAGE);
	mmapfs_co_write_arrive(&fx->co, &w);
	mmapfs_co_write(&fx->co, &w);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, RETRIEVE, chunk_ino(fx, 0), 100, sizeof(data));
	mmapfs_co_write_end(&fx->co, &w);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 1, INVAL_INODE, chunk_ino(fx, 0), 100, sizeof(data));
}

/* Rule 8: a page not shown at first, because a reader answered before the
 * write arrived has yet to mark it uptodate, is looked at again; shown
 * with other bytes than the write's, it is dropped before the reply.
 * (Fails without the looks again: the page is kept.) */
static void slow_reader_page_looked_at_again(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t data[50] = { 7 };
	unsigned n;

	lookup_chunk(fx, 0);
	fx->fake.answer = ANSWER_OTHER;
	fx->fake.absent_looks = 2;
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, PAGE);
	do_write(fx, chunk_ino(fx, 0), 0, 100, sizeof(data), data);
	n = ncalls(fx);
	assert_int_equal(n, 4);
	for (unsigned i = 0; i < 3; i++)
		assert_call(fx, i, RETRIEVE, chunk_ino(fx, 0), 100,
			    sizeof(data));
	assert_call(fx, 3, INVAL_INODE, chunk_ino(fx, 0), 100, sizeof(data));
	/* Never shown: looked at for slow_reader_us, then kept. */
	fx->fake.absent_looks = 1000;
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, PAGE);
	do_write(fx, chunk_ino(fx, 0), 0, 100, sizeof(data), data);
	assert_true(ncalls(fx) > n + 1);
	for (unsigned i = n; i < ncalls(fx); i++)
		assert_int_equal(fx->fake.calls[i].kind, RETRIEVE);
}

/* Truncation: the drop of the entry's own pages runs on a thread of its
 * own, and the SETATTR waits for it only own_drop_ms (a page dirty
 * through mmap() is written back only after the reply: fuse_set_nowrite()).
 * The entry is then marked for its next open.  (Fails, hanging, without
 * the bound; fails when the drop is made on the caller's thread.) */
static void own_drop_is_bounded(void **state)
{
	struct fixture *fx = *state;
	unsigned dirty;

	lookup_chunk(fx, 0);
	fx->co.bounds.own_drop_ms = 50;
	dirty = lock_pages(&fx->fake, chunk_ino(fx, 0), PAGE, 2 * PAGE);
	assert_false(
		mmapfs_co_drop_own(&fx->co, 1, chunk_ino(fx, 0), 0, CHUNK));
	assert_int_equal(ncalls(fx), 1);
	assert_false(pthread_equal(fx->fake.calls[0].thread, pthread_self()));
	unlock_pages(&fx->fake, dirty); /* the WRITE after the reply */
	lock_pages(&fx->fake, chunk_ino(fx, 1), 0, PAGE); /* not met */
	assert_true(mmapfs_co_drop_own(&fx->co, 1, chunk_ino(fx, 0), 0, CHUNK));
}

/* Shutdown: the helper thread stuck in a drop that waits for a READ
 * nobody will answer is given join_ms, then the module aborts its
 * connection (once), which ends the drop.  (Fails, hanging, without the
 * bound.) */
static void stuck_helper_aborts_connection(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mmapfs_co_start(&fx->co), 0);
	fx->co.bounds.join_ms = 50;
	lookup_chunk(fx, 0);
	lookup_page(fx, 3);
	mmapfs_co_read(&fx->co, 1, chunk_ino(fx, 0), 0, CHUNK);
	lock_pages(&fx->fake, chunk_ino(fx, 0), 3 * PAGE, 4 * PAGE);
	do_write(fx, page_ino(fx, 3), 3 * PAGE, 0, 10, bytes);
	wait_calls(fx, 1); /* on the helper, blocked */
	mmapfs_co_stop(&fx->co);
	assert_int_equal(fx->fake.aborts, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_drops_held_alias, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			alias_without_pages_loses_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			attributes_taken_during_a_write_are_retaken, setup,
			teardown),
		cmocka_unit_test_setup_teardown(forgotten_alias_is_skipped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(whole_drop_clears_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(written_entry_has_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			outside_change_applied_by_settle, setup, teardown),
		cmocka_unit_test_setup_teardown(
			own_pages_read_since_are_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(partial_own_page_is_looked_at,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			unshown_page_read_late_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(single_thread_drops_on_helper,
						setup_single, teardown),
		cmocka_unit_test_setup_teardown(names_dropped_on_helper, setup,
						teardown),
		cmocka_unit_test_setup_teardown(vanished_names_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(read_during_drop_keeps_marks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(read_during_drop_keeps_span,
						setup, teardown),
		cmocka_unit_test_setup_teardown(overlapping_drops_take_turns,
						setup, teardown),
		cmocka_unit_test_setup_teardown(gate_bounded_behind_whole_drop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(crossed_writes_both_reply,
						setup, teardown),
		cmocka_unit_test_setup_teardown(stuck_conflict_is_bounded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			stuck_conflict_without_abort_keeps_module, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			unanswered_look_drops_after_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(
			slow_reader_page_looked_at_again, setup, teardown),
		cmocka_unit_test_setup_teardown(own_drop_is_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stuck_helper_aborts_connection,
						setup_single, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
