/* api.c: dispatch. Match the route, parse and bound the body, resolve who is
 * calling, check role, workspace, CSRF, then run the handler. Every refusal
 * uses the one error format {"error":{"code","message"}}. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"

void
api_init(void)
{
	/* jansson uses its own allocator hooks; ours abort on exhaustion. */
	json_object_seed(0);
}

void
api_header(struct api_ctx *c, const char *name, const char *value)
{
	if (c->rs->headers == NULL)
		c->rs->headers = json_object();
	json_object_set_new(c->rs->headers, name, json_string(value));
}

void
api_json(struct api_ctx *c, int status, json_t *json)
{
	free(c->rs->body);
	c->rs->status = status;
	c->rs->body = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY);
	c->rs->len = c->rs->body ? strlen(c->rs->body) : 0;
	c->rs->content_type = "application/json";
	json_decref(json);
}

void
api_error(struct api_ctx *c, err_t code, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_json(c, err_http(code),
	    json_pack("{s:{s:s,s:s}}", "error", "code", err_str(code), "message", msg));
}

void
api_fail(struct api_ctx *c)
{
	api_error(c, c->ei.code ? c->ei.code : ERR_INTERNAL, "%s",
	    c->ei.msg[0] ? c->ei.msg : "internal error");
}

const char *
api_body_str(struct api_ctx *c, const char *key)
{
	json_t *v = json_object_get(c->body, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		api_error(c, ERR_INVALID, "'%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

const char *
api_query(struct api_ctx *c, const char *key)
{
	return json_string_value(json_object_get(c->rq->query, key));
}

int
api_id_ok(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9') || id[n] == '_'))
			return 0;
	return n >= 1 && n <= 40;
}

/* Match "/api/v1/conversations/:id/claim" against a path, capturing params. */
static int
api_match(struct api_ctx *c, const char *pattern, const char *path)
{
	int np = 0;

	while (*pattern && *path) {
		if (*pattern == ':') {
			size_t n = strcspn(path, "/");

			if (n == 0 || n >= sizeof(c->pbuf[0]) || np >= 4)
				return 0;
			memcpy(c->pbuf[np], path, n);
			c->pbuf[np][n] = '\0';
			c->params[np] = c->pbuf[np];
			np++;
			path += n;
			pattern += strcspn(pattern, "/");
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	/* Allow one trailing slash. */
	if (*path == '/' && path[1] == '\0')
		path++;
	return *pattern == '\0' && *path == '\0';
}

static int
api_json_depth_ok(const char *p, size_t n)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"') {
			in_str = 1;
		} else if (ch == '{' || ch == '[') {
			if (++depth > API_JSON_DEPTH)
				return 0;
		} else if (ch == '}' || ch == ']') {
			depth--;
		}
	}
	return 1;
}

static int
api_parse_body(struct api_ctx *c, const struct api_route *r)
{
	const struct api_req *rq = c->rq;
	json_error_t je;

	if ((r->flags & (API_F_UPLOAD | API_F_NOJSON)) || strcmp(rq->method, "GET") == 0 ||
	    strcmp(rq->method, "DELETE") == 0)
		return 1;
	if (rq->body_len > API_BODY_MAX) {
		api_error(c, ERR_TOO_LARGE, "the request body is larger than %d bytes", API_BODY_MAX);
		return 0;
	}
	if (rq->body_len == 0) {
		if (r->fn == api_auth_logout || r->fn == api_conv_claim || r->fn == api_conv_handback ||
		    r->fn == api_conv_read /* collab */) {
			c->body = json_object();
			return 1;
		}
		api_error(c, ERR_INVALID, "a JSON object body is required");
		return 0;
	}
	if (!api_json_depth_ok(rq->body, rq->body_len)) {
		api_error(c, ERR_INVALID, "the JSON body is nested deeper than %d levels", API_JSON_DEPTH);
		return 0;
	}
	c->body = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (c->body == NULL) {
		api_error(c, ERR_INVALID, "malformed JSON at line %d column %d: %s", je.line, je.column,
		    je.text);
		return 0;
	}
	if (!json_is_object(c->body)) {
		api_error(c, ERR_INVALID, "the JSON body must be an object");
		return 0;
	}
	return 1;
}

static int
api_authenticate(struct api_ctx *c, const struct api_route *r)
{
	const struct api_req *rq = c->rq;
	const char *bearer = NULL;
	err_t err = ERR_UNAUTHORIZED;

	if (rq->authorization != NULL && strncasecmp(rq->authorization, "Bearer ", 7) == 0)
		bearer = rq->authorization + 7;
	switch (r->auth) {
	case AUTH_PUBLIC:
	case AUTH_WIDGET:
		if (rq->cookie != NULL)
			inbox_session_lookup(c->s, rq->cookie, &c->p);
		return 1;
	case AUTH_VISITOR:
		/* EventSource cannot send headers: the widget's stream may pass ?token=. */
		if (bearer == NULL && r->fn == api_widget_events)
			bearer = api_query(c, "token");
		if (bearer == NULL) {
			api_error(c, ERR_UNAUTHORIZED, "send the visitor token as Authorization: Bearer");
			return 0;
		}
		if (!api_id_ok(c->params[0])) {
			api_error(c, ERR_NOT_FOUND, "no such conversation");
			return 0;
		}
		err = inbox_visitor_lookup(c->s, c->params[0], bearer, &c->p);
		if (err) {
			api_error(c, ERR_FORBIDDEN, "this token does not open this conversation");
			return 0;
		}
		return 1;
	default:
		break;
	}
	if (bearer != NULL)
		err = inbox_token_lookup(c->s, bearer, &c->p);
	else if (rq->cookie != NULL)
		err = inbox_session_lookup(c->s, rq->cookie, &c->p);
	if (err) {
		api_error(c, ERR_UNAUTHORIZED, "log in first (session cookie or API token)");
		return 0;
	}
	if (c->p.role < r->role) {
		api_error(c, ERR_FORBIDDEN, "this needs the %s role; you are %s", role_name(r->role),
		    role_name(c->p.role));
		return 0;
	}
	if (c->p.via_cookie && strcmp(rq->method, "GET") != 0 &&
	    (rq->csrf == NULL || !util_streq_ct(rq->csrf, c->p.csrf))) {
		api_error(c, ERR_FORBIDDEN, "missing or wrong X-CSRF-Token header (see GET /api/v1/me)");
		return 0;
	}
	return 1;
}

void
api_handle(struct store *s, const struct api_req *rq, struct api_resp *rs)
{
	struct api_ctx c;
	const struct api_route *r, *found = NULL;
	int path_matched = 0;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.rq = rq;
	c.rs = rs;
	if (rq->bad_query) {
		api_error(&c, ERR_INVALID, "the query string is not valid UTF-8");
		goto out;
	}
	if (strcmp(rq->method, "OPTIONS") == 0 && strncmp(rq->path, "/widget/v1/", 11) == 0) {
		/* CORS preflight: the actual request checks the origin against the workspace. */
		api_header(&c, "Access-Control-Allow-Origin", rq->origin ? rq->origin : "*");
		api_header(&c, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
		api_header(&c, "Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID");
		api_header(&c, "Access-Control-Max-Age", "600");
		api_header(&c, "Vary", "Origin");
		rs->status = 204;
		goto out;
	}
	for (r = api_routes; r->method != NULL; r++) {
		memset(c.params, 0, sizeof(c.params));
		if (!api_match(&c, r->pattern, rq->path))
			continue;
		path_matched = 1;
		if (strcmp(r->method, rq->method) == 0) {
			found = r;
			break;
		}
	}
	if (found == NULL) {
		if (path_matched)
			api_error(&c, ERR_INVALID, "method %s is not allowed here", rq->method);
		else
			api_error(&c, ERR_NOT_FOUND, "no route for %s %s", rq->method, rq->path);
		if (path_matched)
			rs->status = 405;
		goto out;
	}
	/* Who is calling comes before what they sent: strangers get 401, not
	 * validation details, and bodies of the unauthorised are never parsed. */
	if (rq->body_too_large) {
		api_error(&c, ERR_TOO_LARGE, "the request body is larger than %d bytes",
		    (found->flags & API_F_UPLOAD) ? API_UPLOAD_MAX : API_BODY_MAX);
		goto out;
	}
	if (!api_authenticate(&c, found) || !api_parse_body(&c, found))
		goto out;
	found->fn(&c);
	if (rs->status == 0)
		api_error(&c, ERR_INTERNAL, "the handler gave no response");
out:
	json_decref(c.body);
	principal_clear(&c.p);
}

void
api_resp_free(struct api_resp *rs)
{
	free(rs->body);
	json_decref(rs->headers);
	if (rs->sse != NULL)
		api_sse_free(rs->sse);
	memset(rs, 0, sizeof(*rs));
}

json_t *
api_routes_json(void)
{
	static const char *const auths[] = {"public", "member", "visitor", "widget"};
	json_t *arr = json_array();
	const struct api_route *r;

	for (r = api_routes; r->method != NULL; r++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "method", r->method, "path",
		    r->pattern, "auth", auths[r->auth], "role", role_name(r->role)));
	return arr;
}
