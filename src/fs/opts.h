/*
 * opts.h - mmapfs's command line, parsed with libfuse's fuse_opt.
 *
 *   mmapfs [options] SOURCE... MOUNTPOINT
 *
 * mmapfs_opts_parse() takes out what belongs to mmapfs (chunk_size, cow,
 * flush, cache, follow_symlinks, uid, gid, umask, the
 * SOURCE and MOUNTPOINT arguments) and leaves everything else in `args`
 * for fuse_parse_cmdline() and fuse_session_new(), adding the mount point
 * back,
 * default_permissions when allow_other is asked for, and fsname (the
 * first SOURCE) and subtype (mmapfs) unless given.
 */
#ifndef MMAPFS_OPTS_H
#define MMAPFS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fuse_opt.h>

#include "mmapio.h"

#define MMAPFS_DEFAULT_CHUNK (1024u * 1024u)
#define MMAPFS_ERR_MAX 512

/* -o cache=: when an entry's cached pages are trusted. */
enum mmapfs_cache_mode {
	MMAPFS_CACHE_KEEP, /* until the backing file is seen to change */
	MMAPFS_CACHE_OPEN, /* reread on every open */
};

struct mmapfs_opts {
	uint64_t chunk_size;
	bool ro;  /* -o ro: read-only mount (also kept for the kernel) */
	bool cow; /* -o cow: private mappings */
	bool allow_other;     /* seen, so default_permissions is added */
	bool follow_symlinks; /* -o follow_symlinks: also outside sources */
	bool fsname_given;    /* -o fsname=: else the first SOURCE */
	bool subtype_given;   /* -o subtype=: else mmapfs */
	enum mmapfs_cache_mode cache;
	bool set_uid, set_gid; /* -o uid=N, -o gid=N given */
	uint32_t uid, gid;     /* owner shown for every object */
	uint32_t umask;	       /* -o umask=OOO: bits cleared (default 0) */
	bool help;	       /* -h/--help: print usage, mount nothing */
	bool version;	       /* -V/--version */
	mmapio_flush_policy flush;

	/* fuse_opt scratch: strings as given, freed by mmapfs_opts_free(). */
	char *chunk_arg;
	char *flush_arg;
	char *cache_arg;
	char *uid_arg;
	char *gid_arg;
	char *umask_arg;

	char **sources; /* SOURCE arguments as given */
	size_t nsources;
	char *mountpoint;

	char err[MMAPFS_ERR_MAX]; /* the one error line, when parsing fails */
};

/*
 * Parse argv-style `args` into `o` (zeroed by the call).  Returns 0, or
 * -EINVAL (a bad argument) or -ENOMEM, with o->err holding one line
 * describing the first problem (empty when libfuse's parser rejected the
 * syntax and printed the line itself).  With o->help or o->version set,
 * SOURCE and MOUNTPOINT are not required.
 */
int mmapfs_opts_parse(struct fuse_args *args, struct mmapfs_opts *o);

/* Free what mmapfs_opts_parse() allocated.  Safe on a zeroed struct. */
void mmapfs_opts_free(struct mmapfs_opts *o);

/*
 * "4096", "64K", "1M", "2G" -> bytes.  Digits only, one optional suffix
 * K, M or G (either case).  Returns 0, or -EINVAL (malformed, zero, more
 * than 2^64 - 1 bytes).
 */
int mmapfs_parse_size(const char *s, uint64_t *out);

/*
 * Check a chunk size: a positive multiple of page_size.  Returns 0 or
 * -EINVAL.
 */
int mmapfs_check_chunk_size(uint64_t chunk, uint64_t page_size);

/*
 * "never", "always", "bytes=N", "writes=N", "interval=MS" (N >= 1,
 * canonical decimal) -> policy.  Returns 0 or -EINVAL.
 */
int mmapfs_parse_flush(const char *s, mmapio_flush_policy *out);

/*
 * A user or group id: canonical decimal below 2^32 - 1 ((uid_t)-1 means
 * "no id" to chown(2)).  Returns 0 or -EINVAL.
 */
int mmapfs_parse_id(const char *s, uint32_t *out);

/*
 * A umask: 1 to 4 octal digits, at most 0777 ("022", "0077", "0").
 * Returns 0 or -EINVAL.
 */
int mmapfs_parse_umask(const char *s, uint32_t *out);

/* Usage text for --help (mmapfs's own part). */
void mmapfs_opts_usage(const char *prog);

#endif /* MMAPFS_OPTS_H */
