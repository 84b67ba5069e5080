/*
 * log.h - the daemon's messages.
 *
 * Before the daemon detaches (and always in the foreground) messages go to
 * stderr, one line each, prefixed "mmapfs: ".  A detached daemon logs to
 * syslog instead, since its stderr is /dev/null by then.
 */
#ifndef MMAPFS_LOG_H
#define MMAPFS_LOG_H

#include <stdbool.h>

enum mmapfs_log_level {
	MMAPFS_LOG_ERR,
	MMAPFS_LOG_WARN,
	MMAPFS_LOG_INFO,
	MMAPFS_LOG_DEBUG
};

/* Send messages to syslog from now on. */
void mmapfs_log_to_syslog(void);

/* Print debug messages too (-d). */
void mmapfs_log_set_debug(bool on);

void mmapfs_log(enum mmapfs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) mmapfs_log(MMAPFS_LOG_ERR, __VA_ARGS__)
#define log_warn(...) mmapfs_log(MMAPFS_LOG_WARN, __VA_ARGS__)
#define log_info(...) mmapfs_log(MMAPFS_LOG_INFO, __VA_ARGS__)
#define log_debug(...) mmapfs_log(MMAPFS_LOG_DEBUG, __VA_ARGS__)

#endif /* MMAPFS_LOG_H */
