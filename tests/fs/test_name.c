/*
 * test_name.c - the strict entry-name parser: every canonical number is
 * accepted and every other spelling refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "name.h"

static void accepts_canonical(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "9", 9 },
		{ "10", 10 },
		{ "17", 17 },
		{ "4294967296", 4294967296ull },
		{ "18446744073709551615", UINT64_MAX },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(mmapfs_parse_index_str(good[i].s, &v), 0);
		assert_true(v == good[i].v);
	}
}

static void refuses_every_other_form(void **state)
{
	static const char *const bad[] = {
		"",
		"00",
		"01",
		"017",
		"000",
		"+1",
		"-1",
		"-0",
		"+0",
		" 1",
		"1 ",
		" ",
		"0x1",
		"0X1",
		"x1",
		"1e3",
		"1E3",
		"1.0",
		"1.",
		".1",
		"1,0",
		"1_000",
		"a",
		"1a",
		"\t1",
		"1\n",
		"١",
		"18446744073709551616",	 /* 2^64 */
		"18446744073709551620",	 /* overflow in the last digit */
		"99999999999999999999",	 /* 20 digits, too large */
		"100000000000000000000", /* 21 digits */
		"000000000000000000001",
	};
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mmapfs_parse_index_str(bad[i], &v), -EINVAL);
		assert_true(v == 42); /* untouched on failure */
	}
	assert_int_equal(mmapfs_parse_index_str(NULL, &v), -EINVAL);
}

static void refuses_long_names(void **state)
{
	char name[256];
	uint64_t v;

	(void)state;
	memset(name, '1', 255);
	name[255] = '\0';
	assert_int_equal(mmapfs_parse_index_str(name, &v), -EINVAL);
	memset(name, '0', 255);
	assert_int_equal(mmapfs_parse_index_str(name, &v), -EINVAL);
}

static void length_bounds_the_scan(void **state)
{
	uint64_t v;

	(void)state;
	/* Only the first len bytes count, NUL or not. */
	assert_int_equal(mmapfs_parse_index("123xyz", 3, &v), 0);
	assert_true(v == 123);
	assert_int_equal(mmapfs_parse_index("123", 0, &v), -EINVAL);
}

static void format_round_trips(void **state)
{
	static const uint64_t vals[] = {
		0, 1, 9, 10, 99, 100, 123456789, UINT64_MAX - 1, UINT64_MAX
	};
	char buf[MMAPFS_NAME_MAX];
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		mmapfs_format_index(vals[i], buf);
		assert_int_equal(mmapfs_parse_index_str(buf, &v), 0);
		assert_true(v == vals[i]);
	}
	mmapfs_format_index(UINT64_MAX, buf);
	assert_string_equal(buf, "18446744073709551615");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_canonical),
		cmocka_unit_test(refuses_every_other_form),
		cmocka_unit_test(refuses_long_names),
		cmocka_unit_test(length_bounds_the_scan),
		cmocka_unit_test(format_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
