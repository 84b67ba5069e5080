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
 *  1. An entry's pages are kept between opens (FOPEN_KEEP_CACHE) only
 *     while they are known to be current: every entry opened is in its
 *     file's set (cached.h) with a stale mark, set when a write through
 *     an alias meets it (open or not), and with the file's epoch its
 *     pages were read in (rule 7).  Opening an entry that is marked, or
 *     whose epoch is behind the file's, drops its pages first, here,
 *     before the open is answered; it is current again only if nothing
 *     marked it meanwhile.  Letting the kernel drop them instead (no
 *     FOPEN_KEEP_CACHE) races: the kernel's drop at open and ours after
 *     a write, running at once on one inode, were seen to leave a stale
 *     page mapped, an mmap() load returning old bytes after a write
 *     through an alias returned.  Entries beyond -o cache_entries in
 *     the mount are forgotten, closed ones only: the files forget their
 *     least recently closed entry in turn; forgotten means stale.
 *     The kernel's own drop when it sees the backing file's mtime move
 *     (auto_inval_data) stays on: after one of our drops it reads
 *     the attributes again, and the drop it then makes of a written
 *     entry clears what rule 4 may leave behind in open descriptors
 *     (measured: without it, about one exerciser run in eight read such
 *     a page; with it, none).  It costs nothing to reads of a file that
 *     is not written.
 *
 *  2. After a write reached the mapping, the writing thread drops the
 *     overlapping pages of every *other* open entry, and only then
 *     replies.  Dropping after the reply, from another thread, was seen
 *     to leave an mmap() of an alias stale: a reader could look between
 *     the reply and the drop.  Closed entries are only marked stale.
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
 *     one's inode (or in a conflict wait of its own) for
 *     CONFLICT_STUCK_MS: a cycle.  Then the pages still pending are, as
 *     a rule, locked by that write, so not uptodate, and read again after
 *     its reply; one locked by a READ instead may become uptodate with
 *     old bytes before the pending drop takes it, which rules 1 and 8
 *     clear.  (Page by page because the
 *     kernel drops a range in order and would stop at the first locked
 *     page, leaving the uptodate pages behind it stale.)  A write leaves
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
 *  7. Changes by other processes: each file with cached entries is
 *     watched by the mount's one inotify instance (IN_MODIFY; write(2)
 *     and truncate by anyone but us), and every event bumps the file's
 *     epoch.  An open drains the pending events first, and an entry
 *     whose pages predate the epoch is dropped whole before the open is
 *     answered.  Stores through another process's shared mapping raise
 *     no event: -o cache=open drops at every open instead.  A write
 *     through one name of a file bumps the epoch of its other names
 *     (hard links, one inotify watch): their entries see it at their
 *     next open, as for any change from outside the name.  A file that cannot be watched
 *     (no inotify, the watch limit reached) has its entries reread at
 *     every open, as with cache=open; a watched file removed or renamed
 *     is watched again by name at the next open.
 *
 *  8. Two drops of overlapping pages of one inode do not run at once:
 *     each passes the file's gate, waiting up to GATE_WAIT_MS for an
 *     earlier one (then it goes ahead, so that no cycle hangs on it).
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
 *     SLOW_READER_US, for a reader answered earlier that has yet to mark
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
 * Locks: the watch lock is taken before a node's lock, never after; a
 * node's lock, a conflict wait's lock and the queue lock are leaves.  No
 * lock is held while sending FUSE notifications (inotify calls are made
 * under the watch lock).
 */
#include "coherence.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "log.h"

/* How long a write waits for a drop that may be stuck behind a
 * concurrent write's locked pages (rule 4). */
#define CONFLICT_STUCK_MS 20 /* the other write waits for us this long */
#define CONFLICT_MAX_MS 5000 /* safety net */
#define CONFLICT_SLICE_MS 2
/* At most this many threads for one conflicting drop. */
#define CONFLICT_THREADS 16
/* How long a drop waits for an overlapping one of the same inode. */
#define GATE_WAIT_MS 50
/* How long a write waits for the kernel to show it a page (rule 8). */
#define LOOK_WAIT_MS 1000
/* How long a write keeps looking at a page of its own entry that the
 * kernel does not show, for a reader to mark it uptodate (rule 8). */
#define SLOW_READER_US 1600
/* Targets of a write planned without allocating. */
#define STACK_TARGETS 32

/* A drop in progress (rule 8); on the dropping thread's stack. */
struct co_gate {
	uint64_t ino, lo, hi; /* pages, in bytes of the entry */
	struct co_gate *next;
};

struct mmapfs_co_node {
	pthread_mutex_t lock;
	pthread_cond_t gate_cond;
	struct mmapfs_cached set;
	struct co_gate *gates;
	struct mmapfs_co_write *writes;	 /* in flight */
	struct mmapfs_co_write *arrived; /* not yet checked (rule 8) */
	uint64_t reads;			 /* READs counted (rule 8) */
	uint64_t next_seq;
	uint64_t epoch; /* outside changes seen (rule 7) */
	/* Under the watch lock: */
	atomic_int watch; /* 0: not yet, 1: watched, -1: cannot be */
	int wd;		  /* its watch descriptor when watched */
	uint32_t wd_next; /* next node + 1 on the same watch */
	atomic_bool has_siblings;
};

struct mmapfs_co_job {
	uint32_t node;
	uint64_t ino; /* inode to drop, or parent of `name` */
	uint64_t off, len;
	char *name; /* a dentry */
	struct mmapfs_co_job *next;
};

struct co_target {
	uint64_t ino, off, len; /* off relative to the entry */
	bool conflict;		/* the alias has a write in flight (rule 4) */
	uint64_t with;		/* that write's seq */
};

/* A writer waiting for its conflicting drops (rule 4). */
struct co_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned pending;	    /* drops not finished */
	unsigned refs;		    /* the waiter and every running drop */
	struct co_conflict *pieces; /* every drop started, freed with it */
};

