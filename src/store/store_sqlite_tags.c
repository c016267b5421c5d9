/* store_sqlite_tags.c: tags and their groups, tag provenance on
 * conversations, rules, the dashboard's aggregates, CSV export pages and
 * usage metering, for the SQLite backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "store_sqlite_int.h"

#define Q(s) ((struct sq *)(s))

int64_t
sq_tag_group_create(struct store *s, json_t *g)
{
	int64_t id = -1;

	return sq_insert(Q(s), "tag_groups", g, &id) ? -1 : id;
}

json_t *
sq_tag_group_list(struct store *s, const char *ws)
{
	return sq_rows(Q(s), "SELECT * FROM tag_groups WHERE workspace_id = ? ORDER BY id", "s", ws);
}

err_t
sq_tag_group_delete(struct store *s, const char *ws, int64_t id)
{
	return sq_changed(Q(s), sq_exec(Q(s), "DELETE FROM tag_groups WHERE id = ? AND workspace_id = ?", "is", id, ws), ERR_NOT_FOUND);
}

int64_t
sq_tag_create(struct store *s, json_t *t)
{
	int64_t id = -1;
	err_t err = sq_insert(Q(s), "tags", t, &id);

	return err == ERR_CONFLICT ? -2 : err ? -1 : id;
}

#define TAG_COLS "t.id, t.workspace_id, t.group_id, t.name, t.colour, t.description, t.created_at, g.name AS group_name, g.cardinality"

json_t *
sq_tag_get(struct store *s, const char *ws, int64_t id)
{
	return sq_row(Q(s), "SELECT " TAG_COLS " FROM tags t LEFT JOIN tag_groups g ON g.id = t.group_id WHERE t.id = ? AND t.workspace_id = ?", "is", id, ws);
}

json_t *
sq_tag_list(struct store *s, const char *ws)
{
	return sq_rows(Q(s), "SELECT " TAG_COLS " FROM tags t LEFT JOIN tag_groups g ON g.id = t.group_id WHERE t.workspace_id = ? ORDER BY g.id, t.name", "s", ws);
}

err_t
sq_tag_update(struct store *s, const char *ws, int64_t id, json_t *fields)
{
	return sq_update(Q(s), "tags", NULL, id, ws, fields);
}

err_t
sq_tag_delete(struct store *s, const char *ws, int64_t id)
{
	return sq_changed(Q(s), sq_exec(Q(s), "DELETE FROM tags WHERE id = ? AND workspace_id = ?", "is", id, ws), ERR_NOT_FOUND);
}

err_t
sq_conv_tag_add(struct store *s, json_t *ct)
{
	return sq_insert(Q(s), "conversation_tags", ct, NULL);
}

err_t
sq_conv_tag_remove(struct store *s, const char *conv_id, int64_t tag_id)
{
	return sq_changed(Q(s), sq_exec(Q(s), "DELETE FROM conversation_tags WHERE conversation_id = ? AND tag_id = ?", "si", conv_id, tag_id), ERR_NOT_FOUND);
}

json_t *
sq_conv_tags(struct store *s, const char *ws, json_t *conv_ids)
{
	/* json_each keeps it one statement whatever the number of ids. */
	return sq_rows(Q(s),
	    "SELECT ct.conversation_id, ct.tag_id, ct.source, ct.source_id, ct.applied_at, t.name, t.colour, g.name AS group_name "
	    "FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id LEFT JOIN tag_groups g ON g.id = t.group_id "
	    "WHERE t.workspace_id = ? AND ct.conversation_id IN (SELECT value FROM json_each(?)) ORDER BY g.id, t.name",
	    "sj", ws, conv_ids);
}

int64_t
sq_rule_create(struct store *s, json_t *r)
{
	int64_t id = -1;

	return sq_insert(Q(s), "rules", r, &id) ? -1 : id;
}

json_t *
sq_rule_list(struct store *s, const char *ws)
{
	return sq_rows(Q(s), "SELECT * FROM rules WHERE workspace_id = ? ORDER BY position, id", "s", ws);
}

err_t
sq_rule_update(struct store *s, const char *ws, int64_t id, json_t *fields)
{
	return sq_update(Q(s), "rules", NULL, id, ws, fields);
}

err_t
sq_rule_delete(struct store *s, const char *ws, int64_t id)
{
	return sq_changed(Q(s), sq_exec(Q(s), "DELETE FROM rules WHERE id = ? AND workspace_id = ?", "is", id, ws), ERR_NOT_FOUND);
}

/* ---- dashboard ---- */

/* The conversations in scope, computed once per dashboard into a temporary
 * table that every figure aggregates over: one row per conversation with its
 * site (a Site tag wins over the widget's context), its week and the
 * measured times; narrowed to one site when asked. */
