/* inbox_collab.c: collaboration (issue 4, DESIGN I4/I5).
 *
 * Presence: who is viewing a conversation and who is typing, kept in memory
 * only (it is worthless after a restart) with an expiry, so a closed laptop
 * drops out on its own: viewing lasts PRES_VIEW_MS after the last heartbeat,
 * typing PRES_TYPE_MS. A change is published on the bus as an ephemeral
 * event (no id, no replay): `conversation.presence` with names for the
 * members who may see the conversation (workspace and site scope, as every
 * conversation event), and `conversation.typing` with no names for the
 * visitor's stream (typing an internal note is not announced to the visitor). A sweeper thread, started on first use, publishes
 * expiries. Updates are rate-limited per caller.
 *
 * Mentions: @email, @local-part (what the composer's picker inserts),
 * @Full Name or @FirstName (when unique) in a member's message name members of
 * the workspace who may see the conversation's site; each gets a notification
 * and an event only their own streams receive, in the message's transaction.
 *
 * BATON_PRESENCE_TTL_MS="viewing,typing" shortens the expiries for tests. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/bus.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"
#include "inbox.h"

#define PRES_MAX 4096          /* entries (members or visitors) across all conversations */
#define PRES_PER_CONV 64
#define PRES_RATE_PER_S 8      /* presence updates per caller per second */
#define MENTION_MAX 20

struct pres {
	char ws[40];
	char conv[40];
	char site[128];
	int has_site;
	char who[40];          /* member id, or "" for the visitor */
	char name[128];
	int typing;            /* the state watchers were last told */
	int note;              /* typing an internal note: the visitor is not told */
	int64_t seen_until;    /* viewing until (members) */
	int64_t typing_until;  /* typing until */
};

struct pres_rate {
	char who[48];
	int64_t second;
	int n;
};

static pthread_mutex_t pres_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pres_once = PTHREAD_ONCE_INIT;
static struct pres *pres_v;
static size_t pres_n, pres_cap;
static struct pres_rate pres_rates[256];
static int64_t pres_view_ms = 30000, pres_type_ms = 6000;

/* ---- presence (every pres_* function runs with pres_mu held) ---- */

static int
pres_same_conv(const struct pres *e, const char *ws, const char *conv)
{
	return strcmp(e->ws, ws) == 0 && strcmp(e->conv, conv) == 0;
}

/* The members of one conversation, and whether the visitor or any member is typing. */
static json_t *
pres_members(const char *ws, const char *conv, int *visitor_typing, int *member_typing)
{
	json_t *arr = json_array();
	size_t i;

	*visitor_typing = *member_typing = 0;
	for (i = 0; i < pres_n; i++) {
		const struct pres *e = &pres_v[i];

		if (!pres_same_conv(e, ws, conv))
			continue;
		if (e->who[0] == '\0') {
			*visitor_typing |= e->typing;
			continue;
		}
		*member_typing |= e->typing && !e->note;
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b}", "id", e->who, "name", e->name,
		    "state", e->typing ? "typing" : "viewing", "note", e->typing && e->note));
	}
	return arr;
}

/* A string that changes whenever what a watcher sees changes. */
static void
pres_sig(const char *ws, const char *conv, struct buf *b)
{
	size_t i;

	for (i = 0; i < pres_n; i++) {
		const struct pres *e = &pres_v[i];

		if (pres_same_conv(e, ws, conv))
			buf_printf(b, "%s=%c;", e->who[0] ? e->who : "-", !e->typing ? 'v' : e->note ? 'n' : 't');
	}
}

static int
pres_member_typing(const char *ws, const char *conv)
{
	int vt, mt;
	json_t *m = pres_members(ws, conv, &vt, &mt);

	json_decref(m);
	return mt;
}

static void
pres_publish_one(const struct pres *where, const char *type, int internal, json_t *data)
{
	struct bus_event ev;
	char *txt;

	json_object_set_new(data, "type", json_string(type));
	txt = jsonx_dump(data);
	memset(&ev, 0, sizeof(ev));
	ev.workspace_id = where->ws;
	ev.conversation_id = where->conv;
	ev.site = where->has_site ? where->site : NULL;
	ev.internal = internal;
	ev.type = type;
	ev.data = txt;
	ev.ephemeral = 1;
	bus_publish(&ev);
	free(txt);
	json_decref(data);
}

