/* store_sqlite_review.c: the monthly review's queries (a month's handed-off
 * conversations and their messages) and the review entries that turn a
 * member's answer into a knowledge-base document, for the SQLite backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "store_sqlite_int.h"

#define Q(s) ((struct sq *)(s))

json_t *
sq_review_handoffs(struct store *s, const char *ws, int64_t from, int64_t to, json_t *sites)
{
	/* A conversation is in the month when it was handed off in it: a handoff
	 * timeline entry (agent or person), or handoff_at for handoffs that
	 * leave none (rules). The reason comes from the first handoff of the
	 * month; handoff_reason on the row is cleared by a hand-back. */
	return sq_rows(Q(s),
	    "WITH tl AS ("
	    " SELECT t.conversation_id AS cid, min(t.created_at) AS at FROM timeline t"
	    "  JOIN conversations c ON c.id = t.conversation_id"
	    "  WHERE t.kind = 'handoff' AND t.created_at >= ?2 AND t.created_at < ?3 AND c.workspace_id = ?1"
	    "  GROUP BY t.conversation_id),"
	    "h AS (SELECT cid, at FROM tl"
	    " UNION ALL"
	    " SELECT c.id, c.handoff_at FROM conversations c"
	    "  WHERE c.workspace_id = ?1 AND c.handoff_at >= ?2 AND c.handoff_at < ?3"
	    "  AND c.id NOT IN (SELECT cid FROM tl))"
	    "SELECT c.id, c.number, c.site, c.status, c.channel, c.subject, c.created_at, c.resolved_at,"
	    " h.at AS handoff_at,"
	    " coalesce((SELECT json_extract(t.detail_json, '$.reason') FROM timeline t WHERE t.conversation_id = c.id"
	    "  AND t.kind = 'handoff' AND t.created_at = h.at ORDER BY t.id LIMIT 1), c.handoff_reason, 'unknown') AS reason "
	    "FROM h JOIN conversations c ON c.id = h.cid "
	    "WHERE ?4 IS NULL OR c.site IN (SELECT value FROM json_each(?4)) "
	    "ORDER BY h.at, c.number",
	    "siij", ws, from, to, sites);
}

json_t *
sq_review_messages(struct store *s, const char *ws, json_t *conv_ids)
{
	return sq_rows(Q(s),
	    "SELECT id, conversation_id, author_kind, author_id, body, internal, handoff_reason, created_at "
	    "FROM messages WHERE workspace_id = ? AND conversation_id IN (SELECT value FROM json_each(?)) "
	    "ORDER BY conversation_id, id",
	    "sj", ws, conv_ids);
}

int64_t
sq_review_entry_create(struct store *s, json_t *e)
{
	int64_t id = -1;

	return sq_insert(Q(s), "review_entries", e, &id) ? -1 : id;
}

json_t *
sq_review_entry_get(struct store *s, const char *ws, int64_t id)
{
	return sq_row(Q(s), "SELECT * FROM review_entries WHERE id = ? AND workspace_id = ?", "is", id, ws);
}

json_t *
sq_review_entry_list(struct store *s, const char *ws, const char *state, int limit)
{
	return sq_rows(Q(s),
	    "SELECT * FROM review_entries WHERE workspace_id = ? AND (? IS NULL OR state = ?2) "
	    "ORDER BY CASE state WHEN 'pending' THEN 0 ELSE 1 END, id DESC LIMIT ?",
	    "ssi", ws, state, (int64_t)limit);
}

err_t
sq_review_entry_decide(struct store *s, const char *ws, int64_t id, const char *from_state,
    json_t *fields)
{
	/* Only an entry still in from_state changes: two admins deciding at
	 * once cannot both win. */
	json_t *cur = sq_review_entry_get(s, ws, id);
	err_t err;

	if (cur == NULL)
		return ERR_NOT_FOUND;
	if (strcmp(jsonx_str(cur, "state"), from_state) != 0) {
		json_decref(cur);
		return ERR_CONFLICT;
	}
	json_decref(cur);
	err = sq_update(Q(s), "review_entries", NULL, id, ws, fields);
	return err;
}
