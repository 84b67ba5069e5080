/*
 * exercise.c - concurrent random I/O across the aliases of one backing
 * file, checked against an in-memory model after every operation.
 *
 *   exercise [-t SECONDS] [-j THREADS] [-s SEED] [-P] [-S ROUNDS]
 *            [-R ROUNDS] [-o OPS] [-W] ENTRYDIR BACKING CHUNK
 *
 * ENTRYDIR is MOUNT/<name> (with chunks/ and pages/), BACKING the file it
 * serves, CHUNK the mount's chunk size.  Threads read and write through
 * chunks/N, pages/N and the backing file, with pread/pwrite, mmap loads,
 * mmap stores (msync), fsync and fdatasync, on overlapping entries.
 *
 * The model is exact because each operation first locks the backing byte
 * range it touches (stores through an entry's mmap lock whole pages: the
 * kernel writes back whole pages).  Different threads still work on the
 * same entries and the same pages at the same time; with -P they never
 * share a page, which tells apart problems of concurrent writes to one
 * page through two aliases from everything else.
 *
 * What is checked, per byte read:
 *  - through the backing file: always the model's value;
 *  - through an entry: the model's value, unless the byte's last change
 *    was a write to the backing file made after the entry's descriptor was
 *    opened (DESIGN.md: "changes made to the backing file by other
 *    processes are seen at the latest on the next open of an entry");
 *    such bytes are counted as exempt, not checked.  With -W (cache=keep,
 *    where entries are not opened through the daemon) every write to the
 *    backing file is followed by a getxattr through the mount, which the
 *    daemon answers only once it applied every outside change reported
 *    before it (coherence.c, rule 7): from then on the bytes are checked
 *    through every entry, open or not.  A write through the
 *    mount that returned must be seen through every alias at once.
 * A watchdog fails the run when no operation completes for 10 seconds.
 *
 * Prints "figures: ops=N miscompares=N bytes_verified=N exempt_bytes=N
 * failures=N"; exits 0 only when miscompares and failures are 0.  The
 * first miscompare also prints the last operations on its page (opens,
 * closes, reads, writes, begin and end), with CLOCK_MONOTONIC times to
 * line up with a kernel trace (trace_clock mono, filemap events).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 16
#define SLOTS 8
#define MAX_IO (256 * 1024)
#define WATCHDOG_SECONDS 10
#define MAX_REPORTS 20

enum kind { K_CHUNK, K_PAGE, K_BACKING };
static const char *const kind_names[] = { "chunks", "pages", "backing" };

/* The model: value, stamp of the last write through the backing file,
 * stamp of the last write through the mount, per byte. */
static uint8_t *model, *prev;
static uint64_t *t_backing, *t_mount;

static const char *entry_dir, *backing_path;
static bool settle_backing; /* -W */
static uint64_t file_size, chunk_size, page_size;
static int backing_fd;
static uint8_t *backing_map;

static atomic_uint_fast64_t clock_now;
static atomic_uint_fast64_t n_ops, n_miscompares, n_verified, n_exempt,
	n_failures, n_reports;
static atomic_bool stop;
static atomic_int n_done;

static uint64_t stamp(void)
{
	return atomic_fetch_add(&clock_now, 1) + 1;
}

/* ---- range locks: one held range per thread ---- */

static pthread_mutex_t rl_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rl_cond = PTHREAD_COND_INITIALIZER;
static uint64_t rl_lo[MAX_THREADS], rl_hi[MAX_THREADS];
static int nthreads = 4;

static bool rl_busy(int self, uint64_t lo, uint64_t hi)
{
	for (int t = 0; t < nthreads; t++)
		if (t != self && rl_lo[t] < hi && lo < rl_hi[t])
			return true;
	return false;
}

static bool whole_pages; /* -P: lock whole pages, never share one */

