/*
 * hostile.c - a table of hostile requests, each with the errno it must
 * get, then a check that the mount still serves correct data.
 *
 *   hostile MOUNT NAME BACKING CHUNK
 *
 * MOUNT/NAME is the served file, BACKING its path; the mount is
 * read-write.  The expected values follow DESIGN.md where it speaks
 * (malformed or out-of-range names are ENOENT; namespace and metadata
 * changes EPERM; writes at or past an entry's end ENOSPC; truncation to
 * another size EPERM; our extended attributes read-only) and the kernel's
 * own answer where the request never reaches the daemon (offset overflow
 * is EINVAL, a directory opened for writing EISDIR).  A model of the
 * backing file follows the requests that do write (O_DIRECT,
 * copy_file_range); at the end the backing file and every chunk, read
 * through the mount, must equal it.
 *
 * Prints one line per case and "figures: cases=N failures=N".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* A result that is not an errno: the call "succeeded" wrongly. */
#define WRONG_RESULT (-1)

enum op {
	LOOKUP,	      /* stat(path) */
	PREAD,	      /* pread(n at a), want n2 bytes back */
	PWRITE,	      /* pwrite(n bytes at a) */
	APPEND,	      /* O_APPEND write of one byte */
	SEEK,	      /* lseek(a, whence n), want offset n2 */
	DIRECT_WRITE, /* O_DIRECT pwrite of one page at a */
	DIRECT_READ,  /* O_DIRECT pread of one page at a */
	FALLOCATE,    /* fallocate(mode n, a, 4096) */
	COPY_RANGE,   /* copy_file_range(path -> path2, n bytes, at a -> n2) */
	MKNOD,
	MKDIR,
	UNLINK,
	RMDIR,
	RENAME,	     /* rename(path, path2) */
	RENAME_XCHG, /* renameat2(RENAME_EXCHANGE) */
	LINK,
	SYMLINK,
	CHMOD,
	CHOWN,
	UTIMENS,     /* utimensat(NULL) */
	UTIMENS_SET, /* utimensat with explicit times */
	TRUNCATE,    /* truncate(path, a) */
	SETXATTR,    /* setxattr(path, name path2) */
	SETXATTR_CREATE,
	REMOVEXATTR,
	GETXATTR_SMALL, /* getxattr into a 1-byte buffer */
	GETXATTR,
	LISTXATTR_SMALL,
	OPEN,	       /* open(path, flags n) */
	OPEN_TRUNC,    /* O_WRONLY|O_TRUNC: size unchanged (n2), zeros */
	SEEKDIR_ANY,   /* seekdir to arbitrary offsets while listing */
	DIR_LSEEK,     /* lseek(dirfd, a) then getdents: want n2 entries */
	GETDENTS_FILE, /* getdents on an entry's descriptor */
};

struct hcase {
	const char *desc;
	enum op op;
	const char *path; /* relative to MOUNT/NAME */
	int64_t a;
	int64_t n, n2;
	int want;	   /* errno, 0 for success */
	const char *path2; /* second path, or an attribute name */
};

static char base[4096];
static uint64_t size, chunk, page;
static uint8_t *model;
static const char *backing;

static void at(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", base, rel);
}

static int err_of(long rc)
{
	return rc < 0 ? errno : 0;
}

static int open_rel(const char *rel, int flags)
{
	char p[8192];

	at(p, sizeof(p), rel);
	return open(p, flags | O_CLOEXEC);
}

/* Entry number -> backing offset, for the model. */
static uint64_t entry_off(const char *rel)
{
	uint64_t i = strtoull(strrchr(rel, '/') + 1, NULL, 10);

	return strncmp(rel, "chunks", 6) == 0 ? i * chunk : i * page;
}

/* Zeros over [off, off + len) of an entry, in the model, clipped to the
 * entry (fallocate, truncate to 0, O_TRUNC). */
static void model_zero(const char *rel, uint64_t off, uint64_t len)
{
	uint64_t start = entry_off(rel);
	uint64_t piece = strncmp(rel, "chunks", 6) == 0 ? chunk : page;
	uint64_t elen = start >= size	       ? 0
			: size - start < piece ? size - start
					       : piece;

	if (off >= elen)
		return;
	if (len > elen - off)
		len = elen - off;
	memset(model + start + off, 0, (size_t)len);
}

