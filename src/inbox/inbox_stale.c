/* inbox_stale.c: stale threads (I7). A conversation is stale when it waits on
 * the team (needs_human) and nothing has happened in it for the workspace's
 * stale_minutes. The channels dispatcher finds the due ones (store
 * stale_due), tells the assignee or the on-call member, and records the
 * notice here, so the next one comes only after another full limit without a
 * reply. */
#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"
#include "inbox.h"

int
inbox_stale_is(const json_t *conv, int64_t stale_minutes, int64_t now)
{
	const char *st = jsonx_str(conv, "status");

	return st != NULL && strcmp(st, "needs_human") == 0 &&
	    now - jsonx_int(conv, "updated_at", now) >= stale_minutes * 60000;
}

void
inbox_stale_mark(struct store *s, const char *ws, json_t *convs, int64_t now)
{
	json_t *set = inbox_settings(s, ws);
	int64_t lim = jsonx_int(set, "stale_minutes", 120);
	size_t i;

	json_decref(set);
	if (json_is_object(convs)) {
		json_object_set_new(convs, "stale", json_boolean(inbox_stale_is(convs, lim, now)));
		return;
	}
	for (i = 0; i < json_array_size(convs); i++) {
		json_t *c = json_array_get(convs, i);

		json_object_set_new(c, "stale", json_boolean(inbox_stale_is(c, lim, now)));
	}
}

err_t
inbox_stale_record(struct store *s, const json_t *due, const char *member_id, int64_t now)
{
	const char *ws = jsonx_str(due, "workspace_id"), *conv_id = jsonx_str(due, "conversation_id");
	int64_t lim = jsonx_int(due, "stale_minutes", 120), count = jsonx_int(due, "count", 0) + 1;
	int64_t waiting = (now - jsonx_int(due, "updated_at", now)) / 60000;
	struct inbox_tx tx;
	json_t *row, *conv;
	err_t err;

	err = inbox_tx_begin(&tx, s);
	if (err)
		return err;
	row = json_pack("{s:s,s:s,s:I,s:s?}", "conversation_id", conv_id, "workspace_id", ws, "notified_at",
	    (json_int_t)now, "member_id", member_id);
	err = ST(s, stale_put, row);
	json_decref(row);
	if (!err)
		err = inbox_tx_timeline(&tx, conv_id, "stale_notified", "system", NULL,
		    json_pack("{s:I,s:I,s:s?,s:I}", "stale_minutes", (json_int_t)lim, "waiting_minutes", (json_int_t)waiting,
			"notified", member_id, "count", (json_int_t)count));
	if (!err)
		err = inbox_audit(s, ws, "system", "conversation.stale_notify", conv_id, NULL,
		    json_pack("{s:I,s:I,s:s?,s:I}", "stale_minutes", (json_int_t)lim, "waiting_minutes", (json_int_t)waiting,
			"notified", member_id, "at", (json_int_t)now));
	conv = ST(s, conv_get, ws, conv_id);
	if (!err)
		err = inbox_tx_event(&tx, ws, conv, 1, "conversation.stale",
		    json_pack("{s:s,s:I,s:I,s:I,s:s?}", "conversation_id", conv_id, "number",
			(json_int_t)jsonx_int(due, "number", 0), "stale_minutes", (json_int_t)lim, "waiting_minutes",
			(json_int_t)waiting, "notified", member_id));
	json_decref(conv);
	if (err) {
		inbox_tx_abort(&tx);
		return err;
	}
	return inbox_tx_commit(&tx);
}
