/*
 * export.c - generations for file handles (see export.h).
 */
#include "export.h"

#include <string.h>

/* FNV-1a, 32 bits: small, stable across builds and machines. */
#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Bytes of a number, least significant first: the same on every host. */
static uint32_t fnv1a_u64(uint32_t h, uint64_t v)
{
	unsigned char b[8];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return fnv1a(h, b, sizeof(b));
}

uint32_t mmapfs_generation(const struct mmapfs_tree *t,
			   const struct mmapfs_ino *id, uint64_t piece)
{
	const struct mmapfs_node *n = &t->nodes[id->node];
	uint32_t h = FNV_OFFSET;

	if (n->type == MMAPFS_N_ROOT && id->kind == MMAPFS_K_NODE)
		return 0;
	if (n->path != NULL)
		h = fnv1a(h, n->path, strlen(n->path));
	h = fnv1a_u64(h, (uint64_t)id->kind);
	if (mmapfs_kind_is_entry(id->kind))
		h = fnv1a_u64(h, piece);
	return h;
}