static int io_case(const struct hcase *c, int flags)
{
	int fd = open_rel(c->path, flags), e;
	char buf[8192];
	ssize_t r = -1;

	if (fd < 0)
		return errno;
	memset(buf, 'H', sizeof(buf));
	switch (c->op) {
	case PREAD:
		r = pread(fd, buf, (size_t)c->n, (off_t)c->a);
		if (r >= 0 && r != c->n2) {
			printf("    read %zd bytes, want %" PRId64 "\n", r,
			       c->n2);
			close(fd);
			return WRONG_RESULT;
		}
		break;
	case PWRITE:
		r = pwrite(fd, buf, (size_t)c->n, (off_t)c->a);
		break;
	case APPEND:
		r = write(fd, buf, 1);
		break;
	case SEEK:
		r = lseek(fd, (off_t)c->a, (int)c->n);
		if (r >= 0 && r != c->n2) {
			printf("    lseek gave %zd, want %" PRId64 "\n", r,
			       c->n2);
			close(fd);
			return WRONG_RESULT;
		}
		break;
	case FALLOCATE:
		r = fallocate(fd, (int)c->n, (off_t)c->a, 4096);
		if (r == 0 &&
		    (c->n & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)))
			model_zero(c->path, (uint64_t)c->a, 4096);
		break;
	default:
		break;
	}
	e = err_of(r);
	close(fd);
	return e;
}

static int direct_case(const struct hcase *c)
{
	bool wr = c->op == DIRECT_WRITE;
	int fd = open_rel(c->path, (wr ? O_RDWR : O_RDONLY) | O_DIRECT), e;
	uint64_t off = entry_off(c->path) + (uint64_t)c->a;
	void *buf;
	ssize_t r;

	if (fd < 0)
		return errno;
	if (posix_memalign(&buf, page, page) != 0)
		return ENOMEM;
	if (wr) {
		memset(buf, 0xD1, page);
		r = pwrite(fd, buf, page, (off_t)c->a);
		if (r > 0)
			memcpy(model + off, buf, (size_t)r);
	} else {
		r = pread(fd, buf, page, (off_t)c->a);
		if (r >= 0 && ((size_t)r != page ||
			       memcmp(buf, model + off, page) != 0)) {
			printf("    O_DIRECT read differs from the model\n");
			r = 0;
			errno = 0;
			free(buf);
			close(fd);
			return WRONG_RESULT;
		}
	}
	e = err_of(r);
	free(buf);
	close(fd);
	return e;
}

static int copy_case(const struct hcase *c)
{
	int in = open_rel(c->path, O_RDONLY), out = open_rel(c->path2, O_RDWR);
	loff_t ia = c->a, oa = c->n2;
	ssize_t r;
	int e;

	if (in < 0 || out < 0)
		return errno;
	r = copy_file_range(in, &ia, out, &oa, (size_t)c->n, 0);
	e = err_of(r);
	if (r > 0)
		memmove(model + entry_off(c->path2) + (uint64_t)c->n2,
			model + entry_off(c->path) + (uint64_t)c->a, (size_t)r);
	close(in);
	close(out);
	return e;
}

static int seekdir_case(const struct hcase *c)
{
	static const long spots[] = { 0,	1,	  2,	   3,
				      7,	1000,	  65536,   1L << 31,
				      1L << 40, 1L << 62, LONG_MAX };
	char p[8192];
	struct dirent *de;
	DIR *d;
	int bad = 0;

	at(p, sizeof(p), c->path);
	d = opendir(p);
	if (d == NULL)
		return errno;
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		/* Half-way through a listing, jump anywhere. */
		if (readdir(d) == NULL)
			rewinddir(d);
		seekdir(d, spots[i]);
		errno = 0;
		de = readdir(d);
		if (de == NULL && errno != 0) {
			printf("    readdir after seekdir(%ld): %s\n", spots[i],
			       strerror(errno));
			bad++;
		}
		if (de != NULL && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    (c->n ? strspn(de->d_name, "0123456789") !=
				     strlen(de->d_name)
			  : strcmp(de->d_name, "chunks") != 0 &&
				     strcmp(de->d_name, "pages") != 0)) {
			printf("    seekdir(%ld) gave name '%s'\n", spots[i],
			       de->d_name);
			bad++;
		}
	}
	closedir(d);
	return bad ? WRONG_RESULT : 0;
}

