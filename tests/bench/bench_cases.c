/*
 * bench_cases.c - the contenders: mmapio calls and their references.
 *
 * Contenders of a group differ only in the call under test.  Loop
 * structure, offsets, the shared copy buffer and the per-block checksum
 * work are the same, so any difference in time is the cost of the call.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bench_cases.h"
#include "bench_touch.h"

/* Where the copies of a pass go: n blocks at offsets cycling through the
 * span.  Every copy contender walks its offsets with this. */
struct walk {
	uint64_t n, off, span;
	size_t block;
};

static struct walk walk_start(const struct bench_fixture *fx,
			      const struct bench_group *g)
{
	struct walk w;

	w.block = g->block;
	w.n = fx->size / g->block;
	w.off = 0;
	w.span = g->span != 0 && g->span < fx->size ? g->span : fx->size;
	return w;
}

static void walk_step(struct walk *w)
{
	w->off += w->block;
	if (w->off >= w->span)
		w->off = 0;
}

/* Read passes fold one word of the destination per block into the
 * checksum: the copy cannot be elided, and all readers must agree. */
static uint64_t fold(const unsigned char *buf, uint64_t i, size_t block)
{
	uint64_t w;
	size_t at = (size_t)(i * 8) & (block - 1);

	memcpy(&w, buf + at, sizeof(w));
	return w;
}

/* --- reads -------------------------------------------------------------- */

static uint64_t read_mmapio(struct bench_fixture *fx,
			    const struct bench_group *g)
{
	struct walk w = walk_start(fx, g);
	uint64_t i, sum = 0;
	int rc;

	for (i = 0; i < w.n; i++, walk_step(&w)) {
		rc = mmapio_read(fx->file, w.off, fx->buf, w.block);
		if (rc != 0)
			return bench_fail(fx, "mmapio_read", rc);
		sum += fold(fx->buf, i, w.block);
	}
	return sum;
}

static uint64_t read_memcpy(struct bench_fixture *fx,
			    const struct bench_group *g)
{
	struct walk w = walk_start(fx, g);
	uint64_t i, sum = 0;

	for (i = 0; i < w.n; i++, walk_step(&w)) {
		memcpy(fx->buf, fx->base_ro + w.off, w.block);
		sum += fold(fx->buf, i, w.block);
	}
	return sum;
}

static uint64_t read_pread(struct bench_fixture *fx,
			   const struct bench_group *g)
{
	struct walk w = walk_start(fx, g);
	uint64_t i, sum = 0;

	for (i = 0; i < w.n; i++, walk_step(&w)) {
		ssize_t got = pread(fx->fd, fx->buf, w.block, (off_t)w.off);

		if (got != (ssize_t)w.block)
			return bench_fail(fx, "pread", got < 0 ? -errno : -EIO);
		sum += fold(fx->buf, i, w.block);
	}
	return sum;
}

/* --- writes ------------------------------------------------------------- */

static uint64_t write_mmapio(struct bench_fixture *fx,
			     const struct bench_group *g)
{
	struct walk w = walk_start(fx, g);
	uint64_t i;
	int rc;

	for (i = 0; i < w.n; i++, walk_step(&w)) {
		rc = mmapio_write(fx->file, w.off, fx->buf, w.block);
		if (rc != 0)
			return bench_fail(fx, "mmapio_write", rc);
	}
	return w.n;
}

static uint64_t write_memcpy(struct bench_fixture *fx,
			     const struct bench_group *g)
{
	struct walk w = walk_start(fx, g);
	uint64_t i;

	for (i = 0; i < w.n; i++, walk_step(&w))
		memcpy(fx->base_rw + w.off, fx->buf, w.block);
	return w.n;
}

static uint64_t write_pwrite(struct bench_fixture *fx,
			     const struct bench_group *g)
{
	struct walk w = walk_start(fx, g);
	uint64_t i;

	for (i = 0; i < w.n; i++, walk_step(&w)) {
		ssize_t put = pwrite(fx->fd, fx->buf, w.block, (off_t)w.off);

		if (put != (ssize_t)w.block)
			return bench_fail(fx, "pwrite",
					  put < 0 ? -errno : -EIO);
	}
	return w.n;
}

