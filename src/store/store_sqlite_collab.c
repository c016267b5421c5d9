/* store_sqlite_collab.c: per-member collaboration state for the SQLite
 * backend (issue 4): read markers and unread counts, saved views (per
 * member), saved replies (per workspace), and marking every notification of a
 * member read. Every statement is scoped by workspace, and views by member. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "store_sqlite_int.h"

#define Q(s) ((struct sq *)(s))

/* Move the marker forward only: a late request never marks newer messages unread. */
err_t
sq_read_mark(struct store *s, const char *ws, const char *member_id, const char *conv_id,
    int64_t msg_id, int64_t now)
{
	return sq_exec(Q(s),
	    "INSERT INTO read_markers (member_id, conversation_id, workspace_id, last_read_msg_id, read_at) "
	    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id, conversation_id) DO UPDATE SET "
	    "last_read_msg_id = max(last_read_msg_id, excluded.last_read_msg_id), read_at = excluded.read_at",
	    "sssii", member_id, conv_id, ws, msg_id, now);
}

/* {conversation_id: unread} for the ids in conv_ids: messages and notes after
 * the member's marker that someone else wrote. Absent ids have none. */
json_t *
sq_unread_counts(struct store *s, const char *ws, const char *member_id, json_t *conv_ids)
{
	json_t *rows, *out = json_object();
	size_t i;

	/* Ids first (CROSS JOIN keeps that order), each conversation by primary
	 * key, its messages through messages_conv from the marker on: a page
	 * costs its own rows, never a scan of the workspace. */
	rows = sq_rows(Q(s),
	    "SELECT c.id AS cid, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id "
	    "AND m.id > coalesce((SELECT r.last_read_msg_id FROM read_markers r WHERE r.member_id = ? "
	    "AND r.conversation_id = c.id), 0) AND (m.author_id IS NULL OR m.author_id <> ?)) AS n "
	    "FROM json_each(?) j CROSS JOIN conversations c ON c.id = j.value WHERE c.workspace_id = ?",
	    "ssjs", member_id, member_id, conv_ids, ws);
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);

		if (jsonx_int(r, "n", 0) > 0)
			json_object_set_new(out, jsonx_str(r, "cid"), json_integer(jsonx_int(r, "n", 0)));
	}
	json_decref(rows);
	return out;
}

/* The newest message id of a conversation (0 when it has none). */
int64_t
sq_msg_last_id(struct store *s, const char *ws, const char *conv_id)
{
	json_t *r = sq_row(Q(s), "SELECT coalesce(max(m.id), 0) AS id FROM conversations c "
	    "JOIN messages m INDEXED BY messages_conv ON m.conversation_id = c.id WHERE c.id = ? AND c.workspace_id = ?",
	    "ss", conv_id, ws);
	int64_t id = jsonx_int(r, "id", 0);

	json_decref(r);
	return id;
}

int64_t
sq_view_create(struct store *s, json_t *v)
{
	int64_t id = -1;

	return sq_insert(Q(s), "saved_views", v, &id) ? -1 : id;
}

json_t *
sq_view_list(struct store *s, const char *ws, const char *member_id)
{
	return sq_rows(Q(s), "SELECT * FROM saved_views WHERE workspace_id = ? AND member_id = ? ORDER BY id LIMIT 200",
	    "ss", ws, member_id);
}

json_t *
sq_view_get(struct store *s, const char *ws, const char *member_id, int64_t id)
{
	return sq_row(Q(s), "SELECT * FROM saved_views WHERE id = ? AND workspace_id = ? AND member_id = ?",
	    "iss", id, ws, member_id);
}

err_t
sq_view_update(struct store *s, const char *ws, const char *member_id, int64_t id, const char *name,
    json_t *filters, int64_t now)
{
	return sq_changed(Q(s), sq_exec(Q(s),
	    "UPDATE saved_views SET name = coalesce(?, name), filters_json = coalesce(?, filters_json), updated_at = ? "
	    "WHERE id = ? AND workspace_id = ? AND member_id = ?",
	    "sjiiss", name, filters, now, id, ws, member_id), ERR_NOT_FOUND);
}

err_t
sq_view_delete(struct store *s, const char *ws, const char *member_id, int64_t id)
{
	return sq_changed(Q(s), sq_exec(Q(s), "DELETE FROM saved_views WHERE id = ? AND workspace_id = ? AND member_id = ?",
	    "iss", id, ws, member_id), ERR_NOT_FOUND);
}

int64_t
sq_reply_create(struct store *s, json_t *r)
{
	int64_t id = -1;

	return sq_insert(Q(s), "saved_replies", r, &id) ? -1 : id;
}

json_t *
sq_reply_list(struct store *s, const char *ws)
{
	return sq_rows(Q(s), "SELECT * FROM saved_replies WHERE workspace_id = ? ORDER BY title COLLATE NOCASE, id LIMIT 500",
	    "s", ws);
}

json_t *
sq_reply_get(struct store *s, const char *ws, int64_t id)
{
	return sq_row(Q(s), "SELECT * FROM saved_replies WHERE id = ? AND workspace_id = ?", "is", id, ws);
}

err_t
sq_reply_update(struct store *s, const char *ws, int64_t id, json_t *fields)
{
	return sq_update(Q(s), "saved_replies", NULL, id, ws, fields);
}

err_t
sq_reply_delete(struct store *s, const char *ws, int64_t id)
{
	return sq_changed(Q(s), sq_exec(Q(s), "DELETE FROM saved_replies WHERE id = ? AND workspace_id = ?", "is", id, ws),
	    ERR_NOT_FOUND);
}

int64_t
sq_notification_read_all(struct store *s, const char *ws, const char *member_id, int64_t now)
{
	if (sq_exec(Q(s), "UPDATE notifications SET read_at = ? WHERE workspace_id = ? AND member_id = ? AND read_at IS NULL",
	    "iss", now, ws, member_id))
		return -1;
	return sqlite3_changes(Q(s)->db);
}
