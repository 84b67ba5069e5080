/*
 * fsprobe.c - system-call probes for the mount tests.
 *
 * Each subcommand does one thing the shell cannot do precisely (exact
 * errno, short write counts, mmap, threads, seekdir) and exits 0 when the
 * filesystem behaved, 1 with one line on stderr when it did not.
 *
 *   fsprobe errno ERRNO OP PATH [ARG]   OP fails with ERRNO (or "0")
 *   fsprobe names DIR COUNT             every malformed name is ENOENT
 *   fsprobe writeend FILE               short write at the end, ENOSPC
 *   fsprobe alias A AOFF B BOFF LEN     write via A, read via B (fd, mmap)
 *   fsprobe race A AOFF B BOFF LEN N    two threads write overlapping
 *   fsprobe seekdir DIR                 telldir/seekdir resume anywhere
 *   fsprobe span CHUNK OFF PAGES FIRST N  one write across N pages
 *   fsprobe mmapwrite A AOFF B BOFF LEN store via mmap of A, msync,
 *                                       read via B
 *   fsprobe fill FILE BYTE [fsync]      overwrite FILE with BYTE
 *   fsprobe truncread ENTRY BACKING SIZE  truncate under an open entry:
 *                                       its reads give EIO or 0 bytes
 *   fsprobe ownrace ENTRY BACKING OFF LEN DELAYMS
 *                                       a write's own page dropped and
 *                                       read back before the write
 *                                       reaches the daemon's mapping
 *   fsprobe seek FILE data|hole OFF     print lseek(2) SEEK_DATA/SEEK_HOLE
 *                                       from OFF: the offset, or the
 *                                       errno's name
 *   fsprobe falloc ERRNO FILE MODE OFF LEN  fallocate(2) fails with ERRNO
 *                                       (or "0"); MODE: alloc, punch,
 *                                       zero, zerokeep
 *   fsprobe truncheld FILE              read FILE whole into the page
 *                                       cache, ftruncate it to 0 through
 *                                       the same descriptor, read zeros
 *                                       back through it, size unchanged
 *   fsprobe truncdirty FILE             store into a shared mmap() of
 *                                       FILE, truncate(2) it to 0 with the
 *                                       page dirty: returns (no hang),
 *                                       size unchanged
 *   fsprobe stress DIR CHUNKS PPC THREADS ROUNDS
 *                                       random writes and checked reads
 *                                       through every alias (see below)
 *   fsprobe durable ENTRY BYTE HOW      overwrite ENTRY with BYTE, sync
 *                                       it (HOW: fsync, fdatasync, msync
 *                                       of a shared mapping); then the
 *                                       backing file's range holds BYTE
 *                                       and has no dirty page (77: no
 *                                       cachestat(2) to tell)
 *   fsprobe outside ENTRY BACKING BOFF LEN BARRIER
 *                                       another process's write(2) to
 *                                       the backing file, then a getxattr
 *                                       of BARRIER through the mount: an
 *                                       open descriptor and a mapping of
 *                                       ENTRY (starting at BOFF) see it
 *   fsprobe mstore FILE OFF TEXT        store TEXT at OFF through a
 *                                       shared mapping of FILE, msync (a
 *                                       change that raises no inotify
 *                                       event)
 *   fsprobe gen FILE SIZE [SEED]        write SIZE pseudo-random bytes,
 *                                       a function of SEED (default: of
 *                                       FILE's base name and SIZE)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cachestat.h"

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fsprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

struct errname {
	const char *name;
	int value;
};

static const struct errname errnames[] = {
	{ "0", 0 },
	{ "ENOENT", ENOENT },
	{ "EPERM", EPERM },
	{ "EROFS", EROFS },
	{ "EACCES", EACCES },
	{ "ENOSPC", ENOSPC },
	{ "EISDIR", EISDIR },
	{ "ENOTDIR", ENOTDIR },
	{ "ENODATA", ENODATA },
	{ "EOPNOTSUPP", EOPNOTSUPP },
	{ "EINVAL", EINVAL },
	{ "EIO", EIO },
	{ "EEXIST", EEXIST },
	{ "ENOTEMPTY", ENOTEMPTY },
	{ "EXDEV", EXDEV },
	{ "EBADF", EBADF },
	{ "EFBIG", EFBIG },
	{ "ERANGE", ERANGE },
	{ "ENOTSUP", ENOTSUP },
	{ "ENXIO", ENXIO },
};

static int errno_of(const char *name)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcmp(errnames[i].name, name) == 0)
			return errnames[i].value;
	return -1;
}

/* One operation; returns 0 or errno. */
static int do_op(const char *op, const char *path, const char *arg)
{
	char buf[16] = "x";
	int fd, rc = 0;

	if (strcmp(op, "open_r") == 0 || strcmp(op, "open_w") == 0 ||
	    strcmp(op, "open_trunc") == 0 || strcmp(op, "open_dir_w") == 0 ||
	    strcmp(op, "create") == 0) {
		int fl = op[5] == 'r'	? O_RDONLY
			 : op[5] == 't' ? O_WRONLY | O_TRUNC
			 : op[0] == 'c' ? O_WRONLY | O_CREAT | O_EXCL
					: O_WRONLY;
		fd = open(path, fl, 0644);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	}
	if (strcmp(op, "mkdir") == 0)
		rc = mkdir(path, 0755);
	else if (strcmp(op, "rmdir") == 0)
		rc = rmdir(path);
	else if (strcmp(op, "unlink") == 0)
		rc = unlink(path);
	else if (strcmp(op, "rename") == 0)
		rc = rename(path, arg);
	else if (strcmp(op, "link") == 0)
		rc = link(path, arg);
	else if (strcmp(op, "symlink") == 0)
		rc = symlink("target", path);
	else if (strcmp(op, "mknod") == 0)
		rc = mknod(path, S_IFIFO | 0644, 0);
	else if (strcmp(op, "chmod") == 0)
		rc = chmod(path, 0600);
	else if (strcmp(op, "chown") == 0)
		rc = chown(path, 1, 1);
	else if (strcmp(op, "utimens") == 0)
		rc = utimensat(AT_FDCWD, path, NULL, 0);
	else if (strcmp(op, "truncate") == 0)
		rc = truncate(path, strtoll(arg, NULL, 10));
	else if (strcmp(op, "setxattr") == 0)
		rc = setxattr(path, arg, "1", 1, 0);
	else if (strcmp(op, "removexattr") == 0)
		rc = removexattr(path, arg);
	else if (strcmp(op, "getxattr") == 0)
		rc = getxattr(path, arg, buf, sizeof(buf)) < 0 ? -1 : 0;
	else if (strcmp(op, "stat") == 0)
		rc = stat(path, &(struct stat){ 0 });
	else if (strcmp(op, "fallocate") == 0 || strcmp(op, "pwrite") == 0 ||
		 strcmp(op, "append") == 0) {
		fd = open(path, op[0] == 'a' ? O_WRONLY | O_APPEND : O_WRONLY);
		if (fd < 0)
			return errno;
		if (op[0] == 'f')
			rc = fallocate(fd, 0, 0, 4096);
		else if (op[0] == 'a')
			rc = write(fd, buf, 1) < 0 ? -1 : 0;
		else
			rc = pwrite(fd, buf, 1,
				    arg ? strtoll(arg, NULL, 10) : 0) < 0
				     ? -1
				     : 0;
		int e = errno;
		close(fd);
		errno = e;
	} else if (strcmp(op, "pread") == 0) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return errno;
		rc = pread(fd, buf, 1, strtoll(arg, NULL, 10)) < 0 ? -1 : 0;
		int e = errno;
		close(fd);
		errno = e;
	} else {
		fprintf(stderr, "fsprobe: unknown op %s\n", op);
		exit(2);
	}
	return rc < 0 ? errno : 0;
}

