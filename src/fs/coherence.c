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
 *  4. The same wait makes two concurrent writes to overlapping ranges of
 *     two aliases a potential deadlock: each holds its own pages and
 *     invalidates the other's.  Every write therefore registers itself
 *     (under the file's lock) before deciding whom to invalidate, and
 *     skips an alias that has an overlapping write of its own in flight;
 *     whichever of the two registers second sees the first, so at least
 *     one of them replies without waiting.  The skipped range is recorded
 *     on the other write, which queues it for the helper thread once it
 *     has replied.  Writes racing on the same bytes have no defined order,
 *     so this delay does not break the guarantee for writes that returned.
 *     A write leaves the list before its reply (see write_begin), so the
 *     writer's *next* write never counts as concurrent with it: the
 *     stress test caught exactly that as stale reads.
 *
 *  5. An invalidation may also wait for a READ that the kernel has queued
 *     for the alias (readahead or an mmap fault keep the page locked until
 *     the reply).  Another worker of the multi-threaded loop answers it,
 *     which is why the loop is started with plenty of threads.  With the
 *     single-threaded loop (-s) nobody could answer it, so there every
 *     invalidation goes to the helper thread after the reply: coherence
 *     between aliases is then eventual, and the man page says so.
 *
 *  6. Dentries are invalidated only from the helper thread:
 *     notify_inval_entry takes the directory's lock, which a LOOKUP in
 *     that directory holds while we answer it.
 *
 * Lock order: a node's lock, then nothing.  No lock is held while talking
 * to the kernel.
 */
#include "coherence.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "log.h"

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
};

struct mmapfs_co_job {
	uint64_t ino; /* inode to invalidate, or parent of `name` */
	uint64_t off, len;
	char *name; /* NULL: inode pages; else a dentry */
	struct mmapfs_co_job *next;
};

struct co_target {
	uint64_t ino, off, len; /* off relative to the entry */
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
static struct mmapfs_co_write *busy_alias(struct mmapfs_co_node *n,
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

	w->next = n->writes;
	n->writes = w;
	for (size_t i = 0; i < n->nopens && nt < max; i++) {
		const struct co_open *o = &n->opens[i];
		uint64_t lo = o->off > w->off ? o->off : w->off;
		uint64_t hi = o->off + o->len < w_hi ? o->off + o->len : w_hi;
		struct mmapfs_co_write *x;

		if (o->ino == w->ino || lo >= hi)
			continue;
		x = busy_alias(n, o->ino, lo, hi, c->page);
		if (x != NULL) { /* rule 4: x drops it after its reply */
			if (x->defer_hi <= x->defer_lo) {
				x->defer_lo = lo;
				x->defer_hi = hi;
			} else {
				x->defer_lo =
					lo < x->defer_lo ? lo : x->defer_lo;
				x->defer_hi =
					hi > x->defer_hi ? hi : x->defer_hi;
			}
			continue;
		}
		t[nt++] = (struct co_target){ o->ino, lo - o->off, hi - lo };
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

void mmapfs_co_write_begin(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	struct mmapfs_co_node *n = &c->nodes[w->node];
	struct co_target *t = NULL;
	size_t nt = 0;

	w->defer_lo = w->defer_hi = 0;
	w->next = NULL;
	pthread_mutex_lock(&n->lock);
	if (n->nopens > 0)
		t = malloc(n->nopens * sizeof(*t));
	nt = plan_locked(c, n, w, t, t != NULL ? n->nopens : 0);
	pthread_mutex_unlock(&n->lock);

	for (size_t i = 0; i < nt; i++) {
		if (c->sync)
			run_job(c, &(struct mmapfs_co_job){ .ino = t[i].ino,
							    .off = t[i].off,
							    .len = t[i].len });
		else
			enqueue(c, t[i].ino, t[i].off, t[i].len, NULL);
	}
	free(t);

	/*
	 * Out of the list before the reply, not after: once replied, the
	 * writer may write again at once, and a lingering record would make
	 * that next write (or its alias) look concurrent with this one and
	 * defer an invalidation that must not wait (rule 4).  Nothing blocks
	 * between here and the reply, so a writer that now invalidates our
	 * inode waits at most for that reply.
	 */
	pthread_mutex_lock(&n->lock);
	unregister_locked(n, w);
	pthread_mutex_unlock(&n->lock);
}

void mmapfs_co_write_end(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	if (w->defer_hi > w->defer_lo)
		enqueue(c, w->ino, w->defer_lo - w->entry_off,
			w->defer_hi - w->defer_lo, NULL);
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
