/* util.h: time, random identifiers, hashing and text checks shared by every layer. */
#ifndef BATON_UTIL_H
#define BATON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Milliseconds since the Unix epoch, UTC. */
int64_t util_now_ms(void);
/* Fix the clock at ms (0: the real clock again). Only `baton demo` uses it,
 * single-threaded, to replay a simulated month with its own timestamps. */
void util_clock_fix(int64_t ms);
/* RFC 3339 with milliseconds, e.g. 2026-11-24T09:10:44.123Z; out has room for 32. */
void util_rfc3339(int64_t ms, char out[32]);
/* Accepts YYYY-MM-DD, or full RFC 3339 with Z or an offset. */
err_t util_parse_time(const char *s, int64_t *ms);

/* n random bytes as lowercase base32 (a-z2-7), NUL-terminated; out holds n*8/5+2. */
void util_random_id(char *out, size_t nbytes);
/* SHA-256 of data, as 64 hex characters plus NUL. */
void util_sha256_hex(const void *data, size_t n, char out[65]);
/* HMAC-SHA256 as hex. */
void util_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t n, char out[65]);
/* Constant-time comparison of two NUL-terminated strings. */
int util_streq_ct(const char *a, const char *b);

/* FNV-1a of a string, for small in-memory hash tables. */
uint32_t util_fnv1a(const char *s);
/* 1 when the n bytes are valid UTF-8 without NUL bytes. */
int util_utf8_valid(const char *s, size_t n);
/* Lowercase ASCII copy helper for short keys. */
void util_lower(char *s);
/* Trim ASCII whitespace in place; returns s. */
char *util_trim(char *s);
/* 1 when s looks like an e-mail address (one @, a dot after it, no spaces). */
int util_email_valid(const char *s);

#endif
