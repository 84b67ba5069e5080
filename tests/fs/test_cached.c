/*
 * test_cached.c - the per-file set of cached entries: records found by
 * inode number before and after the table grows, stale marking, open
 * counting, and the bound that forgets the least recently closed records
 * (never open ones).  Every test also checks the set's invariants: each
 * record hashed once, the closed list well linked and holding exactly
 * the records with no open handle.
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

/* Every record hashed once, the closed list = the records not open. */
static void check_invariants(const struct mmapfs_cached *s)
{
	size_t hashed = 0, unopened = 0, listed = 0;
	const struct mmapfs_cached_rec *prev = NULL;

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
			if (r->opens == 0)
				unopened++;
			else
				assert_true(r->prev == NULL && r->next == NULL);
			assert_true(hashed <= s->count); /* no cycle */
		}
	}
	assert_int_equal(hashed, s->count);
	for (const struct mmapfs_cached_rec *r = s->oldest; r != NULL;
	     r = r->next) {
		assert_ptr_equal(r->prev, prev);
		assert_int_equal(r->opens, 0);
		assert_ptr_equal(mmapfs_cached_find(s, r->ino), r);
		prev = r;
		listed++;
		assert_true(listed <= s->count); /* no cycle */
	}
	assert_ptr_equal(s->newest, prev);
	assert_int_equal(listed, unopened);
}

/* Add a record that must be new. */
static struct mmapfs_cached_rec *add_new(struct mmapfs_cached *s, uint64_t ino)
{
	bool added = false;
	struct mmapfs_cached_rec *r =
		mmapfs_cached_add(s, ino, ino * 4096, 4096, &added);

	assert_non_null(r);
	assert_true(added);
	return r;
}

/* Add a record that must be new and open it once. */
static struct mmapfs_cached_rec *add_open(struct mmapfs_cached *s, uint64_t ino)
{
	struct mmapfs_cached_rec *r = add_new(s, ino);

	mmapfs_cached_open(s, r);
	assert_int_equal(r->opens, 1);
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
	assert_null(mmapfs_cached_find(&s, 1));
	assert_null(mmapfs_cached_find(&s, ino_of(3)));
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

static void add_then_find(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r, *again, *other;
	bool added = false;

	(void)state;
	mmapfs_cached_init(&s);
	r = mmapfs_cached_add(&s, ino_of(5), 8192, 4096, &added);
	assert_non_null(r);
	assert_true(added);
	assert_true(r->ino == ino_of(5));
	assert_true(r->off == 8192);
	assert_true(r->len == 4096);
	assert_true(r->stale); /* nothing known about its pages yet */
	assert_int_equal(r->opens, 0);
	assert_int_equal(r->dirtied, 0);
	assert_true(r->epoch == 0);
	assert_int_equal(s.count, 1);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(5)), r);
	assert_null(mmapfs_cached_find(&s, ino_of(6)));
	check_invariants(&s);

	/* The same ino again: the same record, untouched. */
	r->stale = false;
	again = mmapfs_cached_add(&s, ino_of(5), 0, 1, &added);
	assert_ptr_equal(again, r);
	assert_false(added);
	assert_true(r->off == 8192);
	assert_true(r->len == 4096);
	assert_false(r->stale);
	assert_int_equal(s.count, 1);

	/* Another ino: another record. */
	added = false;
	other = mmapfs_cached_add(&s, ino_of(6), 12288, 4096, &added);
	assert_non_null(other);
	assert_true(added);
	assert_ptr_not_equal(other, r);
	assert_int_equal(s.count, 2);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(5)), r);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(6)), other);
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

static void many_records_survive_growth(void **state)
{
	enum { N = 100000 };
	struct mmapfs_cached s;
	size_t longest = 0;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < N; i++) {
		struct mmapfs_cached_rec *r = add_new(&s, ino_of(i));

		assert_int_equal(s.count, i + 1);
		assert_true(r->ino == ino_of(i));
	}
	/* 16 buckets at first: grown many times. */
	assert_true(s.nbuckets >= N);
	check_invariants(&s);
	for (uint64_t i = 0; i < N; i++) {
		struct mmapfs_cached_rec *r = mmapfs_cached_find(&s, ino_of(i));
		bool added = true;

		assert_non_null(r);
		assert_true(r->ino == ino_of(i));
		assert_true(r->off == ino_of(i) * 4096);
		assert_ptr_equal(mmapfs_cached_add(&s, ino_of(i), 0, 0, &added),
				 r);
		assert_false(added);
	}
	assert_int_equal(s.count, N);
	assert_null(mmapfs_cached_find(&s, ino_of(N)));
	assert_null(mmapfs_cached_find(&s, ino_of(17) - 1));
	assert_null(mmapfs_cached_find(&s, ino_of(17) + 1));
	assert_null(mmapfs_cached_find(&s, 0));
	assert_null(mmapfs_cached_find(&s, UINT64_MAX));

	/* The high bits are mixed in: no long chains. */
	for (size_t b = 0; b < s.nbuckets; b++) {
		size_t len = 0;

		for (struct mmapfs_cached_rec *r = s.buckets[b]; r != NULL;
		     r = r->hnext)
			len++;
		if (len > longest)
			longest = len;
	}
	assert_true(longest <= 16);
	mmapfs_cached_destroy(&s);
}

