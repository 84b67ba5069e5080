/*
 * test_cached.c - the per-file set of cached entries: records found by
 * inode number before and after the table grows, stale marking, open
 * counting (what open and close return), and forgetting: the least
 * recently closed record first, never an open one, and nothing forgotten
 * unless asked (the bound is the caller's).  Every test also checks the
 * set's invariants: each record hashed once, the closed list well linked
 * and holding exactly the records with no open handle.
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

	assert_true(mmapfs_cached_open(s, r)); /* added closed: first open */
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
	assert_false(mmapfs_cached_forget_oldest(&s)); /* nothing to forget */
	assert_int_equal(s.count, 0);
	assert_int_equal(s.nbuckets, 0);
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
static void close_ino(struct mmapfs_cached *s, uint64_t i)
{
	struct mmapfs_cached_rec *r = mmapfs_cached_find(s, ino_of(i));
	size_t count = s->count;

	assert_non_null(r);
	assert_int_equal(r->opens, 1);
	assert_true(mmapfs_cached_close(s, r));
	assert_ptr_equal(s->newest, r); /* the newest end of the list */
	assert_ptr_equal(mmapfs_cached_find(s, ino_of(i)), r); /* not freed */
	assert_int_equal(s->count, count);
	check_invariants(s);
}

/* Forget the oldest closed record, which must be ino_of(i), and only it. */
static void forget_expect(struct mmapfs_cached *s, uint64_t i)
{
	size_t count = s->count;

	assert_non_null(mmapfs_cached_find(s, ino_of(i)));
	assert_true(mmapfs_cached_forget_oldest(s));
	assert_null(mmapfs_cached_find(s, ino_of(i)));
	assert_int_equal(s->count, count - 1);
	check_invariants(s);
}

/* Nothing closed: forgetting fails and changes nothing. */
static void forget_none(struct mmapfs_cached *s)
{
	size_t count = s->count;

	assert_false(mmapfs_cached_forget_oldest(s));
	assert_int_equal(s->count, count);
	assert_null(s->oldest);
	assert_null(s->newest);
	check_invariants(s);
}

/*
 * The caller's bound (coherence.c): forget while over it and something
 * is closed.  The number of records forgotten.
 */
static size_t forget_to_bound(struct mmapfs_cached *s, size_t bound)
{
	size_t n = 0;

	while (s->count > bound && mmapfs_cached_forget_oldest(s))
		n++;
	check_invariants(s);
	return n;
}

static void open_close_return_values(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_new(&s, ino_of(1));
	assert_ptr_equal(s.oldest, r); /* added: closed */

	/* The first handle takes it off the closed list; nested ones not. */
	assert_true(mmapfs_cached_open(&s, r));
	assert_int_equal(r->opens, 1);
	assert_null(s.oldest);
	assert_null(s.newest);
	check_invariants(&s);
	assert_false(mmapfs_cached_open(&s, r));
	assert_false(mmapfs_cached_open(&s, r));
	assert_int_equal(r->opens, 3);
	assert_null(s.oldest);
	check_invariants(&s);

	/* Handles left: not closed yet. */
	assert_false(mmapfs_cached_close(&s, r));
	assert_false(mmapfs_cached_close(&s, r));
	assert_int_equal(r->opens, 1);
	assert_null(s.oldest);
	check_invariants(&s);

	/* The last handle: onto the closed list, not freed. */
	assert_true(mmapfs_cached_close(&s, r));
	assert_int_equal(r->opens, 0);
	assert_ptr_equal(s.oldest, r);
	assert_ptr_equal(s.newest, r);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(1)), r);
	assert_int_equal(s.count, 1);
	check_invariants(&s);

	/* Opened again: a first handle again. */
	assert_true(mmapfs_cached_open(&s, r));
	assert_false(mmapfs_cached_open(&s, r));
	assert_int_equal(r->opens, 2);
	assert_null(s.oldest);
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

