/* api_int.h: shared by the handlers in src/api. */
#ifndef BATON_API_INT_H
#define BATON_API_INT_H

#include "api.h"

enum api_auth {
	AUTH_PUBLIC = 0,  /* anyone */
	AUTH_MEMBER,      /* session cookie or API token, with a minimum role */
	AUTH_VISITOR,     /* the visitor token of the conversation in the path */
	AUTH_WIDGET       /* the widget key in the body */
};

struct api_ctx {
	struct store *s;
	const struct api_req *rq;
	struct api_resp *rs;
	struct principal p;
	const char *params[4]; /* path parameters, in order */
	char pbuf[4][64];
	json_t *body;          /* parsed JSON body (object) or NULL */
	struct errinfo ei;
};

typedef void (*api_fn)(struct api_ctx *c);

struct api_route {
	const char *method;
	const char *pattern; /* segments; ":x" is a parameter */
	api_fn fn;
	int auth;
	int role;            /* minimum role for AUTH_MEMBER */
	int flags;
};

#define API_F_UPLOAD 1   /* raw body up to API_UPLOAD_MAX instead of JSON */
#define API_F_NOJSON 2   /* no body expected */

extern const struct api_route api_routes[];

/* Responses: json is stolen. */
void api_json(struct api_ctx *c, int status, json_t *json);
void api_error(struct api_ctx *c, err_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Respond with the error in c->ei. */
void api_fail(struct api_ctx *c);
void api_header(struct api_ctx *c, const char *name, const char *value);
/* The body's string at key, or NULL (sets an error and returns NULL when it
 * is present with another type: check c->rs->status). */
const char *api_body_str(struct api_ctx *c, const char *key);
const char *api_query(struct api_ctx *c, const char *key);
/* Validate a path id like cv_xxx: letters, digits and underscore, 1..40. */
int api_id_ok(const char *id);

/* Handlers, by file. */
void api_auth_login(struct api_ctx *c);
void api_auth_logout(struct api_ctx *c);
void api_auth_me(struct api_ctx *c);
void api_members_list(struct api_ctx *c);
void api_members_invite(struct api_ctx *c);
void api_members_update(struct api_ctx *c);
void api_members_remove(struct api_ctx *c);
void api_invites_accept(struct api_ctx *c);
void api_tokens_list(struct api_ctx *c);
void api_tokens_create(struct api_ctx *c);
void api_tokens_revoke(struct api_ctx *c);
void api_settings_get(struct api_ctx *c);
void api_settings_update(struct api_ctx *c);

void api_conv_list(struct api_ctx *c);
void api_search(struct api_ctx *c);
void api_conv_create(struct api_ctx *c);
void api_conv_get(struct api_ctx *c);
void api_conv_messages(struct api_ctx *c);
void api_conv_post(struct api_ctx *c);
void api_conv_timeline(struct api_ctx *c);
void api_conv_claim(struct api_ctx *c);
void api_conv_assign(struct api_ctx *c);
void api_conv_status(struct api_ctx *c);
void api_conv_handback(struct api_ctx *c);

void api_widget_start(struct api_ctx *c);
void api_widget_config(struct api_ctx *c);
void api_widget_messages(struct api_ctx *c);
void api_widget_post(struct api_ctx *c);
void api_widget_events(struct api_ctx *c);
void api_events(struct api_ctx *c);

void api_kb_list(struct api_ctx *c);
void api_kb_upload(struct api_ctx *c);
void api_kb_remove(struct api_ctx *c);
void api_kb_passages(struct api_ctx *c);
void api_ask(struct api_ctx *c);
void api_tags_list(struct api_ctx *c);
void api_tags_create(struct api_ctx *c);
void api_tags_update(struct api_ctx *c);
void api_tags_delete(struct api_ctx *c);
void api_tag_groups_create(struct api_ctx *c);
void api_tag_groups_delete(struct api_ctx *c);
void api_conv_tag_add(struct api_ctx *c);
void api_conv_tag_remove(struct api_ctx *c);
void api_rules_list(struct api_ctx *c);
void api_rules_create(struct api_ctx *c);
void api_rules_update(struct api_ctx *c);
void api_rules_delete(struct api_ctx *c);
void api_dashboard(struct api_ctx *c);
void api_handover(struct api_ctx *c);
void api_stale(struct api_ctx *c);
void api_export_conversations(struct api_ctx *c);
void api_export_messages(struct api_ctx *c);
void api_transcript(struct api_ctx *c);
void api_usage(struct api_ctx *c);

void api_audit_list(struct api_ctx *c);
void api_audit_verify(struct api_ctx *c);
void api_health(struct api_ctx *c);
void api_openapi(struct api_ctx *c);

/* ---- channels (email, webhooks, on-call): api_channels.c ---- */
void api_email_get(struct api_ctx *c);
void api_email_put(struct api_ctx *c);
void api_email_check(struct api_ctx *c);
void api_email_messages(struct api_ctx *c);
void api_webhooks_list(struct api_ctx *c);
void api_webhooks_create(struct api_ctx *c);
void api_webhooks_update(struct api_ctx *c);
void api_webhooks_delete(struct api_ctx *c);
void api_webhooks_deliveries(struct api_ctx *c);
void api_webhooks_replay(struct api_ctx *c);
void api_oncall_get(struct api_ctx *c);
void api_oncall_put(struct api_ctx *c);
void api_conv_ack(struct api_ctx *c);
void api_me_status(struct api_ctx *c);
void api_me_prefs_get(struct api_ctx *c);
void api_me_prefs_put(struct api_ctx *c);
void api_notifications_list(struct api_ctx *c);
void api_notifications_read(struct api_ctx *c);
void api_conv_attachments(struct api_ctx *c);
void api_attachment_get(struct api_ctx *c);

/* ---- review (monthly review, review entries): api_review.c ---- */
void api_review(struct api_ctx *c);
void api_review_entries(struct api_ctx *c);
void api_review_propose(struct api_ctx *c);
void api_review_approve(struct api_ctx *c);
void api_review_reject(struct api_ctx *c);
/* ---- suggest: suggested tags, duplicates (api_suggest.c) ---- */
void api_suggest_list(struct api_ctx *c);
void api_suggest_accept(struct api_ctx *c);
void api_suggest_reject(struct api_ctx *c);
void api_duplicates(struct api_ctx *c);
/* ---- collab: presence, read state, views, saved replies (api_collab.c) ---- */
void api_presence_get(struct api_ctx *c);
void api_presence_post(struct api_ctx *c);
void api_widget_typing(struct api_ctx *c);
void api_conv_read(struct api_ctx *c);
void api_notifications_read_all(struct api_ctx *c);
void api_views_list(struct api_ctx *c);
void api_views_create(struct api_ctx *c);
void api_views_update(struct api_ctx *c);
void api_views_delete(struct api_ctx *c);
void api_replies_list(struct api_ctx *c);
void api_replies_create(struct api_ctx *c);
void api_replies_update(struct api_ctx *c);
void api_replies_delete(struct api_ctx *c);
/* Attach "unread" for the calling member to each conversation row. */
void api_collab_unread(struct api_ctx *c, json_t *rows);

/* CORS for widget routes: adds the headers when the origin is allowed;
 * returns 0 and responds 403 when it is not. */
int api_widget_cors(struct api_ctx *c, const char *ws);

#endif
