/*
 * crashio.c - writes through the mount with a journal, and the check of
 * what an fsync promised after the daemon was killed.
 *
 *   crashio write ENTRYDIR BACKING CHUNK JOURNAL SEED
 *       Until the mount fails: random writes (pwrite, or a store through
 *       a shared mapping and msync) to chunks/N and pages/N, and now and
 *       then fsync or fdatasync of the entry.  The journal gets
 *         W seq off len      before a write is issued (it may land)
 *         D seq              after it returned
 *         S seq off len      after an fsync of the entry covering
 *                            [off, off+len) returned: every write done
 *                            before, in that range, is durable
 *       After each fsync the backing file's pages of the entry must be
 *       clean (cachestat(2): no dirty page, none under writeback), that is
 *       on disk, not only in the page cache.  Without a usable
 *       cachestat(2) it does nothing and exits 77 (skip).
 *
 *   crashio cachestat FILE
 *       Exits 0 when cachestat(2) can judge FILE's pages, else 77 with
 *       the reason (no such system call, FILE on tmpfs).
 *
 *   crashio verify JOURNAL FILE SEED
 *       Every byte covered by an acknowledged fsync holds the value the
 *       last write before that fsync gave it, or the value of a write
 *       issued after it (which may have landed, even partly).
 *
 * Written bytes are a function of (seed, write, offset), so the check
 * needs only the journal.  Both print "figures: ..." lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../fs/cachestat.h"

#define EXIT_SKIP 77

static uint8_t data_byte(uint64_t seed, uint64_t seq, uint64_t pos)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull ^
		     seq * 0xBF58476D1CE4E5B9ull ^ pos * 0x94D049BB133111EBull;

	x ^= x >> 31;
	x *= 0xD6E8FEB86CD1E9B5ull;
	x ^= x >> 29;
	return (uint8_t)x;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void jput(int jfd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One journal record, one write(2): the writer survives the daemon. */
static void jput(int jfd, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(jfd, line, (size_t)n) != n) {
		perror("journal");
		exit(2);
	}
}

/* A store into an entry's mapping faults with SIGBUS once the daemon is
 * gone: that ends the run like any failed call. */
static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* Store through a shared mapping of the entry, then msync(MS_SYNC),
 * which reaches the daemon as an fsync.  0, or -1 (the mount failed). */
