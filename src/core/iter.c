/*
 * iter.c - zero-copy iteration over fixed-size chunks and pages.
 *
 * The iterator takes one view of the whole file when it is opened and
 * hands out pointers into it: no copy and no allocation per step.
 */
#include <errno.h>
#include <stdlib.h>

#include "mmapio_i.h"

struct mmapio_iter {
	mmapio_view whole;
	uint64_t piece;
	uint64_t next_off;
};

int mmapio_chunk_count(const mmapio_file *f, uint64_t size, uint64_t *count)
{
	uint64_t total;

	if (size == 0 || count == NULL)
		return -EINVAL;
	total = mmapio_size(f);
	*count = total / size + (total % size != 0);
	return 0;
}

int mmapio_iter_chunks(mmapio_iter **out, mmapio_file *f, uint64_t size)
{
	mmapio_iter *it;
	int rc;

	if (out == NULL || size == 0)
		return -EINVAL;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	rc = mmapio__view_get(f, 0, mmapio_size(f), false, &it->whole);
	if (rc != 0) {
		free(it);
		return rc;
	}
	it->piece = size;
	*out = it;
	return 0;
}

int mmapio_iter_pages(mmapio_iter **out, mmapio_file *f)
{
	return mmapio_iter_chunks(out, f, mmapio_page_size());
}

int mmapio_iter_next(mmapio_iter *it, mmapio_view *view)
{
	uint64_t left, len;

	if (view == NULL)
		return -EINVAL;
	if (it->next_off >= it->whole.len)
		return 0;
	left = it->whole.len - it->next_off;
	len = left < it->piece ? left : it->piece;
	view->data = (uint8_t *)it->whole.data + it->next_off;
	view->len = (size_t)len;
	view->off = it->next_off;
	view->file = NULL;
	it->next_off += len;
	return 1;
}

void mmapio_iter_close(mmapio_iter *it)
{
	if (it == NULL)
		return;
	mmapio_view_release(&it->whole);
	free(it);
}
