/*
 * fuzz_opts.c - libFuzzer target for the command-line parser
 * (src/fs/opts.c): mmapfs_opts_parse(), mmapfs_parse_size() and
 * mmapfs_parse_flush().
 *
 * The input is split at NUL bytes into argv[1..] (argv[0] is "mmapfs").
 * Whatever the arguments, parsing must not crash or leak
 * (LeakSanitizer), a failure must leave at most one line in o.err (empty
 * when libfuse's parser printed its own line; the one-line check is made
 * when no argument holds a newline: messages quote arguments verbatim, a
 * known problem that tests/hardening/t_sources.sh checks on its own), and a
 * success must leave a consistent result: a positive chunk size that is a
 * multiple of the page size, never ro and cow together, a mount point and
 * at least one source (unless --help or --version).  The size and flush
 * parsers are checked against what they accept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static void check_parse(const char *buf, size_t size)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct mmapfs_opts o;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	size_t start = 0;
	int n = 0, rc;

	if (fuse_opt_add_arg(&args, "mmapfs") != 0)
		abort();
	for (size_t i = 0; i <= size && n < MAX_ARGS; i++) {
		if (i == size || buf[i] == '\0') {
			if (fuse_opt_add_arg(&args, buf + start) != 0)
				abort();
			n++;
			start = i + 1;
		}
	}
	rc = mmapfs_opts_parse(&args, &o);
	if (rc != 0) {
		size_t len = strnlen(o.err, sizeof(o.err));

		if (len == sizeof(o.err) || (memchr(buf, '\n', size) == NULL &&
					     memchr(o.err, '\n', len) != NULL))
			abort();
	} else {
		if (o.chunk_size == 0 || o.chunk_size % page != 0)
			abort();
		if (o.ro && o.cow)
			abort();
		if (!o.help && !o.version &&
		    (o.mountpoint == NULL || o.nsources == 0))
			abort();
		for (size_t i = 0; i < o.nsources; i++)
			if (o.sources[i] == NULL)
				abort();
	}
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);
}

/* What mmapfs_parse_size() accepts: [1-9][0-9]*[kKmMgG]?, no overflow. */
static void check_size(const char *s)
{
	uint64_t v, mult = 1, base = 0;
	size_t n = strlen(s);
	int rc = mmapfs_parse_size(s, &v);

	if (n > 0 && strchr("kKmMgG", s[n - 1]) != NULL) {
		char c = s[n - 1];

		mult = c == 'k' || c == 'K'   ? 1u << 10
		       : c == 'm' || c == 'M' ? 1u << 20
					      : 1u << 30;
		n--;
	}
	if (rc != 0)
		return;
	if (n == 0 || s[0] == '0')
		abort();
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			abort();
		base = base * 10 + (uint64_t)(s[i] - '0');
	}
	if (base == 0 || v != base * mult || v / mult != base)
		abort();
}

static void check_flush(const char *s)
{
	mmapio_flush_policy p;

	if (mmapfs_parse_flush(s, &p) != 0)
		return;
	switch (p.kind) {
	case MMAPIO_FLUSH_NEVER:
		if (strcmp(s, "never") != 0)
			abort();
		break;
	case MMAPIO_FLUSH_ALWAYS:
		if (strcmp(s, "always") != 0)
			abort();
		break;
	case MMAPIO_FLUSH_BYTES:
	case MMAPIO_FLUSH_WRITES:
	case MMAPIO_FLUSH_INTERVAL:
		if (p.n == 0 || strchr(s, '=') == NULL)
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	check_parse(buf, size);
	check_size(buf);
	check_flush(buf);
	free(buf);
	return 0;
}
