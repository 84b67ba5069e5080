/*
 * ino.c - inode number arithmetic and piece geometry (see ino.h).
 */
#include "ino.h"

#include <errno.h>

#define KIND_BITS 3u
#define USABLE_BITS 63u /* the top bit stays clear */

void mmapfs_layout_init(struct mmapfs_layout *l, uint32_t nnodes)
{
	unsigned bits = 1;

	while (bits < 32 && ((uint64_t)1 << bits) < nnodes)
		bits++;
	l->nnodes = nnodes;
	l->node_bits = bits;
	l->index_bits = USABLE_BITS - KIND_BITS - bits;
}

uint64_t mmapfs_layout_max_index(const struct mmapfs_layout *l)
{
	/* The all-ones number would overflow by the "+ 1": keep one spare. */
	return ((uint64_t)1 << l->index_bits) - 2;
}

uint64_t mmapfs_ino_encode(const struct mmapfs_layout *l,
			   const struct mmapfs_ino *in)
{
	uint64_t v = in->index;

	v = (v << KIND_BITS) | (uint64_t)in->kind;
	v = (v << l->node_bits) | (uint64_t)in->node;
	return v + 1;
}

int mmapfs_ino_decode(const struct mmapfs_layout *l, uint64_t ino,
		      struct mmapfs_ino *out)
{
	uint64_t v, index, kind, node;

	if (ino == 0 || ino > ((uint64_t)1 << USABLE_BITS))
		return -ENOENT;
	v = ino - 1;
	node = v & (((uint64_t)1 << l->node_bits) - 1);
	v >>= l->node_bits;
	kind = v & ((1u << KIND_BITS) - 1);
	index = v >> KIND_BITS;
	if (node >= l->nnodes || kind > MMAPFS_K_PAGE)
		return -ENOENT;
	if (!mmapfs_kind_is_entry((enum mmapfs_kind)kind) && index != 0)
		return -ENOENT;
	if (index > mmapfs_layout_max_index(l))
		return -ENOENT;
	out->node = (uint32_t)node;
	out->kind = (enum mmapfs_kind)kind;
	out->index = index;
	return 0;
}

enum mmapfs_kind mmapfs_kind_entry_of(enum mmapfs_kind dir)
{
	return dir == MMAPFS_K_CHUNKS ? MMAPFS_K_CHUNK : MMAPFS_K_PAGE;
}

enum mmapfs_kind mmapfs_kind_dir_of(enum mmapfs_kind entry)
{
	return entry == MMAPFS_K_CHUNK ? MMAPFS_K_CHUNKS : MMAPFS_K_PAGES;
}

uint64_t mmapfs_piece_count(uint64_t size, uint64_t piece)
{
	/* No size + piece - 1: that overflows for sizes near 2^64. */
	return size / piece + (size % piece != 0);
}

int mmapfs_piece_range(uint64_t size, uint64_t piece, uint64_t index,
		       uint64_t *off, uint64_t *len)
{
	if (index >= mmapfs_piece_count(size, piece))
		return -ENOENT;
	*off = index * piece; /* < size, so no overflow */
	*len = size - *off < piece ? size - *off : piece;
	return 0;
}
