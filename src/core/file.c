/*
 * file.c - opening, mapping, resizing and closing a file; bounds-checked
 * reads and writes.
 *
 * Layout of a mapping: at open the library reserves address space
 * (PROT_NONE, no memory committed) larger than the file and maps the file
 * over the start of it with MAP_FIXED.  Growth maps more of the file into
 * the reservation, so the base address stays put.  Growth past the
 * reservation maps the file again in a larger one (a new generation) and
 * keeps the old range mapped until close, so no pointer a reader or a view
 * holds ever dangles.  See "Concurrency" in mmapio_i.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "guard.h"
#include "mmapio_i.h"
#include "readers.h"
#include "sys.h"

#define MIN_RESERVE (64ull << 20)

size_t mmapio_page_size(void)
{
	static size_t page;

	if (page == 0)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

static int prot_of(mmapio_mode mode)
{
	return mode == MMAPIO_RO ? PROT_READ : PROT_READ | PROT_WRITE;
}

static int flags_of(mmapio_mode mode)
{
	return mode == MMAPIO_COW ? MAP_PRIVATE : MAP_SHARED;
}

/* Address space to reserve for a file of `mapped` bytes. */
static uint64_t default_reserve(uint64_t mapped)
{
	uint64_t r = mapped > UINT64_MAX / 2 ? mapped : 2 * mapped;

	return r < MIN_RESERVE ? MIN_RESERVE : r;
}