static void rl_lock(int self, uint64_t lo, uint64_t hi)
{
	if (whole_pages) {
		lo -= lo % page_size;
		hi = (hi + page_size - 1) / page_size * page_size;
	}
	pthread_mutex_lock(&rl_mutex);
	while (rl_busy(self, lo, hi))
		pthread_cond_wait(&rl_cond, &rl_mutex);
	rl_lo[self] = lo;
	rl_hi[self] = hi;
	pthread_mutex_unlock(&rl_mutex);
}

static void rl_unlock(int self)
{
	pthread_mutex_lock(&rl_mutex);
	rl_lo[self] = rl_hi[self] = 0;
	pthread_cond_broadcast(&rl_cond);
	pthread_mutex_unlock(&rl_mutex);
}

/* ---- per-thread state ---- */

struct slot {
	enum kind kind;
	uint64_t index;
	int fd; /* -1: free */
	uint64_t opened;
	uint8_t *map;
	size_t maplen;
};

struct worker {
	int id;
	uint64_t rng;
	struct slot slots[SLOTS];
	uint8_t *buf, *got;
	const char *doing; /* for the watchdog's report */
	pthread_t thread;
};

static uint64_t rnd(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ull;
}

static uint64_t below(struct worker *w, uint64_t n)
{
	return n ? rnd(w) % n : 0;
}

static uint64_t piece_of(enum kind k)
{
	return k == K_CHUNK ? chunk_size : k == K_PAGE ? page_size : file_size;
}

static uint64_t count_of(enum kind k)
{
	uint64_t p = piece_of(k);

	return (file_size + p - 1) / p;
}

static void entry_range(enum kind k, uint64_t i, uint64_t *off, uint64_t *len)
{
	uint64_t p = piece_of(k);

	*off = i * p;
	*len = file_size - *off < p ? file_size - *off : p;
}

/* ---- trace: the last operations, printed with a first miscompare ---- */

#define TRACE_SIZE 65536 /* a power of two */

struct trace_ev {
	uint64_t t;	   /* stamp when the event happened */
	uint64_t ns;	   /* and CLOCK_MONOTONIC, to match kernel traces */
	uint64_t off, len; /* backing range (open, close: the entry's) */
	uint32_t idx;
	uint8_t thread, kind;
	/* o open, x close, f fsync; begin/end: r/R pread, l/L mmap load,
	 * w/W pwrite, s/S mmap store */
	char what;
};

static struct trace_ev trace[TRACE_SIZE];
static atomic_uint_fast64_t trace_next;

static void trace_add(const struct worker *w, char what, enum kind k,
		      uint64_t idx, uint64_t off, uint64_t len);

static void trace_dump(uint64_t byte);

static void failure(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void failure(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&n_failures, 1);
	if (atomic_fetch_add(&n_reports, 1) >= MAX_REPORTS)
		return;
	fprintf(stderr, "exercise: thread %d: ", w->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void trace_add(const struct worker *w, char what, enum kind k,
		      uint64_t idx, uint64_t off, uint64_t len)
{
	uint64_t n = atomic_fetch_add(&trace_next, 1);
	struct trace_ev *e = &trace[n & (TRACE_SIZE - 1)];
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	*e = (struct trace_ev){ .t = atomic_load(&clock_now),
				.ns = (uint64_t)now.tv_sec * 1000000000u +
				      (uint64_t)now.tv_nsec,
				.off = off,
				.len = len,
				.idx = (uint32_t)idx,
				.thread = (uint8_t)w->id,
				.kind = (uint8_t)k,
				.what = what };
}

/* The last events that touched the page holding `byte`, oldest first.
 * Racy by design (other threads go on): a diagnostic, not a check. */
static void trace_dump(uint64_t byte)
{
	uint64_t end = atomic_load(&trace_next), lo = byte - byte % page_size;
	uint64_t first = end > TRACE_SIZE ? end - TRACE_SIZE : 0, shown = 0;
	uint64_t from = first;

	for (uint64_t n = end; n > first && shown < 40; n--) {
		const struct trace_ev *e = &trace[(n - 1) & (TRACE_SIZE - 1)];

		if (e->off < lo + page_size && lo < e->off + e->len) {
			shown++;
			from = n - 1;
		}
	}
	fprintf(stderr,
		"exercise: the last events on page %" PRIu64
		" of the backing file:\n",
		lo / page_size);
	for (uint64_t n = from; n < end; n++) {
		const struct trace_ev *e = &trace[n & (TRACE_SIZE - 1)];

		if (e->off < lo + page_size && lo < e->off + e->len)
			fprintf(stderr,
				"  t=%" PRIu64 " %" PRIu64 ".%06" PRIu64
				" thread %u %c %s/%u [%" PRIu64 ", %" PRIu64
				")\n",
				e->t, e->ns / 1000000000u,
				e->ns % 1000000000u / 1000, e->thread, e->what,
				kind_names[e->kind], e->idx, e->off,
				e->off + e->len);
	}
}

static void slot_close(const struct worker *w, struct slot *s)
{
	uint64_t off, len;

	if (s->fd < 0)
		return;
	entry_range(s->kind, s->index, &off, &len);
	trace_add(w, 'x', s->kind, s->index, off, len);
	if (s->map != NULL)
		munmap(s->map, s->maplen);
	close(s->fd);
	s->fd = -1;
	s->map = NULL;
}

static int entry_open(enum kind k, uint64_t i, int flags)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s/%" PRIu64, entry_dir, kind_names[k],
		 i);
	return open(path, flags | O_CLOEXEC);
}

