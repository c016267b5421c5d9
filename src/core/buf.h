/* buf.h: a growable byte buffer with a hard maximum set at creation, and
 * slices (pointer + length) for untrusted bytes. The buffer owns p; it is
 * always NUL-terminated for convenience, but len is the truth. */
#ifndef BATON_BUF_H
#define BATON_BUF_H

#include <stddef.h>

#include "err.h"

struct slice {
	const char *p;
	size_t len;
};

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* ERR_TOO_LARGE when the maximum would be passed; b is left unchanged. */
err_t buf_append(struct buf *b, const void *data, size_t n);
err_t buf_puts(struct buf *b, const char *s);
err_t buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand over the bytes (caller frees); b is reset. */
char *buf_steal(struct buf *b);

int slice_eq(struct slice s, const char *lit);

#endif
