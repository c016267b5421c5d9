/* test_stale.c: stale-thread notices with an injected clock: nothing before
 * the workspace's limit; the assignee is told once the limit passes; not
 * again within the same limit; again after another full limit; the on-call
 * primary when nobody is assigned; nothing after a team reply; each notice on
 * the timeline and in the audit trail. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channels.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox/inbox.h"
#include "test.h"

static int
notes_of(struct store *s, const char *ws, const char *member, const char *conv)
{
	json_t *n = ST(s, notification_list, ws, member, 100);
	size_t i;
	int k = 0;

	for (i = 0; i < json_array_size(n); i++) {
		json_t *r = json_array_get(n, i);

		k += strcmp(jsonx_str(r, "kind"), "stale") == 0 && jsonx_str(r, "conversation_id") &&
		    strcmp(jsonx_str(r, "conversation_id"), conv) == 0;
	}
	json_decref(n);
	return k;
}

static int
timeline_count(struct store *s, const char *conv, const char *kind)
{
	json_t *tl = ST(s, timeline_list, conv);
	size_t i;
	int n = 0;

	for (i = 0; i < json_array_size(tl); i++)
		n += strcmp(jsonx_str(json_array_get(tl, i), "kind"), kind) == 0;
	json_decref(tl);
	return n;
}

int
main(void)
{
	char dir[] = "/tmp/baton-stale-XXXXXX", ws[40], owner_id[40], cmd[300], vt[80];
	struct errinfo ei = {0};
	struct store *s;
	struct principal owner = {0}, visitor = {0};
	json_t *out = NULL, *conv = NULL, *conv2 = NULL, *m, *msg = NULL;
	const char *cid, *cid2;
	int64_t t0, min = 60000;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	s = store_open(dir, &ei);
	if (s == NULL)
		return 1;
	inbox_set_agent_hook(NULL);
	CHECK(inbox_workspace_create(s, "Trial", "owner@site.test", &out, &ei) == ERR_OK, "a workspace");
	snprintf(ws, sizeof(ws), "%s", jsonx_str(out, "workspace_id"));
	m = ST(s, member_by_email, "owner@site.test");
	snprintf(owner_id, sizeof(owner_id), "%s", jsonx_str(m, "id"));
	json_decref(m);
	{
		json_t *set = json_pack("{s:i}", "stale_minutes", 30);

		ST(s, workspace_set_settings, ws, set);
		json_decref(set);
	}
	CHECK(inbox_conv_start(s, ws, "widget", NULL, vt, &conv, &ei) == ERR_OK, "a conversation");
	cid = jsonx_str(conv, "id");
	CHECK(inbox_conv_handoff(s, cid, "human_requested", NULL, &ei) == ERR_OK, "handed off: waiting on the team");
	memset(&owner, 0, sizeof(owner));
	owner.kind = P_MEMBER;
	owner.role = ROLE_OWNER;
	snprintf(owner.workspace_id, sizeof(owner.workspace_id), "%s", ws);
	snprintf(owner.id, sizeof(owner.id), "%s", owner_id);
	{
		json_t *o = NULL;

		CHECK(inbox_conv_assign(s, &owner, cid, owner_id, &o, &ei) == ERR_OK, "assigned to the owner");
		json_decref(o);
	}
	m = ST(s, conv_get, ws, cid);
	t0 = jsonx_int(m, "updated_at", 0);
	json_decref(m);

	CHECK(channels_stale_tick(s, t0 + 29 * min) == 0, "29 of 30 minutes: nothing");
	CHECK(channels_stale_tick(s, t0 + 30 * min) == 1, "30 minutes: a notice");
	CHECK(notes_of(s, ws, owner_id, cid) == 1, "the assignee is notified");
	CHECK(timeline_count(s, cid, "stale_notified") == 1, "on the timeline");
	CHECK(channels_stale_tick(s, t0 + 31 * min) == 0 && channels_stale_tick(s, t0 + 59 * min) == 0,
	    "not again within the same limit");
	CHECK(channels_stale_tick(s, t0 + 60 * min) == 1 && notes_of(s, ws, owner_id, cid) == 2,
	    "again after another full limit");
	{
		json_t *a = ST(s, audit_page, 0, 1000);
		size_t i;
		int n = 0;

		for (i = 0; i < json_array_size(a); i++)
			n += strcmp(jsonx_str(json_array_get(a, i), "action"), "conversation.stale_notify") == 0;
		json_decref(a);
		CHECK(n == 2, "each notice is in the audit trail");
	}

	/* Unassigned: the on-call primary is told. */
	{
		json_t *rota = json_pack("[{s:s,s:s,s:s,s:i,s:i,s:i,s:I}]", "workspace_id", ws, "member_id", owner_id, "role",
		    "primary", "weekday", -1, "start_minute", 0, "end_minute", 1440, "created_at", (json_int_t)t0);

		ST(s, rota_set, ws, rota);
		json_decref(rota);
	}
	CHECK(inbox_conv_start(s, ws, "widget", NULL, vt, &conv2, &ei) == ERR_OK, "a second conversation");
	cid2 = jsonx_str(conv2, "id");
	inbox_conv_handoff(s, cid2, "low_confidence", NULL, &ei);
	m = ST(s, conv_get, ws, cid2);
	CHECK(json_is_null(json_object_get(m, "assignee_id")), "nobody has it");
	json_decref(m);
	CHECK(channels_stale_tick(s, t0 + 70 * min) >= 1 && notes_of(s, ws, owner_id, cid2) == 1, "the primary on call is notified");

	/* A team reply ends the notices. */
	inbox_visitor_lookup(s, cid, vt, &visitor);
	CHECK(inbox_msg_post(s, &owner, cid, "member", "I am calling the site now.", 0, NULL, &msg, &ei) == ERR_OK, "the team replies");
	json_decref(msg);
	CHECK(channels_stale_tick(s, t0 + 500 * min) >= 0 && notes_of(s, ws, owner_id, cid) == 2, "no notice after a reply");
	m = ST(s, conv_get, ws, cid);
	CHECK(!inbox_stale_is(m, 30, t0 + 500 * min), "and the thread is not stale");
	json_decref(m);

	principal_clear(&visitor);
	json_decref(out);
	json_decref(conv);
	json_decref(conv2);
	ST(s, close);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return test_done();
}
