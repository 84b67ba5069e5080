/*
 * mmapio.h - memory-mapped file I/O.
 *
 * libmmapio maps a file into memory and gives bounds-checked, SIGBUS-safe
 * reads and writes, zero-copy views, segments, chunk and page iteration,
 * durable flushing with optional background policies, resizing, madvise
 * hints, mlock, C11 atomic views and inotify-based change watching.
 *
 * Conventions
 *   - Every function that can fail returns int: 0 on success or a negative
 *     errno value.  Results come back through out-parameters.  Plain getters
 *     (mmapio_size(), mmapio_mode_of(), ...) return their value directly.
 *   - mmapio_strerror() turns any such return value into a message.
 *   - Offsets and lengths are bytes.  An access [off, off + len) is in bounds
 *     when off <= size and len <= size - off; off == size with len == 0 is in
 *     bounds.  Anything else, including an off + len that overflows, is
 *     -ERANGE.
 *   - Handles are opaque.  A handle may be used from several threads at once
 *     unless its documentation says otherwise.
 *
 * Memory safety and SIGBUS
 *   A page of a shared mapping whose file has been truncated underneath it
 *   raises SIGBUS when touched.  mmapio_read(), mmapio_write() and the
 *   segment copies guard their memcpy: such a fault makes them return -EIO
 *   and the process continues.  To do so the library installs a SIGBUS
 *   handler on the first open; faults outside the library's own copies are
 *   passed on to the handler that was installed before (or to the default
 *   action, which terminates the process).  Raw pointers obtained from
 *   views, iterators and atomic views are NOT guarded: touching a page the
 *   file no longer backs raises SIGBUS in the caller.
 *
 * Address stability
 *   Memory a pointer was handed out for stays mapped, to the same file,
 *   until mmapio_close().  The library reserves address space beyond the
 *   end of the file at open, so growing the file (mmapio_resize(),
 *   mmapio_refresh()) keeps the base address while the new size fits the
 *   reservation.  Growth past it maps the file again at a new address and
 *   keeps the old range mapped too: outstanding views stay valid and, for
 *   shared mappings, coherent with the new one.  A shrink through
 *   mmapio_resize() fails with -EBUSY while views are outstanding.
 *
 * Concurrency
 *   Reads and writes take no lock: they load the size in force atomically
 *   and check bounds against it.  A shrink through mmapio_resize() waits
 *   for accesses that started before it, so an access sees either the old
 *   size (and completes) or the new one (-ERANGE), never a cut file.
 */
#ifndef MMAPIO_H
#define MMAPIO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(MMAPIO_NO_VISIBILITY)
#define MMAPIO_API __attribute__((visibility("default")))
#else
#define MMAPIO_API
#endif

#define MMAPIO_VERSION_MAJOR 0
#define MMAPIO_VERSION_MINOR 2
#define MMAPIO_VERSION_PATCH 0
#define MMAPIO_VERSION_STRING "0.2.0"

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * A mapped file: one file descriptor and one mapping of the whole file.
 * Created by mmapio_open(), mmapio_create(), mmapio_open_or_create() or
 * mmapio_open_ex(); destroyed by mmapio_close().  Thread-safe: reads,
 * writes, views and flushes may run concurrently with each other and with
 * mmapio_resize()/mmapio_refresh() (see "Concurrency" above).  Files up to
 * 2^56 - 1 bytes are supported.
 */
typedef struct mmapio_file mmapio_file;

/*
 * How a file is mapped.
 *   MMAPIO_RO   read-only, shared: writes fail with -EBADF.
 *   MMAPIO_RW   read-write, shared: writes reach the file; flush makes them
 *               durable.
 *   MMAPIO_COW  copy-on-write: a private, writable mapping of a file opened
 *               read-only.  Writes are visible through this handle only and
 *               never reach the file.  Flushing is a no-op that succeeds;
 *               resizing fails with -EBADF.
 */
typedef enum { MMAPIO_RO, MMAPIO_RW, MMAPIO_COW } mmapio_mode;

