/* store_sqlite_suggest.c: suggested tags (the classifier's training rows and
 * the suggestions themselves), the member-answered questions that duplicate
 * detection compares against, and stale-thread notices, for the SQLite
 * backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "store_sqlite_int.h"

#define Q(s) ((struct sq *)(s))

/* The first three visitor messages of conversation x, each cut at 2000 bytes. */
#define FIRST_VISITOR(x) \
	"(SELECT group_concat(b, char(10)) FROM (SELECT substr(body, 1, 2000) AS b FROM messages m " \
	"WHERE m.conversation_id = " x " AND m.author_kind = 'visitor' ORDER BY m.id LIMIT 3))"

json_t *
sq_suggest_training(struct store *s, const char *ws, const char *topic_group, int limit)
{
	return sq_rows(Q(s),
	    "WITH tagged AS (SELECT ct.conversation_id, json_group_array(ct.tag_id) AS tags_json, max(ct.applied_at) AS at "
	    "FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id JOIN tag_groups g ON g.id = t.group_id "
	    "WHERE t.workspace_id = ?1 AND g.name = ?2 AND ct.source IN ('member', 'rule') "
	    "GROUP BY ct.conversation_id ORDER BY at DESC LIMIT ?3) "
	    "SELECT x.conversation_id, x.tags_json, coalesce(" FIRST_VISITOR("x.conversation_id") ", '') AS text FROM tagged x",
	    "ssi", ws, topic_group, (int64_t)limit);
}

json_t *
sq_suggest_signature(struct store *s, const char *ws, const char *topic_group)
{
	return sq_row(Q(s),
	    "SELECT count(*) AS n, coalesce(max(ct.applied_at), 0) AS last, "
	    "(SELECT count(*) || ':' || coalesce(sum(t2.id + length(t2.name) + length(t2.description)), 0) "
	    " FROM tags t2 JOIN tag_groups g2 ON g2.id = t2.group_id WHERE t2.workspace_id = ?1 AND g2.name = ?2) AS tags "
	    "FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id JOIN tag_groups g ON g.id = t.group_id "
	    "WHERE t.workspace_id = ?1 AND g.name = ?2 AND ct.source IN ('member', 'rule')",
	    "ss", ws, topic_group);
}

json_t *
sq_suggest_conv_text(struct store *s, const char *conv_id)
{
	return sq_row(Q(s),
	    "SELECT coalesce(" FIRST_VISITOR("?1") ", '') || coalesce(char(10) || (SELECT substr(body, 1, 2000) FROM messages "
	    "WHERE conversation_id = ?1 AND author_kind = 'visitor' AND id > (SELECT coalesce(max(id), 0) FROM "
	    "(SELECT id FROM messages WHERE conversation_id = ?1 AND author_kind = 'visitor' ORDER BY id LIMIT 3)) "
	    "ORDER BY id DESC LIMIT 1), '') AS text",
	    "s", conv_id);
}

json_t *
sq_suggest_list(struct store *s, const char *ws, const char *conv_id, const char *state)
{
	return sq_rows(Q(s),
	    "SELECT x.tag_id, x.score, x.state, x.decided_by, x.decided_at, x.created_at, x.updated_at, "
	    "t.name, t.colour, t.description FROM tag_suggestions x JOIN tags t ON t.id = x.tag_id "
	    "WHERE x.workspace_id = ?1 AND x.conversation_id = ?2 AND (?3 IS NULL OR x.state = ?3) "
	    "ORDER BY x.score DESC, t.name",
	    "sss", ws, conv_id, state);
}

err_t
sq_suggest_put(struct store *s, json_t *row)
{
	return sq_exec(Q(s),
	    "INSERT INTO tag_suggestions (conversation_id, tag_id, workspace_id, score, state, created_at, updated_at) "
	    "VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?5) ON CONFLICT (conversation_id, tag_id) DO UPDATE "
	    "SET score = excluded.score, updated_at = excluded.updated_at WHERE state = 'open'",
	    "sisdi", jsonx_str(row, "conversation_id"), jsonx_int(row, "tag_id", 0),
	    jsonx_str(row, "workspace_id"), json_number_value(json_object_get(row, "score")),
	    jsonx_int(row, "created_at", 0));
}