static void dirty_marks_stale(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_open(&s, ino_of(1));
	r->stale = false; /* as after a drop */
	mmapfs_cached_dirty(r);
	assert_true(r->stale);
	assert_int_equal(r->dirtied, 1);
	r->stale = false;
	mmapfs_cached_dirty(r);
	mmapfs_cached_dirty(r);
	assert_true(r->stale);
	assert_int_equal(r->dirtied, 3);
	assert_int_equal(r->opens, 1); /* nothing else changes */
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

static void open_close_counting(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_new(&s, ino_of(1));
	mmapfs_cached_open(&s, r);
	mmapfs_cached_open(&s, r);
	assert_int_equal(r->opens, 2);
	assert_null(s.oldest); /* open: not on the closed list */
	assert_null(s.newest);
	check_invariants(&s);

	/* One handle left: kept even with a bound of 0. */
	mmapfs_cached_close(&s, r, 0);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(1)), r);
	assert_int_equal(r->opens, 1);
	assert_null(s.oldest);
	assert_int_equal(s.count, 1);
	check_invariants(&s);

	/* The last handle: onto the closed list, kept within the bound. */
	mmapfs_cached_close(&s, r, 1);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(1)), r);
	assert_int_equal(r->opens, 0);
	assert_ptr_equal(s.oldest, r);
	assert_ptr_equal(s.newest, r);
	assert_int_equal(s.count, 1);
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

static void closing_beyond_the_bound_forgets(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;
	bool added = false;

	(void)state;
	mmapfs_cached_init(&s);
	add_open(&s, ino_of(1));
	/* Bound 0: the record just closed goes at once (freed: not used). */
	mmapfs_cached_close(&s, mmapfs_cached_find(&s, ino_of(1)), 0);
	assert_null(mmapfs_cached_find(&s, ino_of(1)));
	assert_int_equal(s.count, 0);
	assert_null(s.oldest);
	assert_null(s.newest);
	check_invariants(&s);

	/* A forgotten record comes back new and stale. */
	r = mmapfs_cached_add(&s, ino_of(1), 4096, 4096, &added);
	assert_non_null(r);
	assert_true(added);
	assert_true(r->stale);
	assert_int_equal(s.count, 1);
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

/* The inos in `gone` are not found, all the others of 0..n-1 are. */
static void check_kept(const struct mmapfs_cached *s, uint64_t n,
		       const uint64_t *gone, size_t ngone)
{
	for (uint64_t i = 0; i < n; i++) {
		bool forgotten = false;

		for (size_t g = 0; g < ngone; g++)
			if (gone[g] == i)
				forgotten = true;
		if (forgotten)
			assert_null(mmapfs_cached_find(s, ino_of(i)));
		else
			assert_non_null(mmapfs_cached_find(s, ino_of(i)));
	}
	assert_int_equal(s->count, n - ngone);
	check_invariants(s);
}

/* Close the last handle of ino_of(i), found again by number. */
static void close_ino(struct mmapfs_cached *s, uint64_t i, size_t bound)
{
	struct mmapfs_cached_rec *r = mmapfs_cached_find(s, ino_of(i));

	assert_non_null(r);
	assert_int_equal(r->opens, 1);
	mmapfs_cached_close(s, r, bound);
}

static void bound_forgets_least_recently_closed(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < 4; i++)
		add_open(&s, ino_of(i));
	/* Closed in the order 2, 0, 3, 1 with a bound of 2. */
	close_ino(&s, 2, 2); /* 4 records > 2: the only closed one goes */
	check_kept(&s, 4, (const uint64_t[]){ 2 }, 1);
	close_ino(&s, 0, 2); /* 3 > 2: again */
	check_kept(&s, 4, (const uint64_t[]){ 2, 0 }, 2);
	close_ino(&s, 3, 2); /* within the bound now */
	check_kept(&s, 4, (const uint64_t[]){ 2, 0 }, 2);
	close_ino(&s, 1, 2);
	check_kept(&s, 4, (const uint64_t[]){ 2, 0 }, 2);
	assert_true(s.oldest->ino == ino_of(3));
	assert_true(s.newest->ino == ino_of(1));
	mmapfs_cached_destroy(&s);
}

static void forgets_in_closing_order_not_adding_order(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < 4; i++)
		add_open(&s, ino_of(i));
	/* All closed within the bound, in the order 2, 0, 3, 1. */
	close_ino(&s, 2, 4);
	close_ino(&s, 0, 4);
	close_ino(&s, 3, 4);
	close_ino(&s, 1, 4);
	check_kept(&s, 4, NULL, 0);

	/*
	 * A fifth closed with a bound of 2: the three least recently closed
	 * go (2, 0, 3), not the least recently added or opened (0, 1, 2).
	 */
	add_open(&s, ino_of(4));
	close_ino(&s, 4, 2);
	check_kept(&s, 5, (const uint64_t[]){ 2, 0, 3 }, 3);
	assert_true(s.oldest->ino == ino_of(1));
	assert_true(s.newest->ino == ino_of(4));
	mmapfs_cached_destroy(&s);
}

