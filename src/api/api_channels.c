/* api_channels.c: the email mailbox (settings, check connection, message
 * log), webhooks (CRUD, delivery log, replay), the on-call rota, member
 * status and notification preferences, notifications, acknowledgement of a
 * handoff, and attachment downloads. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_int.h"
#include "channels/channels.h"
#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/util.h"

static int64_t
chan_param_id(struct api_ctx *c, int i)
{
	char *end;
	long long v = strtoll(c->params[i], &end, 10);

	return (*end != '\0' || v <= 0) ? -1 : v;
}

static const char *
chan_data_dir(struct api_ctx *c)
{
	const char *d = channels_data_dir();

	if (d == NULL)
		api_error(c, ERR_UNSUPPORTED, "the channels are not running on this server");
	return d;
}

static json_t *
chan_present_rows(json_t *rows)
{
	size_t i;

	for (i = 0; i < json_array_size(rows); i++)
		jsonx_present(json_array_get(rows, i));
	return rows;
}

void
api_email_get(struct api_ctx *c)
{
	json_t *mb = channels_email_mailbox_view(c->s, c->p.workspace_id);

	api_json(c, 200, json_pack("{s:o}", "mailbox", mb ? mb : json_null()));
}

void
api_email_put(struct api_ctx *c)
{
	const char *dir = chan_data_dir(c);
	json_t *out = NULL;
	char actor[128];

	if (dir == NULL)
		return;
	if (channels_email_mailbox_put(c->s, dir, c->p.workspace_id, inbox_actor(&c->p, actor), c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:o}", "mailbox", out));
}

void
api_email_check(struct api_ctx *c)
{
	const char *dir = chan_data_dir(c);
	json_t *out = NULL;

	if (dir == NULL)
		return;
	if (channels_email_mailbox_check(c->s, dir, c->p.workspace_id, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_email_messages(struct api_ctx *c)
{
	const char *st = api_query(c, "status");
	int64_t limit = api_query(c, "limit") ? strtoll(api_query(c, "limit"), NULL, 10) : 100;

	if (limit < 1 || limit > 500)
		limit = 100;
	api_json(c, 200, json_pack("{s:o}", "items", chan_present_rows(ST(c->s, email_list, c->p.workspace_id, st, (int)limit))));
}

static json_t *
chan_webhook_view(json_t *w)
{
	const char *sec = jsonx_str(w, "secret");
	char hint[16];

	snprintf(hint, sizeof(hint), "%.4s…", sec ? sec : "");
	json_object_set_new(w, "secret_hint", json_string(hint));
	json_object_del(w, "secret");
	json_object_set_new(w, "enabled", json_boolean(jsonx_int(w, "enabled", 1)));
	return jsonx_present(w);
}

static int
chan_webhook_fields(struct api_ctx *c, json_t *f, int create)
{
	const char *url = api_body_str(c, "url"), *fmt = api_body_str(c, "format"), *sec = api_body_str(c, "secret");
	json_t *ev = json_object_get(c->body, "events"), *en = json_object_get(c->body, "enabled");
	size_t i;

	if (c->rs->status)
		return -1;
	if (url != NULL || create) {
		if (url == NULL || strlen(url) > 1000 || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
			api_error(c, ERR_INVALID, "url must be an http:// or https:// address");
			return -1;
		}
		json_object_set_new(f, "url", json_string(url));
	}
	if (fmt != NULL) {
		if (strcmp(fmt, "generic") && strcmp(fmt, "slack")) {
			api_error(c, ERR_INVALID, "format must be generic or slack");
			return -1;
		}
		json_object_set_new(f, "format", json_string(fmt));
	}
	if (sec != NULL) {
		if (strlen(sec) < 16 || strlen(sec) > 200) {
			api_error(c, ERR_INVALID, "secret must be 16 to 200 characters");
			return -1;
		}
		json_object_set_new(f, "secret", json_string(sec));
	}
	if (ev != NULL) {
		if (!json_is_array(ev) || json_array_size(ev) > 50) {
			api_error(c, ERR_INVALID, "events must be an array of event types (\"*\", \"message.*\", ...)");
			return -1;
		}
		for (i = 0; i < json_array_size(ev); i++)
			if (!json_is_string(json_array_get(ev, i)) || strlen(json_string_value(json_array_get(ev, i))) > 60) {
				api_error(c, ERR_INVALID, "events must be an array of event types");
				return -1;
			}
		json_object_set(f, "events", ev);
	}
	if (en != NULL) {
		if (!json_is_boolean(en)) {
			api_error(c, ERR_INVALID, "enabled must be true or false");
			return -1;
		}
		json_object_set_new(f, "enabled", json_integer(json_is_true(en)));
	}
	return 0;
}

void
api_webhooks_list(struct api_ctx *c)
{
	json_t *rows = ST(c->s, webhook_list, c->p.workspace_id);
	size_t i;

	for (i = 0; i < json_array_size(rows); i++)
		chan_webhook_view(json_array_get(rows, i));
	api_json(c, 200, json_pack("{s:o}", "items", rows));
}

void
api_webhooks_create(struct api_ctx *c)
{
	json_t *f = json_object(), *row, *out;
	char secret[64], actor[128];
	int64_t id;

	if (chan_webhook_fields(c, f, 1)) {
		json_decref(f);
		return;
	}
	if (json_object_get(f, "secret") == NULL) {
		char raw[60];

		util_random_id(raw, 30);
		snprintf(secret, sizeof(secret), "whsec_%s", raw);
		json_object_set_new(f, "secret", json_string(secret));
	}
	json_object_set_new(f, "workspace_id", json_string(c->p.workspace_id));
	json_object_set_new(f, "created_at", json_integer(util_now_ms()));
	ST(c->s, begin);
	id = ST(c->s, webhook_create, f);
	if (id > 0)
		inbox_audit(c->s, c->p.workspace_id, inbox_actor(&c->p, actor), "webhook.create", jsonx_str(f, "url"), NULL, NULL);
	ST(c->s, commit);
	if (id < 0) {
		json_decref(f);
		api_error(c, ERR_STORE, "could not save the webhook");
		return;
	}
	row = ST(c->s, webhook_get, c->p.workspace_id, id);
	/* The secret is shown once, at creation. */
	out = json_pack("{s:s}", "secret", jsonx_str(f, "secret"));
	json_object_update(out, chan_webhook_view(row));
	json_decref(row);
	json_decref(f);
	api_json(c, 201, out);
}

