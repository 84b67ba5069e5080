/*
 * co_write.h - what a write through the mount does to the kernel's caches
 * (co_write.c): rules 2, 4 and 8, behind mmapfs_co_write_arrive(),
 * mmapfs_co_write() and mmapfs_co_write_end() in coherence.h.
 *
 * Invariants:
 *  - A write is planned under its file's lock: it registers itself on
 *    the in-flight list and takes its targets there, and no notification
 *    goes to the kernel while that lock (or any lock but the apply lock)
 *    is held.
 *  - A write leaves the in-flight and arrived lists before its reply, so
 *    the writer's next write is never taken for a concurrent one.
 *  - Of two writes in flight with overlapping pages on two aliases, the
 *    one that planned second drops the first one's pages on threads of
 *    its own (rule 4); every other drop of an alias happens in the
 *    writer's thread, through the file's gate, before the reply.
 *  - The written entry's own partly written last page is never dropped
 *    with a wait that could meet the write's own page lock (rule 8).
 */
#ifndef MMAPFS_CO_WRITE_H
#define MMAPFS_CO_WRITE_H

#include "co_i.h"

/* Drop the pages of held alias t (rule 2) through the file's gate as
 * `kind` says (CO_GATE_WRITE from a write), and clear what the drop
 * proves gone (rules 1 and 8). */
void co_drop_alias(struct mmapfs_co *c, struct mmapfs_co_node *n, uint32_t node,
		   const struct co_target *t, enum co_gate_kind kind);

#endif /* MMAPFS_CO_WRITE_H */