/* Tell members the conversation's presence, and the visitor whether a
 * member is typing when that changed (without names). */
static void
pres_publish(const struct pres *where, int member_typing_before)
{
	int vt, mt;
	json_t *members = pres_members(where->ws, where->conv, &vt, &mt);

	pres_publish_one(where, "conversation.presence", 1,
	    json_pack("{s:s,s:o,s:b}", "conversation_id", where->conv, "members", members, "visitor_typing", vt));
	if (mt != member_typing_before)
		pres_publish_one(where, "conversation.typing", 0,
		    json_pack("{s:s,s:b}", "conversation_id", where->conv, "typing", mt));
}

static int
pres_live(const struct pres *e, int64_t now)
{
	if (e->typing && e->typing_until <= now)
		return 0;
	return e->who[0] ? e->seen_until > now : e->typing;
}

/* Drop what expired and publish each conversation that changed. */
static void
pres_sweep(int64_t now)
{
	size_t i, j;

	for (i = 0; i < pres_n; i++) {
		struct pres where;
		int mt_before;

		if (pres_live(&pres_v[i], now))
			continue;
		where = pres_v[i];
		mt_before = pres_member_typing(where.ws, where.conv);
		for (j = 0; j < pres_n;) {
			struct pres *x = &pres_v[j];

			if (!pres_same_conv(x, where.ws, where.conv)) {
				j++;
				continue;
			}
			if (x->typing && x->typing_until <= now)
				x->typing = 0;
			if (x->who[0] ? x->seen_until <= now : !x->typing) {
				pres_v[j] = pres_v[--pres_n];
				continue;
			}
			j++;
		}
		pres_publish(&where, mt_before);
		i = (size_t)-1; /* the array moved: scan again */
	}
}

static void *
pres_sweeper(void *arg)
{
	struct timespec ts = {0, 250 * 1000000L};

	(void)arg;
	for (;;) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&pres_mu);
		pres_sweep(util_now_ms());
		pthread_mutex_unlock(&pres_mu);
	}
	return NULL;
}

static void
pres_init(void)
{
	const char *env = getenv("BATON_PRESENCE_TTL_MS");
	pthread_t t;

	if (env != NULL) {
		long long v = 0, ty = 0;

		if (sscanf(env, "%lld,%lld", &v, &ty) == 2 && v >= 100 && ty >= 100) {
			pres_view_ms = v;
			pres_type_ms = ty;
		}
	}
	if (pthread_create(&t, NULL, pres_sweeper, NULL) != 0)
		log_warnx("presence: cannot start the sweeper; expiries wait for the next update");
	else
		pthread_detach(t);
}

/* At most PRES_RATE_PER_S updates per caller per second. Call with pres_mu held. */
static int
pres_rate_ok(const char *who, const char *conv, int64_t now)
{
	char key[48];
	struct pres_rate *r;
	unsigned h = 5381;
	size_t i;

	snprintf(key, sizeof(key), "%.20s/%.20s", who, conv);
	for (i = 0; key[i]; i++)
		h = h * 33 + (unsigned char)key[i];
	r = &pres_rates[h % (sizeof(pres_rates) / sizeof(pres_rates[0]))];
	if (strcmp(r->who, key) != 0 || r->second != now / 1000) {
		snprintf(r->who, sizeof(r->who), "%s", key);
		r->second = now / 1000;
		r->n = 0;
	}
	return ++r->n <= PRES_RATE_PER_S;
}

