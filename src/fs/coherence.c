/*
 * coherence.c - read-after-write coherence between aliased entries.
 *
 * Why the kernel page cache is kept, and how it is kept correct
 * ------------------------------------------------------------
 * Entries are not opened with direct_io: libfuse 3.14 cannot ask the
 * kernel to allow shared mmap() of direct_io files, and `mmap` of an entry
 * is part of the contract.  Cached entries are also what makes sequential
 * reads fast.  So each inode has its own page cache, and a write through
 * one entry leaves stale pages in the caches of the entries aliasing the
 * same bytes.
 *
 * Rules, from what the kernel does and what was observed on 6.x with
 * libfuse 3.14:
 *
 *  1. Entries are opened without FOPEN_KEEP_CACHE, so every open() drops
 *     the inode's cached pages.  An entry that is not open can therefore
 *     not serve stale data: its next open starts clean.  Only *open*
 *     entries need invalidating, and this module keeps the set of open
 *     entries per file (a few at a time, nothing per entry of the file).
 *     This also gives "changes by other processes are seen at the latest
 *     on the next open".
 *
 *  2. After a write reached the mapping, the writing thread invalidates
 *     (fuse_lowlevel_notify_inval_inode) the overlapping pages of every
 *     *other* open entry, and only then replies.  Invalidating after the
 *     reply, from another thread, was seen to leave an mmap() of an alias
 *     stale: a reader could look between the reply and the invalidation.
 *
 *  3. The entry being written is never invalidated before its own reply:
 *     the kernel holds the locks of the pages being written until the
 *     reply, and invalidate_inode_pages2_range() waits for page locks,
 *     so that deadlocks.  The kernel updates the written inode's own
 *     cache itself (write-through).
 *
 *  4. The same wait makes two concurrent writes to overlapping pages of
 *     two aliases a potential deadlock: the kernel keeps a folio locked
 *     during a write only when the write covers part of a folio that is
 *     not uptodate (checked on this kernel: a fault on an uptodate page
 *     being written does not wait), so each write may hold a page of its
 *     own inode and wait for the other's.  Every write registers itself
 *     (under the file's lock) when it plans; whichever of two such writes
 *     plans second sees the first, invalidates the first one's inode page
 *     by page, each page on its own thread, and waits for them.  It stops
 *     waiting only when the first write has been blocked invalidating the
 *     second one's inode (or in a conflict wait of its own) for
 *     CONFLICT_STUCK_MS: a cycle.  Then the pages still pending are locked
 *     by a write, so not uptodate, and re-read after that write's reply
 *     anyway.  (Page by page because the kernel invalidates a range in
 *     order and would stop at the first locked page, leaving the uptodate
 *     pages behind it stale.)  Nothing is lost for bytes the two writes do
 *     not share (writes racing on the same bytes have no defined order).
 *     A write leaves the list before its reply, so the writer's *next*
 *     write is never taken for a concurrent one: the stress test caught
 *     exactly that as stale reads.  The hardening exerciser (writers on
 *     disjoint bytes of shared pages) caught the earlier designs: deferring
 *     to after the other write's reply, and a fixed timeout.
 *
 *  5. An invalidation may also wait for a READ that the kernel has queued
 *     for the alias (readahead or an mmap fault keep the page locked until
 *     the reply).  Another worker of the multi-threaded loop answers it,
 *     which is why the loop is started with plenty of threads.  With the
 *     single-threaded loop (-s) nobody could answer it, so there every
 *     invalidation is handed to the helper thread and the write replies
 *     without waiting: coherence between aliases is then eventual, and
 *     the man page says so.
 *
 *  6. Dentries are invalidated only from the helper thread:
 *     notify_inval_entry takes the directory's lock, which a LOOKUP in
 *     that directory holds while we answer it.
 *
 * Locks: a node's lock, a conflict wait's lock and the queue lock are
 * leaves, never held together.  No lock is held while talking to the
 * kernel.
 */
#include "coherence.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "log.h"

/* How long a write waits for an invalidation that may be stuck behind a
 * concurrent write's locked pages (rule 4). */
#define CONFLICT_STUCK_MS 20 /* the other write waits for us this long */
#define CONFLICT_MAX_MS 5000 /* safety net */
#define CONFLICT_SLICE_MS 2
/* At most this many threads for one conflicting invalidation. */
#define CONFLICT_THREADS 16

struct co_open {
	uint64_t ino;
	uint64_t off, len; /* backing range the entry covers */
	unsigned count;
};

struct mmapfs_co_node {
	pthread_mutex_t lock;
	struct co_open *opens;
	size_t nopens, cap;
	struct mmapfs_co_write *writes; /* in flight */
	uint64_t next_seq;
};

struct mmapfs_co_job {
	uint64_t ino; /* inode to invalidate, or parent of `name` */
	uint64_t off, len;
	char *name; /* NULL: inode pages; else a dentry */
	struct mmapfs_co_job *next;
};

struct co_target {
	uint64_t ino, off, len; /* off relative to the entry */
	bool conflict;		/* the alias has a write in flight (rule 4) */
	uint64_t with;		/* that write's seq */
};

