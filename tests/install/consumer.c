/*
 * consumer.c - a small program built against the installed libmmapio:
 * installed header, shared library (found through pkg-config) and nothing
 * from the source tree.  It references every function of the header, so
 * the link fails if one is not exported.
 *
 * Usage: consumer DIR  (creates and removes DIR/consumer.dat)
 */
#include <mmapio.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHECK(expr)                                                          \
	do {                                                                 \
		int rc_ = (expr);                                            \
		if (rc_ != 0) {                                              \
			fprintf(stderr, "%s:%d: %s = %d (%s)\n", __FILE__,   \
				__LINE__, #expr, rc_, mmapio_strerror(rc_)); \
			return 1;                                            \
		}                                                            \
	} while (0)

typedef void (*any_fn)(void);

/* Every entry point of include/mmapio.h. */
static any_fn const api[] = {
	(any_fn)mmapio_open_ex,
	(any_fn)mmapio_open,
	(any_fn)mmapio_create,
	(any_fn)mmapio_open_or_create,
	(any_fn)mmapio_close,
	(any_fn)mmapio_size,
	(any_fn)mmapio_mode_of,
	(any_fn)mmapio_fd,
	(any_fn)mmapio_path,
	(any_fn)mmapio_page_size,
	(any_fn)mmapio_read,
	(any_fn)mmapio_write,
	(any_fn)mmapio_flush,
	(any_fn)mmapio_flush_range,
	(any_fn)mmapio_set_flush_policy,
	(any_fn)mmapio_mark_dirty,
	(any_fn)mmapio_flush_async,
	(any_fn)mmapio_resize,
	(any_fn)mmapio_refresh,
	(any_fn)mmapio_view_acquire,
	(any_fn)mmapio_view_acquire_mut,
	(any_fn)mmapio_view_release,
	(any_fn)mmapio_view_count,
	(any_fn)mmapio_segment_open,
	(any_fn)mmapio_segment_close,
	(any_fn)mmapio_segment_len,
	(any_fn)mmapio_segment_offset,
	(any_fn)mmapio_segment_read,
	(any_fn)mmapio_segment_write,
	(any_fn)mmapio_segment_flush,
	(any_fn)mmapio_chunk_count,
	(any_fn)mmapio_iter_chunks,
	(any_fn)mmapio_iter_pages,
	(any_fn)mmapio_iter_next,
	(any_fn)mmapio_iter_close,
	(any_fn)mmapio_advise,
	(any_fn)mmapio_lock,
	(any_fn)mmapio_unlock,
	(any_fn)mmapio_prewarm,
	(any_fn)mmapio_atomic_u32,
	(any_fn)mmapio_atomic_u64,
	(any_fn)mmapio_watch_open,
	(any_fn)mmapio_watch_file,
	(any_fn)mmapio_watch_new,
	(any_fn)mmapio_watch_add,
	(any_fn)mmapio_watch_remove,
	(any_fn)mmapio_watch_links,
	(any_fn)mmapio_watch_fd,
	(any_fn)mmapio_watch_next,
	(any_fn)mmapio_watch_start,
	(any_fn)mmapio_watch_close,
	(any_fn)mmapio_strerror,
	(any_fn)mmapio_version,
};

int main(int argc, char **argv)
{
	char path[4096];
	mmapio_file *f = NULL;
	mmapio_iter *it = NULL;
	mmapio_view v;
	char buf[6] = { 0 };
	uint64_t chunks = 0;

	if (argc != 2)
		return 2;
	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		if (api[i] == NULL)
			return 3;
	if (strcmp(mmapio_version(), MMAPIO_VERSION_STRING) != 0) {
		fprintf(stderr, "header %s, library %s\n",
			MMAPIO_VERSION_STRING, mmapio_version());
		return 1;
	}
	snprintf(path, sizeof(path), "%s/consumer.dat", argv[1]);
	CHECK(mmapio_create(&f, path, 10240));
	CHECK(mmapio_write(f, 10235, "hello", 5));
	CHECK(mmapio_flush(f));
	CHECK(mmapio_read(f, 10235, buf, 5));
	if (memcmp(buf, "hello", 5) != 0)
		return 1;
	if (mmapio_read(f, 10236, buf, 5) != -ERANGE)
		return 1;
	CHECK(mmapio_chunk_count(f, 3000, &chunks));
	if (chunks != 4)
		return 1;
	CHECK(mmapio_iter_chunks(&it, f, 3000));
	while (mmapio_iter_next(it, &v) == 1)
		chunks--;
	mmapio_iter_close(it);
	if (chunks != 0)
		return 1;
	CHECK(mmapio_close(f));
	unlink(path);
	printf("consumer: libmmapio %s ok (%zu entry points)\n",
	       mmapio_version(), sizeof(api) / sizeof(api[0]));
	return 0;
}