static int cmd_errno(int argc, char **argv)
{
	int want, got;

	if (argc < 3)
		return fail("usage: errno ERRNO OP PATH [ARG]");
	want = errno_of(argv[0]);
	if (want < 0)
		return fail("unknown errno name %s", argv[0]);
	got = do_op(argv[1], argv[2], argc > 3 ? argv[3] : NULL);
	if (got != want)
		return fail("%s %s%s%s: expected %s, got %s", argv[1], argv[2],
			    argc > 3 ? " " : "", argc > 3 ? argv[3] : "",
			    argv[0], got ? strerrorname_np(got) : "success");
	return 0;
}

/* Every malformed spelling of an entry number must be ENOENT. */
static int cmd_names(int argc, char **argv)
{
	char path[4096], name[300], last[32];
	const char *bad[] = { "00",
			      "01",
			      "007",
			      "+1",
			      "-1",
			      "-0",
			      " 1",
			      "1 ",
			      "0x1",
			      "0X1",
			      "1e3",
			      "1.0",
			      "1,0",
			      "",
			      "18446744073709551616",
			      "99999999999999999999",
			      "184467440737095516150",
			      "١",
			      "0\t",
			      "a",
			      "1a",
			      "..1" };
	int errs = 0;
	long count;

	if (argc < 2)
		return fail("usage: names DIR COUNT");
	count = strtol(argv[1], NULL, 10);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i][0] == '\0')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[0], bad[i]);
		if (access(path, F_OK) == 0 || errno != ENOENT)
			errs += fail("name '%s': expected ENOENT, got %s",
				     bad[i], strerror(errno));
	}
	snprintf(last, sizeof(last), "%ld", count);
	const char *past[] = { last, "18446744073709551615",
			       "4611686018427387904" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[0], past[i]);
		if (access(path, F_OK) == 0 || errno != ENOENT)
			errs += fail("name '%s' past the end: expected ENOENT",
				     past[i]);
	}
	memset(name, '1', 255);
	name[255] = '\0';
	snprintf(path, sizeof(path), "%s/%s", argv[0], name);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		errs += fail("255-character name: expected ENOENT, got %s",
			     strerror(errno));
	name[0] = '0';
	snprintf(path, sizeof(path), "%s/%s", argv[0], name);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		errs += fail("255-character name with leading zero: %s",
			     strerror(errno));
	if (count > 0) {
		snprintf(path, sizeof(path), "%s/%ld", argv[0], count - 1);
		if (access(path, F_OK) != 0)
			errs += fail("last entry %s: %s", path,
				     strerror(errno));
	}
	return errs ? 1 : 0;
}

static int cmd_writeend(int argc, char **argv)
{
	char buf[8192];
	struct stat st;
	ssize_t n;
	int fd;

	if (argc < 1)
		return fail("usage: writeend FILE");
	fd = open(argv[0], O_WRONLY);
	if (fd < 0 || fstat(fd, &st) != 0)
		return fail("open %s: %s", argv[0], strerror(errno));
	memset(buf, 'E', sizeof(buf));
	n = pwrite(fd, buf, 100, st.st_size - 10);
	if (n != 10)
		return fail("write across the end: expected 10, got %zd (%s)",
			    n, n < 0 ? strerror(errno) : "short");
	n = pwrite(fd, buf, 100, st.st_size);
	if (n != -1 || errno != ENOSPC)
		return fail("write at the end: expected ENOSPC, got %zd (%s)",
			    n, strerror(errno));
	n = pwrite(fd, buf, 1, st.st_size + 4096);
	if (n != -1 || errno != ENOSPC)
		return fail("write past the end: expected ENOSPC, got %zd", n);
	close(fd);
	if (stat(argv[0], &st) != 0)
		return fail("stat: %s", strerror(errno));
	return 0;
}

