/*
 * test_blockdev.c - block devices open like files: size by BLKGETSIZE64,
 * bytes through the mapping, a read-write open of a read-only device is
 * -EROFS.  Uses a loop device over a file of the test directory; without
 * root or /dev/loop-control the cases skip.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define DEV_SIZE (1u << 20)

/* Attach `file` to a free loop device; its path in dev, fd returned, or -1
 * (and the case is skipped). */
static int loop_attach(const char *file, bool ro, char *dev, size_t len)
{
	struct loop_config cfg;
	int ctl, n, lfd, ffd;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return -1;
	snprintf(dev, len, "/dev/loop%d", n);
	lfd = open(dev, O_RDWR | O_CLOEXEC);
	ffd = open(file, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (unsigned)ffd;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (ro ? LO_FLAGS_READ_ONLY : 0);
	if (lfd < 0 || ffd < 0 || ioctl(lfd, LOOP_CONFIGURE, &cfg) != 0) {
		if (lfd >= 0)
			close(lfd);
		if (ffd >= 0)
			close(ffd);
		return -1;
	}
	close(ffd);
	return lfd; /* closing it detaches (autoclear) once unused */
}

static void test_maps_a_device_like_a_file(void **state)
{
	char file[TH_PATH_MAX], dev[64];
	unsigned char want[4096], got[4096];
	mmapio_file *f = NULL;
	uint64_t now = 0;
	int lfd;

	(void)state;
	th_unique(file, "disk");
	th_pattern_file(file, DEV_SIZE, 7);
	lfd = loop_attach(file, false, dev, sizeof(dev));
	if (lfd < 0)
		th_skip("no loop device here (needs root and "
			"/dev/loop-control)");
	assert_ok(mmapio_open(&f, dev, MMAPIO_RW));
	assert_int_equal(mmapio_size(f), DEV_SIZE);
	th_pread_file(file, 8192, want, sizeof(want));
	assert_ok(mmapio_read(f, 8192, got, sizeof(got)));
	assert_memory_equal(got, want, sizeof(want));
	/* Refresh takes the size the same way: a device is not empty. */
	assert_ok(mmapio_refresh(f, &now));
	assert_int_equal(now, DEV_SIZE);
	memset(want, 0xAB, sizeof(want));
	assert_ok(mmapio_write(f, 4096, want, sizeof(want)));
	assert_ok(mmapio_flush(f));
	assert_rc(mmapio_resize(f, DEV_SIZE * 2), -EINVAL);
	assert_ok(mmapio_close(f));
	close(lfd);
	th_pread_file(file, 4096, got, sizeof(got));
	assert_memory_equal(got, want, sizeof(want));
}

static void test_read_only_device(void **state)
{
	char file[TH_PATH_MAX], dev[64];
	mmapio_file *f = NULL;
	int lfd;

	(void)state;
	th_unique(file, "rodisk");
	th_pattern_file(file, DEV_SIZE, 9);
	lfd = loop_attach(file, true, dev, sizeof(dev));
	if (lfd < 0)
		th_skip("no loop device here (needs root and "
			"/dev/loop-control)");
	assert_rc(mmapio_open(&f, dev, MMAPIO_RW), -EROFS);
	assert_null(f);
	assert_ok(mmapio_open(&f, dev, MMAPIO_RO));
	assert_int_equal(mmapio_size(f), DEV_SIZE);
	assert_ok(mmapio_close(f));
	close(lfd);
}

static void test_character_device_refused(void **state)
{
	mmapio_file *f = NULL;

	(void)state;
	assert_rc(mmapio_open(&f, "/dev/zero", MMAPIO_RO), -ENODEV);
	assert_null(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TH_TEST(test_maps_a_device_like_a_file),
		TH_TEST(test_read_only_device),
		TH_TEST(test_character_device_refused),
	};

	th_init();
	return th_fini(
		cmocka_run_group_tests_name("blockdev", tests, NULL, NULL));
}
