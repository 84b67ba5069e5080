/*
 * co_write.c - what a write through the mount does to the kernel's
 * caches: drops the held aliases it overlaps (rule 2), resolves writes
 * racing on two aliases (rule 4), and makes sure the written entry's own
 * pages hold what was written (rule 8).  coherence.c says why.
 */
#include "co_write.h"

#include "co_queue.h"
#include "co_watch.h"

#include <fuse_lowlevel.h> /* fuse_buf_copy() */

/* At most this many threads for one conflicting drop. */
#define CONFLICT_THREADS 16
/* A conflict wait looks at the cycle condition this often per
 * bounds.cycle_ms (rule 4). */
#define CYCLE_CHECKS 10
/* Targets of a write planned without allocating. */
#define STACK_TARGETS 32

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
			/* cache=open: dropped at its next open, whatever
			 * happens now; only open ones are dropped now. */
			mmapfs_cached_dirty(r);
			if (nt == max || (!c->no_open && r->opens == 0))
				continue;
			if (c->no_open && !r->pages) {
				/* Its bytes changed: so did its times. */
				if (r->attrs)
					t[nt++] = (struct co_target){
						.ino = ino, .attr_only = true
					};
				r->attrs = false;
				continue;
			}
			r->attrs = false; /* the drop takes them too */
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

	co_lock(&w->lock, CO_LEAF);
	last = --w->refs == 0;
	co_unlock(&w->lock, CO_LEAF);
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

	co_run_job(c, &cf->job, CO_UNGATED);
	co_lock(&cf->wait->lock, CO_LEAF);
	cf->wait->pending--;
	cf->done = true;
	pthread_cond_signal(&cf->wait->cond);
	co_unlock(&cf->wait->lock, CO_LEAF);
	wait_put(cf->wait); /* may free cf */
	co_conflict_end(c); /* last touch of c */
	return NULL;
}

/* Start one conflicting invalidation on its own thread; 0, -ENOMEM or
 * pthread_create()'s error, negated. */
static int conflict_start(struct mmapfs_co *c, struct co_wait *w, uint32_t node,
			  const struct co_target *t)
{
	struct co_conflict *cf = malloc(sizeof(*cf));
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (cf == NULL)
		return -ENOMEM;
	*cf = (struct co_conflict){
		.c = c,
		.job = { .node = node,
			 .ino = t->ino,
			 .off = t->off,
			 .len = t->len },
		.wait = w,
	};
	co_lock(&w->lock, CO_LEAF);
	w->pending++;
	w->refs++;
	cf->next = w->pieces;
	w->pieces = cf;
	co_unlock(&w->lock, CO_LEAF);
	atomic_fetch_add(&c->nconflicts, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, conflict_main, cf);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return 0;
	co_conflict_end(c);
	co_lock(&w->lock, CO_LEAF);
	w->pending--;
	w->refs--;
	cf->done = true; /* freed with the wait */
	co_unlock(&w->lock, CO_LEAF);
	return -rc;
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

	co_lock(&w->lock, CO_LEAF);
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
	co_unlock(&w->lock, CO_LEAF);
	if (!excused || ni == 0)
		return false;
	co_lock(&n->lock, CO_NODE);
	for (size_t i = 0; i < ni && excused; i++) {
		const struct mmapfs_co_write *x = n->writes;

		while (x != NULL && (x->ino != inos[i] || x == me ||
				     !(x->blocked_on == me->ino || x->waiting)))
			x = x->next;
		excused = x != NULL;
	}
	co_unlock(&n->lock, CO_NODE);
	return excused;
}

/* Wait up to `ms` for the drops started on w; true when all finished. */
static bool wait_drops(struct co_wait *w, long ms)
{
	struct timespec deadline;
	bool done;

	deadline_in(CLOCK_REALTIME, ms, &deadline);
	co_lock(&w->lock, CO_LEAF);
	while (w->pending > 0 &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == 0)
		;
	done = w->pending == 0;
	co_unlock(&w->lock, CO_LEAF);
	return done;
}

/*
 * Wait for the conflicting invalidations.  Give up only when every drop
 * still pending is of an inode whose write has been blocked on our own
 * inode for bounds.cycle_ms (a cycle, rule 4), or after
 * bounds.conflict_max_ms whatever happens.
 */
static void conflict_wait(const struct mmapfs_co *c, struct co_wait *w,
			  struct mmapfs_co_node *n, struct mmapfs_co_write *me)
{
	long slice = c->bounds.cycle_ms / CYCLE_CHECKS;
	long stuck = 0, total = 0;
	bool done = false;

