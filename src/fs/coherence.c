/*
 * coherence.c - read-after-write coherence between aliased entries.
 *
 * Why the kernel page cache is kept, and how it is kept correct
 * ------------------------------------------------------------
 * Entries are not opened with direct_io: libfuse 3.14 cannot ask the
 * kernel to allow shared mmap() of direct_io files, and `mmap` of an entry
 * is part of the contract.  Cached entries are also what makes reads
 * fast, and they are kept between opens.  So each inode has its own page
 * cache, and a write through one entry leaves stale pages in the caches
 * of the entries aliasing the same bytes.
 *
 * Rules, from what the kernel does and what was observed on 6.x with
 * libfuse 3.14:
 *
 *  1. With cache=keep (the default) the kernel opens entries itself:
 *     OPEN is answered ENOSYS once (FUSE_CAP_NO_OPEN_SUPPORT), and from
 *     then on fuse_do_open() opens every file with FOPEN_KEEP_CACHE and
 *     no request, so an entry keeps its pages as long as the kernel keeps
 *     its inode, and no open can be the moment to check them.  The kernel
 *     keeps an inode from the LOOKUP or READDIRPLUS reply that named it
 *     until it sends FORGET (after evicting the inode and its pages), so
 *     the daemon counts those (cached.h): the entries the kernel holds.
 *     Every change is applied when it happens to the held entries it
 *     concerns: a write through the mount drops, before its reply, the
 *     overlapping pages of every held alias that may have pages (rule 2);
 *     a change from outside drops every held entry of the file (rule 7).
 *     An entry may have pages once a READ of it was answered or a write
 *     through it arrived (the kernel's write-through puts the written
 *     bytes in its pages), and has none after a drop of the whole entry
 *     with neither since: such entries are skipped, so that a write
 *     through chunks/0 costs nothing for the 256 pages/N that `ls -l`
 *     made the kernel hold.  A record is registered before the LOOKUP
 *     reply goes out, so a write either finds it or its bytes are in the
 *     mapping before the kernel can read through the new inode.
 *     With cache=open every open still reaches the daemon: an entry
 *     opened is in its file's set with a stale mark, set when a write
 *     through an alias meets it, and with the file's epoch its pages were
 *     read in (rule 7).  Opening an entry that is marked, or whose epoch
 *     is behind the file's, drops its pages first, here, before the open
 *     is answered; it is current again only if nothing marked it
 *     meanwhile.  Letting the kernel drop them instead (no
 *     FOPEN_KEEP_CACHE) races: the kernel's drop at open and ours after
 *     a write, running at once on one inode, were seen to leave a stale
 *     page mapped.
 *     The kernel's own drop when it sees the backing file's mtime move
 *     (auto_inval_data) stays on: after one of our drops it reads
 *     the attributes again, and the drop it then makes of a written
 *     entry clears what rule 4 may leave behind in open descriptors
 *     (measured: without it, about one exerciser run in eight read such
 *     a page; with it, none).  It costs nothing to reads of a file that
 *     is not written.
 *
 *  2. After a write reached the mapping, the writing thread drops the
 *     overlapping pages of every *other* entry the kernel holds that may
 *     have pages (cache=open: every other open entry), and only then
 *     replies.  Dropping after the reply, from another thread, was seen
 *     to leave an mmap() of an alias stale: a reader could look between
 *     the reply and the drop.  (cache=open: closed entries are only
 *     marked stale, for rule 1.)
 *
 *  3. The kernel updates the written inode's own cache itself
 *     (write-through), and holds the lock of at most one page of a
 *     WRITE until the reply: the last one, when the write covers only
 *     part of it and it was not uptodate.  invalidate_inode_pages2_range()
 *     waits for page locks, so dropping that page before the reply
 *     deadlocks (rule 8 says how the written entry's own pages are
 *     dropped).
 *
 *  4. The same wait makes two concurrent writes to overlapping pages of
 *     two aliases a potential deadlock: the kernel keeps a folio locked
 *     during a write only when the write covers part of a folio that is
 *     not uptodate, so each write may hold a page of its own inode and
 *     wait for the other's.  Every write registers itself (under the
 *     file's lock) when it plans; whichever of two such writes plans
 *     second sees the first, drops the first one's inode page by page,
 *     each page on its own thread, and waits for them.  It stops waiting
 *     only when the first write has been blocked dropping the second
 *     one's inode (or in a conflict wait of its own) for bounds.cycle_ms:
 *     a cycle.  (The daemon cannot see page locks; a cycle, once there,
 *     lasts until one of the two replies, while a drop blocked by a READ
 *     ends when a worker answers it, in well under a millisecond.  A
 *     drop that never ends without a cycle, because every worker waits,
 *     is given up on after bounds.conflict_max_ms.)  Then the pages still
 *     pending are, as a rule, locked by that write, so not uptodate, and
 *     read again after its reply; one locked by a READ instead may become
 *     uptodate with old bytes before the pending drop takes it, which
 *     rules 1 and 8 clear.  (Page by page because the kernel drops a
 *     range in order and would stop at the first locked page, leaving
 *     the uptodate pages behind it stale.)  A write leaves
 *     the list before its reply, so the writer's *next* write is never
 *     taken for a concurrent one.
 *
 *  5. A drop may also wait for a READ that the kernel has queued for the
 *     alias (readahead or an mmap fault keep the page locked until the
 *     reply).  Another worker of the multi-threaded loop answers it,
 *     which is why the loop is started with plenty of threads.  With the
 *     single-threaded loop (-s) nobody could answer it, so there every
 *     drop is handed to the helper thread and the write replies without
 *     waiting, and an open that needs its pages dropped lets the kernel
 *     do it (keep_cache off for that open): coherence between aliases is
 *     then eventual, and the man page says so.
 *
 *  6. Dentries are invalidated only from the helper thread:
 *     notify_inval_entry takes the directory's lock, which a LOOKUP in
 *     that directory holds while we answer it.
 *
 *  7. Changes by other processes: each file the kernel holds entries of
 *     is watched by the mount's one inotify instance (IN_MODIFY; write(2)
 *     and truncate by anyone but us), and every event bumps the file's
 *     epoch and marks it changed.  With cache=keep the watcher thread
 *     applies a marked file at once: it picks up the size (entry.c), then
 *     drops every held entry that may have pages and the attributes of
 *     the others (the times moved).  Events are asynchronous, so there is
 *     a window: from the return of another process's write(2) until the
 *     watcher has applied it (typically tens of microseconds), an entry's
 *     cached pages may still show the bytes from before.  A getxattr
 *     through the mount closes it: mmapfs_co_settle() drains the inotify
 *     queue (fsnotify queues the event before write(2) returns) and
 *     applies what it finds, waiting for an application in progress,
 *     before the getxattr is answered.  With cache=open an open drains
 *     the events first, and an entry whose pages predate the epoch is
 *     dropped whole before the open is answered.  Stores through another
 *     process's shared mapping raise no event: -o cache=open drops at
 *     every open instead.  A write through one name of a file marks its
 *     other names (hard links, one inotify watch) changed, for the
 *     watcher.  A file that cannot be watched (no inotify, the watch
 *     limit reached) gets short timeouts for its entries, so that the
 *     kernel rereads their attributes every second and drops their pages
 *     when the mtime moved (auto_inval_data), and is tried again at
 *     every lookup; a watched file removed or renamed is watched again
 *     by name at the next lookup.
 *
 *  8. Two drops of overlapping pages of one inode do not run at once:
 *     each passes the file's gate, waiting for an earlier
 *     one to end.  Behind a write's drop of an alias that wait needs no
 *     bound: a write that holds a page lock and waits, through its own
 *     drops, for the write at the gate is a conflict that rule 4 ends
 *     (the write at the gate counts as blocked on the inode it drops).
 *     Behind the watcher's, the helper's or an open's drop it lasts at
 *     most bounds.gate_ms: those drop whole entries and may wait for a
 *     READ (or for the WRITE that writes back a page dirty through
 *     mmap()) that only a libfuse worker answers, and the drop at the
 *     gate is often a worker's.
 *     The drops of a conflict (rule 4) bypass the gate: waiting there,
 *     they would look blocked by the other write's pages when they have
 *     not started, and be given up on (measured: stale reads).
 *     The kernel's write-through is not atomic: it copies the bytes into
 *     the entry's page, then sends the WRITE.  A drop of that page in
 *     between lets a READ put it back from the mapping before the WRITE
 *     reaches it, and the entry caches the bytes from before its own
 *     write.  Drops come from everywhere: ours, the kernel's own
 *     (auto_inval_data, made by a reader after it fetched the attributes,
 *     long after we answered; both seen in filemap traces) and reclaim,
 *     so they are not what is watched: the READ is.  It must come after
 *     the copy, and writes through one inode are serialised by the
 *     kernel, so after the entry's previous write; and its bytes are
 *     taken from the mapping after it is counted, so one counted after
 *     this write's check reads the write's bytes.  Each entry's record
 *     keeps the span of what was READ since its last own write; a write
 *     overlapping it drops the pages it covers before replying.  All but
 *     a partly written last page, which the kernel may hold locked until
 *     the reply (rule 3).
 *     The kernel is asked to show its copy of that page
 *     (FUSE_NOTIFY_RETRIEVE, which takes no page lock): holding the bytes
 *     written, it is the write's own or read after them, and stays;
 *     holding others, it cannot be the write's, and is dropped before the
 *     reply too.  The kernel shows uptodate pages only (a 2026 fix), so
 *     a page not shown is absent, the write's own (not uptodate, locked
 *     until the reply), or being filled by a READ that may bring the old
 *     bytes.  Such a page stays locked until the reader marks it
 *     uptodate: after our answer, in the reader's own thread when the
 *     READ was synchronous (a page fault without readahead, a page that
 *     a partial write left not uptodate; seen in a trace: a look 6 us
 *     after such a READ was answered found nothing, and the page came up
 *     with the old bytes).  So every WRITE is listed as it arrives, and
 *     a READ of its last page answered after that marks it: such a READ
 *     cannot be of a page the write holds (the write took its pages
 *     before it was sent and would have waited for that READ's), so the
 *     page is dropped before the reply (waiting for the reader only).
 *     Without such a READ the page is looked at again for up to
 *     bounds.slow_reader_us, for a reader answered earlier that has yet to mark
 *     it; still not shown, it stays.  It is never dropped with a wait
 *     that could meet the write's own lock, not even on a thread of its
 *     own: a daemon killed then could never exit, that thread stuck on
 *     the lock of a page whose WRITE nobody would answer (measured: kill
 *     -9 trials hung that way).  Only when no answer comes is the page
 *     dropped after the reply, leaving a moment in which a reader may
 *     see it stale.
 *     Completed drops of our own (at open, rule 1; of aliases, rule 2)
 *     take the pages of every READ counted before them: a span they
 *     cover is cleared unless a READ came meanwhile, which spares the
 *     looks of writes that follow them.
 *
 *     Writebacks of a mapping's pages are not write-through (the
 *     pages are the data, and stay under writeback until the reply:
 *     dropping them would deadlock).
 *
 * Locks: the apply lock (one application of outside changes at a time)
 * is taken before the watch lock, the watch lock before a node's lock,
 * never after; a node's lock, a conflict wait's lock and the queue lock
 * are leaves.  The apply lock is held while the watcher drops pages: a
 * getxattr waiting for it waits for those drops, which wait only for
 * READs other workers answer.  No
 * lock is held while sending FUSE notifications (inotify calls are made
 * under the watch lock).
 */