/*
 * When data written through the handle is made durable without an explicit
 * flush.  Whatever the policy, mmapio_flush() and mmapio_flush_range() are
 * always synchronous and durable.
 *   MMAPIO_FLUSH_NEVER     only on explicit flush (and on close).
 *   MMAPIO_FLUSH_ALWAYS    every write is flushed (its own range) before
 *                          mmapio_write() returns.
 *   MMAPIO_FLUSH_BYTES     after every `n` bytes written (n >= 1).
 *   MMAPIO_FLUSH_WRITES    after every `n` writes (n >= 1).
 *   MMAPIO_FLUSH_INTERVAL  a background thread flushes every `n`
 *                          milliseconds when something was written (n >= 1).
 * Writes made through raw views are invisible to the counters; the interval
 * policy flushes them if mmapio_mark_dirty() was called.
 */
typedef enum {
	MMAPIO_FLUSH_NEVER,
	MMAPIO_FLUSH_ALWAYS,
	MMAPIO_FLUSH_BYTES,
	MMAPIO_FLUSH_WRITES,
	MMAPIO_FLUSH_INTERVAL,
} mmapio_flush_kind;

typedef struct {
	mmapio_flush_kind kind;
	uint64_t n; /* bytes, writes or milliseconds; unused for NEVER/ALWAYS */
} mmapio_flush_policy;

/* Flags for mmapio_options.flags. */
enum {
	MMAPIO_O_CREATE = 1u << 0, /* create the file if it does not exist */
	MMAPIO_O_EXCL = 1u << 1, /* with CREATE: fail with -EEXIST if it does */
	MMAPIO_O_POPULATE = 1u << 2, /* prefault the whole mapping at open */
	MMAPIO_O_HUGEPAGE =
		1u << 3, /* madvise(MADV_HUGEPAGE), see mmapio_advise */
	MMAPIO_O_TRUNCATE = 1u << 4, /* with CREATE: discard an existing file's
	                                 content (O_TRUNC), then set size */
};

/*
 * Options for mmapio_open_ex().  Zero-initialise and set what you need:
 * a zeroed struct opens an existing file read-only with the default
 * reservation and the NEVER flush policy.
 */
typedef struct {
	mmapio_mode mode;
	unsigned flags;		   /* MMAPIO_O_* */
	uint64_t size;		   /* size of a newly created file (CREATE) */
	unsigned create_mode;	   /* permission bits for CREATE; 0 = 0644 */
	uint64_t reserve;	   /* address space to reserve in bytes; 0 =
	                               default (twice the size, at least 64 MiB) */
	mmapio_flush_policy flush; /* background flush policy */
} mmapio_options;

/*
 * Open (and with MMAPIO_O_CREATE create) a file and map it whole.
 *
 * @out   receives the handle; untouched on failure.
 * @path  file to open; a regular file or a block device.
 * @opts  options; NULL means all defaults.
 * Errors: -EINVAL (bad options, CREATE with size 0), -ENODEV for FIFOs,
 * sockets and character devices, -EISDIR for directories, -EROFS for a
 * read-write open of a read-only block device (BLKROGET), -EEXIST,
 * -ENOENT, -EACCES and other open(2)/fstat(2)/mmap(2) errors, -ENOMEM.
 * An empty file opens fine and has size 0.  A block device is mapped like
 * a file of its size (BLKGETSIZE64); it cannot be resized.
 */
MMAPIO_API int mmapio_open_ex(mmapio_file **out, const char *path,
			      const mmapio_options *opts);

/* Open an existing file in the given mode.  Errors as mmapio_open_ex(). */
MMAPIO_API int mmapio_open(mmapio_file **out, const char *path,
			   mmapio_mode mode);

/*
 * Create a new file of `size` bytes (zero-filled, sparse) and map it
 * read-write.  An existing file is truncated or extended to `size`.
 * Errors: -EINVAL if size is 0, else as mmapio_open_ex().
 */
MMAPIO_API int mmapio_create(mmapio_file **out, const char *path,
			     uint64_t size);

/*
 * Open `path` read-write, creating it with `size` bytes if it does not
 * exist.  An existing file keeps its size and content.  Race-free: creation
 * uses O_CREAT|O_EXCL and falls back to a plain open when another process
 * created the file first.  Errors: -EINVAL if size is 0, else as
 * mmapio_open_ex().
 */