/* A writer waiting for its conflicting invalidations (rule 4). */
struct co_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned pending; /* invalidations not finished */
	unsigned refs;	  /* the waiter and every running invalidation */
};

struct co_conflict {
	struct mmapfs_co *c;
	struct mmapfs_co_job job;
	struct co_wait *wait;
};

int mmapfs_co_init(struct mmapfs_co *c, uint32_t nnodes, bool sync)
{
	memset(c, 0, sizeof(*c));
	c->nodes = calloc(nnodes, sizeof(*c->nodes));
	if (c->nodes == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < nnodes; i++)
		pthread_mutex_init(&c->nodes[i].lock, NULL);
	c->nnodes = nnodes;
	c->sync = sync;
	c->page = (uint64_t)sysconf(_SC_PAGESIZE);
	pthread_mutex_init(&c->qlock, NULL);
	pthread_cond_init(&c->qcond, NULL);
	return 0;
}

void mmapfs_co_set_session(struct mmapfs_co *c, struct fuse_session *se)
{
	c->se = se;
}

static void run_job(struct mmapfs_co *c, const struct mmapfs_co_job *j)
{
	int rc;

	if (j->name != NULL)
		rc = fuse_lowlevel_notify_inval_entry(c->se, j->ino, j->name,
						      strlen(j->name));
	else
		rc = fuse_lowlevel_notify_inval_inode(
			c->se, j->ino, (off_t)j->off, (off_t)j->len);
	/* -ENOENT: the kernel does not have it cached, nothing to drop. */
	if (rc != 0 && rc != -ENOENT)
		log_debug("invalidating inode %llu: %s",
			  (unsigned long long)j->ino, strerror(-rc));
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
		run_job(c, j);
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
		free(c->nodes[i].opens);
	}
	free(c->nodes);
	c->nodes = NULL;
	pthread_mutex_destroy(&c->qlock);
	pthread_cond_destroy(&c->qcond);
}

