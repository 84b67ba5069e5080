/*
 * files.c - the mapping cache (see files.h).
 *
 * Lock order: files.lock is a leaf.  mmapio_open_ex() runs under it, so two
 * requests never map the same file twice; mmapio_close() of evicted files
 * runs after it is dropped, because closing flushes and may take long.
 */
#include "files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define NONE UINT32_MAX
#define EVICT_BATCH 8

struct mmapfs_fstate {
	mmapio_file *mf;
	unsigned refs;
	uint32_t prev, next; /* LRU links, NONE at the ends */
	atomic_uint_fast64_t size_seen;
	atomic_bool gone_logged;
	atomic_bool kept; /* COW and written: never evicted (files.h) */
};

int mmapfs_files_init(struct mmapfs_files *f, const struct mmapfs_tree *t,
		      mmapio_mode mode, mmapio_flush_policy flush, unsigned cap)
{
	memset(f, 0, sizeof(*f));
	f->st = calloc(t->nnodes, sizeof(*f->st));
	if (f->st == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nnodes; i++) {
		f->st[i].prev = f->st[i].next = NONE;
		atomic_init(&f->st[i].size_seen, 0);
		atomic_init(&f->st[i].gone_logged, false);
		atomic_init(&f->st[i].kept, false);
	}
	pthread_mutex_init(&f->lock, NULL);
	f->tree = t;
	f->mode = mode;
	f->flush = flush;
	f->cap = cap ? cap : MMAPFS_FILES_CAP;
	f->lru_head = f->lru_tail = NONE;
	return 0;
}

static void lru_unlink(struct mmapfs_files *f, uint32_t n)
{
	struct mmapfs_fstate *s = &f->st[n];

	if (s->prev != NONE)
		f->st[s->prev].next = s->next;
	else
		f->lru_head = s->next;
	if (s->next != NONE)
		f->st[s->next].prev = s->prev;
	else
		f->lru_tail = s->prev;
	s->prev = s->next = NONE;
}

static void lru_push_head(struct mmapfs_files *f, uint32_t n)
{
	struct mmapfs_fstate *s = &f->st[n];

	s->prev = NONE;
	s->next = f->lru_head;
	if (f->lru_head != NONE)
		f->st[f->lru_head].prev = n;
	f->lru_head = n;
	if (f->lru_tail == NONE)
		f->lru_tail = n;
}

/* The mode to map with: never RW for a file we may not write. */
static mmapio_mode mode_for(const struct mmapfs_files *f, const char *path)
{
	struct stat st;

	if (f->mode != MMAPIO_RW)
		return f->mode;
	if (stat(path, &st) == 0 && (st.st_mode & 0222) == 0)
		return MMAPIO_RO;
	return MMAPIO_RW;
}

static int map_file(const struct mmapfs_files *f, const char *path,
		    mmapio_file **out)
{
	mmapio_options o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.mode = mode_for(f, path);
	o.flush = f->flush;
	rc = mmapio_open_ex(out, path, &o);
	if (o.mode == MMAPIO_RW &&
	    (rc == -EACCES || rc == -EROFS || rc == -EPERM)) {
		o.mode = MMAPIO_RO; /* read-only backing: serve it read-only */
		o.flush.kind = MMAPIO_FLUSH_NEVER;
		rc = mmapio_open_ex(out, path, &o);
	}
	return rc;
}

/* Detach up to EVICT_BATCH unreferenced mappings beyond the cap.  Kept
 * files (COW, written) are neither counted nor closed. */
static unsigned evict_locked(struct mmapfs_files *f,
			     mmapio_file *victims[EVICT_BATCH])
{
	unsigned n = 0;
	uint32_t cur = f->lru_tail;

	while (f->nmapped - f->nkept > f->cap && n < EVICT_BATCH &&
	       cur != NONE) {
		uint32_t prev = f->st[cur].prev;

		if (f->st[cur].refs == 0 && !atomic_load(&f->st[cur].kept)) {
			victims[n++] = f->st[cur].mf;
			f->st[cur].mf = NULL;
			lru_unlink(f, cur);
			f->nmapped--;
		}
		cur = prev;
	}
	return n;
}

static void close_victims(mmapio_file **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char *path = strdup(mmapio_path(v[i]));
		int rc = mmapio_close(v[i]);

		if (rc != 0)
			log_err("closing %s: %s", path ? path : "?",
				mmapio_strerror(rc));
		free(path);
	}
}

int mmapfs_files_get(struct mmapfs_files *f, uint32_t node, mmapio_file **out)
{
	mmapio_file *victims[EVICT_BATCH];
	struct mmapfs_fstate *s = &f->st[node];
	unsigned nv = 0;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	if (s->mf == NULL) {
		rc = map_file(f, f->tree->nodes[node].path, &s->mf);
		if (rc != 0) {
			s->mf = NULL;
			goto out;
		}
		atomic_store(&s->size_seen, mmapio_size(s->mf));
		atomic_store(&s->gone_logged, false);
		f->nmapped++;
	} else {
		lru_unlink(f, node);
	}
	lru_push_head(f, node);
	s->refs++;
	*out = s->mf;
	nv = evict_locked(f, victims);
out:
	pthread_mutex_unlock(&f->lock);
	close_victims(victims, nv);
	if (rc != 0)
		log_debug("cannot map %s: %s", f->tree->nodes[node].path,
			  mmapio_strerror(rc));
	return rc;
}

