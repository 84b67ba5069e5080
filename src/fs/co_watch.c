/*
 * co_watch.c - changes to the backing files by other processes (rule 7):
 * the mount's watch (libmmapio's mmapio_watch: one inotify instance, each
 * file under its node's index as tag), the files' epochs, the watcher
 * thread that applies them, and the getxattr barrier (mmapfs_co_settle).
 */
#include "co_watch.h"

#include "co_write.h"

#include <poll.h>
#include <sys/eventfd.h>

#include "mmapio.h"

void co_wake_watcher(struct mmapfs_co *c)
{
	uint64_t one = 1;

	if (c->wake_fd >= 0 && write(c->wake_fd, &one, sizeof(one)) < 0)
		log_debug("waking the watcher: %s", strerror(errno));
}

/* The file's epoch moved: its cached entries are stale (rule 7). */
static void bump_epoch(struct mmapfs_co *c, uint32_t node)
{
	struct mmapfs_co_node *n = &c->nodes[node];

	co_lock(&n->lock, CO_NODE);
	n->epoch++;
	co_unlock(&n->lock, CO_NODE);
	if (!atomic_exchange(&n->changed, true))
		atomic_fetch_add(&c->pending, 1);
}

/*
 * The nodes watching the same file as `node` (its hard links, one inotify
 * watch), `node` included: *n of them, in `small` when they fit, else in
 * an array to free().  NULL (with *n 0) when `node` is not watched, or out
 * of memory (logged).
 */
static uint64_t *links_of(struct mmapfs_co *c, uint32_t node, uint64_t small[4],
			  size_t *n)
{
	uint64_t *tags = small;
	size_t cap = 4;
	int got;

	*n = 0;
	while ((got = mmapio_watch_links(c->watch, node, tags, cap)) > 0 &&
	       (size_t)got > cap) {
		uint64_t *grown = realloc(tags == small ? NULL : tags,
					  (size_t)got * sizeof(*grown));

		if (grown == NULL) {
			log_err("out of memory finding the links of %s",
				c->tree->nodes[node].path);
			got = 0;
			break;
		}
		tags = grown;
		cap = (size_t)got;
	}
	if (got <= 0) {
		if (tags != small)
			free(tags);
		return NULL;
	}
	*n = (size_t)got;
	return tags;
}

/* Every node on the same file as `node` but `node` itself (has_siblings:
 * also `node`). */
static void each_link(struct mmapfs_co *c, uint32_t node, bool has_siblings)
{
	uint64_t small[4];
	size_t n;
	uint64_t *tags = links_of(c, node, small, &n);

	for (size_t i = 0; i < n; i++) {
		if (tags[i] >= c->nnodes)
			continue;
		if (has_siblings)
			atomic_store(&c->nodes[tags[i]].has_siblings, true);
		else if (tags[i] != node)
			bump_epoch(c, (uint32_t)tags[i]);
	}
	if (tags != small)
		free(tags);
}

/* Watch the node's backing file, once; before its first entry caches.
 * A file that cannot be watched gets short timeouts for its entries
 * (rule 7), and is tried again at its next lookup. */
void co_watch_node(struct mmapfs_co *c, uint32_t node)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	const char *path = c->tree->nodes[node].path;
	int rc;

	if (c->watch == NULL || atomic_load(&n->watch) == 1)
		return;
	co_lock(&c->wlock, CO_WATCH);
	if (atomic_load(&n->watch) == 1)
		goto out;
	/* Tried again at every lookup while it fails (a file removed may
	 * come back, the watch limit may be raised): one system call. */
	atomic_store(&n->watch, -1);
	rc = mmapio_watch_add(c->watch, path, node);
	if (rc < 0) {
		if (!c->watch_warned)
			log_warn("cannot watch %s (%s): entries of files that "
				 "cannot be watched keep their attributes 1 s "
				 "and lose their pages when the mtime moves",
				 path, mmapio_strerror(rc));
		else
			log_debug("cannot watch %s: %s", path,
				  mmapio_strerror(rc));
		c->watch_warned = true;
		goto out;
	}
	/* The same file under another name (a hard link): one watch. */
	if (rc == 1)
		each_link(c, node, true);
	atomic_store(&n->watch, 1);
out:
	co_unlock(&c->wlock, CO_WATCH);
}