/* Set who's state in conv ("viewing", "typing", "left"); publish a change. */
static err_t
pres_set(const json_t *conv, const char *ws, const char *who, const char *name, const char *state,
    int note, int64_t now, struct errinfo *ei)
{
	const char *cid = jsonx_str(conv, "id"), *site = jsonx_str(conv, "site");
	struct pres *e = NULL, where;
	struct buf before, after;
	size_t i, in_conv = 0;
	int mt_before, changed;

	if (!pres_rate_ok(who[0] ? who : "visitor", cid, now))
		return err_set(ei, ERR_RATE_LIMITED, "too many presence updates; send one every few seconds");
	pres_sweep(now);
	for (i = 0; i < pres_n; i++) {
		if (!pres_same_conv(&pres_v[i], ws, cid))
			continue;
		in_conv++;
		if (strcmp(pres_v[i].who, who) == 0)
			e = &pres_v[i];
	}
	if (e == NULL && strcmp(state, "left") != 0 && (pres_n >= PRES_MAX || in_conv >= PRES_PER_CONV))
		return err_set(ei, ERR_RATE_LIMITED, "too many people present; try again later");
	buf_init(&before, 64 * 1024);
	buf_init(&after, 64 * 1024);
	pres_sig(ws, cid, &before);
	mt_before = pres_member_typing(ws, cid);
	memset(&where, 0, sizeof(where));
	if (strcmp(state, "left") == 0) {
		if (e != NULL) {
			where = *e;
			*e = pres_v[--pres_n];
		}
	} else {
		if (e == NULL) {
			if (pres_n == pres_cap) {
				pres_cap = pres_cap ? pres_cap * 2 : 64;
				pres_v = xrealloc(pres_v, pres_cap * sizeof(*pres_v));
			}
			e = &pres_v[pres_n++];
			memset(e, 0, sizeof(*e));
			snprintf(e->ws, sizeof(e->ws), "%s", ws);
			snprintf(e->conv, sizeof(e->conv), "%s", cid);
			e->has_site = site != NULL;
			snprintf(e->site, sizeof(e->site), "%s", site ? site : "");
			snprintf(e->who, sizeof(e->who), "%s", who);
		}
		snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
		if (who[0])
			e->seen_until = now + pres_view_ms;
		e->typing = strcmp(state, "typing") == 0;
		e->note = e->typing && note;
		e->typing_until = e->typing ? now + pres_type_ms : 0;
		where = *e;
	}
	pres_sig(ws, cid, &after);
	changed = strcmp(before.p ? before.p : "", after.p ? after.p : "") != 0;
	buf_free(&before);
	buf_free(&after);
	if (changed)
		pres_publish(&where, mt_before);
	return ERR_OK;
}

static json_t *
pres_view(const char *ws, const char *conv)
{
	int vt, mt;
	json_t *members = pres_members(ws, conv, &vt, &mt);

	return json_pack("{s:s,s:o,s:b}", "conversation_id", conv, "members", members, "visitor_typing", vt);
}

err_t
inbox_presence_set(struct store *s, const struct principal *p, const char *conv_id,
    const char *state, int note, json_t **out, struct errinfo *ei)
{
	json_t *conv;
	int64_t now = util_now_ms();
	err_t err;

	conv = inbox_conv_get(s, p, conv_id, ei);
	if (conv == NULL)
		return ei->code;
	if (state == NULL || (strcmp(state, "viewing") && strcmp(state, "typing") && strcmp(state, "left")))
		err = err_set(ei, ERR_INVALID, "send {\"state\": \"viewing\" | \"typing\" | \"left\"}");
	else if (p->kind != P_MEMBER)
		err = err_set(ei, ERR_INVALID, "presence is for members signed in to the app, not API tokens");
	else if (strcmp(state, "typing") == 0 && p->role < ROLE_AGENT)
		err = err_set(ei, ERR_FORBIDDEN, "viewers cannot reply, so they cannot be typing");
	else
		err = ERR_OK;
	if (err) {
		json_decref(conv);
		return err;
	}
	pthread_once(&pres_once, pres_init);
	pthread_mutex_lock(&pres_mu);
	err = pres_set(conv, p->workspace_id, p->id, p->name[0] ? p->name : p->email, state, note, now, ei);
	if (!err && out != NULL)
		*out = pres_view(p->workspace_id, conv_id);
	pthread_mutex_unlock(&pres_mu);
	json_decref(conv);
	return err;
}

json_t *
inbox_presence_get(struct store *s, const struct principal *p, const char *conv_id,
    struct errinfo *ei)
{
	json_t *conv = inbox_conv_get(s, p, conv_id, ei), *out;
	int64_t now = util_now_ms();

