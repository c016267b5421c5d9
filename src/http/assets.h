/* assets.h: the web app and widget, compiled in by scripts/embed.c.
 * The table ends with an entry whose path is NULL. */
#ifndef BATON_ASSETS_H
#define BATON_ASSETS_H

#include <stddef.h>

struct asset {
	const char *path;
	const unsigned char *data;
	size_t len;
	const char *type;
	const char *etag;
};

extern const struct asset assets[];

#endif
