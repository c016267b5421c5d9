/* err.h: Baton's one error type. Zero is success; test results as `if(err)`.
 * err_str() gives the stable machine code used in API errors, err_http() the
 * HTTP status. User-facing detail travels in struct errinfo, separate from logs. */
#ifndef BATON_ERR_H
#define BATON_ERR_H

#include <stddef.h>

typedef enum {
	ERR_OK = 0,
	ERR_INVALID,      /* malformed or out-of-range input */
	ERR_NOT_FOUND,
	ERR_CONFLICT,
	ERR_UNAUTHORIZED, /* no or bad credentials */
	ERR_FORBIDDEN,    /* credentials fine, not allowed */
	ERR_TOO_LARGE,
	ERR_RATE_LIMITED,
	ERR_UNSUPPORTED,
	ERR_IO,
	ERR_STORE,
	ERR_TIMEOUT,
	ERR_INTERNAL,
	ERR__COUNT
} err_t;

/* A user-facing error: the code plus a message safe to show to the client. */
struct errinfo {
	err_t code;
	char msg[256];
};

const char *err_str(err_t e);
int err_http(err_t e);
/* Fill ei (may be NULL) and return code, so callers write `return err_set(...)`. */
err_t err_set(struct errinfo *ei, err_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
