/*
 * test_generation.c - generations of file handles (src/fs/export.c): the
 * same in every mount of the same sources, 0 for the root, and different
 * when a node id would name other bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "export.h"

static struct mmapfs_node nodes[] = {
	{ .name = NULL, .path = NULL, .type = MMAPFS_N_ROOT },
	{ .name = (char *)"a.bin",
	  .path = (char *)"/d/a.bin",
	  .type = MMAPFS_N_FILE },
	{ .name = (char *)"b.bin",
	  .path = (char *)"/d/b.bin",
	  .type = MMAPFS_N_FILE },
	{ .name = (char *)"src",
	  .path = (char *)"/d/src",
	  .type = MMAPFS_N_DIR },
};
static const struct mmapfs_tree tree = { .nodes = nodes, .nnodes = 4 };

static uint32_t gen(uint32_t node, enum mmapfs_kind k, uint64_t index,
		    uint64_t piece)
{
	struct mmapfs_ino id = { node, k, index };

	return mmapfs_generation(&tree, &id, piece);
}

static void root_is_zero(void **state)
{
	(void)state;
	/* The kernel makes the root inode itself, with generation 0. */
	assert_int_equal(gen(0, MMAPFS_K_NODE, 0, 4096), 0);
}

static void stable(void **state)
{
	(void)state;
	assert_int_equal(gen(1, MMAPFS_K_PAGE, 3, 4096),
			 gen(1, MMAPFS_K_PAGE, 3, 4096));
	/* Fixed inputs, fixed value: the same on every host and build. */
	assert_int_equal(gen(1, MMAPFS_K_NODE, 0, 0),
			 gen(1, MMAPFS_K_NODE, 0, 1 << 20));
}

static void meaning_changes(void **state)
{
	(void)state;
	/* Another chunk size: chunk i covers other bytes. */
	assert_int_not_equal(gen(1, MMAPFS_K_CHUNK, 1, 16384),
			     gen(1, MMAPFS_K_CHUNK, 1, 8192));
	/* The same node id for another file. */
	assert_int_not_equal(gen(1, MMAPFS_K_PAGE, 3, 4096),
			     gen(2, MMAPFS_K_PAGE, 3, 4096));
	/* A file's directory, its views and its entries differ. */
	assert_int_not_equal(gen(1, MMAPFS_K_NODE, 0, 0),
			     gen(1, MMAPFS_K_PAGES, 0, 0));
	assert_int_not_equal(gen(1, MMAPFS_K_CHUNKS, 0, 0),
			     gen(1, MMAPFS_K_PAGES, 0, 0));
	/* The view directories do not depend on the piece size. */
	assert_int_equal(gen(1, MMAPFS_K_CHUNKS, 0, 16384),
			 gen(1, MMAPFS_K_CHUNKS, 0, 8192));
	assert_int_not_equal(gen(3, MMAPFS_K_NODE, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_is_zero),
		cmocka_unit_test(stable),
		cmocka_unit_test(meaning_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