static void pattern(unsigned char *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

/*
 * Write through A at AOFF, then expect the same bytes through B at BOFF:
 * with pread on a descriptor opened (and cached) before the write, and
 * through an mmap of B made before the write.  Then the other way round.
 */
static int alias_round(const char *a, long aoff, const char *b, long boff,
		       size_t len, unsigned seed)
{
	unsigned char *want = malloc(len), *got = malloc(len);
	int fa = open(a, O_RDWR), fb = open(b, O_RDWR), errs = 0;
	long page = sysconf(_SC_PAGESIZE);
	long mbase = boff - boff % page;
	size_t mlen = (size_t)(boff - mbase) + len;
	unsigned char *map;

	if (fa < 0 || fb < 0 || !want || !got)
		return fail("open %s / %s: %s", a, b, strerror(errno));
	/* Warm B's page cache and its mapping with the old bytes. */
	if (pread(fb, got, len, boff) != (ssize_t)len)
		return fail("pread %s: %s", b, strerror(errno));
	map = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fb, mbase);
	if (map == MAP_FAILED)
		return fail("mmap %s: %s", b, strerror(errno));
	volatile unsigned char touch = map[boff - mbase];
	(void)touch;
	pattern(want, len, seed);
	if (pwrite(fa, want, len, aoff) != (ssize_t)len)
		return fail("pwrite %s: %s", a, strerror(errno));
	if (pread(fb, got, len, boff) != (ssize_t)len ||
	    memcmp(want, got, len) != 0)
		errs += fail("stale read through %s after write to %s", b, a);
	if (memcmp(map + (boff - mbase), want, len) != 0)
		errs += fail("stale mmap of %s after write to %s", b, a);
	munmap(map, mlen);
	close(fa);
	close(fb);
	free(want);
	free(got);
	return errs;
}

static int cmd_alias(int argc, char **argv)
{
	int errs = 0;

	if (argc < 5)
		return fail("usage: alias A AOFF B BOFF LEN");
	for (unsigned r = 1; r <= 8; r++) {
		errs += alias_round(argv[0], atol(argv[1]), argv[2],
				    atol(argv[3]), (size_t)atol(argv[4]), r);
		errs += alias_round(argv[2], atol(argv[3]), argv[0],
				    atol(argv[1]), (size_t)atol(argv[4]),
				    r + 100);
	}
	return errs ? 1 : 0;
}

/*
 * One write through CHUNK from the middle of page FIRST to the middle of
 * page FIRST + N - 1 (page FIRST starts at OFF in CHUNK); every page, each
 * open and mapped before the write, must show its part.
 */
static int cmd_span(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE), off, first, n;
	unsigned char *want, *got, *maps[64];
	int fc, fds[64], errs = 0;
	char path[4096];
	size_t len;

	if (argc < 5)
		return fail("usage: span CHUNK OFF PAGES FIRST N");
	off = atol(argv[1]);
	first = atol(argv[3]);
	n = atol(argv[4]);
	if (n < 2 || n > 64)
		return fail("N must be 2..64");
	len = (size_t)((n - 1) * page);
	want = malloc(len);
	got = malloc((size_t)page);
	fc = open(argv[0], O_RDWR);
	if (fc < 0 || !want || !got)
		return fail("open %s: %s", argv[0], strerror(errno));
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%ld", argv[2], first + i);
		fds[i] = open(path, O_RDONLY);
		if (fds[i] < 0 || pread(fds[i], got, (size_t)page, 0) < 0)
			return fail("open %s: %s", path, strerror(errno));
		maps[i] = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED,
			       fds[i], 0);
		if (maps[i] == MAP_FAILED)
			return fail("mmap %s: %s", path, strerror(errno));
		volatile unsigned char t = maps[i][0];
		(void)t;
	}
	pattern(want, len, 777);
	if (pwrite(fc, want, len, off + page / 2) != (ssize_t)len)
		return fail("pwrite: %s", strerror(errno));
	for (long i = 0; i < n; i++) {
		/* Part of page i written: [lo, hi) in page coordinates. */
		long lo = i == 0 ? page / 2 : 0;
		long hi = i == n - 1 ? page / 2 : page;
		const unsigned char *w = want + (i * page + lo - page / 2);

		if (pread(fds[i], got, (size_t)page, 0) != page ||
		    memcmp(got + lo, w, (size_t)(hi - lo)) != 0)
			errs += fail("page %ld stale through its descriptor",
				     first + i);
		if (memcmp(maps[i] + lo, w, (size_t)(hi - lo)) != 0)
			errs += fail("page %ld stale through mmap", first + i);
		munmap(maps[i], (size_t)page);
		close(fds[i]);
	}
	close(fc);
	free(want);
	free(got);
	return errs ? 1 : 0;
}

/* A store through a shared writable mmap of A is seen through B after
 * msync() returns. */
static int cmd_mmapwrite(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE), aoff, boff, base;
	unsigned char *want, *got, *map;
	size_t len, mlen;
	int fa, fb, errs = 0;

	if (argc < 5)
		return fail("usage: mmapwrite A AOFF B BOFF LEN");
	aoff = atol(argv[1]);
	boff = atol(argv[3]);
	len = (size_t)atol(argv[4]);
	base = aoff - aoff % page;
	mlen = (size_t)(aoff - base) + len;
	fa = open(argv[0], O_RDWR);
	fb = open(argv[2], O_RDONLY);
	want = malloc(len);
	got = malloc(len);
	if (fa < 0 || fb < 0 || !want || !got)
		return fail("open: %s", strerror(errno));
	map = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, fa, base);
	if (map == MAP_FAILED)
		return fail("mmap %s: %s", argv[0], strerror(errno));
	for (unsigned r = 1; r <= 8; r++) {
		if (pread(fb, got, len, boff) != (ssize_t)len)
			return fail("pread: %s", strerror(errno));
		pattern(want, len, r + 500);
		memcpy(map + (aoff - base), want, len);
		if (msync(map, mlen, MS_SYNC) != 0)
			return fail("msync: %s", strerror(errno));
		if (pread(fb, got, len, boff) != (ssize_t)len ||
		    memcmp(got, want, len) != 0)
			errs += fail("round %u: %s stale after msync of %s", r,
				     argv[2], argv[0]);
	}
	munmap(map, mlen);
	close(fa);
	close(fb);
	free(want);
	free(got);
	return errs ? 1 : 0;
}

struct racer {
	const char *path;
	long off;
	size_t len;
	long rounds;
	int err;
};

