/* inbox_auth.c: workspaces, members, passwords (argon2id), sessions, API
 * tokens, visitor tokens, invitations and login rate limiting. Secrets are
 * stored as SHA-256 hashes (tokens) or argon2id strings (passwords); the clear
 * value is returned once, to its owner. */
#include <pthread.h>
#include <regex.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bus.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"
#include "kb/kb.h"
#include "inbox.h"

#define SESSION_TTL_MS (14LL * 24 * 3600 * 1000)
#define INVITE_TTL_MS (7LL * 24 * 3600 * 1000)
#define LOGIN_WINDOW_MS (15LL * 60 * 1000)
#define LOGIN_MAX_FAILS 10

/* Tell open event streams that a credential or a member's scope changed:
 * they end, and the client reconnects (and is checked) afresh. Not stored:
 * there is nothing to replay. */
static void
auth_revoke_streams(const char *ws, const char *what, const char *id)
{
	char data[160];
	struct bus_event ev;

	snprintf(data, sizeof(data), "%s:%s", what, id);
	memset(&ev, 0, sizeof(ev));
	ev.workspace_id = ws;
	ev.internal = 1;
	ev.type = "auth.revoked";
	ev.data = data;
	bus_publish(&ev);
}

void
principal_clear(struct principal *p)
{
	json_decref(p->sites);
	memset(p, 0, sizeof(*p));
}

static const char *const role_names[] = {"none", "viewer", "agent", "admin", "owner"};

const char *
role_name(int role)
{
	return (role >= 0 && role <= ROLE_OWNER) ? role_names[role] : "none";
}

