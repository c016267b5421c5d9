/* api_widget.c: the chat widget's endpoints and both event streams. Widget
 * calls are authorised by the workspace's public key (start) and then by the
 * visitor's conversation token; CORS is limited to the workspace's allowed
 * origins (an empty list allows any origin). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/util.h"

int
api_widget_cors(struct api_ctx *c, const char *ws)
{
	json_t *set, *origins;
	const char *origin = c->rq->origin;
	size_t i;
	int ok = 0;

	if (origin == NULL)
		return 1; /* not a browser cross-origin call */
	set = inbox_settings(c->s, ws);
	origins = json_object_get(set, "allowed_origins");
	if (json_array_size(origins) == 0)
		ok = 1;
	for (i = 0; !ok && i < json_array_size(origins); i++)
		ok = strcmp(json_string_value(json_array_get(origins, i)), origin) == 0;
	json_decref(set);
	if (!ok) {
		api_error(c, ERR_FORBIDDEN, "origin %.100s is not allowed for this widget", origin);
		return 0;
	}
	api_header(c, "Access-Control-Allow-Origin", origin);
	api_header(c, "Vary", "Origin");
	return 1;
}

static int
widget_channel_on(struct api_ctx *c, const char *ws)
{
	json_t *set = inbox_settings(c->s, ws);
	int on = json_is_true(json_object_get(json_object_get(set, "channels"), "widget"));

	json_decref(set);
	return on;
}

void
api_widget_config(struct api_ctx *c)
{
	const char *key = api_query(c, "key");
	json_t *w, *set;

	if (key == NULL || strlen(key) > 80) {
		api_error(c, ERR_INVALID, "pass the widget key as ?key=");
		return;
	}
	w = ST(c->s, workspace_by_key, key);
	if (w == NULL) {
		api_error(c, ERR_NOT_FOUND, "unknown widget key");
		return;
	}
	if (api_widget_cors(c, jsonx_str(w, "id"))) {
		set = inbox_settings(c->s, jsonx_str(w, "id"));
		api_json(c, 200, json_pack("{s:s,s:O,s:O,s:b}", "workspace", jsonx_str(w, "name"),
		    "agent_name", json_object_get(set, "agent_name"), "greeting",
		    json_object_get(set, "greeting"), "enabled",
		    json_is_true(json_object_get(json_object_get(set, "channels"), "widget"))));
		json_decref(set);
	}
	json_decref(w);
}

void
api_widget_start(struct api_ctx *c)
{
	const char *key = api_body_str(c, "widget_key");
	json_t *ctx = json_object_get(c->body, "context"), *w, *conv = NULL;
	char tok[80];
	const char *k;
	json_t *v;

	if (c->rs->status)
		return;
	if (key == NULL || strlen(key) > 80) {
		api_error(c, ERR_INVALID, "widget_key is required");
		return;
	}
	if (ctx != NULL && !json_is_null(ctx) && !json_is_object(ctx)) {
		api_error(c, ERR_INVALID, "context must be an object");
		return;
	}
	json_object_foreach(ctx, k, v) {
		if (strcmp(k, "site") && strcmp(k, "protocol") && strcmp(k, "name") && strcmp(k, "email")) {
			api_error(c, ERR_INVALID, "context takes site, protocol, name and email; '%.40s' is unknown", k);
			return;
		}
		if (!json_is_string(v) && !json_is_null(v)) {
			api_error(c, ERR_INVALID, "context.%s must be a string", k);
			return;
		}
	}
	w = ST(c->s, workspace_by_key, key);
	if (w == NULL) {
		api_error(c, ERR_NOT_FOUND, "unknown widget key");
		return;
	}
	if (!api_widget_cors(c, jsonx_str(w, "id")))
		goto out;
	if (!widget_channel_on(c, jsonx_str(w, "id"))) {
		api_error(c, ERR_FORBIDDEN, "the chat widget is switched off for this workspace");
		goto out;
	}
	if (inbox_conv_start(c->s, jsonx_str(w, "id"), "widget", json_is_object(ctx) ? ctx : NULL,
	    tok, &conv, &c->ei)) {
		api_fail(c);
		goto out;
	}
	api_json(c, 201, json_pack("{s:s,s:s,s:I}", "id", jsonx_str(conv, "id"), "token", tok,
	    "number", (json_int_t)jsonx_int(conv, "number", 0)));
	json_decref(conv);
out:
	json_decref(w);
}

