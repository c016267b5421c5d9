/* test_collab.c: collaboration in the domain over a real SQLite file (issue
 * 4): who an @mention names (e-mail, handle, full and first name, word
 * boundaries, site scope, ambiguity), notifications and member-only events in
 * the message's transaction, first names for the widget, and presence
 * published on the bus with its expiry. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bus.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox/inbox.h"
#include "store/store.h"
#include "test.h"

static char last_presence[4096];
static char last_typing[256];
static int presence_events, notif_events, ephemeral_with_id, typing_events;
static char notif_member[64];

static void
on_ev(void *ctx, const struct bus_event *ev)
{
	(void)ctx;
	if (strcmp(ev->type, "conversation.presence") == 0) {
		presence_events++;
		snprintf(last_presence, sizeof(last_presence), "%s", ev->data);
		ephemeral_with_id += ev->id != 0 || !ev->ephemeral || !ev->internal;
	} else if (strcmp(ev->type, "conversation.typing") == 0) {
		typing_events++;
		snprintf(last_typing, sizeof(last_typing), "%s", ev->data);
		ephemeral_with_id += ev->id != 0 || !ev->ephemeral || ev->internal;
	} else if (strcmp(ev->type, "notification.created") == 0) {
		notif_events++;
		snprintf(notif_member, sizeof(notif_member), "%s", ev->member_id ? ev->member_id : "(none)");
	}
}

static void
add_member(struct store *s, const char *ws, const char *id, const char *email, const char *name,
    const char *role, const char *site)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "id", id, "workspace_id", ws, "email", email,
	    "name", name, "role", role, "organisation", "", "created_at", (json_int_t)util_now_ms());

	json_object_set_new(m, "sites", site ? json_pack("[s]", site) : json_array());
	if (ST(s, member_create, m))
		printf("FAIL cannot create member %s\n", id);
	json_decref(m);
}

/* The ids mentioned in body, as "id,id," in member order. */
static const char *
mentioned(struct store *s, const char *ws, const json_t *conv, const char *author, const char *body,
    char out[256])
{
	json_t *arr = inbox_mentions_find(s, ws, conv, author, body);
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < json_array_size(arr); i++)
		n += (size_t)snprintf(out + n, 256 - n, "%s,", jsonx_str(json_array_get(arr, i), "id"));
	json_decref(arr);
	return out;
}

