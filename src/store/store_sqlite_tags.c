/* store_sqlite_tags.c: tags and their groups, tag provenance on
 * conversations, rules, the dashboard's aggregates, CSV export pages and
 * usage metering, for the SQLite backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/log.h"
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

/* One pass over the conversations in scope, aggregated here: a row per
 * conversation with its week, its site (a Site tag wins over the widget's
 * context), its handoff and resolution, its measured times and its Topic
 * tags. Every figure of the dashboard comes from this pass; the rows come in
 * created_at order from a covering index, so the current week is cached. */
#define DASH_SQL \
	"SELECT date(c.created_at / 1000, 'unixepoch', '-6 days', 'weekday 1'), " \
	"coalesce((SELECT t.name FROM conversation_tags x JOIN tags t ON t.id = x.tag_id " \
	"WHERE x.conversation_id = c.id AND t.group_id = ?2 LIMIT 1), c.site, '(none)'), " \
	"c.handoff_at IS NOT NULL, c.handoff_reason, " \
	"c.handoff_at IS NULL AND c.first_human_reply_at IS NULL AND c.agent_reply_at IS NOT NULL, " \
	"c.resolved_at IS NOT NULL, c.first_human_reply_at - c.created_at, c.resolved_at - c.created_at, " \
	"(SELECT group_concat(x.tag_id) FROM conversation_tags x JOIN tags t ON t.id = x.tag_id " \
	"WHERE x.conversation_id = c.id AND t.group_id = ?3) " \
	"FROM conversations c WHERE c.workspace_id = ?1 AND c.created_at >= ?4 AND c.created_at < ?5 " \
	"AND (?6 = 0 OR EXISTS (SELECT 1 FROM conversation_tags y WHERE y.conversation_id = c.id AND y.tag_id = ?6)) " \
	"ORDER BY c.created_at"

struct dash_n {
	char key[80];
	int64_t tag; /* topic tag id; 0 for the other tallies */
	int64_t n, handoffs, agent, sum_reply, n_reply, sum_res, n_res;
};

struct dash_tally {
	struct dash_n *v;
	size_t n, cap;
};

struct dash_vec {
	int64_t *v;
	size_t n, cap;
};

static struct dash_n *
dash_get(struct dash_tally *t, const char *key, int64_t tag)
{
	size_t i;

	for (i = t->n; i-- > 0;)
		if (t->v[i].tag == tag && strcmp(t->v[i].key, key) == 0)
			return &t->v[i];
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	snprintf(t->v[t->n].key, sizeof(t->v[0].key), "%s", key);
	t->v[t->n].tag = tag;
	return &t->v[t->n++];
}

static void
dash_push(struct dash_vec *v, int64_t x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
	}
	v->v[v->n++] = x;
}

static int
dash_i64cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The upper median in seconds, or null. */
static json_t *
dash_median(struct dash_vec *v)
{
	if (v->n == 0)
		return json_null();
	qsort(v->v, v->n, sizeof(*v->v), dash_i64cmp);
	return json_integer(v->v[v->n / 2] / 1000);
}

static json_t *
dash_avg(int64_t sum, int64_t n)
{
	return n > 0 ? json_integer(sum / n / 1000) : json_null();
}

