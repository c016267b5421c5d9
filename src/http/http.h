/* http.h: the transport. libmicrohttpd with an epoll thread pool accepts
 * connections; each complete request is suspended and handed to a pool of
 * worker threads (each with its own store connection) so that slow SQL never
 * stalls other connections; the worker resumes the connection with the
 * response. Event streams (SSE) are suspended connections fed by the bus. */
#ifndef BATON_HTTP_H
#define BATON_HTTP_H

struct http_config {
	const char *listen;  /* "127.0.0.1:8080" or ":8080" */
	const char *dsn;     /* store data source (the data directory) */
	int workers;         /* request worker threads */
	int heartbeat_s;     /* SSE heartbeat period */
	/* Comma-separated addresses of reverse proxies whose X-Forwarded-For is
	 * believed (for login rate limits and logs); NULL: believe none. */
	const char *trusted_proxies;
};

/* Serve until SIGINT or SIGTERM. Returns 0 on a clean stop. */
int http_serve(const struct http_config *cfg);

#endif
