/*
 * main.c - mmapfs: mount data files as directories of chunks and pages.
 *
 * Start-up order matters for the "one clear line, non-zero exit" promise:
 * every argument is checked (options, mount point, sources) before
 * anything is mounted, so a bad command line never leaves a mount behind.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "opts.h"
#include "ops.h"
#include "testhooks.h"

#define EXIT_USAGE 1 /* bad command line or source: nothing mounted */
#define EXIT_MOUNT 2 /* the mount or the session failed */

/* Workers may wait in an invalidation for a READ another worker answers
 * (coherence.c, rule 5): allow more of them than libfuse's default 10. */
#define DEFAULT_MAX_THREADS "-omax_threads=64"
/* Numbered entries come and go when a backing file changes size; their
 * cached names expire within a second.  Source names and chunks/ pages/
 * never change during a mount.  Attributes (last entry's size, times)
 * follow the backing file within a second; size changes the daemon
 * notices are pushed to the kernel at once (entry.c).  With cache=keep,
 * the entries of a watched file keep their names and attributes for
 * KEPT_TIMEOUT: every change the daemon sees or makes invalidates them
 * when it happens (coherence.c, rules 1 and 7). */
#define ENTRY_TIMEOUT 1.0
#define NAME_TIMEOUT 3600.0
#define ATTR_TIMEOUT 1.0
#define KEPT_TIMEOUT 3600.0
/* Entries whose times differ from their file's (times.h): about 70
 * bytes each, 18 MiB at most. */
#define TIMES_CAP 262144u

static void print_version(void)
{
	printf("mmapfs %s (libmmapio %s)\n", MMAPIO_VERSION_STRING,
	       mmapio_version());
	/* libfuse writes its lines with its own stdio calls: ours first. */
	fflush(stdout);
	fuse_lowlevel_version();
}

/*
 * The mount point must be an existing directory.  Something may already
 * be mounted there: mounting over it is how automount and a stacked mount
 * work, and util-linux's `mount -a` itself skips fstab lines that are
 * mounted already (it compares the fsname, see opts.c).  0, or the
 * negative errno of stat(2) or -ENOTDIR (logged).
 */
static int check_mountpoint(const char *mp, struct stat *st)
{
	int e;

	if (stat(mp, st) != 0) {
		e = errno;
		log_err("mountpoint '%s': %s", mp, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st->st_mode)) {
		log_err("mountpoint '%s' is not a directory", mp);
		return -ENOTDIR;
	}
	return 0;
}

/* Many files mean many descriptors: use what the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Everything of the mount but the session; 0 or a negative errno
 * (logged).  fs_fini() undoes it, done or half done. */
static int fs_init(struct mmapfs *fs, const struct mmapfs_opts *o,
		   const struct stat *root_st, bool singlethread)
{
	char err[MMAPFS_ERR_MAX];
	mmapio_mode mode = o->ro ? MMAPIO_RO : o->cow ? MMAPIO_COW : MMAPIO_RW;
	int rc;

	fs->chunk_size = o->chunk_size;
	fs->page_size = mmapio_page_size();
	fs->ro = o->ro;
	fs->cow = o->cow;
	fs->entry_timeout = ENTRY_TIMEOUT;
	fs->name_timeout = NAME_TIMEOUT;
	fs->attr_timeout = ATTR_TIMEOUT;
	fs->kept_timeout =
		o->cache == MMAPFS_CACHE_KEEP ? KEPT_TIMEOUT : ATTR_TIMEOUT;
	fs->root_st = *root_st;
	fs->set_uid = o->set_uid;
	fs->set_gid = o->set_gid;
	fs->uid = (uid_t)o->uid;
	fs->gid = (gid_t)o->gid;
	fs->umask = (mode_t)o->umask;
	if (realpath(o->mountpoint, fs->mnt_real) == NULL) {
		rc = -errno;
		log_err("mountpoint '%s': %s", o->mountpoint, strerror(-rc));
		return rc;
	}
	rc = mmapfs_tree_build(&fs->tree, o->sources, o->nsources, fs->mnt_real,
			       root_st, o->follow_symlinks, err, sizeof(err));
	if (rc != 0) {
		log_err("%s", err);
		return rc;
	}
	rc = mmapfs_statfs_init(fs, o->sources[0]);
	if (rc != 0)
		return rc;
	mmapfs_layout_init(&fs->layout, fs->tree.nnodes);
	/* Each of them fails only for want of memory. */
	rc = mmapfs_times_init(&fs->times, fs->tree.nnodes, TIMES_CAP);
	if (rc == 0)
		rc = mmapfs_files_init(&fs->files, &fs->tree, mode, o->flush,
				       0);
	if (rc == 0)
		rc = mmapfs_co_init(&fs->co, &fs->tree, &fs->layout,
				    fs->chunk_size, !singlethread, o->cache);
	if (rc != 0)
		log_err("out of memory");
	return rc;
}

static void fs_fini(struct mmapfs *fs)
{
	mmapfs_files_destroy(&fs->files);
	mmapfs_co_destroy(&fs->co);
	mmapfs_times_destroy(&fs->times);
	mmapfs_tree_free(&fs->tree);
	if (fs->statfs_fd >= 0)
		close(fs->statfs_fd);
}

/*
 * Serve requests until the session ends: 0 when it was unmounted or a
 * signal ended it, else a negative errno.  (libfuse's loops return the
 * signal's number, a positive value, after a signal.)
 */
