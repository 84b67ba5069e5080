/*
 * test_flush.c - flush and flush_range really msync(MS_SYNC) page-aligned
 * ranges; the trigger of every flush policy; the background flusher's
 * lifetime; mark_dirty; asynchronous flushes and their callbacks.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static mmapio_file *new_rw(char *p, uint64_t size)
{
	mmapio_file *f = NULL;

	th_unique(p, "flush");
	assert_ok(mmapio_create(&f, p, size));
	return f;
}

static void test_flush_msync(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page(), size = 5 * pg + 10;
	mmapio_file *f = new_rw(p, size);
	unsigned char *base = th_base(f);
	unsigned n;
	(void)state;

	assert_ok(mmapio_write(f, 3 * pg, "data", 4));
	th_record_msync();
	assert_ok(mmapio_flush(f));
	n = th_msync_count();
	if (n == 0)
		fail_msg("mmapio_flush made no msync call");
	/* one call over the whole mapping */
	{
		bool found = false;
		for (unsigned i = 0; i < n; i++) {
			struct th_call c = th_msync_call(i);
			th_assert_sync_covers(&c, base + 3 * pg, 4);
			if (th_covers(&c, base, size))
				found = true;
		}
		if (!found)
			fail_msg("no msync covered the whole mapping");
	}
	/* flushing a clean file is fine too */
	assert_ok(mmapio_flush(f));
	assert_ok(mmapio_close(f));
}

static void test_flush_range_widening(void **state)
{
	size_t pg = th_page();
	const struct {
		uint64_t off, len;
	} cases[] = {
		{ 100, 10 },	   { pg - 1, 2 }, { pg + 5, 2 * pg }, { 0, pg },
		{ 8 * pg - 1, 1 }, { 3 * pg, 1 }, { 1, 8 * pg - 1 },
	};
	char p[TH_PATH_MAX];
	mmapio_file *f = new_rw(p, 8 * pg);
	unsigned char *base = th_base(f);
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t off = cases[i].off, len = cases[i].len;
		uintptr_t lo = (uintptr_t)base + (off / pg) * pg;
		uintptr_t hi =
			(uintptr_t)base + ((off + len + pg - 1) / pg) * pg;
		unsigned n;
		assert_ok(mmapio_write(f, off, "w", 1));
		th_record_msync();
		assert_ok(mmapio_flush_range(f, off, len));
		n = th_msync_count();
		if (n != 1)
			fail_msg("flush_range(%llu, %llu): %u msync calls, "
				 "expected 1",
				 (unsigned long long)off,
				 (unsigned long long)len, n);
		struct th_call c = th_msync_call(0);
		th_assert_sync_covers(&c, base + off, len);
		if (c.addr < lo || c.addr + c.len > hi)
			fail_msg("flush_range(%llu, %llu) synced [%#lx, +%zu),"
				 " beyond the widened range [%#lx, %#lx)",
				 (unsigned long long)off,
				 (unsigned long long)len, (unsigned long)c.addr,
				 c.len, (unsigned long)lo, (unsigned long)hi);
	}
	/* out of range: an error and no system call */
	th_record_msync();
	assert_rc(mmapio_flush_range(f, 8 * pg, 1), -ERANGE);
	assert_rc(mmapio_flush_range(f, 1, UINT64_MAX), -ERANGE);
	assert_int_equal(th_msync_count(), 0);
	assert_ok(mmapio_flush_range(f, 8 * pg, 0));
	assert_ok(mmapio_close(f));
}

static void test_flush_ro_cow_no_syscall(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *ro, *cow;
	(void)state;

	th_unique(p, "flush-ro");
	th_pattern_file(p, 9000, 1);
	ro = th_open(p, MMAPIO_RO);
	cow = th_open(p, MMAPIO_COW);
	th_record_msync();
	assert_ok(mmapio_write(cow, 0, "c", 1));
	assert_ok(mmapio_flush(ro));
	assert_ok(mmapio_flush(cow));
	assert_ok(mmapio_flush_range(ro, 10, 10));
	assert_ok(mmapio_flush_range(cow, 10, 10));
	assert_int_equal(th_msync_count(), 0);
	assert_ok(mmapio_close(ro));
	assert_ok(mmapio_close(cow));
	assert_int_equal(th_msync_count(), 0);
}