static int
wait_for(const char *needle, int want_present)
{
	struct timespec ts = {0, 20 * 1000000L};
	int i;

	for (i = 0; i < 250; i++) { /* up to 5 s; the expiry here is 300 ms */
		if ((strstr(last_presence, needle) != NULL) == want_present)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/baton-test-collab-XXXXXX", vt[80], buf[256], first[64];
	struct errinfo ei = {0};
	struct store *s;
	struct principal ana = {0}, vera = {0}, visitor = {0};
	json_t *wsobj = NULL, *out = NULL, *other = NULL, *conv = NULL, *msg = NULL, *ctx, *list;
	const char *ws, *cid;
	struct bus_sub *sub;

	/* Short expiries (viewing, typing) so the test waits less than a second. */
	setenv("BATON_PRESENCE_TTL_MS", "600,300", 1);
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	s = store_open(dir, &ei);
	if (s == NULL)
		return 1;
	sub = bus_subscribe(on_ev, NULL);
	CHECK(inbox_workspace_create(s, "Trial", "owner@site.org", &wsobj, &ei) == ERR_OK, "create a workspace");
	CHECK(inbox_workspace_create(s, "Other", "boss@cro.org", &other, &ei) == ERR_OK, "and another");
	ws = jsonx_str(wsobj, "workspace_id");
	add_member(s, ws, "m_ana", "ana.silva@site.org", "Ana Silva", "agent", NULL);
	add_member(s, ws, "m_ben", "b.okafor@site.org", "Ben Okafor", "agent", NULL);
	add_member(s, ws, "m_bena", "benedict@site.org", "Ben Adams", "agent", NULL);
	add_member(s, ws, "m_sam", "sam@site.org", "Sam Far", "agent", "Site-202");
	add_member(s, ws, "m_vera", "vera@site.org", "Vera Lin", "viewer", NULL);
	add_member(s, jsonx_str(other, "workspace_id"), "m_zed", "zed@cro.org", "Zed Other", "admin", NULL);
	ctx = json_pack("{s:s}", "site", "Site-101");
	CHECK(inbox_conv_start(s, ws, "widget", ctx, vt, &conv, &ei) == ERR_OK, "start a conversation at Site-101");
	json_decref(ctx);
	cid = jsonx_str(conv, "id");

	/* ---- who a mention names ---- */
	CHECK_STR(mentioned(s, ws, conv, NULL, "@ana.silva@site.org please", buf), "m_ana,", "an e-mail mentions");
	CHECK_STR(mentioned(s, ws, conv, NULL, "cc @ana.silva.", buf), "m_ana,", "the handle (e-mail local part), before a full stop");
	CHECK_STR(mentioned(s, ws, conv, NULL, "Thanks @Ana Silva!", buf), "m_ana,", "the full name, any case");
	CHECK_STR(mentioned(s, ws, conv, NULL, "@ana can you", buf), "m_ana,", "a unique first name");
	CHECK_STR(mentioned(s, ws, conv, NULL, "@Ben can you", buf), "", "a first name two members share names nobody");
	CHECK_STR(mentioned(s, ws, conv, NULL, "@b.okafor can you", buf), "m_ben,", "but a handle is unique");
	CHECK_STR(mentioned(s, ws, conv, NULL, "@Ben Adams and @Ben Okafor", buf), "m_ben,m_bena,", "full names tell them apart");
	CHECK_STR(mentioned(s, ws, conv, NULL, "@benjamin is not ben", buf), "", "a longer word is not a mention");
	CHECK_STR(mentioned(s, ws, conv, NULL, "write to x@ben.org", buf), "", "an address in the text is not a mention");
	CHECK_STR(mentioned(s, ws, conv, NULL, "@sam please", buf), "", "a member who cannot see the site is not named");
	CHECK_STR(mentioned(s, ws, conv, NULL, "@zed @zed@cro.org", buf), "", "another workspace's member is not named");
	CHECK_STR(mentioned(s, ws, conv, "m_ana", "@ana note to self", buf), "", "nobody mentions themselves");
	CHECK_STR(mentioned(s, ws, conv, NULL, "no at sign here", buf), "", "no @, no mention");
	CHECK_STR(mentioned(s, ws, conv, NULL, "@vera@site.org", buf), "m_vera,", "viewers can be mentioned");
	CHECK(inbox_first_name("  Ana Silva", first) != NULL && strcmp(first, "Ana") == 0, "the first name is the first word");
	CHECK(inbox_first_name("", first) == NULL && inbox_first_name(NULL, first) == NULL, "no name, no first name");

	/* ---- a note with a mention: notification and an event for that member only ---- */
	ana.kind = P_MEMBER;
	ana.role = ROLE_AGENT;
	snprintf(ana.workspace_id, sizeof(ana.workspace_id), "%s", ws);
	snprintf(ana.id, sizeof(ana.id), "m_ana");
	snprintf(ana.name, sizeof(ana.name), "Ana Silva");
	snprintf(ana.email, sizeof(ana.email), "ana.silva@site.org");
	CHECK(inbox_msg_post(s, &ana, cid, "member", "@b.okafor can you check the courier?", 1, NULL, &msg, &ei) == ERR_OK,
	    "a member posts a note with a mention");
	CHECK(json_array_size(json_object_get(msg, "mentions")) == 1, "the message lists who was mentioned");
	CHECK(notif_events == 1 && strcmp(notif_member, "m_ben") == 0, "one notification event, aimed at that member");
	list = ST(s, notification_list, ws, "m_ben", 10);
	CHECK(json_array_size(list) == 1 && strcmp(jsonx_str(json_array_get(list, 0), "kind"), "mention") == 0,
	    "the notification is stored for the member");
	CHECK(list && strstr(jsonx_str(json_array_get(list, 0), "text"), "Ana Silva mentioned you") != NULL, "saying who");
	json_decref(list);
	list = ST(s, notification_list, ws, "m_ana", 10);
	CHECK(json_array_size(list) == 0, "the author gets none");
	json_decref(list);
	json_decref(msg);
	msg = NULL;
	CHECK(inbox_msg_post(s, &ana, cid, "member", "Public reply from the team", 0, NULL, &msg, &ei) == ERR_OK,
	    "a public reply");
	CHECK_STR(jsonx_str(msg, "author_name"), "Ana", "carries the author's first name for the widget");
	json_decref(msg);
	msg = NULL;

	/* ---- presence ---- */
	CHECK(inbox_presence_set(s, &ana, cid, "dancing", 0, NULL, &ei) == ERR_INVALID, "an unknown state is refused");
	CHECK(inbox_presence_set(s, &ana, cid, "viewing", 0, &out, &ei) == ERR_OK, "a member views");
	json_decref(out);
	out = NULL;
	CHECK(strstr(last_presence, "\"m_ana\"") && strstr(last_presence, "viewing"), "presence is published with the member");
	CHECK(inbox_presence_set(s, &ana, cid, "typing", 0, NULL, &ei) == ERR_OK && strstr(last_presence, "\"state\":\"typing\""),
	    "typing is published");
	CHECK(strstr(last_typing, "\"typing\":true") != NULL, "the visitor's stream hears that someone types, with no name");
	CHECK(strstr(last_typing, "Ana") == NULL && strstr(last_typing, "m_ana") == NULL, "no name nor id for the visitor");
	CHECK(ephemeral_with_id == 0, "presence events are ephemeral: no id, members-only presence, public typing flag");
	vera = ana;
	vera.role = ROLE_VIEWER;
	snprintf(vera.id, sizeof(vera.id), "m_vera");
	CHECK(inbox_presence_set(s, &vera, cid, "typing", 0, NULL, &ei) == ERR_FORBIDDEN, "a viewer cannot type");
	{
		struct principal sam = ana;

		sam.sites = json_pack("[s]", "Site-202");
		snprintf(sam.id, sizeof(sam.id), "m_sam");
		CHECK(inbox_presence_set(s, &sam, cid, "viewing", 0, NULL, &ei) == ERR_NOT_FOUND, "another site cannot be present");
		json_decref(sam.sites);
	}
	CHECK(wait_for("\"state\":\"typing\"", 0) && strstr(last_presence, "\"m_ana\""), "typing expires into viewing");
	CHECK(strstr(last_typing, "\"typing\":false") != NULL, "and the visitor hears it stop");
	CHECK(wait_for("\"m_ana\"", 0), "viewing expires without a heartbeat");
	out = inbox_presence_get(s, &ana, cid, &ei);
	CHECK(out && json_array_size(json_object_get(out, "members")) == 0, "GET presence is empty after expiry");
	json_decref(out);
	out = NULL;
	CHECK(inbox_visitor_lookup(s, cid, vt, &visitor) == ERR_OK, "the visitor's token");
	CHECK(inbox_presence_visitor_typing(s, &visitor, cid, 1, &ei) == ERR_OK && strstr(last_presence, "\"visitor_typing\":true"),
	    "members hear the visitor typing");
	CHECK(inbox_presence_visitor_typing(s, &visitor, cid, 0, &ei) == ERR_OK && strstr(last_presence, "\"visitor_typing\":false"),
	    "and stopping");
	CHECK(inbox_presence_visitor_typing(s, &ana, cid, 1, &ei) == ERR_FORBIDDEN, "a member is not the visitor");
	presence_events = 0;
	{
		int i, limited = 0;

		for (i = 0; i < 20; i++)
			limited += inbox_presence_set(s, &ana, cid, "viewing", 0, NULL, &ei) == ERR_RATE_LIMITED;
		CHECK(limited > 0, "presence updates are rate-limited");
	}
	CHECK(presence_events == 1, "a heartbeat that changes nothing publishes nothing");
	{
		struct principal ben = ana;
		int before = typing_events;

		snprintf(ben.id, sizeof(ben.id), "m_ben");
		CHECK(inbox_presence_set(s, &ben, cid, "typing", 1, NULL, &ei) == ERR_OK &&
		    strstr(last_presence, "\"note\":true") != NULL, "typing a note is shown to members as a note");
		CHECK(typing_events == before, "and not announced to the visitor");
		CHECK(inbox_presence_set(s, &ben, cid, "typing", 0, NULL, &ei) == ERR_OK && typing_events == before + 1,
		    "a reply being typed is");
	}

	bus_unsubscribe(sub);
	principal_clear(&visitor);
	json_decref(conv);
	json_decref(other);
	json_decref(wsobj);
	ST(s, close);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("could not remove %s\n", dir);
	}
	return test_done();
}