/* The thread's descriptor of entry (k, i), opened when needed. */
static struct slot *slot_get(struct worker *w, enum kind k, uint64_t i)
{
	struct slot *s = NULL;
	uint64_t off, len;

	for (int n = 0; n < SLOTS; n++)
		if (w->slots[n].fd >= 0 && w->slots[n].kind == k &&
		    w->slots[n].index == i)
			return &w->slots[n];
	for (int n = 0; n < SLOTS && s == NULL; n++)
		if (w->slots[n].fd < 0)
			s = &w->slots[n];
	if (s == NULL) {
		s = &w->slots[below(w, SLOTS)];
		slot_close(w, s);
	}
	s->kind = k;
	s->index = i;
	s->opened = stamp();
	s->fd = entry_open(k, i, O_RDWR);
	entry_range(k, i, &off, &len);
	trace_add(w, 'o', k, i, off, len);
	if (s->fd < 0) {
		failure(w, "open %s/%" PRIu64 ": %s", kind_names[k], i,
			strerror(errno));
		return NULL;
	}
	return s;
}

static uint8_t *slot_map(struct worker *w, struct slot *s)
{
	uint64_t off, len;

	if (s->map != NULL)
		return s->map;
	entry_range(s->kind, s->index, &off, &len);
	s->map = mmap(NULL, len, PROT_READ, MAP_SHARED, s->fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		failure(w, "mmap %s/%" PRIu64 ": %s", kind_names[s->kind],
			s->index, strerror(errno));
		return NULL;
	}
	s->maplen = len;
	return s->map;
}

/*
 * Compare `got`, read at backing offset `off`, with the model.  `opened`
 * is the stamp of the descriptor's open, or 0 for the backing file.
 */
static void verify(struct worker *w, const char *op, enum kind k, uint64_t idx,
		   uint64_t off, const uint8_t *got, size_t len,
		   uint64_t opened)
{
	uint64_t ok = 0, exempt = 0, bad = 0, first = 0;

	for (size_t i = 0; i < len; i++) {
		uint64_t b = off + i;

		if (k != K_BACKING && t_backing[b] >= opened &&
		    t_backing[b] > t_mount[b]) {
			exempt++;
			continue;
		}
		if (got[i] == model[b]) {
			ok++;
			continue;
		}
		if (bad++ == 0)
			first = i;
	}
	atomic_fetch_add(&n_verified, ok);
	atomic_fetch_add(&n_exempt, exempt);
	if (bad == 0)
		return;
	if (atomic_fetch_add(&n_miscompares, 1) == 0)
		trace_dump(off + first);
	if (atomic_fetch_add(&n_reports, 1) >= MAX_REPORTS)
		return;
	uint8_t in_file = 0;

	if (pread(backing_fd, &in_file, 1, (off_t)(off + first)) != 1)
		in_file = 0;
	fprintf(stderr,
		"exercise: thread %d: MISCOMPARE %s via %s/%" PRIu64
		": %" PRIu64 " of %zu bytes differ; first at backing offset "
		"%" PRIu64 ": got 0x%02x want 0x%02x (value before: 0x%02x; "
		"backing file now: 0x%02x; last backing write %" PRIu64
		", last mount write %" PRIu64 ", opened %" PRIu64
		", now %" PRIu64 ")\n",
		w->id, op, kind_names[k], idx, bad, len, off + first,
		got[first], model[off + first], prev[off + first], in_file,
		t_backing[off + first], t_mount[off + first], opened,
		(uint64_t)atomic_load(&clock_now));
}

