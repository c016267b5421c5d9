/* api_conv.c: conversations for members and API tokens: list with filters
 * and keyset pagination, detail, messages, timeline, and the actions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "core/jsonx.h"
#include "core/util.h"

#define CONV_PAGE_MAX 100

static int
conv_one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(v, *allowed) == 0)
			return 1;
	return 0;
}

static int
conv_time_arg(struct api_ctx *c, const char *name, int64_t *out)
{
	const char *v = api_query(c, name);

	if (v == NULL)
		return 1;
	if (util_parse_time(v, out)) {
		api_error(c, ERR_INVALID, "%s must be a date (YYYY-MM-DD) or an RFC 3339 time", name);
		return 0;
	}
	return 1;
}

/* Cursor: "<ms>.<id>", opaque to clients. */
static void
conv_cursor(const json_t *row, int sort_created, char out[96])
{
	const json_t *t = json_object_get(row, sort_created ? "created_at" : "updated_at");

	snprintf(out, 96, "%lld.%s", (long long)json_integer_value(t), jsonx_str(row, "id"));
}

/* "3,5,8" -> [3,5,8]; at most 8 tag ids. */
static int
conv_tag_list(struct api_ctx *c, const char *name, json_t **out)
{
	const char *v = api_query(c, name), *p;

	*out = NULL;
	if (v == NULL)
		return 1;
	*out = json_array();
	for (p = v; *p;) {
		char *end;
		long long id = strtoll(p, &end, 10);

		if (end == p || id <= 0 || (*end != ',' && *end != '\0') || json_array_size(*out) >= 8) {
			api_error(c, ERR_INVALID, "%s must be a comma list of up to 8 tag ids", name);
			json_decref(*out);
			*out = NULL;
			return 0;
		}
		json_array_append_new(*out, json_integer(id));
		p = *end == ',' ? end + 1 : end;
	}
	return 1;
}

/* Parse the shared conversation filters from the query string into f.
 * Returns 0 (with the error response set) on bad input. */
static int
conv_filter(struct api_ctx *c, struct store_conv_filter *f, char stbuf[128], char idbuf[48],
    int *limit_out)
{
	static const char *const statuses[] = {"open", "needs_human", "pending", "resolved", NULL};
	static const char *const modes[] = {"agent", "manual", NULL};
	static const char *const channels[] = {"widget", "email", "api", NULL};
	const char *v;
	int limit = 50;

	memset(f, 0, sizeof(*f));
	f->workspace_id = c->p.workspace_id;
	f->sites_allowed = c->p.sites;
	v = api_query(c, "status");
	if (v != NULL) {
		char *save = NULL, *tok;

		snprintf(stbuf, 128, "%s", v);
		for (tok = strtok_r(stbuf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
			if (!conv_one_of(tok, statuses) || f->n_status >= 4) {
				api_error(c, ERR_INVALID, "status must be a comma list of open, needs_human, pending, resolved");
				return 0;
			}
			f->status[f->n_status++] = tok;
		}
	}
	f->mode = api_query(c, "mode");
	if (f->mode != NULL && !conv_one_of(f->mode, modes)) {
		api_error(c, ERR_INVALID, "mode must be agent or manual");
		return 0;
	}
	f->channel = api_query(c, "channel");
	if (f->channel != NULL && !conv_one_of(f->channel, channels)) {
		api_error(c, ERR_INVALID, "channel must be widget, email or api");
		return 0;
	}
	f->site = api_query(c, "site");
	v = api_query(c, "assignee");
	if (v != NULL) {
		if (strcmp(v, "me") == 0)
			f->assignee = c->p.id;
		else if (strcmp(v, "none") == 0 || api_id_ok(v))
			f->assignee = v;
		else {
			api_error(c, ERR_INVALID, "assignee must be me, none or a member id");
			return 0;
		}
	}
	if (!conv_time_arg(c, "created_after", &f->created_from) ||
	    !conv_time_arg(c, "created_before", &f->created_to) ||
	    !conv_time_arg(c, "updated_after", &f->updated_from) ||
	    !conv_time_arg(c, "updated_before", &f->updated_to))
		return 0;
	v = api_query(c, "sort");
	if (v != NULL && strcmp(v, "updated") && strcmp(v, "created")) {
		api_error(c, ERR_INVALID, "sort must be updated or created");
		return 0;
	}
	f->sort_created = v != NULL && strcmp(v, "created") == 0;
	v = api_query(c, "order");
	if (v != NULL && strcmp(v, "asc") && strcmp(v, "desc")) {
		api_error(c, ERR_INVALID, "order must be asc or desc");
		return 0;
	}
	f->asc = v != NULL && strcmp(v, "asc") == 0;
	v = api_query(c, "limit");
	if (v != NULL) {
		char *end;
		long n = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || n < 1 || n > CONV_PAGE_MAX) {
			api_error(c, ERR_INVALID, "limit must be a number from 1 to %d", CONV_PAGE_MAX);
			return 0;
		}
		limit = (int)n;
	}
	v = api_query(c, "cursor");
	if (v != NULL) {
		char *end;
		long long t = strtoll(v, &end, 10);

		if (end == v || *end != '.' || t < 0 || !api_id_ok(end + 1)) {
			api_error(c, ERR_INVALID, "bad cursor: pass back next_cursor from the previous page");
			return 0;
		}
		snprintf(idbuf, 48, "%s", end + 1);
		f->cursor_t = t;
		f->cursor_id = idbuf;
	}
	if (!conv_tag_list(c, "tags_all", &f->tags_all) || !conv_tag_list(c, "tags_any", &f->tags_any)) {
		json_decref(f->tags_all);
		f->tags_all = NULL;
		return 0;
	}
	*limit_out = limit;
	return 1;
}

