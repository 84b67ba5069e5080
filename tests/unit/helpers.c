/*
 * helpers.c - shared fixtures of the libmmapio unit tests (see helpers.h).
 */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char th_tmpdir[TH_PATH_MAX];
static atomic_uint th_counter;
static atomic_uint th_skips;
static struct sigaction th_lib_bus;
static struct sigaction th_saved_bus;
static bool th_guard_active;

/* ------------------------------------------------------------------------ */
/* Program set-up                                                           */
/* ------------------------------------------------------------------------ */

void th_init(void)
{
	const char *tmp = getenv("TMPDIR");
	char warm[TH_PATH_MAX];
	mmapio_file *f = NULL;
	int rc;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(th_tmpdir, sizeof(th_tmpdir), "%s/mmapio-ut-XXXXXX", tmp);
	if (mkdtemp(th_tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	/* The library installs its SIGBUS handler on the first open. */
	th_path(warm, "warm-up");
	th_write_file(warm, "x", 1);
	rc = mmapio_open(&f, warm, MMAPIO_RO);
	if (rc != 0)
		fprintf(stderr, "warm-up open failed: %s\n",
			mmapio_strerror(rc));
	else
		mmapio_close(f);
	unlink(warm);
	sigaction(SIGBUS, NULL, &th_lib_bus);
}

static int th_rm(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int th_fini(int rc)
{
	if (th_tmpdir[0] != '\0')
		nftw(th_tmpdir, th_rm, 16, FTW_DEPTH | FTW_PHYS);
	if (rc == 0 && atomic_load(&th_skips) > 0) {
		fprintf(stderr, "%u case(s) skipped: reporting skip\n",
			atomic_load(&th_skips));
		return 77;
	}
	return rc == 0 ? 0 : 1;
}

void th_note_skip(void)
{
	atomic_fetch_add(&th_skips, 1);
}

void th_child(void)
{
	static const int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGSYS };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	th_tmpdir[0] = '\0'; /* never clean up the parent's directory */
}

int th_teardown(void **state)
{
	(void)state;
	mmapio__sys_reset();
	th_guard_end();
	return 0;
}

void th_guard_begin(void)
{
	if (th_lib_bus.sa_handler == SIG_DFL ||
	    th_lib_bus.sa_handler == SIG_IGN)
		fail_msg("the library installed no SIGBUS handler at open");
	sigaction(SIGBUS, &th_lib_bus, &th_saved_bus);
	th_guard_active = true;
}

void th_guard_end(void)
{
	if (th_guard_active)
		sigaction(SIGBUS, &th_saved_bus, NULL);
	th_guard_active = false;
}

/* ------------------------------------------------------------------------ */
/* Paths and files                                                          */
/* ------------------------------------------------------------------------ */

const char *th_dir(void)
{
	return th_tmpdir;
}

void th_path(char *out, const char *name)
{
	int n = snprintf(out, TH_PATH_MAX, "%s/%s", th_tmpdir, name);

	if (n < 0 || n >= TH_PATH_MAX)
		fail_msg("path too long: %s/%s", th_tmpdir, name);
}

void th_unique(char *out, const char *stem)
{
	int n = snprintf(out, TH_PATH_MAX, "%s/%s-%u", th_tmpdir, stem,
			 atomic_fetch_add(&th_counter, 1));

	if (n < 0 || n >= TH_PATH_MAX)
		fail_msg("path too long: %s/%s", th_tmpdir, stem);
}

void th_fill(void *buf, size_t len, unsigned seed)
{
	unsigned char *p = buf;
	uint32_t x = seed * 2654435761u + 12345u;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
}

void th_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const unsigned char *p = data;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			fail_msg("write %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

void th_pattern_file(const char *path, size_t len, unsigned seed)
{
	unsigned char *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	th_fill(buf, len, seed);
	th_write_file(path, buf, len);
	free(buf);
}

void th_pread_file(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *p = buf;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n <= 0)
			fail_msg("pread %s at %llu: %s", path,
				 (unsigned long long)off,
				 n == 0 ? "end of file" : strerror(errno));
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	close(fd);
}

uint64_t th_disk_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_size;
}

void th_truncate(const char *path, uint64_t size)
{
	if (truncate(path, (off_t)size) != 0)
		fail_msg("truncate %s: %s", path, strerror(errno));
}

bool th_all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Handles                                                                  */
/* ------------------------------------------------------------------------ */

mmapio_file *th_open(const char *path, mmapio_mode mode)
{
	mmapio_file *f = NULL;

	assert_ok(mmapio_open(&f, path, mode));
	assert_non_null(f);
	return f;
}

mmapio_file *th_open_pattern(char *out, const char *stem, size_t len,
			     unsigned seed, mmapio_mode mode)
{
	th_unique(out, stem);
	th_pattern_file(out, len, seed);
	return th_open(out, mode);
}

unsigned char *th_base(mmapio_file *f)
{
	mmapio_view v = { 0 };
	unsigned char *base;

	if (mmapio_size(f) == 0)
		return NULL;
	assert_ok(mmapio_view_acquire(f, 0, mmapio_size(f), &v));
	base = v.data;
	mmapio_view_release(&v);
	return base;
}

size_t th_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------------------ */
/* Timing                                                                   */
/* ------------------------------------------------------------------------ */

bool th_valgrind(void)
{
	const char *v = getenv("MMAPIO_UNDER_VALGRIND");

	return v != NULL && strcmp(v, "1") == 0;
}

int th_ms(int base)
{
	return th_valgrind() ? base * 20 : base;
}

void th_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

uint64_t th_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------------------ */
/* Process state                                                            */
/* ------------------------------------------------------------------------ */

static unsigned th_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	if (d == NULL)
		fail_msg("opendir %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

unsigned th_task_count(void)
{
	return th_dir_entries("/proc/self/task");
}

bool th_wait_task_count(unsigned want, int timeout_ms)
{
	uint64_t end = th_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		if (th_task_count() == want)
			return true;
		if (th_now_ms() >= end)
			return false;
		th_sleep_ms(5);
	}
}

unsigned th_fd_count(void)
{
	/* The directory stream's own descriptor is counted too: constant. */
	return th_dir_entries("/proc/self/fd");
}

uint64_t th_mapped_bytes(void)
{
	FILE *fp = fopen("/proc/self/maps", "re");
	char line[1024];
	uint64_t total = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		unsigned long long a, b;
		if (sscanf(line, "%llx-%llx", &a, &b) == 2)
			total += b - a;
	}
	fclose(fp);
	return total;
}