/*
 * A look at the kernel's copy of part of one page of an entry (rule 8):
 * the writer waits on it, the retrieve_reply operation answers it.
 */
enum look_result { LOOK_UNKNOWN, LOOK_SAME, LOOK_DIFFERS, LOOK_ABSENT };

struct co_look {
	uint64_t id; /* the cookie: a late answer finds no look */
	const uint8_t *want;
	size_t len;
	bool answered;
	enum look_result result;
	struct co_look *next;
};

/* One conflicting drop, on a thread of its own. */
struct co_conflict {
	struct mmapfs_co *c;
	struct mmapfs_co_job job;
	struct co_wait *wait;
	bool done; /* under wait->lock */
	struct co_conflict *next;
};

int mmapfs_co_init(struct mmapfs_co *c, const struct mmapfs_tree *tree,
		   const struct mmapfs_layout *layout, uint64_t chunk,
		   bool sync, enum mmapfs_cache_mode mode, uint32_t bound)
{
	pthread_condattr_t mono;

	memset(c, 0, sizeof(*c));
	c->inotify_fd = -1;
	c->nodes = calloc(tree->nnodes, sizeof(*c->nodes));
	if (c->nodes == NULL)
		return -ENOMEM;
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	for (uint32_t i = 0; i < tree->nnodes; i++) {
		pthread_mutex_init(&c->nodes[i].lock, NULL);
		pthread_cond_init(&c->nodes[i].gate_cond, &mono);
		c->nodes[i].wd = -1;
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
	c->bound = bound;
	c->page = (uint64_t)sysconf(_SC_PAGESIZE);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_mutex_init(&c->qlock, NULL);
	pthread_cond_init(&c->qcond, NULL);
	if (mode == MMAPFS_CACHE_OPEN)
		return 0; /* every open rereads: nothing to watch */
	c->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->inotify_fd < 0)
		log_warn("inotify: %s: entries are reread at every open",
			 strerror(errno));
	return 0;
}

void mmapfs_co_set_session(struct mmapfs_co *c, struct fuse_session *se)
{
	c->se = se;
}

static uint64_t round_down(uint64_t v, uint64_t p)
{
	return v - v % p;
}

/* [lo, hi) widened to whole pages, saturating at 2^64 - 1. */
static void page_span(uint64_t lo, uint64_t hi, uint64_t p, uint64_t *plo,
		      uint64_t *phi)
{
	*plo = round_down(lo, p);
	*phi = hi % p == 0 ? hi
			   : (hi > UINT64_MAX - p ? UINT64_MAX
						  : round_down(hi, p) + p);
}

/* [*lo, *hi) grown to cover [off, end); empty when *lo >= *hi. */
static void span_add(uint64_t *lo, uint64_t *hi, uint64_t off, uint64_t end)
{
	if (*lo >= *hi) {
		*lo = off;
		*hi = end;
		return;
	}
	if (off < *lo)
		*lo = off;
	if (end > *hi)
		*hi = end;
}

/* Another write in flight on `ino` whose pages meet [lo, hi)? */
static const struct mmapfs_co_write *busy_alias(struct mmapfs_co_node *n,
						uint64_t ino, uint64_t lo,
						uint64_t hi, uint64_t page)
{
	uint64_t plo, phi, qlo, qhi;

	page_span(lo, hi, page, &plo, &phi);
	for (struct mmapfs_co_write *x = n->writes; x != NULL; x = x->next) {
		if (x->ino != ino)
			continue;
		page_span(x->off, x->off + x->len, page, &qlo, &qhi);
		if (qlo < phi && plo < qhi)
			return x;
	}
	return NULL;
}

/* Now + ms on `clock`, for timed waits. */
static void deadline_in(clockid_t clock, long ms, struct timespec *t)
{
	clock_gettime(clock, t);
	t->tv_nsec += ms * 1000000L;
	t->tv_sec += t->tv_nsec / 1000000000L;
	t->tv_nsec %= 1000000000L;
}

/* Wait (bounded) for overlapping drops of the same inode, then join. */
static void gate_enter(struct mmapfs_co_node *n, struct co_gate *g)
{
	struct timespec deadline;

	deadline_in(CLOCK_MONOTONIC, GATE_WAIT_MS, &deadline);
	pthread_mutex_lock(&n->lock);
	for (;;) {
		const struct co_gate *x = n->gates;

		while (x != NULL &&
		       (x->ino != g->ino || x->hi <= g->lo || g->hi <= x->lo))
			x = x->next;
		if (x == NULL || pthread_cond_timedwait(&n->gate_cond, &n->lock,
							&deadline) != 0)
			break;
	}
	g->next = n->gates;
	n->gates = g;
	pthread_mutex_unlock(&n->lock);
}

static void gate_leave(struct mmapfs_co_node *n, struct co_gate *g)
{
	pthread_mutex_lock(&n->lock);
	for (struct co_gate **pp = &n->gates; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	pthread_cond_broadcast(&n->gate_cond);
	pthread_mutex_unlock(&n->lock);
}

/*
 * Drop the cached pages of entry `ino` over [off, off + len) (relative to
 * the entry), through the file's gate (rule 8) unless `gated` is false:
 * the drops of a conflict (rule 4) must be blocked by nothing but pages,
 * or its cycle detection would excuse a drop that has not even started.
 * True when the kernel dropped them all (or had none).
 */
static bool drop_pages(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		       uint64_t off, uint64_t len, bool gated)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct co_gate g = { .ino = ino };
	int rc;

	page_span(off, off + len, c->page, &g.lo, &g.hi);
	if (gated)
		gate_enter(n, &g);
	rc = fuse_lowlevel_notify_inval_inode(c->se, ino, (off_t)off,
					      (off_t)len);
	if (gated)
		gate_leave(n, &g);
	/* -ENOENT: the kernel does not have it cached, nothing to drop. */
	if (rc != 0 && rc != -ENOENT)
		log_debug("dropping pages of inode %llu: %s",
			  (unsigned long long)ino, strerror(-rc));
	return rc == 0 || rc == -ENOENT;
}

