/* inbox_conv.c: conversations, messages and the handoff state machine.
 *
 *   status: open (the agent is handling it), needs_human, pending (waiting on
 *           the visitor), resolved
 *   mode:   agent, manual
 *
 * A visitor message reopens a resolved or pending thread: open in agent mode,
 * needs_human in manual mode. A member's public reply switches the mode to
 * manual in the same transaction that stores it (A9), so an agent answer
 * computed concurrently is refused when it tries to post. A handoff sets
 * needs_human and manual; a hand-back sets open and agent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"
#include "inbox.h"

static inbox_agent_hook conv_agent_hook;

void
inbox_set_agent_hook(inbox_agent_hook fn)
{
	conv_agent_hook = fn;
}

static err_t
conv_check_text(const char *what, const char *v, size_t max, struct errinfo *ei)
{
	if (v != NULL && strlen(v) > max)
		return err_set(ei, ERR_INVALID, "%s must be at most %zu characters", what, max);
	return ERR_OK;
}

static char *
conv_preview(const char *body)
{
	char out[161];
	size_t n = 0, i;

	/* Cut at a character boundary, fold whitespace. */
	for (i = 0; body[i] && n < 150; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c == ' ' && n > 0 && out[n - 1] == ' ')
			continue;
		out[n++] = (char)c;
	}
	while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
		n--;
	if (n > 0 && (unsigned char)out[n - 1] >= 0xC0)
		n--;
	out[n] = '\0';
	return xstrdup(out);
}

/* The client's view of a conversation row (a new reference). */
static json_t *
conv_view(const json_t *row)
{
	json_t *c = json_deep_copy(row);

	json_object_del(c, "visitor_token_hash");
	return jsonx_present(c);
}

static json_t *
conv_msg_view(const json_t *row)
{
	json_t *m = json_deep_copy(row);

	json_object_set_new(m, "internal", json_boolean(jsonx_int(m, "internal", 0)));
	return jsonx_present(m);
}

err_t
inbox_conv_start(struct store *s, const char *ws, const char *channel, json_t *ctx,
    char *token_out, json_t **conv_out, struct errinfo *ei)
{
	const char *site = jsonx_str(ctx, "site"), *protocol = jsonx_str(ctx, "protocol");
	const char *name = jsonx_str(ctx, "name"), *email = jsonx_str(ctx, "email");
	const char *subject = jsonx_str(ctx, "subject"), *ext = jsonx_str(ctx, "external_id");
	char id[40], raw[64], tok[80], hash[65], cid[40];
	struct inbox_tx tx;
	json_t *c = NULL, *contact = NULL, *row = NULL;
	int64_t now = util_now_ms(), number;
	err_t err;

	if (conv_check_text("site", site, 64, ei) || conv_check_text("protocol", protocol, 64, ei) ||
	    conv_check_text("name", name, 120, ei) || conv_check_text("subject", subject, 200, ei) ||
	    conv_check_text("external_id", ext, 200, ei))
		return ei->code;
	if (email != NULL && *email != '\0' && !util_email_valid(email))
		return err_set(ei, ERR_INVALID, "context.email is not a valid e-mail address");
	if (site != NULL && *site == '\0')
		site = NULL;
	util_random_id(raw, 15);
	snprintf(id, sizeof(id), "cv_%s", raw);
	cid[0] = '\0';
	if ((name != NULL && *name) || (email != NULL && *email)) {
		util_random_id(raw, 10);
		snprintf(cid, sizeof(cid), "ct_%s", raw);
		contact = json_pack("{s:s,s:s,s:s?,s:s?,s:I}", "id", cid, "workspace_id", ws, "name",
		    name, "email", (email && *email) ? email : NULL, "created_at", (json_int_t)now);
	}
	err = inbox_tx_begin(&tx, s);
	if (err)
		return err_set(ei, err, "the store is busy; try again");
	number = ST(s, workspace_next_number, ws);
	if (number < 0) {
		err = err_set(ei, ERR_NOT_FOUND, "no such workspace");
		goto fail;
	}
	c = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:I,s:I}", "id", id,
	    "workspace_id", ws, "number", (json_int_t)number, "status", "open", "mode", "agent",
	    "channel", channel, "site", site, "protocol", protocol, "subject", subject,
	    "external_id", ext, "created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	if (cid[0])
		json_object_set_new(c, "contact_id", json_string(cid));
	if (token_out != NULL) {
		util_random_id(raw, 30);
		snprintf(tok, sizeof(tok), "vt_%s", raw);
		util_sha256_hex(tok, strlen(tok), hash);
		json_object_set_new(c, "visitor_token_hash", json_string(hash));
	}
	if (contact != NULL) {
		err = ST(s, contact_create, contact);
		if (err)
			goto fail_store;
	}
	err = ST(s, conv_create, c);
	if (err == ERR_CONFLICT && ext != NULL) {
		err = err_set(ei, ERR_CONFLICT, "a conversation with this external_id exists");
		goto fail;
	}
	if (err)
		goto fail_store;
	row = ST(s, conv_get, ws, id);
	err = inbox_tx_timeline(&tx, id, "created", "system", NULL, json_pack("{s:s}", "channel", channel));
	if (!err)
		err = inbox_audit(s, ws, channel, "conversation.create", id, NULL,
		    json_pack("{s:I,s:s,s:s?}", "number", (json_int_t)number, "channel", channel, "site", site));
	if (!err)
		err = inbox_tx_event(&tx, ws, row, 1, "conversation.created",
		    json_pack("{s:o}", "conversation", conv_view(row)));
	if (err)
		goto fail_store;
	err = inbox_tx_commit(&tx);
	if (err) {
		err_set(ei, err, "could not save the conversation");
		goto out;
	}
	if (token_out != NULL)
		snprintf(token_out, 80, "%s", tok);
	*conv_out = conv_view(row);
	goto out;