static void model_write(uint64_t off, const uint8_t *data, size_t len,
			bool backing)
{
	uint64_t t = stamp();

	memcpy(prev + off, model + off, len);
	memcpy(model + off, data, len);
	for (size_t i = 0; i < len; i++) {
		if (backing)
			t_backing[off + i] = t;
		else
			t_mount[off + i] = t;
	}
}

/* Pick an entry and a sub-range of it: backing offset and length. */
static void pick(struct worker *w, enum kind k, uint64_t *idx, uint64_t *off,
		 uint64_t *len)
{
	uint64_t eoff, elen, a, n;

	*idx = below(w, count_of(k));
	entry_range(k, *idx, &eoff, &elen);
	a = below(w, elen);
	/* Mostly small, sometimes up to the entry's end. */
	switch (below(w, 4)) {
	case 0:
		n = 1 + below(w, 16);
		break;
	case 1:
		n = 1 + below(w, 600);
		break;
	case 2:
		n = 1 + below(w, 2 * page_size);
		break;
	default:
		n = elen - a;
		break;
	}
	if (a + n > elen)
		n = elen - a;
	if (n > MAX_IO)
		n = MAX_IO;
	*off = eoff + a;
	*len = n;
}

/* -o OPS: the kinds of operation to do (default all but B):
 * r pread, l mmap load, w pwrite, m mmap store, f fsync, c close,
 * b also through the backing file, B mmap stores into the backing file
 * too.  Stores through another process's mapping raise no inotify event,
 * so a mount sees them at the next open only with -o cache=open. */
static const char *ops_allowed = "rlwmfcb";

static bool allowed(char op)
{
	return strchr(ops_allowed, op) != NULL;
}

static enum kind pick_kind(struct worker *w, bool backing_ok)
{
	backing_ok = backing_ok && allowed('b');
	uint64_t r = below(w, backing_ok ? 5 : 4);

	return r < 2 ? K_CHUNK : r < 4 ? K_PAGE : K_BACKING;
}

static void fill(struct worker *w, uint8_t *b, size_t n)
{
	uint64_t x = rnd(w);

	for (size_t i = 0; i < n; i++) {
		if ((i & 7) == 0)
			x = rnd(w);
		b[i] = (uint8_t)(x >> ((i & 7) * 8));
	}
}

static void op_read(struct worker *w, bool via_mmap)
{
	enum kind k = pick_kind(w, true);
	uint64_t idx, off, len, eoff, elen;
	struct slot *s = NULL;
	const uint8_t *src;
	ssize_t r;

	pick(w, k, &idx, &off, &len);
	entry_range(k, idx, &eoff, &elen);
	rl_lock(w->id, off, off + len);
	trace_add(w, via_mmap ? 'l' : 'r', k, idx, off, len);
	if (k == K_BACKING) {
		w->doing = via_mmap ? "load from the backing map"
				    : "pread backing";
		if (via_mmap) {
			memcpy(w->got, backing_map + off, len);
		} else if ((r = pread(backing_fd, w->got, len, (off_t)off)) !=
			   (ssize_t)len) {
			failure(w, "pread backing: %zd (%s)", r,
				strerror(errno));
			goto out;
		}
		verify(w, via_mmap ? "load" : "pread", k, idx, off, w->got, len,
		       0);
		goto out;
	}
	s = slot_get(w, k, idx);
	if (s == NULL)
		goto out;
	if (via_mmap) {
		w->doing = "load from an entry's mmap";
		src = slot_map(w, s);
		if (src == NULL)
			goto out;
		memcpy(w->got, src + (off - eoff), len);
	} else {
		w->doing = "pread entry";
		r = pread(s->fd, w->got, len, (off_t)(off - eoff));
		if (r != (ssize_t)len) {
			failure(w,
				"pread %s/%" PRIu64 ": %zd of %" PRIu64 " (%s)",
				kind_names[k], idx, r, len, strerror(errno));
			goto out;
		}
	}
	trace_add(w, via_mmap ? 'L' : 'R', k, idx, off, len);
	verify(w, via_mmap ? "load" : "pread", k, idx, off, w->got, len,
	       s->opened);
out:
	rl_unlock(w->id);
}