int
role_parse(const char *s)
{
	int i;

	if (s == NULL)
		return ROLE_NONE;
	for (i = 1; i <= ROLE_OWNER; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return ROLE_NONE;
}

static void
auth_copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

err_t
inbox_password_hash(const char *pw, char out[128])
{
	if (crypto_pwhash_str_alg(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return ERR_INTERNAL;
	return ERR_OK;
}

int
inbox_password_check(const char *hash, const char *pw)
{
	return hash != NULL && crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

static char auth_dummy[128];
static pthread_once_t auth_dummy_once = PTHREAD_ONCE_INIT;

static void
auth_dummy_init(void)
{
	inbox_password_hash("not a password of anyone", auth_dummy);
}

/* A real hash to verify against when the e-mail is unknown, so that timing
 * does not reveal which addresses have accounts. */
static const char *
auth_dummy_hash(void)
{
	pthread_once(&auth_dummy_once, auth_dummy_init);
	return auth_dummy;
}

static void
auth_password_new(char out[32])
{
	/* 20 base32 characters = 100 bits; grouped for reading aloud. */
	char raw[40];

	util_random_id(raw, 13);
	snprintf(out, 32, "%.5s-%.5s-%.5s-%.5s", raw, raw + 5, raw + 10, raw + 15);
}

json_t *
inbox_settings(struct store *s, const char *ws)
{
	json_t *w = ST(s, workspace_get, ws);
	json_t *set = json_object(), *have;

	json_object_set_new(set, "agent_name", json_string("Baton assistant"));
	json_object_set_new(set, "greeting", json_string("Hello! Ask me about the study documents. A coordinator can step in at any time."));
	json_object_set_new(set, "holding_message", json_string("Thank you. A study coordinator has been notified and will reply in this conversation."));
	json_object_set_new(set, "tone", json_string("neutral"));
	json_object_set_new(set, "threshold", json_real(0.5));
	json_object_set_new(set, "key_phrases", json_string(kb_default_key_phrases));
	json_object_set_new(set, "synonyms", json_string(""));
	json_object_set_new(set, "channels", json_pack("{s:b,s:b,s:b}", "widget", 1, "email", 1, "api", 1));
	json_object_set_new(set, "allowed_origins", json_array());
	json_object_set_new(set, "stale_minutes", json_integer(120));
	json_object_set_new(set, "suggest_auto_threshold", json_real(0.9)); /* suggest: 1 turns auto-tagging off */
	/* The optional answer writer (A7): off while writer_url is "". */
	json_object_set_new(set, "writer_url", json_string(""));
	json_object_set_new(set, "writer_model", json_string(""));
	json_object_set_new(set, "writer_timeout_ms", json_integer(8000));
	json_object_set_new(set, "redaction_patterns", json_array()); /* S4: POSIX EREs */
	have = json_object_get(w, "settings");
	if (json_is_object(have))
		json_object_update(set, have);
	json_decref(w);
	return set;
}

json_t *
inbox_settings_view(json_t *set)
{
	const char *key = "writer_api_key";
	const char *v = jsonx_str(set, key);

	if (set == NULL)
		return NULL;
	json_object_set_new(set, "writer_api_key_set", json_boolean(v != NULL && *v != '\0'));
	json_object_del(set, key);
	return set;
}

err_t
inbox_workspace_create(struct store *s, const char *name, const char *admin_email,
    json_t **out, struct errinfo *ei)
{
	char wsid[40], mid[40], key[48], pw[32], hash[128], raw[40];
	json_t *w = NULL, *m = NULL, *existing;
	int64_t now = util_now_ms();
	err_t err;

	if (name == NULL || *name == '\0' || strlen(name) > 120)
		return err_set(ei, ERR_INVALID, "the workspace name must be 1 to 120 characters");
	if (!util_email_valid(admin_email))
		return err_set(ei, ERR_INVALID, "'%s' is not a valid e-mail address", admin_email);
	existing = ST(s, member_by_email, admin_email);
	if (existing != NULL) {
		json_decref(existing);
		return err_set(ei, ERR_CONFLICT, "%s is already a member of a workspace", admin_email);
	}
	util_random_id(raw, 10);
	snprintf(wsid, sizeof(wsid), "ws_%s", raw);
	util_random_id(raw, 10);
	snprintf(mid, sizeof(mid), "mb_%s", raw);
	util_random_id(raw, 20);
	snprintf(key, sizeof(key), "wk_%s", raw);
	auth_password_new(pw);
	if (inbox_password_hash(pw, hash))
		return err_set(ei, ERR_INTERNAL, "password hashing failed");
	w = json_pack("{s:s,s:s,s:s,s:I}", "id", wsid, "name", name, "widget_key", key,
	    "created_at", (json_int_t)now);
	m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "id", mid, "workspace_id", wsid,
	    "email", admin_email, "name", "", "role", "owner", "password_hash", hash,
	    "created_at", (json_int_t)now);
	err = ST(s, begin);
	if (err) {
		err_set(ei, err, "the store is busy");
		goto out;
	}
	err = ST(s, workspace_create, w);
	if (!err)
		err = ST(s, member_create, m);
	if (!err)
		err = inbox_audit(s, wsid, "cli", "workspace.create", wsid, NULL,
		    json_pack("{s:s,s:s}", "name", name, "owner", admin_email));
	if (err) {
		ST(s, rollback);
		err_set(ei, err, "could not create the workspace");
		goto out;
	}
	err = ST(s, commit);
	if (err) {
		err_set(ei, err, "could not create the workspace");
		goto out;
	}
	*out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "workspace_id", wsid, "admin_email", admin_email,
	    "password", pw, "widget_key", key, "name", name);
out:
	json_decref(w);
	json_decref(m);
	return err;
}

/* ---- login rate limiting: failures per key in a sliding window ---- */

#define RL_SLOTS 1024
static struct {
	char key[300];
	int64_t start;
	int fails;
} rl_tab[RL_SLOTS];
static pthread_mutex_t rl_mu = PTHREAD_MUTEX_INITIALIZER;

static unsigned
rl_slot(const char *key)
{
	return util_fnv1a(key) % RL_SLOTS;
}

/* Returns 1 when key is over the limit. fail=1 records a failure, -1 clears. */
static int
rl_check(const char *key, int fail)
{
	unsigned i = rl_slot(key);
	int64_t now = util_now_ms();
	int over;

	pthread_mutex_lock(&rl_mu);
	if (strcmp(rl_tab[i].key, key) != 0 || now - rl_tab[i].start > LOGIN_WINDOW_MS) {
		snprintf(rl_tab[i].key, sizeof(rl_tab[i].key), "%s", key);
		rl_tab[i].start = now;
		rl_tab[i].fails = 0;
	}
	if (fail == 1)
		rl_tab[i].fails++;
	else if (fail == -1)
		rl_tab[i].fails = 0;
	over = rl_tab[i].fails >= LOGIN_MAX_FAILS;
	pthread_mutex_unlock(&rl_mu);
	return over;
}

err_t
inbox_login(struct store *s, const char *email, const char *password, const char *ip,
    char token_out[80], struct errinfo *ei)
{
	char kemail[300], kip[300], tok[80], hash[65], csrf[64];
	json_t *m = NULL, *sess = NULL;
	int64_t now = util_now_ms();
	err_t err = ERR_OK;

	snprintf(kemail, sizeof(kemail), "e:%s", email);
	snprintf(kip, sizeof(kip), "i:%s", ip ? ip : "");
	if (rl_check(kemail, 0) || rl_check(kip, 0))
		return err_set(ei, ERR_RATE_LIMITED, "too many failed logins; try again in 15 minutes");
	m = ST(s, member_by_email, email);
	if (m == NULL || !inbox_password_check(jsonx_str(m, "password_hash"), password)) {
		if (m == NULL) /* spend the same time as a real check */
			inbox_password_check(auth_dummy_hash(), password);
		rl_check(kemail, 1);
		rl_check(kip, 1);
		err = err_set(ei, ERR_UNAUTHORIZED, "wrong e-mail address or password");
		goto out;
	}
	rl_check(kemail, -1);
	util_random_id(tok, 32);
	util_sha256_hex(tok, strlen(tok), hash);
	util_random_id(csrf, 24);
	sess = json_pack("{s:s,s:s,s:s,s:I,s:I}", "token_hash", hash, "member_id",
	    jsonx_str(m, "id"), "csrf_token", csrf, "created_at", (json_int_t)now, "expires_at",
	    (json_int_t)(now + SESSION_TTL_MS));
	err = ST(s, begin);
	if (!err)
		err = ST(s, session_create, sess);
	if (!err)
		err = inbox_audit(s, jsonx_str(m, "workspace_id"), jsonx_str(m, "email"), "auth.login",
		    jsonx_str(m, "id"), NULL, NULL);
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	if (err) {
		err_set(ei, err, "could not start a session");
		goto out;
	}
	snprintf(token_out, 80, "%s", tok);
out:
	json_decref(m);
	json_decref(sess);
	return err;
}

err_t
inbox_logout(struct store *s, const struct principal *p)
{
	err_t err;

	if (p->kind != P_MEMBER || p->session_hash[0] == '\0')
		return ERR_OK;
	err = ST(s, begin);
	if (err)
		return err;
	err = ST(s, session_delete, p->session_hash);
	if (!err)
		err = inbox_audit(s, p->workspace_id, p->email, "auth.logout", p->id, NULL, NULL);
	if (err) {
		ST(s, rollback);
		return err;
	}
	err = ST(s, commit);
	if (!err)
		auth_revoke_streams(p->workspace_id, "session", p->session_hash);
	return err;
}

static void
auth_fill_member(struct principal *p, json_t *m)
{
	json_t *sites = json_object_get(m, "sites");

	p->kind = P_MEMBER;
	p->role = role_parse(jsonx_str(m, "role"));
	auth_copy(p->workspace_id, sizeof(p->workspace_id), jsonx_str(m, "workspace_id"));
	auth_copy(p->id, sizeof(p->id), jsonx_str(m, "id"));
	auth_copy(p->name, sizeof(p->name), jsonx_str(m, "name"));
	auth_copy(p->email, sizeof(p->email), jsonx_str(m, "email"));
	p->sites = (json_is_array(sites) && json_array_size(sites) > 0) ? json_incref(sites) : NULL;
}

err_t
inbox_session_lookup(struct store *s, const char *cookie, struct principal *p)
{
	char hash[65];
	json_t *m;

	if (cookie == NULL || strlen(cookie) < 20 || strlen(cookie) > 100)
		return ERR_UNAUTHORIZED;
	util_sha256_hex(cookie, strlen(cookie), hash);
	m = ST(s, session_get, hash);
	if (m == NULL)
		return ERR_UNAUTHORIZED;
	if (jsonx_int(m, "expires_at", 0) < util_now_ms()) {
		json_decref(m);
		return ERR_UNAUTHORIZED;
	}
	auth_fill_member(p, m);
	p->via_cookie = 1;
	auth_copy(p->csrf, sizeof(p->csrf), jsonx_str(m, "csrf_token"));
	auth_copy(p->session_hash, sizeof(p->session_hash), hash);
	json_decref(m);
	return ERR_OK;
}

err_t
inbox_token_lookup(struct store *s, const char *bearer, struct principal *p)
{
	char hash[65];
	json_t *t;

	if (bearer == NULL || strncmp(bearer, "bt_", 3) != 0 || strlen(bearer) > 100)
		return ERR_UNAUTHORIZED;
	util_sha256_hex(bearer, strlen(bearer), hash);
	t = ST(s, token_by_hash, hash);
	if (t == NULL)
		return ERR_UNAUTHORIZED;
	p->kind = P_TOKEN;
	p->role = role_parse(jsonx_str(t, "role"));
	auth_copy(p->workspace_id, sizeof(p->workspace_id), jsonx_str(t, "workspace_id"));
	auth_copy(p->id, sizeof(p->id), jsonx_str(t, "id"));
	snprintf(p->name, sizeof(p->name), "token %s", jsonx_str(t, "name"));
	json_decref(t);
	return ERR_OK;
}

err_t
inbox_visitor_lookup(struct store *s, const char *conv_id, const char *bearer,
    struct principal *p)
{
	char hash[65];
	const char *have;
	json_t *c;
	err_t err = ERR_UNAUTHORIZED;

	if (bearer == NULL || strncmp(bearer, "vt_", 3) != 0 || strlen(bearer) > 100)
		return ERR_UNAUTHORIZED;
	util_sha256_hex(bearer, strlen(bearer), hash);
	c = ST(s, conv_get, NULL, conv_id);
	if (c == NULL)
		return ERR_FORBIDDEN;
	have = jsonx_str(c, "visitor_token_hash");
	if (have == NULL || !util_streq_ct(have, hash)) {
		err = ERR_FORBIDDEN;
		goto out;
	}
	p->kind = P_VISITOR;
	p->role = ROLE_NONE;
	auth_copy(p->workspace_id, sizeof(p->workspace_id), jsonx_str(c, "workspace_id"));
	auth_copy(p->id, sizeof(p->id), conv_id);
	auth_copy(p->name, sizeof(p->name), jsonx_str(c, "contact_name"));
	err = ERR_OK;
out:
	json_decref(c);
	return err;
}

/* ---- members and invitations ---- */

static err_t
auth_validate_sites(json_t *sites, struct errinfo *ei)
{
	size_t i;

	if (sites == NULL)
		return ERR_OK;
	if (!json_is_array(sites) || json_array_size(sites) > 20)
		return err_set(ei, ERR_INVALID, "sites must be a list of at most 20 site names");
	for (i = 0; i < json_array_size(sites); i++) {
		const char *v = json_string_value(json_array_get(sites, i));

		if (v == NULL || *v == '\0' || strlen(v) > 64)
			return err_set(ei, ERR_INVALID, "each site must be a name of 1 to 64 characters");
	}
	return ERR_OK;
}

err_t
inbox_invite(struct store *s, const struct principal *by, json_t *req, json_t **out,
    struct errinfo *ei)
{
	const char *email = jsonx_str(req, "email"), *role = jsonx_str(req, "role");
	const char *org = jsonx_str(req, "organisation");
	json_t *sites = json_object_get(req, "sites"), *inv = NULL, *existing;
	char tok[80], hash[65], actor[128];
	int64_t now = util_now_ms();
	int r = role_parse(role);
	err_t err;

	if (email == NULL || !util_email_valid(email))
		return err_set(ei, ERR_INVALID, "email must be a valid e-mail address");
	if (r == ROLE_NONE)
		return err_set(ei, ERR_INVALID, "role must be one of owner, admin, agent, viewer");
	if (r > by->role)
		return err_set(ei, ERR_FORBIDDEN, "you cannot invite someone with a higher role than yours");
	if (org != NULL && strlen(org) > 120)
		return err_set(ei, ERR_INVALID, "organisation must be at most 120 characters");
	if (auth_validate_sites(sites, ei))
		return ei->code;
	existing = ST(s, member_by_email, email);
	if (existing != NULL) {
		json_decref(existing);
		return err_set(ei, ERR_CONFLICT, "%s is already a member", email);
	}
	util_random_id(tok, 30);
	util_sha256_hex(tok, strlen(tok), hash);
	inv = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:I,s:I}", "token_hash", hash,
	    "workspace_id", by->workspace_id, "email", email, "role", role_name(r), "organisation",
	    org ? org : "", "sites", sites ? sites : json_array(), "invited_by", by->id,
	    "expires_at", (json_int_t)(now + INVITE_TTL_MS), "created_at", (json_int_t)now);
	if (sites == NULL)
		json_decref(json_object_get(inv, "sites"));
	err = ST(s, begin);
	if (!err)
		err = ST(s, invite_create, inv);
	if (!err)
		err = inbox_audit(s, by->workspace_id, inbox_actor(by, actor), "member.invite", email,
		    NULL, json_pack("{s:s,s:s}", "role", role_name(r), "organisation", org ? org : ""));
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	if (!err)
		*out = json_pack("{s:s,s:s,s:s,s:s,s:I}", "email", email, "role", role_name(r),
		    "organisation", org ? org : "", "token", tok, "expires_at",
		    (json_int_t)(now + INVITE_TTL_MS));
	json_decref(inv);
	return err ? err_set(ei, err, "could not create the invitation") : ERR_OK;
}

