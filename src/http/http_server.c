/* http_server.c: libmicrohttpd setup, the request lifecycle, the worker pool
 * and static assets.
 *
 * Lifecycle of a request: MHD calls on_request once with no data (we allocate
 * the hreq and return; responding on the first call would make MHD add
 * "Connection: close"), then with body chunks (copied into a capped buffer),
 * then with none. Static assets are answered inline; everything else is
 * suspended and queued for a worker. The worker runs api_handle with its own
 * store connection, prepares the MHD response and resumes the connection;
 * MHD calls on_request again and we queue the response. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/log.h"
#include "core/util.h"
#include "http.h"
#include "http_sse.h"
#include "assets.h"
#include "store/store.h"

enum { HR_RECEIVING, HR_QUEUED, HR_DONE };

struct hreq {
	struct MHD_Connection *conn;
	int state;
	char method[16];
	char *path;
	struct buf body;
	int too_large;
	json_t *query;
	int bad_query;
	char *hdr[8];
	char ip[64];
	struct api_resp rs;
	struct MHD_Response *resp; /* prepared by the worker */
	struct hreq *next;
};

enum { H_COOKIE, H_AUTH, H_CSRF, H_ORIGIN, H_LASTID, H_CTYPE, H_FILENAME, H_PROTO };
static const char *const hreq_headers[8] = {
	NULL, "Authorization", "X-CSRF-Token", "Origin", "Last-Event-ID", "Content-Type",
	"X-Filename", "X-Forwarded-Proto",
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hreq *head, *tail;
	int stop;
} hq = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0};

static const char *http_dsn;

static void
hq_push(struct hreq *r)
{
	pthread_mutex_lock(&hq.mu);
	r->next = NULL;
	if (hq.tail != NULL)
		hq.tail->next = r;
	else
		hq.head = r;
	hq.tail = r;
	pthread_cond_signal(&hq.cv);
	pthread_mutex_unlock(&hq.mu);
}

static struct hreq *
hq_pop(void)
{
	struct hreq *r;

	pthread_mutex_lock(&hq.mu);
	while (hq.head == NULL && !hq.stop)
		pthread_cond_wait(&hq.cv, &hq.mu);
	r = hq.head;
	if (r != NULL) {
		hq.head = r->next;
		if (hq.head == NULL)
			hq.tail = NULL;
	}
	pthread_mutex_unlock(&hq.mu);
	return r;
}

static void
http_common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

