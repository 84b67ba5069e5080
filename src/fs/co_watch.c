/*
 * co_watch.c - changes to the backing files by other processes (rule 7):
 * the mount's inotify instance, the files' epochs, the watcher thread
 * that applies them, and the getxattr barrier (mmapfs_co_settle).
 */
#include "co_i.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

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
void co_watch_node(struct mmapfs_co *c, uint32_t node)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	const char *path = c->tree->nodes[node].path;
	int wd;

	if (c->inotify_fd < 0 || atomic_load(&n->watch) != 0)
		return;
	co_lock(&c->wlock, CO_WATCH);
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
	co_unlock(&c->wlock, CO_WATCH);
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
void co_watch_drain(struct mmapfs_co *c)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t got;

	if (c->inotify_fd < 0)
		return;
	co_lock(&c->wlock, CO_WATCH);
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
	co_unlock(&c->wlock, CO_WATCH);
}

/* A write through `node` changed the file under its other names. */
void co_bump_siblings(struct mmapfs_co *c, uint32_t node)
{
	if (!atomic_load(&c->nodes[node].has_siblings))
		return;
	co_lock(&c->wlock, CO_WATCH);
	bump_watch_locked(c, c->nodes[node].wd, node);
	co_unlock(&c->wlock, CO_WATCH);
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
 * daemon cannot tell which bytes changed.  Runs on the watcher thread,
 * holding no lock while it talks to the kernel.
 */
static void node_changed(struct mmapfs_co *c, uint32_t node)
{
	struct mmapfs_co_node *n = &c->nodes[node];
	struct co_target *t;
	size_t nt;

	if (c->on_change != NULL)
		c->on_change(c->on_change_arg, node);
	t = co_select(c, node, pick_held, NULL, &nt, "entries");
	for (size_t i = 0; i < nt; i++) {
		if (t[i].attr_only)
			mmapfs_co_inval_attr(c, t[i].ino);
		else
			co_drop_alias(c, n, node, &t[i]);
	}
	free(t);
}

/* The watcher: applies outside changes as inotify reports them (rule 7),
 * and those a write through a hard-linked name marks. */
void *co_watcher_main(void *arg)
{
	struct mmapfs_co *c = arg;
	struct pollfd p[2] = { { .fd = c->wake_fd, .events = POLLIN },
			       { .fd = c->inotify_fd, .events = POLLIN } };
	uint64_t v;

	while (!atomic_load(&c->watcher_stop)) {
		if (poll(p, c->inotify_fd >= 0 ? 2 : 1, -1) < 0 &&
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