static void test_policy_never(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = new_rw(p, 100000);
	mmapio_flush_policy pol = { MMAPIO_FLUSH_NEVER, 0 };
	(void)state;

	assert_ok(mmapio_set_flush_policy(f, &pol));
	th_record_msync();
	for (unsigned i = 0; i < 50; i++)
		assert_ok(mmapio_write(f, i * 1000, "0123456789", 10));
	th_sleep_ms((unsigned)th_ms(100));
	assert_int_equal(th_msync_count(), 0);
	assert_ok(mmapio_flush(f));
	assert_true(th_msync_count() >= 1);
	/* ... and on close */
	assert_ok(mmapio_write(f, 5, "x", 1));
	th_record_msync();
	assert_ok(mmapio_close(f));
	if (th_msync_count() == 0)
		fail_msg("close of a written RW handle did not msync");
}

static void test_policy_always(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = new_rw(p, 16 * pg);
	unsigned char *base = th_base(f);
	mmapio_flush_policy pol = { MMAPIO_FLUSH_ALWAYS, 0 };
	unsigned char *buf = malloc(2 * pg);
	(void)state;

	assert_non_null(buf);
	memset(buf, 'a', 2 * pg);
	assert_ok(mmapio_set_flush_policy(f, &pol));
	th_record_msync();
	for (unsigned i = 0; i < 5; i++) {
		uint64_t off = i * 3 * pg + 7;
		size_t len = i == 4 ? 2 * pg : 10 + i;
		struct th_call c;
		assert_ok(mmapio_write(f, off, buf, len));
		if (th_msync_count() != i + 1)
			fail_msg("ALWAYS: %u msync calls after %u writes",
				 th_msync_count(), i + 1);
		c = th_msync_call(i);
		th_assert_sync_covers(&c, base + off, len);
	}
	free(buf);
	assert_ok(mmapio_close(f));
}

static void test_policy_bytes(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = new_rw(p, 100000);
	unsigned char *base = th_base(f);
	mmapio_flush_policy pol = { MMAPIO_FLUSH_BYTES, 100 };
	unsigned char buf[250];
	(void)state;

	memset(buf, 'b', sizeof(buf));
	assert_ok(mmapio_set_flush_policy(f, &pol));
	th_record_msync();
	for (unsigned i = 0; i < 3; i++)
		assert_ok(mmapio_write(f, 5000 + i * 30, buf, 30));
	if (th_msync_count() != 0)
		fail_msg("BYTES 100: msync after only 90 bytes");
	assert_ok(mmapio_write(f, 5090, buf, 30));
	if (th_msync_count() != 1)
		fail_msg("BYTES 100: %u msync calls after 120 bytes, "
			 "expected 1",
			 th_msync_count());
	{
		struct th_call c = th_msync_call(0);
		th_assert_sync_covers(&c, base + 5090, 30);
	}
	assert_ok(mmapio_close(f));

	/* a single write of more than n bytes triggers too */
	f = new_rw(p, 100000);
	assert_ok(mmapio_set_flush_policy(f, &pol));
	th_record_msync();
	assert_ok(mmapio_write(f, 0, buf, 99));
	assert_int_equal(th_msync_count(), 0);
	assert_ok(mmapio_close(f));
	f = new_rw(p, 100000);
	assert_ok(mmapio_set_flush_policy(f, &pol));
	th_record_msync();
	assert_ok(mmapio_write(f, 0, buf, 250));
	assert_true(th_msync_count() >= 1);
	assert_ok(mmapio_close(f));
}