MMAPIO_API int mmapio_open_or_create(mmapio_file **out, const char *path,
				     uint64_t size);

/*
 * Flush (RW), stop the background flusher, unmap and close.  NULL-safe.
 * Returns the result of the final flush (the handle is freed regardless),
 * or -EBUSY without doing anything while views, segments or iterators are
 * outstanding: close them first.
 */
MMAPIO_API int mmapio_close(mmapio_file *f);

/* Current size of the mapped file in bytes (as last seen by the handle). */
MMAPIO_API uint64_t mmapio_size(const mmapio_file *f);

/* Mode the handle was opened with. */
MMAPIO_API mmapio_mode mmapio_mode_of(const mmapio_file *f);

/*
 * The handle's file descriptor, for fstat(2), fcntl locks or poll.  Owned
 * by the handle: do not close it, and do not use it after mmapio_close().
 */
MMAPIO_API int mmapio_fd(const mmapio_file *f);

/* The path the file was opened with (owned by the handle). */
MMAPIO_API const char *mmapio_path(const mmapio_file *f);

/* The system page size. */
MMAPIO_API size_t mmapio_page_size(void);

/* ------------------------------------------------------------------------ */
/* Reads and writes                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Copy [off, off + len) of the file into dst.
 * Errors: -ERANGE out of bounds; -EINVAL if dst is NULL and len is not 0;
 * -EIO if a page is no longer backed by the file (truncated underneath;
 * the process is not killed); -ENOMEM on a
 * thread's first access if its small bookkeeping slot cannot be allocated.
 */
MMAPIO_API int mmapio_read(mmapio_file *f, uint64_t off, void *dst, size_t len);

/*
 * Copy src into [off, off + len) of the mapping.  Applies the flush policy.
 * Errors: -EBADF on a read-only handle; -ERANGE; -EINVAL if src is NULL
 * and len is not 0; -EIO as mmapio_read(), or when the policy's flush
 * fails.
 */
MMAPIO_API int mmapio_write(mmapio_file *f, uint64_t off, const void *src,
			    size_t len);

/* ------------------------------------------------------------------------ */
/* Flushing                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Make every write so far durable: msync(MS_SYNC) over the whole mapping.
 * Returns 0 on a read-only or copy-on-write handle without a system call.
 * Errors: -EIO and other msync(2) errors.
 */
MMAPIO_API int mmapio_flush(mmapio_file *f);

/*
 * Make [off, off + len) durable: msync(MS_SYNC) over that range widened to
 * whole pages.  Errors: -ERANGE, and as mmapio_flush().
 */
MMAPIO_API int mmapio_flush_range(mmapio_file *f, uint64_t off, uint64_t len);

/* Change the background flush policy.  Errors: -EINVAL (n == 0 where it
 * must be >= 1, unknown kind), -EAGAIN (flusher thread could not start). */
MMAPIO_API int mmapio_set_flush_policy(mmapio_file *f,
				       const mmapio_flush_policy *policy);

/* Record that [off, off + len) was written through a raw view, so that the
 * INTERVAL policy flushes it.  Errors: -ERANGE. */
MMAPIO_API int mmapio_mark_dirty(mmapio_file *f, uint64_t off, uint64_t len);

/*
 * Completion callback of mmapio_flush_async(): `result` is what
 * mmapio_flush_range() returned.  Runs on the handle's background thread;
 * it must not call mmapio_close() on the same handle.
 */
typedef void (*mmapio_flush_cb)(mmapio_file *f, int result, void *arg);

/*
 * Queue a durable flush of [off, off + len) (len 0 with off 0 means the
 * whole file) on the handle's background thread and return at once.  `cb`
 * (may be NULL) is called exactly once with the result, at the latest
 * during mmapio_close(), which waits for queued flushes.
 * Errors: -ERANGE, -ENOMEM, -EAGAIN (thread could not start).
 */
MMAPIO_API int mmapio_flush_async(mmapio_file *f, uint64_t off, uint64_t len,
				  mmapio_flush_cb cb, void *arg);

