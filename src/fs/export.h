/*
 * export.h - what file handles (name_to_handle_at, an NFS export) need
 * beyond inode numbers.
 *
 * The kernel's FUSE handle is (node id, generation).  Node ids are
 * arithmetic (ino.h), so the same sources mounted again give every object
 * its old number, and the daemon answers a LOOKUP of any number of the
 * mount without having handed it out in this run.  The generation tells
 * a handle from another mount layout apart: a node id can name another
 * object when the sources, their order, a source directory's contents or
 * the chunk size changed, and then the generation differs and the kernel
 * answers ESTALE rather than the other object's bytes.
 */
#ifndef MMAPFS_EXPORT_H
#define MMAPFS_EXPORT_H

#include <stdint.h>

#include "ino.h"
#include "nodes.h"

/*
 * Generation of object `id`: a hash of its node's backing path, its kind
 * and, for an entry, its piece size (the chunk size or the page size),
 * so it is the same in every mount of the same sources.  The root is 0,
 * as the kernel numbers the root inode it makes itself.
 */
uint32_t mmapfs_generation(const struct mmapfs_tree *t,
			   const struct mmapfs_ino *id, uint64_t piece);

#endif /* MMAPFS_EXPORT_H */
