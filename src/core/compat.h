/*
 * compat.h - kernel and libc version shims, kept out of the logic.
 */
#ifndef MMAPIO_COMPAT_H
#define MMAPIO_COMPAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fault [addr, addr + len) (page aligned) into the page tables for reading.
 * MADV_POPULATE_READ where the kernel has it (5.14+), else a guarded touch
 * of every page.  Returns 0, -EIO (a page the file does not back) or
 * -ENOMEM.
 */
int mmapio__populate_read(uint8_t *addr, size_t len);

/* A static description of a positive errno value, or NULL if unknown. */
const char *mmapio__errno_text(int err);

#endif /* MMAPIO_COMPAT_H */