fail_store:
	err_set(ei, err, "could not save the conversation");
fail:
	inbox_tx_abort(&tx);
out:
	json_decref(c);
	json_decref(contact);
	json_decref(row);
	return err;
}

int
inbox_site_in(const json_t *sites, const char *site)
{
	size_t i;

	if (!json_is_array(sites) || json_array_size(sites) == 0)
		return 1;
	for (i = 0; site != NULL && i < json_array_size(sites); i++)
		if (strcmp(json_string_value(json_array_get(sites, i)), site) == 0)
			return 1;
	return 0;
}

static int
conv_site_allowed(const struct principal *p, const json_t *conv)
{
	return inbox_site_in(p->sites, jsonx_str(conv, "site"));
}

json_t *
inbox_conv_get(struct store *s, const struct principal *p, const char *id, struct errinfo *ei)
{
	json_t *c;

	if (p->kind == P_VISITOR && strcmp(p->id, id) != 0) {
		err_set(ei, ERR_FORBIDDEN, "this conversation belongs to another visitor");
		return NULL;
	}
	c = ST(s, conv_get, p->workspace_id, id);
	if (c == NULL || !conv_site_allowed(p, c)) {
		json_decref(c);
		err_set(ei, ERR_NOT_FOUND, "no such conversation");
		return NULL;
	}
	json_object_del(c, "visitor_token_hash");
	return c;
}

/* Open a transaction and load the conversation afresh inside it. */
static err_t
conv_tx_load(struct inbox_tx *tx, struct store *s, const struct principal *p, const char *id,
    json_t **conv, struct errinfo *ei)
{
	err_t err = inbox_tx_begin(tx, s);

	if (err)
		return err_set(ei, err, "the store is busy; try again");
	*conv = ST(s, conv_get, p->workspace_id, id);
	if (*conv == NULL || !conv_site_allowed(p, *conv) ||
	    (p->kind == P_VISITOR && strcmp(p->id, id) != 0)) {
		json_decref(*conv);
		*conv = NULL;
		inbox_tx_abort(tx);
		return err_set(ei, ERR_NOT_FOUND, "no such conversation");
	}
	return ERR_OK;
}

/* Apply fields to the conversation and emit conversation.updated with the new row. */
static err_t
conv_apply(struct inbox_tx *tx, const char *ws, const char *id, json_t *fields,
    const char *evtype, json_t **out)
{
	json_t *row;
	err_t err;

	json_object_set_new(fields, "updated_at", json_integer(util_now_ms()));
	err = ST(tx->s, conv_update, ws, id, fields);
	if (err)
		return err;
	row = ST(tx->s, conv_get, ws, id);
	if (row == NULL)
		return ERR_STORE;
	err = inbox_tx_event(tx, ws, row, 1, evtype, json_pack("{s:o}", "conversation", conv_view(row)));
	if (!err && out != NULL)
		*out = conv_view(row);
	json_decref(row);
	return err;
}