#define DASH_SCOPE \
	"CREATE TEMP TABLE dash_s AS WITH scope AS (SELECT c.id, c.created_at, c.handoff_at, c.handoff_reason, c.first_human_reply_at, c.resolved_at, " \
	"coalesce((SELECT t.name FROM conversation_tags x JOIN tags t ON t.id = x.tag_id " \
	"WHERE x.conversation_id = c.id AND x.tag_id IN (SELECT t2.id FROM tags t2 JOIN tag_groups g ON g.id = t2.group_id " \
	"WHERE g.workspace_id = ?1 AND g.name = ?2) LIMIT 1), c.site, '(none)') AS site, " \
	"date(c.created_at / 1000, 'unixepoch', '-6 days', 'weekday 1') AS week, " \
	"(c.handoff_at IS NULL AND c.first_human_reply_at IS NULL AND c.agent_reply_at IS NOT NULL) AS agent_resolved " \
	"FROM conversations c WHERE c.workspace_id = ?1 AND c.created_at >= ?3 AND c.created_at < ?4 " \
	"AND (?5 = 0 OR EXISTS (SELECT 1 FROM conversation_tags y WHERE y.conversation_id = c.id AND y.tag_id = ?5))) " \
	"SELECT * FROM scope WHERE ?6 IS NULL OR site = ?6"

static json_t *
dash_q(struct store *s, const struct store_dash_filter *f, const char *sql)
{
	/* Every query aggregates over the temporary table dash_s (alias s). */
	return sq_rows(Q(s), sql, "s", f->topic_group ? f->topic_group : "Topic");
}

static json_t *
dash_median(struct store *s, const struct store_dash_filter *f, const char *expr)
{
	char sql[1024];
	json_t *r, *v;

	snprintf(sql, sizeof(sql),
	    "SELECT (%s) AS v FROM dash_s s WHERE (%s) IS NOT NULL ORDER BY v LIMIT 1 OFFSET "
	    "(SELECT count(*) / 2 FROM dash_s s WHERE (%s) IS NOT NULL AND ?1 IS NOT NULL)", expr, expr, expr);
	r = dash_q(s, f, sql);
	v = json_array_size(r) == 0 ? json_null() : json_integer(jsonx_int(json_array_get(r, 0), "v", 0) / 1000);
	json_decref(r);
	return v;
}

json_t *
sq_dashboard(struct store *s, const struct store_dash_filter *f)
{
	json_t *out, *r;

	sq_exec(Q(s), "DROP TABLE IF EXISTS temp.dash_s", "");
	if (sq_exec(Q(s), DASH_SCOPE, "ssiiis", f->workspace_id, f->site_group ? f->site_group : "Site", f->from,
	    f->to ? f->to : (int64_t)1 << 62, f->tag_id, f->site))
		return NULL;
	out = json_object();
	r = dash_q(s, f, "SELECT count(*) AS conversations, coalesce(sum(handoff_at IS NOT NULL), 0) AS handoffs, "
	    "coalesce(sum(agent_resolved), 0) AS agent_resolved, coalesce(sum(resolved_at IS NOT NULL), 0) AS resolved FROM dash_s s WHERE ?1 IS NOT NULL");
	json_object_set(out, "totals", json_array_get(r, 0));
	json_decref(r);
	{
		json_t *tot = json_object_get(out, "totals");
		double n = (double)jsonx_int(tot, "conversations", 0);

		json_object_set_new(tot, "handoff_rate", json_real(n > 0 ? jsonx_int(tot, "handoffs", 0) / n : 0));
		json_object_set_new(tot, "agent_resolved_rate", json_real(n > 0 ? jsonx_int(tot, "agent_resolved", 0) / n : 0));
	}
	json_object_set_new(json_object_get(out, "totals"), "median_first_human_reply_s",
	    dash_median(s, f, "first_human_reply_at - created_at"));
	json_object_set_new(json_object_get(out, "totals"), "median_resolution_s",
	    dash_median(s, f, "resolved_at - created_at"));
	r = dash_q(s, f, "SELECT week, count(*) AS conversations, sum(handoff_at IS NOT NULL) AS handoffs, sum(agent_resolved) AS agent_resolved, "
	    "CAST(avg(first_human_reply_at - created_at) / 1000 AS INTEGER) AS avg_first_human_reply_s, "
	    "CAST(avg(resolved_at - created_at) / 1000 AS INTEGER) AS avg_resolution_s FROM dash_s s WHERE ?1 IS NOT NULL GROUP BY week ORDER BY week");
	json_object_set_new(out, "weeks", r);
	json_object_set_new(out, "handoffs_by_reason", dash_q(s, f,
	    "SELECT handoff_reason AS reason, count(*) AS handoffs FROM dash_s s WHERE handoff_at IS NOT NULL AND ?1 IS NOT NULL GROUP BY handoff_reason ORDER BY handoffs DESC"));
	json_object_set_new(out, "by_site", dash_q(s, f,
	    "SELECT site, count(*) AS conversations, sum(handoff_at IS NOT NULL) AS handoffs FROM dash_s s WHERE ?1 IS NOT NULL GROUP BY site ORDER BY handoffs DESC, site"));
	json_object_set_new(out, "by_topic", dash_q(s, f,
	    "SELECT t.id AS tag_id, t.name AS topic, t.colour, count(*) AS conversations, sum(s.handoff_at IS NOT NULL) AS handoffs "
	    "FROM dash_s s JOIN conversation_tags x ON x.conversation_id = s.id JOIN tags t ON t.id = x.tag_id JOIN tag_groups g ON g.id = t.group_id "
	    "WHERE g.name = ?1 GROUP BY t.id ORDER BY handoffs DESC, t.name"));
	json_object_set_new(out, "heatmap", dash_q(s, f,
	    "SELECT s.site, t.name AS topic, count(*) AS conversations, sum(s.handoff_at IS NOT NULL) AS handoffs "
	    "FROM dash_s s JOIN conversation_tags x ON x.conversation_id = s.id JOIN tags t ON t.id = x.tag_id JOIN tag_groups g ON g.id = t.group_id "
	    "WHERE g.name = ?1 GROUP BY s.site, t.name ORDER BY s.site, t.name"));
	sq_exec(Q(s), "DROP TABLE temp.dash_s", "");
	return out;
}