static void run_job(struct mmapfs_co *c, const struct mmapfs_co_job *j,
		    bool gated)
{
	int rc;

	if (j->name != NULL) {
		rc = fuse_lowlevel_notify_inval_entry(c->se, j->ino, j->name,
						      strlen(j->name));
		if (rc != 0 && rc != -ENOENT)
			log_debug("invalidating name %s: %s", j->name,
				  strerror(-rc));
	} else {
		drop_pages(c, j->node, j->ino, j->off, j->len, gated);
	}
}

static void *helper_main(void *arg)
{
	struct mmapfs_co *c = arg;

	pthread_mutex_lock(&c->qlock);
	while (!c->stopping) {
		struct mmapfs_co_job *j = c->qhead;

		if (j == NULL) {
			pthread_cond_wait(&c->qcond, &c->qlock);
			continue;
		}
		c->qhead = j->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		pthread_mutex_unlock(&c->qlock);
		run_job(c, j, true);
		free(j->name);
		free(j);
		pthread_mutex_lock(&c->qlock);
	}
	pthread_mutex_unlock(&c->qlock);
	return NULL;
}

int mmapfs_co_start(struct mmapfs_co *c)
{
	int rc = pthread_create(&c->helper, NULL, helper_main, c);

	if (rc != 0)
		return -rc;
	c->helper_running = true;
	return 0;
}

static void free_queue(struct mmapfs_co *c)
{
	while (c->qhead != NULL) {
		struct mmapfs_co_job *j = c->qhead;

		c->qhead = j->next;
		free(j->name);
		free(j);
	}
	c->qtail = NULL;
}

void mmapfs_co_stop(struct mmapfs_co *c)
{
	struct timespec deadline;

	if (!c->helper_running)
		return;
	pthread_mutex_lock(&c->qlock);
	c->stopping = true;
	pthread_cond_signal(&c->qcond);
	pthread_mutex_unlock(&c->qlock);
	/*
	 * The helper may wait in the kernel for a request nobody will answer
	 * any more (the loop has ended); do not hang the shutdown on it.
	 */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	if (pthread_timedjoin_np(c->helper, NULL, &deadline) != 0) {
		log_warn("invalidation thread stuck at shutdown: cancelled");
		pthread_cancel(c->helper);
		pthread_join(c->helper, NULL);
	}
	c->helper_running = false;
	free_queue(c);
	/* Conflict threads end once the unmount has released every page. */
	for (int i = 0; i < 5000 && atomic_load(&c->nconflicts) > 0; i++)
		usleep(1000);
	if (atomic_load(&c->nconflicts) > 0)
		log_warn("invalidation threads still running at shutdown");
}

void mmapfs_co_destroy(struct mmapfs_co *c)
{
	if (c == NULL || c->nodes == NULL)
		return;
	mmapfs_co_stop(c);
	for (uint32_t i = 0; i < c->nnodes; i++) {
		pthread_mutex_destroy(&c->nodes[i].lock);
		pthread_cond_destroy(&c->nodes[i].gate_cond);
		mmapfs_cached_destroy(&c->nodes[i].set);
	}
	free(c->nodes);
	c->nodes = NULL;
	if (c->inotify_fd >= 0)
		close(c->inotify_fd);
	c->inotify_fd = -1;
	free(c->wd_first);
	c->wd_first = NULL;
	pthread_mutex_destroy(&c->wlock);
	pthread_mutex_destroy(&c->qlock);
	pthread_cond_destroy(&c->qcond);
	pthread_mutex_destroy(&c->llock);
	pthread_cond_destroy(&c->lcond);
}

/* Hand a job to the helper thread (which owns it then). */
static void enqueue(struct mmapfs_co *c, struct mmapfs_co_job *j)
{
	pthread_mutex_lock(&c->qlock);
	if (!c->stopping && c->helper_running) {
		j->next = NULL;
		if (c->qtail != NULL)
			c->qtail->next = j;
		else
			c->qhead = j;
		c->qtail = j;
		j = NULL;
		pthread_cond_signal(&c->qcond);
	}
	pthread_mutex_unlock(&c->qlock);
	if (j != NULL) {
		free(j->name);
		free(j);
	}
}

static struct mmapfs_co_job *job_new(uint32_t node, uint64_t ino)
{
	struct mmapfs_co_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		log_err("out of memory queueing an invalidation");
		return NULL;
	}
	j->node = node;
	j->ino = ino;
	return j;
}

static void enqueue_drop(struct mmapfs_co *c, uint32_t node, uint64_t ino,
			 uint64_t off, uint64_t len)
{
	struct mmapfs_co_job *j = job_new(node, ino);

	if (j == NULL)
		return;
	j->off = off;
	j->len = len;
	enqueue(c, j);
}

/* The file's epoch moved: its cached entries are stale (rule 7). */
static void bump_epoch(struct mmapfs_co *c, uint32_t node)
{
	struct mmapfs_co_node *n = &c->nodes[node];

	pthread_mutex_lock(&n->lock);
	n->epoch++;
	pthread_mutex_unlock(&n->lock);
}

/* Every node on watch `wd` but `except` (UINT32_MAX: none); under the
 * watch lock. */
static void bump_watch_locked(struct mmapfs_co *c, int wd, uint32_t except)
{
	if (wd < 0 || (size_t)wd >= c->nwd)
		return;
	for (uint32_t i = c->wd_first[wd]; i != 0; i = c->nodes[i - 1].wd_next)
		if (i - 1 != except)
			bump_epoch(c, i - 1);
}

/* Watch the node's backing file, once; before its first entry caches.
 * A file that cannot be watched is reread at every open (rule 7). */
