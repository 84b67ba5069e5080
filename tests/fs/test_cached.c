/*
 * test_cached.c - the per-file set of entries the kernel holds or has
 * open: records found by inode number before and after the table grows,
 * stale marking, lookup counting (hold, forget) and open counting (open,
 * close), and a record freed exactly when the entry is neither held nor
 * open.  Every test also checks the set's invariants: each record hashed
 * once, in its bucket, and every record held or open once a call that may
 * free it has returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cached.h"

/* Inode numbers of one file differ in their high bits (ino.h). */
static uint64_t ino_of(uint64_t i)
{
	return (i << 20) | 7;
}

static void count_rec(struct mmapfs_cached_rec *r, void *arg)
{
	size_t *n = arg;

	(*n)++;
	assert_true(r->nlookup > 0 || r->opens > 0);
}

/* Every record hashed once and found; foreach visits them all, and each
 * is held or open (`settled`: no record was just added). */
static void check_invariants(const struct mmapfs_cached *s, bool settled)
{
	size_t hashed = 0, visited = 0;

	if (s->nbuckets == 0) {
		assert_null(s->buckets);
		assert_int_equal(s->count, 0);
	} else {
		/* A power of two, and the table doubles before overfilling. */
		assert_int_equal(s->nbuckets & (s->nbuckets - 1), 0);
		assert_true(s->count <= s->nbuckets);
	}
	for (size_t b = 0; b < s->nbuckets; b++) {
		for (const struct mmapfs_cached_rec *r = s->buckets[b];
		     r != NULL; r = r->hnext) {
			assert_ptr_equal(mmapfs_cached_find(s, r->ino), r);
			hashed++;
			assert_true(hashed <= s->count); /* no cycle */
		}
	}
	assert_int_equal(hashed, s->count);
	if (settled) {
		mmapfs_cached_foreach(s, count_rec, &visited);
		assert_int_equal(visited, s->count);
	}
}

/* Add a record that must be new, and hold it once (a LOOKUP). */
static struct mmapfs_cached_rec *add_held(struct mmapfs_cached *s, uint64_t ino)
{
	struct mmapfs_cached_rec *r = NULL;
	bool added = false;

	assert_int_equal(
		mmapfs_cached_add(s, ino, ino * 4096, 4096, &r, &added), 0);
	assert_non_null(r);
	assert_true(added);
	mmapfs_cached_hold(r, 1);
	return r;
}

static void empty_set(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.nbuckets, 0); /* nothing allocated yet */
	assert_null(mmapfs_cached_find(&s, 0));
	assert_null(mmapfs_cached_find(&s, ino_of(3)));
	check_invariants(&s, true);
	mmapfs_cached_destroy(&s);
}

static void add_then_find(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r, *again;
	bool added = false;

	(void)state;
	mmapfs_cached_init(&s);
	assert_int_equal(
		mmapfs_cached_add(&s, ino_of(5), 8192, 4096, &r, &added), 0);
	assert_non_null(r);
	assert_true(added);
	assert_true(r->ino == ino_of(5) && r->off == 8192 && r->len == 4096);
	assert_true(r->stale);	/* nothing known about its pages yet */
	assert_false(r->pages); /* a new inode has none */
	assert_true(r->nlookup == 0 && r->opens == 0);
	check_invariants(&s, false);
	mmapfs_cached_hold(r, 1);
	assert_int_equal(mmapfs_cached_add(&s, ino_of(5), 0, 1, &again, &added),
			 0);
	assert_ptr_equal(again, r);
	assert_false(added);
	assert_true(r->off == 8192); /* the first add's range stays */
	assert_null(mmapfs_cached_find(&s, ino_of(6)));
	check_invariants(&s, true);
	mmapfs_cached_destroy(&s);
}

static void many_records_survive_growth(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < 5000; i++)
		add_held(&s, ino_of(i))->dirtied = (uint32_t)i;
	assert_int_equal(s.count, 5000);
	for (uint64_t i = 0; i < 5000; i++) {
		struct mmapfs_cached_rec *r = mmapfs_cached_find(&s, ino_of(i));

		assert_non_null(r);
		assert_int_equal(r->dirtied, (uint32_t)i);
	}
	check_invariants(&s, true);
	mmapfs_cached_destroy(&s);
}