static void closing_without_handles_changes_nothing(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *a, *b;

	(void)state;
	mmapfs_cached_init(&s);
	a = add_new(&s, ino_of(0)); /* never opened */
	b = add_open(&s, ino_of(1));
	close_ino(&s, 1); /* closed list: a, b */

	/* No count below zero, no second place on the list, no move. */
	assert_false(mmapfs_cached_close(&s, a));
	assert_false(mmapfs_cached_close(&s, b));
	assert_false(mmapfs_cached_close(&s, a));
	assert_int_equal(a->opens, 0);
	assert_int_equal(b->opens, 0);
	assert_ptr_equal(s.oldest, a);
	assert_ptr_equal(s.newest, b);
	assert_ptr_equal(a->next, b);
	assert_int_equal(s.count, 2);
	check_invariants(&s);

	/* Still one open makes it open; one close closes it. */
	assert_true(mmapfs_cached_open(&s, a));
	assert_int_equal(a->opens, 1);
	assert_true(mmapfs_cached_close(&s, a));
	assert_ptr_equal(s.oldest, b);
	assert_ptr_equal(s.newest, a);
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

static void closing_never_forgets(void **state)
{
	enum { N = 100 };
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < N; i++)
		add_open(&s, ino_of(i));
	/* All closed: all kept, whatever the number. */
	for (uint64_t i = 0; i < N; i++)
		close_ino(&s, i);
	check_kept(&s, N, NULL, 0);

	/* Each closed record can be forgotten once, then none is left. */
	for (uint64_t i = 0; i < N; i++)
		forget_expect(&s, i);
	assert_int_equal(s.count, 0);
	forget_none(&s);
	mmapfs_cached_destroy(&s);
}

static void forgotten_record_comes_back_new_and_stale(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;
	bool added = false;

	(void)state;
	mmapfs_cached_init(&s);
	r = add_open(&s, ino_of(1));
	r->stale = false; /* as after a drop */
	r->epoch = 9;
	mmapfs_cached_dirty(r);
	r->stale = false;
	close_ino(&s, 1);
	forget_expect(&s, 1); /* freed: r is not used again */
	assert_null(s.oldest);
	assert_null(s.newest);

	/* Nothing of the old record is known: new, stale, epoch 0. */
	r = mmapfs_cached_add(&s, ino_of(1), 4096, 4096, &added);
	assert_non_null(r);
	assert_true(added);
	assert_true(r->stale);
	assert_true(r->epoch == 0);
	assert_int_equal(r->dirtied, 0);
	assert_int_equal(r->opens, 0);
	assert_int_equal(s.count, 1);
	check_invariants(&s);
	assert_true(mmapfs_cached_open(&s, r)); /* came back closed */
	check_invariants(&s);
	mmapfs_cached_destroy(&s);
}

/* A new set of records 0-3, opened, then closed in the order 2, 0, 3, 1. */
static void close_2031(struct mmapfs_cached *s)
{
	mmapfs_cached_init(s);
	for (uint64_t i = 0; i < 4; i++)
		add_open(s, ino_of(i));
	close_ino(s, 2);
	close_ino(s, 0);
	close_ino(s, 3);
	close_ino(s, 1);
}

static void forgets_least_recently_closed_first(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	close_2031(&s);
	/* Forgotten in the order they were closed. */
	check_kept(&s, 4, NULL, 0);
	forget_expect(&s, 2);
	check_kept(&s, 4, (const uint64_t[]){ 2 }, 1);
	forget_expect(&s, 0);
	check_kept(&s, 4, (const uint64_t[]){ 2, 0 }, 2);
	forget_expect(&s, 3);
	check_kept(&s, 4, (const uint64_t[]){ 2, 0, 3 }, 3);
	forget_expect(&s, 1);
	check_kept(&s, 4, (const uint64_t[]){ 2, 0, 3, 1 }, 4);
	forget_none(&s);
	mmapfs_cached_destroy(&s);
}

static void forgets_in_closing_order_not_adding_order(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	close_2031(&s);
	/* All within a bound of 4. */
	assert_int_equal(forget_to_bound(&s, 4), 0);
	check_kept(&s, 4, NULL, 0);

	/*
	 * A fifth closed, then a bound of 2: the three least recently closed
	 * go (2, 0, 3), not the least recently added or opened (0, 1, 2).
	 */
	add_open(&s, ino_of(4));
	close_ino(&s, 4);
	assert_int_equal(forget_to_bound(&s, 2), 3);
	check_kept(&s, 5, (const uint64_t[]){ 2, 0, 3 }, 3);
	assert_true(s.oldest->ino == ino_of(1));
	assert_true(s.newest->ino == ino_of(4));
	mmapfs_cached_destroy(&s);
}