#include "co_queue.h"
#include "co_watch.h"
#include "co_write.h"

#include <assert.h>

#include <sys/eventfd.h>

#include "mmapio.h"

#ifndef NDEBUG
/* The levels of the locks this thread holds (co_lock). */
static _Thread_local unsigned held_levels;
#endif

void co_lock(pthread_mutex_t *m, unsigned level)
{
#ifndef NDEBUG
	/* Before waiting: a lock taken out of order aborts, not hangs. */
	assert(held_levels < level);
	held_levels |= level;
#endif
	pthread_mutex_lock(m);
}

void co_unlock(pthread_mutex_t *m, unsigned level)
{
	pthread_mutex_unlock(m);
#ifndef NDEBUG
	held_levels &= ~level;
#endif
}

int mmapfs_co_init(struct mmapfs_co *c, const struct mmapfs_tree *tree,
		   const struct mmapfs_layout *layout, uint64_t chunk,
		   bool sync, enum mmapfs_cache_mode mode)
{
	pthread_condattr_t mono;
	int rc;

	memset(c, 0, sizeof(*c));
	c->bounds = (struct mmapfs_co_bounds){ .cycle_ms = 20,
					       .conflict_max_ms = 5000,
					       .look_ms = 1000,
					       .slow_reader_us = 1600,
					       .own_drop_ms = 500,
					       .gate_ms = 50,
					       .join_ms = 2000 };
	c->wake_fd = -1;
	c->nodes = calloc(tree->nnodes, sizeof(*c->nodes));
	if (c->nodes == NULL)
		return -ENOMEM;
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	for (uint32_t i = 0; i < tree->nnodes; i++) {
		pthread_mutex_init(&c->nodes[i].lock, NULL);
		pthread_cond_init(&c->nodes[i].gate_cond, &mono);
		mmapfs_cached_init(&c->nodes[i].set);
	}
	pthread_mutex_init(&c->llock, NULL);
	pthread_cond_init(&c->lcond, &mono);
	pthread_condattr_destroy(&mono);
	c->nnodes = tree->nnodes;
	c->tree = tree;
	c->layout = layout;
	c->chunk = chunk;
	c->sync = sync;
	c->mode = mode;
	c->no_open = mode == MMAPFS_CACHE_KEEP;
	c->page = (uint64_t)sysconf(_SC_PAGESIZE);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_mutex_init(&c->apply_lock, NULL);
	pthread_mutex_init(&c->qlock, NULL);
	pthread_cond_init(&c->qcond, NULL);
	if (mode == MMAPFS_CACHE_OPEN)
		return 0; /* every open rereads: nothing to watch */
	rc = mmapio_watch_new(&c->watch);
	if (rc != 0) {
		c->watch = NULL;
		log_warn("inotify: %s: entries keep their attributes 1 s and "
			 "lose their pages when the mtime moves",
			 mmapio_strerror(rc));
	}
	return 0;
}