	if (conv == NULL)
		return NULL;
	json_decref(conv);
	pthread_mutex_lock(&pres_mu);
	pres_sweep(now);
	out = pres_view(p->workspace_id, conv_id);
	pthread_mutex_unlock(&pres_mu);
	return out;
}

err_t
inbox_presence_visitor_typing(struct store *s, const struct principal *p, const char *conv_id,
    int typing, struct errinfo *ei)
{
	json_t *conv;
	err_t err;

	if (p->kind != P_VISITOR)
		return err_set(ei, ERR_FORBIDDEN, "only the conversation's visitor");
	conv = inbox_conv_get(s, p, conv_id, ei);
	if (conv == NULL)
		return ei->code;
	pthread_once(&pres_once, pres_init);
	pthread_mutex_lock(&pres_mu);
	err = pres_set(conv, p->workspace_id, "", NULL, typing ? "typing" : "left", 0, util_now_ms(), ei);
	pthread_mutex_unlock(&pres_mu);
	json_decref(conv);
	return err;
}

/* ---- mentions ---- */

/* Does body contain "@" + word, case-insensitively, ending at a word boundary? */
static int
mention_has(const char *body, const char *word)
{
	size_t n = strlen(word);
	const char *q;

	if (n == 0)
		return 0;
	for (q = strchr(body, '@'); q != NULL; q = strchr(q + 1, '@')) {
		unsigned char end;

		if (q > body && (isalnum((unsigned char)q[-1]) || q[-1] == '.' || q[-1] == '_'))
			continue; /* part of an e-mail address written in the text */
		if (strncasecmp(q + 1, word, n) != 0)
			continue;
		end = (unsigned char)q[1 + n];
		if (end == '\0' || !(isalnum(end) || end == '_' || end == '-' || end >= 0x80 ||
		    (end == '.' && isalnum((unsigned char)q[2 + n]))))
			return 1;
	}
	return 0;
}

static int
mention_can_see(const json_t *m, const json_t *conv)
{
	return inbox_site_in(json_object_get(m, "sites"), jsonx_str(conv, "site"));
}

json_t *
inbox_mentions_find(struct store *s, const char *ws, const json_t *conv, const char *author_id,
    const char *body)
{
	json_t *members, *out = json_array();
	size_t i, k;

	if (strchr(body, '@') == NULL)
		return out;
	members = ST(s, member_list, ws);
	for (i = 0; i < json_array_size(members) && json_array_size(out) < MENTION_MAX; i++) {
		json_t *m = json_array_get(members, i);
		const char *id = jsonx_str(m, "id"), *email = jsonx_str(m, "email");
		const char *name = jsonx_str(m, "name") ? jsonx_str(m, "name") : "";
		char local[128], first[64];
		int hit, uniq_local = 1, uniq_first = 1;

		if (id == NULL || email == NULL || (author_id != NULL && strcmp(id, author_id) == 0))
			continue;
		snprintf(local, sizeof(local), "%.*s", (int)strcspn(email, "@"), email);
		if (inbox_first_name(name, first) == NULL)
			first[0] = '\0';
		for (k = 0; k < json_array_size(members); k++) {
			json_t *o = json_array_get(members, k);
			const char *oe = jsonx_str(o, "email"), *on = jsonx_str(o, "name");
			char ol[128], of[64];

			if (o == m)
				continue;
			snprintf(ol, sizeof(ol), "%.*s", oe ? (int)strcspn(oe, "@") : 0, oe ? oe : "");
			if (inbox_first_name(on, of) == NULL)
				of[0] = '\0';
			uniq_local &= strcasecmp(ol, local) != 0;
			uniq_first &= strcasecmp(of, first) != 0;
		}
		hit = mention_has(body, email) || (uniq_local && mention_has(body, local)) ||
		    (name[0] && mention_has(body, name)) || (uniq_first && first[0] && mention_has(body, first));
		if (hit && mention_can_see(m, conv))
			json_array_append_new(out, json_pack("{s:s,s:s}", "id", id, "name", name[0] ? name : email));
	}
	json_decref(members);
	return out;
}