void
api_webhooks_update(struct api_ctx *c)
{
	int64_t id = chan_param_id(c, 0);
	json_t *f = json_object(), *row;
	err_t err;

	if (id < 0) {
		json_decref(f);
		api_error(c, ERR_NOT_FOUND, "no such webhook");
		return;
	}
	if (chan_webhook_fields(c, f, 0)) {
		json_decref(f);
		return;
	}
	err = ST(c->s, webhook_update, c->p.workspace_id, id, f);
	json_decref(f);
	row = err ? NULL : ST(c->s, webhook_get, c->p.workspace_id, id);
	if (row == NULL) {
		api_error(c, ERR_NOT_FOUND, "no such webhook");
		return;
	}
	api_json(c, 200, chan_webhook_view(row));
}

void
api_webhooks_delete(struct api_ctx *c)
{
	int64_t id = chan_param_id(c, 0);
	char actor[128];

	if (id < 0 || ST(c->s, webhook_delete, c->p.workspace_id, id)) {
		api_error(c, ERR_NOT_FOUND, "no such webhook");
		return;
	}
	ST(c->s, begin);
	inbox_audit(c->s, c->p.workspace_id, inbox_actor(&c->p, actor), "webhook.delete", c->params[0], NULL, NULL);
	ST(c->s, commit);
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

void
api_webhooks_deliveries(struct api_ctx *c)
{
	int64_t id = chan_param_id(c, 0);
	json_t *w = id > 0 ? ST(c->s, webhook_get, c->p.workspace_id, id) : NULL;

	if (w == NULL) {
		api_error(c, ERR_NOT_FOUND, "no such webhook");
		return;
	}
	json_decref(w);
	api_json(c, 200, json_pack("{s:o}", "items", chan_present_rows(ST(c->s, delivery_list, c->p.workspace_id, id, 200))));
}

void
api_webhooks_replay(struct api_ctx *c)
{
	int64_t id = chan_param_id(c, 0);
	json_t *out = NULL;

	if (id < 0) {
		api_error(c, ERR_NOT_FOUND, "no such delivery");
		return;
	}
	if (channels_webhook_replay(c->s, c->p.workspace_id, id, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, out);
}

void
api_oncall_get(struct api_ctx *c)
{
	json_t *w = ST(c->s, workspace_get, c->p.workspace_id);
	json_t *oc = json_object_get(json_object_get(w, "settings"), "oncall");
	int64_t now = util_now_ms();
	json_t *p = channels_oncall_who(c->s, c->p.workspace_id, "primary", now);
	json_t *b = channels_oncall_who(c->s, c->p.workspace_id, "backup", now);

	api_json(c, 200, json_pack("{s:I,s:I,s:o,s:{s:s?,s:s?}}", "escalate_minutes",
	    (json_int_t)jsonx_int(oc, "escalate_minutes", 10), "utc_offset_minutes",
	    (json_int_t)jsonx_int(oc, "utc_offset_minutes", 0), "entries",
	    chan_present_rows(ST(c->s, rota_list, c->p.workspace_id)), "now", "primary",
	    jsonx_str(p, "member_id"), "backup", jsonx_str(b, "member_id")));
	json_decref(p);
	json_decref(b);
	json_decref(w);
}

void
api_oncall_put(struct api_ctx *c)
{
	json_t *entries = json_object_get(c->body, "entries"), *rows = json_array(), *w = NULL, *set;
	int64_t esc = jsonx_int(c->body, "escalate_minutes", 10), off = jsonx_int(c->body, "utc_offset_minutes", 0);
	int64_t now = util_now_ms();
	char actor[128];
	size_t i;
	err_t err;

	if (esc < 1 || esc > 1440 || off < -840 || off > 840) {
		api_error(c, ERR_INVALID, "escalate_minutes must be 1 to 1440 and utc_offset_minutes -840 to 840");
		goto out;
	}
	if (!json_is_array(entries) || json_array_size(entries) > 200) {
		api_error(c, ERR_INVALID, "entries must be an array of {member_id, role, weekday, start_minute, end_minute}");
		goto out;
	}
	for (i = 0; i < json_array_size(entries); i++) {
		json_t *e = json_array_get(entries, i), *m;
		const char *mid = jsonx_str(e, "member_id"), *role = jsonx_str(e, "role");
		int64_t wd = jsonx_int(e, "weekday", -1), st = jsonx_int(e, "start_minute", 0), en = jsonx_int(e, "end_minute", 1440);

		m = mid ? ST(c->s, member_get, c->p.workspace_id, mid) : NULL;
		if (m == NULL || role == NULL || (strcmp(role, "primary") && strcmp(role, "backup")) || wd < -1 || wd > 6 ||
		    st < 0 || en > 1440 || st >= en) {
			json_decref(m);
			api_error(c, ERR_INVALID, "entry %zu: member_id must be a member, role primary or backup, weekday -1..6, 0 <= start_minute < end_minute <= 1440", i);
			goto out;
		}
		json_decref(m);
		json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "workspace_id", c->p.workspace_id,
		    "member_id", mid, "role", role, "weekday", (json_int_t)wd, "start_minute", (json_int_t)st,
		    "end_minute", (json_int_t)en, "created_at", (json_int_t)now));
	}
	w = ST(c->s, workspace_get, c->p.workspace_id);
	set = json_deep_copy(json_object_get(w, "settings"));
	if (!json_is_object(set)) {
		json_decref(set);
		set = json_object();
	}
	json_object_set_new(set, "oncall", json_pack("{s:I,s:I}", "escalate_minutes", (json_int_t)esc,
	    "utc_offset_minutes", (json_int_t)off));
	ST(c->s, begin);
	err = ST(c->s, rota_set, c->p.workspace_id, rows);
	if (!err)
		err = ST(c->s, workspace_set_settings, c->p.workspace_id, set);
	if (!err)
		err = inbox_audit(c->s, c->p.workspace_id, inbox_actor(&c->p, actor), "oncall.update", c->p.workspace_id,
		    NULL, json_pack("{s:I,s:I,s:O}", "escalate_minutes", (json_int_t)esc, "utc_offset_minutes", (json_int_t)off, "entries", entries));
	if (err) {
		ST(c->s, rollback);
		json_decref(set);
		api_error(c, err, "could not save the rota");
		goto out;
	}
	ST(c->s, commit);
	json_decref(set);
	api_oncall_get(c);
out:
	json_decref(rows);
	json_decref(w);
}

