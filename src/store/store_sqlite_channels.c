/* store_sqlite_channels.c: the email channel's tables (mailboxes, messages
 * by Message-ID, attachments), webhooks and their delivery log, the on-call
 * rota, escalation ladders, notifications and member preferences, for the
 * SQLite backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "store_sqlite_int.h"

#define Q(s) ((struct sq *)(s))

static err_t
sqc_changed(struct store *s, err_t err)
{
	return sq_changed(Q(s), err, ERR_NOT_FOUND);
}

json_t *
sq_mailbox_get(struct store *s, const char *ws)
{
	return sq_row(Q(s), "SELECT * FROM mailboxes WHERE workspace_id = ?", "s", ws);
}

err_t
sq_mailbox_put(struct store *s, json_t *mb)
{
	err_t err = sq_exec(Q(s), "DELETE FROM mailboxes WHERE workspace_id = ?", "s", jsonx_str(mb, "workspace_id"));

	return err ? err : sq_insert(Q(s), "mailboxes", mb, NULL);
}

err_t
sq_mailbox_update(struct store *s, const char *ws, json_t *fields)
{
	/* mailboxes is keyed by workspace_id, not id. */
	const char *k;
	json_t *v;
	err_t err = ERR_OK;

	json_object_foreach(fields, k, v) {
		char sql[128];

		if (strcmp(k, "last_poll_at") && strcmp(k, "last_error") && strcmp(k, "enabled") && strcmp(k, "updated_at"))
			continue;
		snprintf(sql, sizeof(sql), "UPDATE mailboxes SET %s = ? WHERE workspace_id = ?", k);
		if (json_is_integer(v))
			err = sq_exec(Q(s), sql, "is", (int64_t)json_integer_value(v), ws);
		else
			err = sq_exec(Q(s), sql, "ss", json_string_value(v), ws);
		if (err)
			break;
	}
	return err;
}

json_t *
sq_mailbox_list(struct store *s)
{
	return sq_rows(Q(s), "SELECT * FROM mailboxes WHERE enabled = 1 ORDER BY workspace_id", "");
}

int64_t
sq_email_add(struct store *s, json_t *e)
{
	int64_t id = -1;
	err_t err = sq_insert(Q(s), "email_messages", e, &id);

	return err == ERR_CONFLICT ? -2 : err ? -1 : id;
}

err_t
sq_email_update(struct store *s, int64_t id, json_t *fields)
{
	return sq_update(Q(s), "email_messages", NULL, id, NULL, fields);
}

#define EMAIL_COLS "id, workspace_id, message_id, direction, conversation_id, msg_id, status, reason, from_addr, to_addr, subject, raw_path, size, attempts, next_at, last_error, created_at"

json_t *
sq_email_by_mid(struct store *s, const char *ws, const char *mid)
{
	return sq_row(Q(s), "SELECT " EMAIL_COLS " FROM email_messages WHERE workspace_id = ? AND message_id = ? ORDER BY direction = 'in' DESC LIMIT 1", "ss", ws, mid);
}

json_t *
sq_email_thread(struct store *s, const char *conv_id)
{
	return sq_rows(Q(s), "SELECT " EMAIL_COLS " FROM email_messages WHERE conversation_id = ? ORDER BY id", "s", conv_id);
}

json_t *
sq_email_list(struct store *s, const char *ws, const char *status, int limit)
{
	if (status != NULL)
		return sq_rows(Q(s), "SELECT " EMAIL_COLS " FROM email_messages WHERE workspace_id = ? AND status = ? ORDER BY id DESC LIMIT ?", "ssi", ws, status, (int64_t)limit);
	return sq_rows(Q(s), "SELECT " EMAIL_COLS " FROM email_messages WHERE workspace_id = ? ORDER BY id DESC LIMIT ?", "si", ws, (int64_t)limit);
}

