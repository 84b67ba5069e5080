/*
 * bench_io.c - I/O driver of the mount benchmark (scripts/bench.sh).
 *
 * Each subcommand does one kind of I/O on paths it is given (a mount, the
 * backing file, a native directory: it does not care which) and prints its
 * raw counts on one line of standard output; the script computes ratios.
 *
 *   seq read|write BS PATH [COUNT [direct]]
 *       read (or overwrite in place) PATH, or PATH/0 .. PATH/COUNT-1, whole,
 *       in BS-byte calls (opened with O_DIRECT with "direct", BS then a
 *       multiple of 4096); prints "bytes ns".
 *   rand read|write THREADS MS BS PATH [COUNT [reopen]]
 *       BS-byte preads (pwrites) at random BS-aligned offsets of PATH, or of
 *       random entries PATH/i (i < COUNT, each as large as PATH/0) kept open,
 *       or opened and closed around every call with "reopen"; THREADS
 *       threads for MS milliseconds; prints "ops ns".
 *   sync MOUNT_ENTRY BACKING MAP_OFF DSYNC_OFF N
 *       N rounds, interleaved, of: pwrite + fsync of 4 KiB at the start of
 *       MOUNT_ENTRY; a store into one page of a shared mapping of BACKING at
 *       MAP_OFF + msync(MS_SYNC) of that page; pwrite + fdatasync of 4 KiB
 *       of BACKING at DSYNC_OFF; prints the three median latencies in ns.
 *   stat DIR COUNT N
 *       stat DIR/i for N random i < COUNT; prints "n ns".
 *   mkfiles DIR COUNT [SOURCE PIECE]
 *       create files DIR/0 .. DIR/COUNT-1: empty, or file i holding bytes
 *       [i * PIECE, (i + 1) * PIECE) of SOURCE (the same bytes as the
 *       mount's entries, as native files).
 *   mount MNT TIMEOUT_MS LOG CMD [ARG...]
 *       start CMD in its own session (a daemon in the foreground) with its
 *       output appended to LOG, wait
 *       until MNT is in the mount table and a stat of it returns; prints
 *       "pid ns" (time from fork to that stat).
 *
 * Exit status 0 on success, 1 on an I/O failure, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define SYNC_BYTES 4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: bench_io seq read|write BS PATH [COUNT [direct]]\n"
		"       bench_io rand read|write THREADS MS BS PATH "
		"[COUNT [reopen]]\n"
		"       bench_io sync MOUNT_ENTRY BACKING MAP_OFF DSYNC_OFF N\n"
		"       bench_io stat DIR COUNT N\n"
		"       bench_io mkfiles DIR COUNT [SOURCE PIECE]\n"
		"       bench_io mount MNT TIMEOUT_MS LOG CMD [ARG...]\n");
	return 2;
}

/* Parse a decimal number into *out; 0 or -1. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static void entry_path(char *buf, size_t len, const char *dir, uint64_t i)
{
	snprintf(buf, len, "%s/%llu", dir, (unsigned long long)i);
}

/* A buffer of `len` bytes of pseudo-random content, page-aligned (for
 * O_DIRECT), or NULL. */
