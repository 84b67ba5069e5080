/*
 * test_ino.c - inode numbers <-> (node, kind, index) both ways, and the
 * geometry of chunks and pages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ino.h"

static void root_is_fuse_root(void **state)
{
	struct mmapfs_layout l;
	struct mmapfs_ino root = { 0, MMAPFS_K_NODE, 0 }, out;

	(void)state;
	mmapfs_layout_init(&l, 5);
	assert_true(mmapfs_ino_encode(&l, &root) == 1);
	assert_int_equal(mmapfs_ino_decode(&l, 1, &out), 0);
	assert_int_equal(out.node, 0);
	assert_int_equal(out.kind, MMAPFS_K_NODE);
}

static void round_trips(void **state)
{
	static const uint32_t counts[] = { 1, 2, 3, 100, 10001, 1u << 20 };
	static const uint64_t idx[] = { 0, 1, 2, 4095, 1ull << 30 };

	(void)state;
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		struct mmapfs_layout l;

		mmapfs_layout_init(&l, counts[c]);
		for (uint32_t n = 0; n < counts[c]; n += 1 + counts[c] / 7) {
			for (int k = MMAPFS_K_NODE; k <= MMAPFS_K_PAGE; k++) {
				for (size_t i = 0; i < 5; i++) {
					struct mmapfs_ino in = { n, k, 0 }, out;
					uint64_t ino;

					if (mmapfs_kind_is_entry(k))
						in.index = idx[i];
					else if (i > 0)
						continue;
					ino = mmapfs_ino_encode(&l, &in);
					assert_true(ino != 0);
					assert_true(ino <= (1ull << 63));
					assert_int_equal(mmapfs_ino_decode(
								 &l, ino, &out),
							 0);
					assert_int_equal(out.node, in.node);
					assert_int_equal(out.kind, in.kind);
					assert_true(out.index == in.index);
				}
			}
		}
		/* The largest index still round-trips. */
		struct mmapfs_ino in = { counts[c] - 1, MMAPFS_K_PAGE,
					 mmapfs_layout_max_index(&l) },
				  out;
		assert_int_equal(
			mmapfs_ino_decode(&l, mmapfs_ino_encode(&l, &in), &out),
			0);
		assert_true(out.index == in.index);
	}
}

static void rejects_forged_numbers(void **state)
{
	struct mmapfs_layout l;
	struct mmapfs_ino out;
	struct mmapfs_ino dir = { 1, MMAPFS_K_CHUNKS, 0 };

	(void)state;
	mmapfs_layout_init(&l, 3);
	assert_int_equal(mmapfs_ino_decode(&l, 0, &out), -ENOENT);
	assert_int_equal(mmapfs_ino_decode(&l, UINT64_MAX, &out), -ENOENT);
	assert_int_equal(mmapfs_ino_decode(&l, (1ull << 63) + 1, &out),
			 -ENOENT);
	/* A node past the table. */
	struct mmapfs_ino past = { 3, MMAPFS_K_NODE, 0 };
	assert_int_equal(
		mmapfs_ino_decode(&l, mmapfs_ino_encode(&l, &past), &out),
		-ENOENT);
	/* A kind that does not exist (5..7). */
	uint64_t ino = mmapfs_ino_encode(&l, &dir);
	uint64_t kind5 = ((ino - 1) | (5ull << l.node_bits)) + 1;
	assert_int_equal(mmapfs_ino_decode(&l, kind5, &out), -ENOENT);
	/* A directory with an index. */
	uint64_t indexed = ino + (1ull << (l.node_bits + 3));
	assert_int_equal(mmapfs_ino_decode(&l, indexed, &out), -ENOENT);
}

/* Neighbours differ in the low bits, which the kernel's hash needs. */
static void neighbours_differ_low(void **state)
{
	struct mmapfs_layout l;
	struct mmapfs_ino a = { 7, MMAPFS_K_NODE, 0 },
			  b = { 8, MMAPFS_K_NODE, 0 };

	(void)state;
	mmapfs_layout_init(&l, 10001);
	assert_true(((mmapfs_ino_encode(&l, &a) ^ mmapfs_ino_encode(&l, &b)) &
		     0xffff) != 0);
}

static void layout_scales_with_nodes(void **state)
{
	struct mmapfs_layout l;

	(void)state;
	mmapfs_layout_init(&l, 10001);
	assert_int_equal(l.node_bits, 14);
	/* 2^46 - 1 pages of 4 KiB: more than 256 PiB per file. */
	assert_true(mmapfs_layout_max_index(&l) >= (1ull << 46) - 2);
	mmapfs_layout_init(&l, 1);
	assert_int_equal(l.node_bits, 1);
}

static void pieces(void **state)
{
	uint64_t off, len;

	(void)state;
	assert_true(mmapfs_piece_count(0, 4096) == 0);
	assert_true(mmapfs_piece_count(1, 4096) == 1);
	assert_true(mmapfs_piece_count(4096, 4096) == 1);
	assert_true(mmapfs_piece_count(4097, 4096) == 2);
	assert_true(mmapfs_piece_count(UINT64_MAX, 4096) ==
		    UINT64_MAX / 4096 + 1);
	assert_int_equal(mmapfs_piece_range(10000, 4096, 2, &off, &len), 0);
	assert_true(off == 8192 && len == 1808);
	assert_int_equal(mmapfs_piece_range(10000, 4096, 1, &off, &len), 0);
	assert_true(off == 4096 && len == 4096);
	assert_int_equal(mmapfs_piece_range(10000, 4096, 3, &off, &len),
			 -ENOENT);
	assert_int_equal(mmapfs_piece_range(0, 4096, 0, &off, &len), -ENOENT);
	assert_int_equal(mmapfs_piece_range(UINT64_MAX, 4096, UINT64_MAX / 4096,
					    &off, &len),
			 0);
	assert_true(len == UINT64_MAX % 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_is_fuse_root),
		cmocka_unit_test(round_trips),
		cmocka_unit_test(rejects_forged_numbers),
		cmocka_unit_test(neighbours_differ_low),
		cmocka_unit_test(layout_scales_with_nodes),
		cmocka_unit_test(pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
