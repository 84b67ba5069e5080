/*
 * bench_fixture.c - create, fill, open and tear down the benchmark file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bench_fixture.h"

#define TMPFS_MAGIC_NUMBER 0x01021994L

/* Room to leave free on the filesystem beyond the file itself. */
#define SPARE_BYTES ((uint64_t)64 << 20)

/* Word of the initial content at byte offset `off` (a multiple of 8). */
static uint64_t fill_word(uint64_t off)
{
	return (off / 8 + 1) * UINT64_C(0x9E3779B97F4A7C15);
}

/* 1 if `dir` has room for `size` bytes, 0 if not, -1 if it cannot tell. */
static int dir_has_room(const char *dir, uint64_t size, int *is_tmpfs)
{
	struct statfs st;

	if (statfs(dir, &st) != 0)
		return -1;
	if (is_tmpfs != NULL)
		*is_tmpfs = (long)st.f_type == TMPFS_MAGIC_NUMBER;
	return (uint64_t)st.f_bavail * (uint64_t)st.f_bsize >=
	       size + SPARE_BYTES;
}

const char *bench_pick_dir(uint64_t size)
{
	const char *tmp = getenv("TMPDIR");
	int tmpfs = 0;

	if (dir_has_room("/dev/shm", size, &tmpfs) == 1 && tmpfs)
		return "/dev/shm";
	if (tmp != NULL && *tmp != '\0')
		return tmp;
	return "/tmp";
}

uint64_t bench_fail(struct bench_fixture *fx, const char *what, int err)
{
	if (fx->err == 0) {
		fx->err = err < 0 ? err : -EIO;
		fx->err_what = what;
	}
	return 0;
}

/* Write the initial pattern through fd and make it stable on disk, so that
 * no writeback of the fill runs during the measurements. */
static int fill_file(struct bench_fixture *fx)
{
	uint64_t off;
	size_t i;

	for (off = 0; off < fx->size; off += BENCH_MAX_BLOCK) {
		for (i = 0; i < BENCH_MAX_BLOCK; i += 8) {
			uint64_t w = fill_word(off + i);

			memcpy(fx->buf + i, &w, sizeof(w));
		}
		if (pwrite(fx->fd, fx->buf, BENCH_MAX_BLOCK, (off_t)off) !=
		    (ssize_t)BENCH_MAX_BLOCK)
			return errno != 0 ? -errno : -EIO;
	}
	if (fdatasync(fx->fd) != 0)
		return -errno;
	return 0;
}

static int fail_open(struct bench_fixture *fx, const char *what, int err)
{
	fprintf(stderr, "bench_lib: %s: %s\n", what, mmapio_strerror(err));
	bench_fixture_close(fx);
	return err;
}

int bench_fixture_open(struct bench_fixture *fx, const char *dir, uint64_t size)
{
	char path[sizeof(fx->dir) + 32];
	int is_tmpfs = 0;
	int rc;

	memset(fx, 0, sizeof(*fx));
	fx->fd = -1;
	fx->size = size;
	snprintf(fx->dir, sizeof(fx->dir), "%s", dir);
	if (dir_has_room(dir, size, &is_tmpfs) == 0)
		fprintf(stderr,
			"bench_lib: warning: %s may lack room for "
			"%llu bytes\n",
			dir, (unsigned long long)size);
	fx->fstype = is_tmpfs ? "tmpfs" : "disk";

	fx->buf = aligned_alloc(4096, BENCH_MAX_BLOCK);
	if (fx->buf == NULL)
		return fail_open(fx, "aligned_alloc", -ENOMEM);
	snprintf(path, sizeof(path), "%s/mmapio-bench.XXXXXX", dir);
	fx->fd = mkostemp(path, O_CLOEXEC);
	if (fx->fd < 0)
		return fail_open(fx, path, -errno);
	rc = fill_file(fx);
	if (rc == 0)
		rc = mmapio_open(&fx->file, path, MMAPIO_RW);
	if (unlink(path) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		return fail_open(fx, "creating the file", rc);
	if (mmapio_size(fx->file) != size)
		return fail_open(fx, "mmapio_size", -EIO);
	rc = mmapio_view_acquire(fx->file, 0, size, &fx->rview);
	if (rc != 0)
		return fail_open(fx, "mmapio_view_acquire", rc);
	rc = mmapio_view_acquire_mut(fx->file, 0, size, &fx->wview);
	if (rc != 0)
		return fail_open(fx, "mmapio_view_acquire_mut", rc);
	fx->base_ro = fx->rview.data;
	fx->base_rw = fx->wview.data;
	return 0;
}

void bench_fixture_close(struct bench_fixture *fx)
{
	int rc;

	mmapio_view_release(&fx->wview);
	mmapio_view_release(&fx->rview);
	fx->base_ro = NULL;
	fx->base_rw = NULL;
	rc = mmapio_close(fx->file);
	if (rc != 0)
		fprintf(stderr, "bench_lib: mmapio_close: %s\n",
			mmapio_strerror(rc));
	fx->file = NULL;
	if (fx->fd >= 0)
		close(fx->fd);
	fx->fd = -1;
	free(fx->buf);
	fx->buf = NULL;
}

void bench_fill_write_pattern(struct bench_fixture *fx)
{
	size_t i;

	for (i = 0; i < BENCH_MAX_BLOCK; i += 8) {
		uint64_t w = (i % BENCH_WRITE_PERIOD / 8 + 1) *
			     UINT64_C(0xC2B2AE3D27D4EB4F);

		memcpy(fx->buf + i, &w, sizeof(w));
	}
}

int bench_verify_write_pattern(struct bench_fixture *fx, uint64_t span)
{
	uint64_t off, end = span != 0 && span < fx->size ? span : fx->size;

	bench_fill_write_pattern(fx);
	for (off = 0; off < end; off += BENCH_WRITE_PERIOD) {
		if (memcmp(fx->base_ro + off, fx->buf, BENCH_WRITE_PERIOD) !=
		    0) {
			bench_fail(fx, "verifying the written data", -EIO);
			return -EIO;
		}
	}
	return 0;
}
