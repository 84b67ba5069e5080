/*
 * testhooks.c - the test daemon's hooks (see testhooks.h).  Compiled only
 * into mmapfs-test.
 */
#include "testhooks.h"

#include <stdlib.h>
#include <time.h>

#include "log.h"

/* Set once before the session starts, read-only afterwards. */
static unsigned write_delay_ms;

void mmapfs_test_hooks_init(void)
{
	const char *v = getenv("MMAPFS_TEST_WRITE_DELAY_MS");

	if (v == NULL)
		return;
	write_delay_ms = (unsigned)strtoul(v, NULL, 10);
	log_info("test hook: each WRITE is held %u ms", write_delay_ms);
}

void mmapfs_test_write_delay(void)
{
	struct timespec t = { .tv_sec = write_delay_ms / 1000,
			      .tv_nsec = write_delay_ms % 1000 * 1000000L };

	if (write_delay_ms != 0)
		nanosleep(&t, NULL);
}
