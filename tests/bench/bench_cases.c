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

/* The calls of one range of a pass: call n (n0 <= n < n1) copies `block`
 * bytes at offset n * block % span. */
struct walk {
	uint64_t n, n1, off, span;
	size_t block;
};

static struct walk walk_start(const struct bench_fixture *fx,
			      const struct bench_group *g, uint64_t from,
			      uint64_t to)
{
	struct walk w;

	w.block = g->block;
	w.n = from / g->block;
	w.n1 = to / g->block;
	w.span = g->span != 0 && g->span < fx->size ? g->span : fx->size;
	w.off = w.n * w.block % w.span;
	return w;
}

static void walk_step(struct walk *w)
{
	w->n++;
	w->off += w->block;
	if (w->off >= w->span)
		w->off = 0;
}

/* Read passes fold one word of the destination per call into the
 * checksum: the copy cannot be elided, and all readers must agree. */
static uint64_t fold(const unsigned char *buf, uint64_t n, size_t block)
{
	uint64_t w;
	size_t at = (size_t)(n * 8) & (block - 1);

	memcpy(&w, buf + at, sizeof(w));
	return w;
}

/* --- reads -------------------------------------------------------------- */

static uint64_t read_mmapio(struct bench_fixture *fx,
			    const struct bench_group *g,
			    struct bench_cursor *cur, uint64_t from,
			    uint64_t to)
{
	struct walk w = walk_start(fx, g, from, to);
	uint64_t sum = 0;
	int rc;

	(void)cur;
	for (; w.n < w.n1; walk_step(&w)) {
		rc = mmapio_read(fx->file, w.off, fx->buf, w.block);
		if (rc != 0)
			return bench_fail(fx, "mmapio_read", rc);
		sum += fold(fx->buf, w.n, w.block);
	}
	return sum;
}

static uint64_t read_memcpy(struct bench_fixture *fx,
			    const struct bench_group *g,
			    struct bench_cursor *cur, uint64_t from,
			    uint64_t to)
{
	struct walk w = walk_start(fx, g, from, to);
	uint64_t sum = 0;

	(void)cur;
	for (; w.n < w.n1; walk_step(&w)) {
		memcpy(fx->buf, fx->base_ro + w.off, w.block);
		sum += fold(fx->buf, w.n, w.block);
	}
	return sum;
}

static uint64_t read_pread(struct bench_fixture *fx,
			   const struct bench_group *g,
			   struct bench_cursor *cur, uint64_t from, uint64_t to)
{
	struct walk w = walk_start(fx, g, from, to);
	uint64_t sum = 0;

	(void)cur;
	for (; w.n < w.n1; walk_step(&w)) {
		ssize_t got = pread(fx->fd, fx->buf, w.block, (off_t)w.off);

		if (got != (ssize_t)w.block)
			return bench_fail(fx, "pread", got < 0 ? -errno : -EIO);
		sum += fold(fx->buf, w.n, w.block);
	}
	return sum;
}

/* --- writes ------------------------------------------------------------- */

static uint64_t write_mmapio(struct bench_fixture *fx,
			     const struct bench_group *g,
			     struct bench_cursor *cur, uint64_t from,
			     uint64_t to)
{
	struct walk w = walk_start(fx, g, from, to);
	int rc;

	(void)cur;
	for (; w.n < w.n1; walk_step(&w)) {
		rc = mmapio_write(fx->file, w.off, fx->buf, w.block);
		if (rc != 0)
			return bench_fail(fx, "mmapio_write", rc);
	}
	return to - from;
}

static uint64_t write_memcpy(struct bench_fixture *fx,
			     const struct bench_group *g,
			     struct bench_cursor *cur, uint64_t from,
			     uint64_t to)
{
	struct walk w = walk_start(fx, g, from, to);

	(void)cur;
	for (; w.n < w.n1; walk_step(&w))
		memcpy(fx->base_rw + w.off, fx->buf, w.block);
	return to - from;
}

static uint64_t write_pwrite(struct bench_fixture *fx,
			     const struct bench_group *g,
			     struct bench_cursor *cur, uint64_t from,
			     uint64_t to)
{
	struct walk w = walk_start(fx, g, from, to);

	(void)cur;
	for (; w.n < w.n1; walk_step(&w)) {
		ssize_t put = pwrite(fx->fd, fx->buf, w.block, (off_t)w.off);

		if (put != (ssize_t)w.block)
			return bench_fail(fx, "pwrite",
					  put < 0 ? -errno : -EIO);
	}
	return to - from;
}

/* --- iteration ---------------------------------------------------------- */

void bench_cursor_reset(struct bench_cursor *cur)
{
	mmapio_iter_close(cur->it);
	cur->it = NULL;
	cur->pos = 0;
}

/*
 * Take pieces from the cursor's iterator up to byte `to` of the file;
 * at the end of the file check that the iterator ends there too.
 */
static uint64_t iter_range(struct bench_fixture *fx, struct bench_cursor *cur,
			   uint64_t from, uint64_t to)
{
	mmapio_view v;
	uint64_t sum = 0;
	int rc = 1;

	if (from != cur->pos)
		return bench_fail(fx, "iteration out of order", -EINVAL);
	while (cur->pos < to && (rc = mmapio_iter_next(cur->it, &v)) == 1) {
		sum += bench_touch(v.data, v.len);
		cur->pos += v.len;
	}
	if (rc == 1 && cur->pos == fx->size)
		rc = mmapio_iter_next(cur->it, &v);
	if (rc < 0)
		return bench_fail(fx, "mmapio_iter_next", rc);
	if ((rc == 0) != (cur->pos >= fx->size) || cur->pos > to)
		return bench_fail(fx, "pieces do not tile the file", -EIO);
	if (rc == 0)
		bench_cursor_reset(cur);
	return sum;
}

static uint64_t iter_chunks(struct bench_fixture *fx,
			    const struct bench_group *g,
			    struct bench_cursor *cur, uint64_t from,
			    uint64_t to)
{
	int rc;

	if (cur->it == NULL && from == 0) {
		rc = mmapio_iter_chunks(&cur->it, fx->file, g->block);
		if (rc != 0)
			return bench_fail(fx, "mmapio_iter_chunks", rc);
	}
	return iter_range(fx, cur, from, to);
}

/* The group's block is the page size: the raw loop uses the same. */
static uint64_t iter_pages(struct bench_fixture *fx,
			   const struct bench_group *g,
			   struct bench_cursor *cur, uint64_t from, uint64_t to)
{
	int rc;

	(void)g;
	if (cur->it == NULL && from == 0) {
		rc = mmapio_iter_pages(&cur->it, fx->file);
		if (rc != 0)
			return bench_fail(fx, "mmapio_iter_pages", rc);
	}
	return iter_range(fx, cur, from, to);
}

static uint64_t iter_raw(struct bench_fixture *fx, const struct bench_group *g,
			 struct bench_cursor *cur, uint64_t from, uint64_t to)
{
	uint64_t off, sum = 0;
	size_t block = g->block;

	(void)cur;
	for (off = from; off < to; off += block) {
		uint64_t left = to - off;

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
