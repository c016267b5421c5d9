/* log.h: a small logging API in the OpenBSD style. log_warn appends errno's text,
 * log_warnx does not; fatal logs and exits. BATON_LOG=debug|info|warn sets the level. */
#ifndef BATON_LOG_H
#define BATON_LOG_H

void log_init(void);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
