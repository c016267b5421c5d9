/* api_auth.c: login, logout, me, members, invitations, API tokens, settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "core/jsonx.h"
#include "core/util.h"

static json_t *
auth_member_view(json_t *m)
{
	json_object_del(m, "password_hash");
	return jsonx_present(m);
}

void
api_auth_login(struct api_ctx *c)
{
	const char *email = api_body_str(c, "email"), *pw = api_body_str(c, "password");
	char tok[80], cookie[256];
	json_t *m;

	if (c->rs->status)
		return;
	if (email == NULL || pw == NULL || strlen(email) > 254 || strlen(pw) > 200) {
		api_error(c, ERR_INVALID, "send {\"email\": ..., \"password\": ...}");
		return;
	}
	if (inbox_login(c->s, email, pw, c->rq->client_ip, tok, &c->ei)) {
		api_fail(c);
		return;
	}
	snprintf(cookie, sizeof(cookie), "baton_session=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=1209600%s",
	    tok, c->rq->tls ? "; Secure" : "");
	api_header(c, "Set-Cookie", cookie);
	inbox_session_lookup(c->s, tok, &c->p);
	m = ST(c->s, member_by_email, email);
	api_json(c, 200, json_pack("{s:o,s:s}", "member", auth_member_view(m), "csrf_token", c->p.csrf));
}

void
api_auth_logout(struct api_ctx *c)
{
	inbox_logout(c->s, &c->p);
	api_header(c, "Set-Cookie", "baton_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

void
api_auth_me(struct api_ctx *c)
{
	json_t *w = ST(c->s, workspace_get, c->p.workspace_id), *out, *m = NULL;

	if (c->p.kind == P_MEMBER)
		m = ST(c->s, member_get, c->p.workspace_id, c->p.id);
	out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:s}", "kind",
	    c->p.kind == P_MEMBER ? "member" : "token", "id", c->p.id, "email", c->p.email, "name",
	    c->p.name, "role", role_name(c->p.role), "workspace", "id", c->p.workspace_id, "name",
	    jsonx_str(w, "name") ? jsonx_str(w, "name") : "", "widget_key",
	    jsonx_str(w, "widget_key") ? jsonx_str(w, "widget_key") : "", "csrf_token", c->p.csrf);
	if (m != NULL) {
		json_object_set(out, "organisation", json_object_get(m, "organisation"));
		json_object_set(out, "status", json_object_get(m, "status"));
		json_object_set(out, "sites", json_object_get(m, "sites"));
	}
	json_decref(m);
	json_decref(w);
	api_json(c, 200, out);
}

void
api_members_list(struct api_ctx *c)
{
	json_t *arr = ST(c->s, member_list, c->p.workspace_id);
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		auth_member_view(json_array_get(arr, i));
	api_json(c, 200, json_pack("{s:o}", "items", arr));
}

void
api_members_invite(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_invite(c->s, &c->p, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	/* The link is shown once to the admin (and mailed when e-mail is configured). */
	{
		char link[200];

		snprintf(link, sizeof(link), "/#/accept?token=%s", jsonx_str(out, "token"));
		json_object_set_new(out, "link", json_string(link));
	}
	api_json(c, 201, jsonx_present(out));
}

void
api_members_update(struct api_ctx *c)
{
	json_t *out = NULL;

	if (!api_id_ok(c->params[0])) {
		api_error(c, ERR_NOT_FOUND, "no such member");
		return;
	}
	if (inbox_member_update(c->s, &c->p, c->params[0], c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, jsonx_present(out));
}

void
api_members_remove(struct api_ctx *c)
{
	if (!api_id_ok(c->params[0])) {
		api_error(c, ERR_NOT_FOUND, "no such member");
		return;
	}
	if (inbox_member_remove(c->s, &c->p, c->params[0], &c->ei)) {
		api_fail(c);
		return;
	}
	ST(c->s, session_delete_member, c->params[0]);
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

void
api_invites_accept(struct api_ctx *c)
{
	const char *tok = api_body_str(c, "token"), *name = api_body_str(c, "name");
	const char *pw = api_body_str(c, "password");
	json_t *m = NULL;

	if (c->rs->status)
		return;
	if (inbox_invite_accept(c->s, tok, name, pw, &m, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, json_pack("{s:o}", "member", jsonx_present(m)));
}

void
api_tokens_list(struct api_ctx *c)
{
	json_t *arr = ST(c->s, token_list, c->p.workspace_id);
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		jsonx_present(json_array_get(arr, i));
	api_json(c, 200, json_pack("{s:o}", "items", arr));
}

void
api_tokens_create(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_token_create(c->s, &c->p, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, jsonx_present(out));
}

void
api_tokens_revoke(struct api_ctx *c)
{
	if (!api_id_ok(c->params[0])) {
		api_error(c, ERR_NOT_FOUND, "no such token");
		return;
	}
	if (inbox_token_revoke(c->s, &c->p, c->params[0], &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

void
api_settings_get(struct api_ctx *c)
{
	api_json(c, 200, inbox_settings_view(inbox_settings(c->s, c->p.workspace_id)));
}

void
api_settings_update(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_settings_update(c->s, &c->p, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}