void
api_conv_ack(struct api_ctx *c)
{
	json_t *conv = inbox_conv_get(c->s, &c->p, c->params[0], &c->ei);

	if (conv == NULL) {
		api_fail(c);
		return;
	}
	json_decref(conv);
	if (channels_oncall_ack(c->s, c->p.workspace_id, c->params[0], c->p.id, util_now_ms())) {
		api_error(c, ERR_NOT_FOUND, "this conversation has no escalation to acknowledge");
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

static json_t *
chan_prefs(struct api_ctx *c)
{
	json_t *p = ST(c->s, member_prefs_get, c->p.workspace_id, c->p.id);

	if (p == NULL)
		p = json_pack("{s:s,s:s,s:{}}", "member_id", c->p.id, "status", "available", "email");
	if (!json_is_object(json_object_get(p, "email")))
		json_object_set_new(p, "email", json_object());
	return p;
}

static void
chan_prefs_save(struct api_ctx *c, json_t *p)
{
	json_t *row = json_pack("{s:s,s:s,s:s,s:O,s:I}", "member_id", c->p.id, "workspace_id", c->p.workspace_id,
	    "status", jsonx_str(p, "status"), "email", json_object_get(p, "email"), "updated_at", (json_int_t)util_now_ms());

	if (ST(c->s, member_prefs_put, row)) {
		api_error(c, ERR_STORE, "could not save the preferences");
	} else {
		json_object_del(p, "workspace_id");
		api_json(c, 200, jsonx_present(json_incref(p)));
	}
	json_decref(row);
}

void
api_me_prefs_get(struct api_ctx *c)
{
	json_t *p = chan_prefs(c);

	json_object_del(p, "workspace_id");
	api_json(c, 200, jsonx_present(p));
}

void
api_me_status(struct api_ctx *c)
{
	const char *st = api_body_str(c, "status");
	json_t *p;

	if (c->rs->status)
		return;
	if (st == NULL || (strcmp(st, "available") && strcmp(st, "away") && strcmp(st, "off_shift"))) {
		api_error(c, ERR_INVALID, "status must be available, away or off_shift");
		return;
	}
	if (c->p.kind != P_MEMBER) {
		api_error(c, ERR_INVALID, "an API token has no status; sign in as a member");
		return;
	}
	p = chan_prefs(c);
	json_object_set_new(p, "status", json_string(st));
	chan_prefs_save(c, p);
	json_decref(p);
}

void
api_me_prefs_put(struct api_ctx *c)
{
	static const char *kinds[] = {"handoff", "escalation", "mention", "assigned"};
	json_t *email = json_object_get(c->body, "email"), *p, *v;
	const char *k;
	size_t i;

	if (c->p.kind != P_MEMBER) {
		api_error(c, ERR_INVALID, "an API token has no preferences; sign in as a member");
		return;
	}
	if (!json_is_object(email)) {
		api_error(c, ERR_INVALID, "email must be an object of notification kinds to true or false");
		return;
	}
	json_object_foreach(email, k, v) {
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(k, kinds[i]) == 0)
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0]) || !json_is_boolean(v)) {
			api_error(c, ERR_INVALID, "email.%.40s: kinds are handoff, escalation, mention, assigned; values true or false", k);
			return;
		}
	}
	p = chan_prefs(c);
	json_object_update(json_object_get(p, "email"), email);
	chan_prefs_save(c, p);
	json_decref(p);
}