void mmapfs_co_set_kernel(struct mmapfs_co *c, const struct mmapfs_notify *k)
{
	c->kernel = *k;
}

void mmapfs_co_set_abort(struct mmapfs_co *c, bool (*fn)(void *arg), void *arg)
{
	c->abort = fn;
	c->abort_arg = arg;
}

void mmapfs_co_set_session(struct mmapfs_co *c, struct fuse_session *se)
{
	mmapfs_notify_fuse(&c->kernel, se);
}

/*
 * Wait until no drop of overlapping pages of the same inode is in
 * progress, then join (rule 8).  Behind a write's drop of an alias the
 * wait has no bound: a write that holds a page lock and waits, through
 * its drops, for ours is a conflict, and rule 4 ends it.  Behind anyone
 * else's (the watcher's or the helper's drop of a whole entry, an
 * open's) it lasts at most bounds.gate_ms, then goes ahead of it: such a
 * drop may wait for a READ of a page it meets, and only a worker answers
 * it, while the drop at the gate is often a worker's; libfuse's pool is
 * bounded, and at exit it cancels idle workers but waits for busy ones.
 */
static void co_gate_enter(const struct mmapfs_co *c, struct mmapfs_co_node *n,
			  struct co_gate *g)
{
	struct timespec deadline;
	bool timed = false, past = false;

