/* channels_oncall.c: the on-call rota and the escalation ladder (W4).
 *
 * A handoff starts a ladder for the conversation: step 1 assigns it to the
 * primary on call and notifies them; if nobody acknowledges (claims, replies,
 * or acks the notification) within the workspace's escalate_minutes, step 2
 * notifies the backup, then step 3 every admin. Each step is a timeline entry
 * and an audit row. Time is always passed in (now), so tests drive the
 * ladder with their own clock. The rota is in the workspace's time zone,
 * given as settings.oncall.utc_offset_minutes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"
#include "inbox/inbox.h"

static int64_t
oncall_setting(struct store *s, const char *ws, const char *key, int64_t dflt)
{
	json_t *w = ST(s, workspace_get, ws);
	json_t *oc = json_object_get(json_object_get(w, "settings"), "oncall");
	int64_t v = jsonx_int(oc, key, dflt);

	json_decref(w);
	return v;
}

static const char *
oncall_status(struct store *s, const char *ws, const char *member_id, char buf[16])
{
	json_t *p = ST(s, member_prefs_get, ws, member_id);

	snprintf(buf, 16, "%s", p && jsonx_str(p, "status") ? jsonx_str(p, "status") : "available");
	json_decref(p);
	return buf;
}

json_t *
channels_oncall_who(struct store *s, const char *ws, const char *role, int64_t now)
{
	json_t *rota = ST(s, rota_list, ws), *best = NULL;
	int64_t local = now + oncall_setting(s, ws, "utc_offset_minutes", 0) * 60000;
	int64_t day = local >= 0 ? local / 86400000 : (local - 86399999) / 86400000;
	int weekday = (int)(((day + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	int minute = (int)((local - day * 86400000) / 60000);
	size_t i;
	int best_rank = 9;

	for (i = 0; i < json_array_size(rota); i++) {
		json_t *e = json_array_get(rota, i);
		int64_t wd = jsonx_int(e, "weekday", -1);
		char st[16];
		int rank;

		if (strcmp(jsonx_str(e, "role"), role) != 0 || (wd != -1 && wd != weekday) ||
		    minute < jsonx_int(e, "start_minute", 0) || minute >= jsonx_int(e, "end_minute", 1440))
			continue;
		oncall_status(s, ws, jsonx_str(e, "member_id"), st);
		rank = strcmp(st, "available") == 0 ? 0 : strcmp(st, "away") == 0 ? 1 : 9;
		if (rank < best_rank) {
			best_rank = rank;
			best = e;
		}
	}
	best = best ? json_incref(best) : NULL;
	json_decref(rota);
	return best;
}

/* Queue a notification by e-mail too, unless the member turned its kind off
 * (member_prefs.email) or the workspace has no mailbox. */
static void
notify_mail(struct store *s, const char *ws, const char *member_id, const char *kind, const char *conv_id,
    const char *text, int64_t id, int64_t now)
{
	json_t *prefs = ST(s, member_prefs_get, ws, member_id), *m = NULL, *mb = NULL, *want;

	want = json_object_get(json_object_get(prefs, "email"), kind);
	m = ST(s, member_get, ws, member_id);
	mb = ST(s, mailbox_get, ws);
	if (m != NULL && mb != NULL && (want == NULL || json_is_true(want)) && jsonx_str(m, "email") != NULL) {
		const char *dom = strrchr(jsonx_str(mb, "address"), '@');
		char mid[200], subject[200];
		char *raw;
		json_t *e;

		snprintf(mid, sizeof(mid), "baton.notify.%lld@%s", (long long)id, dom ? dom + 1 : "baton.invalid");
		snprintf(subject, sizeof(subject), "[Baton] %.150s", text);
		raw = channels_mime_build(jsonx_str(mb, "address"), jsonx_str(m, "email"), subject, mid, NULL, NULL, 1, text);
		e = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "workspace_id", ws, "message_id", mid,
		    "direction", "out", "status", "queued", "conversation_id", conv_id, "from_addr", jsonx_str(mb, "address"),
		    "to_addr", jsonx_str(m, "email"), "subject", subject, "body_full", raw, "size", (json_int_t)strlen(raw),
		    "next_at", (json_int_t)now, "created_at", (json_int_t)now);
		if (ST(s, email_add, e) < 0)
			log_warnx("oncall: cannot queue the notification e-mail %s", mid);
		json_decref(e);
		free(raw);
	}
	json_decref(prefs);
	json_decref(m);
	json_decref(mb);
}

/* collab (issue 4): @mention notifications are made by the inbox in the
 * message's transaction; their e-mail copy is sent from here. */