static void test_policy_writes(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = new_rw(p, 100000);
	mmapio_flush_policy pol = { MMAPIO_FLUSH_WRITES, 3 };
	static const unsigned want[] = { 0, 0, 1, 1, 1, 2, 2, 2, 3 };
	(void)state;

	assert_ok(mmapio_set_flush_policy(f, &pol));
	th_record_msync();
	for (unsigned i = 0; i < 9; i++) {
		assert_ok(mmapio_write(f, i * 4096, "w", 1));
		if (th_msync_count() != want[i])
			fail_msg("WRITES 3: %u msync calls after %u writes, "
				 "expected %u",
				 th_msync_count(), i + 1, want[i]);
	}
	/* failed writes are not writes */
	assert_rc(mmapio_write(f, 100000, "w", 1), -ERANGE);
	assert_rc(mmapio_write(f, 100000, "w", 1), -ERANGE);
	assert_rc(mmapio_write(f, 100000, "w", 1), -ERANGE);
	assert_int_equal(th_msync_count(), 3);
	assert_ok(mmapio_close(f));
}

static void test_policy_errors(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = new_rw(p, 1000);
	mmapio_flush_policy pol;
	(void)state;

	pol = (mmapio_flush_policy){ MMAPIO_FLUSH_BYTES, 0 };
	assert_rc(mmapio_set_flush_policy(f, &pol), -EINVAL);
	pol = (mmapio_flush_policy){ MMAPIO_FLUSH_WRITES, 0 };
	assert_rc(mmapio_set_flush_policy(f, &pol), -EINVAL);
	pol = (mmapio_flush_policy){ MMAPIO_FLUSH_INTERVAL, 0 };
	assert_rc(mmapio_set_flush_policy(f, &pol), -EINVAL);
	pol = (mmapio_flush_policy){ (mmapio_flush_kind)99, 1 };
	assert_rc(mmapio_set_flush_policy(f, &pol), -EINVAL);
	pol = (mmapio_flush_policy){ MMAPIO_FLUSH_NEVER, 0 };
	assert_ok(mmapio_set_flush_policy(f, &pol));
	pol = (mmapio_flush_policy){ MMAPIO_FLUSH_ALWAYS, 0 };
	assert_ok(mmapio_set_flush_policy(f, &pol));
	assert_ok(mmapio_close(f));
}

static void test_policy_interval(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f = new_rw(p, 100000);
	unsigned char *base = th_base(f);
	mmapio_flush_policy pol = { MMAPIO_FLUSH_INTERVAL, 20 };
	mmapio_view v;
	unsigned c;
	(void)state;

	th_record_msync();
	assert_ok(mmapio_set_flush_policy(f, &pol));
	/* clean: nothing to flush */
	th_sleep_ms((unsigned)th_ms(200));
	if (th_msync_count() != 0)
		fail_msg("INTERVAL: %u msync calls while clean",
			 th_msync_count());
	assert_ok(mmapio_write(f, 7000, "dirty", 5));
	if (!th_wait_msync(1, th_ms(3000)))
		fail_msg("INTERVAL 20 ms: no background msync within %d ms",
			 th_ms(3000));
	{
		struct th_call call = th_msync_call(0);
		th_assert_sync_covers(&call, base + 7000, 5);
	}
	/* clean again: stays quiet */
	th_sleep_ms((unsigned)th_ms(100));
	c = th_msync_count();
	th_sleep_ms((unsigned)th_ms(200));
	if (th_msync_count() != c)
		fail_msg("INTERVAL: %u more msync calls with nothing written",
			 th_msync_count() - c);
	/* raw view writes count once marked dirty */
	assert_ok(mmapio_view_acquire_mut(f, 50000, 4, &v));
	memcpy(v.data, "view", 4);
	mmapio_view_release(&v);
	assert_ok(mmapio_mark_dirty(f, 50000, 4));
	if (!th_wait_msync(c + 1, th_ms(3000)))
		fail_msg("INTERVAL: mark_dirty did not lead to an msync");
	assert_rc(mmapio_mark_dirty(f, 100000, 1), -ERANGE);
	assert_ok(mmapio_close(f));
}