err_t
inbox_invite_accept(struct store *s, const char *token, const char *name, const char *password,
    json_t **member_out, struct errinfo *ei)
{
	char hash[65], pwh[128], raw[40], mid[40];
	json_t *inv = NULL, *m = NULL;
	int64_t now = util_now_ms();
	err_t err;

	if (token == NULL || strlen(token) > 100)
		return err_set(ei, ERR_INVALID, "the invitation link is not valid");
	if (password == NULL || strlen(password) < 10 || strlen(password) > 200)
		return err_set(ei, ERR_INVALID, "the password must be 10 to 200 characters");
	if (name != NULL && strlen(name) > 120)
		return err_set(ei, ERR_INVALID, "the name must be at most 120 characters");
	util_sha256_hex(token, strlen(token), hash);
	inv = ST(s, invite_get, hash);
	if (inv == NULL)
		return err_set(ei, ERR_NOT_FOUND, "the invitation link is not valid");
	if (!json_is_null(json_object_get(inv, "used_at"))) {
		err = err_set(ei, ERR_CONFLICT, "this invitation has already been used");
		goto out;
	}
	if (jsonx_int(inv, "expires_at", 0) < now) {
		err = err_set(ei, ERR_INVALID, "this invitation has expired; ask an admin for a new one");
		goto out;
	}
	if (inbox_password_hash(password, pwh)) {
		err = err_set(ei, ERR_INTERNAL, "password hashing failed");
		goto out;
	}
	util_random_id(raw, 10);
	snprintf(mid, sizeof(mid), "mb_%s", raw);
	m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:I}", "id", mid, "workspace_id",
	    jsonx_str(inv, "workspace_id"), "email", jsonx_str(inv, "email"), "name", name ? name : "",
	    "role", jsonx_str(inv, "role"), "organisation", jsonx_str(inv, "organisation"), "sites",
	    json_object_get(inv, "sites"), "password_hash", pwh, "created_at", (json_int_t)now);
	err = ST(s, begin);
	if (!err)
		err = ST(s, invite_use, hash, now);
	if (!err)
		err = ST(s, member_create, m);
	if (!err)
		err = inbox_audit(s, jsonx_str(inv, "workspace_id"), jsonx_str(inv, "email"),
		    "member.join", mid, NULL, json_pack("{s:s}", "role", jsonx_str(inv, "role")));
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	if (err) {
		err_set(ei, err, err == ERR_CONFLICT ? "this invitation has already been used or the e-mail address is taken" : "could not accept the invitation");
		goto out;
	}
	json_object_del(m, "password_hash");
	*member_out = json_incref(m);