void
channels_notify_mail_event(struct store *s, const char *ws, const char *data, int64_t now)
{
	json_t *d = json_loads(data, 0, NULL), *n = json_object_get(d, "notification");
	const char *kind = jsonx_str(n, "kind"), *member = jsonx_str(n, "member_id"), *text = jsonx_str(n, "text");

	if (kind != NULL && strcmp(kind, "mention") == 0 && member != NULL && text != NULL)
		notify_mail(s, ws, member, kind, jsonx_str(n, "conversation_id"), text, jsonx_int(n, "id", 0), now);
	json_decref(d);
}

err_t
channels_notify(struct store *s, const char *ws, const char *member_id, const char *kind, const char *conv_id,
    const char *text, int64_t now)
{
	json_t *row = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:I}", "workspace_id", ws, "member_id", member_id, "kind", kind,
	    "conversation_id", conv_id, "text", text, "created_at", (json_int_t)now);
	struct inbox_tx tx;
	int64_t id;
	err_t err;

	err = inbox_tx_begin(&tx, s);
	if (err)
		goto out;
	id = ST(s, notification_add, row);
	if (id < 0) {
		inbox_tx_abort(&tx);
		err = ERR_STORE;
		goto out;
	}
	json_object_set_new(row, "id", json_integer(id));
	/* collab (issue 4): only the notified member's streams see it. */
	err = inbox_tx_event_member(&tx, ws, NULL, member_id, "notification.created",
	    json_pack("{s:o}", "notification", jsonx_present(json_deep_copy(row))));
	if (err) {
		inbox_tx_abort(&tx);
		goto out;
	}
	err = inbox_tx_commit(&tx);
	if (!err)
		notify_mail(s, ws, member_id, kind, conv_id, text, id, now);
out:
	json_decref(row);
	return err;
}

/* Has a member acknowledged since the ladder started? */
static int
oncall_acked(struct store *s, const json_t *esc, const json_t *conv)
{
	json_t *tl;
	size_t i;
	int acked = 0;

	if (jsonx_int(esc, "acked_at", 0) > 0)
		return 1;
	if (conv == NULL || strcmp(jsonx_str(conv, "status"), "needs_human") != 0)
		return 1;
	tl = ST(s, timeline_list, jsonx_str(esc, "conversation_id"));
	for (i = 0; i < json_array_size(tl) && !acked; i++) {
		json_t *t = json_array_get(tl, i);
		const char *k = jsonx_str(t, "kind");

		if (jsonx_int(t, "created_at", 0) >= jsonx_int(esc, "started_at", 0) &&
		    strcmp(jsonx_str(t, "actor_kind"), "member") == 0 &&
		    (strcmp(k, "claimed") == 0 || strcmp(k, "replied") == 0 || strcmp(k, "takeover") == 0 ||
		    strcmp(k, "acknowledged") == 0))
			acked = 1;
	}
	json_decref(tl);
	return acked;
}

static void
oncall_record(struct store *s, const char *ws, const char *conv_id, int step, const char *role,
    json_t *notified, int64_t now)
{
	struct inbox_tx tx;
	char ev[32];

	snprintf(ev, sizeof(ev), "oncall.step%d", step);
	if (inbox_tx_begin(&tx, s))
		return;
	if (inbox_tx_timeline(&tx, conv_id, "escalated", "system", NULL,
	    json_pack("{s:i,s:s,s:O}", "step", step, "role", role, "notified", notified)) ||
	    inbox_audit(s, ws, "system", "oncall.notify", conv_id, NULL,
	    json_pack("{s:i,s:s,s:O,s:I}", "step", step, "role", role, "notified", notified, "at", (json_int_t)now))) {
		inbox_tx_abort(&tx);
		return;
	}
	inbox_tx_commit(&tx);
}

