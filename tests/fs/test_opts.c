/*
 * test_opts.c - command line parsing through fuse_opt: our options are
 * taken out, libfuse's are left in, every bad value gives one message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "opts.h"

/* Parse a NULL-terminated argv; returns the result, keeps args. */
static int parse(struct fuse_args *args, struct mmapfs_opts *o,
		 const char **argv)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	*args = (struct fuse_args)FUSE_ARGS_INIT(0, NULL);
	for (int i = 0; i < argc; i++)
		assert_int_equal(fuse_opt_add_arg(args, argv[i]), 0);
	return mmapfs_opts_parse(args, o);
}

/* `mmapfs -o opt src mnt`, parsed. */
static int parse_o(struct fuse_args *args, struct mmapfs_opts *o,
		   const char *opt)
{
	const char *argv[] = { "mmapfs", "-o", opt, "src", "mnt", NULL };

	return parse(args, o, argv);
}

static bool has_arg(const struct fuse_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return true;
	return false;
}

static void defaults_and_positionals(void **state)
{
	const char *argv[] = { "mmapfs", "a", "b", "mnt", NULL };
	struct fuse_args args;
	struct mmapfs_opts o;

	(void)state;
	assert_int_equal(parse(&args, &o, argv), 0);
	assert_true(o.chunk_size == 1024 * 1024);
	assert_int_equal(o.nsources, 2);
	assert_string_equal(o.sources[0], "a");
	assert_string_equal(o.sources[1], "b");
	assert_string_equal(o.mountpoint, "mnt");
	assert_int_equal(o.flush.kind, MMAPIO_FLUSH_NEVER);
	assert_false(o.ro || o.cow);
	assert_true(has_arg(&args, "mnt")); /* handed back to libfuse */
	assert_false(has_arg(&args, "a"));
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);
}

static void our_options_taken_fuse_options_kept(void **state)
{
	const char *argv[] = {
		"mmapfs", "-f",
		"-o",	  "chunk_size=64K,cow,flush=bytes=4096,fsname=x",
		"-o",	  "allow_other",
		"src",	  "mnt",
		NULL
	};
	struct fuse_args args;
	struct mmapfs_opts o;

	(void)state;
	assert_int_equal(parse(&args, &o, argv), 0);
	assert_true(o.chunk_size == 64 * 1024);
	assert_true(o.cow);
	assert_int_equal(o.flush.kind, MMAPIO_FLUSH_BYTES);
	assert_true(o.flush.n == 4096);
	assert_true(o.allow_other);
	assert_true(has_arg(&args, "-f"));
	assert_true(has_arg(&args, "-odefault_permissions"));
	for (int i = 0; i < args.argc; i++) {
		assert_null(strstr(args.argv[i], "chunk_size"));
		assert_null(strstr(args.argv[i], "cow"));
	}
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);
}

static void bad_command_lines(void **state)
{
	static const char *const cases[][6] = {
		{ "mmapfs", NULL },
		{ "mmapfs", "mnt", NULL },
		{ "mmapfs", "-o", "chunk_size=0", "a", "mnt", NULL },
		{ "mmapfs", "-o", "chunk_size=1000", "a", "mnt", NULL },
		{ "mmapfs", "-o", "chunk_size=-4K", "a", "mnt", NULL },
		{ "mmapfs", "-o", "chunk_size=4X", "a", "mnt", NULL },
		{ "mmapfs", "-o", "chunk_size=", "a", "mnt", NULL },
		{ "mmapfs", "-o", "chunk_size=99999999999999G", "a", "mnt",
		  NULL },
		{ "mmapfs", "-o", "flush=sometimes", "a", "mnt", NULL },
		{ "mmapfs", "-o", "flush=bytes=0", "a", "mnt", NULL },
		{ "mmapfs", "-o", "flush=interval=", "a", "mnt", NULL },
		{ "mmapfs", "-o", "ro,cow", "a", "mnt", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_args args;
		struct mmapfs_opts o;

		assert_int_equal(parse(&args, &o, (const char **)cases[i]),
				 -EINVAL);
		assert_true(o.err[0] != '\0');
		assert_null(strchr(o.err, '\n')); /* one line */
		mmapfs_opts_free(&o);
		fuse_opt_free_args(&args);
	}
}

/* Whether an argument left for libfuse mentions `s`. */
static bool args_mention(const struct fuse_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strstr(a->argv[i], s) != NULL)
			return true;
	return false;
}