static void op_write(struct worker *w)
{
	enum kind k = pick_kind(w, true);
	uint64_t idx, off, len, eoff, elen;
	struct slot *s;
	ssize_t r;

	pick(w, k, &idx, &off, &len);
	entry_range(k, idx, &eoff, &elen);
	fill(w, w->buf, len);
	rl_lock(w->id, off, off + len);
	trace_add(w, 'w', k, idx, off, len);
	if (k == K_BACKING) {
		w->doing = "pwrite backing";
		r = pwrite(backing_fd, w->buf, len, (off_t)off);
	} else {
		w->doing = "pwrite entry";
		s = slot_get(w, k, idx);
		r = s ? pwrite(s->fd, w->buf, len, (off_t)(off - eoff)) : -1;
	}
	trace_add(w, 'W', k, idx, off, len);
	if (r != (ssize_t)len) {
		failure(w, "pwrite %s/%" PRIu64 ": %zd of %" PRIu64 " (%s)",
			kind_names[k], idx, r, len, strerror(errno));
		/* Unknown state of these bytes: resynchronise the model. */
		if (pread(backing_fd, model + off, len, (off_t)off) < 0)
			failure(w, "pread backing: %s", strerror(errno));
		model_write(off, model + off, len, true);
	} else if (k == K_BACKING && settle_backing) {
		char src[4096];

		w->doing = "getxattr barrier";
		if (lgetxattr(entry_dir, "user.mmapfs.source", src,
			      sizeof(src)) < 0)
			failure(w, "getxattr %s: %s", entry_dir,
				strerror(errno));
		model_write(off, w->buf, len, false); /* seen everywhere now */
	} else {
		model_write(off, w->buf, len, k == K_BACKING);
	}
	rl_unlock(w->id);
}

/* A store through a fresh shared mapping, then msync(MS_SYNC). */
static void op_mstore(struct worker *w)
{
	enum kind k = pick_kind(w, allowed('B'));
	uint64_t idx, off, len, eoff, elen, lo, hi;
	uint8_t *map;
	int fd;

	pick(w, k, &idx, &off, &len);
	fill(w, w->buf, len);
	if (k == K_BACKING) {
		rl_lock(w->id, off, off + len);
		w->doing = "store into the backing map";
		memcpy(backing_map + off, w->buf, len);
		model_write(off, w->buf, len, true);
		rl_unlock(w->id);
		return;
	}
	entry_range(k, idx, &eoff, &elen);
	/* Whole pages: the kernel writes back whole pages. */
	lo = off - off % page_size;
	hi = off + len;
	hi = hi % page_size ? hi - hi % page_size + page_size : hi;
	if (hi > file_size)
		hi = file_size;
	rl_lock(w->id, lo, hi);
	trace_add(w, 's', k, idx, off, len);
	w->doing = "store into an entry's mmap";
	fd = entry_open(k, idx, O_RDWR);
	if (fd < 0) {
		failure(w, "open %s/%" PRIu64 ": %s", kind_names[k], idx,
			strerror(errno));
		goto out;
	}
	map = mmap(NULL, elen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		failure(w, "mmap rw %s/%" PRIu64 ": %s", kind_names[k], idx,
			strerror(errno));
		close(fd);
		goto out;
	}
	/* A fresh open starts from fresh pages: check them first. */
	verify(w, "load from a fresh mapping", k, idx, lo, map + (lo - eoff),
	       hi - lo, UINT64_MAX);
	memcpy(map + (off - eoff), w->buf, len);
	if (msync(map, elen, MS_SYNC) != 0)
		failure(w, "msync %s/%" PRIu64 ": %s", kind_names[k], idx,
			strerror(errno));
	model_write(off, w->buf, len, false);
	trace_add(w, 'S', k, idx, off, len);
	munmap(map, elen);
	close(fd);
out:
	rl_unlock(w->id);
}

