/*
 * co_watch.h - changes to the backing files by other processes (rule 7):
 * the mount's one mmapio_watch (libmmapio), each file tagged with its
 * node, and the watcher thread that applies what it reports (co_watch.c).
 *
 * Invariants:
 *  - A file is watched before the first record of one of its entries is
 *    registered (mmapfs_co_lookup(), mmapfs_co_opened()), so a change
 *    made once the kernel may cache an entry raises an event the module
 *    reads.
 *  - A node's epoch only grows; every event bumps it and marks the node
 *    changed, and `pending` counts the nodes marked and not yet applied.
 *  - Applications of changes are serialised by the apply lock, taken
 *    before the watch lock (wlock) and a node's lock; the watch's own
 *    mutex is libmmapio's, below all of the module's.  A drain that
 *    returned found every event queued before it began (fsnotify queues
 *    the event of a write(2) before that call returns): the getxattr
 *    barrier rests on it.
 *  - A file renamed or removed loses its watch and is watched again, by
 *    name, at its next lookup.
 */
#ifndef MMAPFS_CO_WATCH_H
#define MMAPFS_CO_WATCH_H

#include "co_i.h"

/* Watch node `node`'s backing file, once. */
void co_watch_node(struct mmapfs_co *c, uint32_t node);
/* Read every event queued and mark the nodes they concern changed. */
void co_watch_drain(struct mmapfs_co *c);
/* A write through the mount changed node `node`: mark its other names
 * (hard links, one inotify watch) changed, for the watcher. */
void co_bump_siblings(struct mmapfs_co *c, uint32_t node);
/* Wake the watcher thread (through wake_fd). */
void co_wake_watcher(struct mmapfs_co *c);
/* The watcher thread's body, until watcher_stop. */
void *co_watcher_main(void *arg);

#endif /* MMAPFS_CO_WATCH_H */
