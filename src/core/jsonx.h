/* jsonx.h: small helpers over jansson shared by every layer. */
#ifndef BATON_JSONX_H
#define BATON_JSONX_H

#include <jansson.h>
#include <stdint.h>

/* The string at key, or NULL when absent or not a string. */
const char *jsonx_str(const json_t *o, const char *key);
int64_t jsonx_int(const json_t *o, const char *key, int64_t dflt);
/* Make a stored row fit for clients, in place: integer *_at fields become
 * RFC 3339 strings and secret columns (*_hash) are removed. Returns o. */
json_t *jsonx_present(json_t *o);
/* Compact text (caller frees). */
char *jsonx_dump(const json_t *o);

#endif
