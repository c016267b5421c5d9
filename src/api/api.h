/* api.h: the JSON API. One route table (api_routes.c) maps method and path
 * pattern to a handler and the principal it requires; api_handle resolves the
 * principal (session cookie, API token, visitor token or widget key), checks
 * role, workspace, site scope and CSRF, and runs the handler. The transport
 * (http/) only moves bytes: it fills an api_req, calls api_handle on a worker
 * thread, and sends the api_resp. */
#ifndef BATON_API_H
#define BATON_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/buf.h"
#include "inbox/inbox.h"
#include "store/store.h"

#define API_BODY_MAX (1024 * 1024)
#define API_UPLOAD_MAX (25 * 1024 * 1024)
#define API_JSON_DEPTH 32

struct api_req {
	const char *method;
	const char *path;     /* decoded path, no query */
	json_t *query;        /* decoded query arguments (object of strings) */
	const char *cookie;   /* value of the baton_session cookie, or NULL */
	const char *authorization;
	const char *csrf;
	const char *origin;
	const char *last_event_id;
	const char *content_type;
	const char *filename; /* X-Filename for uploads */
	const char *client_ip;
	int tls;              /* behind TLS (X-Forwarded-Proto: https): Secure cookies */
	const char *body;
	size_t body_len;
	int body_too_large;
	int bad_query;        /* a query argument was not valid UTF-8 */
};

/* What an SSE stream may see, and where it resumes. */
struct api_sse {
	struct principal p;
	char conv_id[40];     /* visitor stream: its conversation; member stream: "" */
	int64_t last_id;      /* replay events after this id; -1 for none */
};

struct api_resp {
	int status;
	char *body;           /* malloc'd */
	size_t len;
	const char *content_type;
	const unsigned char *static_body; /* embedded asset, not freed */
	json_t *headers;      /* extra headers, name -> value */
	struct api_sse *sse;  /* non-NULL: start an event stream instead */
};

void api_init(void);
void api_handle(struct store *s, const struct api_req *rq, struct api_resp *rs);
void api_resp_free(struct api_resp *rs);

/* 1 when the event revokes the stream's credential or scope: end it. */
int api_sse_revoked(const struct api_sse *sub, const struct bus_event *ev);
/* 1 when the stream may see the event. */
int api_sse_match(const struct api_sse *sub, const struct bus_event *ev);
/* Append one event in the text/event-stream format. */
err_t api_sse_format(struct buf *b, int64_t id, const char *type, const char *data);
void api_sse_free(struct api_sse *sub);
/* Stored events after an id that the stream may see, oldest first. */
json_t *api_sse_backlog(struct store *s, const struct api_sse *sub, int64_t after);

/* The route table as JSON (method, path, auth, role) for `baton routes` and the
 * authorisation matrix test. */
json_t *api_routes_json(void);

#endif