/* Take the ladder's next step for one conversation. */
static int
oncall_step(struct store *s, json_t *esc, int64_t now)
{
	const char *ws = jsonx_str(esc, "workspace_id"), *conv_id = jsonx_str(esc, "conversation_id");
	json_t *conv = ST(s, conv_get, ws, conv_id), *notified = json_array(), *f;
	int step = (int)jsonx_int(esc, "step", 0) + 1;
	int64_t wait = oncall_setting(s, ws, "escalate_minutes", 10) * 60000;
	const char *role = step == 1 ? "primary" : step == 2 ? "backup" : "admins";
	char text[300];

	if (oncall_acked(s, esc, conv)) {
		f = json_pack("{s:i,s:n}", "done", 1, "next_at");
		ST(s, escalation_update, conv_id, f);
		json_decref(f);
		step = 0;
		goto out;
	}
	snprintf(text, sizeof(text), "%sConversation #%lld needs a person (%s)", step > 1 ? "Escalated: " : "",
	    (long long)jsonx_int(conv, "number", 0),
	    jsonx_str(conv, "handoff_reason") ? jsonx_str(conv, "handoff_reason") : "handoff");
	if (step <= 2) {
		json_t *who = channels_oncall_who(s, ws, role, now);

		if (who != NULL) {
			const char *mid = jsonx_str(who, "member_id");

			if (step == 1 && json_is_null(json_object_get(conv, "assignee_id"))) {
				struct principal sys;
				struct errinfo ei = {0};
				json_t *out = NULL;

				memset(&sys, 0, sizeof(sys));
				sys.kind = P_ANON;
				snprintf(sys.workspace_id, sizeof(sys.workspace_id), "%s", ws);
				snprintf(sys.id, sizeof(sys.id), "oncall");
				if (inbox_conv_assign(s, &sys, conv_id, mid, &out, &ei))
					log_warnx("oncall: cannot assign %s: %s", conv_id, ei.msg);
				json_decref(out);
			}
			channels_notify(s, ws, mid, step == 1 ? "handoff" : "escalation", conv_id, text, now);
			json_array_append_new(notified, json_string(mid));
		}
		json_decref(who);
	} else {
		json_t *members = ST(s, member_list, ws);
		size_t i;

		for (i = 0; i < json_array_size(members); i++) {
			json_t *m = json_array_get(members, i);

			if (role_parse(jsonx_str(m, "role")) >= ROLE_ADMIN) {
				channels_notify(s, ws, jsonx_str(m, "id"), "escalation", conv_id, text, now);
				json_array_append_new(notified, json_string(jsonx_str(m, "id")));
			}
		}
		json_decref(members);
	}
	oncall_record(s, ws, conv_id, step, role, notified, now);
	if (step >= 3)
		f = json_pack("{s:i,s:i,s:n}", "step", step, "done", 1, "next_at");
	else
		f = json_pack("{s:i,s:I}", "step", step, "next_at", (json_int_t)(now + wait));
	ST(s, escalation_update, conv_id, f);
	json_decref(f);
out:
	json_decref(conv);
	json_decref(notified);
	return step > 0;
}

err_t
channels_oncall_handoff(struct store *s, const char *ws, const char *conv_id, int64_t now)
{
	json_t *old = ST(s, escalation_get, conv_id), *e;
	err_t err;

	if (old != NULL && !jsonx_int(old, "done", 0)) {
		json_decref(old);
		return ERR_OK; /* a ladder is already running */
	}
	json_decref(old);
	e = json_pack("{s:s,s:s,s:i,s:I,s:I,s:i}", "conversation_id", conv_id, "workspace_id", ws, "step", 0,
	    "started_at", (json_int_t)now, "next_at", (json_int_t)now, "done", 0);
	err = ST(s, escalation_put, e);
	if (!err)
		oncall_step(s, e, now);
	json_decref(e);
	return err;
}

int
channels_oncall_tick(struct store *s, int64_t now)
{
	json_t *due = ST(s, escalation_due, now, 50);
	size_t i;
	int n = 0;

	for (i = 0; i < json_array_size(due); i++)
		n += oncall_step(s, json_array_get(due, i), now);
	json_decref(due);
	return n;
}

err_t
channels_oncall_ack(struct store *s, const char *ws, const char *conv_id, const char *member_id, int64_t now)
{
	json_t *esc = ST(s, escalation_get, conv_id), *f;
	struct inbox_tx tx;
	err_t err;

	if (esc == NULL || strcmp(jsonx_str(esc, "workspace_id"), ws) != 0) {
		json_decref(esc);
		return ERR_NOT_FOUND;
	}
	json_decref(esc);
	err = inbox_tx_begin(&tx, s);
	if (err)
		return err;
	f = json_pack("{s:s,s:I,s:i}", "acked_by", member_id, "acked_at", (json_int_t)now, "done", 1);
	err = ST(s, escalation_update, conv_id, f);
	json_decref(f);
	if (!err)
		err = inbox_tx_timeline(&tx, conv_id, "acknowledged", "member", member_id, NULL);
	if (!err)
		err = inbox_audit(s, ws, member_id, "oncall.ack", conv_id, NULL, NULL);
	if (err) {
		inbox_tx_abort(&tx);
		return err;
	}
	return inbox_tx_commit(&tx);
}
