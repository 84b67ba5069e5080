/*
 * ino.h - inode numbers are arithmetic.
 *
 * Every object in the mount is (node, kind, index):
 *   node   the directory node it belongs to: 0 is the mount's root, then
 *          one node per mirrored directory and per data file (nodes.h);
 *   kind   the node's own directory, its chunks/ or pages/ directory, or a
 *          chunk or page entry;
 *   index  the entry number for chunk and page entries, else 0.
 *
 * Layout of the 64-bit number, most significant bit first:
 *
 *   0 | index (index_bits) | kind (3 bits) | node (node_bits)   then + 1
 *
 * node_bits is just wide enough for the number of nodes of this mount, so
 * index_bits = 60 - node_bits: a mount of 10,000 files still numbers 2^46
 * entries per view (a 256 PiB file in 4 KiB pages).  The node sits in
 * the low bits because the kernel hashes FUSE inode numbers weakly: with
 * the node on top, the directories of 10,000 files all fell into one hash
 * chain and every lookup walked it.  The "+ 1" makes the root (0, NODE, 0)
 * FUSE_ROOT_ID; the top bit stays clear so tools that keep inode numbers
 * in signed 64-bit integers are safe.  Decoding checks every field, so a
 * forged or stale number never indexes past a table.
 * Nothing is stored per entry: lookup(), getattr() and readdir() compute
 * the numbers, and forget() has nothing to free.
 */
#ifndef MMAPFS_INO_H
#define MMAPFS_INO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mmapfs_kind {
	MMAPFS_K_NODE = 0,   /* root, a mirrored directory, or <name>/ */
	MMAPFS_K_CHUNKS = 1, /* <name>/chunks/ */
	MMAPFS_K_PAGES = 2,  /* <name>/pages/ */
	MMAPFS_K_CHUNK = 3,  /* <name>/chunks/N */
	MMAPFS_K_PAGE = 4,   /* <name>/pages/N */
};

struct mmapfs_ino {
	uint32_t node;
	enum mmapfs_kind kind;
	uint64_t index;
};

struct mmapfs_layout {
	uint32_t nnodes;
	unsigned node_bits;
	unsigned index_bits;
};

/* Bucket of inode number `ino` in a hash table of nbuckets (a power of
 * two) buckets.  Inode numbers of one file differ in their high bits:
 * they are mixed first (cached.c, times.c). */
static inline size_t mmapfs_ino_bucket(uint64_t ino, size_t nbuckets)
{
	ino ^= ino >> 33;
	ino *= 0xff51afd7ed558ccdULL;
	ino ^= ino >> 33;
	return (size_t)(ino & (nbuckets - 1));
}

/* Lay out numbers for nnodes (>= 1) nodes. */
void mmapfs_layout_init(struct mmapfs_layout *l, uint32_t nnodes);

/* Largest index representable (entries past it do not exist). */
uint64_t mmapfs_layout_max_index(const struct mmapfs_layout *l);

/* Encode; the caller guarantees node < nnodes, index <= max_index. */
uint64_t mmapfs_ino_encode(const struct mmapfs_layout *l,
			   const struct mmapfs_ino *in);

/* Decode; returns 0, or -ENOENT for a number no object of this mount has. */
int mmapfs_ino_decode(const struct mmapfs_layout *l, uint64_t ino,
		      struct mmapfs_ino *out);

static inline bool mmapfs_kind_is_entry(enum mmapfs_kind k)
{
	return k == MMAPFS_K_CHUNK || k == MMAPFS_K_PAGE;
}

/* The entry kind listed by a view directory, and the reverse. */
enum mmapfs_kind mmapfs_kind_entry_of(enum mmapfs_kind dir);
enum mmapfs_kind mmapfs_kind_dir_of(enum mmapfs_kind entry);

/*
 * Geometry of fixed-size pieces: piece i of a file of `size` bytes cut in
 * pieces of `piece` bytes covers [i * piece, min((i + 1) * piece, size)).
 */
uint64_t mmapfs_piece_count(uint64_t size, uint64_t piece);

/* Range of piece `index`: 0, or -ENOENT when the piece does not exist. */
int mmapfs_piece_range(uint64_t size, uint64_t piece, uint64_t index,
		       uint64_t *off, uint64_t *len);

#endif /* MMAPFS_INO_H */