static void *race_main(void *arg)
{
	struct racer *r = arg;
	unsigned char *buf = malloc(r->len);
	int fd = open(r->path, O_RDWR);

	if (fd < 0 || buf == NULL) {
		r->err = errno;
		return NULL;
	}
	for (long i = 0; i < r->rounds; i++) {
		pattern(buf, r->len, (unsigned)i);
		if (pwrite(fd, buf, r->len, r->off) != (ssize_t)r->len ||
		    pread(fd, buf, r->len, r->off) != (ssize_t)r->len) {
			r->err = errno ? errno : EIO;
			break;
		}
		if ((i & 7) == 0 && fsync(fd) != 0) {
			r->err = errno;
			break;
		}
	}
	close(fd);
	free(buf);
	return NULL;
}

/* Two writers per alias, all overlapping; finishing is the test. */
static int cmd_race(int argc, char **argv)
{
	struct racer r[4];
	pthread_t t[4];

	if (argc < 6)
		return fail("usage: race A AOFF B BOFF LEN N");
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ argv[(i & 1) * 2],
				       atol(argv[(i & 1) * 2 + 1]),
				       (size_t)atol(argv[4]), atol(argv[5]),
				       0 };
		pthread_create(&t[i], NULL, race_main, &r[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		if (r[i].err)
			return fail("writer %d: %s", i, strerror(r[i].err));
	return 0;
}

/* List DIR, then seekdir to every remembered position and compare. */
static int cmd_seekdir(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;
	long *pos = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int errs = 0;

	if (argc < 1 || (d = opendir(argv[0])) == NULL)
		return fail("opendir: %s", strerror(errno));
	for (;;) {
		long p = telldir(d);

		de = readdir(d);
		if (de == NULL)
			break;
		if (n == cap) { /* geometric: a million entries stay cheap */
			cap = cap ? cap * 2 : 1024;
			pos = realloc(pos, cap * sizeof(*pos));
			names = realloc(names, cap * sizeof(*names));
			if (pos == NULL || names == NULL)
				return fail("out of memory");
		}
		pos[n] = p;
		names[n++] = strdup(de->d_name);
	}
	for (size_t k = 0; k < n; k += 1 + n / 50) {
		size_t i = (k * 7919) % n;

		seekdir(d, pos[i]);
		de = readdir(d);
		if (de == NULL || strcmp(de->d_name, names[i]) != 0)
			errs += fail("seekdir to entry %zu: got %s, want %s", i,
				     de ? de->d_name : "(end)", names[i]);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(pos);
	return errs ? 1 : 0;
}

static int cmd_fill(int argc, char **argv)
{
	char buf[65536];
	struct stat st;
	off_t done = 0;
	int fd;

	if (argc < 2)
		return fail("usage: fill FILE BYTE [fsync]");
	fd = open(argv[0], O_WRONLY);
	if (fd < 0 || fstat(fd, &st) != 0)
		return fail("open %s: %s", argv[0], strerror(errno));
	memset(buf, argv[1][0], sizeof(buf));
	while (done < st.st_size) {
		size_t n = st.st_size - done < (off_t)sizeof(buf)
				   ? (size_t)(st.st_size - done)
				   : sizeof(buf);
		ssize_t w = pwrite(fd, buf, n, done);

		if (w <= 0)
			return fail("write %s: %s", argv[0], strerror(errno));
		done += w;
	}
	if (argc > 2 && fsync(fd) != 0)
		return fail("fsync %s: %s", argv[0], strerror(errno));
	close(fd);
	return 0;
}

static int all_byte(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* Store byte c over the entry open as fd (len bytes) through a shared
 * mapping, and msync(MS_SYNC) it: the kernel writes the pages back, then
 * sends FUSE_FSYNC.  0, or -1 with errno. */
static int store_and_msync(int fd, size_t len, int c)
{
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int rc;

	if (m == MAP_FAILED)
		return -1;
	memset(m, c, len);
	rc = msync(m, len, MS_SYNC);
	munmap(m, len);
	return rc;
}

/* pwrite byte c over the entry open as fd (len bytes).  0, or -1. */
static int overwrite(int fd, size_t len, int c)
{
	char *buf = malloc(len);
	int rc;

	if (buf == NULL)
		return -1;
	memset(buf, c, len);
	rc = pwrite(fd, buf, len, 0) == (ssize_t)len ? 0 : -1;
	free(buf);
	return rc;
}

struct durable {
	const char *entry, *how, *src;
	int fd, bfd;
	uint64_t off, len;
	char *back;
};

/* Write and sync as d->how says, and count the backing range's unclean
 * pages before the sync (pwrite only; UINT64_MAX when not counted) and
 * after it.  0, or 1 with a message. */
static int durable_run(struct durable *d, int c, uint64_t *before,
		       uint64_t *after)
{
	uint64_t dirty = 0, wb = 0;
	int rc;

	*before = UINT64_MAX;
	if (strcmp(d->how, "msync") == 0) {
		rc = store_and_msync(d->fd, d->len, c);
	} else {
		if (overwrite(d->fd, d->len, c) != 0)
			return fail("write %s: %s", d->entry, strerror(errno));
		if (cs_unclean(d->bfd, d->off, d->len, &dirty, &wb) == 0)
			*before = dirty + wb;
		rc = strcmp(d->how, "fdatasync") == 0 ? fdatasync(d->fd)
						      : fsync(d->fd);
	}
	if (rc != 0)
		return fail("%s %s: %s", d->how, d->entry, strerror(errno));
	rc = cs_unclean(d->bfd, d->off, d->len, &dirty, &wb);
	if (rc != 0)
		return fail("cachestat %s: %s", d->src, strerror(-rc));
	*after = dirty + wb;
	if (*after != 0)
		return fail("%s of %s returned, but %llu dirty and %llu "
			    "writeback pages of %s's range [%llu, +%llu) are "
			    "not on disk",
			    d->how, d->entry, (unsigned long long)dirty,
			    (unsigned long long)wb, d->src,
			    (unsigned long long)d->off,
			    (unsigned long long)d->len);
	return 0;
}

/* Read an attribute of the entry as a string; 0, or -1. */
static int get_attr(const char *path, const char *name, char *buf, size_t n)
{
	ssize_t got = getxattr(path, name, buf, n - 1);

	if (got <= 0)
		return -1;
	buf[got] = '\0';
	return 0;
}

/*
 * What an fsync through the mount promises: the entry's range is on disk
 * in the backing file.  Killing the daemon cannot show a missing msync
 * (the pages the daemon's mapping dirtied stay in the page cache and
 * reach the disk later); the count of dirty pages right after the sync
 * returns can (cachestat.h).  The range and the backing file come from
 * the entry's user.mmapfs.* attributes.  Prints the counts before and
 * after the sync as figures.
 */
static int cmd_durable(int argc, char **argv)
{
	char src[4096], offs[32];
	struct durable d = { .fd = -1, .bfd = -1 };
	uint64_t before = 0, after = 0;
	struct stat st;
	const char *why;
	int rc = 1;

	if (argc < 3 || (strcmp(argv[2], "fsync") != 0 &&
			 strcmp(argv[2], "fdatasync") != 0 &&
			 strcmp(argv[2], "msync") != 0))
		return fail("usage: durable ENTRY BYTE fsync|fdatasync|msync");
	d.entry = argv[0];
	d.how = argv[2];
	d.src = src;
	if (get_attr(d.entry, "user.mmapfs.source", src, sizeof(src)) != 0 ||
	    get_attr(d.entry, "user.mmapfs.offset", offs, sizeof(offs)) != 0)
		return fail("%s: no user.mmapfs.* attributes: %s", d.entry,
			    strerror(errno));
	d.off = strtoull(offs, NULL, 10);
	d.fd = open(d.entry, O_RDWR);
	d.bfd = open(src, O_RDONLY);
	if (d.fd < 0 || d.bfd < 0 || fstat(d.fd, &st) != 0 || st.st_size == 0) {
		rc = fail("open %s and %s: %s", d.entry, src, strerror(errno));
		goto out;
	}
	d.len = (uint64_t)st.st_size;
	why = cs_unusable(d.bfd);
	if (why != NULL) {
		printf("fsprobe durable: %s\n", why);
		rc = 77;
		goto out;
	}
	rc = durable_run(&d, argv[1][0], &before, &after);
	if (before == UINT64_MAX)
		printf("figures: %s unclean_after=%llu\n", d.how,
		       (unsigned long long)after);
	else
		printf("figures: %s unclean_before=%llu unclean_after=%llu\n",
		       d.how, (unsigned long long)before,
		       (unsigned long long)after);
	if (rc != 0)
		goto out;
	d.back = malloc(d.len);
	if (d.back == NULL ||
	    pread(d.bfd, d.back, d.len, (off_t)d.off) != (ssize_t)d.len)
		rc = fail("read %s: %s", src, strerror(errno));
	else if (!all_byte(d.back, d.len, argv[1][0]))
		rc = fail("%s: the backing file does not hold the write", src);
out:
	free(d.back);
	if (d.fd >= 0)
		close(d.fd);
	if (d.bfd >= 0)
		close(d.bfd);
	return rc;
}

/* splitmix64: a full-period 64-bit sequence, good enough for test data. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* FNV-1a of the base name, so that files of one size differ. */
static uint64_t name_seed(const char *path, uint64_t size)
{
	const char *base = strrchr(path, '/');
	uint64_t h = 0xCBF29CE484222325ull;

	for (const char *c = base ? base + 1 : path; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001B3ull;
	return h ^ size;
}

/* Deterministic content: the same arguments give the same bytes, so that
 * a failure reproduces. */
static int cmd_gen(int argc, char **argv)
{
	uint64_t buf[8192], size, seed, done = 0;
	FILE *out;

	if (argc < 2)
		return fail("usage: gen FILE SIZE [SEED]");
	size = strtoull(argv[1], NULL, 10);
	seed = argc > 2 ? strtoull(argv[2], NULL, 10)
			: name_seed(argv[0], size);
	out = fopen(argv[0], "w");
	if (out == NULL)
		return fail("create %s: %s", argv[0], strerror(errno));
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? (size_t)(size - done)
						     : sizeof(buf);

		for (size_t i = 0; i < sizeof(buf) / sizeof(buf[0]); i++)
			buf[i] = splitmix64(&seed);
		if (fwrite(buf, 1, n, out) != n)
			break;
		done += n;
	}
	if (fclose(out) != 0 || done < size)
		return fail("write %s: %s", argv[0], strerror(errno));
	return 0;
}

static int cmd_truncread(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc < 3)
		return fail("usage: truncread ENTRY BACKING SIZE");
	fd = open(argv[0], O_RDONLY);
	if (fd < 0)
		return fail("open %s: %s", argv[0], strerror(errno));
	if (truncate(argv[1], atoll(argv[2])) != 0)
		return fail("truncate %s: %s", argv[1], strerror(errno));
	/* The barrier for changes from outside (a getxattr through the
	 * mount): from here the entry has nothing cached, and this read
	 * reaches the daemon, which picked up the new size. */
	(void)getxattr(argv[0], "user.mmapfs.source", buf, sizeof(buf));
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n > 0)
		return fail("read of a vanished range returned %zd bytes", n);
	if (n < 0 && errno != EIO)
		return fail("read of a vanished range: %s, want EIO",
			    strerror(errno));
	printf("read of a vanished range: %s\n", n == 0 ? "0 bytes" : "EIO");
	return 0;
}

/*
 * Stress: DIR is <mount>/<name> of a file of CHUNKS chunks of PPC pages.
 * Thread t owns the pages p with p % THREADS == t and keeps a model of
 * them.  Each round it writes a random range of one of its pages through
 * a random alias (the page entry, the chunk entry, or a shared mmap of the
 * page entry followed by msync), then reads the whole page back through
 * the chunk's descriptor, a mapping of the chunk and the page entry, all
 * opened before, while the other threads write the neighbouring pages
 * through the same chunks.  Every read must equal the model.
 */
struct stress {
	const char *dir;
	long chunks, ppc, threads, rounds, page;
	int *chunk_fd;		   /* shared, opened O_RDWR */
	unsigned char **chunk_map; /* shared read-only mappings */
	long t;
	long errors;
};

static const char *const how_name[] = { "the page entry", "the chunk entry",
					"mmap of the page entry" };

static int stress_open_page(const struct stress *st, long p, int flags)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/pages/%ld", st->dir, p);
	return open(path, flags);
}