static void watch_node(struct mmapfs_co *c, uint32_t node)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	const char *path = c->tree->nodes[node].path;
	int wd;

	if (c->inotify_fd < 0 || atomic_load(&n->watch) != 0)
		return;
	pthread_mutex_lock(&c->wlock);
	if (atomic_load(&n->watch) != 0)
		goto out;
	atomic_store(&n->watch, -1);
	wd = inotify_add_watch(c->inotify_fd, path,
			       IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF);
	if (wd < 0) {
		if (!c->watch_warned)
			log_warn("cannot watch %s (%s): entries of files that "
				 "cannot be watched are reread at every open",
				 path, strerror(errno));
		else
			log_debug("cannot watch %s: %s", path, strerror(errno));
		c->watch_warned = true;
		goto out;
	}
	if ((size_t)wd >= c->nwd) {
		size_t nwd = (size_t)wd * 2 + 16;
		uint32_t *grown = realloc(c->wd_first, nwd * sizeof(*grown));

		if (grown == NULL) {
			log_err("out of memory watching %s", path);
			inotify_rm_watch(c->inotify_fd, wd);
			goto out;
		}
		memset(grown + c->nwd, 0, (nwd - c->nwd) * sizeof(*grown));
		c->wd_first = grown;
		c->nwd = nwd;
	}
	/* The same file under another name (a hard link): one watch. */
	for (uint32_t i = c->wd_first[wd]; i != 0; i = c->nodes[i - 1].wd_next)
		atomic_store(&c->nodes[i - 1].has_siblings, true);
	if (c->wd_first[wd] != 0)
		atomic_store(&n->has_siblings, true);
	n->wd = wd;
	n->wd_next = c->wd_first[wd];
	c->wd_first[wd] = node + 1;
	atomic_store(&n->watch, 1);
out:
	pthread_mutex_unlock(&c->wlock);
}

/* The kernel removed watch `wd` (its file is gone): every node on it is
 * watched again, by path, at its next open.  Under the watch lock. */
static void unwatch_locked(struct mmapfs_co *c, int wd)
{
	uint32_t i;

	if (wd < 0 || (size_t)wd >= c->nwd)
		return;
	i = c->wd_first[wd];
	c->wd_first[wd] = 0;
	while (i != 0) {
		struct mmapfs_co_node *n = &c->nodes[i - 1];

		i = n->wd_next;
		n->wd_next = 0;
		n->wd = -1;
		atomic_store(&n->watch, 0);
	}
}

/* Apply the events pending on the inotify instance (rule 7). */
static void watch_drain(struct mmapfs_co *c)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t got;

	if (c->inotify_fd < 0)
		return;
	pthread_mutex_lock(&c->wlock);
	while ((got = read(c->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + got;) {
			const struct inotify_event *ev = (const void *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				for (uint32_t i = 0; i < c->nnodes; i++)
					bump_epoch(c, i);
				continue;
			}
			/* IN_MODIFY, IN_DELETE_SELF, IN_MOVE_SELF, IN_IGNORED:
			 * all make the nodes on the watch stale. */
			bump_watch_locked(c, ev->wd, UINT32_MAX);
			if (ev->mask & IN_IGNORED)
				unwatch_locked(c, ev->wd);
			else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
				/* The name may lead to another file now:
				 * drop the watch (IN_IGNORED follows). */
				inotify_rm_watch(c->inotify_fd, ev->wd);
		}
	}
	pthread_mutex_unlock(&c->wlock);
}

/* A write through `node` changed the file under its other names. */
static void bump_siblings(struct mmapfs_co *c, uint32_t node)
{
	if (!atomic_load(&c->nodes[node].has_siblings))
		return;
	pthread_mutex_lock(&c->wlock);
	bump_watch_locked(c, c->nodes[node].wd, node);
	pthread_mutex_unlock(&c->wlock);
}

int mmapfs_co_opened(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		     uint64_t off, uint64_t len, bool *keep_cache)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;
	uint32_t dirtied;
	uint64_t epoch, reads;
	bool added, stale, dropped;

	*keep_cache = true;
	if (c->mode != MMAPFS_CACHE_OPEN) {
		watch_node(c, node);
		watch_drain(c);
	}
	pthread_mutex_lock(&n->lock);
	r = mmapfs_cached_add(&n->set, ino, off, len, &added);
	if (r == NULL) {
		pthread_mutex_unlock(&n->lock);
		return -ENOMEM;
	}
	if (added) {
		atomic_fetch_add(&c->records, 1);
		atomic_fetch_add(&c->closed, 1);
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
	if (mmapfs_cached_open(&n->set, r))
		atomic_fetch_sub(&c->closed, 1);
	pthread_mutex_unlock(&n->lock);
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
	dropped = drop_pages(c, node, ino, 0, len, true);
	pthread_mutex_lock(&n->lock);
	if (r->dirtied == dirtied)
		r->stale = false;
	if (dropped && r->last_read <= reads)
		r->read_lo = r->read_hi = 0;
	if (r->epoch < epoch)
		r->epoch = epoch;
	pthread_mutex_unlock(&n->lock);
	return 0;
}

void mmapfs_co_released(struct mmapfs_co *c, uint32_t node, uint64_t ino)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;
	uint32_t misses = 0;

	pthread_mutex_lock(&n->lock);
	r = mmapfs_cached_find(&n->set, ino);
	if (r != NULL && mmapfs_cached_close(&n->set, r))
		atomic_fetch_add(&c->closed, 1);
	pthread_mutex_unlock(&n->lock);
	/*
	 * The bound is the mount's.  Beyond it the files forget their least
	 * recently closed entry in turn, one each, so that the files in use
	 * keep a share and idle ones lose theirs (one lock at a time, none
	 * held here).  Open records are never forgotten: while more than the
	 * bound are open, the mount holds more.
	 */
	while (atomic_load(&c->records) > c->bound &&
	       atomic_load(&c->closed) > 0 && misses < c->nnodes) {
		struct mmapfs_co_node *v =
			&c->nodes[atomic_fetch_add(&c->forget_next, 1) %
				  c->nnodes];
		bool forgot;

		pthread_mutex_lock(&v->lock);
		forgot = atomic_load(&c->records) > c->bound &&
			 mmapfs_cached_forget_oldest(&v->set);
		pthread_mutex_unlock(&v->lock);
		if (forgot) {
			atomic_fetch_sub(&c->records, 1);
			atomic_fetch_sub(&c->closed, 1);
			misses = 0;
		} else {
			misses++;
		}
	}
}