static void cache_defaults(void **state)
{
	const char *argv[] = { "mmapfs", "src", "mnt", NULL };
	struct fuse_args args;
	struct mmapfs_opts o;

	(void)state;
	assert_int_equal(parse(&args, &o, argv), 0);
	assert_int_equal(o.cache, MMAPFS_CACHE_KEEP);
	assert_false(o.follow_symlinks);
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);
}

static void cache_options(void **state)
{
	static const struct {
		const char *opt;
		enum mmapfs_cache_mode mode;
	} cases[] = {
		{ "cache=open", MMAPFS_CACHE_OPEN },
		{ "cache=keep", MMAPFS_CACHE_KEEP },
		/* the last one given wins */
		{ "cache=open,cache=keep", MMAPFS_CACHE_KEEP },
		{ "cache=keep,cache=open", MMAPFS_CACHE_OPEN },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_args args;
		struct mmapfs_opts o;

		assert_int_equal(parse_o(&args, &o, cases[i].opt), 0);
		assert_int_equal(o.cache, cases[i].mode);
		assert_false(args_mention(&args, "cache"));
		assert_false(has_arg(&args, "-o")); /* nothing left of it */
		assert_true(has_arg(&args, "mnt"));
		mmapfs_opts_free(&o);
		fuse_opt_free_args(&args);
	}
}

static void follow_symlinks(void **state)
{
	const char *argv[] = {
		"mmapfs", "-o",	 "follow_symlinks,cache=open,fsname=x",
		"src",	  "mnt", NULL
	};
	struct fuse_args args;
	struct mmapfs_opts o;

	(void)state;
	assert_int_equal(parse(&args, &o, argv), 0);
	assert_true(o.follow_symlinks);
	assert_int_equal(o.cache, MMAPFS_CACHE_OPEN);
	assert_false(o.ro || o.cow);
	assert_false(args_mention(&args, "follow_symlinks"));
	assert_false(args_mention(&args, "cache"));
	assert_true(args_mention(&args, "fsname=x")); /* libfuse's, kept */
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);
}

