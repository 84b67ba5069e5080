/*
 * churn.c - backing files change under the mount while readers and
 * writers use it.
 *
 *   churn MOUNT DIR SECONDS SEED
 *
 * DIR holds a.bin and b.bin, served at MOUNT/a.bin and MOUNT/b.bin.  Every
 * 8-byte word ever stored in them describes itself: tag 0xA5 in the low
 * byte, a generation, and the word's own index in the file in the top 40
 * bits.  A word read at file offset 8*i is therefore either zero (a range
 * extended by truncate) or a word whose index is i; anything else is
 * garbage: bytes from another place, another file, or memory.
 *
 * One thread changes the files: truncates a.bin (shorter and longer),
 * appends to it, rewrites ranges of it, empties and refills it; removes
 * b.bin and creates a new one.  Reader threads pread entries of both
 * files, writer threads pwrite words through entries of a.bin.  Reads
 * must give valid words, 0 bytes or EIO; writes succeed, or fail with
 * EIO or ENOSPC; ENOTCONN means the daemon died.  At the end a.bin is
 * left at a final size with valid content, for the caller to check that
 * the tree follows it.
 *
 * Prints "figures: ops=N reads=N bytes_checked=N zero_bytes=N eio=N
 * faults=N garbage=N failures=N"; exits 0 when garbage and failures are 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 16384u
#define MAX_SIZE (8u * CHUNK + 3000u)
#define READERS 3
#define WRITERS 2
#define MAX_REPORTS 20

static const char *mnt, *dir;
static uint64_t seed;
static atomic_bool stop;
static atomic_uint_fast64_t n_ops, n_reads, n_words, n_zero, n_eio, n_faults,
	n_garbage, n_failures, n_reports, n_enoent;
static atomic_uint gen_counter;

static uint64_t word_of(uint64_t index, unsigned gen)
{
	return index << 24 | (uint64_t)(gen & 0xffff) << 8 | 0xA5;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static void report(const char *what, const char *path, int err)
{
	atomic_fetch_add(&n_failures, 1);
	if (atomic_fetch_add(&n_reports, 1) < MAX_REPORTS)
		fprintf(stderr, "churn: %s %s: %s\n", what, path,
			strerror(err));
}

/* Fill buf with valid words for file offset off (any alignment). */
static void words_at(uint8_t *buf, uint64_t off, size_t len, unsigned gen)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t p = off + i, w = word_of(p / 8, gen);

		buf[i] = (uint8_t)(w >> (p % 8 * 8));
	}
}

/*
 * Check data read at file offset off, byte by byte: a write may cover
 * part of a word, next to zeros, so each byte is either 0 or that byte of
 * a valid word (tag, or index; the generation bytes can be anything).
 */
static void check_words(const uint8_t *buf, uint64_t off, size_t len,
			const char *path)
{
	uint64_t bad_at = UINT64_MAX, zero = 0;

	for (size_t i = 0; i < len; i++) {
		uint64_t p = off + i;
		unsigned shift = (unsigned)(p % 8) * 8;
		uint8_t want = (uint8_t)(word_of(p / 8, 0) >> shift);

		if (buf[i] == 0) {
			zero++;
			continue;
		}
		if (p % 8 == 1 || p % 8 == 2 || buf[i] == want)
			continue;
		if (bad_at == UINT64_MAX)
			bad_at = p;
	}
	atomic_fetch_add(&n_words, len);
	atomic_fetch_add(&n_zero, zero);
	if (bad_at == UINT64_MAX)
		return;
	atomic_fetch_add(&n_garbage, 1);
	if (atomic_fetch_add(&n_reports, 1) < MAX_REPORTS)
		fprintf(stderr,
			"churn: GARBAGE via %s: byte at file offset %" PRIu64
			" is 0x%02x\n",
			path, bad_at, buf[bad_at - off]);
}

static bool tolerated(int err)
{
	return err == EIO || err == ENOENT;
}

static void entry_path(char *p, size_t n, uint64_t *rng, const char *file,
		       uint64_t *piece, uint64_t *index)
{
	bool chunks = below(rng, 2);

	*piece = chunks ? CHUNK : (uint64_t)sysconf(_SC_PAGESIZE);
	*index = below(rng, MAX_SIZE / *piece + 2);
	snprintf(p, n, "%s/%s/%s/%" PRIu64, mnt, file,
		 chunks ? "chunks" : "pages", *index);
}

static void *reader_main(void *arg)
{
	uint64_t rng = seed * 131 + (uintptr_t)arg, piece, index;
	uint8_t buf[CHUNK];
	char path[4096];

	while (!atomic_load(&stop)) {
		entry_path(path, sizeof(path), &rng,
			   below(&rng, 3) ? "a.bin" : "b.bin", &piece, &index);
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			if (!tolerated(errno))
				report("open", path, errno);
			atomic_fetch_add(&n_ops, 1);
			continue;
		}
		for (int k = 0; k < 8 && !atomic_load(&stop); k++) {
			uint64_t a = below(&rng, piece);
			size_t n = 1 + below(&rng, piece);
			ssize_t r = pread(fd, buf, n, (off_t)a);

			atomic_fetch_add(&n_reads, 1);
			atomic_fetch_add(&n_ops, 1);
			if (r < 0 && errno == EIO) {
				atomic_fetch_add(&n_eio, 1);
			} else if (r < 0 && errno == ENOENT) {
				/* read(2) of an open entry must not say
				 * "no such file": EIO or 0 bytes. */
				atomic_fetch_add(&n_enoent, 1);
				report("read (want data, 0 bytes or EIO)", path,
				       errno);
			} else if (r < 0) {
				report("read", path, errno);
			} else if ((size_t)r > n) {
				report("read longer than asked", path, 0);
			} else {
				check_words(buf, index * piece + a, (size_t)r,
					    path);
			}
		}
		close(fd);
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	uint64_t rng = seed * 977 + (uintptr_t)arg, piece, index;
	uint8_t buf[CHUNK];
	char path[4096];

	while (!atomic_load(&stop)) {
		entry_path(path, sizeof(path), &rng, "a.bin", &piece, &index);
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		atomic_fetch_add(&n_ops, 1);
		if (fd < 0) {
			if (!tolerated(errno))
				report("open for writing", path, errno);
			continue;
		}
		uint64_t a = below(&rng, piece);
		size_t n = 1 + below(&rng, piece - a);

		words_at(buf, index * piece + a, n,
			 atomic_fetch_add(&gen_counter, 1));
		if (pwrite(fd, buf, n, (off_t)a) < 0 && errno != EIO &&
		    errno != ENOSPC)
			report("write", path, errno);
		close(fd);
	}
	return NULL;
}

