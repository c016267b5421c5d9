/* log.c: timestamped lines on stderr. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LOG_DEBUG, LOG_INFO, LOG_WARN };
static int log_level = LOG_INFO;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void
log_init(void)
{
	const char *v = getenv("BATON_LOG");

	if (v == NULL)
		return;
	if (strcmp(v, "debug") == 0)
		log_level = LOG_DEBUG;
	else if (strcmp(v, "warn") == 0)
		log_level = LOG_WARN;
}

static void
log_vemit(int level, const char *tag, int with_errno, const char *fmt, va_list ap)
{
	char ts[32];
	struct tm tm;
	time_t now;
	int saved = errno;

	if (level < log_level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_mutex_lock(&log_mu);
	fprintf(stderr, "%s %s ", ts, tag);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_mu);
}

#define LOG_BODY(level, tag, with_errno)                     \
	do {                                                 \
		va_list ap;                                  \
		va_start(ap, fmt);                           \
		log_vemit((level), (tag), (with_errno), fmt, ap); \
		va_end(ap);                                  \
	} while (0)

void log_debug(const char *fmt, ...) { LOG_BODY(LOG_DEBUG, "debug", 0); }
void log_info(const char *fmt, ...) { LOG_BODY(LOG_INFO, "info", 0); }
void log_warn(const char *fmt, ...) { LOG_BODY(LOG_WARN, "warn", 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_WARN, "warn", 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_WARN, "fatal", 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARN, "fatal", 0);
	exit(1);
}