/* One event of the mount's watch; under the watch lock. */
static void apply_event(struct mmapfs_co *c, const mmapio_event *ev)
{
	uint32_t node = (uint32_t)ev->tag;

	if (ev->kind == MMAPIO_EV_OVERFLOW) {
		for (uint32_t i = 0; i < c->nnodes; i++)
			bump_epoch(c, i);
		return;
	}
	/* Permissions, owner, times, links: not the bytes, nor the size. */
	if (ev->kind == MMAPIO_EV_METADATA || ev->tag >= c->nnodes)
		return;
	/* Modified, moved, removed, no longer watched: all make the node
	 * stale. */
	bump_epoch(c, node);
	if (ev->kind == MMAPIO_EV_MOVED || ev->kind == MMAPIO_EV_REMOVED) {
		/* The name may lead to another file now: watched again, by
		 * name, at its next lookup. */
		mmapio_watch_remove(c->watch, node);
		atomic_store(&c->nodes[node].watch, 0);
	} else if (ev->kind == MMAPIO_EV_UNWATCHED) {
		atomic_store(&c->nodes[node].watch, 0);
	}
}

/* Apply the events pending on the mount's watch (rule 7). */
void co_watch_drain(struct mmapfs_co *c)
{
	mmapio_event ev;
	int rc;

	if (c->watch == NULL)
		return;
	co_lock(&c->wlock, CO_WATCH);
	while ((rc = mmapio_watch_next(c->watch, &ev)) == 1)
		apply_event(c, &ev);
	if (rc < 0)
		log_debug("reading inotify events: %s", mmapio_strerror(rc));
	co_unlock(&c->wlock, CO_WATCH);
}

/* A write through `node` changed the file under its other names. */
void co_bump_siblings(struct mmapfs_co *c, uint32_t node)
{
	if (!atomic_load(&c->nodes[node].has_siblings))
		return;
	each_link(c, node, false);
	if (c->no_open)
		co_wake_watcher(c); /* rule 7 applies the change */
}

void mmapfs_co_set_change_hook(struct mmapfs_co *c,
			       void (*fn)(void *arg, uint32_t node), void *arg)
{
	c->on_change = fn;
	c->on_change_arg = arg;
}

bool mmapfs_co_watched(struct mmapfs_co *c, uint32_t node)
{
	return atomic_load(&c->nodes[node].watch) == 1;
}

/* What an outside change must reach: the entries the kernel holds that
 * have something of theirs cached. */
static bool pick_held(struct mmapfs_cached_rec *r, struct co_target *t,
		      void *arg)
{
	(void)arg;
	if ((r->nlookup == 0 && r->opens == 0) || (!r->pages && !r->attrs))
		return false; /* nothing of it cached */
	*t = (struct co_target){ .ino = r->ino,
				 .len = r->len,
				 .attr_only = !r->pages };
	r->attrs = false;
	return true;
}

/*
 * Rule 7 for one file the watcher found changed: its size is picked up
 * (on_change), then every entry the kernel holds loses its pages, when
 * it may have some, or else its attributes (the times moved).  The
 * daemon cannot tell which bytes changed.  Attributes first: they take
 * no page lock, so a drop held up by a READ delays none of them.  Runs
 * on the watcher thread, holding no lock while it talks to the kernel.
 */
static void node_changed(struct mmapfs_co *c, uint32_t node)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct co_target *t;
	size_t nt;

	if (c->on_change != NULL)
		c->on_change(c->on_change_arg, node);
	t = co_select(c, node, pick_held, NULL, &nt, "entries");
	for (size_t i = 0; i < nt; i++)
		if (t[i].attr_only)
			mmapfs_co_inval_attr(c, t[i].ino);
	for (size_t i = 0; i < nt; i++)
		if (!t[i].attr_only)
			co_drop_alias(c, n, node, &t[i], CO_GATE_OTHER);
	free(t);
}

/* The watcher: applies outside changes as inotify reports them (rule 7),
 * and those a write through a hard-linked name marks. */
void *co_watcher_main(void *arg)
{
	struct mmapfs_co *c = arg;
	struct pollfd p[2] = {
		{ .fd = c->wake_fd, .events = POLLIN },
		{ .fd = c->watch != NULL ? mmapio_watch_fd(c->watch) : -1,
		  .events = POLLIN }
	};
	uint64_t v;

	while (!atomic_load(&c->watcher_stop)) {
		if (poll(p, c->watch != NULL ? 2 : 1, -1) < 0 &&
		    errno != EINTR) {
			log_err("watcher: poll: %s", strerror(errno));
			break;
		}
		if (read(c->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			log_debug("watcher: %s", strerror(errno));
		mmapfs_co_settle(c);
	}
	return NULL;
}

void mmapfs_co_settle(struct mmapfs_co *c)
{
	if (!c->no_open)
		return; /* cache=open: every open drains and drops (rule 1) */
	co_lock(&c->apply_lock, CO_APPLY);
	co_watch_drain(c);
	for (uint32_t i = 0; i < c->nnodes && atomic_load(&c->pending) > 0;
	     i++) {
		if (!atomic_exchange(&c->nodes[i].changed, false))
			continue;
		atomic_fetch_sub(&c->pending, 1);
		node_changed(c, i);
	}
	co_unlock(&c->apply_lock, CO_APPLY);
}
