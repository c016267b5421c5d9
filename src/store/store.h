/* store.h: persistence behind one table of functions. The SQLite backend
 * (store_sqlite.c) is the embedded default; a PostgreSQL backend implements the
 * same table. No SQL and no database type crosses this header.
 *
 * Rows come back as jansson objects (caller owns the reference and json_decref()s
 * it). Times are integer milliseconds (UTC). Columns named x_json are returned
 * parsed, under the key x. Lists are JSON arrays. A NULL row means "not found".
 *
 * A store handle is one connection: use one per thread. Writes that belong
 * together go between begin and commit; begin also takes a process-wide write
 * lock so that events are published in ID order. */
#ifndef BATON_STORE_H
#define BATON_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"

struct store;

/* Filters for the conversation list. Unset strings are NULL, unset times 0. */
struct store_conv_filter {
	const char *workspace_id;
	const char *status[4];
	int n_status;
	const char *mode;
	const char *assignee;          /* member id, or "none" for unassigned */
	const char *channel;
	const char *site;
	json_t *sites_allowed;         /* array of site names the member may see; NULL = all */
	int64_t created_from, created_to, updated_from, updated_to;
	json_t *tags_all;              /* array of tag ids: every one must be on the conversation */
	json_t *tags_any;              /* array of tag ids: at least one */
	int sort_created;              /* 0: by updated_at, 1: by created_at */
	int asc;
	int64_t cursor_t;              /* keyset cursor: time and id of the last row seen */
	const char *cursor_id;
	int limit;
};

/* The dashboard's scope. Unset values are 0 / NULL. */
struct store_dash_filter {
	const char *workspace_id;
	int64_t from, to;       /* conversation created_at range */
	const char *site;
	int64_t tag_id;
	const char *topic_group; /* the group whose tags are "topics" (default "Topic") */
	const char *site_group;  /* the group whose tags are sites (default "Site") */
};

struct store_ops {
	const char *name;
	void (*close)(struct store *s);
	err_t (*begin)(struct store *s);
	err_t (*commit)(struct store *s);
	void (*rollback)(struct store *s);
	err_t (*backup)(struct store *s, const char *path, struct errinfo *ei);

	err_t (*workspace_create)(struct store *s, json_t *w);
	json_t *(*workspace_get)(struct store *s, const char *id);
	json_t *(*workspace_by_key)(struct store *s, const char *widget_key);
	json_t *(*workspace_list)(struct store *s);
	err_t (*workspace_set_settings)(struct store *s, const char *id, json_t *settings);
	int64_t (*workspace_next_number)(struct store *s, const char *id);

	err_t (*member_create)(struct store *s, json_t *m);
	json_t *(*member_get)(struct store *s, const char *ws, const char *id);
	json_t *(*member_by_email)(struct store *s, const char *email);
	json_t *(*member_list)(struct store *s, const char *ws);
	err_t (*member_update)(struct store *s, const char *ws, const char *id, json_t *fields);
	err_t (*member_delete)(struct store *s, const char *ws, const char *id);

	err_t (*invite_create)(struct store *s, json_t *inv);
	json_t *(*invite_get)(struct store *s, const char *token_hash);
	err_t (*invite_use)(struct store *s, const char *token_hash, int64_t now);

	err_t (*session_create)(struct store *s, json_t *sess);
	/* The session joined with its member (member fields plus csrf_token, expires_at). */
	json_t *(*session_get)(struct store *s, const char *token_hash);
	err_t (*session_delete)(struct store *s, const char *token_hash);
	err_t (*session_delete_member)(struct store *s, const char *member_id);

	err_t (*token_create)(struct store *s, json_t *t);
	json_t *(*token_by_hash)(struct store *s, const char *token_hash);
	json_t *(*token_list)(struct store *s, const char *ws);
	err_t (*token_revoke)(struct store *s, const char *ws, const char *id, int64_t now);

	err_t (*contact_create)(struct store *s, json_t *c);
	json_t *(*contact_get)(struct store *s, const char *ws, const char *id);

	err_t (*conv_create)(struct store *s, json_t *c);
	json_t *(*conv_get)(struct store *s, const char *ws, const char *id);
	json_t *(*conv_by_external)(struct store *s, const char *ws, const char *external_id);
	json_t *(*conv_list)(struct store *s, const struct store_conv_filter *f, struct errinfo *ei);
	/* Sets the given columns (status, mode, assignee_id, ...); fields with JSON null clear them. */
	err_t (*conv_update)(struct store *s, const char *ws, const char *id, json_t *fields);

