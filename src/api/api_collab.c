/* api_collab.c: collaboration routes (issue 4): presence and typing, read
 * markers and unread counts, saved views (per member), saved replies (per
 * workspace), and marking every notification read. The domain rules live in
 * inbox_collab.c; this file parses and bounds the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "core/jsonx.h"
#include "core/util.h"

static int64_t
collab_param_id(struct api_ctx *c, int i)
{
	char *end;
	long long v = strtoll(c->params[i], &end, 10);

	return (c->params[i][0] == '\0' || *end != '\0' || v <= 0) ? -1 : v;
}

static int
collab_conv_id(struct api_ctx *c)
{
	if (!api_id_ok(c->params[0])) {
		api_error(c, ERR_NOT_FOUND, "no such conversation");
		return 0;
	}
	return 1;
}

/* ---- presence ---- */

void
api_presence_get(struct api_ctx *c)
{
	json_t *out;

	if (!collab_conv_id(c))
		return;
	out = inbox_presence_get(c->s, &c->p, c->params[0], &c->ei);
	if (out == NULL) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_presence_post(struct api_ctx *c)
{
	const char *state = api_body_str(c, "state");
	json_t *out = NULL, *note = json_object_get(c->body, "note");

	if (c->rs->status || !collab_conv_id(c))
		return;
	if (note != NULL && !json_is_boolean(note)) {
		api_error(c, ERR_INVALID, "note must be true or false");
		return;
	}
	/* The state is checked after the conversation: another workspace gets 404. */
	if (inbox_presence_set(c->s, &c->p, c->params[0], state, json_is_true(note), &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_widget_typing(struct api_ctx *c)
{
	json_t *v = json_object_get(c->body, "typing");

	if (!api_widget_cors(c, c->p.workspace_id))
		return;
	if (v != NULL && !json_is_boolean(v)) {
		api_error(c, ERR_INVALID, "typing must be true or false");
		return;
	}
	if (inbox_presence_visitor_typing(c->s, &c->p, c->params[0], v == NULL || json_is_true(v), &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

/* ---- read markers ---- */

/* Attach "unread" (messages after the caller's read marker written by someone
 * else) to each conversation row. API tokens have no read state. */
void
api_collab_unread(struct api_ctx *c, json_t *rows)
{
	json_t *ids, *counts;
	size_t i;

	if (c->p.kind != P_MEMBER || json_array_size(rows) == 0)
		return;
	ids = json_array();
	for (i = 0; i < json_array_size(rows); i++)
		json_array_append(ids, json_object_get(json_array_get(rows, i), "id"));
	counts = ST(c->s, unread_counts, c->p.workspace_id, c->p.id, ids);
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);

		json_object_set_new(r, "unread", json_integer(jsonx_int(counts, jsonx_str(r, "id"), 0)));
	}
	json_decref(counts);
	json_decref(ids);
}

void
api_conv_read(struct api_ctx *c)
{
	json_t *conv, *v = json_object_get(c->body, "message_id"), *one;
	int64_t last, upto;

	if (!collab_conv_id(c))
		return;
	conv = inbox_conv_get(c->s, &c->p, c->params[0], &c->ei);
	if (conv == NULL) {
		api_fail(c);
		return;
	}
	if (c->p.kind != P_MEMBER || (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))) {
		json_decref(conv);
		api_error(c, ERR_INVALID, c->p.kind != P_MEMBER ? "read state belongs to a member; API tokens have none"
		    : "message_id must be a message id (or leave it out for the newest)");
		return;
	}
	last = ST(c->s, msg_last_id, c->p.workspace_id, c->params[0]);
	upto = v != NULL && json_integer_value(v) < last ? json_integer_value(v) : last;
	if (ST(c->s, read_mark, c->p.workspace_id, c->p.id, c->params[0], upto, util_now_ms())) {
		json_decref(conv);
		api_error(c, ERR_STORE, "could not save the read marker");
		return;
	}
	one = json_pack("[o]", conv);
	api_collab_unread(c, one);
	api_json(c, 200, json_pack("{s:s,s:I,s:I}", "conversation_id", c->params[0], "last_read_message_id",
	    (json_int_t)upto, "unread", (json_int_t)jsonx_int(json_array_get(one, 0), "unread", 0)));
	json_decref(one);
}

void
api_notifications_read_all(struct api_ctx *c)
{
	int64_t n = ST(c->s, notification_read_all, c->p.workspace_id, c->p.id, util_now_ms());

	if (n < 0) {
		api_error(c, ERR_STORE, "could not mark the notifications read");
		return;
	}
	api_json(c, 200, json_pack("{s:I}", "marked", (json_int_t)n));
}

/* ---- saved views ---- */

static json_t *
collab_present(json_t *rows)
{
	size_t i;

	for (i = 0; i < json_array_size(rows); i++)
		jsonx_present(json_array_get(rows, i));
	return rows;
}

void
api_views_list(struct api_ctx *c)
{
	if (c->p.kind != P_MEMBER) {
		api_json(c, 200, json_pack("{s:[]}", "items"));
		return;
	}
	api_json(c, 200, json_pack("{s:o}", "items", collab_present(ST(c->s, view_list, c->p.workspace_id, c->p.id))));
}

void
api_views_create(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_view_save(c->s, &c->p, 0, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, out);
}

void
api_views_update(struct api_ctx *c)
{
	int64_t id = collab_param_id(c, 0);
	json_t *out = NULL;

	if (id < 0) {
		api_error(c, ERR_NOT_FOUND, "no such saved view");
		return;
	}
	if (inbox_view_save(c->s, &c->p, id, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_views_delete(struct api_ctx *c)
{
	int64_t id = collab_param_id(c, 0);

	if (id < 0) {
		api_error(c, ERR_NOT_FOUND, "no such saved view");
		return;
	}
	if (inbox_view_delete(c->s, &c->p, id, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

/* ---- saved replies ---- */

void
api_replies_list(struct api_ctx *c)
{
	api_json(c, 200, json_pack("{s:o}", "items", collab_present(ST(c->s, reply_list, c->p.workspace_id))));
}

void
api_replies_create(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_reply_save(c->s, &c->p, 0, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, out);
}

void
api_replies_update(struct api_ctx *c)
{
	int64_t id = collab_param_id(c, 0);
	json_t *out = NULL;

	if (id < 0) {
		api_error(c, ERR_NOT_FOUND, "no such saved reply");
		return;
	}
	if (inbox_reply_save(c->s, &c->p, id, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_replies_delete(struct api_ctx *c)
{
	int64_t id = collab_param_id(c, 0);

	if (id < 0) {
		api_error(c, ERR_NOT_FOUND, "no such saved reply");
		return;
	}
	if (inbox_reply_delete(c->s, &c->p, id, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}