	if (slice < 1)
		slice = 1;
	co_lock(&n->lock, CO_NODE);
	me->waiting = true;
	co_unlock(&n->lock, CO_NODE);
	while (!done && stuck < c->bounds.cycle_ms &&
	       total < c->bounds.conflict_max_ms) {
		done = wait_drops(w, slice);
		total += slice;
		if (!done && cycle_suspected(n, me, w))
			stuck += slice;
		else
			stuck = 0;
	}
	co_lock(&n->lock, CO_NODE);
	me->waiting = false;
	co_unlock(&n->lock, CO_NODE);
	if (!done && stuck < c->bounds.cycle_ms)
		log_warn("invalidation of an alias still blocked after %ld ms",
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
			co_enqueue_drop(c, node, piece.ino, piece.off,
					piece.len);
	}
}

/*
 * Drop the pages of an alias (rule 2).  The pages that READs of it
 * counted before the drop filled are gone with it: when they covered no
 * more than those pages and no READ came meanwhile, none can have put
 * back bytes from before a write (rule 8).
 */
void co_drop_alias(struct mmapfs_co *c, struct mmapfs_co_node *n, uint32_t node,
		   const struct co_target *t, enum co_gate_kind kind)
{
	struct mmapfs_cached_rec *r;
	uint64_t reads, touches, lo, hi;

	co_lock(&n->lock, CO_NODE);
	reads = n->reads;
	touches = n->touches;
	co_unlock(&n->lock, CO_NODE);
	if (!co_drop_pages(c, node, t->ino, t->off, t->len, kind))
		return;
	page_span(t->off, t->off + t->len, c->page, &lo, &hi);
	co_lock(&n->lock, CO_NODE);
	r = mmapfs_cached_find(&n->set, t->ino);
	if (r != NULL && r->last_read <= reads && lo <= r->read_lo &&
	    r->read_hi <= hi)
		r->read_lo = r->read_hi = 0;
	if (r != NULL && r->last_touch <= touches && lo == 0 && hi >= r->len)
		r->pages = false; /* rule 1: dropped whole, untouched since */
	co_unlock(&n->lock, CO_NODE);
}

static void set_blocked_on(struct mmapfs_co_node *n, struct mmapfs_co_write *me,
			   uint64_t ino)
{
	co_lock(&n->lock, CO_NODE);
	me->blocked_on = ino;
	co_unlock(&n->lock, CO_NODE);
}