/* --- iteration ---------------------------------------------------------- */

static uint64_t drain(struct bench_fixture *fx, mmapio_iter *it)
{
	mmapio_view v;
	uint64_t sum = 0;
	int rc;

	while ((rc = mmapio_iter_next(it, &v)) == 1)
		sum += bench_touch(v.data, v.len);
	mmapio_iter_close(it);
	if (rc != 0)
		return bench_fail(fx, "mmapio_iter_next", rc);
	return sum;
}

static uint64_t iter_chunks(struct bench_fixture *fx,
			    const struct bench_group *g)
{
	mmapio_iter *it;
	int rc = mmapio_iter_chunks(&it, fx->file, g->block);

	if (rc != 0)
		return bench_fail(fx, "mmapio_iter_chunks", rc);
	return drain(fx, it);
}

/* The group's block is the page size: the raw loop uses the same. */
static uint64_t iter_pages(struct bench_fixture *fx,
			   const struct bench_group *g)
{
	mmapio_iter *it;
	int rc = mmapio_iter_pages(&it, fx->file);

	(void)g;
	if (rc != 0)
		return bench_fail(fx, "mmapio_iter_pages", rc);
	return drain(fx, it);
}

static uint64_t iter_raw(struct bench_fixture *fx, const struct bench_group *g)
{
	uint64_t off, sum = 0;
	size_t block = g->block;

	for (off = 0; off < fx->size; off += block) {
		uint64_t left = fx->size - off;

		sum += bench_touch(fx->base_ro + off,
				   left < block ? (size_t)left : block);
	}
	return sum;
}

/* --- groups ------------------------------------------------------------- */

static struct bench_group read_group(size_t block, uint64_t span, double target,
				     const char *target_text)
{
	struct bench_group g = {
		.op = span != 0 ? "read (cached)" : "read",
		.block = block,
		.span = span,
		.target = target,
		.target_text = target_text,
		.ncontenders = 3,
		.contenders = { { "mmapio_read", read_mmapio },
				{ "memcpy from view", read_memcpy },
				{ "pread", read_pread } },
	};
	return g;
}

static struct bench_group write_group(size_t block, uint64_t span,
				      double target, const char *target_text)
{
	struct bench_group g = {
		.op = span != 0 ? "write (cached)" : "write",
		.block = block,
		.span = span,
		.target = target,
		.target_text = target_text,
		.ncontenders = 3,
		.contenders = { { "mmapio_write", write_mmapio },
				{ "memcpy into view", write_memcpy },
				{ "pwrite", write_pwrite } },
		.prepare = bench_fill_write_pattern,
		.verify = bench_verify_write_pattern,
	};
	return g;
}

/* Iteration may take at most 1.1x the raw loop's time: a throughput ratio
 * of at least 1 / 1.1. */
static struct bench_group iter_group(const char *op, const char *name,
				     bench_pass_fn pass, size_t block)
{
	struct bench_group g = {
		.op = op,
		.block = block,
		.target = 1.0 / 1.1,
		.target_text = ">= 0.909",
		.ncontenders = 2,
		.contenders = { { name, pass },
				{ "raw loop on view", iter_raw } },
	};
	return g;
}

size_t bench_groups(struct bench_group *out, size_t page)
{
	size_t n = 0;

	out[n++] = read_group(4096, 0, 0.90, ">= 0.90");
	out[n++] = read_group(BENCH_MAX_BLOCK, 0, 0.95, ">= 0.95");
	out[n++] = iter_group("iterate pages", "mmapio_iter_pages", iter_pages,
			      page);
	out[n++] = iter_group("iterate chunks", "mmapio_iter_chunks",
			      iter_chunks, 4096);
	out[n++] = iter_group("iterate chunks", "mmapio_iter_chunks",
			      iter_chunks, BENCH_MAX_BLOCK);
	out[n++] = write_group(4096, 0, 0.90, ">= 0.90");
	out[n++] = write_group(BENCH_MAX_BLOCK, 0, 0.95, ">= 0.95");
	out[n++] = read_group(4096, BENCH_HOT_SPAN, 0, "-");
	out[n++] = write_group(4096, BENCH_HOT_SPAN, 0, "-");
	return n;
}
