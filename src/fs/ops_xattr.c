/*
 * ops_xattr.c - read-only extended attributes describing an object:
 *   user.mmapfs.offset   entry's first byte in the backing file (entries)
 *   user.mmapfs.length   entry's length in bytes (entries)
 *   user.mmapfs.source   absolute path of the backing file or directory
 * They are computed, not stored, so they cannot be set or removed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

#define XA_OFFSET "user.mmapfs.offset"
#define XA_LENGTH "user.mmapfs.length"
#define XA_SOURCE "user.mmapfs.source"

/* The names an object carries, as listxattr wants them. */
static const char entry_names[] = XA_OFFSET "\0" XA_LENGTH "\0" XA_SOURCE;
static const char node_names[] = XA_SOURCE;

/* Reply with `len` bytes of `data` following the xattr size protocol. */
static void reply_value(fuse_req_t req, const char *data, size_t len,
			size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		mmapfs_reply_fail(req, MMAPFS_E_XATTR_SMALL);
	else
		fuse_reply_buf(req, data, len);
}

/* Decode ino into *id: true, or false when no object has that number,
 * after the reply to req. */
static bool decode_or_reply(fuse_req_t req, fuse_ino_t ino,
			    struct mmapfs_ino *id)
{
	struct mmapfs *fs = fs_of(req);

	if (mmapfs_ino_decode(&fs->layout, ino, id) != 0) {
		mmapfs_reply_fail(req, MMAPFS_E_NO_ENTRY);
		return false;
	}
	return true;
}

/* Value of offset or length of an entry, into buf; 0 or a negative errno
 * (ops.h). */
static int entry_number(struct mmapfs *fs, const struct mmapfs_ino *id,
			bool want_off, char *buf, size_t bufsize)
{
	uint64_t off, len;
	mmapio_file *mf;
	int err = mmapfs_entry_get(fs, id, &mf, &off, &len);

	if (err != 0)
		return err;
	mmapfs_files_put(&fs->files, id->node);
	snprintf(buf, bufsize, "%" PRIu64, want_off ? off : len);
	return 0;
}

void mmapfs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	struct mmapfs *fs = fs_of(req);
	const char *path;
	struct mmapfs_ino id;
	char num[32];
	int err;

	if (strncmp(name, "user.", 5) != 0) {
		mmapfs_reply_fail(req, MMAPFS_E_XATTR_SPACE);
		return;
	}
	if (!decode_or_reply(req, ino, &id))
		return;
	/* A barrier for outside changes (coherence.c, rule 7). */
	mmapfs_co_settle(&fs->co);
	path = fs->tree.nodes[id.node].path;
	if (strcmp(name, XA_SOURCE) == 0 && path != NULL) {
		reply_value(req, path, strlen(path), size);
		return;
	}
	if (!mmapfs_kind_is_entry(id.kind) ||
	    (strcmp(name, XA_OFFSET) != 0 && strcmp(name, XA_LENGTH) != 0)) {
		mmapfs_reply_fail(req, MMAPFS_E_XATTR_NONE);
		return;
	}
	err = entry_number(fs, &id, strcmp(name, XA_OFFSET) == 0, num,
			   sizeof(num));
	if (err != 0)
		fuse_reply_err(req, -err);
	else
		reply_value(req, num, strlen(num), size);
}

void mmapfs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct mmapfs *fs = fs_of(req);
	struct mmapfs_ino id;

	if (!decode_or_reply(req, ino, &id))
		return;
	if (mmapfs_kind_is_entry(id.kind))
		reply_value(req, entry_names, sizeof(entry_names), size);
	else if (fs->tree.nodes[id.node].path != NULL)
		reply_value(req, node_names, sizeof(node_names), size);
	else
		reply_value(req, "", 0, size);
}

void mmapfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	(void)ino;
	(void)name;
	(void)value;
	(void)size;
	(void)flags;
	mmapfs_reply_fail(req, MMAPFS_E_XATTR_SET);
}

void mmapfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino;
	(void)name;
	mmapfs_reply_fail(req, MMAPFS_E_XATTR_SET);
}