err_t
inbox_mentions_notify_tx(struct inbox_tx *tx, const struct principal *p, const json_t *conv,
    int64_t msg_id, int internal, const json_t *mentions)
{
	const char *ws = p->workspace_id, *cid = jsonx_str(conv, "id");
	json_t *ids = json_array();
	char text[300], actor[128];
	int64_t now = util_now_ms();
	size_t i;
	err_t err = ERR_OK;

	snprintf(text, sizeof(text), "%.100s mentioned you in %s #%lld",
	    p->name[0] ? p->name : p->kind == P_TOKEN ? "An API client" : p->email, internal ? "a note on" : "a reply in",
	    (long long)jsonx_int(conv, "number", 0));
	for (i = 0; !err && i < json_array_size(mentions); i++) {
		const char *mid = jsonx_str(json_array_get(mentions, i), "id");
		json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "workspace_id", ws, "member_id", mid, "kind",
		    "mention", "conversation_id", cid, "text", text, "created_at", (json_int_t)now);
		int64_t id = ST(tx->s, notification_add, row);

		if (id < 0) {
			err = ERR_STORE;
		} else {
			json_object_set_new(row, "id", json_integer(id));
			json_object_set_new(row, "message_id", json_integer(msg_id));
			json_object_set_new(row, "read_at", json_null());
			err = inbox_tx_event_member(tx, ws, conv, mid, "notification.created",
			    json_pack("{s:o}", "notification", jsonx_present(json_deep_copy(row))));
		}
		json_array_append_new(ids, json_string(mid));
		json_decref(row);
	}
	if (!err && json_array_size(ids) > 0)
		err = inbox_audit(tx->s, ws, inbox_actor(p, actor), "mention.notify", cid, NULL,
		    json_pack("{s:I,s:O}", "message_id", (json_int_t)msg_id, "members", ids));
	json_decref(ids);
	return err;
}

const char *
inbox_first_name(const char *name, char out[64])
{
	size_t n;

	while (name != NULL && (*name == ' ' || *name == '\t'))
		name++;
	if (name == NULL || *name == '\0')
		return NULL;
	n = strcspn(name, " \t");
	if (n > 60)
		n = 60;
	/* Never cut a UTF-8 sequence in half. */
	while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
		n--;
	snprintf(out, 64, "%.*s", (int)n, name);
	return out;
}

/* ---- saved views (per member) and saved replies (per workspace) ---- */

#define VIEWS_MAX 100
#define REPLIES_MAX 500
#define REPLY_BODY_MAX 10000

static const char *const view_keys[] = {"status", "mode", "assignee", "channel", "site", "tags_any",
	"tags_all", "created_after", "created_before", "sort", "order", "q", NULL};

static err_t
collab_text(const json_t *req, const char *key, size_t max, int required, const char **out,
    struct errinfo *ei)
{
	json_t *v = json_object_get(req, key);
	const char *t, *q;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return required ? err_set(ei, ERR_INVALID, "%s is required", key) : ERR_OK;
	if (!json_is_string(v))
		return err_set(ei, ERR_INVALID, "%s must be a string", key);
	t = json_string_value(v);
	for (q = t; *q == ' ' || *q == '\n' || *q == '\t' || *q == '\r'; q++)
		;
	if (*q == '\0')
		return err_set(ei, ERR_INVALID, "%s must not be empty", key);
	if (strlen(t) > max)
		return err_set(ei, ERR_INVALID, "%s must be at most %zu bytes", key, max);
	if (!util_utf8_valid(t, strlen(t)))
		return err_set(ei, ERR_INVALID, "%s must be valid UTF-8 text", key);
	*out = t;
	return ERR_OK;
}

/* filters: an object of known filter names to short strings. */
static err_t
collab_filters(const json_t *req, json_t **out, struct errinfo *ei)
{
	json_t *f = json_object_get(req, "filters"), *v;
	const char *k;
	size_t i;

	*out = NULL;
	if (f == NULL)
		return ERR_OK;
	if (!json_is_object(f))
		return err_set(ei, ERR_INVALID, "filters must be an object of filter names to strings");
	json_object_foreach(f, k, v) {
		for (i = 0; view_keys[i] != NULL && strcmp(view_keys[i], k) != 0; i++)
			;
		if (view_keys[i] == NULL)
			return err_set(ei, ERR_INVALID, "filters.%.40s is not a filter (status, mode, assignee, channel, "
			    "site, tags_any, tags_all, created_after, created_before, sort, order, q)", k);
		if (!json_is_string(v) || json_string_length(v) > 200 ||
		    !util_utf8_valid(json_string_value(v), json_string_length(v)))
			return err_set(ei, ERR_INVALID, "filters.%s must be a string of at most 200 bytes", k);
	}
	*out = (json_t *)f;
	return ERR_OK;
}