out:
	json_decref(inv);
	json_decref(m);
	return err;
}

err_t
inbox_member_update(struct store *s, const struct principal *by, const char *id, json_t *req,
    json_t **out, struct errinfo *ei)
{
	json_t *before = ST(s, member_get, by->workspace_id, id), *fields = json_object(), *v;
	char actor[128];
	err_t err = ERR_OK;
	int r;

	if (before == NULL) {
		err = err_set(ei, ERR_NOT_FOUND, "no such member");
		goto out;
	}
	json_object_del(before, "password_hash");
	v = json_object_get(req, "role");
	if (v != NULL) {
		r = role_parse(json_string_value(v));
		if (r == ROLE_NONE) {
			err = err_set(ei, ERR_INVALID, "role must be one of owner, admin, agent, viewer");
			goto out;
		}
		if (r > by->role || role_parse(jsonx_str(before, "role")) > by->role) {
			err = err_set(ei, ERR_FORBIDDEN, "you cannot change a role above your own");
			goto out;
		}
		if (strcmp(id, by->id) == 0 && r < by->role) {
			err = err_set(ei, ERR_INVALID, "you cannot lower your own role");
			goto out;
		}
		json_object_set_new(fields, "role", json_string(role_name(r)));
	}
	v = json_object_get(req, "organisation");
	if (v != NULL) {
		if (!json_is_string(v) || json_string_length(v) > 120) {
			err = err_set(ei, ERR_INVALID, "organisation must be a string of at most 120 characters");
			goto out;
		}
		json_object_set(fields, "organisation", v);
	}
	v = json_object_get(req, "name");
	if (v != NULL) {
		if (!json_is_string(v) || json_string_length(v) > 120) {
			err = err_set(ei, ERR_INVALID, "name must be a string of at most 120 characters");
			goto out;
		}
		json_object_set(fields, "name", v);
	}
	v = json_object_get(req, "sites");
	if (v != NULL) {
		if (auth_validate_sites(v, ei)) {
			err = ei->code;
			goto out;
		}
		json_object_set(fields, "sites", v);
	}
	v = json_object_get(req, "status");
	if (v != NULL) {
		const char *st = json_string_value(v);

		if (st == NULL || (strcmp(st, "available") && strcmp(st, "away") && strcmp(st, "off_shift"))) {
			err = err_set(ei, ERR_INVALID, "status must be available, away or off_shift");
			goto out;
		}
		json_object_set(fields, "status", v);
	}
	if (json_object_size(fields) == 0) {
		err = err_set(ei, ERR_INVALID, "nothing to change: give role, organisation, name, sites or status");
		goto out;
	}
	err = ST(s, begin);
	if (!err)
		err = ST(s, member_update, by->workspace_id, id, fields);
	if (!err)
		err = inbox_audit(s, by->workspace_id, inbox_actor(by, actor), "member.update", id,
		    json_incref(before), json_incref(fields));
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	if (err) {
		err_set(ei, err, "could not update the member");
		goto out;
	}
	/* A new role or site scope applies to open streams too. */
	auth_revoke_streams(by->workspace_id, "member", id);
	*out = ST(s, member_get, by->workspace_id, id);
	json_object_del(*out, "password_hash");
out:
	json_decref(before);
	json_decref(fields);
	return err;
}