static void dirty_marks_stale(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_held(&s, ino_of(1));
	r->stale = false;
	mmapfs_cached_dirty(r);
	assert_true(r->stale);
	assert_int_equal(r->dirtied, 1);
	mmapfs_cached_dirty(r);
	assert_int_equal(r->dirtied, 2);
	mmapfs_cached_destroy(&s);
}

/* The kernel's lookup count: freed when the last lookup is forgotten. */
static void forget_frees_at_zero(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_held(&s, ino_of(2));
	mmapfs_cached_hold(r, 2); /* READDIRPLUS, then another LOOKUP */
	assert_true(r->nlookup == 3);
	assert_false(mmapfs_cached_forget(&s, r, 2));
	assert_true(r->nlookup == 1);
	check_invariants(&s, true);
	assert_true(mmapfs_cached_forget(&s, r, 1));
	assert_null(mmapfs_cached_find(&s, ino_of(2)));
	assert_int_equal(s.count, 0);
	check_invariants(&s, true);
	mmapfs_cached_destroy(&s);
}

/* More forgotten than held (a lookup reply that never reached the kernel
 * was counted) counts as all. */
static void forget_more_than_held(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_held(&s, ino_of(3));
	assert_true(mmapfs_cached_forget(&s, r, 1000));
	assert_int_equal(s.count, 0);
	mmapfs_cached_destroy(&s);
}

/* An open entry stays while open, whatever the kernel forgets; the close
 * frees it then.  And the other way round. */
static void open_and_held_both_count(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_held(&s, ino_of(4));
	mmapfs_cached_open(r);
	assert_false(mmapfs_cached_forget(&s, r, 1));
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(4)), r);
	check_invariants(&s, true);
	assert_true(mmapfs_cached_close(&s, r));
	assert_int_equal(s.count, 0);

	r = add_held(&s, ino_of(4));
	mmapfs_cached_open(r);
	mmapfs_cached_open(r);
	assert_false(mmapfs_cached_close(&s, r));
	assert_false(mmapfs_cached_close(&s, r)); /* still held */
	assert_int_equal(r->opens, 0);
	assert_false(mmapfs_cached_close(&s, r)); /* no handle: no change */
	assert_true(mmapfs_cached_forget(&s, r, 1));
	assert_int_equal(s.count, 0);
	mmapfs_cached_destroy(&s);
}

/* A record freed and added again starts new: stale, no pages. */
static void comes_back_new(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_held(&s, ino_of(9));
	r->stale = false;
	r->pages = true;
	r->epoch = 5;
	assert_true(mmapfs_cached_forget(&s, r, 1));
	r = add_held(&s, ino_of(9));
	assert_true(r->stale);
	assert_false(r->pages);
	assert_true(r->epoch == 0);
	mmapfs_cached_destroy(&s);
}

/* Records freed from the middle of chains keep the others findable. */
static void removal_keeps_the_rest(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < 300; i++)
		add_held(&s, ino_of(i));
	for (uint64_t i = 0; i < 300; i += 3)
		assert_true(mmapfs_cached_forget(
			&s, mmapfs_cached_find(&s, ino_of(i)), 1));
	assert_int_equal(s.count, 200);
	for (uint64_t i = 0; i < 300; i++)
		assert_true((mmapfs_cached_find(&s, ino_of(i)) == NULL) ==
			    (i % 3 == 0));
	check_invariants(&s, true);
	mmapfs_cached_destroy(&s);
}

static void destroy_frees_everything(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < 100; i++)
		add_held(&s, ino_of(i));
	mmapfs_cached_destroy(&s); /* valgrind checks the rest */
	assert_int_equal(s.count, 0);
	assert_null(s.buckets);
	mmapfs_cached_destroy(&s); /* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_set),
		cmocka_unit_test(add_then_find),
		cmocka_unit_test(many_records_survive_growth),
		cmocka_unit_test(dirty_marks_stale),
		cmocka_unit_test(forget_frees_at_zero),
		cmocka_unit_test(forget_more_than_held),
		cmocka_unit_test(open_and_held_both_count),
		cmocka_unit_test(comes_back_new),
		cmocka_unit_test(removal_keeps_the_rest),
		cmocka_unit_test(destroy_frees_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
