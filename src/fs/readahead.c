/*
 * readahead.c - bdi readahead of the mount (see readahead.h).
 */
#include "readahead.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* Device "MAJ:MIN" of the last mount at `mountpoint`; 0 or -ENOENT. */
static int find_dev(const char *mountpoint, char *dev, size_t devlen)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char majmin[64], mnt[4096];

		if (sscanf(line, "%*s %*s %63s %*s %4095s", majmin, mnt) != 2)
			continue;
		unescape(mnt);
		if (strcmp(mnt, mountpoint) == 0) {
			snprintf(dev, devlen, "%s", majmin);
			rc = 0; /* keep going: the last one is on top */
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int mmapfs_raise_readahead(const char *mountpoint, unsigned kb)
{
	char dev[64], path[128], val[32];
	int fd, rc, n;
	ssize_t w;

	rc = find_dev(mountpoint, dev, sizeof(dev));
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(val, sizeof(val), "%u\n", kb);
	w = write(fd, val, (size_t)n);
	rc = w == n ? 0 : w < 0 ? -errno : -EIO; /* short: errno is not set */
	close(fd);
	return rc;
}
