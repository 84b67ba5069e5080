/*
 * readers.c - per-thread access slots and the wait a shrink does on them
 * (see readers.h).  The scheme is the one of userspace RCU with
 * membarrier: readers pay two stores, the rare writer pays a system call.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "readers.h"

atomic_bool mmapio__readers_fence;

/* Every slot ever made; slots of exited threads are reused, never freed. */
static _Atomic(struct mmapio_reader *) slots;

static _Thread_local struct mmapio_reader *tl_slot
	__attribute__((tls_model("initial-exec")));

static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

static int membarrier(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

/* A thread exits: its slot becomes free for the next new thread. */
static void slot_release(void *p)
{
	struct mmapio_reader *r = p;

	atomic_store(&r->file, NULL);
	atomic_store(&r->in_use, false);
}

static void slots_init(void)
{
	/* Without a key, slots of exited threads just stay taken. */
	(void)pthread_key_create(&slot_key, slot_release);
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0)
		atomic_store(&mmapio__readers_fence, true);
}

static struct mmapio_reader *slot_take(void)
{
	struct mmapio_reader *r;

	for (r = atomic_load(&slots); r != NULL; r = r->next) {
		bool free_slot = false;

		if (atomic_compare_exchange_strong(&r->in_use, &free_slot,
						   true))
			return r;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	atomic_init(&r->file, NULL);
	atomic_init(&r->in_use, true);
	r->next = atomic_load(&slots);
	while (!atomic_compare_exchange_weak(&slots, &r->next, r))
		;
	return r;
}

struct mmapio_reader *mmapio__reader_slot(void)
{
	struct mmapio_reader *r = tl_slot;

	if (r != NULL)
		return r;
	pthread_once(&slot_once, slots_init);
	r = slot_take();
	if (r == NULL)
		return NULL;
	(void)pthread_setspecific(slot_key, r);
	tl_slot = r;
	return r;
}

void mmapio__readers_wait(const struct mmapio_file *f)
{
	struct mmapio_reader *r;

	pthread_once(&slot_once, slots_init);
	if (atomic_load(&mmapio__readers_fence) ||
	    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
		/* Readers fence for themselves (or will from now on). */
		atomic_store(&mmapio__readers_fence, true);
		atomic_thread_fence(memory_order_seq_cst);
	}
	for (r = atomic_load(&slots); r != NULL; r = r->next)
		while (atomic_load_explicit(&r->file, memory_order_acquire) ==
		       f)
			sched_yield();
}
