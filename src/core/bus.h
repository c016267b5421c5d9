/* bus.h: the in-process event bus. Every change publishes one event after its
 * transaction commits; SSE streams and the agent subscribe. Events carry just
 * enough scope (workspace, conversation, site, internal) for subscribers to
 * filter by permission without a lookup. Publishing is serialised, so
 * subscribers see events in ID order. Callbacks run on the publisher's thread
 * and must not block: copy what you need and return. */
#ifndef BATON_BUS_H
#define BATON_BUS_H

#include <stdint.h>

struct bus_event {
	int64_t id;                  /* durable, monotonic (the store's events table) */
	const char *workspace_id;
	const char *conversation_id; /* may be NULL for workspace-wide events */
	const char *site;            /* conversation's site, may be NULL */
	int internal;                /* visible to members only */
	const char *type;            /* e.g. "message.created" */
	const char *data;            /* JSON object text */
	/* ---- collab (issue 4) ---- */
	const char *member_id;       /* only this member's streams see it, or NULL */
	int ephemeral;               /* not stored (presence): no id, never replayed */
};

typedef void (*bus_fn)(void *ctx, const struct bus_event *ev);
struct bus_sub;

struct bus_sub *bus_subscribe(bus_fn fn, void *ctx);
/* After this returns, fn is never called again for this subscription. */
void bus_unsubscribe(struct bus_sub *s);
void bus_publish(const struct bus_event *ev);
int bus_count(void);

#endif