static void bad_cache_values(void **state)
{
	static const struct {
		const char *opt, *value;
	} cases[] = {
		{ "cache=foo", "'foo'" },
		{ "cache=", "''" },
		{ "cache=KEEP", "'KEEP'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_args args;
		struct mmapfs_opts o;

		if (parse_o(&args, &o, cases[i].opt) != -EINVAL)
			fail_msg("'%s' was accepted", cases[i].opt);
		assert_true(o.err[0] != '\0');
		assert_null(strchr(o.err, '\n')); /* one line */
		/* It names the option and the value given. */
		assert_non_null(strstr(o.err, "cache"));
		if (strstr(o.err, cases[i].value) == NULL)
			fail_msg("'%s': \"%s\" does not name %s", cases[i].opt,
				 o.err, cases[i].value);
		mmapfs_opts_free(&o);
		fuse_opt_free_args(&args);
	}
}

/* The value libfuse gets for `-o name=...`, unescaped; NULL if none. */
static const char *fuse_value(const struct fuse_args *a, const char *name,
			      char *buf, size_t len)
{
	size_t n = strlen(name);

	for (int i = 0; i < a->argc; i++) {
		const char *v = a->argv[i];
		size_t j = 0;

		if (strncmp(v, "-o", 2) != 0 || strncmp(v + 2, name, n) != 0 ||
		    v[2 + n] != '=')
			continue;
		for (v += 3 + n; *v != '\0' && j + 1 < len; v++)
			if (*v != '\\' || *++v != '\0')
				buf[j++] = *v;
		buf[j] = '\0';
		return buf;
	}
	return NULL;
}

static void owner_options(void **state)
{
	static const struct {
		const char *opt;
		bool set_uid, set_gid;
		uint32_t uid, gid, umask;
	} cases[] = {
		{ "uid=1000", true, false, 1000, 0, 0 },
		{ "gid=0", false, true, 0, 0, 0 },
		{ "uid=0,gid=4294967294", true, true, 0, 4294967294u, 0 },
		{ "umask=022", false, false, 0, 0, 022 },
		{ "umask=0077", false, false, 0, 0, 077 },
		{ "umask=0", false, false, 0, 0, 0 },
		{ "umask=777", false, false, 0, 0, 0777 },
		{ "uid=5,umask=027,gid=6", true, true, 5, 6, 027 },
		{ "uid=5,uid=7", true, false, 7, 0, 0 }, /* the last one wins */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_args args;
		struct mmapfs_opts o;

		if (parse_o(&args, &o, cases[i].opt) != 0)
			fail_msg("'%s' refused: %s", cases[i].opt, o.err);
		assert_int_equal(o.set_uid, cases[i].set_uid);
		assert_int_equal(o.set_gid, cases[i].set_gid);
		assert_true(o.uid == cases[i].uid);
		assert_true(o.gid == cases[i].gid);
		assert_true(o.umask == cases[i].umask);
		/* ours: libfuse would call them unknown */
		assert_false(args_mention(&args, "uid="));
		assert_false(args_mention(&args, "gid="));
		assert_false(args_mention(&args, "umask"));
		mmapfs_opts_free(&o);
		fuse_opt_free_args(&args);
	}
}

static void bad_owner_values(void **state)
{
	static const struct {
		const char *opt, *word;
	} cases[] = {
		{ "uid=", "uid ''" },
		{ "uid=-1", "uid '-1'" },
		{ "uid=4294967295", "uid '4294967295'" },
		{ "uid=99999999999", "uid '99999999999'" },
		{ "uid=root", "uid 'root'" },
		{ "uid=01", "uid '01'" },
		{ "gid=x", "gid 'x'" },
		{ "gid=1.5", "gid '1.5'" },
		{ "umask=", "umask ''" },
		{ "umask=8", "umask '8'" },
		{ "umask=0800", "umask '0800'" },
		{ "umask=00777", "umask '00777'" },
		{ "umask=0x22", "umask '0x22'" },
		{ "umask=-22", "umask '-22'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_args args;
		struct mmapfs_opts o;

		if (parse_o(&args, &o, cases[i].opt) != -EINVAL)
			fail_msg("'%s' was accepted", cases[i].opt);
		assert_null(strchr(o.err, '\n')); /* one line */
		if (strstr(o.err, cases[i].word) == NULL)
			fail_msg("'%s': \"%s\" does not name %s", cases[i].opt,
				 o.err, cases[i].word);
		mmapfs_opts_free(&o);
		fuse_opt_free_args(&args);
	}
}

static void mount_names(void **state)
{
	const char *plain[] = { "mmapfs", "/no/such/a,b\\c", "x", "mnt", NULL };
	const char *given[] = { "mmapfs", "-o",	 "fsname=mine,subtype=other",
				"src",	  "mnt", NULL };
	char cwd[4096], buf[4200];
	struct fuse_args args;
	struct mmapfs_opts o;

	(void)state;
	/* The first source, escaped for fuse_opt; kept as given when it
	 * cannot be resolved. */
	assert_int_equal(parse(&args, &o, plain), 0);
	assert_non_null(fuse_value(&args, "fsname", buf, sizeof(buf)));
	assert_string_equal(buf, "/no/such/a,b\\c");
	assert_non_null(fuse_value(&args, "subtype", buf, sizeof(buf)));
	assert_string_equal(buf, "mmapfs");
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);

	/* Given: kept, and no default added. */
	assert_int_equal(parse(&args, &o, given), 0);
	assert_true(args_mention(&args, "fsname=mine"));
	assert_false(args_mention(&args, "fsname=src"));
	assert_false(args_mention(&args, "subtype=mmapfs"));
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);

	/* A source that exists is resolved, as mount(8) resolves it. */
	{
		const char *rel[] = { "mmapfs", ".", "mnt", NULL };

		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(parse(&args, &o, rel), 0);
		assert_non_null(fuse_value(&args, "fsname", buf, sizeof(buf)));
		assert_string_equal(buf, cwd);
		mmapfs_opts_free(&o);
		fuse_opt_free_args(&args);
	}
}