static void op_fsync(struct worker *w)
{
	struct slot *s = &w->slots[below(w, SLOTS)];
	bool data = below(w, 2);

	if (s->fd < 0)
		return;
	w->doing = data ? "fdatasync" : "fsync";
	{
		uint64_t off, len;

		entry_range(s->kind, s->index, &off, &len);
		trace_add(w, 'f', s->kind, s->index, off, len);
	}
	if ((data ? fdatasync(s->fd) : fsync(s->fd)) != 0)
		failure(w, "%s %s/%" PRIu64 ": %s", w->doing,
			kind_names[s->kind], s->index, strerror(errno));
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&stop)) {
		uint64_t r = below(w, 100);

		if (r < 25 && allowed('r'))
			op_read(w, false);
		else if (r >= 25 && r < 40 && allowed('l'))
			op_read(w, true);
		else if (r >= 40 && r < 70 && allowed('w'))
			op_write(w);
		else if (r >= 70 && r < 85 && allowed('m'))
			op_mstore(w);
		else if (r >= 85 && r < 93 && allowed('f'))
			op_fsync(w);
		else if (r >= 93 && allowed('c'))
			slot_close(w, &w->slots[below(w, SLOTS)]);
		else
			continue;
		atomic_fetch_add(&n_ops, 1);
	}
	for (int n = 0; n < SLOTS; n++)
		slot_close(w, &w->slots[n]);
	w->doing = "done";
	atomic_fetch_add(&n_done, 1);
	return NULL;
}

static int load_model(void)
{
	struct stat st;
	size_t done = 0;

	backing_fd = open(backing_path, O_RDWR | O_CLOEXEC);
	if (backing_fd < 0 || fstat(backing_fd, &st) != 0) {
		perror(backing_path);
		return -1;
	}
	file_size = (uint64_t)st.st_size;
	model = malloc(file_size);
	prev = malloc(file_size);
	t_backing = calloc(file_size, sizeof(*t_backing));
	t_mount = calloc(file_size, sizeof(*t_mount));
	if (file_size == 0 || !model || !prev || !t_backing || !t_mount) {
		fprintf(stderr, "exercise: empty backing file or no memory\n");
		return -1;
	}
	while (done < file_size) {
		ssize_t r = pread(backing_fd, model + done, file_size - done,
				  (off_t)done);

		if (r <= 0) {
			perror("read backing");
			return -1;
		}
		done += (size_t)r;
	}
	backing_map = mmap(NULL, file_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   backing_fd, 0);
	if (backing_map == MAP_FAILED) {
		perror("mmap backing");
		return -1;
	}
	return 0;
}

/*
 * -S N: the focused case.  Two threads own the two halves of one page;
 * each writes its half through one alias (pages/P, resp. the chunk that
 * holds it) and reads it back through the other, N times.  Every read
 * follows the thread's own returned write, so it must see it.
 */
struct pair {
	int id;
	long rounds;
	uint64_t stale;
};

