/* test_inbox.c: the domain over a real SQLite file: workspaces and logins,
 * the message state machine, manual mode, handoff, events and the audit chain. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/jsonx.h"
#include "inbox/inbox.h"
#include "store/store.h"
#include "test.h"

static int ev_count, ev_internal;
static int64_t ev_last;
static char ev_type[64];

static void
on_ev(void *ctx, const struct bus_event *ev)
{
	(void)ctx;
	if (ev->id <= ev_last)
		ev_count = -1000; /* out of order */
	ev_last = ev->id;
	ev_count++;
	ev_internal += ev->internal;
	snprintf(ev_type, sizeof(ev_type), "%s", ev->type);
}

static int hook_calls;

static void
hook(const char *ws, const char *conv, int64_t msg)
{
	(void)ws;
	(void)conv;
	(void)msg;
	hook_calls++;
}

int
main(void)
{
	char dir[] = "/tmp/baton-test-inbox-XXXXXX", tok[80], vt[80], cmd[300];
	struct errinfo ei = {0};
	struct store *s;
	struct principal owner = {0}, visitor = {0}, agentp = {0};
	json_t *out = NULL, *conv = NULL, *msg = NULL, *c2;
	const char *ws, *cid;
	int64_t rows, bad;
	struct bus_sub *sub;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	s = store_open(dir, &ei);
	if (s == NULL)
		return 1;
	sub = bus_subscribe(on_ev, NULL);
	inbox_set_agent_hook(hook);
	CHECK(inbox_workspace_create(s, "Trial", "owner@site.org", &out, &ei) == ERR_OK, "create a workspace");
	CHECK(inbox_workspace_create(s, "Other", "owner@site.org", &conv, &ei) == ERR_CONFLICT, "an e-mail belongs to one workspace");
	CHECK(inbox_workspace_create(s, "", "x@site.org", &conv, &ei) == ERR_INVALID, "a name is required");
	ws = jsonx_str(out, "workspace_id");
	CHECK(inbox_login(s, "owner@site.org", "wrong", "1.2.3.4", tok, &ei) == ERR_UNAUTHORIZED, "a wrong password is refused");
	CHECK(inbox_login(s, "owner@site.org", jsonx_str(out, "password"), "1.2.3.4", tok, &ei) == ERR_OK, "the generated password logs in");
	CHECK(inbox_session_lookup(s, tok, &owner) == ERR_OK && owner.role == ROLE_OWNER, "the session resolves to the owner");
	CHECK(inbox_session_lookup(s, "bogus-token-bogus-token", &agentp) == ERR_UNAUTHORIZED, "a bogus session is refused");

	{
		json_t *ctx = json_pack("{s:s,s:s}", "site", "Site-101", "name", "Nurse Joy");

		CHECK(inbox_conv_start(s, ws, "widget", ctx, vt, &conv, &ei) == ERR_OK, "start a widget conversation");
		json_decref(ctx);
	}
	cid = jsonx_str(conv, "id");
	CHECK(jsonx_int(conv, "number", 0) == 1, "the first conversation is #1");
	CHECK(strcmp(jsonx_str(conv, "status"), "open") == 0 && strcmp(jsonx_str(conv, "mode"), "agent") == 0, "it starts open in agent mode");
	CHECK(inbox_visitor_lookup(s, cid, vt, &visitor) == ERR_OK, "the visitor token opens it");
	CHECK(inbox_visitor_lookup(s, cid, "vt_nottherighttoken", &agentp) != ERR_OK, "another token does not");

	ev_count = 0;
	CHECK(inbox_msg_post(s, &visitor, cid, "visitor", "When is the week 4 visit?", 0, NULL, &msg, &ei) == ERR_OK, "a visitor posts");
	CHECK(hook_calls == 1, "a visitor message in agent mode calls the agent");
	CHECK(ev_count >= 2 && ev_count < 100, "events are published in id order");
	json_decref(msg);
	CHECK(inbox_msg_post(s, &visitor, cid, "visitor", "   \n ", 0, NULL, &msg, &ei) == ERR_INVALID, "an empty message is refused");
	CHECK(inbox_msg_post(s, &visitor, cid, "visitor", "bad \xff bytes", 0, NULL, &msg, &ei) == ERR_INVALID, "invalid UTF-8 is refused");

	CHECK(inbox_msg_post(s, &owner, cid, "member", "Internal: check the protocol", 1, NULL, &msg, &ei) == ERR_OK, "a member adds a note");
	json_decref(msg);
	c2 = inbox_conv_get(s, &owner, cid, &ei);
	CHECK(c2 && strcmp(jsonx_str(c2, "mode"), "agent") == 0, "a note does not take over");
	json_decref(c2);
	CHECK(inbox_msg_post(s, &owner, cid, "member", "It is day 28 plus or minus 3 days.", 0, NULL, &msg, &ei) == ERR_OK, "a member replies");
	json_decref(msg);
	c2 = inbox_conv_get(s, &owner, cid, &ei);
	CHECK(c2 && strcmp(jsonx_str(c2, "mode"), "manual") == 0, "a member reply switches to manual mode");
	CHECK(c2 && strcmp(jsonx_str(c2, "status"), "pending") == 0, "and waits on the visitor");
	CHECK(c2 && strcmp(jsonx_str(c2, "assignee_id"), owner.id) == 0, "and assigns the replier");
	json_decref(c2);
	CHECK(inbox_msg_post(s, &visitor, cid, "agent", "An agent answer", 0, NULL, &msg, &ei) == ERR_CONFLICT, "the agent is refused in manual mode");
	hook_calls = 0;
	CHECK(inbox_msg_post(s, &visitor, cid, "visitor", "Thanks, and the week 12?", 0, NULL, &msg, &ei) == ERR_OK, "the visitor answers");
	json_decref(msg);
	CHECK(hook_calls == 0, "the agent is not called in manual mode");
	c2 = inbox_conv_get(s, &owner, cid, &ei);
	CHECK(c2 && strcmp(jsonx_str(c2, "status"), "needs_human") == 0, "a visitor reply in manual mode needs a human");
	json_decref(c2);
	CHECK(inbox_conv_handback(s, &owner, cid, &c2, &ei) == ERR_OK && strcmp(jsonx_str(c2, "mode"), "agent") == 0, "hand back to the agent");
	json_decref(c2);
	{
		json_t *extra = json_pack("{s:s,s:s}", "handoff_reason", "key_phrase", "handoff_phrase", "SAE");

		CHECK(inbox_msg_post(s, &visitor, cid, "agent", "A coordinator will reply.", 0, extra, &msg, &ei) == ERR_OK, "the agent hands off with its holding message");
		json_decref(extra);
		json_decref(msg);
	}
	c2 = inbox_conv_get(s, &owner, cid, &ei);
	CHECK(c2 && strcmp(jsonx_str(c2, "status"), "needs_human") == 0 && strcmp(jsonx_str(c2, "handoff_reason"), "key_phrase") == 0, "the handoff reason is recorded");
	json_decref(c2);
	CHECK(inbox_conv_status(s, &owner, cid, "closed", &c2, &ei) == ERR_INVALID, "an unknown status is refused");
	CHECK(inbox_conv_status(s, &owner, cid, "resolved", &c2, &ei) == ERR_OK, "resolve");
	json_decref(c2);
	CHECK(inbox_conv_assign(s, &owner, cid, "mb_nobody", &c2, &ei) == ERR_INVALID, "assigning a stranger is refused");
	{
		struct principal other = owner;

		snprintf(other.workspace_id, sizeof(other.workspace_id), "ws_other");
		other.sites = NULL;
		CHECK(inbox_conv_get(s, &other, cid, &ei) == NULL && ei.code == ERR_NOT_FOUND, "another workspace cannot see it");
		other = owner;
		other.sites = json_pack("[s]", "Site-202");
		CHECK(inbox_conv_get(s, &other, cid, &ei) == NULL, "a member scoped to another site cannot see it");
		json_decref(other.sites);
	}
	CHECK(inbox_audit_verify(s, &rows, &bad, &ei) == ERR_OK && rows > 8, "the audit chain verifies");
	ST(s, close);
	snprintf(cmd, sizeof(cmd), "sqlite3 %s/baton.db \"DROP TRIGGER audit_no_update; UPDATE audit SET actor='mallory' WHERE id=3\"", dir);
	if (system("command -v sqlite3 >/dev/null") == 0 && system(cmd) == 0) {
		s = store_open(dir, &ei);
		CHECK(inbox_audit_verify(s, &rows, &bad, &ei) != ERR_OK && bad == 3, "a tampered row is found by number");
		ST(s, close);
	} else {
		printf("skip: sqlite3 CLI is absent; tamper check not run\n");
	}
	bus_unsubscribe(sub);
	json_decref(out);
	json_decref(conv);
	principal_clear(&owner);
	principal_clear(&visitor);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