/* ------------------------------------------------------------------------ */
/* Size                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Set the file's size to new_size and remap; data in [0, min(old, new))
 * is kept, growth reads as zeros.  A shrink waits for reads and writes in
 * progress.  Errors: -EBADF (RO or COW handle), -EINVAL (new_size 0),
 * -EBUSY (shrink with views, segments or iterators outstanding), -EFBIG,
 * and ftruncate(2)/mmap(2) errors.  On error the handle is unchanged.
 */
MMAPIO_API int mmapio_resize(mmapio_file *f, uint64_t new_size);

/*
 * Pick up a size change made to the file by someone else.  Growth is mapped
 * (keeping the base address when it fits the reservation); after a shrink,
 * accesses past the new end fail with -ERANGE, and pages already mapped
 * there stay mapped (raw pointers into them fault with SIGBUS).
 * @new_size  receives the size now in force (may be NULL).
 * Errors: -EFBIG (a copy-on-write handle cannot grow past the address
 * space reserved at open, since its private pages cannot move; the old
 * size stays in force), fstat(2)/mmap(2) errors.
 */
MMAPIO_API int mmapio_refresh(mmapio_file *f, uint64_t *new_size);

/* ------------------------------------------------------------------------ */
/* Views                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * A zero-copy window into the mapping: `data` points at file offset `off`,
 * `len` bytes long.  `data` is writable only for views acquired with
 * mmapio_view_acquire_mut().  The memory stays mapped until mmapio_close();
 * the view itself only blocks shrinking (and closing) until
 * mmapio_view_release().  Raw accesses are not SIGBUS-guarded.  The struct is the caller's; the memory is the handle's.
 */
typedef struct {
	void *data;
	size_t len;
	uint64_t off;
	mmapio_file *file; /* NULL when not acquired */
} mmapio_view;

/*
 * Acquire a read view of [off, off + len).  len 0 gives an empty view with
 * data == NULL (still to be released).  Errors: -ERANGE, -EINVAL (view NULL
 * or len larger than SIZE_MAX).
 */
MMAPIO_API int mmapio_view_acquire(mmapio_file *f, uint64_t off, uint64_t len,
				   mmapio_view *view);

/* As mmapio_view_acquire(), writable.  Errors: -EBADF on RO handles. */
MMAPIO_API int mmapio_view_acquire_mut(mmapio_file *f, uint64_t off,
				       uint64_t len, mmapio_view *view);

/* Release a view; NULL-safe and idempotent (clears view->file). */
MMAPIO_API void mmapio_view_release(mmapio_view *view);

/* Number of outstanding views, segments and iterators of the handle. */
MMAPIO_API unsigned mmapio_view_count(const mmapio_file *f);

/* ------------------------------------------------------------------------ */
/* Segments                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * A sub-range [off, off + len) of a file with its own bounds: segment
 * offsets are relative to its start, and no access leaves it.  A segment
 * holds a view of its range, so the file must outlive it.
 */
typedef struct mmapio_segment mmapio_segment;

/* Errors: -ERANGE (range outside the file), -EINVAL (len > SIZE_MAX),
 * -ENOMEM. */
MMAPIO_API int mmapio_segment_open(mmapio_segment **out, mmapio_file *f,
				   uint64_t off, uint64_t len);
/* NULL-safe. */
MMAPIO_API void mmapio_segment_close(mmapio_segment *s);
MMAPIO_API uint64_t mmapio_segment_len(const mmapio_segment *s);
MMAPIO_API uint64_t mmapio_segment_offset(const mmapio_segment *s);
/* As mmapio_read()/mmapio_write(), relative to and bounded by the segment. */
MMAPIO_API int mmapio_segment_read(mmapio_segment *s, uint64_t off, void *dst,
				   size_t len);
MMAPIO_API int mmapio_segment_write(mmapio_segment *s, uint64_t off,
				    const void *src, size_t len);
/* Durable flush of the segment's range. */
MMAPIO_API int mmapio_segment_flush(mmapio_segment *s);

/* ------------------------------------------------------------------------ */
/* Chunk and page iteration                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Number of fixed-size pieces of `size` bytes: ceil(file size / size).
 * Errors: -EINVAL if size is 0.
 */