static void help_needs_no_positionals(void **state)
{
	const char *argv[] = { "mmapfs", "--help", NULL };
	struct fuse_args args;
	struct mmapfs_opts o;

	(void)state;
	assert_int_equal(parse(&args, &o, argv), 0);
	assert_true(o.help);
	mmapfs_opts_free(&o);
	fuse_opt_free_args(&args);
}

static void sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(mmapfs_parse_size("4096", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(mmapfs_parse_size("4k", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(mmapfs_parse_size("2M", &v), 0);
	assert_true(v == 2u << 20);
	assert_int_equal(mmapfs_parse_size("1G", &v), 0);
	assert_true(v == 1u << 30);
	assert_int_equal(mmapfs_parse_size("K", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_size("0K", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_size("1KB", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_size(" 1K", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_size("17179869184G", &v), -EINVAL);
	assert_int_equal(mmapfs_check_chunk_size(8192, 4096), 0);
	assert_int_equal(mmapfs_check_chunk_size(6144, 4096), -EINVAL);
	assert_int_equal(mmapfs_check_chunk_size(0, 4096), -EINVAL);
}

static void flush_policies(void **state)
{
	mmapio_flush_policy p;

	(void)state;
	assert_int_equal(mmapfs_parse_flush("never", &p), 0);
	assert_int_equal(p.kind, MMAPIO_FLUSH_NEVER);
	assert_int_equal(mmapfs_parse_flush("always", &p), 0);
	assert_int_equal(p.kind, MMAPIO_FLUSH_ALWAYS);
	assert_int_equal(mmapfs_parse_flush("writes=3", &p), 0);
	assert_int_equal(p.kind, MMAPIO_FLUSH_WRITES);
	assert_true(p.n == 3);
	assert_int_equal(mmapfs_parse_flush("interval=250", &p), 0);
	assert_int_equal(p.kind, MMAPIO_FLUSH_INTERVAL);
	assert_true(p.n == 250);
	assert_int_equal(mmapfs_parse_flush("bytes=01", &p), -EINVAL);
	assert_int_equal(mmapfs_parse_flush("Never", &p), -EINVAL);
	assert_int_equal(mmapfs_parse_flush("writes", &p), -EINVAL);
	assert_int_equal(mmapfs_parse_flush("", &p), -EINVAL);
}

static void ids_and_umasks(void **state)
{
	uint32_t v = 7;

	(void)state;
	assert_int_equal(mmapfs_parse_id("1000", &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(mmapfs_parse_id("4294967294", &v), 0);
	assert_int_equal(mmapfs_parse_id("4294967295", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_id("01", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_id(NULL, &v), -EINVAL);
	assert_int_equal(mmapfs_parse_umask("022", &v), 0);
	assert_int_equal(v, 022);
	assert_int_equal(mmapfs_parse_umask("0777", &v), 0);
	assert_int_equal(v, 0777);
	assert_int_equal(mmapfs_parse_umask("0800", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_umask("00777", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_umask("", &v), -EINVAL);
	assert_int_equal(mmapfs_parse_umask(NULL, &v), -EINVAL);
	assert_int_equal(v, 0777); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_and_positionals),
		cmocka_unit_test(our_options_taken_fuse_options_kept),
		cmocka_unit_test(bad_command_lines),
		cmocka_unit_test(cache_defaults),
		cmocka_unit_test(cache_options),
		cmocka_unit_test(follow_symlinks),
		cmocka_unit_test(bad_cache_values),
		cmocka_unit_test(owner_options),
		cmocka_unit_test(bad_owner_values),
		cmocka_unit_test(mount_names),
		cmocka_unit_test(help_needs_no_positionals),
		cmocka_unit_test(sizes),
		cmocka_unit_test(flush_policies),
		cmocka_unit_test(ids_and_umasks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
