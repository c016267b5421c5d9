/* store_sqlite_int.h: shared by the SQLite backend's files. The generic
 * helpers bind by a format string (s = string or NULL, i = int64, d = double,
 * j = json_t * stored as text) and return rows as JSON objects. */
#ifndef BATON_STORE_SQLITE_INT_H
#define BATON_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "core/buf.h"
#include "store.h"

#define SQ_CACHE 96

struct sq {
	struct store base;
	sqlite3 *db;
	int in_tx;
	struct {
		char *sql;
		sqlite3_stmt *st;
	} cache[SQ_CACHE];
	int ncache;
};

/* The WHERE clause of the conversation filters, with its bindings. */
struct sq_where {
	struct buf sql;
	const char *binds[40];
	int64_t ibinds[32];
	char kinds[80];
	int nb, ni, nk;
};

sqlite3_stmt *sq_prep(struct sq *q, const char *sql);
json_t *sq_rowobj(sqlite3_stmt *st);
json_t *sq_rows(struct sq *q, const char *sql, const char *fmt, ...);
json_t *sq_row(struct sq *q, const char *sql, const char *fmt, ...);
err_t sq_exec(struct sq *q, const char *sql, const char *fmt, ...);
err_t sq_changed(struct sq *q, err_t err, err_t none);
err_t sq_insert(struct sq *q, const char *table, json_t *obj, int64_t *rowid);
err_t sq_update(struct sq *q, const char *table, const char *id, int64_t iid, const char *ws,
    json_t *fields);
void sq_where_build(struct sq_where *w, const struct store_conv_filter *f);
void sq_where_bind(struct sq_where *w, sqlite3_stmt *st, int first);

/* store_sqlite_tags.c: tags, rules, the dashboard, exports. */
int64_t sq_tag_group_create(struct store *s, json_t *g);
json_t *sq_tag_group_list(struct store *s, const char *ws);
err_t sq_tag_group_delete(struct store *s, const char *ws, int64_t id);
int64_t sq_tag_create(struct store *s, json_t *t);
json_t *sq_tag_get(struct store *s, const char *ws, int64_t id);
json_t *sq_tag_list(struct store *s, const char *ws);
err_t sq_tag_update(struct store *s, const char *ws, int64_t id, json_t *fields);
err_t sq_tag_delete(struct store *s, const char *ws, int64_t id);
err_t sq_conv_tag_add(struct store *s, json_t *ct);
err_t sq_conv_tag_remove(struct store *s, const char *conv_id, int64_t tag_id);
json_t *sq_conv_tags(struct store *s, const char *ws, json_t *conv_ids);
int64_t sq_rule_create(struct store *s, json_t *r);
json_t *sq_rule_list(struct store *s, const char *ws);
err_t sq_rule_update(struct store *s, const char *ws, int64_t id, json_t *fields);
err_t sq_rule_delete(struct store *s, const char *ws, int64_t id);
json_t *sq_dashboard(struct store *s, const struct store_dash_filter *f);
json_t *sq_export_conversations(struct store *s, const char *ws, int64_t from, int64_t to,
    int64_t after_number, int limit);
json_t *sq_export_messages(struct store *s, const char *ws, int64_t from, int64_t to,
    int64_t after_id, int limit);
json_t *sq_usage(struct store *s, const char *ws, int64_t from, int64_t to);

