/* embedded.h: files compiled into the binary by scripts/embed.c (web assets,
 * SQL migrations). A table ends with an entry whose path is NULL. */
#ifndef BATON_EMBEDDED_H
#define BATON_EMBEDDED_H

#include <stddef.h>

struct embedded {
	const char *path; /* "/index.html", "/001_init.sql" */
	const unsigned char *data; /* NUL-terminated as a convenience */
	size_t len;
	const char *type;
	const char *etag;
};

#endif
