/*
 * hints.c - madvise advice, mlock and prewarming.
 */
#include <errno.h>
#include <sys/mman.h>

#include "compat.h"
#include "guard.h"
#include "mmapio_i.h"
#include "sys.h"

int mmapio__page_range(struct mmapio_snap s, uint64_t off, uint64_t len,
		       uint8_t **addr, size_t *plen)
{
	uint64_t size = s.size;
	uint64_t start, end;

	if (len == 0 && off <= size)
		len = size - off;
	if (!mmapio__in_bounds(off, len, size))
		return -ERANGE;
	start = mmapio__page_down(off);
	end = mmapio__page_up(off + len);
	if (end > mmapio__page_up(size))
		end = mmapio__page_up(size);
	*addr = s.base + start;
	*plen = end > start ? (size_t)(end - start) : 0;
	return 0;
}

/* The madvise(2) advice for `a` into *adv; 0, or -EINVAL for a value
 * that is not an mmapio_advice. */
static int advice_of(mmapio_advice a, int *adv)
{
	switch (a) {
	case MMAPIO_ADV_NORMAL:
		*adv = MADV_NORMAL;
		return 0;
	case MMAPIO_ADV_RANDOM:
		*adv = MADV_RANDOM;
		return 0;
	case MMAPIO_ADV_SEQUENTIAL:
		*adv = MADV_SEQUENTIAL;
		return 0;
	case MMAPIO_ADV_WILLNEED:
		*adv = MADV_WILLNEED;
		return 0;
	case MMAPIO_ADV_DONTNEED:
		*adv = MADV_DONTNEED;
		return 0;
	case MMAPIO_ADV_HUGEPAGE:
		*adv = MADV_HUGEPAGE;
		return 0;
	case MMAPIO_ADV_NOHUGEPAGE:
		*adv = MADV_NOHUGEPAGE;
		return 0;
	}
	return -EINVAL;
}

int mmapio_advise(mmapio_file *f, uint64_t off, uint64_t len,
		  mmapio_advice advice)
{
	uint8_t *addr;
	size_t plen;
	int adv, rc;

	rc = advice_of(advice, &adv);
	if (rc != 0)
		return rc;
	rc = mmapio__page_range(mmapio__snap(f), off, len, &addr, &plen);
	if (rc == 0 && plen != 0 && mmapio__sys.madvise(addr, plen, adv) != 0)
		rc = -errno;
	return rc;
}

static int lock_range(mmapio_file *f, uint64_t off, uint64_t len, bool pin)
{
	uint8_t *addr;
	size_t plen;
	int rc;

	rc = mmapio__page_range(mmapio__snap(f), off, len, &addr, &plen);
	if (rc == 0 && plen != 0 &&
	    (pin ? mlock(addr, plen) : munlock(addr, plen)) != 0)
		rc = -errno;
	return rc;
}

int mmapio_lock(mmapio_file *f, uint64_t off, uint64_t len)
{
	return lock_range(f, off, len, true);
}

int mmapio_unlock(mmapio_file *f, uint64_t off, uint64_t len)
{
	return lock_range(f, off, len, false);
}

int mmapio_prewarm(mmapio_file *f, uint64_t off, uint64_t len)
{
	uint8_t *addr;
	size_t plen;
	int rc;

	rc = mmapio__page_range(mmapio__snap(f), off, len, &addr, &plen);
	if (rc == 0 && plen != 0)
		rc = mmapio__populate_read(addr, plen);
	return rc;
}
