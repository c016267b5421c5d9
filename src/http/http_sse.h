/* http_sse.h: event streams, internal to src/http. */
#ifndef BATON_HTTP_SSE_H
#define BATON_HTTP_SSE_H

#include <microhttpd.h>

#include "api/api.h"

struct MHD_Response *http_sse_response(struct MHD_Connection *conn, struct store *s,
    struct api_sse *sub);
void http_sse_heartbeat(void);
/* End every stream (for shutdown): they finish and their connections close. */
void http_sse_close_all(void);
int http_sse_count(void);

#endif