unsigned th_maps_of(const char *path)
{
	FILE *fp = fopen("/proc/self/maps", "re");
	char line[1024];
	unsigned n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, path) != NULL)
			n++;
	fclose(fp);
	return n;
}

long th_vmlck_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

/* ------------------------------------------------------------------------ */
/* Seam                                                                     */
/* ------------------------------------------------------------------------ */

struct th_rec {
	pthread_mutex_t lock;
	unsigned count;
	struct th_call calls[TH_MAX_CALLS];
};

static struct th_rec th_msyncs = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct th_rec th_madvises = { .lock = PTHREAD_MUTEX_INITIALIZER };
static atomic_uint th_msync_delay;
static atomic_int th_msync_err;
static atomic_int th_madvise_err;
static atomic_uint th_mmap_calls;
static atomic_uint th_mmap_nth;
static atomic_int th_mmap_err;
static atomic_uint th_ftruncate_calls;
static atomic_int th_ftruncate_err;
static atomic_int th_fstat_err;
static atomic_int th_inotify_err;

static void th_rec_reset(struct th_rec *r)
{
	pthread_mutex_lock(&r->lock);
	r->count = 0;
	pthread_mutex_unlock(&r->lock);
}

static void th_rec_add(struct th_rec *r, void *addr, size_t len, int arg)
{
	pthread_mutex_lock(&r->lock);
	if (r->count < TH_MAX_CALLS) {
		r->calls[r->count].addr = (uintptr_t)addr;
		r->calls[r->count].len = len;
		r->calls[r->count].arg = arg;
	}
	r->count++;
	pthread_mutex_unlock(&r->lock);
}

static unsigned th_rec_count(struct th_rec *r)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = r->count;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static struct th_call th_rec_get(struct th_rec *r, unsigned i)
{
	struct th_call c = { 0, 0, 0 };

	pthread_mutex_lock(&r->lock);
	if (i < r->count && i < TH_MAX_CALLS)
		c = r->calls[i];
	pthread_mutex_unlock(&r->lock);
	if (c.addr == 0 && c.len == 0)
		fail_msg("no recorded call #%u", i);
	return c;
}

static int th_msync_hook(void *addr, size_t len, int flags)
{
	unsigned delay = atomic_load(&th_msync_delay);
	int err = atomic_load(&th_msync_err);

	th_rec_add(&th_msyncs, addr, len, flags);
	if (delay > 0)
		th_sleep_ms(delay);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return msync(addr, len, flags);
}