	/* Returns the new message id, or -1. */
	int64_t (*msg_add)(struct store *s, json_t *m);
	json_t *(*msg_list)(struct store *s, const char *conv_id, int include_internal,
	    int64_t after_id, int limit);
	json_t *(*msg_last)(struct store *s, const char *conv_id, const char *author_kind);

	/* Full-text search over messages and notes, newest first, combined with the
	 * conversation filters in f (f->limit caps the rows). terms are plain words;
	 * the backend quotes them. Snippets mark matches with \x02 ... \x03. */
	json_t *(*msg_search)(struct store *s, const struct store_conv_filter *f, const char *terms,
	    int include_internal, struct errinfo *ei);

	err_t (*timeline_add)(struct store *s, json_t *t);
	json_t *(*timeline_list)(struct store *s, const char *conv_id);

	/* Returns the event id, or -1. */
	int64_t (*event_add)(struct store *s, json_t *e);
	/* Events after an id: for one conversation (conv_id) or a whole workspace. */
	json_t *(*event_since)(struct store *s, const char *ws, const char *conv_id,
	    int64_t after_id, int limit);

	json_t *(*audit_last)(struct store *s);
	err_t (*audit_insert)(struct store *s, json_t *row);
	json_t *(*audit_page)(struct store *s, int64_t after_id, int limit);

	/* ---- tags, rules, dashboard, exports ---- */
	int64_t (*tag_group_create)(struct store *s, json_t *g);
	json_t *(*tag_group_list)(struct store *s, const char *ws);
	err_t (*tag_group_delete)(struct store *s, const char *ws, int64_t id);
	int64_t (*tag_create)(struct store *s, json_t *t);
	/* Tags joined with their group's name and cardinality. */
	json_t *(*tag_get)(struct store *s, const char *ws, int64_t id);
	json_t *(*tag_list)(struct store *s, const char *ws);
	err_t (*tag_update)(struct store *s, const char *ws, int64_t id, json_t *fields);
	err_t (*tag_delete)(struct store *s, const char *ws, int64_t id);
	err_t (*conv_tag_add)(struct store *s, json_t *ct);
	err_t (*conv_tag_remove)(struct store *s, const char *conv_id, int64_t tag_id);
	/* Tags (with provenance) of the given conversation ids (array). */
	json_t *(*conv_tags)(struct store *s, const char *ws, json_t *conv_ids);
	int64_t (*rule_create)(struct store *s, json_t *r);
	json_t *(*rule_list)(struct store *s, const char *ws);
	err_t (*rule_update)(struct store *s, const char *ws, int64_t id, json_t *fields);
	err_t (*rule_delete)(struct store *s, const char *ws, int64_t id);
	json_t *(*dashboard)(struct store *s, const struct store_dash_filter *f);
	/* Keyset pages for CSV exports: conversations by number, messages by id. */
	json_t *(*export_conversations)(struct store *s, const char *ws, int64_t from, int64_t to,
	    int64_t after_number, int limit);
	json_t *(*export_messages)(struct store *s, const char *ws, int64_t from, int64_t to,
	    int64_t after_id, int limit);
	json_t *(*usage)(struct store *s, const char *ws, int64_t from, int64_t to);

	int64_t (*kb_doc_create)(struct store *s, json_t *d);
	err_t (*kb_doc_update)(struct store *s, int64_t id, json_t *fields);
	json_t *(*kb_doc_get)(struct store *s, const char *ws, int64_t id);
	json_t *(*kb_doc_list)(struct store *s, const char *ws, int include_old);
	/* The current (indexed) version of a document name, or NULL. */
	json_t *(*kb_doc_current)(struct store *s, const char *ws, const char *name);
	err_t (*kb_passage_add)(struct store *s, int64_t doc_id, int seq, const char *section,
	    int page, int kind, const char *text, int64_t *id);
	/* Passages of one document, in order. */
	json_t *(*kb_passages)(struct store *s, int64_t doc_id);