static void
conv_filter_free(struct store_conv_filter *f)
{
	json_decref(f->tags_all);
	json_decref(f->tags_any);
	f->tags_all = f->tags_any = NULL;
}

/* Attach each row's tags (with provenance) in one query. */
static void
conv_attach_tags(struct api_ctx *c, json_t *rows)
{
	json_t *ids = json_array(), *tags;
	size_t i, k;

	for (i = 0; i < json_array_size(rows); i++) {
		json_array_append(ids, json_object_get(json_array_get(rows, i), "id"));
		json_object_set_new(json_array_get(rows, i), "tags", json_array());
	}
	tags = json_array_size(ids) ? ST(c->s, conv_tags, c->p.workspace_id, ids) : NULL;
	for (k = 0; k < json_array_size(tags); k++) {
		json_t *t = json_array_get(tags, k);
		const char *cid = jsonx_str(t, "conversation_id");

		for (i = 0; i < json_array_size(rows); i++) {
			json_t *r = json_array_get(rows, i);

			if (cid != NULL && strcmp(jsonx_str(r, "id"), cid) == 0) {
				json_object_del(t, "conversation_id");
				json_array_append(json_object_get(r, "tags"), jsonx_present(t));
				break;
			}
		}
	}
	json_decref(tags);
	json_decref(ids);
}

void
api_conv_list(struct api_ctx *c)
{
	struct store_conv_filter f;
	char stbuf[128], cur[96], idbuf[48];
	json_t *rows, *out;
	int limit;
	size_t i;

	if (!conv_filter(c, &f, stbuf, idbuf, &limit))
		return;
	f.limit = limit + 1;
	rows = ST(c->s, conv_list, &f, &c->ei);
	conv_filter_free(&f);
	if (rows == NULL) {
		api_fail(c);
		return;
	}
	out = json_object();
	if (json_array_size(rows) > (size_t)limit) {
		json_array_remove(rows, (size_t)limit);
		conv_cursor(json_array_get(rows, (size_t)limit - 1), f.sort_created, cur);
		json_object_set_new(out, "next_cursor", json_string(cur));
	} else {
		json_object_set_new(out, "next_cursor", json_null());
	}
	conv_attach_tags(c, rows);
	inbox_stale_mark(c->s, c->p.workspace_id, rows, util_now_ms()); /* suggest: stale flag (I7) */
	api_collab_unread(c, rows); /* collab (issue 4): per-member unread */
	for (i = 0; i < json_array_size(rows); i++)
		jsonx_present(json_array_get(rows, i));
	json_object_set_new(out, "items", rows);
	api_json(c, 200, out);
}

