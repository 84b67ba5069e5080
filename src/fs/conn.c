/*
 * conn.c - the daemon's own FUSE connection (conn.h).
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define CONNECTIONS "/sys/fs/fuse/connections"

int mmapfs_conn_find(struct mmapfs_conn *cn, const char *mp)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], point[4096];
	unsigned ma, mi;

	cn->found = false;
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &ma, &mi, point) ==
			    3 &&
		    strcmp(point, mp) == 0) {
			cn->id = (ma << 20) | mi;
			cn->found = true;
		}
	fclose(f);
	return cn->found ? 0 : -ENOENT;
}

/* Write to the abort file at `path`; 0 or -errno. */
static int write_abort(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * The same from a child in a mount namespace of its own, where fusectl is
 * mounted on CONNECTIONS for it alone.  The child makes only
 * async-signal-safe calls (this process has threads).  0 or -errno.
 */
static int abort_in_namespace(const char *path)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("fusectl", CONNECTIONS, "fusectl", 0, NULL) != 0)
			_exit(2);
		_exit(write_abort(path) == 0 ? 0 : 3);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
		return -EPERM; /* no namespace or no fusectl for us */
	return WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

bool mmapfs_conn_abort(struct mmapfs_conn *cn)
{
	char path[96];
	int rc;

	if (atomic_load(&cn->aborted))
		return true;
	if (!cn->found) {
		log_warn("cannot abort the connection: not found in the mount "
			 "table");
		return false;
	}
	snprintf(path, sizeof(path), CONNECTIONS "/%u/abort", cn->id);
	rc = write_abort(path);
	if (rc == -ENOENT) /* fusectl not mounted here */
		rc = abort_in_namespace(path);
	if (rc != 0) {
		log_warn("cannot abort the connection (%s): %s", path,
			 strerror(-rc));
		return false;
	}
	atomic_store(&cn->aborted, true);
	log_warn("connection %u aborted: requests in flight failed", cn->id);
	return true;
}

void mmapfs_conn_unmount_aborted(struct mmapfs_conn *cn, const char *mp)
{
	struct mmapfs_conn now = { 0 };
	char prog[] = "fusermount3", u[] = "-u", z[] = "-z", end[] = "--";
	char *argv[] = { prog, u, z, end, (char *)mp, NULL };
	pid_t pid;
	int status;

	if (!atomic_load(&cn->aborted) || mmapfs_conn_find(&now, mp) != 0 ||
	    now.id != cn->id)
		return;
	if (umount2(mp, MNT_DETACH) == 0)
		return;
	if (errno != EPERM) {
		log_warn("unmounting %s after the abort: %s", mp,
			 strerror(errno));
		return;
	}
	/* Not root: the setuid helper unmounts what its user mounted. */
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		log_warn("unmounting %s after the abort: cannot run "
			 "fusermount3",
			 mp);
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* The exit watchdog's signal side: written by the handler (write(2) is
 * async-signal-safe), so one mount per process. */
static const int exit_signals[] = { SIGHUP, SIGINT, SIGTERM };
static struct sigaction chained[3];
static int signal_fd = -1;

static void on_exit_signal(int sig)
{
	uint64_t one = 1;
	int saved = errno;

	for (size_t i = 0; i < 3; i++)
		if (exit_signals[i] == sig &&
		    chained[i].sa_handler != SIG_DFL &&
		    chained[i].sa_handler != SIG_IGN)
			chained[i].sa_handler(sig);
	if (signal_fd >= 0 && write(signal_fd, &one, sizeof(one)) < 0) {
		/* Nothing to do in a handler: the count is already set. */
	}
	errno = saved;
}

static void *watchdog_main(void *arg)
{
	struct mmapfs_conn *cn = arg;
	struct pollfd p[2] = { { .fd = cn->done_fd, .events = POLLIN },
			       { .fd = cn->sig_fd, .events = POLLIN } };
	int n;

	do
		n = poll(p, 2, -1);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || (p[0].revents & POLLIN))
		return NULL; /* the loop ended first */
	do
		n = poll(p, 1, (int)cn->wait_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		log_warn("the session did not end %ld ms after the signal "
			 "(a request waits for one nobody will answer): "
			 "aborting the connection",
			 cn->wait_ms);
		mmapfs_conn_abort(cn);
	}
	return NULL;
}

int mmapfs_conn_watch_exit(struct mmapfs_conn *cn, long wait_ms)
{
	struct sigaction sa;
	int rc;

	cn->wait_ms = wait_ms;
	cn->sig_fd = eventfd(0, EFD_CLOEXEC);
	cn->done_fd = eventfd(0, EFD_CLOEXEC);
	if (cn->sig_fd < 0 || cn->done_fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = -pthread_create(&cn->watchdog, NULL, watchdog_main, cn);
	if (rc != 0)
		goto fail;
	cn->watching = true;
	signal_fd = cn->sig_fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_exit_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < 3; i++)
		sigaction(exit_signals[i], &sa, &chained[i]);
	return 0;
fail:
	if (cn->sig_fd >= 0)
		close(cn->sig_fd);
	if (cn->done_fd >= 0)
		close(cn->done_fd);
	cn->sig_fd = cn->done_fd = -1;
	return rc;
}

void mmapfs_conn_unwatch(struct mmapfs_conn *cn)
{
	uint64_t one = 1;

	if (!cn->watching)
		return;
	for (size_t i = 0; i < 3; i++)
		sigaction(exit_signals[i], &chained[i], NULL);
	signal_fd = -1;
	if (write(cn->done_fd, &one, sizeof(one)) < 0) {
		log_err("stopping the exit watchdog: %s", strerror(errno));
		pthread_cancel(cn->watchdog); /* it waits in poll() */
	}
	pthread_join(cn->watchdog, NULL);
	cn->watching = false;
	close(cn->sig_fd);
	close(cn->done_fd);
	cn->sig_fd = cn->done_fd = -1;
}
