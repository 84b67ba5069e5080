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

/*
 * Every message is one line: control characters from file names (a
 * newline in a SOURCE, say) are written as \n or \xHH.
 */
static void one_line(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in != '\0' && o + 5 < size; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == '\n')
			o += (size_t)snprintf(out + o, size - o, "\\n");
		else if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

void mmapfs_log(enum mmapfs_log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char raw[1024], line[4 * sizeof(raw)];
	va_list ap;

	if (level == MMAPFS_LOG_DEBUG && !atomic_load(&debug_on))
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	one_line(raw, line, sizeof(line));
	if (atomic_load(&use_syslog))
		syslog(prio[level], "%s", line);
	else
		fprintf(stderr, "mmapfs: %s\n", line); /* one write per line */
}