void
api_conv_create(struct api_ctx *c)
{
	const char *ext = api_body_str(c, "external_id"), *body;
	json_t *ctx, *conv = NULL, *msg = NULL, *existing;
	int created = 0;

	if (c->rs->status)
		return;
	body = api_body_str(c, "body");
	if (c->rs->status)
		return;
	ctx = json_object_get(c->body, "context");
	if (ctx != NULL && !json_is_object(ctx)) {
		api_error(c, ERR_INVALID, "context must be an object");
		return;
	}
	ctx = ctx ? json_deep_copy(ctx) : json_object();
	if (ext != NULL)
		json_object_set_new(ctx, "external_id", json_string(ext));
	/* The same external ID joins the same conversation (C3). */
	existing = ext ? ST(c->s, conv_by_external, c->p.workspace_id, ext) : NULL;
	if (existing != NULL) {
		conv = jsonx_present(existing);
	} else if (inbox_conv_start(c->s, c->p.workspace_id, "api", ctx, NULL, &conv, &c->ei)) {
		json_decref(ctx);
		api_fail(c);
		return;
	} else {
		created = 1;
	}
	json_decref(ctx);
	if (body != NULL) {
		/* A message from the help desk is the visitor's message. */
		struct principal sys = c->p;

		sys.sites = NULL;
		if (inbox_msg_post(c->s, &sys, jsonx_str(conv, "id"), "visitor", body, 0, NULL, &msg, &c->ei)) {
			json_decref(conv);
			api_fail(c);
			return;
		}
	}
	api_json(c, created ? 201 : 200, json_pack("{s:o,s:o?}", "conversation", conv, "message", msg));
}

void
api_conv_get(struct api_ctx *c)
{
	json_t *conv;

	if (!api_id_ok(c->params[0])) {
		api_error(c, ERR_NOT_FOUND, "no such conversation");
		return;
	}
	conv = inbox_conv_get(c->s, &c->p, c->params[0], &c->ei);
	if (conv == NULL) {
		api_fail(c);
		return;
	}
	json_object_set_new(conv, "tags", inbox_conv_tags(c->s, c->p.workspace_id, c->params[0]));
	inbox_stale_mark(c->s, c->p.workspace_id, conv, util_now_ms()); /* suggest: stale flag (I7) */
	{
		/* collab (issue 4): per-member unread */
		json_t *one = json_pack("[O]", conv);

		api_collab_unread(c, one);
		json_decref(one);
	}
	api_json(c, 200, jsonx_present(conv));
}

/* Messages of a conversation; internal notes only for members. */
static void
conv_messages(struct api_ctx *c, int include_internal)
{
	json_t *conv, *arr, *out;
	const char *v = api_query(c, "after");
	int64_t after = 0;
	size_t i;

	if (v != NULL) {
		char *end;

		after = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || after < 0) {
			api_error(c, ERR_INVALID, "after must be a message id");
			return;
		}
	}
	conv = inbox_conv_get(c->s, &c->p, c->params[0], &c->ei);
	if (conv == NULL) {
		api_fail(c);
		return;
	}
	arr = ST(c->s, msg_list, c->params[0], include_internal, after, 500);
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *m = json_array_get(arr, i);

		json_object_set_new(m, "internal", json_boolean(jsonx_int(m, "internal", 0)));
		if (!include_internal)
			json_object_del(m, "author_id");
		jsonx_present(m);
	}
	out = json_pack("{s:o,s:I}", "items", arr, "number", (json_int_t)jsonx_int(conv, "number", 0));
	json_decref(conv);
	api_json(c, 200, out);
}

void
api_conv_messages(struct api_ctx *c)
{
	conv_messages(c, 1);
}