/* The flusher thread exists while the policy is INTERVAL and is gone after
 * close, on both open paths. */
static void test_flusher_thread_ends(void **state)
{
	char p[TH_PATH_MAX];
	unsigned before = th_task_count();
	mmapio_flush_policy pol = { MMAPIO_FLUSH_INTERVAL, 10 };
	mmapio_options o = { 0 };
	mmapio_file *f = new_rw(p, 4096);
	(void)state;

	assert_ok(mmapio_set_flush_policy(f, &pol));
	assert_ok(mmapio_write(f, 0, "x", 1));
	if (th_task_count() <= before)
		fail_msg("INTERVAL set: %u tasks, %u before open",
			 th_task_count(), before);
	assert_ok(mmapio_close(f));
	if (!th_wait_task_count(before, th_ms(1000)))
		fail_msg("after close: %u tasks, %u before open",
			 th_task_count(), before);

	o.mode = MMAPIO_RW;
	o.flush = pol;
	assert_ok(mmapio_open_ex(&f, p, &o));
	th_record_msync();
	assert_ok(mmapio_write(f, 1, "y", 1));
	if (!th_wait_msync(1, th_ms(3000)))
		fail_msg("INTERVAL from open_ex: no background msync");
	assert_true(th_task_count() > before);
	assert_ok(mmapio_close(f));
	if (!th_wait_task_count(before, th_ms(1000)))
		fail_msg("after close (open_ex): %u tasks, %u before",
			 th_task_count(), before);

	/* INTERVAL, then NEVER, then close: nothing left either */
	f = NULL;
	assert_ok(mmapio_open(&f, p, MMAPIO_RW));
	assert_ok(mmapio_set_flush_policy(f, &pol));
	pol.kind = MMAPIO_FLUSH_NEVER;
	assert_ok(mmapio_set_flush_policy(f, &pol));
	assert_ok(mmapio_close(f));
	if (!th_wait_task_count(before, th_ms(1000)))
		fail_msg("after INTERVAL->NEVER->close: %u tasks, %u before",
			 th_task_count(), before);
}

#define NASYNC 6

struct async_rec {
	atomic_int calls[NASYNC];
	atomic_int result[NASYNC];
	mmapio_file *f;
	atomic_int wrong_file;
};

struct async_slot {
	struct async_rec *rec;
	unsigned idx;
};

static void async_slot_cb(mmapio_file *f, int result, void *arg)
{
	struct async_slot *s = arg;

	if (f != s->rec->f)
		atomic_store(&s->rec->wrong_file, 1);
	atomic_store(&s->rec->result[s->idx], result);
	atomic_fetch_add(&s->rec->calls[s->idx], 1);
}

static bool wait_calls(struct async_rec *r, unsigned n, int timeout_ms)
{
	uint64_t end = th_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		bool all = true;
		for (unsigned i = 0; i < n; i++)
			if (atomic_load(&r->calls[i]) == 0)
				all = false;
		if (all)
			return true;
		if (th_now_ms() >= end)
			return false;
		th_sleep_ms(2);
	}
}

