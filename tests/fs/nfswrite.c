/*
 * nfswrite.c - write bytes into an existing file through NFS, with
 * libnfs (built by t_nfs.sh against the installed libnfs-dev).
 *
 *   nfswrite URL OFFSET FILE
 *
 * Opens URL's file for writing without creating it (nfs-cp creates its
 * target, which a mount that refuses create cannot serve), writes FILE's
 * bytes at OFFSET (at most 1 MiB, in pieces of 2 KiB), commits them
 * (fsync) and closes.  Exits 0, or 1 with
 * one line on stderr.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfsc/libnfs.h>

#define MAX_BYTES (1 << 20)
/* libnfs 4.0's NFSv4 client fails to encode a WRITE of about 4000 bytes
 * or more ("Failed to encode COMPOUND4args"): write in smaller pieces. */
#define PIECE 2048

static int read_file(const char *path, char *buf, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	*len = fread(buf, 1, MAX_BYTES, f);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct nfs_context *nfs;
	struct nfs_url *url = NULL;
	struct nfsfh *fh = NULL;
	static char buf[MAX_BYTES];
	unsigned long long off;
	size_t len = 0;
	int rc = 1, n;

	if (argc != 4) {
		fprintf(stderr, "usage: nfswrite URL OFFSET FILE\n");
		return 1;
	}
	if (read_file(argv[3], buf, &len) != 0) {
		fprintf(stderr, "nfswrite: cannot read %s\n", argv[3]);
		return 1;
	}
	off = strtoull(argv[2], NULL, 10);
	nfs = nfs_init_context();
	if (nfs == NULL) {
		fprintf(stderr, "nfswrite: no NFS context\n");
		return 1;
	}
	url = nfs_parse_url_full(nfs, argv[1]);
	if (url == NULL) {
		fprintf(stderr, "nfswrite: %s\n", nfs_get_error(nfs));
		goto out;
	}
	if (nfs_mount(nfs, url->server, url->path) != 0 ||
	    nfs_open(nfs, url->file, O_WRONLY, &fh) != 0) {
		fprintf(stderr, "nfswrite: %s\n", nfs_get_error(nfs));
		goto out;
	}
	for (size_t done = 0; done < len; done += (size_t)n) {
		size_t piece = len - done < PIECE ? len - done : PIECE;

		n = nfs_pwrite(nfs, fh, off + done, piece, buf + done);
		if (n <= 0) {
			fprintf(stderr, "nfswrite: write at %llu: %s\n",
				(unsigned long long)(off + done),
				nfs_get_error(nfs));
			goto out;
		}
	}
	if (nfs_fsync(nfs, fh) != 0) {
		fprintf(stderr, "nfswrite: fsync: %s\n", nfs_get_error(nfs));
		goto out;
	}
	rc = 0;
out:
	if (fh != NULL && nfs_close(nfs, fh) != 0 && rc == 0) {
		fprintf(stderr, "nfswrite: close: %s\n", nfs_get_error(nfs));
		rc = 1;
	}
	if (url != NULL)
		nfs_destroy_url(url);
	nfs_destroy_context(nfs);
	return rc;
}