static int map_store(int fd, size_t elen, size_t a, const uint8_t *buf,
		     size_t n)
{
	uint8_t *volatile m =
		mmap(NULL, elen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int rc;

	if (m == MAP_FAILED)
		return -1;
	if (sigsetjmp(bus_jmp, 1) != 0) {
		munmap(m, elen);
		return -1;
	}
	memcpy(m + a, buf, n);
	rc = msync(m, elen, MS_SYNC);
	munmap(m, elen);
	return rc;
}

/* 0 when the backing range is clean; 1 (with a message) when not, or
 * when it cannot be told (cmd_write checked that it can). */
static int check_clean(int bfd, uint64_t off, uint64_t len)
{
	uint64_t dirty = 0, wb = 0;
	int rc = cs_unclean(bfd, off, len, &dirty, &wb);

	if (rc != 0) {
		fprintf(stderr, "crashio: cachestat(2): %s\n", strerror(-rc));
		return 1;
	}
	if (dirty == 0 && wb == 0)
		return 0;
	fprintf(stderr,
		"crashio: fsync of [%" PRIu64 ", +%" PRIu64
		") returned but the backing file has %" PRIu64
		" dirty and %" PRIu64 " writeback pages there\n",
		off, len, dirty, wb);
	return 1;
}

/* Whether check_clean() can judge FILE; 0, or EXIT_SKIP with the reason. */
static int cmd_cachestat(char **argv)
{
	int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	const char *why;

	if (fd < 0) {
		perror("crashio cachestat");
		return 2;
	}
	why = cs_unusable(fd);
	close(fd);
	if (why == NULL)
		return 0;
	printf("crashio: %s\n", why);
	return EXIT_SKIP;
}

static int cmd_write(char **argv)
{
	const char *dir = argv[0];
	uint64_t chunk = strtoull(argv[2], NULL, 10);
	uint64_t seed = strtoull(argv[4], NULL, 10), page, size;
	uint64_t seq = 0, synced = 0, dirty_fails = 0;
	int bfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	int jfd =
		open(argv[3], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	uint8_t *buf = malloc(1 << 20);
	struct stat st;
	char path[4096];
	const char *why;

	if (bfd < 0 || jfd < 0 || buf == NULL || fstat(bfd, &st) != 0) {
		perror("crashio write");
		return 2;
	}
	why = cs_unusable(bfd);
	if (why != NULL) {
		printf("crashio: %s: the check after fsync cannot be done\n",
		       why);
		return EXIT_SKIP;
	}
	size = (uint64_t)st.st_size;
	page = (uint64_t)sysconf(_SC_PAGESIZE);
	signal(SIGBUS, on_sigbus);
	rng_state = seed * 31 + 7;
	for (;;) {
		bool chunks = below(2);
		uint64_t piece = chunks ? chunk : page;
		uint64_t idx = below((size + piece - 1) / piece);
		uint64_t eoff = idx * piece;
		uint64_t elen = size - eoff < piece ? size - eoff : piece;
		uint64_t a = below(elen), n = 1 + below(below(3) ? 512 : elen);
		bool store = below(5) == 0;
		int fd;

		if (a + n > elen)
			n = elen - a;
		snprintf(path, sizeof(path), "%s/%s/%" PRIu64, dir,
			 chunks ? "chunks" : "pages", idx);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			break; /* the daemon is gone */
		seq++;
		for (uint64_t i = 0; i < n; i++)
			buf[i] = data_byte(seed, seq, eoff + a + i);
		jput(jfd, "W %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", seq,
		     eoff + a, n);
		if (store) {
			if (map_store(fd, elen, a, buf, n) != 0) {
				close(fd);
				break;
			}
			jput(jfd, "D %" PRIu64 "\n", seq);
			jput(jfd, "S %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			     seq, eoff, elen);
			synced++;
			dirty_fails += (uint64_t)check_clean(bfd, eoff, elen);
		} else {
			if (pwrite(fd, buf, n, (off_t)a) != (ssize_t)n) {
				close(fd);
				break;
			}
			jput(jfd, "D %" PRIu64 "\n", seq);
			if (below(4) == 0) {
				int rc = below(2) ? fsync(fd) : fdatasync(fd);

				if (rc != 0) {
					close(fd);
					break;
				}
				jput(jfd,
				     "S %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
				     seq, eoff, elen);
				synced++;
				dirty_fails +=
					(uint64_t)check_clean(bfd, eoff, elen);
			}
		}
		close(fd);
	}
	printf("figures: writes=%" PRIu64 " fsyncs=%" PRIu64
	       " dirty_after_fsync=%" PRIu64 "\n",
	       seq, synced, dirty_fails);
	free(buf);
	close(bfd);
	close(jfd);
	return dirty_fails ? 1 : 0;
}

struct wrec {
	uint64_t seq, off, len;
};

static int cmd_verify(char **argv)
{
	FILE *j = fopen(argv[0], "r");
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	uint64_t seed = strtoull(argv[2], NULL, 10);
	uint64_t *last_done, *synced, size, checked = 0, bad = 0, later = 0;
	struct wrec *w = NULL;
	size_t nw = 0, cap = 0;
	uint8_t *img;
	struct stat st;
	char kind;
	uint64_t a, b, c;

	if (j == NULL || fd < 0 || fstat(fd, &st) != 0) {
		perror("crashio verify");
		return 2;
	}
	size = (uint64_t)st.st_size;
	img = malloc(size + 1);
	last_done = calloc(size + 1, sizeof(*last_done));
	synced = calloc(size + 1, sizeof(*synced));
	if (!img || !last_done || !synced ||
	    pread(fd, img, size, 0) != (ssize_t)size) {
		perror("crashio verify: read");
		return 2;
	}
	while (fscanf(j, " %c", &kind) == 1) {
		if (kind == 'W' && fscanf(j, "%" SCNu64 " %" SCNu64 " %" SCNu64,
					  &a, &b, &c) == 3) {
			if (nw == cap) {
				cap = cap ? cap * 2 : 1024;
				w = realloc(w, cap * sizeof(*w));
				if (w == NULL)
					return 2;
			}
			w[nw++] = (struct wrec){ a, b, c };
		} else if (kind == 'D' && fscanf(j, "%" SCNu64, &a) == 1) {
			/* Writes are journalled in order: a is w[nw - 1]. */
			if (nw == 0 || w[nw - 1].seq != a)
				return fprintf(stderr, "bad journal\n"), 2;
			for (uint64_t i = 0; i < w[nw - 1].len; i++)
				last_done[w[nw - 1].off + i] = a;
		} else if (kind == 'S' &&
			   fscanf(j, "%" SCNu64 " %" SCNu64 " %" SCNu64, &a, &b,
				  &c) == 3) {
			for (uint64_t i = b; i < b + c && i < size; i++)
				synced[i] = last_done[i];
		} else {
			fprintf(stderr, "crashio verify: bad journal record\n");
			return 2;
		}
	}
	for (uint64_t p = 0; p < size; p++) {
		bool ok;

		if (synced[p] == 0)
			continue; /* no acknowledged fsync covers it */
		checked++;
		ok = img[p] == data_byte(seed, synced[p], p);
		/* Or a write issued after the fsynced one. */
		for (size_t k = nw; !ok && k-- > 0 && w[k].seq > synced[p];)
			if (p >= w[k].off && p < w[k].off + w[k].len &&
			    img[p] == data_byte(seed, w[k].seq, p)) {
				ok = true;
				later++;
			}
		if (!ok && bad++ < 10)
			fprintf(stderr,
				"crashio: LOST: byte %" PRIu64 " is 0x%02x, "
				"fsync acknowledged 0x%02x (write %" PRIu64
				")\n",
				p, img[p], data_byte(seed, synced[p], p),
				synced[p]);
	}
	printf("figures: bytes_verified=%" PRIu64 " later_writes_seen=%" PRIu64
	       " lost=%" PRIu64 "\n",
	       checked, later, bad);
	free(img);
	free(last_done);
	free(synced);
	free(w);
	fclose(j);
	close(fd);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "write") == 0)
		return cmd_write(argv + 2);
	if (argc == 5 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argv + 2);
	if (argc == 3 && strcmp(argv[1], "cachestat") == 0)
		return cmd_cachestat(argv + 2);
	fprintf(stderr, "usage: crashio write ENTRYDIR BACKING CHUNK JOURNAL "
			"SEED | crashio verify JOURNAL FILE SEED | crashio "
			"cachestat FILE\n");
	return 2;
}
