/*
 * opts.c - command line parsing with fuse_opt (see opts.h).
 *
 * There is no hand-written parser: fuse_opt_parse() splits "-o a,b,c",
 * and our callback only sees one option or one positional argument at a
 * time.  Anything we do not claim stays in `args` for libfuse, which
 * rejects unknown options itself with one line on stderr.
 */
#include "opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "name.h"

enum {
	KEY_RO,
	KEY_COW,
	KEY_ALLOW_OTHER,
	KEY_FOLLOW,
	KEY_HELP,
	KEY_VERSION,
	KEY_FSNAME,
	KEY_SUBTYPE,
};

static const struct fuse_opt opt_spec[] = {
	{ "chunk_size=%s", offsetof(struct mmapfs_opts, chunk_arg), 0 },
	{ "flush=%s", offsetof(struct mmapfs_opts, flush_arg), 0 },
	{ "cache=%s", offsetof(struct mmapfs_opts, cache_arg), 0 },
	{ "uid=%s", offsetof(struct mmapfs_opts, uid_arg), 0 },
	{ "gid=%s", offsetof(struct mmapfs_opts, gid_arg), 0 },
	{ "umask=%s", offsetof(struct mmapfs_opts, umask_arg), 0 },
	FUSE_OPT_KEY("follow_symlinks", KEY_FOLLOW),
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("cow", KEY_COW),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	FUSE_OPT_KEY("fsname=", KEY_FSNAME),
	FUSE_OPT_KEY("subtype=", KEY_SUBTYPE),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END
};

static void set_err(struct mmapfs_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct mmapfs_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->err[0] != '\0')
		return; /* keep the first problem */
	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
}

static int add_positional(struct mmapfs_opts *o, const char *arg)
{
	char **grown = realloc(o->sources, (o->nsources + 1) * sizeof(*grown));
	char *copy = strdup(arg);

	if (grown == NULL || copy == NULL) {
		free(copy);
		if (grown != NULL)
			o->sources = grown;
		set_err(o, "out of memory");
		return -ENOMEM;
	}
	o->sources = grown;
	o->sources[o->nsources++] = copy;
	return 0;
}

/* fuse_opt callback, with fuse_opt's contract (not errors.h's): 1 keeps
 * the argument for libfuse, 0 drops it, -1 stops the parse. */
static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct mmapfs_opts *o = data;

	(void)outargs;
	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		return add_positional(o, arg) == 0 ? 0 : -1;
	case KEY_RO:
		o->ro = true;
		return 1; /* the kernel makes the mount read-only too */
	case KEY_COW:
		o->cow = true;
		return 0;
	case KEY_FOLLOW:
		o->follow_symlinks = true;
		return 0;
	case KEY_ALLOW_OTHER:
		o->allow_other = true;
		return 1;
	case KEY_FSNAME:
		o->fsname_given = true;
		return 1; /* libfuse's: it hands it to the kernel */
	case KEY_SUBTYPE:
		o->subtype_given = true;
		return 1;
	case KEY_HELP:
		o->help = true;
		return 1;
	case KEY_VERSION:
		o->version = true;
		return 1;
	default:
		return 1;
	}
}

int mmapfs_parse_size(const char *s, uint64_t *out)
{
	uint64_t mult = 1, v;
	size_t n;

	if (s == NULL)
		return -EINVAL;
	n = strlen(s);
	if (n > 0) {
		switch (s[n - 1]) {
		case 'k':
		case 'K':
			mult = (uint64_t)1 << 10;
			n--;
			break;
		case 'm':
		case 'M':
			mult = (uint64_t)1 << 20;
			n--;
			break;
		case 'g':
		case 'G':
			mult = (uint64_t)1 << 30;
			n--;
			break;
		default:
			break;
		}
	}
	if (mmapfs_parse_index(s, n, &v) != 0 || v == 0)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

int mmapfs_check_chunk_size(uint64_t chunk, uint64_t page_size)
{
	if (chunk == 0 || page_size == 0 || chunk % page_size != 0)
		return -EINVAL;
	return 0;
}

static int parse_flush_n(const char *s, const char *prefix, uint64_t *n)
{
	size_t plen = strlen(prefix);

	if (strncmp(s, prefix, plen) != 0)
		return -EINVAL;
	if (mmapfs_parse_index_str(s + plen, n) != 0 || *n == 0)
		return -EINVAL;
	return 0;
}

int mmapfs_parse_flush(const char *s, mmapio_flush_policy *out)
{
	mmapio_flush_policy p = { MMAPIO_FLUSH_NEVER, 0 };

	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "never") == 0)
		p.kind = MMAPIO_FLUSH_NEVER;
	else if (strcmp(s, "always") == 0)
		p.kind = MMAPIO_FLUSH_ALWAYS;
	else if (parse_flush_n(s, "bytes=", &p.n) == 0)
		p.kind = MMAPIO_FLUSH_BYTES;
	else if (parse_flush_n(s, "writes=", &p.n) == 0)
		p.kind = MMAPIO_FLUSH_WRITES;
	else if (parse_flush_n(s, "interval=", &p.n) == 0)
		p.kind = MMAPIO_FLUSH_INTERVAL;
	else
		return -EINVAL;
	*out = p;
	return 0;
}