err_t
inbox_member_remove(struct store *s, const struct principal *by, const char *id,
    struct errinfo *ei)
{
	json_t *before = ST(s, member_get, by->workspace_id, id);
	char actor[128];
	err_t err;

	if (before == NULL)
		return err_set(ei, ERR_NOT_FOUND, "no such member");
	if (strcmp(id, by->id) == 0) {
		json_decref(before);
		return err_set(ei, ERR_INVALID, "you cannot remove yourself");
	}
	if (role_parse(jsonx_str(before, "role")) > by->role) {
		json_decref(before);
		return err_set(ei, ERR_FORBIDDEN, "you cannot remove a member above your role");
	}
	json_object_del(before, "password_hash");
	err = ST(s, begin);
	if (!err)
		err = ST(s, member_delete, by->workspace_id, id);
	if (!err)
		err = inbox_audit(s, by->workspace_id, inbox_actor(by, actor), "member.remove", id,
		    json_incref(before), NULL);
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	json_decref(before);
	if (!err)
		auth_revoke_streams(by->workspace_id, "member", id);
	return err ? err_set(ei, err, "could not remove the member") : ERR_OK;
}

err_t
inbox_token_create(struct store *s, const struct principal *by, json_t *req, json_t **out,
    struct errinfo *ei)
{
	const char *name = jsonx_str(req, "name"), *role = jsonx_str(req, "role");
	char tok[80], raw[64], hash[65], id[40], actor[128];
	json_t *t;
	int64_t now = util_now_ms();
	int r = role_parse(role ? role : "agent");
	err_t err;