static int dir_lseek_case(const struct hcase *c)
{
	int fd = open_rel(c->path, O_RDONLY | O_DIRECTORY), n = 0;
	char buf[65536];
	long r;

	if (fd < 0)
		return errno;
	if (lseek(fd, (off_t)c->a, SEEK_SET) < 0) {
		int e = errno;

		close(fd);
		return e;
	}
	while ((r = getdents64(fd, buf, sizeof(buf))) > 0)
		n++;
	close(fd);
	if (r < 0)
		return errno;
	if (n != c->n2) {
		printf("    %d getdents batches after lseek, want %" PRId64
		       "\n",
		       n, c->n2);
		return WRONG_RESULT;
	}
	return 0;
}

static int xattr_case(const struct hcase *c)
{
	char p[8192], small[1];

	at(p, sizeof(p), c->path);
	switch (c->op) {
	case SETXATTR:
		return err_of(setxattr(p, c->path2, "1", 1, 0));
	case SETXATTR_CREATE:
		return err_of(setxattr(p, c->path2, "1", 1, XATTR_CREATE));
	case REMOVEXATTR:
		return err_of(removexattr(p, c->path2));
	case GETXATTR_SMALL:
		return err_of(getxattr(p, c->path2, small, sizeof(small)));
	case GETXATTR:
		return err_of(getxattr(p, c->path2, NULL, 0));
	default:
		return err_of(listxattr(p, small, sizeof(small)));
	}
}

static int open_trunc_case(const struct hcase *c)
{
	int fd = open_rel(c->path, O_WRONLY | O_TRUNC);
	struct stat st;

	if (fd < 0)
		return errno;
	model_zero(c->path, 0, UINT64_MAX);
	if (fstat(fd, &st) != 0 || st.st_size != c->n2) {
		printf("    size after O_TRUNC: %lld, want %" PRId64 "\n",
		       (long long)st.st_size, c->n2);
		close(fd);
		return WRONG_RESULT;
	}
	close(fd);
	/* The entry now reads as zeros. */
	fd = open_rel(c->path, O_RDONLY);
	if (fd < 0)
		return errno;
	for (int64_t off = 0; off < c->n2;) {
		char buf[4096];
		ssize_t r = pread(fd, buf, sizeof(buf), (off_t)off);

		if (r <= 0) {
			printf("    read after O_TRUNC at %" PRId64 ": %zd\n",
			       off, r);
			close(fd);
			return WRONG_RESULT;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != 0) {
				printf("    byte %" PRId64 " after O_TRUNC is "
				       "%d, want 0\n",
				       off + i, buf[i]);
				close(fd);
				return WRONG_RESULT;
			}
		}
		off += r;
	}
	close(fd);
	return 0;
}