MMAPIO_API int mmapio_chunk_count(const mmapio_file *f, uint64_t size,
				  uint64_t *count);

/*
 * A zero-copy iterator over consecutive pieces of `size` bytes; the last
 * piece is short when the file size is not a multiple.  It holds one view
 * of the whole file for its lifetime and allocates nothing per step.
 */
typedef struct mmapio_iter mmapio_iter;

/* Errors: -EINVAL (size 0), -ENOMEM.  mmapio_iter_pages() uses the page
 * size.  The iterator yields the pieces of the size at open. */
MMAPIO_API int mmapio_iter_chunks(mmapio_iter **out, mmapio_file *f,
				  uint64_t size);
MMAPIO_API int mmapio_iter_pages(mmapio_iter **out, mmapio_file *f);

/*
 * Step: fills *view (data, len, off; view->file is NULL because the
 * iterator owns the reference) with the next piece and returns 1, or
 * returns 0 at the end.  The pointer stays valid until the iterator is
 * closed.  Errors: -EINVAL (view NULL).
 */
MMAPIO_API int mmapio_iter_next(mmapio_iter *it, mmapio_view *view);

/* NULL-safe. */
MMAPIO_API void mmapio_iter_close(mmapio_iter *it);

/* ------------------------------------------------------------------------ */
/* Memory hints and residency                                               */
/* ------------------------------------------------------------------------ */

/*
 * Advice for madvise(2).  HUGEPAGE asks for transparent huge pages with
 * MADV_HUGEPAGE (NOHUGEPAGE withdraws it).  The kernel honours it for
 * anonymous memory, which is what written pages of a COW mapping become,
 * and for files on tmpfs/shmem; for files on other filesystems the request
 * is recorded and has no effect.  MAP_HUGETLB is never used: it applies
 * only to hugetlbfs and anonymous mappings, not to regular files.
 */
typedef enum {
	MMAPIO_ADV_NORMAL,
	MMAPIO_ADV_RANDOM,
	MMAPIO_ADV_SEQUENTIAL,
	MMAPIO_ADV_WILLNEED,
	MMAPIO_ADV_DONTNEED,
	MMAPIO_ADV_HUGEPAGE,
	MMAPIO_ADV_NOHUGEPAGE,
} mmapio_advice;

/*
 * Give advice about [off, off + len), widened to whole pages.  len 0 means
 * up to the end of the file.  Errors: -ERANGE, -EINVAL (unknown advice),
 * and madvise(2) errors (e.g. -EINVAL for HUGEPAGE on a kernel without
 * transparent huge pages).  DONTNEED on a shared mapping drops only the
 * process's page table entries: data is not lost.
 */
MMAPIO_API int mmapio_advise(mmapio_file *f, uint64_t off, uint64_t len,
			     mmapio_advice advice);

/*
 * Pin [off, off + len) (widened to pages, len 0 = to the end) in memory
 * with mlock(2), or unpin it.  Errors: -ERANGE, -ENOMEM / -EPERM / -EAGAIN
 * (RLIMIT_MEMLOCK).
 */
MMAPIO_API int mmapio_lock(mmapio_file *f, uint64_t off, uint64_t len);
MMAPIO_API int mmapio_unlock(mmapio_file *f, uint64_t off, uint64_t len);

/*
 * Fault [off, off + len) (len 0 = to the end) into the page tables ahead of
 * use with MADV_POPULATE_READ, or a SIGBUS-guarded touch of every page on
 * kernels without it (before 5.14).  Read population is used in every
 * mode: populating for write would mark every page of a shared mapping
 * dirty (so the next flush writes the whole range back) and would copy
 * every page of a copy-on-write mapping.  Errors:
 * -ERANGE, -EIO (a page is not backed by the file), -ENOMEM.
 */
MMAPIO_API int mmapio_prewarm(mmapio_file *f, uint64_t off, uint64_t len);

/* ------------------------------------------------------------------------ */
/* Atomic views                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Atomic access to an aligned 32- or 64-bit word of the mapping.  *out is
 * valid until mmapio_view_release(view).  Operations go through C11
 * atomics and are atomic with respect to every process sharing the file.
 * Errors: -EBADF (RO handle), -EINVAL (off not a multiple of the width),
 * -ERANGE.
 */