	/* ---- channels (email, webhooks, on-call) ---- */
	json_t *(*mailbox_get)(struct store *s, const char *ws);
	/* Insert or replace the workspace's mailbox row. */
	err_t (*mailbox_put)(struct store *s, json_t *mb);
	err_t (*mailbox_update)(struct store *s, const char *ws, json_t *fields);
	json_t *(*mailbox_list)(struct store *s);
	/* Returns the row id, -2 when (workspace, message_id, direction) exists, -1 on error. */
	int64_t (*email_add)(struct store *s, json_t *e);
	err_t (*email_update)(struct store *s, int64_t id, json_t *fields);
	/* The row of a Message-ID in either direction (incoming first), or NULL. */
	json_t *(*email_by_mid)(struct store *s, const char *ws, const char *message_id);
	/* The email rows of a conversation, oldest first (without bodies). */
	json_t *(*email_thread)(struct store *s, const char *conv_id);
	json_t *(*email_list)(struct store *s, const char *ws, const char *status, int limit);
	/* Outgoing rows that are queued and due. */
	json_t *(*email_due)(struct store *s, int64_t now, int limit);
	json_t *(*conv_by_number)(struct store *s, const char *ws, int64_t number);
	/* The newest conversations (not resolved) of a contact e-mail, newest
	 * first: [{id, subject}]. */
	json_t *(*conv_open_by_email)(struct store *s, const char *ws, const char *email);
	err_t (*attachment_add)(struct store *s, json_t *a);
	json_t *(*attachment_get)(struct store *s, const char *ws, const char *id);
	json_t *(*attachment_list)(struct store *s, const char *ws, const char *conv_id);
	int64_t (*webhook_create)(struct store *s, json_t *w);
	json_t *(*webhook_get)(struct store *s, const char *ws, int64_t id);
	json_t *(*webhook_list)(struct store *s, const char *ws);
	err_t (*webhook_update)(struct store *s, const char *ws, int64_t id, json_t *fields);
	err_t (*webhook_delete)(struct store *s, const char *ws, int64_t id);
	int64_t (*delivery_add)(struct store *s, json_t *d);
	err_t (*delivery_update)(struct store *s, int64_t id, json_t *fields);
	json_t *(*delivery_get)(struct store *s, const char *ws, int64_t id);
	json_t *(*delivery_list)(struct store *s, const char *ws, int64_t webhook_id, int limit);
	/* Pending deliveries due at now, joined with their webhook's url, secret, format. */
	json_t *(*delivery_due)(struct store *s, int64_t now, int limit);
	/* Replace the workspace's rota with the entries of the array. */
	err_t (*rota_set)(struct store *s, const char *ws, json_t *entries);
	json_t *(*rota_list)(struct store *s, const char *ws);
	err_t (*escalation_put)(struct store *s, json_t *e);
	json_t *(*escalation_get)(struct store *s, const char *conv_id);
	err_t (*escalation_update)(struct store *s, const char *conv_id, json_t *fields);
	json_t *(*escalation_due)(struct store *s, int64_t now, int limit);
	int64_t (*notification_add)(struct store *s, json_t *n);
	json_t *(*notification_list)(struct store *s, const char *ws, const char *member_id, int limit);
	err_t (*notification_read)(struct store *s, const char *ws, const char *member_id, int64_t id,
	    int64_t now);
	json_t *(*member_prefs_get)(struct store *s, const char *ws, const char *member_id);
	err_t (*member_prefs_put)(struct store *s, json_t *p);