static int run_case(const struct hcase *c)
{
	char p[8192], q[8192];
	int fd;

	at(p, sizeof(p), c->path);
	at(q, sizeof(q), c->path2 ? c->path2 : "x");
	switch (c->op) {
	case LOOKUP:
		return err_of(stat(p, &(struct stat){ 0 }));
	case PREAD:
	case SEEK:
	case FALLOCATE:
		return io_case(c, O_RDWR);
	case PWRITE:
		return io_case(c, O_WRONLY);
	case APPEND:
		return io_case(c, O_WRONLY | O_APPEND);
	case DIRECT_WRITE:
	case DIRECT_READ:
		return direct_case(c);
	case COPY_RANGE:
		return copy_case(c);
	case MKNOD:
		return err_of(mknod(p, S_IFREG | 0644, 0));
	case MKDIR:
		return err_of(mkdir(p, 0755));
	case UNLINK:
		return err_of(unlink(p));
	case RMDIR:
		return err_of(rmdir(p));
	case RENAME:
		return err_of(rename(p, q));
	case RENAME_XCHG:
		return err_of(
			renameat2(AT_FDCWD, p, AT_FDCWD, q, RENAME_EXCHANGE));
	case LINK:
		return err_of(link(p, q));
	case SYMLINK:
		return err_of(symlink("0", p));
	case CHMOD:
		return err_of(chmod(p, 0777));
	case CHOWN:
		return err_of(chown(p, 1, 1));
	case UTIMENS:
		return err_of(utimensat(AT_FDCWD, p, NULL, 0));
	case UTIMENS_SET: {
		struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };

		return err_of(utimensat(AT_FDCWD, p, ts, 0));
	}
	case TRUNCATE:
		if (truncate(p, (off_t)c->a) != 0)
			return errno;
		if (c->a == 0 && strncmp(c->path, "pages/", 6) == 0)
			model_zero(c->path, 0, UINT64_MAX);
		return 0;
	case SETXATTR:
	case SETXATTR_CREATE:
	case REMOVEXATTR:
	case GETXATTR_SMALL:
	case GETXATTR:
	case LISTXATTR_SMALL:
		return xattr_case(c);
	case OPEN:
		fd = open(p, (int)c->n | O_CLOEXEC, 0644);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	case OPEN_TRUNC:
		return open_trunc_case(c);
	case SEEKDIR_ANY:
		return seekdir_case(c);
	case DIR_LSEEK:
		return dir_lseek_case(c);
	case GETDENTS_FILE: {
		char buf[4096];

		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno;
		int e = err_of(getdents64(fd, buf, sizeof(buf)));

		close(fd);
		return e;
	}
	}
	return WRONG_RESULT;
}

static const char *errname(int e)
{
	if (e == WRONG_RESULT)
		return "a wrong result";
	return e == 0 ? "success" : strerrorname_np(e);
}

/* The backing file and every chunk through the mount equal the model. */
static int check_data(void)
{
	uint8_t *buf = malloc(chunk > size ? chunk : size);
	int fd = open(backing, O_RDONLY | O_CLOEXEC), bad = 0;
	char rel[64];

	if (buf == NULL || fd < 0 || pread(fd, buf, size, 0) != (ssize_t)size)
		return 1;
	close(fd);
	if (memcmp(buf, model, size) != 0) {
		printf("FAIL: the backing file differs from the model\n");
		bad++;
	}
	for (uint64_t i = 0; i * chunk < size; i++) {
		uint64_t len =
			size - i * chunk < chunk ? size - i * chunk : chunk;

		snprintf(rel, sizeof(rel), "chunks/%" PRIu64, i);
		fd = open_rel(rel, O_RDONLY);
		if (fd < 0 || pread(fd, buf, chunk, 0) != (ssize_t)len ||
		    memcmp(buf, model + i * chunk, len) != 0) {
			printf("FAIL: %s does not serve the model's bytes\n",
			       rel);
			bad++;
		}
		if (fd >= 0)
			close(fd);
	}
	free(buf);
	if (bad == 0)
		printf("ok: after every case the mount serves correct data\n");
	return bad;
}

