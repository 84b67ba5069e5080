/*
 * flush.c - durable flushing, flush policies and asynchronous flushes.
 *
 * Durable means msync(MS_SYNC): on Linux it writes the dirty pages of the
 * range back and waits for them, like fdatasync over that range.  Every
 * flush this file does is such a flush, whatever the policy; the policy
 * only decides when a flush happens without being asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "mmapio_i.h"
#include "sys.h"

struct mmapio_async_req {
	struct mmapio_async_req *next;
	uint64_t off, len;
	mmapio_flush_cb cb;
	void *arg;
};

int mmapio__sync(mmapio_file *f, struct mmapio_snap s, uint64_t off,
		 uint64_t len)
{
	uint64_t start, end;

	if (f->mode != MMAPIO_RW || len == 0)
		return 0;
	start = mmapio__page_down(off);
	end = mmapio__page_up(off + len);
	if (end > mmapio__page_up(s.size))
		end = mmapio__page_up(s.size);
	if (start >= end)
		return 0;
	if (mmapio__sys.msync(s.base + start, end - start, MS_SYNC) != 0)
		return -errno;
	return 0;
}

int mmapio_flush(mmapio_file *f)
{
	struct mmapio_snap s;

	if (f->mode != MMAPIO_RW)
		return 0;
	s = mmapio__snap(f);
	return mmapio__sync(f, s, 0, s.size);
}

int mmapio_flush_range(mmapio_file *f, uint64_t off, uint64_t len)
{
	struct mmapio_snap s = mmapio__snap(f);

	if (!mmapio__in_bounds(off, len, s.size))
		return -ERANGE;
	return mmapio__sync(f, s, off, len);
}

int mmapio_mark_dirty(mmapio_file *f, uint64_t off, uint64_t len)
{
	if (!mmapio__in_bounds(off, len, mmapio_size(f)))
		return -ERANGE;
	atomic_store_explicit(&f->flusher.dirty, true, memory_order_relaxed);
	return 0;
}

/* ---- the background thread ---------------------------------------------- */

static void deadline_after(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void run_request(mmapio_file *f, struct mmapio_async_req *req)
{
	int rc;

	if (req->off == 0 && req->len == 0)
		rc = mmapio_flush(f);
	else
		rc = mmapio_flush_range(f, req->off, req->len);
	if (req->cb != NULL)
		req->cb(f, rc, req->arg);
	free(req);
}

/*
 * Serve the async queue and, under the INTERVAL policy, flush every n ms
 * when something was written.  Exits once told to stop and the queue is
 * empty, so every queued request gets its callback.
 */
static void *flusher_main(void *arg)
{
	mmapio_file *f = arg;
	struct mmapio_flusher *fl = &f->flusher;
	struct timespec deadline;
	bool have_deadline = false;

	pthread_mutex_lock(&fl->mu);
	for (;;) {
		struct mmapio_async_req *req = fl->head;

		if (req != NULL) {
			fl->head = req->next;
			if (fl->head == NULL)
				fl->tail = NULL;
			pthread_mutex_unlock(&fl->mu);
			run_request(f, req);
			pthread_mutex_lock(&fl->mu);
			continue;
		}
		if (fl->stop)
			break;
		if (atomic_load(&fl->kind) != MMAPIO_FLUSH_INTERVAL) {
			have_deadline = false;
			pthread_cond_wait(&fl->cv, &fl->mu);
			continue;
		}
		if (!have_deadline) {
			deadline_after(&deadline, atomic_load(&fl->n));
			have_deadline = true;
		}
		if (pthread_cond_timedwait(&fl->cv, &fl->mu, &deadline) !=
		    ETIMEDOUT)
			continue;
		have_deadline = false;
		if (atomic_exchange(&fl->dirty, false)) {
			pthread_mutex_unlock(&fl->mu);
			(void)mmapio_flush(f);
			pthread_mutex_lock(&fl->mu);
		}
	}
	pthread_mutex_unlock(&fl->mu);
	return NULL;
}

/* Start the thread if it is not running.  Caller holds fl->mu. */
static int start_locked(mmapio_file *f)
{
	struct mmapio_flusher *fl = &f->flusher;
	int rc;

	if (fl->running)
		return 0;
	rc = pthread_create(&fl->thread, NULL, flusher_main, f);
	if (rc != 0)
		return -rc;
	fl->running = true;
	return 0;
}

int mmapio__flusher_init(struct mmapio_flusher *fl)
{
	pthread_condattr_t ca;
	int rc;

	atomic_init(&fl->kind, MMAPIO_FLUSH_NEVER);
	atomic_init(&fl->n, 0);
	atomic_init(&fl->pending, 0);
	atomic_init(&fl->dirty, false);
	fl->running = false;
	fl->stop = false;
	fl->head = fl->tail = NULL;

	rc = pthread_mutex_init(&fl->mu, NULL);
	if (rc != 0)
		return -rc;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&fl->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0) {
		pthread_mutex_destroy(&fl->mu);
		return -rc;
	}
	return 0;
}

