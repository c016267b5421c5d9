/* jsonx.c: jansson helpers. */
#include "jsonx.h"

#include <string.h>

#include "util.h"

const char *
jsonx_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int64_t
jsonx_int(const json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

json_t *
jsonx_present(json_t *o)
{
	const char *key;
	json_t *v;
	void *tmp;

	if (!json_is_object(o))
		return o;
	json_object_foreach_safe(o, tmp, key, v) {
		size_t n = strlen(key);

		if (n > 5 && strcmp(key + n - 5, "_hash") == 0 && strcmp(key, "prev_hash") != 0) {
			json_object_del(o, key);
		} else if (n > 3 && strcmp(key + n - 3, "_at") == 0 && json_is_integer(v)) {
			char ts[32];

			util_rfc3339(json_integer_value(v), ts);
			json_object_set_new(o, key, json_string(ts));
		} else if (json_is_object(v)) {
			jsonx_present(v);
		}
	}
	return o;
}

char *
jsonx_dump(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
}
