/*
 * view.c - zero-copy views and atomic views into a mapping.
 *
 * A view is a pointer into the mapping plus a reference on the file's view
 * count.  The count pins the mapping's address: resize and refresh refuse
 * to move it (or to shrink it, for resize) while the count is non-zero.
 */
#include <errno.h>

#include "mmapio_i.h"

int mmapio__view_get(mmapio_file *f, uint64_t off, uint64_t len, bool writable,
		     mmapio_view *view)
{
	struct mmapio_snap s;

	if (view == NULL || len > SIZE_MAX)
		return -EINVAL;
	if (writable && f->mode == MMAPIO_RO)
		return -EBADF;
	/*
	 * Count first, then look at the size (both seq_cst): a concurrent
	 * shrink either sees this view and backs off, or published its
	 * smaller size before we look.  See "Concurrency" in mmapio_i.h.
	 */
	atomic_fetch_add(&f->views, 1);
	s = mmapio__decode(f, atomic_load(&f->state));
	if (!mmapio__in_bounds(off, len, s.size)) {
		atomic_fetch_sub(&f->views, 1);
		return -ERANGE;
	}
	view->data = len != 0 ? s.base + off : NULL;
	view->len = (size_t)len;
	view->off = off;
	view->file = f;
	return 0;
}

void mmapio__view_put(mmapio_file *f)
{
	atomic_fetch_sub(&f->views, 1);
}

int mmapio_view_acquire(mmapio_file *f, uint64_t off, uint64_t len,
			mmapio_view *view)
{
	return mmapio__view_get(f, off, len, false, view);
}

int mmapio_view_acquire_mut(mmapio_file *f, uint64_t off, uint64_t len,
			    mmapio_view *view)
{
	return mmapio__view_get(f, off, len, true, view);
}

void mmapio_view_release(mmapio_view *view)
{
	if (view == NULL || view->file == NULL)
		return;
	mmapio__view_put(view->file);
	view->file = NULL;
}

unsigned mmapio_view_count(const mmapio_file *f)
{
	return atomic_load(&f->views);
}

/*
 * Atomic views refuse read-only handles: an atomic read-modify-write on a
 * PROT_READ page would crash, and refusing every operation keeps the rule
 * simple.  On a copy-on-write handle the word is private to the process.
 */
static int atomic_view(mmapio_file *f, uint64_t off, uint64_t width,
		       mmapio_view *view)
{
	if (f->mode == MMAPIO_RO)
		return -EBADF;
	if (off % width != 0)
		return -EINVAL;
	return mmapio__view_get(f, off, width, true, view);
}

int mmapio_atomic_u32(mmapio_file *f, uint64_t off, mmapio_view *view,
		      _Atomic uint32_t **out)
{
	int rc;

	if (out == NULL)
		return -EINVAL;
	rc = atomic_view(f, off, sizeof(uint32_t), view);
	if (rc == 0)
		*out = (_Atomic uint32_t *)view->data;
	return rc;
}

int mmapio_atomic_u64(mmapio_file *f, uint64_t off, mmapio_view *view,
		      _Atomic uint64_t **out)
{
	int rc;

	if (out == NULL)
		return -EINVAL;
	rc = atomic_view(f, off, sizeof(uint64_t), view);
	if (rc == 0)
		*out = (_Atomic uint64_t *)view->data;
	return rc;
}