/* Carry out the plan: inline, on conflict threads, or queued (-s). */
static void invalidate(struct mmapfs_co *c, struct mmapfs_co_node *n,
		       struct mmapfs_co_write *me, const struct co_target *t,
		       size_t nt)
{
	struct co_wait *w = NULL;

	for (size_t i = 0; i < nt; i++) {
		if (t[i].attr_only) /* takes no page lock: inline, even -s */
			mmapfs_co_inval_attr(c, t[i].ino);
		if (!c->sync || !t[i].conflict || t[i].attr_only)
			continue;
		if (w == NULL)
			w = wait_new();
		if (w != NULL)
			conflict_split(c, w, me->node, &t[i]);
		else
			co_enqueue_drop(c, me->node, t[i].ino, t[i].off,
					t[i].len);
	}
	for (size_t i = 0; i < nt; i++) {
		if (t[i].attr_only)
			continue;
		if (!c->sync) {
			co_enqueue_drop(c, me->node, t[i].ino, t[i].off,
					t[i].len);
		} else if (!t[i].conflict) {
			set_blocked_on(n, me, t[i].ino);
			co_drop_alias(c, n, me->node, &t[i], CO_GATE_WRITE);
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

	co_lock(&c->llock, CO_LEAF);
	l.id = ++c->look_next;
	l.next = c->looks;
	c->looks = &l;
	co_unlock(&c->llock, CO_LEAF);
	rc = c->kernel.retrieve(c->kernel.k, ino, len, (int64_t)off,
				(void *)(uintptr_t)l.id);
	deadline_in(CLOCK_MONOTONIC, c->bounds.look_ms, &deadline);
	co_lock(&c->llock, CO_LEAF);
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
	co_unlock(&c->llock, CO_LEAF);
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
	co_lock(&c->llock, CO_LEAF);
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
	co_unlock(&c->llock, CO_LEAF);
	free(got);
}

/*
 * Look at a page that the kernel did not show, again, for up to about
 * bounds.slow_reader_us: a reader that was answered before the write
 * arrived may still have to mark it uptodate (rule 8).  Stops at the
 * first answer other than LOOK_ABSENT.
 */
static enum look_result look_while_absent(struct mmapfs_co *c, uint64_t ino,
					  uint64_t off, const void *want,
					  size_t len)
{
	enum look_result res = LOOK_ABSENT;

	for (long us = 50;
	     us <= c->bounds.slow_reader_us / 2 && res == LOOK_ABSENT;
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

	co_lock(&n->lock, CO_NODE);
	r = mmapfs_cached_find(&n->set, w->ino);
	if (r != NULL) {
		start = w->off - r->off;
		hi = start + w->len;
		page_span(start, hi, c->page, &lo, &edge);
		need = r->read_lo < edge && lo < r->read_hi;
		r->read_lo = r->read_hi = 0;
	}
	late = w->late;
	co_unlock(&n->lock, CO_NODE);
	if (!need)
		return;
	/* The last page, unless written whole from its start (a write
	 * starting inside its only page is partial too). */
	edge = round_down(hi - 1, c->page);
	if (start <= edge && hi - edge == c->page)
		edge = hi;
	lo = round_down(start, c->page);
	if (edge > lo)
		co_drop_pages(c, w->node, w->ino, lo, edge - lo, CO_UNGATED);
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
		co_drop_pages(c, w->node, w->ino, lo, hi - lo, CO_UNGATED);
		break;
	case LOOK_ABSENT:
		/* A READ of it answered since the write arrived: the write
		 * holds no lock of it (it took its pages before it was sent,
		 * and would have waited for that READ's). */
		if (late)
			co_drop_pages(c, w->node, w->ino, lo, hi - lo,
				      CO_UNGATED);
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

/* The kernel's write-through puts the written bytes into the entry's own
 * pages before it sends the WRITE (rule 1). */
static void co_touch_own(struct mmapfs_co_node *n, uint64_t ino)
{
	struct mmapfs_cached_rec *r;

	co_lock(&n->lock, CO_NODE);
	r = mmapfs_cached_find(&n->set, ino);
	if (r != NULL) {
		r->pages = true;
		r->last_touch = ++n->touches;
	}
	co_unlock(&n->lock, CO_NODE);
}

void mmapfs_co_write_arrive(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	struct mmapfs_co_node *n = &c->nodes[w->node];

	w->arrived = false;
	w->late = false;
	co_touch_own(n, w->ino);
	if (!c->sync || w->writeback || w->len == 0)
		return; /* no drop_own for it */
	w->last_page = round_down(w->off + w->len - 1 - w->entry_off, c->page);
	co_lock(&n->lock, CO_NODE);
	w->anext = n->arrived;
	n->arrived = w;
	w->arrived = true;
	co_unlock(&n->lock, CO_NODE);
}

void mmapfs_co_write_abort(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	struct mmapfs_co_node *n = &c->nodes[w->node];

	if (!w->arrived)
		return;
	co_lock(&n->lock, CO_NODE);
	depart_locked(n, w);
	co_unlock(&n->lock, CO_NODE);
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
	co_lock(&n->lock, CO_NODE);
	nt = plan_locked(c, n, w, t, npieces);
	co_unlock(&n->lock, CO_NODE);
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
	co_lock(&n->lock, CO_NODE);
	unregister_locked(n, w);
	depart_locked(n, w);
	co_unlock(&n->lock, CO_NODE);
	co_bump_siblings(c, w->node);
}

void mmapfs_co_write_end(struct mmapfs_co *c, struct mmapfs_co_write *w)
{
	/* The kernel unlocks the page as the reply reaches the writer.  The
	 * next write through the entry may be in flight already: it must
	 * see this drop (rule 8). */
	if (w->after_len != 0)
		co_drop_pages(c, w->node, w->ino, w->after_off, w->after_len,
			      CO_UNGATED);
}

/*
 * Truncation to 0 (ops_space.c).  The SETATTR that carries it
 * runs with the entry's writes held back (fuse_do_setattr() sets
 * FUSE_NOWRITE, fuse_set_nowrite(), until our reply), so a drop of the
 * entry's own pages that meets a page dirtied through a shared mmap() waits
 * for a WRITE the kernel will not send before the reply.  The drop runs on
 * a thread of its own, as a conflict's drops do (counted in nconflicts for
 * the shutdown), and the caller waits for it only so long.
 */
bool mmapfs_co_drop_own(struct mmapfs_co *c, uint32_t node, uint64_t ino,
			uint64_t off, uint64_t len)
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
		co_enqueue_drop(c, node, ino, off, len); /* -s: rule 5 */
		return false;
	}
	done = wait_drops(w, c->bounds.own_drop_ms);
	wait_put(w);
	if (!done) {
		/* cache=open: dropped whole at its next open, whatever
		 * comes (rule 1); cache=keep: the drop ends after the reply. */
		struct mmapfs_co_node *n = &c->nodes[node];
		struct mmapfs_cached_rec *r;

		co_lock(&n->lock, CO_NODE);
		r = mmapfs_cached_find(&n->set, ino);
		if (r != NULL)
			mmapfs_cached_dirty(r);
		co_unlock(&n->lock, CO_NODE);
	}
	return done;
}