/* Take w out of the in-flight list; under the node's lock. */
static void unregister_locked(struct mmapfs_co_node *n,
			      struct mmapfs_co_write *w)
{
	for (struct mmapfs_co_write **pp = &n->writes; *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

/* Pieces of one kind overlapping the write: [*first, *last]. */
static uint64_t pieces_of(const struct mmapfs_co *c,
			  const struct mmapfs_co_write *w, uint64_t piece,
			  uint64_t *first)
{
	uint64_t max = mmapfs_layout_max_index(c->layout);
	uint64_t last = (w->off + w->len - 1) / piece;

	*first = w->off / piece;
	if (*first > max)
		return 0;
	return (last < max ? last : max) - *first + 1;
}

/* Register w and list (up to max) the cached aliases to drop; under the
 * node's lock. */
static size_t plan_locked(struct mmapfs_co *c, struct mmapfs_co_node *n,
			  struct mmapfs_co_write *w, struct co_target *t,
			  size_t max)
{
	static const enum mmapfs_kind kinds[] = { MMAPFS_K_CHUNK,
						  MMAPFS_K_PAGE };
	uint64_t w_hi = w->off + w->len;
	size_t nt = 0;

	w->seq = ++n->next_seq;
	w->blocked_on = 0;
	w->waiting = false;
	w->next = n->writes;
	n->writes = w;
	if (n->set.count == 0)
		return 0;
	for (size_t k = 0; k < 2; k++) {
		uint64_t piece =
			kinds[k] == MMAPFS_K_CHUNK ? c->chunk : c->page;
		uint64_t first, count = pieces_of(c, w, piece, &first);

		for (uint64_t i = first; i < first + count; i++) {
			struct mmapfs_ino id = { w->node, kinds[k], i };
			uint64_t ino = mmapfs_ino_encode(c->layout, &id);
			struct mmapfs_cached_rec *r;
			const struct mmapfs_co_write *x;
			uint64_t lo, hi;

			r = ino == w->ino ? NULL
					  : mmapfs_cached_find(&n->set, ino);
			if (r == NULL)
				continue;
			lo = r->off > w->off ? r->off : w->off;
			hi = r->off + r->len < w_hi ? r->off + r->len : w_hi;
			if (lo >= hi)
				continue;
			/* Dropped at its next open, whatever happens now. */
			mmapfs_cached_dirty(r);
			if (r->opens == 0 || nt == max)
				continue;
			x = busy_alias(n, ino, lo, hi, c->page);
			t[nt++] = (struct co_target){
				.ino = ino,
				.off = lo - r->off,
				.len = hi - lo,
				.conflict = x != NULL,
				.with = x != NULL ? x->seq : 0,
			};
		}
	}
	return nt;
}

static struct co_wait *wait_new(void)
{
	struct co_wait *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->refs = 1;
	return w;
}

static void wait_put(struct co_wait *w)
{
	bool last;

	pthread_mutex_lock(&w->lock);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (!last)
		return;
	while (w->pieces != NULL) {
		struct co_conflict *cf = w->pieces;

		w->pieces = cf->next;
		free(cf);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

static void *conflict_main(void *arg)
{
	struct co_conflict *cf = arg;
	struct mmapfs_co *c = cf->c;

	run_job(c, &cf->job, false);
	pthread_mutex_lock(&cf->wait->lock);
	cf->wait->pending--;
	cf->done = true;
	pthread_cond_signal(&cf->wait->cond);
	pthread_mutex_unlock(&cf->wait->lock);
	wait_put(cf->wait);		     /* may free cf */
	atomic_fetch_sub(&c->nconflicts, 1); /* last touch of c */
	return NULL;
}

/* Start one conflicting invalidation on its own thread; 0 or -1. */
static int conflict_start(struct mmapfs_co *c, struct co_wait *w, uint32_t node,
			  const struct co_target *t)
{
	struct co_conflict *cf = malloc(sizeof(*cf));
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (cf == NULL)
		return -1;
	*cf = (struct co_conflict){
		.c = c,
		.job = { .node = node,
			 .ino = t->ino,
			 .off = t->off,
			 .len = t->len },
		.wait = w,
	};
	pthread_mutex_lock(&w->lock);
	w->pending++;
	w->refs++;
	cf->next = w->pieces;
	w->pieces = cf;
	pthread_mutex_unlock(&w->lock);
	atomic_fetch_add(&c->nconflicts, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, conflict_main, cf);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return 0;
	atomic_fetch_sub(&c->nconflicts, 1);
	pthread_mutex_lock(&w->lock);
	w->pending--;
	w->refs--;
	cf->done = true; /* freed with the wait */
	pthread_mutex_unlock(&w->lock);
	return -1;
}

/*
 * Is every drop still pending on an inode with a write in flight that may
 * be waiting for our inode (a cycle, rule 4)?  The pages are then locked
 * by that write, not uptodate, and read again after its reply.  (Large
 * folios make pages' spans useless here: a write locks its whole folio.)
 * A page locked by a READ can still be among them; the entry is dropped
 * whole at its next open (rule 1), but open descriptors may read its old
 * bytes once the READ is answered, until the pending drop takes it.
 */
static bool cycle_suspected(struct mmapfs_co_node *n,
			    const struct mmapfs_co_write *me, struct co_wait *w)
{
	uint64_t inos[CONFLICT_THREADS];
	size_t ni = 0;
	bool excused = true;

	pthread_mutex_lock(&w->lock);
	for (const struct co_conflict *cf = w->pieces; cf != NULL;
	     cf = cf->next) {
		size_t i = 0;

		if (cf->done)
			continue;
		while (i < ni && inos[i] != cf->job.ino)
			i++;
		if (i < ni)
			continue;
		if (ni == CONFLICT_THREADS) {
			excused = false;
			break;
		}
		inos[ni++] = cf->job.ino;
	}
	pthread_mutex_unlock(&w->lock);
	if (!excused || ni == 0)
		return false;
	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < ni && excused; i++) {
		const struct mmapfs_co_write *x = n->writes;

		while (x != NULL && (x->ino != inos[i] || x == me ||
				     !(x->blocked_on == me->ino || x->waiting)))
			x = x->next;
		excused = x != NULL;
	}
	pthread_mutex_unlock(&n->lock);
	return excused;
}

/* Wait up to `ms` for the drops started on w; true when all finished. */
static bool wait_drops(struct co_wait *w, long ms)
{
	struct timespec deadline;
	bool done;

	deadline_in(CLOCK_REALTIME, ms, &deadline);
	pthread_mutex_lock(&w->lock);
	while (w->pending > 0 &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == 0)
		;
	done = w->pending == 0;
	pthread_mutex_unlock(&w->lock);
	return done;
}

/*
 * Wait for the conflicting invalidations.  Give up only when a write we
 * conflict with has been waiting for our own inode for CONFLICT_STUCK_MS
 * (a cycle, rule 4), or after CONFLICT_MAX_MS whatever happens.
 */
static void conflict_wait(const struct mmapfs_co *c, struct co_wait *w,
			  struct mmapfs_co_node *n, struct mmapfs_co_write *me)
{
	unsigned stuck = 0, total = 0;
	bool done = false;

	pthread_mutex_lock(&n->lock);
	me->waiting = true;
	pthread_mutex_unlock(&n->lock);
	while (!done && stuck < CONFLICT_STUCK_MS && total < CONFLICT_MAX_MS) {
		done = wait_drops(w, CONFLICT_SLICE_MS);
		total += CONFLICT_SLICE_MS;
		if (!done && cycle_suspected(n, me, w))
			stuck += CONFLICT_SLICE_MS;
		else
			stuck = 0;
	}
	pthread_mutex_lock(&n->lock);
	me->waiting = false;
	pthread_mutex_unlock(&n->lock);
	if (!done && total >= CONFLICT_MAX_MS)
		log_warn("invalidation of an alias still blocked after %u ms",
			 total);
}

/*
 * Invalidate a conflicting target page by page, each page on its own
 * thread (groups of pages beyond CONFLICT_THREADS), so that a page the
 * kernel keeps locked delays only itself (rule 4).
 */
static void conflict_split(struct mmapfs_co *c, struct co_wait *w,
			   uint32_t node, const struct co_target *t)
{
	uint64_t first = t->off / c->page;
	uint64_t last = (t->off + t->len - 1) / c->page;
	uint64_t pages = last - first + 1;
	uint64_t per = (pages + CONFLICT_THREADS - 1) / CONFLICT_THREADS;

	for (uint64_t p = first; p <= last; p += per) {
		uint64_t lo = p == first ? t->off : p * c->page;
		uint64_t end = (p + per) * c->page;
		uint64_t hi = t->off + t->len < end ? t->off + t->len : end;
		struct co_target piece = { .ino = t->ino,
					   .off = lo,
					   .len = hi - lo,
					   .conflict = true,
					   .with = t->with };

		if (conflict_start(c, w, node, &piece) != 0)
			enqueue_drop(c, node, piece.ino, piece.off, piece.len);
	}
}

/*
 * Drop the pages of an alias (rule 2).  The pages that READs of it
 * counted before the drop filled are gone with it: when they covered no
 * more than those pages and no READ came meanwhile, none can have put
 * back bytes from before a write (rule 8).
 */
static void drop_alias(struct mmapfs_co *c, struct mmapfs_co_node *n,
		       uint32_t node, const struct co_target *t)
{
	struct mmapfs_cached_rec *r;
	uint64_t reads, lo, hi;

	pthread_mutex_lock(&n->lock);
	reads = n->reads;
	pthread_mutex_unlock(&n->lock);
	if (!drop_pages(c, node, t->ino, t->off, t->len, true))
		return;
	page_span(t->off, t->off + t->len, c->page, &lo, &hi);
	pthread_mutex_lock(&n->lock);
	r = mmapfs_cached_find(&n->set, t->ino);
	if (r != NULL && r->last_read <= reads && lo <= r->read_lo &&
	    r->read_hi <= hi)
		r->read_lo = r->read_hi = 0;
	pthread_mutex_unlock(&n->lock);
}

static void set_blocked_on(struct mmapfs_co_node *n, struct mmapfs_co_write *me,
			   uint64_t ino)
{
	pthread_mutex_lock(&n->lock);
	me->blocked_on = ino;
	pthread_mutex_unlock(&n->lock);
}

/* Carry out the plan: inline, on conflict threads, or queued (-s). */
static void invalidate(struct mmapfs_co *c, struct mmapfs_co_node *n,
		       struct mmapfs_co_write *me, const struct co_target *t,
		       size_t nt)
{
	struct co_wait *w = NULL;

	for (size_t i = 0; i < nt; i++) {
		if (!c->sync || !t[i].conflict)
			continue;
		if (w == NULL)
			w = wait_new();
		if (w != NULL)
			conflict_split(c, w, me->node, &t[i]);
		else
			enqueue_drop(c, me->node, t[i].ino, t[i].off, t[i].len);
	}
	for (size_t i = 0; i < nt; i++) {
		if (!c->sync) {
			enqueue_drop(c, me->node, t[i].ino, t[i].off, t[i].len);
		} else if (!t[i].conflict) {
			set_blocked_on(n, me, t[i].ino);
			drop_alias(c, n, me->node, &t[i]);
			set_blocked_on(n, me, 0);
		}
	}
	if (w != NULL) {
		conflict_wait(c, w, n, me);
		wait_put(w);
	}
}

/*
 * Compare what the kernel caches of entry `ino` over [off, off + len),
 * inside one page, with `want`.  LOOK_UNKNOWN when no answer came (an
 * unmount, a kernel without retrieve).
 */
static enum look_result look(struct mmapfs_co *c, uint64_t ino, uint64_t off,
			     const void *want, size_t len)
{
	struct co_look l = { .want = want, .len = len };
	struct timespec deadline;
	int rc;

	pthread_mutex_lock(&c->llock);
	l.id = ++c->look_next;
	l.next = c->looks;
	c->looks = &l;
	pthread_mutex_unlock(&c->llock);
	rc = fuse_lowlevel_notify_retrieve(c->se, ino, len, (off_t)off,
					   (void *)(uintptr_t)l.id);
	deadline_in(CLOCK_MONOTONIC, LOOK_WAIT_MS, &deadline);
	pthread_mutex_lock(&c->llock);
	if (rc == -ENOENT) { /* the kernel has no such inode cached */
		l.answered = true;
		l.result = LOOK_ABSENT;
	}
	while (rc == 0 && !l.answered &&
	       pthread_cond_timedwait(&c->lcond, &c->llock, &deadline) == 0)
		;
	for (struct co_look **pp = &c->looks; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == &l) {
			*pp = l.next;
			break;
		}
	}
	pthread_mutex_unlock(&c->llock);
	if (!l.answered || l.result == LOOK_UNKNOWN)
		log_warn("the kernel did not show a written page of inode %llu "
			 "(%s): it is dropped after the reply",
			 (unsigned long long)ino,
			 rc != 0 ? strerror(-rc) : "no answer");
	return l.answered ? l.result : LOOK_UNKNOWN;
}

void mmapfs_co_retrieved(struct mmapfs_co *c, void *cookie,
			 struct fuse_bufvec *bufv)
{
	uint64_t id = (uintptr_t)cookie;
	size_t have = fuse_buf_size(bufv);
	uint8_t *got = have > 0 ? malloc(have) : NULL;
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(have);
	struct co_look *l;

	/* The bytes may sit in a pipe: copy them out first. */
	dst.buf[0].mem = got;
	if (got != NULL && fuse_buf_copy(&dst, bufv, 0) != (ssize_t)have) {
		free(got);
		got = NULL;
	}
	pthread_mutex_lock(&c->llock);
	for (l = c->looks; l != NULL && l->id != id; l = l->next)
		;
	if (l != NULL) {
		l->answered = true;
		if (have < l->len)
			l->result = LOOK_ABSENT; /* the page is not cached */
		else if (got == NULL)
			l->result = LOOK_UNKNOWN; /* out of memory */
		else if (memcmp(got, l->want, l->len) == 0)
			l->result = LOOK_SAME;
		else
			l->result = LOOK_DIFFERS;
	}
	pthread_cond_broadcast(&c->lcond);
	pthread_mutex_unlock(&c->llock);
	free(got);
}

/*
 * Look at a page that the kernel did not show, again, for up to about
 * SLOW_READER_US: a reader that was answered before the write arrived
 * may still have to mark it uptodate (rule 8).  Stops at the first
 * answer other than LOOK_ABSENT.
 */
static enum look_result look_while_absent(struct mmapfs_co *c, uint64_t ino,
					  uint64_t off, const void *want,
					  size_t len)
{
	enum look_result res = LOOK_ABSENT;

	for (long us = 50; us <= SLOW_READER_US / 2 && res == LOOK_ABSENT;
	     us *= 2) {
		struct timespec t = { .tv_nsec = us * 1000L };

		nanosleep(&t, NULL);
		res = look(c, ino, off, want, len);
	}
	return res;
}

/*
 * Rule 8: when the written entry answered a READ over the pages this
 * write covers since its previous write, drop those pages, before the
 * reply.  All but the last one, which the kernel keeps locked until the
 * reply when the write covers part of it and it was not uptodate: that
 * one is looked at first, and dropped only if it does not hold the bytes
 * written or a READ of it was answered since the write arrived (either
 * way it is not the write's, so not locked by it); after the reply (in
 * w) when the kernel does not answer.
 */
static void drop_own(struct mmapfs_co *c, struct mmapfs_co_node *n,
		     struct mmapfs_co_write *w)
{
	struct mmapfs_cached_rec *r;
	uint64_t start = 0, hi = 0, lo, edge;
	const uint8_t *want;
	enum look_result res;
	bool need = false, late;

	pthread_mutex_lock(&n->lock);
	r = mmapfs_cached_find(&n->set, w->ino);
	if (r != NULL) {
		start = w->off - r->off;
		hi = start + w->len;
		page_span(start, hi, c->page, &lo, &edge);
		need = r->read_lo < edge && lo < r->read_hi;
		r->read_lo = r->read_hi = 0;
	}
	late = w->late;
	pthread_mutex_unlock(&n->lock);
	if (!need)
		return;
	/* The last page, unless written whole from its start (a write
	 * starting inside its only page is partial too). */
	edge = round_down(hi - 1, c->page);
	if (start <= edge && hi - edge == c->page)
		edge = hi;
	lo = round_down(start, c->page);
	if (edge > lo)
		drop_pages(c, w->node, w->ino, lo, edge - lo, false);
	if (edge == hi)
		return;
	lo = edge > start ? edge : start;
	want = (const uint8_t *)w->data + (lo - start);
	res = look(c, w->ino, lo, want, hi - lo);
	if (res == LOOK_ABSENT && !late)
		res = look_while_absent(c, w->ino, lo, want, hi - lo);
	switch (res) {
	case LOOK_SAME:
		break; /* current */
	case LOOK_DIFFERS:
		drop_pages(c, w->node, w->ino, lo, hi - lo, false);
		break;
	case LOOK_ABSENT:
		/* A READ of it answered since the write arrived: the write
		 * holds no lock of it (it took its pages before it was sent,
		 * and would have waited for that READ's). */
		if (late)
			drop_pages(c, w->node, w->ino, lo, hi - lo, false);
		break;
	case LOOK_UNKNOWN:
		w->after_off = lo;
		w->after_len = hi - lo;
		break;
	}
}

/* Off the arrived list; under the node's lock. */
static void depart_locked(struct mmapfs_co_node *n, struct mmapfs_co_write *w)
{
	if (!w->arrived)
		return;
	for (struct mmapfs_co_write **pp = &n->arrived; *pp != NULL;
	     pp = &(*pp)->anext) {
		if (*pp == w) {
			*pp = w->anext;
			break;
		}
	}
	w->arrived = false;
}

void mmapfs_co_write_arrive(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	struct mmapfs_co_node *n = &c->nodes[w->node];

	w->arrived = false;
	w->late = false;
	if (!c->sync || w->writeback || w->len == 0)
		return; /* no drop_own for it */
	w->last_page = round_down(w->off + w->len - 1 - w->entry_off, c->page);
	pthread_mutex_lock(&n->lock);
	w->anext = n->arrived;
	n->arrived = w;
	w->arrived = true;
	pthread_mutex_unlock(&n->lock);
}

void mmapfs_co_write_abort(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	struct mmapfs_co_node *n = &c->nodes[w->node];

	if (!w->arrived)
		return;
	pthread_mutex_lock(&n->lock);
	depart_locked(n, w);
	pthread_mutex_unlock(&n->lock);
}

void mmapfs_co_write(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	struct mmapfs_co_node *n = &c->nodes[w->node];
	struct co_target stack[STACK_TARGETS], *t = stack;
	uint64_t first, npieces;
	size_t nt = 0;

	w->next = NULL;
	w->after_len = 0;
	if (w->len == 0)
		return;
	npieces = pieces_of(c, w, c->chunk, &first) +
		  pieces_of(c, w, c->page, &first);
	if (npieces > STACK_TARGETS &&
	    (t = malloc(npieces * sizeof(*t))) == NULL) {
		log_err("out of memory: aliases of a write may stay stale");
		t = stack;
		npieces = 0;
	}
	pthread_mutex_lock(&n->lock);
	nt = plan_locked(c, n, w, t, npieces);
	pthread_mutex_unlock(&n->lock);
	invalidate(c, n, w, t, nt);
	if (t != stack)
		free(t);
	if (c->sync && !w->writeback)
		drop_own(c, n, w);

	/*
	 * Out of the list before the reply, not after: once replied, the
	 * writer may write again at once, and a lingering record would make
	 * that next write look concurrent with this one (rule 4).  Only a
	 * hard-linked file's watch lock is taken between here and the reply.
	 */
	pthread_mutex_lock(&n->lock);
	unregister_locked(n, w);
	depart_locked(n, w);
	pthread_mutex_unlock(&n->lock);
	bump_siblings(c, w->node);
}

void mmapfs_co_write_end(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	/* The kernel unlocks the page as the reply reaches the writer.  The
	 * next write through the entry may be in flight already: it must
	 * see this drop (rule 8). */
	if (w->after_len != 0)
		drop_pages(c, w->node, w->ino, w->after_off, w->after_len,
			   false);
}

void mmapfs_co_read(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		    uint64_t off, uint64_t len)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct mmapfs_cached_rec *r;

	if (!c->sync || len == 0) /* rule 8 is the multi-threaded loop's */
		return;
	pthread_mutex_lock(&n->lock);
	n->reads++;
	/* Answered after these writes arrived. */
	for (struct mmapfs_co_write *x = n->arrived; x != NULL; x = x->anext)
		if (x->ino == ino && off < x->last_page + c->page &&
		    x->last_page < off + len)
			x->late = true;
	r = mmapfs_cached_find(&n->set, ino);
	if (r != NULL) {
		span_add(&r->read_lo, &r->read_hi, off, off + len);
		r->last_read = n->reads;
	}
	pthread_mutex_unlock(&n->lock);
}

void mmapfs_co_inval_attr(struct mmapfs_co *c, uint64_t ino)
{
	/* A negative offset drops attributes only: no page locks taken. */
	int rc = fuse_lowlevel_notify_inval_inode(c->se, ino, -1, 0);

	if (rc != 0 && rc != -ENOENT)
		log_debug("invalidating attributes of %llu: %s",
			  (unsigned long long)ino, strerror(-rc));
}

void mmapfs_co_queue_entry(struct mmapfs_co *c, uint64_t parent,
			   const char *name)
{
	struct mmapfs_co_job *j = job_new(0, parent);

	if (j == NULL)
		return;
	j->name = strdup(name);
	if (j->name == NULL) {
		log_err("out of memory queueing an invalidation");
		free(j);
		return;
	}
	enqueue(c, j);
}

/*
 * Added for truncation to 0 (ops_space.c).  The SETATTR that carries it
 * runs with the entry's writes held back (fuse_do_setattr() sets
 * FUSE_NOWRITE, fuse_set_nowrite(), until our reply), so a drop of the
 * entry's own pages that meets a page dirtied through a shared mmap() waits
 * for a WRITE the kernel will not send before the reply.  The drop runs on
 * a thread of its own, as a conflict's drops do (counted in nconflicts for
 * the shutdown), and the caller waits for it only so long.
 */
bool mmapfs_co_drop_own(struct mmapfs_co *c, uint32_t node, uint64_t ino,
			uint64_t off, uint64_t len, long wait_ms)
{
	struct co_target t = { .ino = ino, .off = off, .len = len };
	struct co_wait *w = NULL;
	bool done;

	if (len == 0)
		return true;
	if (c->sync)
		w = wait_new();
	if (w == NULL || conflict_start(c, w, node, &t) != 0) {
		if (w != NULL)
			wait_put(w);
		enqueue_drop(c, node, ino, off, len); /* -s: rule 5 */
		return false;
	}
	done = wait_drops(w, wait_ms);
	wait_put(w);
	if (!done) {
		/* Dropped whole at its next open, whatever comes (rule 1). */
		struct mmapfs_co_node *n = &c->nodes[node];
		struct mmapfs_cached_rec *r;

		pthread_mutex_lock(&n->lock);
		r = mmapfs_cached_find(&n->set, ino);
		if (r != NULL)
			mmapfs_cached_dirty(r);
		pthread_mutex_unlock(&n->lock);
	}
	return done;
}