json_t *
sq_email_due(struct store *s, int64_t now, int limit)
{
	return sq_rows(Q(s), "SELECT " EMAIL_COLS ", body_full FROM email_messages WHERE direction = 'out' AND status = 'queued' AND next_at <= ? ORDER BY next_at LIMIT ?", "ii", now, (int64_t)limit);
}

json_t *
sq_conv_by_number(struct store *s, const char *ws, int64_t number)
{
	return sq_row(Q(s), "SELECT c.id, c.status, ct.email AS contact_email FROM conversations c LEFT JOIN contacts ct ON ct.id = c.contact_id WHERE c.workspace_id = ? AND c.number = ?", "si", ws, number);
}

json_t *
sq_conv_open_by_email(struct store *s, const char *ws, const char *email)
{
	return sq_rows(Q(s), "SELECT c.id, c.subject FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.workspace_id = ? AND lower(ct.email) = lower(?) AND c.status != 'resolved' ORDER BY c.updated_at DESC LIMIT 20", "ss", ws, email);
}

err_t
sq_attachment_add(struct store *s, json_t *a)
{
	return sq_insert(Q(s), "attachments", a, NULL);
}

json_t *
sq_attachment_get(struct store *s, const char *ws, const char *id)
{
	return sq_row(Q(s), "SELECT * FROM attachments WHERE id = ? AND workspace_id = ?", "ss", id, ws);
}

json_t *
sq_attachment_list(struct store *s, const char *ws, const char *conv_id)
{
	return sq_rows(Q(s), "SELECT * FROM attachments WHERE workspace_id = ? AND conversation_id = ? ORDER BY created_at, id", "ss", ws, conv_id);
}

int64_t
sq_webhook_create(struct store *s, json_t *w)
{
	int64_t id = -1;

	return sq_insert(Q(s), "webhooks", w, &id) ? -1 : id;
}

json_t *
sq_webhook_get(struct store *s, const char *ws, int64_t id)
{
	return sq_row(Q(s), "SELECT * FROM webhooks WHERE id = ? AND workspace_id = ?", "is", id, ws);
}

json_t *
sq_webhook_list(struct store *s, const char *ws)
{
	return sq_rows(Q(s), "SELECT * FROM webhooks WHERE workspace_id = ? ORDER BY id", "s", ws);
}

err_t
sq_webhook_update(struct store *s, const char *ws, int64_t id, json_t *fields)
{
	return sq_update(Q(s), "webhooks", NULL, id, ws, fields);
}

err_t
sq_webhook_delete(struct store *s, const char *ws, int64_t id)
{
	return sqc_changed(s, sq_exec(Q(s), "DELETE FROM webhooks WHERE id = ? AND workspace_id = ?", "is", id, ws));
}

int64_t
sq_delivery_add(struct store *s, json_t *d)
{
	int64_t id = -1;

	return sq_insert(Q(s), "webhook_deliveries", d, &id) ? -1 : id;
}

err_t
sq_delivery_update(struct store *s, int64_t id, json_t *fields)
{
	return sq_update(Q(s), "webhook_deliveries", NULL, id, NULL, fields);
}

json_t *
sq_delivery_get(struct store *s, const char *ws, int64_t id)
{
	return sq_row(Q(s), "SELECT * FROM webhook_deliveries WHERE id = ? AND workspace_id = ?", "is", id, ws);
}

json_t *
sq_delivery_list(struct store *s, const char *ws, int64_t webhook_id, int limit)
{
	if (webhook_id > 0)
		return sq_rows(Q(s), "SELECT * FROM webhook_deliveries WHERE workspace_id = ? AND webhook_id = ? ORDER BY id DESC LIMIT ?", "sii", ws, webhook_id, (int64_t)limit);
	return sq_rows(Q(s), "SELECT * FROM webhook_deliveries WHERE workspace_id = ? ORDER BY id DESC LIMIT ?", "si", ws, (int64_t)limit);
}

json_t *
sq_delivery_due(struct store *s, int64_t now, int limit)
{
	return sq_rows(Q(s), "SELECT d.*, w.url, w.secret, w.format FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND d.next_at <= ? AND w.enabled = 1 ORDER BY d.next_at, d.id LIMIT ?", "ii", now, (int64_t)limit);
}

