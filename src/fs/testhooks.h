/*
 * testhooks.h - switches the mount tests use to widen race windows.
 *
 * They exist only in the test daemon, mmapfs-test (built from the same
 * sources with -DMMAPFS_TEST_HOOKS and never installed).  In the installed
 * daemon every hook below is an empty inline function: the request paths
 * hold no test code, and the binary reads no test variable from its
 * environment.
 *
 * Environment read by mmapfs-test at start-up:
 *   MMAPFS_TEST_WRITE_DELAY_MS  each WRITE waits this long before it
 *       reaches the mapping, and again after its reply (coherence.c,
 *       rule 8: widens the window in which the kernel holds a written
 *       page the mapping does not have yet).
 */
#ifndef MMAPFS_TESTHOOKS_H
#define MMAPFS_TESTHOOKS_H

#ifdef MMAPFS_TEST_HOOKS

/* Read the hooks' settings from the environment (once, before serving). */
void mmapfs_test_hooks_init(void);

/* Hold a WRITE for MMAPFS_TEST_WRITE_DELAY_MS (0: return at once). */
void mmapfs_test_write_delay(void);

#else

static inline void mmapfs_test_hooks_init(void)
{
}

static inline void mmapfs_test_write_delay(void)
{
}

#endif /* MMAPFS_TEST_HOOKS */

#endif /* MMAPFS_TESTHOOKS_H */