static long stress_check(struct stress *st, long p, const unsigned char *m,
			 unsigned char *buf, int pfd, long round, int how)
{
	long c = p / st->ppc, in = (p % st->ppc) * st->page, errs = 0;

	if (pread(st->chunk_fd[c], buf, (size_t)st->page, in) != st->page ||
	    memcmp(buf, m, (size_t)st->page) != 0)
		errs += fail("round %ld: page %ld stale through chunks/%ld "
			     "(written via %s)",
			     round, p, c, how_name[how]);
	if (memcmp(st->chunk_map[c] + in, m, (size_t)st->page) != 0)
		errs += fail("round %ld: page %ld stale through mmap of "
			     "chunks/%ld",
			     round, p, c);
	if (pread(pfd, buf, (size_t)st->page, 0) != st->page ||
	    memcmp(buf, m, (size_t)st->page) != 0)
		errs += fail("round %ld: page %ld stale through pages/%ld "
			     "(written via %s)",
			     round, p, p, how_name[how]);
	return errs;
}

static void *stress_main(void *arg)
{
	struct stress *st = arg;
	long npages = st->chunks * st->ppc, mine = 0;
	unsigned seed = (unsigned)(st->t * 7919 + 1);
	unsigned char *model = calloc((size_t)npages, (size_t)st->page);
	unsigned char *buf = malloc((size_t)st->page);

	/* Start from what the file holds now. */
	for (long p = st->t; p < npages; p += st->threads, mine++) {
		int fd = stress_open_page(st, p, O_RDONLY);

		if (fd < 0 || pread(fd, model + p * st->page, (size_t)st->page,
				    0) != st->page)
			st->errors += fail("page %ld: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	for (long r = 0; r < st->rounds && st->errors == 0 && mine > 0; r++) {
		long p = st->t + st->threads * (rand_r(&seed) % mine);
		long off = rand_r(&seed) % st->page;
		long len = 1 + rand_r(&seed) % (st->page - off);
		long c = p / st->ppc, in = (p % st->ppc) * st->page;
		unsigned char *m = model + p * st->page;
		int how = rand_r(&seed) % 3, pfd;

		for (long i = 0; i < len; i++)
			m[off + i] = (unsigned char)rand_r(&seed);
		pfd = stress_open_page(st, p, O_RDWR);
		if (pfd < 0) {
			st->errors +=
				fail("open page %ld: %s", p, strerror(errno));
			break;
		}
		if (how == 0 && pwrite(pfd, m + off, (size_t)len, off) != len)
			st->errors += fail("write pages/%ld", p);
		if (how == 1 && pwrite(st->chunk_fd[c], m + off, (size_t)len,
				       in + off) != len)
			st->errors += fail("write chunks/%ld", c);
		if (how == 2) {
			unsigned char *w = mmap(NULL, (size_t)st->page,
						PROT_READ | PROT_WRITE,
						MAP_SHARED, pfd, 0);
			if (w == MAP_FAILED) {
				st->errors += fail("mmap pages/%ld", p);
			} else {
				memcpy(w + off, m + off, (size_t)len);
				if (msync(w, (size_t)st->page, MS_SYNC) != 0)
					st->errors += fail("msync");
				munmap(w, (size_t)st->page);
			}
		}
		st->errors += stress_check(st, p, m, buf, pfd, r, how);
		close(pfd);
	}
	free(model);
	free(buf);
	return NULL;
}

static int cmd_stress(int argc, char **argv)
{
	struct stress base, *st;
	pthread_t *tids;
	long errs = 0;
	char path[4096];

	if (argc < 5)
		return fail("usage: stress DIR CHUNKS PPC THREADS ROUNDS");
	base = (struct stress){ .dir = argv[0],
				.chunks = atol(argv[1]),
				.ppc = atol(argv[2]),
				.threads = atol(argv[3]),
				.rounds = atol(argv[4]),
				.page = sysconf(_SC_PAGESIZE) };
	base.chunk_fd = calloc((size_t)base.chunks, sizeof(int));
	base.chunk_map = calloc((size_t)base.chunks, sizeof(void *));
	st = calloc((size_t)base.threads, sizeof(*st));
	tids = calloc((size_t)base.threads, sizeof(*tids));
	for (long c = 0; c < base.chunks; c++) {
		size_t len = (size_t)(base.ppc * base.page);

		snprintf(path, sizeof(path), "%s/chunks/%ld", base.dir, c);
		base.chunk_fd[c] = open(path, O_RDWR);
		if (base.chunk_fd[c] < 0)
			return fail("open %s: %s", path, strerror(errno));
		base.chunk_map[c] = mmap(NULL, len, PROT_READ, MAP_SHARED,
					 base.chunk_fd[c], 0);
		if (base.chunk_map[c] == MAP_FAILED)
			return fail("mmap %s: %s", path, strerror(errno));
	}
	for (long t = 0; t < base.threads; t++) {
		st[t] = base;
		st[t].t = t;
		pthread_create(&tids[t], NULL, stress_main, &st[t]);
	}
	for (long t = 0; t < base.threads; t++) {
		pthread_join(tids[t], NULL);
		errs += st[t].errors;
	}
	for (long c = 0; c < base.chunks; c++) {
		munmap(base.chunk_map[c], (size_t)(base.ppc * base.page));
		close(base.chunk_fd[c]);
	}
	free(base.chunk_fd);
	free(base.chunk_map);
	free(st);
	free(tids);
	printf("stress: %ld threads x %ld rounds, %ld stale reads\n",
	       base.threads, base.rounds, errs);
	return errs ? 1 : 0;
}

/*
 * ownrace ENTRY BACKING OFF LEN DELAYMS: against a daemon that holds
 * every WRITE DELAYMS before it reaches the mapping (mmapfs-test with
 * MMAPFS_TEST_WRITE_DELAY_MS), the page the kernel already copied the
 * write into is dropped and read back from the mapping meanwhile, the way
 * a reader does it: the backing file's mtime moves, a stat of ENTRY makes
 * the kernel fetch the attributes and drop the entry's pages
 * (auto_inval_data).  Once the write returned, ENTRY must read what it
 * wrote (coherence.c, rule 8).
 */
struct ownrace {
	int fd;
	off_t off;
	size_t len;
	const uint8_t *data;
	ssize_t done;
	int err;
};

static void *ownrace_writer(void *arg)
{
	struct ownrace *o = arg;

	o->done = pwrite(o->fd, o->data, o->len, o->off);
	o->err = errno;
	return NULL;
}

static int cmd_ownrace(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ownrace o = { 0 };
	struct timespec mtime[2] = { { .tv_nsec = UTIME_OMIT }, { 0 } };
	struct statx stx;
	uint8_t *old, *data, *back;
	unsigned delay_ms;
	off_t poff;
	pthread_t t;
	int rc = 1, hit = 0;

	if (argc != 5)
		return fail("usage: ownrace ENTRY BACKING OFF LEN DELAYMS");
	o.off = strtoll(argv[2], NULL, 0);
	o.len = strtoul(argv[3], NULL, 0);
	delay_ms = (unsigned)strtoul(argv[4], NULL, 0);
	poff = o.off - o.off % page;
	old = malloc(o.len + page);
	data = malloc(o.len);
	back = malloc(o.len + page);
	o.fd = open(argv[0], O_RDWR);
	if (old == NULL || data == NULL || back == NULL || o.fd < 0) {
		rc = fail("open %s: %s", argv[0], strerror(errno));
		goto out;
	}
	o.data = data;
	/* Until the window was really hit: the page read back in it held
	 * the bytes from before the write. */
	for (int round = 0; round < 5 && !hit; round++) {
		/* The pages are cached and uptodate, the written bytes new. */
		if (pread(o.fd, old, o.len + (o.off - poff), poff) !=
		    (ssize_t)(o.len + (o.off - poff))) {
			rc = fail("pread %s: %s", argv[0], strerror(errno));
			goto out;
		}
		for (size_t i = 0; i < o.len; i++)
			data[i] = (uint8_t)(old[o.off - poff + i] ^
					    (0x5a + round));
		if (pthread_create(&t, NULL, ownrace_writer, &o) != 0) {
			rc = fail("pthread_create failed");
			goto out;
		}
		usleep(delay_ms * 1000u / 4);
		mtime[1].tv_sec = (time_t)(1000000000 + 1000 * round);
		if (utimensat(AT_FDCWD, argv[1], mtime, 0) != 0 ||
		    statx(AT_FDCWD, argv[0], AT_STATX_FORCE_SYNC, STATX_MTIME,
			  &stx) != 0) {
			rc = fail("moving the mtime of %s: %s", argv[1],
				  strerror(errno));
			pthread_join(t, NULL);
			goto out;
		}
		if (pread(o.fd, back, o.len, o.off) == (ssize_t)o.len &&
		    memcmp(back, old + (o.off - poff), o.len) == 0)
			hit = 1;
		pthread_join(t, NULL);
		if (o.done != (ssize_t)o.len) {
			rc = fail("pwrite %s: %zd of %zu (%s)", argv[0], o.done,
				  o.len, strerror(o.err));
			goto out;
		}
		if (pread(o.fd, back, o.len, o.off) != (ssize_t)o.len) {
			rc = fail("pread %s: %s", argv[0], strerror(errno));
			goto out;
		}
		for (size_t i = 0; i < o.len; i++) {
			if (back[i] != data[i]) {
				rc = fail("%s read back %s bytes at %lld right "
					  "after its own write of %zu bytes "
					  "there: 0x%02x, wrote 0x%02x",
					  argv[0],
					  back[i] == old[o.off - poff + i]
						  ? "the old"
						  : "wrong",
					  (long long)o.off + (long long)i,
					  o.len, back[i], data[i]);
				goto out;
			}
		}
	}
	rc = hit ? 0
		 : fail("%s: never read the page back before the write "
			"reached the mapping (is the daemon mmapfs-test, "
			"with MMAPFS_TEST_WRITE_DELAY_MS set?)",
			argv[0]);
out:
	if (o.fd >= 0)
		close(o.fd);
	free(old);
	free(data);
	free(back);
	return rc;
}

/*
 * outside ENTRY BACKING BOFF LEN BARRIER: with ENTRY open, mapped and its
 * first LEN bytes cached, write LEN new bytes to the backing file at BOFF
 * (where ENTRY starts), then getxattr(BARRIER): read(2) through the same
 * descriptor and a load from the same mapping give the new bytes.
 */
static int cmd_outside(int argc, char **argv)
{
	char old[4096], want[4096], got[4096], v[4096];
	size_t len;
	off_t boff;
	uint8_t *map;
	int fd, bfd, rc = 0;

	if (argc != 5)
		return fail("usage: outside ENTRY BACKING BOFF LEN BARRIER");
	boff = strtoll(argv[2], NULL, 10);
	len = strtoul(argv[3], NULL, 10);
	if (len == 0 || len > sizeof(want))
		return fail("LEN must be 1..%zu", sizeof(want));
	fd = open(argv[0], O_RDONLY);
	bfd = open(argv[1], O_WRONLY);
	if (fd < 0 || bfd < 0)
		return fail("open: %s", strerror(errno));
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap %s: %s", argv[0], strerror(errno));
	if (pread(fd, old, len, 0) != (ssize_t)len)
		return fail("pread %s: %s", argv[0], strerror(errno));
	for (size_t i = 0; i < len; i++)
		want[i] = (char)~old[i];
	if (map[0] != (uint8_t)old[0] ||
	    pwrite(bfd, want, len, boff) != (ssize_t)len)
		return fail("pwrite %s: %s", argv[1], strerror(errno));
	if (getxattr(argv[4], "user.mmapfs.source", v, sizeof(v)) < 0)
		return fail("getxattr %s: %s", argv[4], strerror(errno));
	if (pread(fd, got, len, 0) != (ssize_t)len || memcmp(got, want, len))
		rc = fail("read(2) of the open descriptor: old bytes");
	else if (memcmp(map, want, len) != 0)
		rc = fail("load from the mapping: old bytes");
	munmap(map, len);
	close(fd);
	close(bfd);
	return rc;
}

/* lseek SEEK_DATA/SEEK_HOLE: print where it lands, or the errno. */
static int cmd_seek(int argc, char **argv)
{
	int fd, whence;
	off_t r;

	if (argc != 3)
		return fail("usage: seek FILE data|hole OFF");
	whence = strcmp(argv[1], "data") == 0 ? SEEK_DATA : SEEK_HOLE;
	fd = open(argv[0], O_RDONLY);
	if (fd < 0)
		return fail("open %s: %s", argv[0], strerror(errno));
	r = lseek(fd, strtoll(argv[2], NULL, 10), whence);
	if (r < 0)
		printf("%s\n", strerrorname_np(errno));
	else
		printf("%lld\n", (long long)r);
	close(fd);
	return 0;
}

/* fallocate(2) on an open-for-writing FILE fails with the errno named. */
static int cmd_falloc(int argc, char **argv)
{
	static const struct {
		const char *name;
		int mode;
	} modes[] = {
		{ "alloc", 0 },
		{ "punch", FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE },
		{ "zero", FALLOC_FL_ZERO_RANGE },
		{ "zerokeep", FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE },
	};
	int want, got, fd, mode = -1;

	if (argc != 5)
		return fail("usage: falloc ERRNO FILE MODE OFF LEN");
	want = errno_of(argv[0]);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[2], modes[i].name) == 0)
			mode = modes[i].mode;
	if (want < 0 || mode < 0)
		return fail("unknown errno or mode: %s %s", argv[0], argv[2]);
	fd = open(argv[1], O_WRONLY);
	if (fd < 0)
		got = errno;
	else if (fallocate(fd, mode, strtoll(argv[3], NULL, 10),
			   strtoll(argv[4], NULL, 10)) != 0)
		got = errno;
	else
		got = 0;
	if (fd >= 0)
		close(fd);
	if (got != want)
		return fail("fallocate %s %s %s %s: expected %s, got %s",
			    argv[1], argv[2], argv[3], argv[4], argv[0],
			    got ? strerrorname_np(got) : "success");
	return 0;
}