	co_lock(&n->lock, CO_NODE);
	for (;;) {
		bool meets = false, other = false;

		for (const struct co_gate *x = n->gates; x != NULL;
		     x = x->next) {
			if (x->ino != g->ino || x->hi <= g->lo ||
			    g->hi <= x->lo ||
			    (past && x->kind != CO_GATE_WRITE))
				continue;
			meets = true;
			other = other || x->kind != CO_GATE_WRITE;
		}
		if (!meets)
			break;
		if (!other) {
			pthread_cond_wait(&n->gate_cond, &n->lock);
			continue;
		}
		if (!timed)
			deadline_in(CLOCK_MONOTONIC, c->bounds.gate_ms,
				    &deadline);
		timed = true;
		past = pthread_cond_timedwait(&n->gate_cond, &n->lock,
					      &deadline) == ETIMEDOUT;
	}
	g->next = n->gates;
	n->gates = g;
	co_unlock(&n->lock, CO_NODE);
}

static void co_gate_leave(struct mmapfs_co_node *n, struct co_gate *g)
{
	co_lock(&n->lock, CO_NODE);
	for (struct co_gate **pp = &n->gates; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	pthread_cond_broadcast(&n->gate_cond);
	co_unlock(&n->lock, CO_NODE);
}

/*
 * Drop the cached pages of entry `ino` over [off, off + len) (relative to
 * the entry), through the file's gate (rule 8) unless `kind` is
 * CO_UNGATED: the drops of a conflict (rule 4) must be blocked by nothing
 * but pages, or its cycle detection would excuse a drop that has not even
 * started.  True when the kernel dropped them all (or had none).
 */
bool co_drop_pages(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		   uint64_t off, uint64_t len, enum co_gate_kind kind)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct co_gate g = { .ino = ino, .kind = kind };
	int rc;

	page_span(off, off + len, c->page, &g.lo, &g.hi);
	if (kind != CO_UNGATED)
		co_gate_enter(c, n, &g);
	rc = c->kernel.inval_inode(c->kernel.k, ino, (int64_t)off, (off_t)len);
	if (kind != CO_UNGATED)
		co_gate_leave(n, &g);
	/* -ENOENT: the kernel does not have it cached, nothing to drop. */
	if (rc != 0 && rc != -ENOENT)
		log_debug("dropping pages of inode %llu: %s",
			  (unsigned long long)ino, strerror(-rc));
	return rc == 0 || rc == -ENOENT;
}