static void open_records_never_forgotten(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < 10; i++)
		add_open(&s, ino_of(i));
	/* 10 records, bound 2: only the closed one can go. */
	close_ino(&s, 4, 2);
	check_kept(&s, 10, (const uint64_t[]){ 4 }, 1);
	assert_int_equal(s.count, 9); /* above the bound, all open */
	for (uint64_t i = 0; i < 10; i++) {
		struct mmapfs_cached_rec *r = mmapfs_cached_find(&s, ino_of(i));

		if (r != NULL)
			assert_int_equal(r->opens, 1);
	}

	/* A record with two handles survives its first close. */
	mmapfs_cached_open(&s, mmapfs_cached_find(&s, ino_of(7)));
	mmapfs_cached_close(&s, mmapfs_cached_find(&s, ino_of(7)), 0);
	assert_non_null(mmapfs_cached_find(&s, ino_of(7)));
	assert_int_equal(mmapfs_cached_find(&s, ino_of(7))->opens, 1);
	check_kept(&s, 10, (const uint64_t[]){ 4 }, 1);
	mmapfs_cached_destroy(&s);
}

static void added_records_count_as_closed(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	/* Added, never opened: on the closed list from the start. */
	add_new(&s, ino_of(0));
	add_open(&s, ino_of(1));
	assert_true(s.oldest->ino == ino_of(0));
	assert_ptr_equal(s.oldest, s.newest);
	check_invariants(&s);
	close_ino(&s, 1, 1); /* 2 > 1: the older closed one, 0, goes */
	check_kept(&s, 2, (const uint64_t[]){ 0 }, 1);
	mmapfs_cached_destroy(&s);
}

static void reopening_takes_off_the_closed_list(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *a, *b, *c;

	(void)state;
	mmapfs_cached_init(&s);
	a = add_open(&s, ino_of(0));
	b = add_open(&s, ino_of(1));
	c = add_open(&s, ino_of(2));
	mmapfs_cached_close(&s, a, 8);
	mmapfs_cached_close(&s, b, 8);
	mmapfs_cached_close(&s, c, 8);
	assert_ptr_equal(s.oldest, a);
	assert_ptr_equal(s.newest, c);
	check_invariants(&s);

	/* From the middle of the list. */
	mmapfs_cached_open(&s, b);
	assert_int_equal(b->opens, 1);
	assert_ptr_equal(s.oldest, a);
	assert_ptr_equal(a->next, c);
	assert_ptr_equal(c->prev, a);
	assert_ptr_equal(s.newest, c);
	check_invariants(&s);

	/* From its head. */
	mmapfs_cached_open(&s, a);
	assert_ptr_equal(s.oldest, c);
	assert_ptr_equal(s.newest, c);
	check_invariants(&s);

	/*
	 * Add and close a fourth with a bound of 1: the closed ones go (c,
	 * then the new one), the reopened ones stay although the oldest.
	 */
	add_open(&s, ino_of(3));
	close_ino(&s, 3, 1);
	check_kept(&s, 4, (const uint64_t[]){ 2, 3 }, 2);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(0)), a);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(1)), b);
	assert_null(s.oldest);
	assert_null(s.newest);

	/* Closed again: back on the list, at its end. */
	mmapfs_cached_close(&s, b, 8);
	mmapfs_cached_close(&s, a, 8);
	assert_ptr_equal(s.oldest, b);
	assert_ptr_equal(s.newest, a);
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

static void destroy_frees_everything(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	mmapfs_cached_destroy(&s); /* empty: nothing to free */

	/* Open, closed and never opened records, over a grown table. */
	for (uint64_t i = 0; i < 1000; i++) {
		if (i % 3 == 0)
			add_new(&s, ino_of(i));
		else
			add_open(&s, ino_of(i));
		if (i % 3 == 1)
			close_ino(&s, i, 1000);
	}
	assert_int_equal(s.count, 1000);
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
	assert_null(s.buckets);
	assert_int_equal(s.nbuckets, 0);
	assert_int_equal(s.count, 0);
	assert_null(s.oldest);
	assert_null(s.newest);

	/* Usable again after destroy. */
	add_open(&s, ino_of(1));
	assert_int_equal(s.count, 1);
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_set),
		cmocka_unit_test(add_then_find),
		cmocka_unit_test(many_records_survive_growth),
		cmocka_unit_test(dirty_marks_stale),
		cmocka_unit_test(open_close_counting),
		cmocka_unit_test(closing_beyond_the_bound_forgets),
		cmocka_unit_test(bound_forgets_least_recently_closed),
		cmocka_unit_test(forgets_in_closing_order_not_adding_order),
		cmocka_unit_test(open_records_never_forgotten),
		cmocka_unit_test(added_records_count_as_closed),
		cmocka_unit_test(reopening_takes_off_the_closed_list),
		cmocka_unit_test(destroy_frees_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
