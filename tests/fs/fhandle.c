/*
 * fhandle.c - file handles of the mount, as an NFS server uses them.
 *
 *   fhandle save PATH FILE     name_to_handle_at(PATH) into FILE
 *   fhandle open MOUNT FILE    open_by_handle_at() the handle in FILE on
 *                              the filesystem mounted at MOUNT; print a
 *                              file's bytes, or a directory's names (one
 *                              a line, "." and ".." left out) followed by
 *                              "..: INODE" (its parent, found through the
 *                              opened directory)
 *   fhandle stale MOUNT FILE   open_by_handle_at() fails with ESTALE
 *
 * Exits 0, or 1 with one line on stderr.  A handle is only valid on the
 * filesystem it came from, which for FUSE means the same daemon's
 * answers: the tests save handles, remount, and open them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fhandle: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int cmd_save(const char *path, const char *file)
{
	struct file_handle *fh;
	int mount_id, rc = 1;
	FILE *f;

	fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
	if (fh == NULL)
		return fail("out of memory");
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0) != 0) {
		fail("name_to_handle_at %s: %s", path, strerror(errno));
		goto out;
	}
	f = fopen(file, "wb");
	if (f == NULL) {
		fail("%s: %s", file, strerror(errno));
		goto out;
	}
	if (fwrite(fh, sizeof(*fh) + fh->handle_bytes, 1, f) != 1)
		fail("%s: short write", file);
	else
		rc = 0;
	if (fclose(f) != 0 && rc == 0)
		rc = fail("%s: %s", file, strerror(errno));
out:
	free(fh);
	return rc;
}

static struct file_handle *load(const char *file)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + MAX_HANDLE_SZ);
	FILE *f = fopen(file, "rb");
	size_t n = 0;

	if (fh != NULL && f != NULL)
		n = fread(fh, 1, sizeof(*fh) + MAX_HANDLE_SZ, f);
	if (f != NULL)
		fclose(f);
	if (n < sizeof(*fh) || fh->handle_bytes > MAX_HANDLE_SZ ||
	    n != sizeof(*fh) + fh->handle_bytes) {
		free(fh);
		return NULL;
	}
	return fh;
}

/* Open the handle in `file` on the mount at `mnt`: an fd, or -errno. */
static int open_handle(const char *mnt, const char *file)
{
	struct file_handle *fh = load(file);
	int mfd, fd, err;

	if (fh == NULL)
		return -EINVAL;
	mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0) {
		err = -errno;
		free(fh);
		return err;
	}
	fd = open_by_handle_at(mfd, fh, O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? -errno : fd;
	close(mfd);
	free(fh);
	return err;
}

static int print_file(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return fail("stdout: short write");
	if (n < 0)
		return fail("read: %s", strerror(errno));
	return 0;
}

static int print_dir(int fd)
{
	struct dirent *de;
	struct stat st;
	int pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (pfd < 0 || fstat(pfd, &st) != 0)
		return fail("..: %s", strerror(errno));
	close(pfd);
	d = fdopendir(fd);
	if (d == NULL)
		return fail("fdopendir: %s", strerror(errno));
	errno = 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			printf("%s\n", de->d_name);
	if (errno != 0)
		return fail("readdir: %s", strerror(errno));
	printf("..: %llu\n", (unsigned long long)st.st_ino);
	closedir(d);
	return 0;
}

static int cmd_open(const char *mnt, const char *file)
{
	struct stat st;
	int fd = open_handle(mnt, file), rc;

	if (fd < 0)
		return fail("open_by_handle_at %s: %s", file, strerror(-fd));
	if (fstat(fd, &st) != 0) {
		close(fd);
		return fail("fstat: %s", strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return print_dir(fd); /* closes fd */
	rc = print_file(fd);
	close(fd);
	return rc;
}

static int cmd_stale(const char *mnt, const char *file)
{
	int fd = open_handle(mnt, file);

	if (fd >= 0) {
		close(fd);
		return fail("open_by_handle_at %s: opened, want ESTALE", file);
	}
	if (fd != -ESTALE)
		return fail("open_by_handle_at %s: %s, want ESTALE", file,
			    strerror(-fd));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "save") == 0)
		return cmd_save(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "open") == 0)
		return cmd_open(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "stale") == 0)
		return cmd_stale(argv[2], argv[3]);
	return fail("usage: fhandle save PATH FILE | open MOUNT FILE | "
		    "stale MOUNT FILE");
}