static int
dash_by_handoffs(const void *a, const void *b)
{
	const struct dash_n *x = a, *y = b;

	if (x->handoffs != y->handoffs)
		return x->handoffs > y->handoffs ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int
dash_by_key(const void *a, const void *b)
{
	return strcmp(((const struct dash_n *)a)->key, ((const struct dash_n *)b)->key);
}

static int64_t
dash_group(struct sq *q, const char *ws, const char *name)
{
	json_t *r = sq_row(q, "SELECT id FROM tag_groups WHERE workspace_id = ? AND name = ?", "ss", ws, name);
	int64_t id = jsonx_int(r, "id", 0);

	json_decref(r);
	return id;
}

json_t *
sq_dashboard(struct store *s, const struct store_dash_filter *f)
{
	struct dash_tally weeks = {0}, reasons = {0}, sites = {0}, topics = {0}, heat = {0};
	struct dash_vec reply = {0}, res = {0};
	struct dash_n tot, *wk = NULL;
	int64_t site_group, topic_group;
	sqlite3_stmt *st;
	json_t *out = NULL, *arr, *names;
	size_t i;
	int rc;

	site_group = dash_group(Q(s), f->workspace_id, f->site_group ? f->site_group : "Site");
	topic_group = dash_group(Q(s), f->workspace_id, f->topic_group ? f->topic_group : "Topic");
	st = sq_prep(Q(s), DASH_SQL);
	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, f->workspace_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, site_group);
	sqlite3_bind_int64(st, 3, topic_group);
	sqlite3_bind_int64(st, 4, f->from);
	sqlite3_bind_int64(st, 5, f->to ? f->to : (int64_t)1 << 62);
	sqlite3_bind_int64(st, 6, f->tag_id);
	memset(&tot, 0, sizeof(tot));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *week = (const char *)sqlite3_column_text(st, 0);
		const char *site = (const char *)sqlite3_column_text(st, 1);
		const char *reason = (const char *)sqlite3_column_text(st, 3);
		const char *tl = (const char *)sqlite3_column_text(st, 8);
		int handoff = sqlite3_column_int(st, 2), agent = sqlite3_column_int(st, 4);
		int has_reply = sqlite3_column_type(st, 6) != SQLITE_NULL, has_res = sqlite3_column_type(st, 7) != SQLITE_NULL;
		int64_t dreply = sqlite3_column_int64(st, 6), dres = sqlite3_column_int64(st, 7);
		struct dash_n *sn;

		if (site == NULL || week == NULL || (f->site != NULL && strcmp(site, f->site) != 0))
			continue;
		tot.n++;
		tot.handoffs += handoff;
		tot.agent += agent;
		tot.n_res += sqlite3_column_int(st, 5);
		if (wk == NULL || strcmp(wk->key, week) != 0)
			wk = dash_get(&weeks, week, 0);
		wk->n++;
		wk->handoffs += handoff;
		wk->agent += agent;
		if (has_reply) {
			dash_push(&reply, dreply);
			wk->sum_reply += dreply;
			wk->n_reply++;
		}
		if (has_res) {
			dash_push(&res, dres);
			wk->sum_res += dres;
			wk->n_res++;
		}
		if (handoff)
			dash_get(&reasons, reason ? reason : "", 0)->handoffs++;
		sn = dash_get(&sites, site, 0);
		sn->n++;
		sn->handoffs += handoff;
		while (tl != NULL && *tl != '\0') {
			int64_t tag = strtoll(tl, NULL, 10);
			struct dash_n *tn = dash_get(&topics, "", tag), *hn = dash_get(&heat, site, tag);

			tn->n++;
			tn->handoffs += handoff;
			hn->n++;
			hn->handoffs += handoff;
			tl = strchr(tl, ',');
			tl = tl ? tl + 1 : NULL;
		}
	}
	if (rc != SQLITE_DONE) {
		log_warnx("sqlite dashboard: %s", sqlite3_errmsg(Q(s)->db));
		goto done;
	}
	out = json_object();
	json_object_set_new(out, "totals", json_pack("{s:I,s:I,s:I,s:I,s:f,s:f,s:o,s:o}", "conversations", (json_int_t)tot.n,
	    "handoffs", (json_int_t)tot.handoffs, "agent_resolved", (json_int_t)tot.agent, "resolved", (json_int_t)tot.n_res,
	    "handoff_rate", tot.n ? (double)tot.handoffs / (double)tot.n : 0.0,
	    "agent_resolved_rate", tot.n ? (double)tot.agent / (double)tot.n : 0.0,
	    "median_first_human_reply_s", dash_median(&reply), "median_resolution_s", dash_median(&res)));
	if (weeks.n)
		qsort(weeks.v, weeks.n, sizeof(*weeks.v), dash_by_key);
	arr = json_array();
	for (i = 0; i < weeks.n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I,s:o,s:o}", "week", weeks.v[i].key, "conversations",
		    (json_int_t)weeks.v[i].n, "handoffs", (json_int_t)weeks.v[i].handoffs, "agent_resolved", (json_int_t)weeks.v[i].agent,
		    "avg_first_human_reply_s", dash_avg(weeks.v[i].sum_reply, weeks.v[i].n_reply),
		    "avg_resolution_s", dash_avg(weeks.v[i].sum_res, weeks.v[i].n_res)));
	json_object_set_new(out, "weeks", arr);
	if (reasons.n)
		qsort(reasons.v, reasons.n, sizeof(*reasons.v), dash_by_handoffs);
	arr = json_array();
	for (i = 0; i < reasons.n; i++)
		json_array_append_new(arr, json_pack("{s:s?,s:I}", "reason", reasons.v[i].key[0] ? reasons.v[i].key : NULL,
		    "handoffs", (json_int_t)reasons.v[i].handoffs));
	json_object_set_new(out, "handoffs_by_reason", arr);
	if (sites.n)
		qsort(sites.v, sites.n, sizeof(*sites.v), dash_by_handoffs);
	arr = json_array();
	for (i = 0; i < sites.n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:I,s:I}", "site", sites.v[i].key, "conversations", (json_int_t)sites.v[i].n,
		    "handoffs", (json_int_t)sites.v[i].handoffs));
	json_object_set_new(out, "by_site", arr);
	/* Topic names and colours; then the topic and heat-map tallies by name. */
	names = sq_rows(Q(s), "SELECT id, name, colour FROM tags WHERE workspace_id = ? AND group_id = ?", "si", f->workspace_id, topic_group);
	{
		struct dash_tally *both[2] = {&topics, &heat};
		int k;

		for (k = 0; k < 2; k++)
			for (i = 0; i < both[k]->n; i++) {
				struct dash_n *n = &both[k]->v[i];
				size_t j;

				for (j = 0; j < json_array_size(names); j++)
					if (jsonx_int(json_array_get(names, j), "id", 0) == n->tag)
						break;
				const char *nm = jsonx_str(json_array_get(names, j), "name");

				if (nm == NULL)
					nm = "?";
				if (k == 0)
					snprintf(n->key, sizeof(n->key), "%s", nm);
				else
					snprintf(n->key + strlen(n->key), sizeof(n->key) - strlen(n->key), "%c%s", '\x1f', nm);
			}
	}
	if (topics.n)
		qsort(topics.v, topics.n, sizeof(*topics.v), dash_by_handoffs);
	arr = json_array();
	for (i = 0; i < topics.n; i++) {
		const char *colour = "";
		size_t j;

		for (j = 0; j < json_array_size(names); j++)
			if (jsonx_int(json_array_get(names, j), "id", 0) == topics.v[i].tag && jsonx_str(json_array_get(names, j), "colour"))
				colour = jsonx_str(json_array_get(names, j), "colour");
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:I,s:I}", "tag_id", (json_int_t)topics.v[i].tag, "topic",
		    topics.v[i].key, "colour", colour, "conversations", (json_int_t)topics.v[i].n, "handoffs", (json_int_t)topics.v[i].handoffs));
	}
	json_object_set_new(out, "by_topic", arr);
	if (heat.n)
		qsort(heat.v, heat.n, sizeof(*heat.v), dash_by_key);
	arr = json_array();
	for (i = 0; i < heat.n; i++) {
		char *sep = strchr(heat.v[i].key, '\x1f');

		if (sep == NULL)
			continue;
		*sep = '\0';
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I}", "site", heat.v[i].key, "topic", sep + 1,
		    "conversations", (json_int_t)heat.v[i].n, "handoffs", (json_int_t)heat.v[i].handoffs));
	}
	json_object_set_new(out, "heatmap", arr);
	json_decref(names);
done:
	sqlite3_reset(st);
	free(weeks.v);
	free(reasons.v);
	free(sites.v);
	free(topics.v);
	free(heat.v);
	free(reply.v);
	free(res.v);
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