int mmapfs_co_start(struct mmapfs_co *c)
{
	int rc = pthread_create(&c->helper, NULL, co_helper_main, c);

	if (rc != 0)
		return -rc;
	c->helper_running = true;
	if (!c->no_open)
		return 0;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		return -errno;
	rc = pthread_create(&c->watcher, NULL, co_watcher_main, c);
	if (rc != 0)
		return -rc;
	c->watcher_running = true;
	return 0;
}

void mmapfs_co_stop(struct mmapfs_co *c)
{
	if (c->watcher_running) {
		atomic_store(&c->watcher_stop, true);
		co_wake_watcher(c);
		co_join_or_cancel(c, c->watcher, "watcher thread");
		c->watcher_running = false;
	}
	if (c->helper_running) {
		co_lock(&c->qlock, CO_LEAF);
		c->stopping = true;
		pthread_cond_signal(&c->qcond);
		co_unlock(&c->qlock, CO_LEAF);
		co_join_or_cancel(c, c->helper, "invalidation thread");
		c->helper_running = false;
		co_free_queue(c);
	}
	if (!co_wait_conflicts(c))
		c->threads_left = true;
}

void mmapfs_co_destroy(struct mmapfs_co *c)
{
	if (c == NULL || c->nodes == NULL)
		return;
	mmapfs_co_stop(c);
	if (c->threads_left)
		return; /* they use it: the process is ending anyway */
	for (uint32_t i = 0; i < c->nnodes; i++) {
		pthread_mutex_destroy(&c->nodes[i].lock);
		pthread_cond_destroy(&c->nodes[i].gate_cond);
		mmapfs_cached_destroy(&c->nodes[i].set);
	}
	free(c->nodes);
	c->nodes = NULL;
	mmapio_watch_close(c->watch);
	c->watch = NULL;
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	c->wake_fd = -1;
	pthread_mutex_destroy(&c->wlock);
	pthread_mutex_destroy(&c->apply_lock);
	pthread_mutex_destroy(&c->qlock);
	pthread_cond_destroy(&c->qcond);
	pthread_mutex_destroy(&c->llock);
	pthread_cond_destroy(&c->lcond);
}