/* Truncation to 0 through a descriptor whose pages are cached: no open
 * follows to drop them, the daemon must. */
static int cmd_truncheld(int argc, char **argv)
{
	struct stat st;
	char *buf = NULL;
	int fd, rc = 1;
	ssize_t n;

	if (argc != 1)
		return fail("usage: truncheld FILE");
	fd = open(argv[0], O_RDWR);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0 ||
	    (buf = malloc((size_t)st.st_size)) == NULL) {
		rc = fail("open %s: %s", argv[0], strerror(errno));
		goto out;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		rc = fail("first read of %s", argv[0]);
		goto out;
	}
	if (ftruncate(fd, 0) != 0) {
		rc = fail("ftruncate %s: %s", argv[0], strerror(errno));
		goto out;
	}
	n = pread(fd, buf, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		rc = fail("read after ftruncate: %zd of %lld bytes", n,
			  (long long)st.st_size);
		goto out;
	}
	for (off_t i = 0; i < st.st_size; i++) {
		if (buf[i] != 0) {
			rc = fail("byte %lld is %d after ftruncate to 0",
				  (long long)i, buf[i]);
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Truncation while a page of the entry is dirty through a shared mmap():
 * the daemon must not wait for that page's WRITE inside the SETATTR. */
static int cmd_truncdirty(int argc, char **argv)
{
	struct stat st;
	char *m;
	int fd;

	if (argc != 1)
		return fail("usage: truncdirty FILE");
	fd = open(argv[0], O_RDWR);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0)
		return fail("open %s: %s", argv[0], strerror(errno));
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (m == MAP_FAILED)
		return fail("mmap %s: %s", argv[0], strerror(errno));
	memcpy(m, "DIRTY", 5);
	if (truncate(argv[0], 0) != 0)
		return fail("truncate %s: %s", argv[0], strerror(errno));
	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return fail("size after truncate: %lld", (long long)st.st_size);
	munmap(m, (size_t)st.st_size);
	close(fd);
	return 0;
}

/* mstore FILE OFF TEXT: a store through a shared mapping, then msync. */
static int cmd_mstore(int argc, char **argv)
{
	size_t len, off, plen;
	uint8_t *map;
	int fd;

	if (argc != 3)
		return fail("usage: mstore FILE OFF TEXT");
	off = strtoul(argv[1], NULL, 10);
	len = strlen(argv[2]);
	plen = off + len;
	fd = open(argv[0], O_RDWR);
	if (fd < 0)
		return fail("open %s: %s", argv[0], strerror(errno));
	map = mmap(NULL, plen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return fail("mmap %s: %s", argv[0], strerror(errno));
	memcpy(map + off, argv[2], len);
	if (msync(map, plen, MS_SYNC) != 0)
		return fail("msync %s: %s", argv[0], strerror(errno));
	munmap(map, plen);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "errno", cmd_errno },	      { "names", cmd_names },
		{ "writeend", cmd_writeend }, { "alias", cmd_alias },
		{ "race", cmd_race },	      { "seekdir", cmd_seekdir },
		{ "fill", cmd_fill },	      { "mmapwrite", cmd_mmapwrite },
		{ "span", cmd_span },	      { "truncread", cmd_truncread },
		{ "stress", cmd_stress },     { "ownrace", cmd_ownrace },
		{ "gen", cmd_gen },	      { "durable", cmd_durable },
		{ "outside", cmd_outside },   { "mstore", cmd_mstore },
		{ "seek", cmd_seek },	      { "truncheld", cmd_truncheld },
		{ "falloc", cmd_falloc },     { "truncdirty", cmd_truncdirty },
	};

	if (argc < 2)
		return fail("usage: fsprobe COMMAND ARGS...");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 2, argv + 2);
	return fail("unknown command %s", argv[1]);
}