err_t
sq_rota_set(struct store *s, const char *ws, json_t *entries)
{
	err_t err = sq_exec(Q(s), "DELETE FROM oncall_rota WHERE workspace_id = ?", "s", ws);
	size_t i;

	for (i = 0; !err && i < json_array_size(entries); i++)
		err = sq_insert(Q(s), "oncall_rota", json_array_get(entries, i), NULL);
	return err;
}

json_t *
sq_rota_list(struct store *s, const char *ws)
{
	return sq_rows(Q(s), "SELECT r.*, m.name AS member_name, m.email AS member_email FROM oncall_rota r JOIN members m ON m.id = r.member_id WHERE r.workspace_id = ? ORDER BY r.role DESC, r.weekday, r.start_minute, r.id", "s", ws);
}

err_t
sq_escalation_put(struct store *s, json_t *e)
{
	err_t err = sq_exec(Q(s), "DELETE FROM escalations WHERE conversation_id = ?", "s", jsonx_str(e, "conversation_id"));

	return err ? err : sq_insert(Q(s), "escalations", e, NULL);
}

json_t *
sq_escalation_get(struct store *s, const char *conv_id)
{
	return sq_row(Q(s), "SELECT * FROM escalations WHERE conversation_id = ?", "s", conv_id);
}

err_t
sq_escalation_update(struct store *s, const char *conv_id, json_t *fields)
{
	const char *k;
	json_t *v;
	err_t err = ERR_OK;

	json_object_foreach(fields, k, v) {
		char sql[128];

		if (strcmp(k, "step") && strcmp(k, "next_at") && strcmp(k, "acked_by") && strcmp(k, "acked_at") && strcmp(k, "done"))
			continue;
		snprintf(sql, sizeof(sql), "UPDATE escalations SET %s = ? WHERE conversation_id = ?", k);
		if (json_is_integer(v))
			err = sq_exec(Q(s), sql, "is", (int64_t)json_integer_value(v), conv_id);
		else
			err = sq_exec(Q(s), sql, "ss", json_string_value(v), conv_id);
		if (err)
			break;
	}
	return err;
}

json_t *
sq_escalation_due(struct store *s, int64_t now, int limit)
{
	return sq_rows(Q(s), "SELECT * FROM escalations WHERE done = 0 AND next_at IS NOT NULL AND next_at <= ? ORDER BY next_at LIMIT ?", "ii", now, (int64_t)limit);
}

int64_t
sq_notification_add(struct store *s, json_t *n)
{
	int64_t id = -1;

	return sq_insert(Q(s), "notifications", n, &id) ? -1 : id;
}

json_t *
sq_notification_list(struct store *s, const char *ws, const char *member_id, int limit)
{
	return sq_rows(Q(s), "SELECT * FROM notifications WHERE workspace_id = ? AND member_id = ? ORDER BY id DESC LIMIT ?", "ssi", ws, member_id, (int64_t)limit);
}

err_t
sq_notification_read(struct store *s, const char *ws, const char *member_id, int64_t id, int64_t now)
{
	return sqc_changed(s, sq_exec(Q(s), "UPDATE notifications SET read_at = ? WHERE id = ? AND workspace_id = ? AND member_id = ?", "iiss", now, id, ws, member_id));
}

json_t *
sq_member_prefs_get(struct store *s, const char *ws, const char *member_id)
{
	return sq_row(Q(s), "SELECT * FROM member_prefs WHERE workspace_id = ? AND member_id = ?", "ss", ws, member_id);
}

err_t
sq_member_prefs_put(struct store *s, json_t *p)
{
	err_t err = sq_exec(Q(s), "DELETE FROM member_prefs WHERE member_id = ?", "s", jsonx_str(p, "member_id"));

	return err ? err : sq_insert(Q(s), "member_prefs", p, NULL);
}