/* Write valid words to path over [off, off + len). */
static int fill_file(int fd, uint64_t off, uint64_t len)
{
	static uint8_t buf[MAX_SIZE];

	words_at(buf, off, len, atomic_fetch_add(&gen_counter, 1));
	return pwrite(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

static int make_file(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = fd < 0 ? -1 : fill_file(fd, 0, size);

	if (fd >= 0)
		close(fd);
	return rc;
}

/* One change to the backing files. */
static int mutate(uint64_t *rng, const char *a, const char *b)
{
	off_t cur;
	uint64_t size = 1 + below(rng, MAX_SIZE);
	int fd = open(a, O_RDWR | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -1;
	cur = lseek(fd, 0, SEEK_END);
	switch (below(rng, 6)) {
	case 0: /* truncate, shorter or longer (zeros) */
		rc = ftruncate(fd, (off_t)size);
		break;
	case 1: /* append */
		if ((uint64_t)cur + 1000 <= MAX_SIZE)
			rc = fill_file(fd, (uint64_t)cur, 1 + below(rng, 1000));
		break;
	case 2: /* rewrite a range in place */
		if (cur > 0) {
			uint64_t o = below(rng, (uint64_t)cur);

			rc = fill_file(fd, o,
				       1 + below(rng, (uint64_t)cur - o));
		}
		break;
	case 3: /* empty it, then refill (like cp over it) */
		rc = ftruncate(fd, 0);
		if (rc == 0)
			rc = fill_file(fd, 0, size);
		break;
	case 4: /* remove b.bin */
		if (unlink(b) != 0 && errno != ENOENT)
			rc = -1;
		break;
	default: /* a new b.bin */
		rc = make_file(b, size);
		break;
	}
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	pthread_t th[READERS + WRITERS];
	char a[4096], b[4096];
	struct timespec t0, now;
	double seconds;
	uint64_t rng;

	if (argc != 5) {
		fprintf(stderr, "usage: churn MOUNT DIR SECONDS SEED\n");
		return 2;
	}
	mnt = argv[1];
	dir = argv[2];
	seconds = atof(argv[3]);
	seed = strtoull(argv[4], NULL, 10);
	rng = seed * 7 + 3;
	snprintf(a, sizeof(a), "%s/a.bin", dir);
	snprintf(b, sizeof(b), "%s/b.bin", dir);
	/* Valid words over what the files hold now, in place. */
	for (int f = 0; f < 2; f++) {
		int fd = open(f ? b : a, O_RDWR | O_CLOEXEC);
		off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);

		if (end < 0 || fill_file(fd, 0, (uint64_t)end) != 0) {
			perror(f ? b : a);
			return 2;
		}
		close(fd);
	}
	for (uintptr_t i = 0; i < READERS + WRITERS; i++)
		if (pthread_create(&th[i], NULL,
				   i < READERS ? reader_main : writer_main,
				   (void *)i) != 0)
			return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (mutate(&rng, a, b) != 0)
			report("changing", a, errno);
		atomic_fetch_add(&n_faults, 1);
		usleep((useconds_t)(1000 + below(&rng, 20000)));
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double)(now.tv_sec - t0.tv_sec) < seconds);
	atomic_store(&stop, true);
	for (int i = 0; i < READERS + WRITERS; i++)
		pthread_join(th[i], NULL);
	/* The final state the caller checks: a.bin at a known size. */
	uint64_t final = 5 * CHUNK + 1 + below(&rng, CHUNK - 2);
	int fd = open(a, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t) final) != 0 ||
	    fill_file(fd, 0, final) != 0)
		report("final state of", a, errno);
	if (fd >= 0)
		close(fd);
	if (make_file(b, 3 * CHUNK) != 0)
		report("final state of", b, errno);
	printf("final_size=%" PRIu64 "\n", final);
	printf("figures: ops=%" PRIu64 " reads=%" PRIu64
	       " bytes_checked=%" PRIu64 " zero_bytes=%" PRIu64 " eio=%" PRIu64
	       " enoent_reads=%" PRIu64 " faults=%" PRIu64 " garbage=%" PRIu64
	       " failures=%" PRIu64 "\n",
	       (uint64_t)n_ops, (uint64_t)n_reads, (uint64_t)n_words,
	       (uint64_t)n_zero, (uint64_t)n_eio, (uint64_t)n_enoent,
	       (uint64_t)n_faults, (uint64_t)n_garbage, (uint64_t)n_failures);
	return n_garbage || n_failures ? 1 : 0;
}
