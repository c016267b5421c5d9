/* api_misc.c: health, the OpenAPI document, and the audit trail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "core/embedded.h"
#include "core/jsonx.h"

extern const struct embedded assets[];

void
api_health(struct api_ctx *c)
{
	api_json(c, 200, json_pack("{s:s,s:s}", "status", "ok", "version", BATON_VERSION));
}

void
api_openapi(struct api_ctx *c)
{
	const struct embedded *a;

	for (a = assets; a->path != NULL; a++)
		if (strcmp(a->path, "/openapi.json") == 0) {
			c->rs->status = 200;
			c->rs->static_body = a->data;
			c->rs->len = a->len;
			c->rs->content_type = "application/json";
			return;
		}
	api_error(c, ERR_NOT_FOUND, "no OpenAPI document in this build");
}

void
api_audit_list(struct api_ctx *c)
{
	const char *v = api_query(c, "after");
	int64_t after = 0;
	json_t *rows, *out = json_array();
	size_t i;

	if (v != NULL) {
		char *end;

		after = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || after < 0) {
			json_decref(out);
			api_error(c, ERR_INVALID, "after must be an audit row id");
			return;
		}
	}
	/* The chain is global; rows of other workspaces are skipped, never shown. */
	while (json_array_size(out) < 200) {
		rows = ST(c->s, audit_page, after, 1000);
		if (json_array_size(rows) == 0) {
			json_decref(rows);
			break;
		}
		for (i = 0; i < json_array_size(rows) && json_array_size(out) < 200; i++) {
			json_t *r = json_array_get(rows, i);
			const char *ws = jsonx_str(r, "workspace_id");

			after = jsonx_int(r, "id", after);
			if (ws == NULL || strcmp(ws, c->p.workspace_id) != 0)
				continue;
			json_object_set_new(r, "before", jsonx_str(r, "before_text") ? json_loads(jsonx_str(r, "before_text"), JSON_DECODE_ANY, NULL) : json_null());
			json_object_set_new(r, "after", jsonx_str(r, "after_text") ? json_loads(jsonx_str(r, "after_text"), JSON_DECODE_ANY, NULL) : json_null());
			json_object_del(r, "before_text");
			json_object_del(r, "after_text");
			json_array_append(out, jsonx_present(r));
		}
		json_decref(rows);
	}
	api_json(c, 200, json_pack("{s:o,s:I}", "items", out, "next_after", (json_int_t)after));
}

void
api_audit_verify(struct api_ctx *c)
{
	int64_t rows = 0, bad = 0;
	err_t err = inbox_audit_verify(c->s, &rows, &bad, &c->ei);

	if (err && bad == 0) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b,s:I,s:o,s:s}", "ok", !err, "rows", (json_int_t)rows,
	    "first_broken_row", bad ? json_integer(bad) : json_null(), "message",
	    err ? c->ei.msg : "the audit chain is intact"));
}
