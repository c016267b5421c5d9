/* http_sse.c: Server-Sent Events over suspended MHD connections.
 *
 * Each stream owns a small queue of formatted events. The reader callback
 * drains it; when it is empty the callback suspends the connection (returning
 * 0 without suspending would busy-poll). A bus callback appends an event and
 * resumes the connection. A reader that falls more than SSE_QUEUE_MAX behind
 * is ended: it reconnects with Last-Event-ID and replays from the store, so a
 * slow reader never holds up the others. Heartbeats keep proxies from closing
 * idle streams and reveal clients that left (suspended connections do not
 * time out on their own). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/bus.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "http_sse.h"

#define SSE_QUEUE_MAX (256 * 1024)

struct sse_stream {
	pthread_mutex_t mu;
	struct buf q;
	size_t off;
	int suspended;
	int closed;
	int ready;            /* the replay is done; live events go straight to q */
	int pending;          /* a live event arrived before ready */
	int64_t hwm;          /* highest event id queued */
	struct MHD_Connection *conn;
	struct api_sse *sub;
	struct bus_sub *bs;
	struct sse_stream *prev, *next;
};

static pthread_mutex_t sse_list_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sse_stream *sse_head;
static int sse_n;

/* Call with st->mu held. */
static void
sse_wake(struct sse_stream *st)
{
	if (st->suspended) {
		st->suspended = 0;
		MHD_resume_connection(st->conn);
	}
}

static void
sse_on_event(void *ctx, const struct bus_event *ev)
{
	struct sse_stream *st = ctx;

	if (api_sse_revoked(st->sub, ev)) {
		pthread_mutex_lock(&st->mu);
		st->closed = 1;
		sse_wake(st);
		pthread_mutex_unlock(&st->mu);
		return;
	}
	if (!api_sse_match(st->sub, ev))
		return;
	pthread_mutex_lock(&st->mu);
	if (!st->ready) {
		st->pending = 1;
	} else if (!st->closed && (ev->id > st->hwm || ev->ephemeral)) {
		/* collab (issue 4): ephemeral events (presence) have no id and no replay. */
		if (st->q.len - st->off > SSE_QUEUE_MAX ||
		    api_sse_format(&st->q, ev->ephemeral ? 0 : ev->id, ev->type, ev->data)) {
			st->closed = 1; /* too slow: it will reconnect and replay */
		}
		if (!ev->ephemeral)
			st->hwm = ev->id;
		sse_wake(st);
	}
	pthread_mutex_unlock(&st->mu);
}

static ssize_t
sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_stream *st = cls;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&st->mu);
	if (st->q.len > st->off) {
		size_t k = st->q.len - st->off;

		if (k > max)
			k = max;
		memcpy(out, st->q.p + st->off, k);
		st->off += k;
		if (st->off == st->q.len) {
			/* Drained: give big buffers back so idle streams stay small. */
			if (st->q.cap > 4096)
				buf_free(&st->q);
			else
				buf_reset(&st->q);
			st->off = 0;
		}
		n = (ssize_t)k;
	} else if (st->closed) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		st->suspended = 1;
		MHD_suspend_connection(st->conn);
		n = 0;
	}
	pthread_mutex_unlock(&st->mu);
	return n;
}

static void
sse_free(void *cls)
{
	struct sse_stream *st = cls;

	bus_unsubscribe(st->bs);
	pthread_mutex_lock(&sse_list_mu);
	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		sse_head = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	sse_n--;
	pthread_mutex_unlock(&sse_list_mu);
	buf_free(&st->q);
	api_sse_free(st->sub);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

static void
sse_append_rows(struct sse_stream *st, json_t *rows)
{
	size_t i;

	for (i = 0; i < json_array_size(rows); i++) {
		json_t *e = json_array_get(rows, i);
		int64_t id = jsonx_int(e, "id", 0);

		if (id <= st->hwm)
			continue;
		if (api_sse_format(&st->q, id, jsonx_str(e, "type"), jsonx_str(e, "data"))) {
			st->closed = 1;
			break;
		}
		st->hwm = id;
	}
}

/* Runs on a worker thread: subscribe, then replay what the client missed.
 * Subscribing first and replaying until no live event raced the replay means
 * no event falls between the two. */
struct MHD_Response *
http_sse_response(struct MHD_Connection *conn, struct store *s, struct api_sse *sub)
{
	struct sse_stream *st = xcalloc(1, sizeof(*st));
	struct MHD_Response *resp;

	pthread_mutex_init(&st->mu, NULL);
	buf_init(&st->q, SSE_QUEUE_MAX + 65536);
	st->conn = conn;
	st->sub = sub;
	st->hwm = sub->last_id < 0 ? 0 : sub->last_id;
	buf_puts(&st->q, "retry: 2000\n: stream open\n\n");
	st->bs = bus_subscribe(sse_on_event, st);
	if (sub->last_id < 0) {
		pthread_mutex_lock(&st->mu);
		st->ready = 1;
		pthread_mutex_unlock(&st->mu);
	} else {
		for (;;) {
			json_t *rows = api_sse_backlog(s, sub, st->hwm);

			pthread_mutex_lock(&st->mu);
			sse_append_rows(st, rows);
			json_decref(rows);
			if (!st->pending) {
				st->ready = 1;
				pthread_mutex_unlock(&st->mu);
				break;
			}
			st->pending = 0;
			pthread_mutex_unlock(&st->mu);
		}
	}
	pthread_mutex_lock(&sse_list_mu);
	st->next = sse_head;
	if (sse_head != NULL)
		sse_head->prev = st;
	sse_head = st;
	sse_n++;
	pthread_mutex_unlock(&sse_list_mu);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, st, sse_free);
	MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return resp;
}

void
http_sse_heartbeat(void)
{
	struct sse_stream *st;

	pthread_mutex_lock(&sse_list_mu);
	for (st = sse_head; st != NULL; st = st->next) {
		pthread_mutex_lock(&st->mu);
		if (!st->closed && st->q.len == st->off)
			buf_puts(&st->q, ": heartbeat\n\n");
		sse_wake(st);
		pthread_mutex_unlock(&st->mu);
	}
	pthread_mutex_unlock(&sse_list_mu);
}

void
http_sse_close_all(void)
{
	struct sse_stream *st;

	pthread_mutex_lock(&sse_list_mu);
	for (st = sse_head; st != NULL; st = st->next) {
		pthread_mutex_lock(&st->mu);
		st->closed = 1;
		sse_wake(st);
		pthread_mutex_unlock(&st->mu);
	}
	pthread_mutex_unlock(&sse_list_mu);
}

int
http_sse_count(void)
{
	int n;

	pthread_mutex_lock(&sse_list_mu);
	n = sse_n;
	pthread_mutex_unlock(&sse_list_mu);
	return n;
}