void
api_notifications_list(struct api_ctx *c)
{
	api_json(c, 200, json_pack("{s:o}", "items", chan_present_rows(ST(c->s, notification_list, c->p.workspace_id, c->p.id, 100))));
}

void
api_notifications_read(struct api_ctx *c)
{
	int64_t id = chan_param_id(c, 0);

	if (id < 0 || ST(c->s, notification_read, c->p.workspace_id, c->p.id, id, util_now_ms())) {
		api_error(c, ERR_NOT_FOUND, "no such notification");
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

void
api_conv_attachments(struct api_ctx *c)
{
	json_t *conv = inbox_conv_get(c->s, &c->p, c->params[0], &c->ei);

	if (conv == NULL) {
		api_fail(c);
		return;
	}
	json_decref(conv);
	api_json(c, 200, json_pack("{s:o}", "items", chan_present_rows(ST(c->s, attachment_list, c->p.workspace_id, c->params[0]))));
}

void
api_attachment_get(struct api_ctx *c)
{
	json_t *a = ST(c->s, attachment_get, c->p.workspace_id, c->params[0]), *conv = NULL;
	const char *dir = chan_data_dir(c), *sha;
	char path[4200], disp[300];
	struct stat st;
	int fd = -1;

	if (dir == NULL)
		goto out;
	if (a == NULL || (conv = inbox_conv_get(c->s, &c->p, jsonx_str(a, "conversation_id"), &c->ei)) == NULL) {
		api_error(c, ERR_NOT_FOUND, "no such attachment");
		goto out;
	}
	sha = jsonx_str(a, "sha256");
	snprintf(path, sizeof(path), "%s/attachments/%s", dir, sha);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size > MAIL_ATTACH_MAX) {
		api_error(c, ERR_NOT_FOUND, "the attachment's file is missing");
		goto out;
	}
	c->rs->body = xmalloc((size_t)st.st_size + 1);
	if (read(fd, c->rs->body, (size_t)st.st_size) != st.st_size) {
		free(c->rs->body);
		c->rs->body = NULL;
		api_error(c, ERR_IO, "cannot read the attachment");
		goto out;
	}
	c->rs->status = 200;
	c->rs->len = (size_t)st.st_size;
	/* Never rendered inline: HTML or SVG from mail must not run in the app. */
	c->rs->content_type = "application/octet-stream";
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", jsonx_str(a, "filename"));
	api_header(c, "Content-Disposition", disp);
	api_header(c, "X-Content-Type-Options", "nosniff");
out:
	if (fd >= 0)
		close(fd);
	json_decref(a);
	json_decref(conv);
}