static void *pair_main(void *arg)
{
	struct pair *p = arg;
	uint64_t pg = count_of(K_PAGE) > 3 ? 3 : 0;
	uint64_t cidx = pg * page_size / chunk_size;
	uint64_t in_chunk = pg * page_size - cidx * chunk_size;
	uint64_t half = page_size / 2, mine = (uint64_t)p->id * half;
	int fp = entry_open(K_PAGE, pg, O_RDWR);
	int fc = entry_open(K_CHUNK, cidx, O_RDWR);
	uint8_t buf[4096], got[4096];
	size_t n = half < 512 ? half : 512;

	if (fp < 0 || fc < 0) {
		perror("exercise: open");
		p->stale++;
		return NULL;
	}
	for (long i = 0; i < p->rounds; i++) {
		int wfd = p->id ? fc : fp, rfd = p->id ? fp : fc;
		off_t woff = (off_t)(p->id ? in_chunk + mine : mine);
		off_t roff = (off_t)(p->id ? mine : in_chunk + mine);

		memset(buf, (int)((i * 2 + p->id) & 0xff), n);
		if (pwrite(wfd, buf, n, woff) != (ssize_t)n ||
		    pread(rfd, got, n, roff) != (ssize_t)n) {
			perror("exercise: pair I/O");
			p->stale++;
			break;
		}
		if (memcmp(buf, got, n) != 0)
			p->stale++;
		atomic_fetch_add(&n_ops, 2);
	}
	close(fp);
	close(fc);
	return NULL;
}

static int run_pair(long rounds)
{
	struct pair p[2] = { { 0, rounds, 0 }, { 1, rounds, 0 } };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, pair_main, &p[i]) != 0)
			return 2;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("figures: ops=%" PRIu64 " miscompares=%" PRIu64
	       " (same page, two aliases, two writers)\n",
	       (uint64_t)atomic_load(&n_ops), p[0].stale + p[1].stale);
	return p[0].stale + p[1].stale ? 1 : 0;
}

/*
 * -R N: a write through pages/P read back through an mmap of the chunk
 * that holds it (opened, mapped and touched just before), N times, while
 * another thread only opens and closes that chunk.  Every load follows
 * the thread's own returned write, so it must see it.
 */
static atomic_bool reopen_stop;