static void enqueue(struct mmapfs_co *c, uint64_t ino, uint64_t off,
		    uint64_t len, const char *name)
{
	struct mmapfs_co_job *j = calloc(1, sizeof(*j));

	if (j == NULL || (name != NULL && (j->name = strdup(name)) == NULL)) {
		free(j);
		log_err("out of memory queueing an invalidation");
		return;
	}
	j->ino = ino;
	j->off = off;
	j->len = len;
	pthread_mutex_lock(&c->qlock);
	if (!c->stopping && c->helper_running) {
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

int mmapfs_co_opened(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		     uint64_t off, uint64_t len)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	int rc = 0;

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->nopens; i++) {
		if (n->opens[i].ino == ino) {
			n->opens[i].count++;
			goto out;
		}
	}
	if (n->nopens == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 4;
		struct co_open *grown = realloc(n->opens, cap * sizeof(*grown));

		if (grown == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		n->opens = grown;
		n->cap = cap;
	}
	n->opens[n->nopens++] = (struct co_open){ ino, off, len, 1 };
out:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

void mmapfs_co_released(struct mmapfs_co *c, uint32_t node, uint64_t ino)
{
	struct mmapfs_co_node *n = &c->nodes[node];

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->nopens; i++) {
		if (n->opens[i].ino != ino)
			continue;
		if (--n->opens[i].count == 0)
			n->opens[i] = n->opens[--n->nopens];
		break;
	}
	pthread_mutex_unlock(&n->lock);
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

/* Register w and list the aliases to invalidate; under the node's lock. */
static size_t plan_locked(struct mmapfs_co *c, struct mmapfs_co_node *n,
			  struct mmapfs_co_write *w, struct co_target *t,
			  size_t max)
{
	uint64_t w_hi = w->off + w->len;
	size_t nt = 0;

	w->seq = ++n->next_seq;
	w->blocked_on = 0;
	w->waiting = false;
	w->next = n->writes;
	n->writes = w;
	for (size_t i = 0; i < n->nopens && nt < max; i++) {
		const struct co_open *o = &n->opens[i];
		uint64_t lo = o->off > w->off ? o->off : w->off;
		uint64_t hi = o->off + o->len < w_hi ? o->off + o->len : w_hi;
		const struct mmapfs_co_write *x;

		if (o->ino == w->ino || lo >= hi)
			continue;
		x = busy_alias(n, o->ino, lo, hi, c->page);
		t[nt++] = (struct co_target){ o->ino, lo - o->off, hi - lo,
					      x != NULL, x ? x->seq : 0 };
	}
	return nt;
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
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

static void *conflict_main(void *arg)
{
	struct co_conflict *cf = arg;
	struct mmapfs_co *c = cf->c;

	run_job(c, &cf->job);
	pthread_mutex_lock(&cf->wait->lock);
	cf->wait->pending--;
	pthread_cond_signal(&cf->wait->cond);
	pthread_mutex_unlock(&cf->wait->lock);
	wait_put(cf->wait);
	free(cf);
	atomic_fetch_sub(&c->nconflicts, 1); /* last touch of c */
	return NULL;
}

/* Start one conflicting invalidation on its own thread; 0 or -1. */
static int conflict_start(struct mmapfs_co *c, struct co_wait *w,
			  const struct co_target *t)
{
	struct co_conflict *cf = malloc(sizeof(*cf));
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (cf == NULL)
		return -1;
	*cf = (struct co_conflict){
		c, { .ino = t->ino, .off = t->off, .len = t->len }, w
	};
	pthread_mutex_lock(&w->lock);
	w->pending++;
	w->refs++;
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
	pthread_mutex_unlock(&w->lock);
	free(cf);
	return -1;
}

/*
 * May the write with sequence `seq` be waiting for pages of inode `ino`?
 * Only while it is registered and blocked in an invalidation of `ino`,
 * or in a conflict wait of its own.  Under the node's lock.
 */
static bool may_wait_for(const struct mmapfs_co_node *n, uint64_t seq,
			 uint64_t ino)
{
	for (const struct mmapfs_co_write *x = n->writes; x != NULL;
	     x = x->next)
		if (x->seq == seq)
			return x->blocked_on == ino || x->waiting;
	return false;
}

static bool cycle_suspected(struct mmapfs_co_node *n,
			    const struct mmapfs_co_write *me,
			    const struct co_target *t, size_t nt)
{
	bool suspect = false;

	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < nt && !suspect; i++)
		if (t[i].conflict && may_wait_for(n, t[i].with, me->ino))
			suspect = true;
	pthread_mutex_unlock(&n->lock);
	return suspect;
}

/*
 * Wait for the conflicting invalidations.  Give up only when a write we
 * conflict with has been waiting for our own inode for CONFLICT_STUCK_MS
 * (a cycle, rule 4), or after CONFLICT_MAX_MS whatever happens.
 */
static void conflict_wait(struct co_wait *w, struct mmapfs_co_node *n,
			  struct mmapfs_co_write *me, const struct co_target *t,
			  size_t nt)
{
	unsigned stuck = 0, total = 0;
	struct timespec deadline;
	bool done = false;

	pthread_mutex_lock(&n->lock);
	me->waiting = true;
	pthread_mutex_unlock(&n->lock);
	while (!done && stuck < CONFLICT_STUCK_MS && total < CONFLICT_MAX_MS) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += CONFLICT_SLICE_MS * 1000000L;
		deadline.tv_sec += deadline.tv_nsec / 1000000000L;
		deadline.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&w->lock);
		while (w->pending > 0 &&
		       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) ==
			       0)
			;
		done = w->pending == 0;
		pthread_mutex_unlock(&w->lock);
		total += CONFLICT_SLICE_MS;
		if (!done && cycle_suspected(n, me, t, nt))
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
			   const struct co_target *t)
{
	uint64_t first = t->off / c->page;
	uint64_t last = (t->off + t->len - 1) / c->page;
	uint64_t pages = last - first + 1;
	uint64_t per = (pages + CONFLICT_THREADS - 1) / CONFLICT_THREADS;

	for (uint64_t p = first; p <= last; p += per) {
		uint64_t lo = p == first ? t->off : p * c->page;
		uint64_t end = (p + per) * c->page;
		uint64_t hi = t->off + t->len < end ? t->off + t->len : end;
		struct co_target piece = { t->ino, lo, hi - lo, true, t->with };

		if (conflict_start(c, w, &piece) != 0)
			enqueue(c, piece.ino, piece.off, piece.len, NULL);
	}
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
			conflict_split(c, w, &t[i]);
		else
			enqueue(c, t[i].ino, t[i].off, t[i].len, NULL);
	}
	for (size_t i = 0; i < nt; i++) {
		if (!c->sync) {
			enqueue(c, t[i].ino, t[i].off, t[i].len, NULL);
		} else if (!t[i].conflict) {
			set_blocked_on(n, me, t[i].ino);
			run_job(c, &(struct mmapfs_co_job){ .ino = t[i].ino,
							    .off = t[i].off,
							    .len = t[i].len });
			set_blocked_on(n, me, 0);
		}
	}
	if (w != NULL) {
		conflict_wait(w, n, me, t, nt);
		wait_put(w);
	}
}

void mmapfs_co_write_begin(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	struct mmapfs_co_node *n = &c->nodes[w->node];
	struct co_target *t = NULL;
	size_t nt = 0;

	w->next = NULL;
	pthread_mutex_lock(&n->lock);
	if (n->nopens > 0)
		t = malloc(n->nopens * sizeof(*t));
	nt = plan_locked(c, n, w, t, t != NULL ? n->nopens : 0);
	pthread_mutex_unlock(&n->lock);
	invalidate(c, n, w, t, nt);
	free(t);

	/*
	 * Out of the list before the reply, not after: once replied, the
	 * writer may write again at once, and a lingering record would make
	 * that next write look concurrent with this one (rule 4).  Nothing
	 * blocks between here and the reply.
	 */
	pthread_mutex_lock(&n->lock);
	unregister_locked(n, w);
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
	enqueue(c, parent, 0, 0, name);
}
