/*
 * readahead.h - larger kernel readahead for the mount.
 *
 * The kernel starts a FUSE mount with 128 KiB readahead and the INIT
 * reply can only lower it.  Sequential reads then come in 128 KiB
 * requests.  The mount's bdi (/sys/class/bdi/MAJ:MIN/read_ahead_kb) can be
 * raised after mounting, giving 1 MiB requests.  Linux-only, needs root;
 * failure only costs speed.
 */
#ifndef MMAPFS_READAHEAD_H
#define MMAPFS_READAHEAD_H

/*
 * Set the readahead of the filesystem mounted at `mountpoint` (absolute)
 * to `kb` KiB.  Finds the device number in /proc/self/mountinfo so that
 * no request is sent to the not yet running session.  Returns 0 or a
 * negative errno.
 */
int mmapfs_raise_readahead(const char *mountpoint, unsigned kb);

#endif /* MMAPFS_READAHEAD_H */
