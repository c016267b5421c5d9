/* inbox_tx.c: a store transaction that also collects the bus events of the
 * change. Events are stored in the same transaction (so Last-Event-ID replay
 * sees exactly what was committed) and published after the commit, under a
 * process-wide lock so that subscribers receive them in ID order. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox.h"

static pthread_mutex_t tx_mu = PTHREAD_MUTEX_INITIALIZER;

void
inbox_event_view(const json_t *e, struct bus_event *ev)
{
	ev->id = jsonx_int(e, "id", 0);
	ev->workspace_id = jsonx_str(e, "workspace_id");
	ev->conversation_id = jsonx_str(e, "conversation_id");
	ev->site = jsonx_str(e, "site");
	ev->internal = (int)jsonx_int(e, "internal", 0);
	ev->type = jsonx_str(e, "type");
	ev->data = jsonx_str(e, "data");
	ev->member_id = jsonx_str(e, "member_id");
	ev->ephemeral = 0;
}

err_t
inbox_tx_begin(struct inbox_tx *tx, struct store *s)
{
	err_t err;

	pthread_mutex_lock(&tx_mu);
	tx->s = s;
	tx->events = json_array();
	err = ST(s, begin);
	if (err) {
		json_decref(tx->events);
		tx->events = NULL;
		pthread_mutex_unlock(&tx_mu);
	}
	return err;
}

void
inbox_tx_abort(struct inbox_tx *tx)
{
	if (tx->events == NULL)
		return;
	ST(tx->s, rollback);
	json_decref(tx->events);
	tx->events = NULL;
	pthread_mutex_unlock(&tx_mu);
}

err_t
inbox_tx_commit(struct inbox_tx *tx)
{
	size_t i;
	err_t err = ST(tx->s, commit);

	if (!err) {
		for (i = 0; i < json_array_size(tx->events); i++) {
			struct bus_event ev;

			inbox_event_view(json_array_get(tx->events, i), &ev);
			bus_publish(&ev);
		}
	}
	json_decref(tx->events);
	tx->events = NULL;
	pthread_mutex_unlock(&tx_mu);
	return err;
}

static err_t
tx_event(struct inbox_tx *tx, const char *ws, const json_t *conv, int internal,
    const char *member_id, const char *type, json_t *data)
{
	json_t *e;
	char *txt;
	int64_t id;

	json_object_set_new(data, "type", json_string(type));
	txt = jsonx_dump(data);
	json_decref(data);
	e = json_pack("{s:s,s:s?,s:s?,s:i,s:s,s:s,s:I}", "workspace_id", ws, "conversation_id",
	    conv ? jsonx_str(conv, "id") : NULL, "site", conv ? jsonx_str(conv, "site") : NULL,
	    "internal", internal, "type", type, "data", txt, "created_at", (json_int_t)util_now_ms());
	if (member_id != NULL)
		json_object_set_new(e, "member_id", json_string(member_id));
	free(txt);
	id = ST(tx->s, event_add, e);
	if (id < 0) {
		json_decref(e);
		return ERR_STORE;
	}
	json_object_set_new(e, "id", json_integer(id));
	json_array_append_new(tx->events, e);
	return ERR_OK;
}

err_t
inbox_tx_event(struct inbox_tx *tx, const char *ws, const json_t *conv, int internal,
    const char *type, json_t *data)
{
	return tx_event(tx, ws, conv, internal, NULL, type, data);
}

/* ---- collab (issue 4): an event only one member's streams see ---- */
err_t
inbox_tx_event_member(struct inbox_tx *tx, const char *ws, const json_t *conv,
    const char *member_id, const char *type, json_t *data)
{
	return tx_event(tx, ws, conv, 1, member_id, type, data);
}

err_t
inbox_tx_timeline(struct inbox_tx *tx, const char *conv_id, const char *kind,
    const char *actor_kind, const char *actor_id, json_t *detail)
{
	json_t *t = json_pack("{s:s,s:s,s:s,s:s?,s:o,s:I}", "conversation_id", conv_id, "kind", kind,
	    "actor_kind", actor_kind, "actor_id", actor_id, "detail", detail ? detail : json_object(),
	    "created_at", (json_int_t)util_now_ms());
	err_t err = ST(tx->s, timeline_add, t);

	json_decref(t);
	return err;
}