static int reserve_space(uint64_t len, uint8_t **out)
{
	void *p;

	if (len > SIZE_MAX)
		return -ENOMEM;
	p = mmapio__sys.mmap(NULL, (size_t)len, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			     0);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

/* Map file bytes [from, to) (page multiples) at base + from. */
static int map_file_range(mmapio_file *f, uint8_t *base, uint64_t from,
			  uint64_t to)
{
	void *p;

	if (to <= from)
		return 0;
	p = mmapio__sys.mmap(base + from, (size_t)(to - from), prot_of(f->mode),
			     flags_of(f->mode) | MAP_FIXED, f->fd, (off_t)from);
	if (p == MAP_FAILED)
		return -errno;
	return 0;
}

/*
 * Reserve fresh address space for a file of `size` bytes and map the file
 * at its start.  `reserve` 0 means the default; if that much address space
 * is not to be had, the reservation shrinks to what the file needs.
 */
static int map_fresh(mmapio_file *f, uint64_t size, uint64_t reserve,
		     uint8_t **base, uint64_t *reserved)
{
	uint64_t want = mmapio__page_up(size);
	uint8_t *nbase = NULL;
	int rc;

	reserve = mmapio__page_up(reserve);
	if (reserve == 0 || reserve < want)
		reserve = default_reserve(want);
	rc = reserve_space(reserve, &nbase);
	if (rc == -ENOMEM && reserve > want && want > 0) {
		reserve = want;
		rc = reserve_space(reserve, &nbase);
	}
	if (rc != 0)
		return rc;
	rc = map_file_range(f, nbase, 0, want);
	if (rc != 0) {
		mmapio__sys.munmap(nbase, (size_t)reserve);
		return rc;
	}
	*base = nbase;
	*reserved = reserve;
	return 0;
}

/* Publish (generation, size) for readers. */
static void publish(mmapio_file *f, unsigned gen, uint64_t size)
{
	atomic_store(&f->state, (uint64_t)gen << MMAPIO_SIZE_BITS | size);
}

/*
 * Make [0, page_up(size)) of the file mapped in the newest generation: in
 * place when the reservation allows, else in a new generation.  Caller
 * holds f->resize_mu and publishes the size afterwards.  On error nothing
 * changed.
 *
 * A copy-on-write mapping cannot start a new generation: its private pages
 * would not follow, so it is limited to the reservation made at open
 * (-EFBIG past it).
 */
static int map_up_to(mmapio_file *f, uint64_t size)
{
	struct mmapio_gen *g = &f->gens[f->ngens - 1];
	uint64_t want = mmapio__page_up(size);
	struct mmapio_gen next;
	int rc;

	if (size > MMAPIO_SIZE_MASK || size > SIZE_MAX || want < size)
		return -EFBIG;
	if (want <= f->mapped)
		return 0;
	if (want <= g->reserved) {
		rc = map_file_range(f, g->base, f->mapped, want);
		if (rc == 0)
			f->mapped = want;
		return rc;
	}
	if (f->mode == MMAPIO_COW || f->ngens == MMAPIO_MAX_GENS)
		return -EFBIG;
	rc = map_fresh(f, size, 0, &next.base, &next.reserved);
	if (rc != 0)
		return rc;
	f->gens[f->ngens++] = next;
	f->mapped = want;
	return 0;
}

/* ---- opening ------------------------------------------------------------ */

static int check_options(const mmapio_options *o)
{
	if (o->mode != MMAPIO_RO && o->mode != MMAPIO_RW &&
	    o->mode != MMAPIO_COW)
		return -EINVAL;
	if (o->flags &
	    ~(unsigned)(MMAPIO_O_CREATE | MMAPIO_O_EXCL | MMAPIO_O_POPULATE |
			MMAPIO_O_HUGEPAGE | MMAPIO_O_TRUNCATE))
		return -EINVAL;
	if (o->flags & MMAPIO_O_CREATE) {
		if (o->mode != MMAPIO_RW || o->size == 0)
			return -EINVAL;
		if (o->size > (uint64_t)INT64_MAX)
			return -EFBIG;
	} else if (o->flags & (MMAPIO_O_EXCL | MMAPIO_O_TRUNCATE)) {
		return -EINVAL;
	}
	return 0;
}

static int open_retry(const char *path, int flags, mode_t mode)
{
	int fd;

	do
		fd = open(path, flags, mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

static int truncate_retry(int fd, uint64_t size)
{
	int rc;

	do
		rc = mmapio__sys.ftruncate(fd, (off_t)size);
	while (rc != 0 && errno == EINTR);
	return rc != 0 ? -errno : 0;
}

/*
 * Create `path` holding `size` zero bytes with no moment at which another
 * process could open it smaller: build it unnamed (O_TMPFILE) in the target
 * directory, size it, then link it in.  Returns the descriptor, -EEXIST when
 * the name exists, or -EOPNOTSUPP when the filesystem (or a missing /proc)
 * does not allow this.
 */
static int create_linked(const char *path, int flags, mode_t mode,
			 uint64_t size)
{
	char *copy = strdup(path), proc[64];
	int fd, rc;

	if (copy == NULL)
		return -ENOMEM;
	fd = open_retry(dirname(copy), (flags & ~O_NONBLOCK) | O_TMPFILE, mode);
	free(copy);
	if (fd < 0)
		return fd == -EISDIR || fd == -EINVAL || fd == -EOPNOTSUPP
			       ? -EOPNOTSUPP
			       : fd;
	rc = truncate_retry(fd, size);
	if (rc == 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW))
			rc = errno == ENOENT && access(proc, F_OK) != 0
				     ? -EOPNOTSUPP
				     : -errno;
	}
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/*
 * Open the file descriptor.  *created tells whether this call created the
 * file (so a failure later can remove it again).  Creation is race-free:
 * exclusive creation first, and a plain open of the file someone else
 * created when that fails with EEXIST; if that file vanishes again in
 * between, start over.
 */
static int open_fd(const char *path, const mmapio_options *o, bool *created)
{
	int acc = o->mode == MMAPIO_RW ? O_RDWR : O_RDONLY;
	/* O_NONBLOCK: opening a FIFO must not hang before we can refuse it. */
	int base = acc | O_CLOEXEC | O_NONBLOCK;
	mode_t cmode = o->create_mode ? (mode_t)o->create_mode : 0644;
	bool linked = true;
	int fd, tries;

	*created = false;
	if (!(o->flags & MMAPIO_O_CREATE))
		return open_retry(path, base, 0);
	if (o->flags & MMAPIO_O_TRUNCATE)
		return open_retry(path, base | O_CREAT | O_TRUNC, cmode);
	for (tries = 0; tries < 16; tries++) {
		fd = linked ? create_linked(path, base, cmode, o->size)
			    : -EOPNOTSUPP;
		/*
		 * Without O_TMPFILE, plain exclusive creation: the caller sizes
		 * the file, and a concurrent opener may see it empty until then.
		 */
		if (fd == -EOPNOTSUPP) {
			linked = false;
			fd = open_retry(path, base | O_CREAT | O_EXCL, cmode);
		}
		if (fd >= 0) {
			*created = true;
			return fd;
		}
		if (fd != -EEXIST || (o->flags & MMAPIO_O_EXCL))
			return fd;
		fd = open_retry(path, base, 0);
		if (fd != -ENOENT)
			return fd;
	}
	return -EAGAIN;
}

/*
 * A regular file or a block device (mapped alike; a device's size comes
 * from BLKGETSIZE64).  A read-only device refuses a read-write or
 * copy-on-write open with -EROFS, as open(2) of a read-only file system
 * would: the caller may open it read-only instead.
 */
static int check_mappable(int fd, mmapio_mode mode, struct stat *st,
			  uint64_t *size)
{
	int rc;

	if (mmapio__sys.fstat(fd, st) != 0)
		return -errno;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
		return -ENODEV;
	if (S_ISBLK(st->st_mode) && mode == MMAPIO_RW && mmapio__blkdev_ro(fd))
		return -EROFS;
	rc = mmapio__fd_size(fd, st, size);
	if (rc != 0)
		return rc;
	if (*size > SIZE_MAX)
		return -EFBIG;
	return 0;
}

static void apply_open_hints(mmapio_file *f, unsigned flags)
{
	/* Hints are never fatal. */
	if (flags & MMAPIO_O_HUGEPAGE)
		(void)mmapio_advise(f, 0, 0, MMAPIO_ADV_HUGEPAGE);
	if (flags & MMAPIO_O_POPULATE)
		(void)mmapio_prewarm(f, 0, 0);
}

static void file_free(mmapio_file *f)
{
	unsigned i;

	if (f == NULL)
		return;
	for (i = 0; i < f->ngens; i++)
		mmapio__sys.munmap(f->gens[i].base,
				   (size_t)f->gens[i].reserved);
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}

int mmapio_open_ex(mmapio_file **out, const char *path,
		   const mmapio_options *opts)
{
	static const mmapio_options defaults;
	const mmapio_options *o = opts != NULL ? opts : &defaults;
	mmapio_file *f = NULL;
	bool created = false, flusher = false, mutex = false;
	struct stat st;
	uint64_t size = 0;
	int rc;

	if (out == NULL || path == NULL)
		return -EINVAL;
	rc = check_options(o);
	if (rc != 0)
		return rc;
	rc = mmapio__guard_install();
	if (rc != 0)
		return rc;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->fd = -1;
	f->mode = o->mode;
	atomic_init(&f->state, 0);
	atomic_init(&f->views, 0);
	f->path = strdup(path);
	if (f->path == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = -pthread_mutex_init(&f->resize_mu, NULL);
	if (rc != 0)
		goto fail;
	mutex = true;
	rc = mmapio__flusher_init(&f->flusher);
	if (rc != 0)
		goto fail;
	flusher = true;

	rc = open_fd(path, o, &created);
	if (rc < 0)
		goto fail;
	f->fd = rc;
	rc = check_mappable(f->fd, o->mode, &st, &size);
	if (rc != 0)
		goto fail;
	if (fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((created || (o->flags & MMAPIO_O_TRUNCATE)) && size != o->size) {
		if (mmapio__sys.ftruncate(f->fd, (off_t)o->size) != 0) {
			rc = -errno;
			goto fail;
		}
		size = o->size;
	}

	if (size > MMAPIO_SIZE_MASK) {
		rc = -EFBIG;
		goto fail;
	}
	rc = map_fresh(f, size, o->reserve, &f->gens[0].base,
		       &f->gens[0].reserved);
	if (rc != 0)
		goto fail;
	f->ngens = 1;
	f->mapped = mmapio__page_up(size);
	publish(f, 0, size);

	if (o->flush.kind != MMAPIO_FLUSH_NEVER) {
		rc = mmapio_set_flush_policy(f, &o->flush);
		if (rc != 0)
			goto fail;
	}
	apply_open_hints(f, o->flags);
	*out = f;
	return 0;

fail:
	if (flusher)
		mmapio__flusher_destroy(f);
	if (mutex)
		pthread_mutex_destroy(&f->resize_mu);
	if (created)
		unlink(path);
	file_free(f);
	return rc;
}

int mmapio_open(mmapio_file **out, const char *path, mmapio_mode mode)
{
	mmapio_options o = { .mode = mode };

	return mmapio_open_ex(out, path, &o);
}

int mmapio_create(mmapio_file **out, const char *path, uint64_t size)
{
	mmapio_options o = {
		.mode = MMAPIO_RW,
		.flags = MMAPIO_O_CREATE | MMAPIO_O_TRUNCATE,
		.size = size,
	};

	return mmapio_open_ex(out, path, &o);
}

int mmapio_open_or_create(mmapio_file **out, const char *path, uint64_t size)
{
	mmapio_options o = {
		.mode = MMAPIO_RW,
		.flags = MMAPIO_O_CREATE,
		.size = size,
	};

	return mmapio_open_ex(out, path, &o);
}

int mmapio_close(mmapio_file *f)
{
	int rc;

	if (f == NULL)
		return 0;
	if (atomic_load(&f->views) != 0)
		return -EBUSY;
	mmapio__flusher_destroy(f);
	rc = mmapio_flush(f);
	pthread_mutex_destroy(&f->resize_mu);
	file_free(f);
	return rc;
}

/* ---- getters ------------------------------------------------------------ */

uint64_t mmapio_size(const mmapio_file *f)
{
	return mmapio__snap(f).size;
}

mmapio_mode mmapio_mode_of(const mmapio_file *f)
{
	return f->mode;
}

int mmapio_fd(const mmapio_file *f)
{
	return f->fd;
}

const char *mmapio_path(const mmapio_file *f)
{
	return f->path;
}

/* ---- reads and writes --------------------------------------------------- */

/*
 * Reads and writes announce themselves (readers.h) so that a shrink waits
 * for them: an access either sees the old size and finishes before the file
 * is cut, or sees the new size.  Only an external truncation can make the
 * copy fault, and then it returns -EIO.
 */
static inline int access_copy(mmapio_file *f, uint64_t off, size_t len,
			      void *dst, const void *src,
			      struct mmapio_snap *snap)
{
	struct mmapio_reader *r = mmapio__read_begin(f);
	int rc;

	if (r == NULL)
		return -ENOMEM;
	*snap = mmapio__snap(f);
	if (!mmapio__in_bounds(off, len, snap->size)) {
		rc = -ERANGE;
	} else {
		/* The mapping is the side the caller passed as NULL. */
		uint8_t *at = snap->base + off;

		rc = mmapio__guarded_copy(dst != NULL ? dst : at,
					  src != NULL ? src : at, len);
	}
	mmapio__read_end(r);
	return rc;
}

int mmapio_read(mmapio_file *f, uint64_t off, void *dst, size_t len)
{
	struct mmapio_snap s;

	if (dst == NULL && len != 0)
		return -EINVAL;
	return access_copy(f, off, len, dst, NULL, &s);
}

int mmapio_write(mmapio_file *f, uint64_t off, const void *src, size_t len)
{
	struct mmapio_snap s;
	int rc;

	if (f->mode == MMAPIO_RO)
		return -EBADF;
	if (src == NULL && len != 0)
		return -EINVAL;
	rc = access_copy(f, off, len, NULL, src, &s);
	if (rc == 0)
		rc = mmapio__flusher_wrote(f, s, off, len);
	return rc;
}

/* ---- size changes ------------------------------------------------------- */

/*
 * Shrink: publish the smaller size, then look for views (both seq_cst, the
 * mirror of mmapio__view_get()) and put the old size back if any is
 * outstanding; then wait for reads and writes that may still use the old
 * size before cutting the file.  Pages past the new end stay mapped (see
 * file comment).
 */
static int shrink_locked(mmapio_file *f, unsigned gen, uint64_t old,
			 uint64_t new_size)
{
	int rc;

	if (atomic_load(&f->views) != 0)
		return -EBUSY;
	publish(f, gen, new_size);
	if (atomic_load(&f->views) != 0) {
		publish(f, gen, old);
		return -EBUSY;
	}
	mmapio__readers_wait(f);
	rc = truncate_retry(f->fd, new_size);
	if (rc != 0)
		publish(f, gen, old);
	return rc;
}

static int grow_locked(mmapio_file *f, uint64_t old, uint64_t new_size)
{
	int rc = truncate_retry(f->fd, new_size);

	if (rc != 0)
		return rc;
	rc = map_up_to(f, new_size);
	if (rc != 0) {
		(void)truncate_retry(f->fd, old);
		return rc;
	}
	publish(f, f->ngens - 1, new_size);
	return 0;
}

int mmapio_resize(mmapio_file *f, uint64_t new_size)
{
	uint64_t old;
	int rc = 0;

	if (f->mode != MMAPIO_RW)
		return -EBADF;
	if (new_size == 0)
		return -EINVAL;
	if (new_size > MMAPIO_SIZE_MASK || new_size > SIZE_MAX)
		return -EFBIG;

	pthread_mutex_lock(&f->resize_mu);
	old = mmapio_size(f);
	if (new_size < old)
		rc = shrink_locked(f, f->ngens - 1, old, new_size);
	else if (new_size > old)
		rc = grow_locked(f, old, new_size);
	pthread_mutex_unlock(&f->resize_mu);
	return rc;
}

int mmapio_refresh(mmapio_file *f, uint64_t *new_size)
{
	struct stat st;
	uint64_t now;
	int rc = 0;

	if (mmapio__sys.fstat(f->fd, &st) != 0)
		return -errno;
	rc = mmapio__fd_size(f->fd, &st, &now);
	if (rc != 0)
		return rc;
	if (now != mmapio_size(f)) {
		pthread_mutex_lock(&f->resize_mu);
		/* Past a new, smaller end pages stay mapped: see file comment. */
		rc = map_up_to(f, now);
		if (rc == 0)
			publish(f, f->ngens - 1, now);
		pthread_mutex_unlock(&f->resize_mu);
	}
	if (new_size != NULL)
		*new_size = mmapio_size(f);
	return rc;
}