	if (name == NULL || *name == '\0' || strlen(name) > 80)
		return err_set(ei, ERR_INVALID, "name must be 1 to 80 characters");
	if (json_object_get(req, "role") != NULL && role == NULL)
		return err_set(ei, ERR_INVALID, "role must be admin, agent or viewer");
	if (r == ROLE_NONE || r == ROLE_OWNER)
		return err_set(ei, ERR_INVALID, "role must be admin, agent or viewer");
	if (r > by->role)
		return err_set(ei, ERR_FORBIDDEN, "a token cannot have a higher role than yours");
	util_random_id(raw, 30);
	snprintf(tok, sizeof(tok), "bt_%s", raw);
	util_sha256_hex(tok, strlen(tok), hash);
	util_random_id(raw, 10);
	snprintf(id, sizeof(id), "tk_%s", raw);
	t = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s%,s:s,s:I}", "id", id, "workspace_id",
	    by->workspace_id, "name", name, "role", role_name(r), "token_hash", hash, "prefix", tok,
	    (size_t)10, "created_by", by->id, "created_at", (json_int_t)now);
	err = ST(s, begin);
	if (!err)
		err = ST(s, token_create, t);
	if (!err)
		err = inbox_audit(s, by->workspace_id, inbox_actor(by, actor), "token.create", id,
		    NULL, json_pack("{s:s,s:s}", "name", name, "role", role_name(r)));
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	json_object_del(t, "token_hash");
	json_object_set_new(t, "token", json_string(tok));
	if (!err)
		*out = t;
	else
		json_decref(t);
	return err ? err_set(ei, err, "could not create the token") : ERR_OK;
}

err_t
inbox_token_revoke(struct store *s, const struct principal *by, const char *id,
    struct errinfo *ei)
{
	char actor[128];
	err_t err = ST(s, begin);