void th_record_msync(void)
{
	th_rec_reset(&th_msyncs);
	atomic_store(&th_msync_delay, 0);
	atomic_store(&th_msync_err, 0);
	mmapio__sys.msync = th_msync_hook;
}

void th_msync_delay_ms(unsigned ms)
{
	atomic_store(&th_msync_delay, ms);
}

void th_msync_fail(int err)
{
	if (mmapio__sys.msync != th_msync_hook)
		th_record_msync();
	atomic_store(&th_msync_err, err);
}

unsigned th_msync_count(void)
{
	return th_rec_count(&th_msyncs);
}

struct th_call th_msync_call(unsigned i)
{
	return th_rec_get(&th_msyncs, i);
}

bool th_wait_msync(unsigned at_least, int timeout_ms)
{
	uint64_t end = th_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		if (th_msync_count() >= at_least)
			return true;
		if (th_now_ms() >= end)
			return false;
		th_sleep_ms(2);
	}
}

static int th_madvise_hook(void *addr, size_t len, int advice)
{
	int err = atomic_load(&th_madvise_err);

	th_rec_add(&th_madvises, addr, len, advice);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return madvise(addr, len, advice);
}

void th_record_madvise(void)
{
	th_rec_reset(&th_madvises);
	atomic_store(&th_madvise_err, 0);
	mmapio__sys.madvise = th_madvise_hook;
}

void th_madvise_fail(int err)
{
	if (mmapio__sys.madvise != th_madvise_hook)
		th_record_madvise();
	atomic_store(&th_madvise_err, err);
}

unsigned th_madvise_count(void)
{
	return th_rec_count(&th_madvises);
}

struct th_call th_madvise_call(unsigned i)
{
	return th_rec_get(&th_madvises, i);
}

static void *th_mmap_hook(void *addr, size_t len, int prot, int flags, int fd,
			  off_t off)
{
	unsigned n = atomic_fetch_add(&th_mmap_calls, 1) + 1;
	unsigned nth = atomic_load(&th_mmap_nth);
	int err = atomic_load(&th_mmap_err);

	if (err != 0 && (nth == 0 || n == nth)) {
		errno = err;
		return MAP_FAILED;
	}
	return mmap(addr, len, prot, flags, fd, off);
}

void th_mmap_fail(unsigned nth, int err)
{
	atomic_store(&th_mmap_calls, 0);
	atomic_store(&th_mmap_nth, nth);
	atomic_store(&th_mmap_err, err);
	mmapio__sys.mmap = th_mmap_hook;
}

unsigned th_mmap_count(void)
{
	return atomic_load(&th_mmap_calls);
}

static int th_ftruncate_hook(int fd, off_t len)
{
	int err = atomic_load(&th_ftruncate_err);

	atomic_fetch_add(&th_ftruncate_calls, 1);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return ftruncate(fd, len);
}

void th_ftruncate_fail(int err)
{
	atomic_store(&th_ftruncate_calls, 0);
	atomic_store(&th_ftruncate_err, err);
	mmapio__sys.ftruncate = th_ftruncate_hook;
}

unsigned th_ftruncate_count(void)
{
	return atomic_load(&th_ftruncate_calls);
}

static int th_fstat_hook(int fd, struct stat *st)
{
	int err = atomic_load(&th_fstat_err);

	if (err != 0) {
		errno = err;
		return -1;
	}
	return fstat(fd, st);
}

void th_fstat_fail(int err)
{
	atomic_store(&th_fstat_err, err);
	mmapio__sys.fstat = th_fstat_hook;
}

static int th_inotify_hook(int fd, const char *path, uint32_t mask)
{
	int err = atomic_load(&th_inotify_err);

	if (err != 0) {
		errno = err;
		return -1;
	}
	return inotify_add_watch(fd, path, mask);
}

void th_inotify_add_fail(int err)
{
	atomic_store(&th_inotify_err, err);
	mmapio__sys.inotify_add_watch = th_inotify_hook;
}

bool th_covers(const struct th_call *c, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;

	return a >= c->addr && a + len <= c->addr + c->len;
}

void th_assert_sync_covers(const struct th_call *c, const void *p, size_t len)
{
	if ((c->arg & MS_SYNC) == 0)
		fail_msg("msync flags %#x lack MS_SYNC", (unsigned)c->arg);
	if (c->addr % th_page() != 0)
		fail_msg("msync address %#lx is not page-aligned",
			 (unsigned long)c->addr);
	if (!th_covers(c, p, len))
		fail_msg("msync [%#lx, +%zu) does not cover [%p, +%zu)",
			 (unsigned long)c->addr, c->len, p, len);
}