MMAPIO_API int mmapio_atomic_u32(mmapio_file *f, uint64_t off,
				 mmapio_view *view, _Atomic uint32_t **out);
MMAPIO_API int mmapio_atomic_u64(mmapio_file *f, uint64_t off,
				 mmapio_view *view, _Atomic uint64_t **out);

/* ------------------------------------------------------------------------ */
/* Change watching                                                          */
/* ------------------------------------------------------------------------ */

/*
 * A watch on files, built on inotify.  mmapio_watch_open() and
 * mmapio_watch_file() watch one file, keeping a descriptor of it to report
 * its size.  mmapio_watch_new() makes an empty watch to which
 * mmapio_watch_add() adds any number of files, each under a tag of the
 * caller's; such a watch keeps one descriptor in all (one inotify
 * instance) and none per file, so that it can watch every file of a tree
 * of thousands (each file counts against the user's inotify watch limit,
 * fs.inotify.max_user_watches).
 *
 * Thread safety: every function but mmapio_watch_close() may be called
 * from several threads at once.  Each takes the watch's own mutex for its
 * duration and releases it before returning; the mutex is never held
 * while a callback runs, so a callback may add and remove files.  Each
 * event is taken by exactly one mmapio_watch_next() call.
 */
typedef struct mmapio_watch mmapio_watch;

typedef enum {
	MMAPIO_EV_MODIFIED = 1, /* content written, size unchanged */
	MMAPIO_EV_RESIZED,	/* size changed (truncated or extended) */
	MMAPIO_EV_METADATA,	/* permissions, owner, times, links */
	MMAPIO_EV_REMOVED,	/* last name unlinked */
	MMAPIO_EV_MOVED,	/* renamed */
	MMAPIO_EV_UNWATCHED,	/* watch ended by the kernel (tagged files) */
	MMAPIO_EV_OVERFLOW,	/* events were lost (mmapio_watch_new()) */
} mmapio_event_kind;

/* The size of an event of a tagged file: not looked at. */
#define MMAPIO_EV_SIZE_UNKNOWN UINT64_MAX

typedef struct {
	mmapio_event_kind kind;
	uint64_t size; /* file size when the event was read, or
			  MMAPIO_EV_SIZE_UNKNOWN */
	uint64_t tag;  /* the file's tag (mmapio_watch_add()); 0 otherwise */
} mmapio_event;

typedef void (*mmapio_watch_cb)(mmapio_watch *w, const mmapio_event *ev,
				void *arg);

/*
 * Watch the file at `path` (or the file behind an open handle).  Changes
 * made through shared mappings produce no inotify events; those made with
 * write(2), truncate(2), chmod(2), unlink(2), rename(2) do.  Events carry
 * the size (from fstat(2) of the watch's descriptor of the file, which
 * keeps the file alive: an unlink is MMAPIO_EV_REMOVED when the link count
 * reaches 0) and tag 0.  Files cannot be added to such a watch.
 * Errors: -EINVAL (NULL argument), inotify_init1(2)/inotify_add_watch(2)/
 * open(2) errors, -ENOMEM.
 */
MMAPIO_API int mmapio_watch_open(mmapio_watch **out, const char *path);
MMAPIO_API int mmapio_watch_file(mmapio_watch **out, mmapio_file *f);

/*
 * An empty watch, to which mmapio_watch_add() adds files.  Its events
 * come from the inotify mask alone, with no descriptor of the files:
 *   MMAPIO_EV_MODIFIED   written or truncated (the size is not looked at:
 *                        no MMAPIO_EV_RESIZED);
 *   MMAPIO_EV_METADATA   permissions, owner, times, a link added or
 *                        removed (an unlink while the file stays open or
 *                        mapped somewhere is only this);
 *   MMAPIO_EV_REMOVED    the file is gone: no name, and no one holds it;
 *   MMAPIO_EV_MOVED      renamed (the watch follows the file, not the
 *                        name: a caller that watches names removes the
 *                        tag and adds the name again);
 *   MMAPIO_EV_UNWATCHED  the kernel ended the file's watch (after
 *                        MMAPIO_EV_REMOVED, or when its filesystem was
 *                        unmounted): the tag is no longer watched, and
 *                        may be added again; not reported for tags
 *                        removed with mmapio_watch_remove();
 *   MMAPIO_EV_OVERFLOW   the kernel's queue overflowed and events were
 *                        lost: any file may have changed (tag 0).
 * size is MMAPIO_EV_SIZE_UNKNOWN.  Errors: -EINVAL (out is NULL),
 * inotify_init1(2) errors (-EMFILE: the user's instance limit), -ENOMEM.
 */