void
api_widget_post(struct api_ctx *c)
{
	const char *body = api_body_str(c, "body");
	json_t *msg = NULL;

	if (c->rs->status)
		return;
	if (!api_widget_cors(c, c->p.workspace_id))
		return;
	if (body == NULL) {
		api_error(c, ERR_INVALID, "body is required");
		return;
	}
	if (inbox_msg_post(c->s, &c->p, c->params[0], "visitor", body, 0, NULL, &msg, &c->ei)) {
		api_fail(c);
		return;
	}
	json_object_del(msg, "author_id");
	api_json(c, 201, msg);
}

/* ---- event streams ---- */

void
api_sse_free(struct api_sse *sub)
{
	if (sub == NULL)
		return;
	json_decref(sub->p.sites);
	free(sub);
}

int
api_sse_revoked(const struct api_sse *sub, const struct bus_event *ev)
{
	char want[160];

	if (strcmp(ev->type, "auth.revoked") != 0 || ev->data == NULL)
		return 0;
	if (sub->p.kind == P_MEMBER) {
		snprintf(want, sizeof(want), "session:%s", sub->p.session_hash);
		if (sub->p.session_hash[0] && strcmp(ev->data, want) == 0)
			return 1;
		snprintf(want, sizeof(want), "member:%s", sub->p.id);
		return strcmp(ev->data, want) == 0;
	}
	if (sub->p.kind == P_TOKEN) {
		snprintf(want, sizeof(want), "token:%s", sub->p.id);
		return strcmp(ev->data, want) == 0;
	}
	return 0;
}

int
api_sse_match(const struct api_sse *sub, const struct bus_event *ev)
{
	if (strcmp(ev->type, "auth.revoked") == 0)
		return 0;
	if (ev->workspace_id == NULL || strcmp(ev->workspace_id, sub->p.workspace_id) != 0)
		return 0;
	/* ---- collab (issue 4): an event for one member (a notification) ---- */
	if (ev->member_id != NULL && (sub->p.kind != P_MEMBER || strcmp(ev->member_id, sub->p.id) != 0))
		return 0;
	if (sub->conv_id[0] != '\0')
		return !ev->internal && ev->conversation_id != NULL &&
		    strcmp(ev->conversation_id, sub->conv_id) == 0;
	return ev->conversation_id == NULL || inbox_site_in(sub->p.sites, ev->site);
}

err_t
api_sse_format(struct buf *b, int64_t id, const char *type, const char *data)
{
	/* collab (issue 4): ephemeral events (presence) carry no id, so they never
	 * move the client's Last-Event-ID. */
	if (id <= 0)
		return buf_printf(b, "event: %s\ndata: %s\n\n", type, data);
	return buf_printf(b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, type, data);
}

/* Events after an id that this stream may see (the replay for Last-Event-ID). */
json_t *
api_sse_backlog(struct store *s, const struct api_sse *sub, int64_t after)
{
	json_t *rows = ST(s, event_since, sub->p.workspace_id, sub->conv_id[0] ? sub->conv_id : NULL,
	    after, 5000), *keep = json_array();
	size_t i;

	for (i = 0; i < json_array_size(rows); i++) {
		json_t *e = json_array_get(rows, i);
		struct bus_event ev;

		inbox_event_view(e, &ev);
		if (api_sse_match(sub, &ev))
			json_array_append(keep, e);
	}
	json_decref(rows);
	return keep;
}

static void
sse_start(struct api_ctx *c, const char *conv_id)
{
	struct api_sse *sub;
	const char *last = c->rq->last_event_id ? c->rq->last_event_id : api_query(c, "last_event_id");
	long long v = -1;

	if (last != NULL) {
		char *end;

		v = strtoll(last, &end, 10);
		if (*last == '\0' || *end != '\0' || v < 0) {
			api_error(c, ERR_INVALID, "Last-Event-ID must be an event id");
			return;
		}
	}
	sub = xcalloc(1, sizeof(*sub));
	sub->p = c->p;
	sub->p.sites = c->p.sites ? json_incref(c->p.sites) : NULL;
	snprintf(sub->conv_id, sizeof(sub->conv_id), "%s", conv_id ? conv_id : "");
	sub->last_id = v; /* -1: no replay, start live */
	c->rs->status = 200;
	c->rs->sse = sub;
}

void
api_events(struct api_ctx *c)
{
	sse_start(c, NULL);
}

void
api_widget_events(struct api_ctx *c)
{
	if (!api_widget_cors(c, c->p.workspace_id))
		return;
	sse_start(c, c->params[0]);
}
