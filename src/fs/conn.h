/*
 * conn.h - the daemon's own FUSE connection: finding it, aborting it when
 * a request can end no other way, and the watchdog that does so at exit.
 *
 * Aborting a connection (fusectl's /sys/fs/fuse/connections/N/abort)
 * fails every request the kernel has pending or in flight on it, which
 * releases the page locks those requests hold.  The daemon only ever
 * aborts the connection it mounted itself, at shutdown, when something
 * waits for a request that nobody will answer any more:
 *  - a thread of the coherence module (co_queue.c), or
 *  - a libfuse worker, which fuse_session_loop_mt() waits for at exit
 *    without cancelling it (libfuse disables cancellation while a request
 *    runs), stuck in a drop of pages that a READ holds locked.
 * Where fusectl is not mounted, the abort mounts it in a mount namespace
 * of its own (a child process), so that no mount appears on the machine.
 */
#ifndef MMAPFS_CONN_H
#define MMAPFS_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct mmapfs_conn {
	unsigned id;	     /* the connection's number (its sb->s_dev) */
	bool found;	     /* id is known */
	atomic_bool aborted; /* done once, by whoever came first */
	int sig_fd, done_fd; /* eventfds: a signal came, the loop ended */
	pthread_t watchdog;
	bool watching;
	long wait_ms;
};

/*
 * The connection mounted on `mp` (absolute, resolved) by this process: the
 * last mount on it in /proc/self/mountinfo, whose device numbers name it.
 * Read from the mount table, never by a stat of the mount point, which
 * would be a request to this daemon before it serves any.  0, or -ENOENT
 * (not mounted there), or open(2)'s error.
 */
int mmapfs_conn_find(struct mmapfs_conn *cn, const char *mp);

/* Abort the connection, once; true when it is aborted (now or before). */
bool mmapfs_conn_abort(struct mmapfs_conn *cn);

/*
 * After fuse_session_unmount(): an aborted connection's mount is left in
 * place by libfuse (it takes the aborted device for one already
 * unmounted), so unmount it here (lazily), if the mount on `mp` is still
 * this connection's.  Nothing when the connection was not aborted.
 */
void mmapfs_conn_unmount_aborted(struct mmapfs_conn *cn, const char *mp);

/*
 * Watch for the end of the session: once SIGHUP, SIGINT or SIGTERM has
 * asked the loop to end (libfuse's handlers, which this chains after, do
 * that), the loop must return within wait_ms, or the connection is
 * aborted.  Call after fuse_set_signal_handlers().  0 or -errno.
 */
int mmapfs_conn_watch_exit(struct mmapfs_conn *cn, long wait_ms);
/* The loop returned: stop watching, restore the signal handlers found.
 * Call before fuse_remove_signal_handlers(). */
void mmapfs_conn_unwatch(struct mmapfs_conn *cn);

#endif /* MMAPFS_CONN_H */