static unsigned char *make_buf(size_t len)
{
	unsigned char *buf = aligned_alloc(4096, (len + 4095) / 4096 * 4096);
	uint64_t x = 0x9E3779B97F4A7C15u;

	if (buf == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
	return buf;
}

/* Read or overwrite one file whole in `bs`-byte calls; bytes or -1. */
static int64_t seq_one(const char *path, int wr, int direct, unsigned char *buf,
		       size_t bs)
{
	int fd = open(path, (wr ? O_WRONLY : O_RDONLY) | O_CLOEXEC |
				    (direct ? O_DIRECT : 0));
	struct stat st;
	int64_t done = 0;

	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (;;) {
		size_t want = bs;
		ssize_t n;

		if (wr && (uint64_t)st.st_size - (uint64_t)done < want)
			want = (size_t)((uint64_t)st.st_size - (uint64_t)done);
		if (wr && want == 0)
			break;
		n = wr ? pwrite(fd, buf, want, done) : read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror(path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	close(fd);
	return done;
}

static int cmd_seq(int argc, char **argv)
{
	uint64_t bs, count = 0, t0;
	unsigned char *buf;
	int64_t total = 0;
	int wr, direct;
	char path[PATH_MAX];

	argc--; /* the subcommand's own name */
	argv++;
	if (argc < 1 ||
	    (strcmp(argv[0], "read") != 0 && strcmp(argv[0], "write") != 0))
		return usage();
	direct = argc == 5 && strcmp(argv[4], "direct") == 0;
	if (argc < 3 || argc > 5 || (argc == 5 && !direct) ||
	    parse_u64(argv[1], &bs) != 0 || bs == 0 ||
	    (direct && bs % 4096 != 0) ||
	    (argc >= 4 && parse_u64(argv[3], &count) != 0))
		return usage();
	argc = argc == 5 ? 4 : argc;
	wr = strcmp(argv[0], "write") == 0;
	buf = make_buf(bs);
	if (buf == NULL)
		return 1;
	t0 = now_ns();
	for (uint64_t i = 0; i < (argc == 4 ? count : 1); i++) {
		int64_t n;

		if (argc == 4)
			entry_path(path, sizeof path, argv[2], i);
		n = seq_one(argc == 4 ? path : argv[2], wr, direct, buf, bs);
		if (n < 0) {
			free(buf);
			return 1;
		}
		total += n;
	}
	printf("%lld %llu\n", (long long)total,
	       (unsigned long long)(now_ns() - t0));
	free(buf);
	return 0;
}

struct rand_job {
	const char *path;  /* file, or directory of entries */
	const int *fds;	   /* open entries (count of them), or NULL */
	uint64_t count;	   /* entries; 0 for a single file */
	uint64_t span;	   /* bytes of the file or of one entry */
	uint64_t bs;	   /* bytes per call */
	uint64_t deadline; /* now_ns() at which to stop */
	int wr;		   /* pwrite instead of pread */
	int reopen;	   /* open and close around every call */
	int single_fd;	   /* the file's descriptor when count == 0 */
	unsigned seed;	   /* per thread */
	uint64_t ops;	   /* out: calls done */
	int failed;	   /* out */
};

static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* One random call; 0 or -1. */
static int rand_one(struct rand_job *j, unsigned char *buf, uint64_t *x)
{
	uint64_t blocks = j->span / j->bs;
	off_t off = (off_t)((next_rand(x) % blocks) * j->bs);
	int fd = j->single_fd;
	char path[PATH_MAX];
	ssize_t n;

	if (j->count > 0) {
		uint64_t i = next_rand(x) % j->count;

		if (j->reopen) {
			entry_path(path, sizeof path, j->path, i);
			fd = open(path,
				  (j->wr ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
			if (fd < 0) {
				perror(path);
				return -1;
			}
		} else {
			fd = j->fds[i];
		}
	}
	n = j->wr ? pwrite(fd, buf, j->bs, off) : pread(fd, buf, j->bs, off);
	if (j->reopen)
		close(fd);
	if (n != (ssize_t)j->bs) {
		fprintf(stderr, "bench_io: %s at %lld: %s\n",
			j->wr ? "pwrite" : "pread", (long long)off,
			n < 0 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}

static void *rand_thread(void *arg)
{
	struct rand_job *j = arg;
	unsigned char *buf = make_buf(j->bs);
	uint64_t x = 0x2545F4914F6CDD1Du * (j->seed + 1u);

	if (buf == NULL) {
		j->failed = 1;
		return NULL;
	}
	while (!j->failed) {
		for (int k = 0; k < 16; k++) {
			if (rand_one(j, buf, &x) != 0) {
				j->failed = 1;
				break;
			}
			j->ops++;
		}
		if (now_ns() >= j->deadline)
			break;
	}
	free(buf);
	return NULL;
}

/* Open the file or the entries of the job template; 0 or -1. */
static int rand_open(struct rand_job *t, int **fds)
{
	int flags = (t->wr ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	char path[PATH_MAX];
	struct stat st;

	*fds = NULL;
	if (t->count == 0) {
		t->single_fd = open(t->path, flags);
		if (t->single_fd < 0 || fstat(t->single_fd, &st) != 0)
			goto fail;
		t->span = (uint64_t)st.st_size;
		return 0;
	}
	entry_path(path, sizeof path, t->path, 0);
	if (stat(path, &st) != 0)
		goto fail;
	t->span = (uint64_t)st.st_size;
	if (t->reopen)
		return 0;
	*fds = malloc(t->count * sizeof **fds);
	if (*fds == NULL)
		return -1;
	for (uint64_t i = 0; i < t->count; i++)
		(*fds)[i] = -1;
	for (uint64_t i = 0; i < t->count; i++) {
		entry_path(path, sizeof path, t->path, i);
		(*fds)[i] = open(path, flags);
		if ((*fds)[i] < 0)
			goto fail;
	}
	t->fds = *fds;
	return 0;
fail:
	perror(t->path);
	return -1;
}

static int cmd_rand(int argc, char **argv)
{
	uint64_t threads, ms, bs, t0, ops = 0;
	struct rand_job t = { 0 }, jobs[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	int *fds = NULL, rc = 0;

	argc--; /* the subcommand's own name */
	argv++;
	if (argc < 1 ||
	    (strcmp(argv[0], "read") != 0 && strcmp(argv[0], "write") != 0))
		return usage();
	if (argc < 5 || argc > 7 || parse_u64(argv[1], &threads) != 0 ||
	    threads == 0 || threads > MAX_THREADS ||
	    parse_u64(argv[2], &ms) != 0 || parse_u64(argv[3], &bs) != 0 ||
	    bs == 0 || (argc >= 6 && parse_u64(argv[5], &t.count) != 0) ||
	    (argc == 7 && strcmp(argv[6], "reopen") != 0))
		return usage();
	t.path = argv[4];
	t.bs = bs;
	t.wr = strcmp(argv[0], "write") == 0;
	t.reopen = argc == 7;
	t.single_fd = -1;
	if (rand_open(&t, &fds) != 0 || t.span < bs) {
		rc = 1;
		goto out;
	}
	t0 = now_ns();
	t.deadline = t0 + ms * 1000000u;
	for (uint64_t i = 0; i < threads; i++) {
		jobs[i] = t;
		jobs[i].seed = (unsigned)i;
		if (pthread_create(&tid[i], NULL, rand_thread, &jobs[i]) != 0) {
			fprintf(stderr, "bench_io: pthread_create failed\n");
			exit(1);
		}
	}
	for (uint64_t i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		ops += jobs[i].ops;
		rc |= jobs[i].failed;
	}
	if (rc == 0)
		printf("%llu %llu\n", (unsigned long long)ops,
		       (unsigned long long)(now_ns() - t0));
out:
	if (fds != NULL)
		for (uint64_t i = 0; i < t.count; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	free(fds);
	if (t.single_fd >= 0)
		close(t.single_fd);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t median(uint64_t *v, uint64_t n)
{
	qsort(v, n, sizeof *v, cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round of the three contenders, in an order alternating with `i`. */
static int sync_round(uint64_t i, int mfd, int bfd, unsigned char *map,
		      off_t doff, uint64_t *lat)
{
	unsigned char buf[SYNC_BYTES];

	memset(buf, (int)(i & 0xff), sizeof buf);
	for (int k = 0; k < 3; k++) {
		int which = (int)((k + i) % 3);
		uint64_t t0 = now_ns();
		int rc;

		if (which == 0) {
			rc = pwrite(mfd, buf, sizeof buf, 0) == SYNC_BYTES &&
					     fsync(mfd) == 0
				     ? 0
				     : -1;
		} else if (which == 1) {
			memcpy(map, buf, sizeof buf);
			rc = msync(map, SYNC_BYTES, MS_SYNC);
		} else {
			rc = pwrite(bfd, buf, sizeof buf, doff) == SYNC_BYTES &&
					     fdatasync(bfd) == 0
				     ? 0
				     : -1;
		}
		if (rc != 0) {
			perror("bench_io sync");
			return -1;
		}
		lat[which] = now_ns() - t0;
	}
	return 0;
}

static int cmd_sync(int argc, char **argv)
{
	uint64_t moff, doff, n, *lat;
	int mfd, bfd, rc = 1;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *map = MAP_FAILED;

	if (argc != 6 || parse_u64(argv[3], &moff) != 0 ||
	    parse_u64(argv[4], &doff) != 0 || parse_u64(argv[5], &n) != 0 ||
	    n == 0 || moff % (uint64_t)page != 0)
		return usage();
	lat = calloc(3 * n, sizeof *lat);
	mfd = open(argv[1], O_WRONLY | O_CLOEXEC);
	bfd = open(argv[2], O_RDWR | O_CLOEXEC);
	if (lat == NULL || mfd < 0 || bfd < 0) {
		perror("bench_io sync: open");
		goto out;
	}
	map = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, bfd,
		   (off_t)moff);
	if (map == MAP_FAILED) {
		perror("bench_io sync: mmap");
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t one[3];

		if (sync_round(i, mfd, bfd, map, (off_t)doff, one) != 0)
			goto out;
		for (int k = 0; k < 3; k++)
			lat[k * n + i] = one[k];
	}
	printf("%llu %llu %llu\n", (unsigned long long)median(lat, n),
	       (unsigned long long)median(lat + n, n),
	       (unsigned long long)median(lat + 2 * n, n));
	rc = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)page);
	if (mfd >= 0)
		close(mfd);
	if (bfd >= 0)
		close(bfd);
	free(lat);
	return rc;
}

static int cmd_stat(int argc, char **argv)
{
	uint64_t count, n, t0, x = 0x9E3779B97F4A7C15u;
	char path[PATH_MAX];
	struct stat st;

	if (argc != 4 || parse_u64(argv[2], &count) != 0 || count == 0 ||
	    parse_u64(argv[3], &n) != 0)
		return usage();
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		entry_path(path, sizeof path, argv[1], next_rand(&x) % count);
		if (stat(path, &st) != 0) {
			perror(path);
			return 1;
		}
	}
	printf("%llu %llu\n", (unsigned long long)n,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}

/* Copy [off, off + len) of `src` into the new file `fd`; 0 or -1. */
static int copy_piece(int src, int fd, uint64_t off, uint64_t len)
{
	unsigned char buf[65536];

	while (len > 0) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t n = pread(src, buf, want, (off_t)off);

		if (n <= 0)
			return n == 0 ? 0 : -1; /* the source's end */
		if (write(fd, buf, (size_t)n) != n)
			return -1;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int cmd_mkfiles(int argc, char **argv)
{
	uint64_t count, piece = 0;
	char path[PATH_MAX];
	int src = -1, rc = 0;

	if ((argc != 3 && argc != 5) || parse_u64(argv[2], &count) != 0 ||
	    (argc == 5 && parse_u64(argv[4], &piece) != 0))
		return usage();
	if (argc == 5 && (src = open(argv[3], O_RDONLY | O_CLOEXEC)) < 0) {
		perror(argv[3]);
		return 1;
	}
	for (uint64_t i = 0; i < count && rc == 0; i++) {
		int fd;

		entry_path(path, sizeof path, argv[1], i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 ||
		    (src >= 0 && copy_piece(src, fd, i * piece, piece) != 0)) {
			perror(path);
			rc = 1;
		}
		if (fd >= 0)
			close(fd);
	}
	if (src >= 0)
		close(src);
	return rc;
}

/* 1 if `mnt` is a mount point in this namespace's table, else 0. */
static int is_mounted(const char *mnt)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		char *save = NULL, *tok = strtok_r(line, " ", &save);

		for (int field = 1; tok != NULL && field < 5; field++)
			tok = strtok_r(NULL, " ", &save);
		found = tok != NULL && strcmp(tok, mnt) == 0;
	}
	fclose(f);
	return found;
}

static int cmd_mount(int argc, char **argv)
{
	uint64_t timeout_ms, t0;
	struct timespec pause = { 0, 200000 };
	struct stat st;
	pid_t pid;

	if (argc < 5 || parse_u64(argv[2], &timeout_ms) != 0)
		return usage();
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		int log = open(argv[3], O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (log < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(127);
		close(log);
		setsid();
		execvp(argv[4], argv + 4);
		perror(argv[4]);
		_exit(127);
	}
	while (!is_mounted(argv[1])) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "bench_io: %s exited before mounting\n",
				argv[4]);
			return 1;
		}
		if (now_ns() - t0 > timeout_ms * 1000000u) {
			fprintf(stderr, "bench_io: %s not mounted in time\n",
				argv[1]);
			printf("%d 0\n",
			       (int)pid); /* so the caller can stop it */
			return 1;
		}
		nanosleep(&pause, NULL);
	}
	if (stat(argv[1], &st) != 0) { /* waits for the daemon's INIT */
		perror(argv[1]);
		printf("%d 0\n", (int)pid);
		return 1;
	}
	printf("%d %llu\n", (int)pid, (unsigned long long)(now_ns() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "seq", cmd_seq },	    { "rand", cmd_rand },
		{ "sync", cmd_sync },	    { "stat", cmd_stat },
		{ "mkfiles", cmd_mkfiles }, { "mount", cmd_mount },
	};

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	return usage();
}