/* store_sqlite_channels.c: email, webhooks, on-call, notifications. */
json_t *sq_mailbox_get(struct store *s, const char *ws);
err_t sq_mailbox_put(struct store *s, json_t *mb);
err_t sq_mailbox_update(struct store *s, const char *ws, json_t *fields);
json_t *sq_mailbox_list(struct store *s);
int64_t sq_email_add(struct store *s, json_t *e);
err_t sq_email_update(struct store *s, int64_t id, json_t *fields);
json_t *sq_email_by_mid(struct store *s, const char *ws, const char *mid);
json_t *sq_email_thread(struct store *s, const char *conv_id);
json_t *sq_email_list(struct store *s, const char *ws, const char *status, int limit);
json_t *sq_email_due(struct store *s, int64_t now, int limit);
json_t *sq_conv_by_number(struct store *s, const char *ws, int64_t number);
json_t *sq_conv_open_by_email(struct store *s, const char *ws, const char *email);
err_t sq_attachment_add(struct store *s, json_t *a);
json_t *sq_attachment_get(struct store *s, const char *ws, const char *id);
json_t *sq_attachment_list(struct store *s, const char *ws, const char *conv_id);
int64_t sq_webhook_create(struct store *s, json_t *w);
json_t *sq_webhook_get(struct store *s, const char *ws, int64_t id);
json_t *sq_webhook_list(struct store *s, const char *ws);
err_t sq_webhook_update(struct store *s, const char *ws, int64_t id, json_t *fields);
err_t sq_webhook_delete(struct store *s, const char *ws, int64_t id);
int64_t sq_delivery_add(struct store *s, json_t *d);
err_t sq_delivery_update(struct store *s, int64_t id, json_t *fields);
json_t *sq_delivery_get(struct store *s, const char *ws, int64_t id);
json_t *sq_delivery_list(struct store *s, const char *ws, int64_t webhook_id, int limit);
json_t *sq_delivery_due(struct store *s, int64_t now, int limit);
err_t sq_rota_set(struct store *s, const char *ws, json_t *entries);
json_t *sq_rota_list(struct store *s, const char *ws);
err_t sq_escalation_put(struct store *s, json_t *e);
json_t *sq_escalation_get(struct store *s, const char *conv_id);
err_t sq_escalation_update(struct store *s, const char *conv_id, json_t *fields);
json_t *sq_escalation_due(struct store *s, int64_t now, int limit);
int64_t sq_notification_add(struct store *s, json_t *n);
json_t *sq_notification_list(struct store *s, const char *ws, const char *member_id, int limit);
err_t sq_notification_read(struct store *s, const char *ws, const char *member_id, int64_t id, int64_t now);
json_t *sq_member_prefs_get(struct store *s, const char *ws, const char *member_id);
err_t sq_member_prefs_put(struct store *s, json_t *p);

/* store_sqlite_review.c: the monthly review and review entries. */
json_t *sq_review_handoffs(struct store *s, const char *ws, int64_t from, int64_t to, json_t *sites);
json_t *sq_review_messages(struct store *s, const char *ws, json_t *conv_ids);
int64_t sq_review_entry_create(struct store *s, json_t *e);
json_t *sq_review_entry_get(struct store *s, const char *ws, int64_t id);
json_t *sq_review_entry_list(struct store *s, const char *ws, const char *state, int limit);
err_t sq_review_entry_decide(struct store *s, const char *ws, int64_t id, const char *from_state,
    json_t *fields);
/* store_sqlite_suggest.c: suggested tags, duplicates, stale notices. */
json_t *sq_suggest_training(struct store *s, const char *ws, const char *topic_group, int limit);
json_t *sq_suggest_signature(struct store *s, const char *ws, const char *topic_group);
json_t *sq_suggest_conv_text(struct store *s, const char *conv_id);
json_t *sq_suggest_list(struct store *s, const char *ws, const char *conv_id, const char *state);
err_t sq_suggest_put(struct store *s, json_t *row);
err_t sq_suggest_prune(struct store *s, const char *conv_id, json_t *keep);
err_t sq_suggest_decide(struct store *s, const char *ws, const char *conv_id, int64_t tag_id,
    const char *state, const char *by, int64_t at);
json_t *sq_dup_answered(struct store *s, const char *ws, int64_t after_id, int limit);
json_t *sq_dup_background(struct store *s, const char *ws, int limit);
json_t *sq_stale_due(struct store *s, int64_t now, int limit);
err_t sq_stale_put(struct store *s, json_t *row);
/* store_sqlite_collab.c: read markers, saved views and replies (issue 4). */
err_t sq_read_mark(struct store *s, const char *ws, const char *member_id, const char *conv_id,
    int64_t msg_id, int64_t now);
json_t *sq_unread_counts(struct store *s, const char *ws, const char *member_id, json_t *conv_ids);
int64_t sq_msg_last_id(struct store *s, const char *ws, const char *conv_id);
int64_t sq_view_create(struct store *s, json_t *v);
json_t *sq_view_list(struct store *s, const char *ws, const char *member_id);
json_t *sq_view_get(struct store *s, const char *ws, const char *member_id, int64_t id);
err_t sq_view_update(struct store *s, const char *ws, const char *member_id, int64_t id, const char *name,
    json_t *filters, int64_t now);
err_t sq_view_delete(struct store *s, const char *ws, const char *member_id, int64_t id);
int64_t sq_reply_create(struct store *s, json_t *r);
json_t *sq_reply_list(struct store *s, const char *ws);
json_t *sq_reply_get(struct store *s, const char *ws, int64_t id);
err_t sq_reply_update(struct store *s, const char *ws, int64_t id, json_t *fields);
err_t sq_reply_delete(struct store *s, const char *ws, int64_t id);
int64_t sq_notification_read_all(struct store *s, const char *ws, const char *member_id, int64_t now);

#endif
