/*
 * log.c - stderr or syslog (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>

static atomic_bool use_syslog;
static atomic_bool debug_on;

void mmapfs_log_to_syslog(void)
{
	openlog("mmapfs", LOG_PID, LOG_DAEMON);
	atomic_store(&use_syslog, true);
}

void mmapfs_log_set_debug(bool on)
{
	atomic_store(&debug_on, on);
}

void mmapfs_log(enum mmapfs_log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];
	va_list ap;

	if (level == MMAPFS_LOG_DEBUG && !atomic_load(&debug_on))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (atomic_load(&use_syslog))
		syslog(prio[level], "%s", line);
	else
		fprintf(stderr, "mmapfs: %s\n", line); /* one write per line */
}