void mmapio__flusher_destroy(mmapio_file *f)
{
	struct mmapio_flusher *fl = &f->flusher;
	bool running;

	pthread_mutex_lock(&fl->mu);
	fl->stop = true;
	running = fl->running;
	pthread_cond_signal(&fl->cv);
	pthread_mutex_unlock(&fl->mu);
	if (running)
		pthread_join(fl->thread, NULL);
	pthread_cond_destroy(&fl->cv);
	pthread_mutex_destroy(&fl->mu);
}

int mmapio_set_flush_policy(mmapio_file *f, const mmapio_flush_policy *p)
{
	struct mmapio_flusher *fl = &f->flusher;
	int rc = 0;

	if (p == NULL)
		return -EINVAL;
	switch (p->kind) {
	case MMAPIO_FLUSH_NEVER:
	case MMAPIO_FLUSH_ALWAYS:
		break;
	case MMAPIO_FLUSH_BYTES:
	case MMAPIO_FLUSH_WRITES:
	case MMAPIO_FLUSH_INTERVAL:
		if (p->n == 0)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	pthread_mutex_lock(&fl->mu);
	if (p->kind == MMAPIO_FLUSH_INTERVAL)
		rc = start_locked(f);
	if (rc == 0) {
		atomic_store(&fl->n, p->n);
		atomic_store(&fl->pending, 0);
		atomic_store(&fl->kind, (int)p->kind);
		pthread_cond_signal(&fl->cv);
	}
	pthread_mutex_unlock(&fl->mu);
	return rc;
}

/* Add len to the pending count; true when that crosses the threshold. */
static bool count_and_check(struct mmapio_flusher *fl, uint64_t add)
{
	uint64_t n = atomic_load_explicit(&fl->n, memory_order_relaxed);
	uint64_t cur = atomic_load_explicit(&fl->pending, memory_order_relaxed);
	uint64_t next;
	bool due;

	do {
		next = cur + add;
		due = next >= n || next < cur;
		if (due)
			next = 0;
	} while (!atomic_compare_exchange_weak(&fl->pending, &cur, next));
	return due;
}

int mmapio__flusher_wrote(mmapio_file *f, struct mmapio_snap s, uint64_t off,
			  uint64_t len)
{
	struct mmapio_flusher *fl = &f->flusher;

	switch (atomic_load_explicit(&fl->kind, memory_order_relaxed)) {
	case MMAPIO_FLUSH_ALWAYS:
		return mmapio__sync(f, s, off, len);
	case MMAPIO_FLUSH_BYTES:
		if (count_and_check(fl, len))
			return mmapio__sync(f, s, 0, s.size);
		return 0;
	case MMAPIO_FLUSH_WRITES:
		if (count_and_check(fl, 1))
			return mmapio__sync(f, s, 0, s.size);
		return 0;
	case MMAPIO_FLUSH_INTERVAL:
		atomic_store_explicit(&fl->dirty, true, memory_order_relaxed);
		return 0;
	default:
		return 0;
	}
}

int mmapio_flush_async(mmapio_file *f, uint64_t off, uint64_t len,
		       mmapio_flush_cb cb, void *arg)
{
	struct mmapio_flusher *fl = &f->flusher;
	struct mmapio_async_req *req;
	int rc;

	if (!mmapio__in_bounds(off, len, mmapio_size(f)))
		return -ERANGE;
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return -ENOMEM;
	req->off = off;
	req->len = len;
	req->cb = cb;
	req->arg = arg;

	pthread_mutex_lock(&fl->mu);
	rc = start_locked(f);
	if (rc == 0) {
		if (fl->tail != NULL)
			fl->tail->next = req;
		else
			fl->head = req;
		fl->tail = req;
		pthread_cond_signal(&fl->cv);
	}
	pthread_mutex_unlock(&fl->mu);
	if (rc != 0)
		free(req);
	return rc;
}