static void *reopener_main(void *arg)
{
	const uint64_t *cidx = arg;

	while (!atomic_load(&reopen_stop)) {
		int fd = entry_open(K_CHUNK, *cidx, O_RDWR);

		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static int run_reopen(long rounds)
{
	uint64_t pg = count_of(K_PAGE) > 3 ? 3 : 0;
	uint64_t cidx = pg * page_size / chunk_size, coff, clen;
	uint64_t in_chunk = pg * page_size - cidx * chunk_size, stale = 0;
	int fp = entry_open(K_PAGE, pg, O_RDWR);
	uint8_t buf[512];
	pthread_t t;

	entry_range(K_CHUNK, cidx, &coff, &clen);
	if (fp < 0 || pthread_create(&t, NULL, reopener_main, &cidx) != 0)
		return 2;
	for (long i = 0; i < rounds && stale < 1000; i++) {
		int fc = entry_open(K_CHUNK, cidx, O_RDONLY);
		uint8_t *m =
			fc < 0 ? MAP_FAILED
			       : mmap(NULL, clen, PROT_READ, MAP_SHARED, fc, 0);

		if (m == MAP_FAILED) {
			perror("exercise: open and map the chunk");
			stale++;
			break;
		}
		volatile uint8_t touch = m[in_chunk + 100];

		(void)touch;
		memset(buf, (int)(i & 0xff), sizeof(buf));
		if (pwrite(fp, buf, sizeof(buf), 100) != (ssize_t)sizeof(buf)) {
			perror("exercise: pwrite");
			stale++;
		} else if (memcmp(m + in_chunk + 100, buf, sizeof(buf)) != 0) {
			stale++;
		}
		atomic_fetch_add(&n_ops, 1);
		munmap(m, clen);
		close(fc);
	}
	atomic_store(&reopen_stop, true);
	pthread_join(t, NULL);
	close(fp);
	printf("figures: ops=%" PRIu64 " miscompares=%" PRIu64
	       " (write through a page, load through the chunk's mmap, "
	       "chunk reopened meanwhile)\n",
	       (uint64_t)atomic_load(&n_ops), stale);
	return stale ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_THREADS];
	double seconds = 10;
	uint64_t seed = (uint64_t)time(NULL), last = 0;
	int opt, idle = 0;
	long pair_rounds = 0, reopen_rounds = 0;
	struct timespec start, now;

	while ((opt = getopt(argc, argv, "t:j:s:PS:R:o:W")) != -1) {
		if (opt == 'R')
			reopen_rounds = atol(optarg);
		else if (opt == 'o')
			ops_allowed = optarg;
		else if (opt == 'S')
			pair_rounds = atol(optarg);
		else if (opt == 'P')
			whole_pages = true;
		else if (opt == 'W')
			settle_backing = true;
		else if (opt == 't')
			seconds = atof(optarg);
		else if (opt == 'j')
			nthreads = atoi(optarg);
		else if (opt == 's')
			seed = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	if (argc - optind != 3 || nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr,
			"usage: exercise [-t SECONDS] [-j THREADS] "
			"[-s SEED] [-P] [-S ROUNDS] [-R ROUNDS] [-o OPS] [-W] "
			"ENTRYDIR BACKING "
			"CHUNK\n");
		return 2;
	}
	entry_dir = argv[optind];
	backing_path = argv[optind + 1];
	chunk_size = strtoull(argv[optind + 2], NULL, 10);
	page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	if (load_model() != 0)
		return 2;
	if (pair_rounds > 0)
		return run_pair(pair_rounds);
	if (reopen_rounds > 0)
		return run_reopen(reopen_rounds);
	printf("exercise: seed %" PRIu64 ", %d threads, %" PRIu64
	       " bytes, chunk %" PRIu64 "\n",
	       seed, nthreads, file_size, chunk_size);
	fflush(stdout);
	for (int t = 0; t < nthreads; t++) {
		struct worker *w = &workers[t];

		w->id = t;
		w->rng = seed * 1000003u + (uint64_t)t * 7919u + 1;
		w->buf = malloc(MAX_IO);
		w->got = malloc(MAX_IO);
		w->doing = "starting";
		for (int n = 0; n < SLOTS; n++)
			w->slots[n].fd = -1;
		if (!w->buf || !w->got ||
		    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			fprintf(stderr, "exercise: cannot start threads\n");
			return 2;
		}
	}
	/* Watchdog and clock: one check a second, until every thread ended
	 * (a thread stuck at the end is caught too). */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (atomic_load(&n_done) < nthreads) {
		sleep(1);
		clock_gettime(CLOCK_MONOTONIC, &now);
		uint64_t ops =
			atomic_load(&n_ops) + (uint64_t)atomic_load(&n_done);

		idle = ops == last ? idle + 1 : 0;
		last = ops;
		if (idle >= WATCHDOG_SECONDS) {
			fprintf(stderr,
				"exercise: WATCHDOG: no operation completed "
				"for %d s (deadlock?)\n",
				WATCHDOG_SECONDS);
			for (int t = 0; t < nthreads; t++)
				fprintf(stderr, "  thread %d: %s\n", t,
					workers[t].doing);
			printf("figures: ops=%" PRIu64 " miscompares=%" PRIu64
			       " failures=1 "
			       "(watchdog)\n",
			       ops, (uint64_t)atomic_load(&n_miscompares));
			fflush(stdout);
			_exit(3);
		}
		if ((double)(now.tv_sec - start.tv_sec) >= seconds)
			atomic_store(&stop, true);
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(workers[t].thread, NULL);
	printf("figures: ops=%" PRIu64 " miscompares=%" PRIu64
	       " bytes_verified=%" PRIu64 " exempt_bytes=%" PRIu64
	       " failures=%" PRIu64 "\n",
	       (uint64_t)atomic_load(&n_ops),
	       (uint64_t)atomic_load(&n_miscompares),
	       (uint64_t)atomic_load(&n_verified),
	       (uint64_t)atomic_load(&n_exempt),
	       (uint64_t)atomic_load(&n_failures));
	return atomic_load(&n_miscompares) || atomic_load(&n_failures) ? 1 : 0;
}