	/* ---- review (monthly review, review entries) ---- */
	/* Conversations handed off in [from, to) with the month's first handoff
	 * (handoff_at, reason); sites: array of allowed sites or NULL for all. */
	json_t *(*review_handoffs)(struct store *s, const char *ws, int64_t from, int64_t to,
	    json_t *sites);
	/* Every message (notes included) of the given conversation ids, by conversation then id. */
	json_t *(*review_messages)(struct store *s, const char *ws, json_t *conv_ids);
	int64_t (*review_entry_create)(struct store *s, json_t *e);
	json_t *(*review_entry_get)(struct store *s, const char *ws, int64_t id);
	/* Pending first, then newest; state NULL for all. */
	json_t *(*review_entry_list)(struct store *s, const char *ws, const char *state, int limit);
	/* Update an entry only while it is in from_state (ERR_CONFLICT otherwise). */
	err_t (*review_entry_decide)(struct store *s, const char *ws, int64_t id,
	    const char *from_state, json_t *fields);
	/* ---- suggest: suggested tags (T4), duplicates (I8), stale notices (I7) ---- */
	/* Conversations tagged with a tag of group topic_group by a member or a
	 * rule, newest tagging first: [{conversation_id, tags: [tag ids], text}],
	 * text being their first visitor messages. */
	json_t *(*suggest_training)(struct store *s, const char *ws, const char *topic_group, int limit);
	/* A cheap fingerprint of what suggest_training would return: {n, last, tags}. */
	json_t *(*suggest_signature)(struct store *s, const char *ws, const char *topic_group);
	/* The text a conversation is classified on: its first visitor messages
	 * and its latest one ({text}, "" when none). */
	json_t *(*suggest_conv_text)(struct store *s, const char *conv_id);
	/* Suggestions of a conversation joined with tag name and colour; state NULL = all. */
	json_t *(*suggest_list)(struct store *s, const char *ws, const char *conv_id, const char *state);
	/* Insert or refresh an open suggestion; a decided one is left alone. */
	err_t (*suggest_put)(struct store *s, json_t *row);
	/* Delete the open suggestions of a conversation whose tag is not in keep (array of ids). */
	err_t (*suggest_prune)(struct store *s, const char *conv_id, json_t *keep);
	/* Decide an open suggestion (state accepted, rejected or auto); ERR_NOT_FOUND when none is open. */
	err_t (*suggest_decide)(struct store *s, const char *ws, const char *conv_id, int64_t tag_id,
	    const char *state, const char *by, int64_t at);
	/* Questions a member answered: the visitor messages since the previous
	 * public member reply, for each public member reply with id > after_id,
	 * newest first: [{answer_id, question_id, conversation_id, number, site,
	 * question, answer}]. */
	json_t *(*dup_answered)(struct store *s, const char *ws, int64_t after_id, int limit);
	/* The workspace's newest visitor messages: [{text}] (term rarity for duplicates). */
	json_t *(*dup_background)(struct store *s, const char *ws, int limit);
	/* needs_human conversations (all workspaces) whose stale notice is due at
	 * now: one workspace limit after max(updated_at, last notice). */
	json_t *(*stale_due)(struct store *s, int64_t now, int limit);
	/* Record a stale notice (insert or bump the count). */
	err_t (*stale_put)(struct store *s, json_t *row);
	/* ---- collab: read markers, saved views, saved replies (issue 4) ---- */
	/* Move the member's read marker of a conversation forward to msg_id. */
	err_t (*read_mark)(struct store *s, const char *ws, const char *member_id, const char *conv_id,
	    int64_t msg_id, int64_t now);
	/* {conversation_id: n}: messages after the marker written by someone else,
	 * for the ids of the array conv_ids (ids with none are absent). */
	json_t *(*unread_counts)(struct store *s, const char *ws, const char *member_id, json_t *conv_ids);
	int64_t (*msg_last_id)(struct store *s, const char *ws, const char *conv_id);
	int64_t (*view_create)(struct store *s, json_t *v);
	json_t *(*view_list)(struct store *s, const char *ws, const char *member_id);
	json_t *(*view_get)(struct store *s, const char *ws, const char *member_id, int64_t id);
	/* name and filters may be NULL (unchanged). */
	err_t (*view_update)(struct store *s, const char *ws, const char *member_id, int64_t id,
	    const char *name, json_t *filters, int64_t now);
	err_t (*view_delete)(struct store *s, const char *ws, const char *member_id, int64_t id);
	int64_t (*reply_create)(struct store *s, json_t *r);
	json_t *(*reply_list)(struct store *s, const char *ws);
	json_t *(*reply_get)(struct store *s, const char *ws, int64_t id);
	err_t (*reply_update)(struct store *s, const char *ws, int64_t id, json_t *fields);
	err_t (*reply_delete)(struct store *s, const char *ws, int64_t id);
	/* Returns how many were unread, or -1. */
	int64_t (*notification_read_all)(struct store *s, const char *ws, const char *member_id, int64_t now);
};

struct store {
	const struct store_ops *ops;
};

/* Open the store named by dsn: a directory (SQLite file baton.db inside it). */
struct store *store_open(const char *dsn, struct errinfo *ei);

/* Call a backend function: ST(s, conv_get, ws, id). */
#define ST(s, fn, ...) ((s)->ops->fn((s), ##__VA_ARGS__))

#endif