int mmapfs_co_opened(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		     uint64_t off, uint64_t len, bool *keep_cache)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;
	uint32_t dirtied;
	uint64_t epoch, reads;
	bool added, stale, dropped;
	int rc;

	*keep_cache = true;
	if (c->mode != MMAPFS_CACHE_OPEN) {
		co_watch_node(c, node);
		co_watch_drain(c);
	}
	co_lock(&n->lock, CO_NODE);
	rc = mmapfs_cached_add(&n->set, ino, off, len, &r, &added);
	if (rc != 0) {
		co_unlock(&n->lock, CO_NODE);
		return rc;
	}
	epoch = n->epoch;
	dirtied = r->dirtied;
	reads = n->reads;
	/* Unwatched (cache=open, or inotify failed): changes by others are
	 * unseen, so every open rereads. */
	stale = r->stale || r->epoch != epoch || atomic_load(&n->watch) != 1;
	if (!c->sync) {
		/* Rule 5: the kernel drops them as it opens. */
		*keep_cache = !stale;
		r->stale = false;
		r->epoch = epoch;
	}
	mmapfs_cached_open(r);
	co_unlock(&n->lock, CO_NODE);
	if (!stale || !c->sync)
		return 0;
	/*
	 * Current only once the pages are gone: an open racing with this
	 * one must not find the record current and read them; it drops them
	 * too, after this drop (the gate, rule 8).  A write that dirtied the
	 * entry meanwhile leaves it stale.  The record stays while open.
	 * Every page a READ counted before the drop filled is gone with it,
	 * so none of those READs can have put back bytes from before a
	 * write (rule 8) unless another READ came meanwhile.
	 */
	dropped = co_drop_pages(c, node, ino, 0, len, CO_GATE_OTHER);
	co_lock(&n->lock, CO_NODE);
	if (r->dirtied == dirtied)
		r->stale = false;
	if (dropped && r->last_read <= reads)
		r->read_lo = r->read_hi = 0;
	if (r->epoch < epoch)
		r->epoch = epoch;
	co_unlock(&n->lock, CO_NODE);
	return 0;
}

void mmapfs_co_released(struct mmapfs_co *c, uint32_t node, uint64_t ino)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;

	co_lock(&n->lock, CO_NODE);
	r = mmapfs_cached_find(&n->set, ino);
	if (r != NULL)
		mmapfs_cached_close(&n->set, r);
	co_unlock(&n->lock, CO_NODE);
}

void mmapfs_co_read(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		    uint64_t off, uint64_t len)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;

	if (len == 0)
		return;
	co_lock(&n->lock, CO_NODE);
	r = mmapfs_cached_find(&n->set, ino);
	if (r != NULL) { /* rule 1 */
		r->pages = true;
		r->last_touch = ++n->touches;
	}
	if (!c->sync) { /* rule 8 is the multi-threaded loop's */
		co_unlock(&n->lock, CO_NODE);
		return;
	}
	n->reads++;
	/* Answered after these writes arrived. */
	for (struct mmapfs_co_write *x = n->arrived; x != NULL; x = x->anext)
		if (x->ino == ino && off < x->last_page + c->page &&
		    x->last_page < off + len)
			x->late = true;
	if (r != NULL) {
		span_add(&r->read_lo, &r->read_hi, off, off + len);
		r->last_read = n->reads;
	}
	co_unlock(&n->lock, CO_NODE);
}