/* ---- exports and usage ---- */

json_t *
sq_export_conversations(struct store *s, const char *ws, int64_t from, int64_t to,
    int64_t after_number, int limit)
{
	return sq_rows(Q(s),
	    "SELECT c.number, c.id, c.status, c.mode, c.channel, c.site, c.protocol, c.priority, m.email AS assignee, "
	    "c.created_at, c.handoff_at, c.first_human_reply_at, c.resolved_at, c.handoff_reason, c.handoff_phrase, "
	    "(SELECT group_concat(t.name || ' (' || x.source || ')', '; ') FROM conversation_tags x JOIN tags t ON t.id = x.tag_id "
	    " WHERE x.conversation_id = c.id) AS tags "
	    "FROM conversations c LEFT JOIN members m ON m.id = c.assignee_id "
	    "WHERE c.workspace_id = ? AND c.created_at >= ? AND c.created_at < ? AND c.number > ? ORDER BY c.number LIMIT ?",
	    "siiii", ws, from, to ? to : (int64_t)1 << 62, after_number, (int64_t)limit);
}

json_t *
sq_export_messages(struct store *s, const char *ws, int64_t from, int64_t to, int64_t after_id,
    int limit)
{
	return sq_rows(Q(s),
	    "SELECT m.id, c.number, m.conversation_id, m.author_kind, mb.email AS author, m.internal, m.body, m.confidence, "
	    "m.handoff_reason, m.citations_json AS citations_text, m.created_at "
	    "FROM messages m JOIN conversations c ON c.id = m.conversation_id LEFT JOIN members mb ON mb.id = m.author_id "
	    "WHERE m.workspace_id = ? AND m.created_at >= ? AND m.created_at < ? AND m.id > ? ORDER BY m.id LIMIT ?",
	    "siiii", ws, from, to ? to : (int64_t)1 << 62, after_id, (int64_t)limit);
}

json_t *
sq_usage(struct store *s, const char *ws, int64_t from, int64_t to)
{
	json_t *r = sq_row(Q(s),
	    "SELECT (SELECT count(*) FROM messages WHERE workspace_id = ?1 AND author_kind = 'agent' AND handoff_reason IS NULL AND created_at >= ?2 AND created_at < ?3) AS agent_answers, "
	    "(SELECT count(*) FROM conversations WHERE workspace_id = ?1 AND handoff_at >= ?2 AND handoff_at < ?3) AS handoffs, "
	    "(SELECT count(*) FROM conversations WHERE workspace_id = ?1 AND created_at >= ?2 AND created_at < ?3) AS conversations, "
	    "(SELECT count(*) FROM kb_documents WHERE workspace_id = ?1 AND state = 'indexed') AS documents, "
	    "(SELECT coalesce(sum(bytes), 0) FROM kb_documents WHERE workspace_id = ?1 AND state IN ('indexed','superseded')) "
	    " + (SELECT coalesce(sum(length(body)), 0) FROM messages WHERE workspace_id = ?1) AS storage_bytes",
	    "sii", ws, from, to);

	return r;
}