static struct MHD_Response *
http_build(struct hreq *r, struct store *s)
{
	struct api_resp *rs = &r->rs;
	struct MHD_Response *resp;
	const char *k;
	json_t *v;

	if (rs->sse != NULL) {
		resp = http_sse_response(r->conn, s, rs->sse);
		rs->sse = NULL; /* owned by the stream now */
	} else if (rs->static_body != NULL) {
		resp = MHD_create_response_from_buffer(rs->len, (void *)(uintptr_t)rs->static_body,
		    MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(rs->len, rs->body ? rs->body : (char *)"",
		    rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		rs->body = NULL;
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	}
	if (rs->content_type != NULL)
		MHD_add_response_header(resp, "Content-Type", rs->content_type);
	json_object_foreach(rs->headers, k, v)
		MHD_add_response_header(resp, k, json_string_value(v));
	http_common_headers(resp);
	return resp;
}

static void *
http_worker(void *arg)
{
	struct errinfo ei = {0};
	struct store *s = store_open(http_dsn, &ei);
	struct hreq *r;

	(void)arg;
	if (s == NULL)
		fatalx("worker cannot open the store: %s", ei.msg);
	while ((r = hq_pop()) != NULL) {
		struct api_req rq;

		memset(&rq, 0, sizeof(rq));
		rq.method = r->method;
		rq.path = r->path;
		rq.query = r->query;
		rq.bad_query = r->bad_query;
		rq.cookie = r->hdr[H_COOKIE];
		rq.authorization = r->hdr[H_AUTH];
		rq.csrf = r->hdr[H_CSRF];
		rq.origin = r->hdr[H_ORIGIN];
		rq.last_event_id = r->hdr[H_LASTID];
		rq.content_type = r->hdr[H_CTYPE];
		rq.filename = r->hdr[H_FILENAME];
		rq.tls = r->hdr[H_PROTO] != NULL && strcasecmp(r->hdr[H_PROTO], "https") == 0;
		rq.client_ip = r->ip;
		rq.body = r->body.p ? r->body.p : "";
		rq.body_len = r->body.len;
		rq.body_too_large = r->too_large;
		api_handle(s, &rq, &r->rs);
		r->resp = http_build(r, s);
		r->state = HR_DONE;
		MHD_resume_connection(r->conn);
	}
	ST(s, close);
	return NULL;
}

static enum MHD_Result
http_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hreq *r = cls;

	(void)kind;
	if (value == NULL)
		value = "";
	if (!util_utf8_valid(key, strlen(key)) || !util_utf8_valid(value, strlen(value)) ||
	    strlen(value) > 2000) {
		r->bad_query = 1;
		return MHD_YES;
	}
	if (json_object_size(r->query) < 64)
		json_object_set_new(r->query, key, json_string(value));
	return MHD_YES;
}

static const struct embedded *
http_asset(const char *path)
{
	const struct embedded *a;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (a = assets; a->path != NULL; a++)
		if (strcmp(a->path, path) == 0)
			return a;
	return NULL;
}

static enum MHD_Result
http_static(struct MHD_Connection *conn, const struct embedded *a)
{
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int notmod = inm != NULL && strcmp(inm, a->etag) == 0;

	resp = MHD_create_response_from_buffer(notmod ? 0 : a->len,
	    (void *)(uintptr_t)a->data, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Content-Type", a->type);
	MHD_add_response_header(resp, "ETag", a->etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (strncmp(a->type, "text/html", 9) == 0) {
		MHD_add_response_header(resp, "Content-Security-Policy",
		    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	}
	if (strcmp(a->path, "/widget.js") == 0)
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
	http_common_headers(resp);
	ret = MHD_queue_response(conn, notmod ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static char trusted_proxies[1024]; /* ",a,b," for exact matching */

static int
http_trusted(const char *ip)
{
	char k[80];

	if (trusted_proxies[0] == '\0')
		return 0;
	snprintf(k, sizeof(k), ",%s,", ip);
	return strstr(trusted_proxies, k) != NULL;
}

/* The peer's address; behind a trusted proxy, the right-most address of
 * X-Forwarded-For that is not itself a trusted proxy (entries to its left
 * are whatever the client claimed, so they are never believed). */
static void
http_client_ip(struct MHD_Connection *conn, char out[64])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *xff;
	char list[512], *p;

	snprintf(out, 64, "?");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, out, 64);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr, out, 64);
	if (!http_trusted(out))
		return;
	xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
	if (xff == NULL)
		return;
	snprintf(list, sizeof(list), "%s", xff);
	for (;;) {
		unsigned char bin[16];
		char *comma = strrchr(list, ','), *e;

		p = comma ? comma + 1 : list;
		while (*p == ' ' || *p == '\t')
			p++;
		for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		if (inet_pton(AF_INET, p, bin) != 1 && inet_pton(AF_INET6, p, bin) != 1)
			return; /* not an address: keep the last good one */
		snprintf(out, 64, "%s", p);
		if (!http_trusted(p) || comma == NULL)
			return;
		*comma = '\0';
	}
}

static int
http_is_upload(const char *method, const char *url)
{
	return strcmp(method, "POST") == 0 && strncmp(url, "/api/v1/kb/documents", 20) == 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct hreq *r = *con_cls;
	enum MHD_Result ret;
	int i;

	(void)cls;
	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->conn = conn;
		snprintf(r->method, sizeof(r->method), "%s", method);
		r->path = xstrdup(url);
		buf_init(&r->body, http_is_upload(method, url) ? API_UPLOAD_MAX : API_BODY_MAX);
		*con_cls = r;
		return MHD_YES;
	}
	if (r->state == HR_RECEIVING) {
		const struct embedded *a;

		if (*upload_data_size > 0) {
			if (!r->too_large && buf_append(&r->body, upload_data, *upload_data_size))
				r->too_large = 1; /* keep reading, answer 413 at the end */
			*upload_data_size = 0;
			return MHD_YES;
		}
		if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
		    strncmp(url, "/api/", 5) != 0 && strncmp(url, "/widget/v1/", 11) != 0) {
			a = http_asset(url);
			if (a != NULL)
				return http_static(conn, a);
		}
		r->query = json_object();
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, http_query_arg, r);
		{
			const char *ck = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "baton_session");

			r->hdr[H_COOKIE] = ck ? xstrndup(ck, strnlen(ck, 200)) : NULL;
		}
		for (i = 1; i < 8; i++) {
			const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, hreq_headers[i]);

			r->hdr[i] = v ? xstrndup(v, strnlen(v, 1024)) : NULL;
		}
		http_client_ip(conn, r->ip);
		r->state = HR_QUEUED;
		MHD_suspend_connection(conn);
		hq_push(r);
		return MHD_YES;
	}
	if (r->state == HR_DONE && r->resp != NULL) {
		int status = r->rs.status ? r->rs.status : 500;

		ret = MHD_queue_response(conn, (unsigned)status, r->resp);
		MHD_destroy_response(r->resp);
		r->resp = NULL;
		return ret;
	}
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct hreq *r = *con_cls;
	int i;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	if (r->resp != NULL)
		MHD_destroy_response(r->resp);
	api_resp_free(&r->rs);
	buf_free(&r->body);
	json_decref(r->query);
	for (i = 0; i < 8; i++)
		free(r->hdr[i]);
	free(r->path);
	free(r);
	*con_cls = NULL;
}