static err_t
collab_member_only(const struct principal *p, struct errinfo *ei)
{
	if (p->kind != P_MEMBER)
		return err_set(ei, ERR_INVALID, "saved views belong to a member; sign in as one (API tokens have none)");
	return ERR_OK;
}

/* Run one store change with its audit row in a transaction. */
static err_t
collab_audited(struct store *s, const struct principal *p, const char *action, const char *object,
    json_t *before, json_t *after, err_t (*fn)(struct store *, void *), void *arg, struct errinfo *ei)
{
	struct inbox_tx tx;
	char actor[128];
	err_t err = inbox_tx_begin(&tx, s);

	if (err) {
		json_decref(before);
		json_decref(after);
		return err_set(ei, err, "the store is busy; try again");
	}
	err = fn(s, arg);
	if (err) {
		inbox_tx_abort(&tx);
		json_decref(before);
		json_decref(after);
		return err == ERR_NOT_FOUND ? err_set(ei, err, "no such %s", strncmp(action, "view", 4) == 0 ?
		    "saved view" : "saved reply") : err_set(ei, err, "could not save");
	}
	err = inbox_audit(s, p->workspace_id, inbox_actor(p, actor), action, object, before, after);
	if (err) {
		inbox_tx_abort(&tx);
		return err_set(ei, err, "could not write the audit trail");
	}
	err = inbox_tx_commit(&tx);
	return err ? err_set(ei, err, "could not save") : ERR_OK;
}

struct collab_op {
	const struct principal *p;
	int64_t id;
	json_t *row;
	const char *name;
	json_t *filters;
	int64_t now;
};

static err_t
view_insert(struct store *s, void *arg)
{
	struct collab_op *op = arg;

	op->id = ST(s, view_create, op->row);
	return op->id < 0 ? ERR_STORE : ERR_OK;
}

static err_t
view_change(struct store *s, void *arg)
{
	struct collab_op *op = arg;

	return ST(s, view_update, op->p->workspace_id, op->p->id, op->id, op->name, op->filters, op->now);
}

static err_t
view_remove(struct store *s, void *arg)
{
	struct collab_op *op = arg;

	return ST(s, view_delete, op->p->workspace_id, op->p->id, op->id);
}

err_t
inbox_view_save(struct store *s, const struct principal *p, int64_t id, const json_t *req,
    json_t **out, struct errinfo *ei)
{
	struct collab_op op;
	char obj[64];
	err_t err;

	memset(&op, 0, sizeof(op));
	op.p = p;
	op.now = util_now_ms();
	if (collab_member_only(p, ei) || collab_text(req, "name", 80, id <= 0, &op.name, ei) ||
	    collab_filters(req, &op.filters, ei))
		return ei->code;
	if (id <= 0) {
		json_t *have = ST(s, view_list, p->workspace_id, p->id);
		size_t n = json_array_size(have);

		json_decref(have);
		if (n >= VIEWS_MAX)
			return err_set(ei, ERR_INVALID, "you have %d saved views; delete one first", VIEWS_MAX);
		op.row = json_pack("{s:s,s:s,s:s,s:O,s:I,s:I}", "workspace_id", p->workspace_id, "member_id", p->id,
		    "name", op.name, "filters", op.filters ? op.filters : json_object(), "created_at", (json_int_t)op.now,
		    "updated_at", (json_int_t)op.now);
		if (op.filters == NULL)
			json_decref(json_object_get(op.row, "filters")); /* the O took a second reference */
		err = collab_audited(s, p, "view.create", "view", NULL, json_pack("{s:s}", "name", op.name),
		    view_insert, &op, ei);
		json_decref(op.row);
		id = op.id;
	} else {
		if (op.name == NULL && op.filters == NULL)
			return err_set(ei, ERR_INVALID, "give name or filters to change");
		op.id = id;
		snprintf(obj, sizeof(obj), "view:%lld", (long long)id);
		err = collab_audited(s, p, "view.update", obj, NULL, json_pack("{s:s?}", "name", op.name),
		    view_change, &op, ei);
	}
	if (!err && out != NULL) {
		*out = ST(s, view_get, p->workspace_id, p->id, id);
		jsonx_present(*out);
	}
	return err;
}