err_t
inbox_msg_post(struct store *s, const struct principal *p, const char *conv_id,
    const char *author_kind, const char *body, int internal, json_t *extra, json_t **msg_out,
    struct errinfo *ei)
{
	const char *ws = p->workspace_id, *status, *mode;
	const char *reason = jsonx_str(extra, "handoff_reason");
	struct inbox_tx tx;
	json_t *conv = NULL, *m = NULL, *fields = NULL, *row = NULL, *cit;
	json_t *mentions = NULL; /* collab (issue 4) */
	char actor[128], hash[65], *preview = NULL, first[64];
	int64_t now = util_now_ms(), mid;
	int run_agent = 0, is_human;
	err_t err;

	if (body == NULL)
		return err_set(ei, ERR_INVALID, "body is required");
	if (strlen(body) > BODY_MAX)
		return err_set(ei, ERR_TOO_LARGE, "the message is longer than %d bytes", BODY_MAX);
	if (!util_utf8_valid(body, strlen(body)))
		return err_set(ei, ERR_INVALID, "body must be valid UTF-8 text");
	{
		const char *q = body;

		while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t')
			q++;
		if (*q == '\0' && reason == NULL)
			return err_set(ei, ERR_INVALID, "the message is empty");
	}
	fields = json_object();
	is_human = strcmp(author_kind, "member") == 0;
	if (strcmp(author_kind, "visitor") == 0)
		internal = 0;
	err = conv_tx_load(&tx, s, p, conv_id, &conv, ei);
	if (err)
		goto out_noabort;
	status = jsonx_str(conv, "status");
	mode = jsonx_str(conv, "mode");
	if (strcmp(author_kind, "agent") == 0 && strcmp(mode, "agent") != 0) {
		/* A person took over while the agent was composing. */
		err = err_set(ei, ERR_CONFLICT, "the conversation is in manual mode; the agent stays silent");
		goto fail;
	}
	m = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:i,s:I}", "conversation_id", conv_id, "workspace_id", ws,
	    "author_kind", author_kind, "author_id",
	    (p->kind == P_MEMBER || p->kind == P_TOKEN) ? p->id : NULL, "body", body, "internal",
	    internal ? 1 : 0, "created_at", (json_int_t)now);
	if (json_is_number(json_object_get(extra, "confidence")))
		json_object_set(m, "confidence", json_object_get(extra, "confidence"));
	cit = json_object_get(extra, "citations");
	if (json_is_array(cit))
		json_object_set(m, "citations", cit);
	if (reason != NULL)
		json_object_set_new(m, "handoff_reason", json_string(reason));
	if (json_is_string(json_object_get(extra, "writer")))
		json_object_set(m, "writer", json_object_get(extra, "writer"));
	/* collab (issue 4): the visitor sees a member's first name on replies. */
	if (is_human && p->kind == P_MEMBER && inbox_first_name(p->name, first) != NULL)
		json_object_set_new(m, "author_name", json_string(first));
	mid = ST(s, msg_add, m);
	if (mid < 0) {
		err = err_set(ei, ERR_STORE, "could not store the message");
		goto fail;
	}
	if (!internal) {
		preview = conv_preview(body);
		json_object_set_new(fields, "preview", json_string(preview));
	}
	if (strcmp(author_kind, "visitor") == 0) {
		const char *next = strcmp(mode, "agent") == 0 ? "open" : "needs_human";

		if (strcmp(status, next) != 0) {
			json_object_set_new(fields, "status", json_string(next));
			if (strcmp(status, "resolved") == 0)
				json_object_set_new(fields, "resolved_at", json_null());
			err = inbox_tx_timeline(&tx, conv_id, strcmp(status, "resolved") == 0 ? "reopened" : "status_changed",
			    "visitor", NULL, json_pack("{s:s,s:s}", "from", status, "to", next));
		}
		run_agent = strcmp(mode, "agent") == 0;
		if (!err) {
			int rule_handoff = 0;

			err = inbox_rules_run_tx(&tx, ws, conv, body, fields, &rule_handoff);
			if (rule_handoff) {
				run_agent = 0;
				if (json_is_null(json_object_get(conv, "handoff_at")))
					json_object_set_new(fields, "handoff_at", json_integer(now));
			}
		}
	} else if (is_human && !internal) {
		if (json_is_null(json_object_get(conv, "first_human_reply_at")))
			json_object_set_new(fields, "first_human_reply_at", json_integer(now));
		if (strcmp(mode, "manual") != 0) {
			json_object_set_new(fields, "mode", json_string("manual"));
			err = inbox_tx_timeline(&tx, conv_id, "takeover", "member", p->id, NULL);
		}
		if (!err && json_is_null(json_object_get(conv, "assignee_id")) && p->kind == P_MEMBER)
			json_object_set_new(fields, "assignee_id", json_string(p->id));
		if (!err && strcmp(status, "pending") != 0)
			json_object_set_new(fields, "status", json_string("pending"));
		if (!err)
			err = inbox_tx_timeline(&tx, conv_id, "replied", "member", p->id, NULL);
	} else if (strcmp(author_kind, "agent") == 0 && reason == NULL) {
		if (!json_is_integer(json_object_get(conv, "agent_reply_at")))
			json_object_set_new(fields, "agent_reply_at", json_integer(now));
	} else if (strcmp(author_kind, "agent") == 0 && reason != NULL) {
		json_object_set_new(fields, "status", json_string("needs_human"));
		json_object_set_new(fields, "mode", json_string("manual"));
		json_object_set_new(fields, "handoff_reason", json_string(reason));
		if (json_is_null(json_object_get(conv, "handoff_at")))
			json_object_set_new(fields, "handoff_at", json_integer(now));
		json_object_set(fields, "handoff_phrase", json_object_get(extra, "handoff_phrase") ? json_object_get(extra, "handoff_phrase") : json_null());
		err = inbox_tx_timeline(&tx, conv_id, "handoff", "agent", NULL,
		    json_pack("{s:s,s:O?}", "reason", reason, "phrase", json_object_get(extra, "handoff_phrase")));
	}
	if (err)
		goto fail_store;
	row = json_incref(m);
	json_object_set_new(row, "id", json_integer(mid));
	util_sha256_hex(body, strlen(body), hash);
	err = inbox_audit(s, ws, strcmp(author_kind, "agent") == 0 ? "agent" : inbox_actor(p, actor),
	    internal ? "note.create" : "message.create", conv_id, NULL,
	    json_pack("{s:I,s:s,s:s,s:O?,s:O?,s:s?,s:O?,s:O?}", "message_id", (json_int_t)mid, "author_kind",
		author_kind, "body_sha256", hash, "confidence", json_object_get(m, "confidence"),
		"citations", json_object_get(m, "citations"), "handoff_reason", reason,
		"writer", json_object_get(m, "writer"), "writer_detail", json_object_get(extra, "writer_detail")));
	if (!err)
		err = inbox_tx_event(&tx, ws, conv, internal, "message.created",
		    json_pack("{s:s,s:o}", "conversation_id", conv_id, "message", conv_msg_view(row)));
	if (!err)
		err = conv_apply(&tx, ws, conv_id, fields,
		    reason != NULL ? "conversation.handoff" : "conversation.updated", NULL);
	/* collab (issue 4): @mentions notify the members named, in this transaction. */
	if (!err && is_human) {
		mentions = inbox_mentions_find(s, ws, conv, p->kind == P_MEMBER ? p->id : NULL, body);
		err = inbox_mentions_notify_tx(&tx, p, conv, mid, internal, mentions);
	}
	if (err)
		goto fail_store;
	err = inbox_tx_commit(&tx);
	if (err) {
		err_set(ei, err, "could not store the message");
		goto out_noabort;
	}
	if (msg_out != NULL) {
		*msg_out = conv_msg_view(row);
		if (is_human) /* collab: who was mentioned */
			json_object_set(*msg_out, "mentions", mentions);
	}
	if (run_agent && conv_agent_hook != NULL)
		conv_agent_hook(ws, conv_id, mid);
	goto out_noabort;