static int
http_parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	long port;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

static void
http_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
http_serve(const struct http_config *cfg)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	pthread_t *workers;
	sigset_t set;
	struct timespec ts;
	int i, sig = 0, nworkers = cfg->workers > 0 ? cfg->workers : 4;

	snprintf(trusted_proxies, sizeof(trusted_proxies), ",%s,", cfg->trusted_proxies ? cfg->trusted_proxies : "");
	if (cfg->trusted_proxies == NULL)
		trusted_proxies[0] = '\0';
	if (http_parse_listen(cfg->listen, &sa) != 0) {
		log_warnx("bad listen address '%s': use HOST:PORT, e.g. 127.0.0.1:8080", cfg->listen);
		return 2;
	}
	http_dsn = cfg->dsn;
	http_raise_nofile();
	/* Signals are taken synchronously by this thread; block them everywhere. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	workers = xcalloc((size_t)nworkers, sizeof(*workers));
	for (i = 0; i < nworkers; i++)
		pthread_create(&workers[i], NULL, http_worker, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)20000,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    /* Per-connection pool of 8 KB: bounds request headers (MHD answers 431
	     * beyond it, like nginx's default) and keeps idle SSE streams under 16 KB. */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(8 * 1024),
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		log_warnx("cannot listen on %s (is the port in use?)", cfg->listen);
		hq.stop = 1;
		pthread_cond_broadcast(&hq.cv);
		for (i = 0; i < nworkers; i++)
			pthread_join(workers[i], NULL);
		free(workers);
		return 1;
	}
	log_info("baton listening on http://%s", cfg->listen);
	ts.tv_sec = cfg->heartbeat_s > 0 ? cfg->heartbeat_s : 15;
	ts.tv_nsec = 0;
	for (;;) {
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		http_sse_heartbeat();
	}
	log_info("stopping (signal %d)", sig);
	http_sse_close_all();
	usleep(200 * 1000);
	MHD_stop_daemon(d);
	pthread_mutex_lock(&hq.mu);
	hq.stop = 1;
	pthread_cond_broadcast(&hq.cv);
	pthread_mutex_unlock(&hq.mu);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	free(workers);
	return 0;
}