void mmapfs_co_inval_attr(struct mmapfs_co *c, uint64_t ino)
{
	/* A negative offset drops attributes only: no page locks taken. */
	int rc = c->kernel.inval_inode(c->kernel.k, ino, -1, 0);

	if (rc != 0 && rc != -ENOENT)
		log_debug("invalidating attributes of %llu: %s",
			  (unsigned long long)ino, strerror(-rc));
}

void mmapfs_co_inval_dir(struct mmapfs_co *c, uint64_t ino)
{
	/* fuse_reverse_inval_inode() takes no inode lock, and a directory's
	 * cached listing pages are locked only while the kernel fills them
	 * from a READDIR reply already received. */
	int rc = c->kernel.inval_inode(c->kernel.k, ino, 0, 0);

	if (rc != 0 && rc != -ENOENT)
		log_debug("invalidating the listing of %llu: %s",
			  (unsigned long long)ino, strerror(-rc));
}

int mmapfs_co_lookup(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		     uint64_t off, uint64_t len, uint32_t *mark)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;
	bool added;
	int rc;

	if (c->mode != MMAPFS_CACHE_OPEN)
		co_watch_node(c, node);
	co_lock(&n->lock, CO_NODE);
	rc = mmapfs_cached_add(&n->set, ino, off, len, &r, &added);
	if (rc == 0) {
		mmapfs_cached_hold(r, 1);
		r->attrs = true;
		*mark = r->dirtied;
	}
	co_unlock(&n->lock, CO_NODE);
	return rc;
}

void mmapfs_co_forget(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		      uint64_t nlookup)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;

	co_lock(&n->lock, CO_NODE);
	r = mmapfs_cached_find(&n->set, ino);
	if (r != NULL)
		mmapfs_cached_forget(&n->set, r, nlookup);
	co_unlock(&n->lock, CO_NODE);
}

uint32_t mmapfs_co_attrs_begin(struct mmapfs_co *c, uint32_t node, uint64_t ino)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;
	uint32_t mark = 0;

	co_lock(&n->lock, CO_NODE);
	r = mmapfs_cached_find(&n->set, ino);
	if (r != NULL) {
		r->attrs = true;
		mark = r->dirtied;
	}
	co_unlock(&n->lock, CO_NODE);
	return mark;
}

bool mmapfs_co_attrs_current(struct mmapfs_co *c, uint32_t node, uint64_t ino,
			     uint32_t *mark)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;
	bool current = true;

	co_lock(&n->lock, CO_NODE);
	r = mmapfs_cached_find(&n->set, ino);
	if (r != NULL && r->dirtied != *mark) {
		/* Computed again: the kernel will hold those. */
		r->attrs = true;
		*mark = r->dirtied;
		current = false;
	}
	co_unlock(&n->lock, CO_NODE);
	return current;
}

struct co_selection {
	bool (*pick)(struct mmapfs_cached_rec *, struct co_target *, void *);
	void *arg;
	struct co_target *t;
	size_t n, max;
};

static void select_one(struct mmapfs_cached_rec *r, void *arg)
{
	struct co_selection *sel = arg;

	if (sel->n < sel->max && sel->pick(r, &sel->t[sel->n], sel->arg))
		sel->n++;
}

struct co_target *co_select(struct mmapfs_co *c, uint32_t node,
			    bool (*pick)(struct mmapfs_cached_rec *r,
					 struct co_target *t, void *arg),
			    void *arg, size_t *n, const char *what)
{
	struct mmapfs_co_node *nd = &c->nodes[node];
	struct co_selection sel = { pick, arg, NULL, 0, 0 };

	co_lock(&nd->lock, CO_NODE);
	sel.max = nd->set.count;
	sel.t = sel.max > 0 ? malloc(sel.max * sizeof(*sel.t)) : NULL;
	if (sel.t != NULL)
		mmapfs_cached_foreach(&nd->set, select_one, &sel);
	co_unlock(&nd->lock, CO_NODE);
	if (sel.max > 0 && sel.t == NULL)
		log_err("out of memory: %s of %s stay cached", what,
			c->tree->nodes[node].path);
	*n = sel.n;
	return sel.t;
}