fail_store:
	err_set(ei, err, "could not store the message");
fail:
	inbox_tx_abort(&tx);
out_noabort:
	json_decref(conv);
	json_decref(m);
	json_decref(row);
	json_decref(fields);
	json_decref(mentions);
	free(preview);
	return err;
}

/* The shared shape of claim, assign, status and hand-back: load, check,
 * apply fields, timeline, audit, commit. */
static err_t
conv_change(struct store *s, const struct principal *p, const char *conv_id, json_t *fields,
    const char *tl_kind, json_t *tl_detail, const char *action, json_t **out, struct errinfo *ei)
{
	struct inbox_tx tx;
	json_t *conv = NULL, *before;
	char actor[128];
	err_t err;

	err = conv_tx_load(&tx, s, p, conv_id, &conv, ei);
	if (err) {
		json_decref(fields);
		json_decref(tl_detail);
		return err;
	}
	before = json_object();
	{
		const char *k;
		json_t *v;

		json_object_foreach(fields, k, v)
			json_object_set(before, k, json_object_get(conv, k) ? json_object_get(conv, k) : json_null());
	}
	err = inbox_tx_timeline(&tx, conv_id, tl_kind,
	    p->kind == P_MEMBER ? "member" : p->kind == P_TOKEN ? "token" : "agent",
	    p->id[0] ? p->id : NULL, tl_detail);
	if (!err)
		err = inbox_audit(s, p->workspace_id, inbox_actor(p, actor), action, conv_id, before,
		    json_deep_copy(fields));
	else
		json_decref(before);
	if (!err)
		err = conv_apply(&tx, p->workspace_id, conv_id, fields, "conversation.updated", out);
	if (err) {
		inbox_tx_abort(&tx);
		err_set(ei, err, "could not update the conversation");
	} else {
		err = inbox_tx_commit(&tx);
		if (err)
			err_set(ei, err, "could not update the conversation");
	}
	json_decref(conv);
	json_decref(fields);
	return err;
}

