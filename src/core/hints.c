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

static int advice_of(mmapio_advice a)
{
	switch (a) {
	case MMAPIO_ADV_NORMAL:
		return MADV_NORMAL;
	case MMAPIO_ADV_RANDOM:
		return MADV_RANDOM;
	case MMAPIO_ADV_SEQUENTIAL:
		return MADV_SEQUENTIAL;
	case MMAPIO_ADV_WILLNEED:
		return MADV_WILLNEED;
	case MMAPIO_ADV_DONTNEED:
		return MADV_DONTNEED;
	case MMAPIO_ADV_HUGEPAGE:
		return MADV_HUGEPAGE;
	case MMAPIO_ADV_NOHUGEPAGE:
		return MADV_NOHUGEPAGE;
	}
	return -1;
}

int mmapio_advise(mmapio_file *f, uint64_t off, uint64_t len,
		  mmapio_advice advice)
{
	int adv = advice_of(advice);
	uint8_t *addr;
	size_t plen;
	int rc;

	if (adv < 0)
		return -EINVAL;
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
