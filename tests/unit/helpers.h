/*
 * helpers.h - shared fixtures of the libmmapio unit tests: a private temp
 * directory, file helpers, timing that stretches under valgrind, process
 * introspection (threads, descriptors, mappings) and recorders/failure
 * injectors for the syscall seam in src/core/sys.h.
 */
#ifndef MMAPIO_TEST_HELPERS_H
#define MMAPIO_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mmapio.h"
#include "sys.h"

#define TH_PATH_MAX 512

/* AddressSanitizer turns mlock(2) into a no-op: VmLck cannot be checked. */
#if defined(__SANITIZE_ADDRESS__)
#define TH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TH_ASAN 1
#endif
#endif
#ifndef TH_ASAN
#define TH_ASAN 0
#endif

/*
 * Compare a libmmapio return value with the expected one and print both in
 * decimal with their messages on mismatch.
 */
#define assert_rc(expr, want)                                                 \
	do {                                                                  \
		long long th_rc_ = (long long)(expr);                         \
		long long th_want_ = (long long)(want);                       \
		if (th_rc_ != th_want_)                                       \
			fail_msg("%s returned %lld (%s), expected %lld (%s)", \
				 #expr, th_rc_, mmapio_strerror((int)th_rc_), \
				 th_want_, mmapio_strerror((int)th_want_));   \
	} while (0)

#define assert_ok(expr) assert_rc(expr, 0)

/* A test case whose teardown restores the seam. */
#define TH_TEST(fn) cmocka_unit_test_teardown(fn, th_teardown)

/* Print why and mark the current case skipped (the program then exits 77). */
#define th_skip(...)                                    \
	do {                                            \
		th_note_skip();                         \
		print_message("SKIPPED: " __VA_ARGS__); \
		print_message("\n");                    \
		skip();                                 \
	} while (0)

/*
 * Program set-up: create the temp directory, open a file once so that the
 * library installs its SIGBUS handler, and remember that handler (cmocka
 * swaps its own in around every case; see th_guard_begin()).
 */
void th_init(void);
/* Remove the temp directory.  Returns the exit code for main: rc, or 77
 * when rc is 0 and a case was skipped. */
int th_fini(int rc);
void th_note_skip(void);
/*
 * Call first thing in a forked child: puts back the default action of the
 * signals cmocka catches, so that a fault kills the child instead of
 * returning into cmocka's runner (which would go on running the remaining
 * cases in the child).  SIGBUS keeps the library's handler.
 */
void th_child(void);
int th_teardown(void **state);

/* Reinstall the library's SIGBUS handler for the current case (cmocka
 * replaces it with its own for the duration of each case). */
void th_guard_begin(void);
void th_guard_end(void);

/* Paths inside the temp directory; th_unique adds a counter. */
void th_path(char *out, const char *name);
void th_unique(char *out, const char *stem);
const char *th_dir(void);

/* Files. */
void th_fill(void *buf, size_t len, unsigned seed);
void th_write_file(const char *path, const void *data, size_t len);
void th_pattern_file(const char *path, size_t len, unsigned seed);
void th_pread_file(const char *path, uint64_t off, void *buf, size_t len);
uint64_t th_disk_size(const char *path);
void th_truncate(const char *path, uint64_t size);
bool th_all_zero(const void *buf, size_t len);

/* Handles. */
mmapio_file *th_open(const char *path, mmapio_mode mode);
/* A new file under a unique path from `stem` (written to out), holding
 * th_fill's pattern for `seed`, opened in `mode`. */
mmapio_file *th_open_pattern(char *out, const char *stem, size_t len,
			     unsigned seed, mmapio_mode mode);
unsigned char *th_base(mmapio_file *f);
size_t th_page(void);

/* Timing. */
bool th_valgrind(void);
int th_ms(int base);
void th_sleep_ms(unsigned ms);
uint64_t th_now_ms(void);

/* Process state. */
unsigned th_task_count(void);
bool th_wait_task_count(unsigned want, int timeout_ms);
unsigned th_fd_count(void);
uint64_t th_mapped_bytes(void);
unsigned th_maps_of(const char *path);
long th_vmlck_kb(void);

/* Seam: recorders.  Calls made by background threads are recorded too. */
struct th_call {
	uintptr_t addr;
	size_t len;
	int arg; /* msync flags or madvise advice */
};

#define TH_MAX_CALLS 512

void th_record_msync(void);
void th_msync_delay_ms(unsigned ms);
void th_msync_fail(int err);
unsigned th_msync_count(void);
struct th_call th_msync_call(unsigned i);
bool th_wait_msync(unsigned at_least, int timeout_ms);

void th_record_madvise(void);
void th_madvise_fail(int err);
unsigned th_madvise_count(void);
struct th_call th_madvise_call(unsigned i);

/* Fail the nth (1-based) mmap from now on with err; 0 fails every one. */
void th_mmap_fail(unsigned nth, int err);
unsigned th_mmap_count(void);
void th_ftruncate_fail(int err);
unsigned th_ftruncate_count(void);
void th_fstat_fail(int err);
/* Fail every inotify_add_watch with err. */
void th_inotify_add_fail(int err);

/* True when [p, p + len) lies inside the call's range. */
bool th_covers(const struct th_call *c, const void *p, size_t len);
/* Assert that call c is an msync(MS_SYNC) at a page-aligned address that
 * covers [p, p + len). */
void th_assert_sync_covers(const struct th_call *c, const void *p, size_t len);

#endif /* MMAPIO_TEST_HELPERS_H */