static void open_records_never_forgotten(void **state)
{
	struct mmapfs_cached s;
	struct mmapfs_cached_rec *r;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < 10; i++)
		add_open(&s, ino_of(i));
	/* All open: nothing to forget, however far over a bound. */
	forget_none(&s);
	assert_int_equal(forget_to_bound(&s, 0), 0);
	check_kept(&s, 10, NULL, 0);

	/* One closed: only it goes, then nothing again. */
	close_ino(&s, 4);
	assert_int_equal(forget_to_bound(&s, 2), 1);
	check_kept(&s, 10, (const uint64_t[]){ 4 }, 1);
	forget_none(&s);
	for (uint64_t i = 0; i < 10; i++) {
		r = mmapfs_cached_find(&s, ino_of(i));
		if (r != NULL)
			assert_int_equal(r->opens, 1);
	}

	/* A record with two handles stays open after its first close. */
	r = mmapfs_cached_find(&s, ino_of(7));
	assert_false(mmapfs_cached_open(&s, r));
	assert_false(mmapfs_cached_close(&s, r));
	assert_int_equal(r->opens, 1);
	forget_none(&s);
	check_kept(&s, 10, (const uint64_t[]){ 4 }, 1);

	/* Its last close makes it forgettable. */
	close_ino(&s, 7);
	forget_expect(&s, 7);
	forget_none(&s);
	check_kept(&s, 10, (const uint64_t[]){ 4, 7 }, 2);
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
	close_ino(&s, 1); /* 2 > 1: the older closed one, 0, goes */
	assert_int_equal(forget_to_bound(&s, 1), 1);
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
	close_ino(&s, 0);
	close_ino(&s, 1);
	close_ino(&s, 2);
	assert_ptr_equal(s.oldest, a);
	assert_ptr_equal(s.newest, c);

	/* From the middle of the list. */
	assert_true(mmapfs_cached_open(&s, b));
	assert_int_equal(b->opens, 1);
	assert_ptr_equal(s.oldest, a);
	assert_ptr_equal(a->next, c);
	assert_ptr_equal(c->prev, a);
	assert_ptr_equal(s.newest, c);
	check_invariants(&s);

	/* From its head. */
	assert_true(mmapfs_cached_open(&s, a));
	assert_ptr_equal(s.oldest, c);
	assert_ptr_equal(s.newest, c);
	check_invariants(&s);

	/* From its tail, the last one: the list is empty. */
	assert_true(mmapfs_cached_open(&s, c));
	forget_none(&s);
	close_ino(&s, 2);

	/*
	 * A fourth added and closed: the closed ones go (c, then the new
	 * one), the reopened ones stay although closed before either.
	 */
	add_open(&s, ino_of(3));
	close_ino(&s, 3);
	forget_expect(&s, 2);
	forget_expect(&s, 3);
	forget_none(&s);
	check_kept(&s, 4, (const uint64_t[]){ 2, 3 }, 2);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(0)), a);
	assert_ptr_equal(mmapfs_cached_find(&s, ino_of(1)), b);
	mmapfs_cached_destroy(&s);
}

static void closed_again_goes_to_the_newest_end(void **state)
{
	struct mmapfs_cached s;

	(void)state;
	mmapfs_cached_init(&s);
	for (uint64_t i = 0; i < 4; i++)
		add_open(&s, ino_of(i));
	for (uint64_t i = 0; i < 4; i++)
		close_ino(&s, i); /* closed list: 0, 1, 2, 3 */

	/* The two oldest reopened, then closed: 2, 3, 0, 1. */
	assert_true(mmapfs_cached_open(&s, mmapfs_cached_find(&s, ino_of(0))));
	assert_true(mmapfs_cached_open(&s, mmapfs_cached_find(&s, ino_of(1))));
	close_ino(&s, 0);
	close_ino(&s, 1);

	/* The newest reopened and closed stays the newest: 2, 3, 0, 1. */
	assert_true(mmapfs_cached_open(&s, mmapfs_cached_find(&s, ino_of(1))));
	close_ino(&s, 1);

	/* A middle one reopened and closed: 2, 0, 1, 3. */
	assert_true(mmapfs_cached_open(&s, mmapfs_cached_find(&s, ino_of(3))));
	close_ino(&s, 3);
	forget_expect(&s, 2);
	forget_expect(&s, 0);
	forget_expect(&s, 1);
	forget_expect(&s, 3);
	forget_none(&s);
	assert_int_equal(s.count, 0);
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
			close_ino(&s, i);
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
		cmocka_unit_test(open_close_return_values),
		cmocka_unit_test(closing_without_handles_changes_nothing),
		cmocka_unit_test(closing_never_forgets),
		cmocka_unit_test(forgotten_record_comes_back_new_and_stale),
		cmocka_unit_test(forgets_least_recently_closed_first),
		cmocka_unit_test(forgets_in_closing_order_not_adding_order),
		cmocka_unit_test(open_records_never_forgotten),
		cmocka_unit_test(added_records_count_as_closed),
		cmocka_unit_test(reopening_takes_off_the_closed_list),
		cmocka_unit_test(closed_again_goes_to_the_newest_end),
		cmocka_unit_test(destroy_frees_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