static int run_loop(struct fuse_session *se, const struct fuse_cmdline_opts *c)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (c->singlethread) {
		rc = fuse_session_loop(se);
		return rc > 0 ? 0 : rc;
	}
	cfg = fuse_loop_cfg_create();
	if (cfg == NULL)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)c->clone_fd);
	if (c->max_idle_threads != UINT_MAX) /* UINT_MAX: not given */
		fuse_loop_cfg_set_idle_threads(cfg, c->max_idle_threads);
	fuse_loop_cfg_set_max_threads(cfg, c->max_threads);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc > 0 ? 0 : rc;
}

/* The coherence module's last resort at shutdown (co_queue.c): abort our
 * own connection, never another; true when it was done. */
static bool abort_own(void *arg)
{
	struct mmapfs *fs = arg;

	return mmapfs_conn_abort(&fs->conn);
}

/*
 * Mount session `se`, serve until unmounted or signalled, unmount.  0, or
 * a negative errno: -EIO when a libfuse call failed (it returns -1 and has
 * printed why).
 */
static int serve(struct mmapfs *fs, struct fuse_session *se,
		 const struct fuse_cmdline_opts *c)
{
	int rc = -EIO;

	if (fuse_set_signal_handlers(se) != 0)
		return rc;
	if (fuse_session_mount(se, c->mountpoint) != 0)
		goto out_signals;
	/* Threads do not survive the fork of fuse_daemonize(): start the
	 * helper after it. */
	if (fuse_daemonize(c->foreground) != 0)
		goto out_unmount;
	if (!c->foreground)
		mmapfs_log_to_syslog();
	if (mmapfs_conn_find(&fs->conn, fs->mnt_real) != 0)
		log_warn("%s: not in the mount table: the connection cannot be "
			 "aborted at shutdown",
			 fs->mnt_real);
	mmapfs_co_set_abort(&fs->co, abort_own, fs);
	/* A worker stuck at exit (conn.h) ends by the abort. */
	rc = mmapfs_conn_watch_exit(&fs->conn, fs->co.bounds.join_ms);
	if (rc != 0)
		log_warn("no exit watchdog: %s", strerror(-rc));
	mmapfs_co_set_session(&fs->co, se);
	mmapfs_co_set_change_hook(&fs->co, mmapfs_node_changed, fs);
	rc = mmapfs_co_start(&fs->co);
	if (rc == 0)
		rc = run_loop(se, c);
	mmapfs_conn_unwatch(&fs->conn);
out_unmount:
	/* No notification may be pending when the unmount takes the
	 * connection's killsb: the threads that send them stop first, and
	 * one that waits for a request no worker answers any more makes
	 * the daemon abort its own connection (co_queue.c). */
	mmapfs_co_stop(&fs->co);
	fuse_session_unmount(se);
	mmapfs_conn_unmount_aborted(&fs->conn, fs->mnt_real);
out_signals:
	fuse_remove_signal_handlers(se);
	return rc;
}

/* argv with our defaults first, so that the user's arguments win.  0 or
 * -ENOMEM (fuse_opt fails only for want of memory). */
static int build_args(struct fuse_args *args, int argc, char *argv[])
{
	if (fuse_opt_add_arg(args, argv[0]) != 0 ||
	    fuse_opt_add_arg(args, DEFAULT_MAX_THREADS) != 0)
		return -ENOMEM;
	for (int i = 1; i < argc; i++)
		if (fuse_opt_add_arg(args, argv[i]) != 0)
			return -ENOMEM;
	return 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_cmdline_opts cmd = { 0 };
	struct mmapfs_opts o = { 0 };
	struct fuse_session *se;
	struct mmapfs fs;
	struct stat root_st;
	int rc = EXIT_USAGE;

	memset(&fs, 0, sizeof(fs));
	fs.statfs_fd = -1;
	if (build_args(&args, argc, argv) != 0) {
		log_err("out of memory");
		goto out;
	}
	if (mmapfs_opts_parse(&args, &o) != 0) {
		if (o.err[0] != '\0')
			log_err("%s", o.err);
		goto out;
	}
	if (o.help || o.version) {
		if (o.help)
			mmapfs_opts_usage(basename(argv[0]));
		else
			print_version();
		if (o.help && fuse_parse_cmdline(&args, &cmd) == 0) {
			fuse_cmdline_help();
			fuse_lowlevel_help();
		}
		rc = EXIT_SUCCESS;
		goto out;
	}
	if (check_mountpoint(o.mountpoint, &root_st) != 0 ||
	    fuse_parse_cmdline(&args, &cmd) != 0)
		goto out;
	mmapfs_log_set_debug(cmd.debug);
	mmapfs_test_hooks_init();
	raise_nofile();
	if (fs_init(&fs, &o, &root_st, cmd.singlethread) != 0)
		goto out;
	fs.mountpoint = cmd.mountpoint;
	atomic_store(&fs.ra_pending, true);
	se = fuse_session_new(&args, &mmapfs_ops, sizeof(mmapfs_ops), &fs);
	if (se == NULL)
		goto out; /* libfuse said which option it rejects */
	rc = serve(&fs, se, &cmd) == 0 ? EXIT_SUCCESS : EXIT_MOUNT;
	if (fs.co.threads_left) {
		/* A thread of the coherence module may still use the session
		 * (mmapfs_co_stop() could not end it): leave the session and
		 * the module to the process's exit, and flush here. */
		mmapfs_make_durable(&fs);
	} else {
		fuse_session_destroy(se); /* calls destroy: flushes */
	}
out:
	fs_fini(&fs);
	free(cmd.mountpoint);
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);
	return rc;
}
