/*
 * bench_fixture.h - the file every contender of the benchmark works on.
 *
 * One file of `size` bytes, filled with a known pattern and warm in the
 * page cache, opened three ways at once: an mmapio handle (RW), a whole-file
 * read view and write view of that handle's mapping (the memcpy reference
 * works through these), and a plain descriptor (the pread/pwrite
 * reference).  The path is unlinked as soon as everything is open, so no
 * file is left behind however the program ends.
 */
#ifndef BENCH_FIXTURE_H
#define BENCH_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "mmapio.h"

/* Largest block any contender copies; the file size is a multiple of it. */
#define BENCH_MAX_BLOCK ((size_t)1 << 20)

/* Bytes of the period of the pattern the write contenders store. */
#define BENCH_WRITE_PERIOD 4096

struct bench_fixture {
	uint64_t size;
	mmapio_file *file;
	int fd;			      /* O_RDWR descriptor of the same file */
	mmapio_view rview;	      /* whole file, read */
	mmapio_view wview;	      /* whole file, write */
	const unsigned char *base_ro; /* rview.data */
	unsigned char *base_rw;	      /* wview.data */
	unsigned char *buf;	      /* BENCH_MAX_BLOCK bytes: the one copy
	                                destination (reads) and source (writes)
	                                shared by all contenders */
	char dir[512];
	const char *fstype;   /* "tmpfs" or "disk" */
	int err;	      /* first failure: negative errno */
	const char *err_what; /* the call that failed */
};

/*
 * Choose a directory for a file of `size` bytes: a tmpfs (/dev/shm) when it
 * has room, else $TMPDIR, else /tmp.  Returns a static string.
 */
const char *bench_pick_dir(uint64_t size);

/*
 * Create the file in `dir`, fill it, open it and acquire the views.
 * On failure prints the reason to stderr, releases what was set up and
 * returns a negative errno.
 */
int bench_fixture_open(struct bench_fixture *fx, const char *dir,
		       uint64_t size);

/* Release everything; safe on a zeroed or half-opened fixture. */
void bench_fixture_close(struct bench_fixture *fx);

/* Record the first failure of a contender; returns 0 for convenience. */
uint64_t bench_fail(struct bench_fixture *fx, const char *what, int err);

/* Put the write pattern (period BENCH_WRITE_PERIOD) into fx->buf. */
void bench_fill_write_pattern(struct bench_fixture *fx);

/* 0 if [0, span) of the file (span 0: all of it) holds the write pattern,
 * else -EIO (recorded). */
int bench_verify_write_pattern(struct bench_fixture *fx, uint64_t span);

#endif /* BENCH_FIXTURE_H */