	if (!err)
		err = ST(s, token_revoke, by->workspace_id, id, util_now_ms());
	if (!err)
		err = inbox_audit(s, by->workspace_id, inbox_actor(by, actor), "token.revoke", id,
		    NULL, NULL);
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	if (err == ERR_NOT_FOUND)
		return err_set(ei, err, "no such token");
	if (!err)
		auth_revoke_streams(by->workspace_id, "token", id);
	return err ? err_set(ei, err, "could not revoke the token") : ERR_OK;
}

/* Settings are a declared table: name, type, bounds; unknown keys are refused
 * by name, so a typo never silently does nothing. */
static const struct {
	const char *name;
	json_type type;
	double lo, hi; /* numbers: range; strings: length */
} settings_table[] = {
	{"agent_name", JSON_STRING, 1, 60},
	{"greeting", JSON_STRING, 0, 1000},
	{"holding_message", JSON_STRING, 1, 1000},
	{"tone", JSON_STRING, 1, 40},
	{"threshold", JSON_REAL, 0, 1},
	{"key_phrases", JSON_STRING, 0, 10000},
	{"synonyms", JSON_STRING, 0, 50000},
	{"channels", JSON_OBJECT, 0, 0},
	{"allowed_origins", JSON_ARRAY, 0, 50},
	{"stale_minutes", JSON_INTEGER, 5, 10080},
	{"suggest_auto_threshold", JSON_REAL, 0, 1}, /* suggest (T4) */
	{"writer_url", JSON_STRING, 0, 500},         /* A7; "" = off */
	{"writer_model", JSON_STRING, 0, 200},
	{"writer_api_key", JSON_STRING, 0, 1000},    /* write-only */
	{"writer_timeout_ms", JSON_INTEGER, 100, 60000},
	{"redaction_patterns", JSON_ARRAY, 0, 50},   /* S4 */
};

#define REDACT_PATTERN_MAX 300

/* The writer's base URL: "" (off) or http(s)://host... with no spaces or
 * control characters (it is pasted into a request line). */
static err_t
settings_check_url(const char *u, struct errinfo *ei)
{
	const char *host;
	const unsigned char *q;

	if (*u == '\0')
		return ERR_OK;
	if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else
		return err_set(ei, ERR_INVALID, "setting 'writer_url' must be an http:// or https:// address");
	if (*host == '\0' || *host == '/')
		return err_set(ei, ERR_INVALID, "setting 'writer_url' has no host");
	for (q = (const unsigned char *)u; *q; q++)
		if (*q <= ' ' || *q == 0x7f)
			return err_set(ei, ERR_INVALID, "setting 'writer_url' must not contain spaces or control characters");
	return ERR_OK;
}

/* Every redaction pattern compiles as a POSIX extended regex (as it will be
 * used: case-insensitive); the error names the pattern that does not. */
static err_t
settings_check_patterns(json_t *v, struct errinfo *ei)
{
	size_t k;

	for (k = 0; k < json_array_size(v); k++) {
		const char *p = json_string_value(json_array_get(v, k));
		regex_t re;
		int rc;

		if (*p == '\0' || strlen(p) > REDACT_PATTERN_MAX)
			return err_set(ei, ERR_INVALID, "redaction pattern %zu must be 1 to %d characters", k + 1,
			    REDACT_PATTERN_MAX);
		rc = regcomp(&re, p, REG_EXTENDED | REG_ICASE);
		if (rc != 0) {
			char msg[160];

			regerror(rc, &re, msg, sizeof(msg));
			return err_set(ei, ERR_INVALID, "redaction pattern '%s' is not a valid regular expression: %s", p, msg);
		}
		regfree(&re);
	}
	return ERR_OK;
}

err_t
inbox_settings_update(struct store *s, const struct principal *by, json_t *req, json_t **out,
    struct errinfo *ei)
{
	json_t *before = inbox_settings(s, by->workspace_id), *after, *v;
	const char *key;
	char actor[128];
	size_t i;
	err_t err = ERR_OK;