err_t
inbox_view_delete(struct store *s, const struct principal *p, int64_t id, struct errinfo *ei)
{
	struct collab_op op;
	char obj[64];

	if (collab_member_only(p, ei))
		return ei->code;
	memset(&op, 0, sizeof(op));
	op.p = p;
	op.id = id;
	snprintf(obj, sizeof(obj), "view:%lld", (long long)id);
	return collab_audited(s, p, "view.delete", obj, NULL, NULL, view_remove, &op, ei);
}

static err_t
reply_insert(struct store *s, void *arg)
{
	struct collab_op *op = arg;

	op->id = ST(s, reply_create, op->row);
	return op->id < 0 ? ERR_STORE : ERR_OK;
}

static err_t
reply_change(struct store *s, void *arg)
{
	struct collab_op *op = arg;

	return ST(s, reply_update, op->p->workspace_id, op->id, op->row);
}

static err_t
reply_remove(struct store *s, void *arg)
{
	struct collab_op *op = arg;

	return ST(s, reply_delete, op->p->workspace_id, op->id);
}

err_t
inbox_reply_save(struct store *s, const struct principal *p, int64_t id, const json_t *req,
    json_t **out, struct errinfo *ei)
{
	struct collab_op op;
	const char *title, *body;
	char obj[64];
	err_t err;

	memset(&op, 0, sizeof(op));
	op.p = p;
	op.now = util_now_ms();
	if (collab_text(req, "title", 120, id <= 0, &title, ei) ||
	    collab_text(req, "body", REPLY_BODY_MAX, id <= 0, &body, ei))
		return ei->code;
	if (id <= 0) {
		json_t *have = ST(s, reply_list, p->workspace_id);
		size_t n = json_array_size(have);

		json_decref(have);
		if (n >= REPLIES_MAX)
			return err_set(ei, ERR_INVALID, "the workspace has %d saved replies; delete one first", REPLIES_MAX);
		op.row = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "workspace_id", p->workspace_id, "title", title,
		    "body", body, "created_by", p->id, "created_at", (json_int_t)op.now, "updated_at", (json_int_t)op.now);
		err = collab_audited(s, p, "saved_reply.create", "saved_reply", NULL,
		    json_pack("{s:s}", "title", title), reply_insert, &op, ei);
		id = op.id;
	} else {
		if (title == NULL && body == NULL)
			return err_set(ei, ERR_INVALID, "give title or body to change");
		op.id = id;
		op.row = json_pack("{s:s?,s:s?,s:I}", "title", title, "body", body, "updated_at", (json_int_t)op.now);
		if (title == NULL)
			json_object_del(op.row, "title");
		if (body == NULL)
			json_object_del(op.row, "body");
		snprintf(obj, sizeof(obj), "saved_reply:%lld", (long long)id);
		err = collab_audited(s, p, "saved_reply.update", obj, NULL, json_pack("{s:s?}", "title", title),
		    reply_change, &op, ei);
	}
	json_decref(op.row);
	if (!err && out != NULL) {
		*out = ST(s, reply_get, p->workspace_id, id);
		jsonx_present(*out);
	}
	return err;
}

err_t
inbox_reply_delete(struct store *s, const struct principal *p, int64_t id, struct errinfo *ei)
{
	struct collab_op op;
	char obj[64];

	memset(&op, 0, sizeof(op));
	op.p = p;
	op.id = id;
	snprintf(obj, sizeof(obj), "saved_reply:%lld", (long long)id);
	return collab_audited(s, p, "saved_reply.delete", obj, NULL, NULL, reply_remove, &op, ei);
}