int mmapfs_parse_id(const char *s, uint32_t *out)
{
	uint64_t v;

	if (mmapfs_parse_index_str(s, &v) != 0 || v >= UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int mmapfs_parse_umask(const char *s, uint32_t *out)
{
	size_t n = s == NULL ? 0 : strlen(s);
	uint32_t v = 0;

	if (n == 0 || n > 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EINVAL;
		v = v * 8 + (uint32_t)(s[i] - '0');
	}
	if (v > 0777)
		return -EINVAL;
	*out = v;
	return 0;
}

/* -o uid=, gid=, umask=: the owner and modes shown.  0 or -EINVAL. */
static int check_owner(struct mmapfs_opts *o)
{
	if (o->uid_arg != NULL) {
		if (mmapfs_parse_id(o->uid_arg, &o->uid) != 0) {
			set_err(o, "bad uid '%s': a number from 0 to %u",
				o->uid_arg, (unsigned)UINT32_MAX - 1);
			return -EINVAL;
		}
		o->set_uid = true;
	}
	if (o->gid_arg != NULL) {
		if (mmapfs_parse_id(o->gid_arg, &o->gid) != 0) {
			set_err(o, "bad gid '%s': a number from 0 to %u",
				o->gid_arg, (unsigned)UINT32_MAX - 1);
			return -EINVAL;
		}
		o->set_gid = true;
	}
	if (o->umask_arg != NULL &&
	    mmapfs_parse_umask(o->umask_arg, &o->umask) != 0) {
		set_err(o, "bad umask '%s': octal, from 0 to 0777",
			o->umask_arg);
		return -EINVAL;
	}
	return 0;
}

/* Values of -o options, checked once everything is collected; 0 or
 * -EINVAL. */
static int check_values(struct mmapfs_opts *o)
{
	long page = sysconf(_SC_PAGESIZE);
	int rc;

	if (o->chunk_arg != NULL) {
		if (mmapfs_parse_size(o->chunk_arg, &o->chunk_size) != 0 ||
		    mmapfs_check_chunk_size(o->chunk_size, (uint64_t)page) !=
			    0) {
			set_err(o,
				"bad chunk_size '%s': must be a positive "
				"multiple of the page size (%ld), with an "
				"optional K, M or G suffix",
				o->chunk_arg, page);
			return -EINVAL;
		}
	}
	if (o->flush_arg != NULL &&
	    mmapfs_parse_flush(o->flush_arg, &o->flush) != 0) {
		set_err(o,
			"bad flush policy '%s': use never, always, "
			"bytes=N, writes=N or interval=MS with N >= 1",
			o->flush_arg);
		return -EINVAL;
	}
	if (o->cache_arg != NULL) {
		if (strcmp(o->cache_arg, "keep") == 0) {
			o->cache = MMAPFS_CACHE_KEEP;
		} else if (strcmp(o->cache_arg, "open") == 0) {
			o->cache = MMAPFS_CACHE_OPEN;
		} else {
			set_err(o, "bad cache mode '%s': use keep or open",
				o->cache_arg);
			return -EINVAL;
		}
	}
	rc = check_owner(o);
	if (rc != 0)
		return rc;
	if (o->ro && o->cow) {
		set_err(o, "options ro and cow exclude each other");
		return -EINVAL;
	}
	return 0;
}

/* Split the positional arguments into SOURCE... and MOUNTPOINT; 0 or
 * -EINVAL. */
static int split_positionals(struct mmapfs_opts *o)
{
	if (o->help || o->version)
		return 0;
	if (o->nsources == 0) {
		set_err(o, "missing SOURCE and MOUNTPOINT (see --help)");
		return -EINVAL;
	}
	if (o->nsources == 1) {
		set_err(o,
			"missing SOURCE or MOUNTPOINT: '%s' alone is not "
			"enough (see --help)",
			o->sources[0]);
		return -EINVAL;
	}
	o->mountpoint = o->sources[--o->nsources];
	o->sources[o->nsources] = NULL;
	return 0;
}

/* "-oNAME=VALUE", with VALUE's commas and backslashes escaped for
 * fuse_opt, which splits -o arguments at unescaped commas.  0 or -ENOMEM
 * (fuse_opt fails only for want of memory). */
static int add_named_opt(struct fuse_args *args, const char *name,
			 const char *value)
{
	char *escaped = NULL, *arg = NULL;
	int rc = -ENOMEM;

	if (fuse_opt_add_opt_escaped(&escaped, value) != 0)
		goto out;
	if (asprintf(&arg, "-o%s=%s", name, escaped) < 0) {
		arg = NULL;
		goto out;
	}
	if (fuse_opt_add_arg(args, arg) == 0)
		rc = 0;
out:
	free(arg);
	free(escaped);
	return rc;
}

/*
 * The names /proc/mounts shows: the source column is the fsname, the type
 * fuse.mmapfs.  util-linux compares an fstab line's source and mount
 * point with them, so that a second `mount -a` knows the line is mounted.
 * The fsname is the first SOURCE resolved (realpath), as given when it
 * cannot be: mount(8) resolves an fstab source before it runs the helper
 * and when it compares, so a mount made by hand with a relative or
 * linked path matches the fstab line too.  -o fsname= and -o subtype=
 * override.  0 or -ENOMEM.
 */
static int add_mount_names(struct fuse_args *args, struct mmapfs_opts *o)
{
	char *real;
	int rc;

	if (o->nsources == 0)
		return 0;
	if (!o->fsname_given) {
		real = realpath(o->sources[0], NULL);
		rc = add_named_opt(args, "fsname",
				   real != NULL ? real : o->sources[0]);
		free(real);
		if (rc != 0)
			return rc;
	}
	if (!o->subtype_given &&
	    fuse_opt_add_arg(args, "-osubtype=mmapfs") != 0)
		return -ENOMEM;
	return 0;
}

int mmapfs_opts_parse(struct fuse_args *args, struct mmapfs_opts *o)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->chunk_size = MMAPFS_DEFAULT_CHUNK;
	o->flush.kind = MMAPIO_FLUSH_NEVER;
	o->cache = MMAPFS_CACHE_KEEP;

	/* On its own errors fuse_opt has already printed the one line;
	 * opt_proc() has set o->err on an allocation failure. */
	if (fuse_opt_parse(args, o, opt_spec, opt_proc) != 0)
		return o->err[0] != '\0' ? -ENOMEM : -EINVAL;
	rc = check_values(o);
	if (rc == 0)
		rc = split_positionals(o);
	if (rc != 0)
		return rc;
	if (o->mountpoint != NULL &&
	    fuse_opt_add_arg(args, o->mountpoint) != 0) {
		set_err(o, "out of memory");
		return -ENOMEM;
	}
	rc = add_mount_names(args, o);
	if (rc != 0) {
		set_err(o, "out of memory");
		return rc;
	}
	/* The kernel then enforces the backing files' modes for others. */
	if (o->allow_other &&
	    fuse_opt_add_arg(args, "-odefault_permissions") != 0) {
		set_err(o, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void mmapfs_opts_free(struct mmapfs_opts *o)
{
	for (size_t i = 0; i < o->nsources; i++)
		free(o->sources[i]);
	free(o->sources);
	free(o->mountpoint);
	free(o->chunk_arg);
	free(o->flush_arg);
	free(o->cache_arg);
	free(o->uid_arg);
	free(o->gid_arg);
	free(o->umask_arg);
	o->sources = NULL;
	o->mountpoint = NULL;
	o->chunk_arg = NULL;
	o->flush_arg = NULL;
	o->cache_arg = NULL;
	o->uid_arg = NULL;
	o->gid_arg = NULL;
	o->umask_arg = NULL;
	o->nsources = 0;
}

void mmapfs_opts_usage(const char *prog)
{
	printf("usage: %s [options] SOURCE... MOUNTPOINT\n\n"
	       "Mount data files as directories of fixed-size views:\n"
	       "  MOUNTPOINT/<name>/chunks/N and MOUNTPOINT/<name>/pages/N\n\n"
	       "mmapfs options:\n"
	       "    -o chunk_size=SIZE     size of chunks/N (default 1M; "
	       "K, M, G suffixes;\n"
	       "                           a multiple of the page size)\n"
	       "    -o ro                  read-only mount\n"
	       "    -o cow                 copy-on-write: writes never reach "
	       "the sources\n"
	       "    -o flush=POLICY        never, always, bytes=N, writes=N, "
	       "interval=MS\n"
	       "                           (default never; fsync is always "
	       "durable)\n"
	       "    -o cache=keep|open     the kernel opens entries and keeps "
	       "their pages until\n"
	       "                           the source is seen to change "
	       "(default), or every\n"
	       "                           open reaches the daemon and "
	       "rereads\n"
	       "    -o follow_symlinks     follow symbolic links in a source "
	       "directory that\n"
	       "                           point outside it (to files only)"
	       "\n"
	       "    -o uid=N, -o gid=N     owner and group shown for every "
	       "entry and directory\n"
	       "                           (default: the backing file's)\n"
	       "    -o umask=OOO           mode bits cleared on every entry "
	       "and directory\n"
	       "    -o fsname=NAME         source column of /proc/mounts "
	       "(default: the first\n"
	       "                           SOURCE); -o subtype= (default "
	       "mmapfs)\n\n",
	       prog);
}