void
api_widget_messages(struct api_ctx *c)
{
	if (!api_widget_cors(c, c->p.workspace_id))
		return;
	conv_messages(c, 0);
}

void
api_conv_post(struct api_ctx *c)
{
	const char *body = api_body_str(c, "body");
	json_t *internal = json_object_get(c->body, "internal"), *msg = NULL;

	if (c->rs->status)
		return;
	if (body == NULL) {
		api_error(c, ERR_INVALID, "body is required");
		return;
	}
	if (internal != NULL && !json_is_boolean(internal)) {
		api_error(c, ERR_INVALID, "internal must be true or false");
		return;
	}
	if (inbox_msg_post(c->s, &c->p, c->params[0], "member", body, json_is_true(internal), NULL,
	    &msg, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, msg);
}

void
api_conv_timeline(struct api_ctx *c)
{
	json_t *conv = inbox_conv_get(c->s, &c->p, c->params[0], &c->ei), *arr;
	size_t i;

	if (conv == NULL) {
		api_fail(c);
		return;
	}
	json_decref(conv);
	arr = ST(c->s, timeline_list, c->params[0]);
	for (i = 0; i < json_array_size(arr); i++)
		jsonx_present(json_array_get(arr, i));
	api_json(c, 200, json_pack("{s:o}", "items", arr));
}

static void
conv_result(struct api_ctx *c, err_t err, json_t *out)
{
	if (err) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_conv_claim(struct api_ctx *c)
{
	json_t *out = NULL;
	/* Call before passing out: argument order is unspecified in C. */
	err_t err = inbox_conv_claim(c->s, &c->p, c->params[0], &out, &c->ei);

	conv_result(c, err, out);
}

void
api_conv_assign(struct api_ctx *c)
{
	json_t *v = json_object_get(c->body, "assignee_id"), *out = NULL;
	err_t err;

	if (v == NULL || !(json_is_null(v) || json_is_string(v))) {
		api_error(c, ERR_INVALID, "send {\"assignee_id\": member id or null}");
		return;
	}
	if (json_is_string(v) && !api_id_ok(json_string_value(v))) {
		api_error(c, ERR_INVALID, "assignee_id is not a member id");
		return;
	}
	err = inbox_conv_assign(c->s, &c->p, c->params[0], json_string_value(v), &out, &c->ei);
	conv_result(c, err, out);
}

void
api_conv_status(struct api_ctx *c)
{
	const char *st = api_body_str(c, "status");
	json_t *out = NULL;
	err_t err;

	if (c->rs->status)
		return;
	err = inbox_conv_status(c->s, &c->p, c->params[0], st, &out, &c->ei);
	conv_result(c, err, out);
}

void
api_conv_handback(struct api_ctx *c)
{
	json_t *out = NULL;
	err_t err = inbox_conv_handback(c->s, &c->p, c->params[0], &out, &c->ei);

	conv_result(c, err, out);
}

void
api_search(struct api_ctx *c)
{
	struct store_conv_filter f;
	char stbuf[128], idbuf[48];
	const char *q = api_query(c, "q");
	json_t *rows;
	int limit;
	size_t i;

	if (q == NULL || *q == '\0' || strlen(q) > 500) {
		api_error(c, ERR_INVALID, "q must be 1 to 500 characters");
		return;
	}
	if (!conv_filter(c, &f, stbuf, idbuf, &limit))
		return;
	if (f.cursor_id != NULL) {
		conv_filter_free(&f);
		api_error(c, ERR_INVALID, "search does not take a cursor; narrow it with filters");
		return;
	}
	f.limit = limit;
	rows = ST(c->s, msg_search, &f, q, 1, &c->ei);
	conv_filter_free(&f);
	if (rows == NULL) {
		api_fail(c);
		return;
	}
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);

		json_object_set_new(r, "internal", json_boolean(jsonx_int(r, "internal", 0)));
		jsonx_present(r);
	}
	api_json(c, 200, json_pack("{s:o,s:s}", "items", rows, "highlight",
	    "snippets mark matches with U+0002 (start) and U+0003 (end)"));
}
