/* err.c: error codes, their names and their HTTP statuses, side by side. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
	const char *name;
	int http;
} err_table[ERR__COUNT] = {
	[ERR_OK] = {"ok", 200},
	[ERR_INVALID] = {"invalid", 400},
	[ERR_NOT_FOUND] = {"not_found", 404},
	[ERR_CONFLICT] = {"conflict", 409},
	[ERR_UNAUTHORIZED] = {"unauthorized", 401},
	[ERR_FORBIDDEN] = {"forbidden", 403},
	[ERR_TOO_LARGE] = {"too_large", 413},
	[ERR_RATE_LIMITED] = {"rate_limited", 429},
	[ERR_UNSUPPORTED] = {"unsupported", 415},
	[ERR_IO] = {"io_error", 500},
	[ERR_STORE] = {"store_error", 500},
	[ERR_TIMEOUT] = {"timeout", 504},
	[ERR_INTERNAL] = {"internal", 500},
};

const char *
err_str(err_t e)
{
	if ((unsigned)e >= ERR__COUNT)
		return "internal";
	return err_table[e].name;
}

int
err_http(err_t e)
{
	if ((unsigned)e >= ERR__COUNT)
		return 500;
	return err_table[e].http;
}

err_t
err_set(struct errinfo *ei, err_t code, const char *fmt, ...)
{
	va_list ap;

	if (ei == NULL)
		return code;
	ei->code = code;
	va_start(ap, fmt);
	vsnprintf(ei->msg, sizeof(ei->msg), fmt, ap);
	va_end(ap);
	return code;
}