int main(int argc, char **argv)
{
	char last_chunk[32], last_page[32], past_chunk[32], name255[256],
		name1000[1001], zero255[256];
	int failures = 0, fd, ncases;
	struct stat st;

	if (argc != 5) {
		fprintf(stderr, "usage: hostile MOUNT NAME BACKING CHUNK\n");
		return 2;
	}
	snprintf(base, sizeof(base), "%s/%s", argv[1], argv[2]);
	backing = argv[3];
	chunk = strtoull(argv[4], NULL, 10);
	page = (uint64_t)sysconf(_SC_PAGESIZE);
	fd = open(backing, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		return perror(backing), 2;
	size = (uint64_t)st.st_size;
	model = malloc(size);
	if (model == NULL || pread(fd, model, size, 0) != (ssize_t)size)
		return 2;
	close(fd);

	uint64_t nchunks = (size + chunk - 1) / chunk;
	uint64_t npages = (size + page - 1) / page;
	int64_t lastc_len = (int64_t)(size - (nchunks - 1) * chunk);

	snprintf(last_chunk, sizeof(last_chunk), "chunks/%" PRIu64,
		 nchunks - 1);
	snprintf(past_chunk, sizeof(past_chunk), "chunks/%" PRIu64, nchunks);
	snprintf(last_page, sizeof(last_page), "pages/%" PRIu64, npages);
	memset(name255, '1', 255);
	memcpy(name255, "pages/", 6);
	name255[255] = '\0';
	memset(zero255, '9', 255);
	memcpy(zero255, "chunks/0", 8);
	zero255[255] = '\0';
	memset(name1000, '7', 1000);
	memcpy(name1000, "pages/", 6);
	name1000[1000] = '\0';

	const int64_t big = INT64_MAX;
	const struct hcase cases[] = {
		/* desc, op, path, a, n, n2, want[, path2] */
		/* Names. */
		{ "leading zero", LOOKUP, "chunks/00", 0, 0, 0, ENOENT, NULL },
		{ "leading zeros", LOOKUP, "pages/007", 0, 0, 0, ENOENT, NULL },
		{ "plus sign", LOOKUP, "pages/+1", 0, 0, 0, ENOENT, NULL },
		{ "minus sign", LOOKUP, "pages/-1", 0, 0, 0, ENOENT, NULL },
		{ "minus zero", LOOKUP, "pages/-0", 0, 0, 0, ENOENT, NULL },
		{ "leading space", LOOKUP, "pages/ 1", 0, 0, 0, ENOENT, NULL },
		{ "trailing space", LOOKUP, "pages/1 ", 0, 0, 0, ENOENT, NULL },
		{ "tab", LOOKUP, "pages/1\t", 0, 0, 0, ENOENT, NULL },
		{ "hex", LOOKUP, "pages/0x1", 0, 0, 0, ENOENT, NULL },
		{ "exponent", LOOKUP, "pages/1e1", 0, 0, 0, ENOENT, NULL },
		{ "decimal point", LOOKUP, "pages/1.0", 0, 0, 0, ENOENT, NULL },
		{ "non-ASCII digit", LOOKUP, "pages/\xd9\xa1", 0, 0, 0, ENOENT,
		  NULL },
		{ "255-character number", LOOKUP, name255, 0, 0, 0, ENOENT,
		  NULL },
		{ "255 characters, leading zero", LOOKUP, zero255, 0, 0, 0,
		  ENOENT, NULL },
		{ "994-character name", LOOKUP, name1000, 0, 0, 0, ENOENT,
		  NULL },
		{ "2^64", LOOKUP, "pages/18446744073709551616", 0, 0, 0, ENOENT,
		  NULL },
		{ "2^64 - 1", LOOKUP, "pages/18446744073709551615", 0, 0, 0,
		  ENOENT, NULL },
		{ "21-digit number", LOOKUP, "pages/100000000000000000000", 0,
		  0, 0, ENOENT, NULL },
		{ "chunk past the last", LOOKUP, past_chunk, 0, 0, 0, ENOENT,
		  NULL },
		{ "page past the last", LOOKUP, last_page, 0, 0, 0, ENOENT,
		  NULL },
		{ "unknown view", LOOKUP, "blocks", 0, 0, 0, ENOENT, NULL },
		{ "entry used as a directory", LOOKUP, "chunks/0/x", 0, 0, 0,
		  ENOTDIR, NULL },
		{ "entry with a trailing slash", LOOKUP, "pages/1/", 0, 0, 0,
		  ENOTDIR, NULL },
		/* Offsets. */
		{ "read of 1 byte at 2^63 - 4096 is empty", PREAD, "pages/0",
		  big - 4095, 1, 0, 0, NULL },
		{ "read whose end overflows 2^63", PREAD, "pages/0", big - 100,
		  4096, 0, EINVAL, NULL },
		{ "read at a negative offset", PREAD, "pages/0", -1, 1, 0,
		  EINVAL, NULL },
		{ "read past the end is empty", PREAD, "pages/0", 1 << 20, 100,
		  0, 0, NULL },
		{ "write at 2^62", PWRITE, "pages/0", 1LL << 62, 1, 0, ENOSPC,
		  NULL },
		{ "write whose end overflows 2^63", PWRITE, "pages/0", big - 5,
		  10, 0, EINVAL, NULL },
		{ "write at the entry's end", PWRITE, last_chunk, lastc_len, 1,
		  0, ENOSPC, NULL },
		{ "O_APPEND write", APPEND, "pages/2", 0, 0, 0, ENOSPC, NULL },
		{ "lseek to a negative offset", SEEK, "pages/0", -1, SEEK_SET,
		  0, EINVAL, NULL },
		{ "SEEK_DATA at 0", SEEK, "chunks/0", 0, SEEK_DATA, 0, 0,
		  NULL },
		{ "SEEK_HOLE at 0 is the end", SEEK, last_chunk, 0, SEEK_HOLE,
		  lastc_len, 0, NULL },
		{ "SEEK_DATA at the end", SEEK, "chunks/0", (int64_t)chunk,
		  SEEK_DATA, 0, ENXIO, NULL },
		{ "SEEK_DATA past the end", SEEK, "pages/1", 1LL << 40,
		  SEEK_DATA, 0, ENXIO, NULL },
		{ "O_DIRECT write", DIRECT_WRITE, "pages/1", 0, 0, 0, 0, NULL },
		{ "O_DIRECT read sees it", DIRECT_READ, "chunks/0",
		  (int64_t)page, 0, 0, 0, NULL },
		{ "fallocate", FALLOCATE, "pages/0", 0, 0, 0, 0, NULL },
		{ "fallocate KEEP_SIZE", FALLOCATE, "pages/0", 0,
		  FALLOC_FL_KEEP_SIZE, 0, 0, NULL },
		{ "fallocate PUNCH_HOLE", FALLOCATE, "chunks/0", 0,
		  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 0, NULL },
		{ "fallocate ZERO_RANGE", FALLOCATE, "chunks/0", 0,
		  FALLOC_FL_ZERO_RANGE, 0, 0, NULL },
		{ "fallocate ZERO_RANGE past the end", FALLOCATE, last_chunk,
		  lastc_len, FALLOC_FL_ZERO_RANGE, 0, EPERM, NULL },
		{ "fallocate PUNCH_HOLE at 2^62", FALLOCATE, "pages/0",
		  1LL << 62, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 0,
		  NULL },
		{ "fallocate COLLAPSE_RANGE", FALLOCATE, "chunks/0", 0,
		  FALLOC_FL_COLLAPSE_RANGE, 0, EOPNOTSUPP, NULL },
		{ "copy_file_range between entries", COPY_RANGE, "chunks/0", 0,
		  100, 0, 0, "chunks/1" },
		{ "copy_file_range to the entry's end", COPY_RANGE, "chunks/0",
		  0, 100, (int64_t)chunk, ENOSPC, "chunks/1" },
		/* Namespace and metadata. */
		{ "mknod", MKNOD, "pages/99999", 0, 0, 0, EPERM, NULL },
		{ "mknod in a file's directory", MKNOD, "x", 0, 0, 0, EPERM,
		  NULL },
		{ "mkdir", MKDIR, "chunks/x", 0, 0, 0, EPERM, NULL },
		{ "unlink", UNLINK, "pages/1", 0, 0, 0, EPERM, NULL },
		{ "rmdir", RMDIR, "pages", 0, 0, 0, EPERM, NULL },
		{ "rename", RENAME, "pages/1", 0, 0, 0, EPERM, "pages/2" },
		{ "rename over a view", RENAME, "chunks", 0, 0, 0, EPERM,
		  "pages" },
		{ "rename RENAME_EXCHANGE", RENAME_XCHG, "pages/1", 0, 0, 0,
		  EPERM, "pages/2" },
		{ "link", LINK, "pages/1", 0, 0, 0, EPERM, "pages/x" },
		{ "symlink", SYMLINK, "pages/x", 0, 0, 0, EPERM, NULL },
		{ "chmod", CHMOD, "pages/1", 0, 0, 0, EPERM, NULL },
		{ "chmod a directory", CHMOD, "chunks", 0, 0, 0, EPERM, NULL },
		{ "chown", CHOWN, "pages/1", 0, 0, 0, EPERM, NULL },
		{ "utimens now", UTIMENS, "pages/1", 0, 0, 0, 0, NULL },
		{ "utimens to given times", UTIMENS_SET, "chunks/0", 0, 0, 0, 0,
		  NULL },
		{ "truncate to 0 (zeroes)", TRUNCATE, "pages/1", 0, 0, 0, 0,
		  NULL },
		{ "truncate to 1", TRUNCATE, "pages/1", 1, 0, 0, EPERM, NULL },
		{ "truncate to 2^62", TRUNCATE, "pages/1", 1LL << 62, 0, 0,
		  EPERM, NULL },
		{ "truncate to its own size", TRUNCATE, "pages/1",
		  (int64_t)page, 0, 0, 0, NULL },
		{ "truncate a directory", TRUNCATE, "pages", 0, 0, 0, EISDIR,
		  NULL },
		/* Extended attributes. */
		{ "setxattr of ours", SETXATTR, "pages/1", 0, 0, 0, EPERM,
		  "user.mmapfs.offset" },
		{ "setxattr XATTR_CREATE of a new one", SETXATTR_CREATE,
		  "chunks/0", 0, 0, 0, EPERM, "user.new" },
		{ "setxattr on a directory", SETXATTR, "", 0, 0, 0, EPERM,
		  "user.mmapfs.source" },
		{ "removexattr of ours", REMOVEXATTR, "pages/1", 0, 0, 0, EPERM,
		  "user.mmapfs.source" },
		{ "getxattr into a small buffer", GETXATTR_SMALL, "pages/1", 0,
		  0, 0, ERANGE, "user.mmapfs.source" },
		{ "getxattr of an unknown name", GETXATTR, "pages/1", 0, 0, 0,
		  ENODATA, "user.nothere" },
		{ "getxattr offset of a directory", GETXATTR, "pages", 0, 0, 0,
		  ENODATA, "user.mmapfs.offset" },
		{ "listxattr into a small buffer", LISTXATTR_SMALL, "pages/1",
		  0, 0, 0, ERANGE, NULL },
		/* Opening and listing. */
		{ "open a directory for writing", OPEN, "pages", 0, O_WRONLY, 0,
		  EISDIR, NULL },
		{ "open a directory read-write", OPEN, "chunks", 0, O_RDWR, 0,
		  EISDIR, NULL },
		{ "open an entry as a directory", OPEN, "pages/1", 0,
		  O_RDONLY | O_DIRECTORY, 0, ENOTDIR, NULL },
		{ "O_CREAT|O_EXCL of an existing entry", OPEN, "pages/1", 0,
		  O_WRONLY | O_CREAT | O_EXCL, 0, EEXIST, NULL },
		{ "O_CREAT of a new name", OPEN, "pages/99999", 0,
		  O_WRONLY | O_CREAT, 0, EPERM, NULL },
		{ "O_TMPFILE", OPEN, "pages", 0, O_WRONLY | O_TMPFILE, 0,
		  EOPNOTSUPP, NULL },
		{ "O_TRUNC zeroes in place", OPEN_TRUNC, "pages/3", 0, 0,
		  (int64_t)page, 0, NULL },
		{ "seekdir to arbitrary offsets", SEEKDIR_ANY, "pages", 0, 1, 0,
		  0, NULL },
		{ "seekdir in the file's directory", SEEKDIR_ANY, "", 0, 0, 0,
		  0, NULL },
		{ "lseek a directory to 2^62: nothing listed", DIR_LSEEK,
		  "pages", 1LL << 62, 0, 0, 0, NULL },
		{ "lseek a directory to 2^63 - 1", DIR_LSEEK, "chunks", big, 0,
		  0, 0, NULL },
		{ "lseek a directory to a negative offset", DIR_LSEEK, "pages",
		  -5, 0, 0, EINVAL, NULL },
		{ "getdents on an entry", GETDENTS_FILE, "pages/1", 0, 0, 0,
		  ENOTDIR, NULL },
	};

	ncases = (int)(sizeof(cases) / sizeof(cases[0]));
	for (int i = 0; i < ncases; i++) {
		int got = run_case(&cases[i]);

		if (got == cases[i].want) {
			printf("ok: %s: %s\n", cases[i].desc, errname(got));
		} else {
			printf("FAIL: %s: got %s, want %s\n", cases[i].desc,
			       errname(got), errname(cases[i].want));
			failures++;
		}
	}
	failures += check_data();
	printf("figures: cases=%d failures=%d\n", ncases, failures);
	return failures ? 1 : 0;
}