void mmapfs_files_put(struct mmapfs_files *f, uint32_t node)
{
	pthread_mutex_lock(&f->lock);
	f->st[node].refs--;
	pthread_mutex_unlock(&f->lock);
}

/* Never evict s's mapping from now on (mapped or about to be, under the
 * lock); true the first time. */
static bool keep_locked(struct mmapfs_files *f, struct mmapfs_fstate *s)
{
	if (atomic_exchange(&s->kept, true))
		return false;
	f->nkept++;
	return true;
}

void mmapfs_files_written(struct mmapfs_files *f, uint32_t node)
{
	struct mmapfs_fstate *s = &f->st[node];

	if (f->mode != MMAPIO_COW || atomic_load(&s->kept))
		return;
	pthread_mutex_lock(&f->lock);
	if (keep_locked(f, s) && f->nkept == f->cap)
		log_info("%u files written on a copy-on-write mount: each "
			 "keeps its mapping and descriptor until unmount",
			 f->nkept);
	pthread_mutex_unlock(&f->lock);
}

uint64_t mmapfs_files_refresh(struct mmapfs_files *f, uint32_t node,
			      mmapio_file *mf, uint64_t *before)
{
	uint64_t now = 0;
	int rc = mmapio_refresh(mf, &now);

	if (rc != 0) {
		/* -EBUSY: growth must wait for views; keep the old size. */
		log_debug("refresh %s: %s", mmapio_path(mf),
			  mmapio_strerror(rc));
		now = mmapio_size(mf);
	}
	*before = atomic_exchange(&f->st[node].size_seen, now);
	if (*before != now)
		log_info("%s changed size: %llu -> %llu bytes", mmapio_path(mf),
			 (unsigned long long)*before, (unsigned long long)now);
	return now;
}

/* Say once that a mapped file was removed, renamed or replaced: it keeps
 * being served from the mapping, like an open descriptor.  True when it
 * was found gone now. */
static bool check_gone(struct mmapfs_fstate *s, const char *path,
		       const struct stat *mapped)
{
	const char *what = NULL;
	struct stat now;

	if (atomic_load(&s->gone_logged))
		return false;
	if (mapped->st_nlink == 0)
		what = "was removed";
	else if (stat(path, &now) != 0)
		what = "was renamed or removed";
	else if (now.st_ino != mapped->st_ino || now.st_dev != mapped->st_dev)
		what = "was replaced";
	if (what == NULL || atomic_exchange(&s->gone_logged, true))
		return false;
	log_warn("%s %s; serving the data still mapped", path, what);
	return true;
}

int mmapfs_files_stat(struct mmapfs_files *f, uint32_t node, struct stat *st)
{
	struct mmapfs_fstate *s = &f->st[node];
	const char *path = f->tree->nodes[node].path;
	bool mapped;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	mapped = s->mf != NULL;
	if (mapped && fstat(mmapio_fd(s->mf), st) != 0)
		rc = -errno;
	pthread_mutex_unlock(&f->lock);
	if (!mapped && stat(path, st) != 0)
		rc = -errno;
	/* Gone: its mapping is all there is of it (reopening the name
	 * would give another file, or none), so it is never evicted. */
	if (mapped && rc == 0 && check_gone(s, path, st)) {
		pthread_mutex_lock(&f->lock);
		if (s->mf != NULL)
			keep_locked(f, s);
		pthread_mutex_unlock(&f->lock);
	}
	return rc;
}

bool mmapfs_files_writable(const mmapio_file *mf)
{
	return mmapio_mode_of(mf) != MMAPIO_RO;
}

int mmapfs_files_flush_all(struct mmapfs_files *f)
{
	int first = 0;

	pthread_mutex_lock(&f->lock);
	for (uint32_t n = f->lru_head; n != NONE; n = f->st[n].next) {
		int rc = mmapio_flush(f->st[n].mf);

		if (rc != 0) {
			log_err("flushing %s: %s", mmapio_path(f->st[n].mf),
				mmapio_strerror(rc));
			if (first == 0)
				first = rc;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return first;
}

void mmapfs_files_destroy(struct mmapfs_files *f)
{
	if (f == NULL || f->st == NULL)
		return;
	for (uint32_t n = f->lru_head; n != NONE;) {
		uint32_t next = f->st[n].next;
		int rc = mmapio_close(f->st[n].mf);

		if (rc != 0)
			log_err("closing %s: %s", f->tree->nodes[n].path,
				mmapio_strerror(rc));
		n = next;
	}
	pthread_mutex_destroy(&f->lock);
	free(f->st);
	f->st = NULL;
}
