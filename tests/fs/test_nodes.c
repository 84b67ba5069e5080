/*
 * test_nodes.c - building the node table from SOURCEs, for its errors:
 * each bad SOURCE gives the negative errno nodes.h names and one line
 * naming it, and the tree is left freed; a good tree finds its children
 * and answers -ENOENT for a name it lacks.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "nodes.h"

struct fixture {
	char dir[64]; /* holds a, b/, sub/a, fifo, mnt/ */
	char mnt[128];
	struct stat mnt_st;
};

static void touch(const char *dir, const char *name)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("data", f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char p[PATH_MAX];

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_nodes.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	touch(fx->dir, "a");
	snprintf(p, sizeof(p), "%s/b", fx->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub", fx->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	touch(p, "a");
	snprintf(p, sizeof(p), "%s/fifo", fx->dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	snprintf(fx->mnt, sizeof(fx->mnt), "%s/mnt", fx->dir);
	assert_int_equal(mkdir(fx->mnt, 0755), 0);
	assert_int_equal(stat(fx->mnt, &fx->mnt_st), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* Build from one or two SOURCEs (relative to the fixture's directory). */
static int build(struct fixture *fx, struct mmapfs_tree *t, const char *s1,
		 const char *s2, char *err, size_t errlen)
{
	char p1[256], p2[256];
	char *src[2] = { p1, p2 };

	assert_true(strlen(s1) < 64 && (s2 == NULL || strlen(s2) < 64));
	snprintf(p1, sizeof(p1), "%s/%.63s", fx->dir, s1);
	if (s2 != NULL)
		snprintf(p2, sizeof(p2), "%s/%.63s", fx->dir, s2);
	err[0] = '\0';
	return mmapfs_tree_build(t, src, s2 ? 2 : 1, fx->mnt, &fx->mnt_st,
				 false, err, errlen);
}

static void expect_error(void **state, const char *s1, const char *s2, int want,
			 const char *word)
{
	struct mmapfs_tree t;
	char err[512];

	assert_int_equal(build(*state, &t, s1, s2, err, sizeof(err)), want);
	assert_non_null(strstr(err, word));
	assert_null(strchr(err, '\n'));
	assert_null(t.nodes); /* freed on failure */
	assert_int_equal(t.nnodes, 0);
}

static void missing_source_is_enoent(void **state)
{
	expect_error(state, "nothing", NULL, -ENOENT, "nothing");
}

static void fifo_source_is_enodev(void **state)
{
	expect_error(state, "fifo", NULL, -ENODEV, "FIFO");
}

static void duplicate_names_are_eexist(void **state)
{
	expect_error(state, "a", "sub/a", -EEXIST, "both be named");
}

static void mount_point_as_source_is_einval(void **state)
{
	expect_error(state, "mnt", NULL, -EINVAL, "mount point");
}

static void children_found_and_missing(void **state)
{
	struct mmapfs_tree t;
	uint32_t a, sub, inner;
	char err[512];

	assert_int_equal(build(*state, &t, "a", "sub", err, sizeof(err)), 0);
	assert_int_equal(mmapfs_tree_child(&t, 0, "a", &a), 0);
	assert_int_equal(t.nodes[a].type, MMAPFS_N_FILE);
	assert_int_equal(mmapfs_tree_child(&t, 0, "sub", &sub), 0);
	assert_int_equal(t.nodes[sub].type, MMAPFS_N_DIR);
	assert_int_equal(mmapfs_tree_child(&t, sub, "a", &inner), 0);
	assert_int_equal(t.nodes[inner].parent, sub);
	assert_int_equal(mmapfs_tree_child(&t, 0, "b", &a), -ENOENT);
	assert_int_equal(mmapfs_tree_child(&t, sub, "zz", &a), -ENOENT);
	mmapfs_tree_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(missing_source_is_enoent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fifo_source_is_enodev, setup,
						teardown),
		cmocka_unit_test_setup_teardown(duplicate_names_are_eexist,
						setup, teardown),
		cmocka_unit_test_setup_teardown(mount_point_as_source_is_einval,
						setup, teardown),
		cmocka_unit_test_setup_teardown(children_found_and_missing,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