MMAPIO_API int mmapio_watch_new(mmapio_watch **out);

/*
 * Watch the file at `path` under `tag` (any value), following symbolic
 * links.  A file added under several tags (hard links, or one path added
 * twice) is one inotify watch; each of its events is delivered once per
 * tag, one after the other, to the tags it had when the event was read.
 * Returns 0 when the file was not watched yet, 1 when it was, under other
 * tags (mmapio_watch_links() names them) or already under `tag` (nothing
 * changes).  Events of a tag from before it was added are not delivered.
 * Errors: -EINVAL (w or path NULL, or w made by mmapio_watch_open() or
 * mmapio_watch_file()), -EEXIST (`tag` watches another file: remove it
 * first), -ENOMEM, and inotify_add_watch(2)'s errors: -ENOENT (no such
 * file, or path ""), -EACCES, -ENOSPC (the user's inotify watch limit).
 */
MMAPIO_API int mmapio_watch_add(mmapio_watch *w, const char *path,
				uint64_t tag);

/*
 * Stop watching under `tag`; the file's inotify watch ends with its last
 * tag.  Once this returns, no event carries `tag` until it is added
 * again, not even one already read from the kernel.
 * Errors: -EINVAL (w NULL or not made by mmapio_watch_new()), -ENOENT
 * (`tag` is not watched).
 */
MMAPIO_API int mmapio_watch_remove(mmapio_watch *w, uint64_t tag);

/*
 * The tags watching the same file as `tag`, `tag` included (its hard
 * links): the first `cap` of them are written to tags[] (which may be
 * NULL when cap is 0), in no particular order.  Returns how many there
 * are, which may exceed cap.  Errors: -EINVAL, -ENOENT (`tag` is not
 * watched).
 */
MMAPIO_API int mmapio_watch_links(mmapio_watch *w, uint64_t tag, uint64_t *tags,
				  size_t cap);

/* A descriptor that polls readable when events are pending (owned by w). */
MMAPIO_API int mmapio_watch_fd(const mmapio_watch *w);

/*
 * Take the next event without blocking: returns 1 and fills *ev, or 0
 * when none is pending.  0 means the kernel's queue was found empty, and
 * the kernel queues the event of a write(2) or truncate(2) of a watched
 * file before that call returns (fsnotify_modify() in the system call):
 * so once a run of calls that started after such a call returned has
 * ended with 0, the change's event has been taken, by that run or by a
 * concurrent caller (callers that need it applied, not only taken,
 * serialise their runs).  Errors: -EINVAL (NULL argument), read(2)
 * errors.  Not to be mixed with mmapio_watch_start().
 */
MMAPIO_API int mmapio_watch_next(mmapio_watch *w, mmapio_event *ev);

/*
 * Deliver events to `cb` from a background thread until
 * mmapio_watch_close().  Errors: -EBUSY (already started), -EAGAIN.
 */
MMAPIO_API int mmapio_watch_start(mmapio_watch *w, mmapio_watch_cb cb,
				  void *arg);

/* Stop the thread if any and free the watch.  NULL-safe.  Must not be
 * called from the watch's own callback. */
MMAPIO_API void mmapio_watch_close(mmapio_watch *w);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * A static, thread-safe message for a return value of this library (a
 * negative errno; positive values are accepted too).  Never NULL.
 */
MMAPIO_API const char *mmapio_strerror(int err);

/* The library's version string, e.g. "0.2.0". */
MMAPIO_API const char *mmapio_version(void);

#ifdef __cplusplus
}
#endif

#endif /* MMAPIO_H */