err_t
sq_suggest_prune(struct store *s, const char *conv_id, json_t *keep)
{
	return sq_exec(Q(s),
	    "DELETE FROM tag_suggestions WHERE conversation_id = ? AND state = 'open' "
	    "AND tag_id NOT IN (SELECT value FROM json_each(?))",
	    "sj", conv_id, keep);
}

err_t
sq_suggest_decide(struct store *s, const char *ws, const char *conv_id, int64_t tag_id,
    const char *state, const char *by, int64_t at)
{
	return sq_changed(Q(s), sq_exec(Q(s),
	    "UPDATE tag_suggestions SET state = ?, decided_by = ?, decided_at = ?, updated_at = ? "
	    "WHERE workspace_id = ? AND conversation_id = ? AND tag_id = ? AND state = 'open'",
	    "ssiissi", state, by, at, at, ws, conv_id, tag_id), ERR_NOT_FOUND);
}

json_t *
sq_dup_answered(struct store *s, const char *ws, int64_t after_id, int limit)
{
	/* Every visitor message since the previous public member reply is a
	 * question that this reply answered; messages_conv finds them. */
	return sq_rows(Q(s),
	    "SELECT r.id AS answer_id, q.id AS question_id, r.conversation_id, c.number, c.site, "
	    "substr(q.body, 1, 2000) AS question, substr(r.body, 1, 400) AS answer "
	    "FROM messages r JOIN conversations c ON c.id = r.conversation_id "
	    "JOIN messages q ON q.conversation_id = r.conversation_id AND q.author_kind = 'visitor' AND q.id < r.id "
	    "  AND q.id > coalesce((SELECT max(p.id) FROM messages p WHERE p.conversation_id = r.conversation_id "
	    "  AND p.author_kind = 'member' AND p.internal = 0 AND p.id < r.id), 0) "
	    "WHERE r.workspace_id = ?1 AND r.author_kind = 'member' AND r.internal = 0 AND r.id > ?2 "
	    "ORDER BY r.id DESC, q.id DESC LIMIT ?3",
	    "sii", ws, after_id, (int64_t)limit);
}

json_t *
sq_dup_background(struct store *s, const char *ws, int limit)
{
	return sq_rows(Q(s),
	    "SELECT substr(body, 1, 1000) AS text FROM messages WHERE workspace_id = ? AND author_kind = 'visitor' "
	    "ORDER BY id DESC LIMIT ?",
	    "si", ws, (int64_t)limit);
}

json_t *
sq_stale_due(struct store *s, int64_t now, int limit)
{
	/* conv_status_updated narrows to needs_human threads quiet for at least
	 * the smallest limit (5 minutes) before the per-workspace test. */
	return sq_rows(Q(s),
	    "SELECT c.id AS conversation_id, c.workspace_id, c.number, c.assignee_id, c.site, c.updated_at, "
	    "coalesce(json_extract(w.settings_json, '$.stale_minutes'), 120) AS stale_minutes, "
	    "n.notified_at, coalesce(n.count, 0) AS count "
	    "FROM conversations c JOIN workspaces w ON w.id = c.workspace_id "
	    "LEFT JOIN stale_notices n ON n.conversation_id = c.id "
	    "WHERE c.status = 'needs_human' AND c.updated_at <= ?1 - 300000 "
	    "AND max(c.updated_at, coalesce(n.notified_at, 0)) + coalesce(json_extract(w.settings_json, '$.stale_minutes'), 120) * 60000 <= ?1 "
	    "ORDER BY c.updated_at LIMIT ?2",
	    "ii", now, (int64_t)limit);
}

err_t
sq_stale_put(struct store *s, json_t *row)
{
	return sq_exec(Q(s),
	    "INSERT INTO stale_notices (conversation_id, workspace_id, notified_at, member_id, count) VALUES (?, ?, ?, ?, 1) "
	    "ON CONFLICT (conversation_id) DO UPDATE SET notified_at = excluded.notified_at, "
	    "member_id = excluded.member_id, count = count + 1",
	    "ssis", jsonx_str(row, "conversation_id"), jsonx_str(row, "workspace_id"),
	    jsonx_int(row, "notified_at", 0), jsonx_str(row, "member_id"));
}