static void test_flush_async(void **state)
{
	char p[TH_PATH_MAX];
	size_t pg = th_page();
	mmapio_file *f = new_rw(p, 8 * pg);
	unsigned char *base = th_base(f);
	struct async_rec rec;
	struct async_slot slot[2];
	unsigned before = th_task_count();
	bool found = false;
	(void)state;

	memset(&rec, 0, sizeof(rec));
	rec.f = f;
	slot[0] = (struct async_slot){ &rec, 0 };
	slot[1] = (struct async_slot){ &rec, 1 };
	assert_ok(mmapio_write(f, 2 * pg + 3, "async", 5));
	th_record_msync();
	assert_ok(
		mmapio_flush_async(f, 2 * pg + 3, 5, async_slot_cb, &slot[0]));
	assert_ok(mmapio_flush_async(f, 0, 0, async_slot_cb, &slot[1]));
	if (!wait_calls(&rec, 2, th_ms(3000)))
		fail_msg("flush_async callbacks not called within %d ms",
			 th_ms(3000));
	th_sleep_ms((unsigned)th_ms(50));
	assert_int_equal(atomic_load(&rec.calls[0]), 1);
	assert_int_equal(atomic_load(&rec.calls[1]), 1);
	assert_rc(atomic_load(&rec.result[0]), 0);
	assert_rc(atomic_load(&rec.result[1]), 0);
	assert_int_equal(atomic_load(&rec.wrong_file), 0);
	for (unsigned i = 0; i < th_msync_count(); i++) {
		struct th_call c = th_msync_call(i);
		assert_true((c.arg & MS_SYNC) != 0);
		if (th_covers(&c, base, 8 * pg))
			found = true;
	}
	if (!found)
		fail_msg("flush_async(0, 0) did not msync the whole file");
	/* a NULL callback is allowed */
	assert_ok(mmapio_flush_async(f, 0, 10, NULL, NULL));
	/* range errors are immediate and call nothing */
	memset(&rec, 0, sizeof(rec));
	rec.f = f;
	assert_rc(mmapio_flush_async(f, 8 * pg + 1, 0, async_slot_cb, &slot[0]),
		  -ERANGE);
	assert_rc(mmapio_flush_async(f, 1, UINT64_MAX, async_slot_cb, &slot[0]),
		  -ERANGE);
	assert_ok(mmapio_close(f));
	assert_int_equal(atomic_load(&rec.calls[0]), 0);
	if (!th_wait_task_count(before, th_ms(1000)))
		fail_msg("after close: %u tasks, %u before the async flushes",
			 th_task_count(), before);
}

/* Queued flushes complete, each callback exactly once, during close. */
static void test_flush_async_pending_at_close(void **state)
{
	char p[TH_PATH_MAX];
	mmapio_file *f;
	struct async_rec rec;
	struct async_slot slot[NASYNC];
	unsigned before = th_task_count();
	(void)state;

	f = new_rw(p, 65536);
	memset(&rec, 0, sizeof(rec));
	rec.f = f;
	th_record_msync();
	th_msync_delay_ms(30);
	for (unsigned i = 0; i < NASYNC; i++) {
		slot[i] = (struct async_slot){ &rec, i };
		assert_ok(mmapio_write(f, i * 8192, "p", 1));
		assert_ok(mmapio_flush_async(f, i * 8192, 1, async_slot_cb,
					     &slot[i]));
	}
	assert_ok(mmapio_close(f));
	for (unsigned i = 0; i < NASYNC; i++) {
		if (atomic_load(&rec.calls[i]) != 1)
			fail_msg("async flush %u: callback called %d times by "
				 "the end of close",
				 i, atomic_load(&rec.calls[i]));
		assert_rc(atomic_load(&rec.result[i]), 0);
	}
	th_sleep_ms((unsigned)th_ms(50));
	for (unsigned i = 0; i < NASYNC; i++)
		assert_int_equal(atomic_load(&rec.calls[i]), 1);
	if (!th_wait_task_count(before, th_ms(1000)))
		fail_msg("after close: %u tasks, %u before", th_task_count(),
			 before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_flush_msync),
		TH_TEST(test_flush_range_widening),
		TH_TEST(test_flush_ro_cow_no_syscall),
		TH_TEST(test_policy_never),
		TH_TEST(test_policy_always),
		TH_TEST(test_policy_bytes),
		TH_TEST(test_policy_writes),
		TH_TEST(test_policy_errors),
		TH_TEST(test_policy_interval),
		TH_TEST(test_flusher_thread_ends),
		TH_TEST(test_flush_async),
		TH_TEST(test_flush_async_pending_at_close),
	};

	th_init();
	return th_fini(cmocka_run_group_tests_name("flush", tests, NULL, NULL));
}