err_t
inbox_conv_claim(struct store *s, const struct principal *p, const char *conv_id, json_t **out,
    struct errinfo *ei)
{
	if (p->kind != P_MEMBER)
		return err_set(ei, ERR_FORBIDDEN, "only a member can claim a conversation");
	return conv_change(s, p, conv_id,
	    json_pack("{s:s,s:s}", "assignee_id", p->id, "mode", "manual"), "claimed", NULL,
	    "conversation.claim", out, ei);
}

err_t
inbox_conv_assign(struct store *s, const struct principal *p, const char *conv_id,
    const char *member_id, json_t **out, struct errinfo *ei)
{
	json_t *m;

	if (member_id == NULL)
		return conv_change(s, p, conv_id, json_pack("{s:n}", "assignee_id"), "assigned",
		    json_pack("{s:n}", "assignee_id"), "conversation.assign", out, ei);
	m = ST(s, member_get, p->workspace_id, member_id);
	if (m == NULL)
		return err_set(ei, ERR_INVALID, "assignee_id is not a member of this workspace");
	if (role_parse(jsonx_str(m, "role")) < ROLE_AGENT) {
		json_decref(m);
		return err_set(ei, ERR_INVALID, "a viewer cannot be assigned conversations");
	}
	json_decref(m);
	return conv_change(s, p, conv_id, json_pack("{s:s}", "assignee_id", member_id), "assigned",
	    json_pack("{s:s}", "assignee_id", member_id), "conversation.assign", out, ei);
}

err_t
inbox_conv_status(struct store *s, const struct principal *p, const char *conv_id,
    const char *status, json_t **out, struct errinfo *ei)
{
	if (status == NULL || (strcmp(status, "open") && strcmp(status, "needs_human") &&
	    strcmp(status, "pending") && strcmp(status, "resolved")))
		return err_set(ei, ERR_INVALID, "status must be open, needs_human, pending or resolved");
	/* resolved_at marks the latest resolution; reopening clears it. */
	return conv_change(s, p, conv_id,
	    strcmp(status, "resolved") == 0 ? json_pack("{s:s,s:I}", "status", status, "resolved_at", (json_int_t)util_now_ms())
					     : json_pack("{s:s,s:n}", "status", status, "resolved_at"),
	    "status_changed", json_pack("{s:s}", "to", status), "conversation.status", out, ei);
}

err_t
inbox_conv_handback(struct store *s, const struct principal *p, const char *conv_id,
    json_t **out, struct errinfo *ei)
{
	return conv_change(s, p, conv_id,
	    json_pack("{s:s,s:s,s:n,s:n}", "mode", "agent", "status", "open", "handoff_reason",
		"handoff_phrase"),
	    "handed_back", NULL, "conversation.handback", out, ei);
}

err_t
inbox_conv_handoff(struct store *s, const char *conv_id, const char *reason, const char *phrase,
    struct errinfo *ei)
{
	struct principal sys;
	json_t *conv;
	err_t err;

	memset(&sys, 0, sizeof(sys));
	conv = ST(s, conv_get, NULL, conv_id);
	if (conv == NULL)
		return err_set(ei, ERR_NOT_FOUND, "no such conversation");
	sys.kind = P_ANON;
	snprintf(sys.workspace_id, sizeof(sys.workspace_id), "%s", jsonx_str(conv, "workspace_id"));
	json_decref(conv);
	err = conv_change(s, &sys, conv_id,
	    json_pack("{s:s,s:s,s:s,s:s?,s:I}", "status", "needs_human", "mode", "manual",
		"handoff_reason", reason, "handoff_phrase", phrase, "handoff_at", (json_int_t)util_now_ms()),
	    "handoff", json_pack("{s:s,s:s?}", "reason", reason, "phrase", phrase),
	    "conversation.handoff", NULL, ei);
	return err;
}
