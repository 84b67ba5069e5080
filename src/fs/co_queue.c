/*
 * co_queue.c - the helper thread: drops that must not be waited on (the
 * single-threaded loop, rule 5) and dentry invalidations (rule 6).
 */
#include "co_queue.h"

#include "name.h"

void co_run_job(struct mmapfs_co *c, const struct mmapfs_co_job *j,
		enum co_gate_kind kind)
{
	int rc;

	if (j->name != NULL) {
		rc = c->kernel.inval_entry(c->kernel.k, j->ino, j->name,
					   strlen(j->name));
		if (rc != 0 && rc != -ENOENT)
			log_debug("invalidating name %s: %s", j->name,
				  strerror(-rc));
	} else {
		co_drop_pages(c, j->node, j->ino, j->off, j->len, kind);
	}
}

void *co_helper_main(void *arg)
{
	struct mmapfs_co *c = arg;

	co_lock(&c->qlock, CO_LEAF);
	while (!c->stopping) {
		struct mmapfs_co_job *j = c->qhead;

		if (j == NULL) {
			pthread_cond_wait(&c->qcond, &c->qlock);
			continue;
		}
		c->qhead = j->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		co_unlock(&c->qlock, CO_LEAF);
		co_run_job(c, j, CO_GATE_OTHER);
		free(j->name);
		free(j);
		co_lock(&c->qlock, CO_LEAF);
	}
	co_unlock(&c->qlock, CO_LEAF);
	return NULL;
}

/*
 * At shutdown a thread of the module may wait in the kernel for a page
 * that a READ holds locked, a READ nobody will answer any more (the loop
 * has ended), while holding the connection's killsb for reading
 * (fuse_notify_inval_inode()): then the unmount would wait for it too
 * (fuse_mount_remove() takes killsb for writing).  After bounds.join_ms
 * the daemon aborts its own connection (c->abort, through fusectl's
 * /sys/fs/fuse/connections), which fails the pending requests and so
 * releases their pages.  True when it did; once.
 */
static bool co_abort_once(struct mmapfs_co *c, const char *what)
{
	if (c->aborted)
		return true;
	log_warn("%s waits for a request at shutdown: aborting the "
		 "connection",
		 what);
	if (c->abort == NULL || !c->abort(c->abort_arg))
		return false;
	c->aborted = true;
	return true;
}

/* Join `t` at shutdown; abort the connection if it is stuck, and where
 * that cannot be done (no fusectl mounted) cancel it, as a last resort. */
void co_join_or_cancel(struct mmapfs_co *c, pthread_t t, const char *what)
{
	struct timespec deadline;

	deadline_in(CLOCK_REALTIME, c->bounds.join_ms, &deadline);
	if (pthread_timedjoin_np(t, NULL, &deadline) == 0)
		return;
	if (co_abort_once(c, what)) {
		pthread_join(t, NULL);
		return;
	}
	log_warn("%s stuck at shutdown: cancelled", what);
	pthread_cancel(t);
	pthread_join(t, NULL);
}

void co_conflict_end(struct mmapfs_co *c)
{
	co_lock(&c->qlock, CO_LEAF);
	if (atomic_fetch_sub(&c->nconflicts, 1) == 1)
		pthread_cond_broadcast(&c->qcond);
	co_unlock(&c->qlock, CO_LEAF);
}

/*
 * Wait for the conflict threads (rule 4) at shutdown: they end once the
 * unmount released every page, or the abort failed what they wait for.
 * They are detached and use the module: false when some may still run
 * (no abort possible), so that it must not be freed.
 */
bool co_wait_conflicts(struct mmapfs_co *c)
{
	struct timespec deadline;
	bool aborted, done;

	deadline_in(CLOCK_REALTIME, c->bounds.join_ms, &deadline);
	co_lock(&c->qlock, CO_LEAF);
	aborted = c->aborted; /* by a join: what they wait for fails */
	while (atomic_load(&c->nconflicts) > 0) {
		if (aborted) {
			pthread_cond_wait(&c->qcond, &c->qlock);
			continue;
		}
		if (pthread_cond_timedwait(&c->qcond, &c->qlock, &deadline) !=
		    ETIMEDOUT)
			continue;
		co_unlock(&c->qlock, CO_LEAF);
		aborted = co_abort_once(c, "an invalidation thread");
		co_lock(&c->qlock, CO_LEAF);
		if (!aborted)
			break;
	}
	done = atomic_load(&c->nconflicts) == 0;
	co_unlock(&c->qlock, CO_LEAF);
	if (!done)
		log_warn("invalidation threads still running at shutdown");
	return done;
}

void co_free_queue(struct mmapfs_co *c)
{
	while (c->qhead != NULL) {
		struct mmapfs_co_job *j = c->qhead;

		c->qhead = j->next;
		free(j->name);
		free(j);
	}
	c->qtail = NULL;
}

/* Hand a job to the helper thread (which owns it then). */
static void co_enqueue(struct mmapfs_co *c, struct mmapfs_co_job *j)
{
	co_lock(&c->qlock, CO_LEAF);
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
	co_unlock(&c->qlock, CO_LEAF);
	if (j != NULL) {
		free(j->name);
		free(j);
	}
}

static struct mmapfs_co_job *co_job_new(uint32_t node, uint64_t ino)
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

void co_enqueue_drop(struct mmapfs_co *c, uint32_t node, uint64_t ino,
		     uint64_t off, uint64_t len)
{
	struct mmapfs_co_job *j = co_job_new(node, ino);

	if (j == NULL)
		return;
	j->off = off;
	j->len = len;
	co_enqueue(c, j);
}

void mmapfs_co_queue_entry(struct mmapfs_co *c, uint64_t parent,
			   const char *name)
{
	struct mmapfs_co_job *j = co_job_new(0, parent);

	if (j == NULL)
		return;
	j->name = strdup(name);
	if (j->name == NULL) {
		log_err("out of memory queueing an invalidation");
		free(j);
		return;
	}
	co_enqueue(c, j);
}

/* The held entries of one file past its new end. */
struct co_gone {
	const struct mmapfs_layout *layout;
	uint64_t chunks, pages; /* first index gone, per view */
};

static bool pick_gone(struct mmapfs_cached_rec *r, struct co_target *t,
		      void *arg)
{
	const struct co_gone *g = arg;
	struct mmapfs_ino id;

	if (mmapfs_ino_decode(g->layout, r->ino, &id) != 0 ||
	    id.index < (id.kind == MMAPFS_K_CHUNK ? g->chunks : g->pages))
		return false;
	*t = (struct co_target){ .ino = r->ino };
	return true;
}

void mmapfs_co_vanished(struct mmapfs_co *c, uint32_t node, uint64_t chunks,
			uint64_t pages)
{
	struct co_gone g = { c->layout, chunks, pages };
	char name[MMAPFS_NAME_MAX];
	struct co_target *t;
	size_t nt;

	t = co_select(c, node, pick_gone, &g, &nt, "vanished names");
	for (size_t i = 0; i < nt; i++) {
		struct mmapfs_ino id;

		if (mmapfs_ino_decode(c->layout, t[i].ino, &id) != 0)
			continue;
		mmapfs_format_index(id.index, name);
		id.kind = id.kind == MMAPFS_K_CHUNK ? MMAPFS_K_CHUNKS
						    : MMAPFS_K_PAGES;
		id.index = 0;
		mmapfs_co_queue_entry(c, mmapfs_ino_encode(c->layout, &id),
				      name);
	}
	free(t);
}