	if (!json_is_object(req) || json_object_size(req) == 0) {
		json_decref(before);
		return err_set(ei, ERR_INVALID, "send an object of settings to change");
	}
	json_object_foreach(req, key, v) {
		for (i = 0; i < sizeof(settings_table) / sizeof(settings_table[0]); i++)
			if (strcmp(settings_table[i].name, key) == 0)
				break;
		if (i == sizeof(settings_table) / sizeof(settings_table[0])) {
			err = err_set(ei, ERR_INVALID, "unknown setting '%.60s'", key);
			goto out;
		}
		if (settings_table[i].type == JSON_INTEGER) {
			if (!json_is_integer(v) || json_integer_value(v) < settings_table[i].lo ||
			    json_integer_value(v) > settings_table[i].hi) {
				err = err_set(ei, ERR_INVALID, "setting '%s' must be a whole number from %g to %g",
				    key, settings_table[i].lo, settings_table[i].hi);
				goto out;
			}
		} else if (settings_table[i].type == JSON_REAL) {
			if (!json_is_number(v) || json_number_value(v) < settings_table[i].lo ||
			    json_number_value(v) > settings_table[i].hi) {
				err = err_set(ei, ERR_INVALID, "setting '%s' must be a number from %g to %g",
				    key, settings_table[i].lo, settings_table[i].hi);
				goto out;
			}
		} else if (settings_table[i].type == JSON_STRING) {
			if (!json_is_string(v) || json_string_length(v) < settings_table[i].lo ||
			    json_string_length(v) > settings_table[i].hi) {
				err = err_set(ei, ERR_INVALID, "setting '%s' must be text of %g to %g characters",
				    key, settings_table[i].lo, settings_table[i].hi);
				goto out;
			}
			if (strcmp(key, "writer_url") == 0) {
				err = settings_check_url(json_string_value(v), ei);
				if (err)
					goto out;
			}
			if (strcmp(key, "writer_api_key") == 0) {
				const unsigned char *q;

				/* It becomes a request header: no line breaks or other controls. */
				for (q = (const unsigned char *)json_string_value(v); *q; q++)
					if (*q < ' ' || *q == 0x7f) {
						err = err_set(ei, ERR_INVALID, "setting 'writer_api_key' must not contain control characters");
						goto out;
					}
			}
		} else if (settings_table[i].type == JSON_ARRAY) {
			size_t k;

			if (!json_is_array(v) || json_array_size(v) > settings_table[i].hi) {
				err = err_set(ei, ERR_INVALID, "setting '%s' must be a list", key);
				goto out;
			}
			for (k = 0; k < json_array_size(v); k++)
				if (!json_is_string(json_array_get(v, k))) {
					err = err_set(ei, ERR_INVALID, "setting '%s' must be a list of strings", key);
					goto out;
				}
			if (strcmp(key, "redaction_patterns") == 0) {
				err = settings_check_patterns(v, ei);
				if (err)
					goto out;
			}
		} else if (!json_is_object(v)) {
			err = err_set(ei, ERR_INVALID, "setting '%s' must be an object", key);
			goto out;
		} else {
			const char *ck;
			json_t *cv;

			json_object_foreach(v, ck, cv)
				if ((strcmp(ck, "widget") && strcmp(ck, "email") && strcmp(ck, "api")) || !json_is_boolean(cv)) {
					err = err_set(ei, ERR_INVALID, "channels takes widget, email and api, each true or false");
					goto out;
				}
		}
	}
	after = json_deep_copy(before);
	json_object_update(after, req);
	if (json_is_object(json_object_get(req, "channels"))) {
		json_t *ch = json_deep_copy(json_object_get(before, "channels"));

		json_object_update(ch, json_object_get(req, "channels"));
		json_object_set_new(after, "channels", ch);
	}
	if (jsonx_str(after, "writer_url") != NULL && *jsonx_str(after, "writer_url") != '\0' &&
	    (jsonx_str(after, "writer_model") == NULL || *jsonx_str(after, "writer_model") == '\0')) {
		json_decref(after);
		err = err_set(ei, ERR_INVALID, "setting 'writer_model' is required when 'writer_url' is set");
		goto out;
	}
	if (json_is_string(json_object_get(after, "writer_api_key")) &&
	    *jsonx_str(after, "writer_api_key") == '\0')
		json_object_del(after, "writer_api_key"); /* "" clears the key */
	err = ST(s, begin);
	if (!err)
		err = ST(s, workspace_set_settings, by->workspace_id, after);
	/* The audit trail is exported and shown: the key never enters it. */
	if (!err)
		err = inbox_audit(s, by->workspace_id, inbox_actor(by, actor), "settings.update",
		    by->workspace_id, inbox_settings_view(json_deep_copy(before)),
		    inbox_settings_view(json_deep_copy(after)));
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	if (err) {
		json_decref(after);
		err_set(ei, err, "could not save the settings");
		goto out;
	}
	if (json_object_get(req, "synonyms") != NULL)
		inbox_kb_reload(s, by->workspace_id);
	*out = inbox_settings_view(after);
out:
	json_decref(before);
	return err;
}
