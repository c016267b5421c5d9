/* test_oncall.c: the escalation ladder with an injected clock: primary
 * (assigned and notified), then the backup after N minutes without an
 * acknowledgement, then the admins; each step on the timeline and in the
 * audit trail; an acknowledgement stops the ladder; the rota by weekday and
 * hour in the workspace's time zone; member status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channels/channels.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox/inbox.h"
#include "test.h"

static int
count_kind(struct store *s, const char *conv, const char *kind)
{
	json_t *tl = ST(s, timeline_list, conv);
	size_t i;
	int n = 0;

	for (i = 0; i < json_array_size(tl); i++)
		if (strcmp(jsonx_str(json_array_get(tl, i), "kind"), kind) == 0)
			n++;
	json_decref(tl);
	return n;
}

static int
notes_of(struct store *s, const char *ws, const char *member)
{
	json_t *n = ST(s, notification_list, ws, member, 100);
	int k = (int)json_array_size(n);

	json_decref(n);
	return k;
}

static char *
add_member(struct store *s, const char *ws, const char *id, const char *email, const char *role)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "id", id, "workspace_id", ws, "email", email, "name", id,
	    "role", role, "password_hash", "x", "created_at", (json_int_t)util_now_ms());

	ST(s, member_create, m);
	json_decref(m);
	return (char *)id;
}

int
main(void)
{
	char dir[] = "/tmp/baton-oncall-XXXXXX";
	struct errinfo ei = {0};
	struct store *s;
	json_t *out = NULL, *conv = NULL, *rota, *who, *esc, *w;
	const char *ws, *owner;
	char cmd[300];
	/* Tuesday 2026-11-24 10:00 UTC */
	int64_t t0 = 1795514400000LL, min = 60000;

	if (mkdtemp(dir) == NULL)
		return 1;
	/* Webhook retries back off by doubling from the base, with a ceiling. */
	unsetenv("BATON_WEBHOOK_BACKOFF_MS");
	CHECK(channels_webhook_backoff_ms(1) == 5000 && channels_webhook_backoff_ms(2) == 10000 &&
	    channels_webhook_backoff_ms(3) == 20000, "webhook backoff doubles from 5 s");
	CHECK(channels_webhook_backoff_ms(40) == channels_webhook_backoff_ms(12), "webhook backoff stops growing");
	setenv("BATON_WEBHOOK_BACKOFF_MS", "100", 1);
	CHECK(channels_webhook_backoff_ms(2) == 200, "the backoff base can be set for tests");
	setenv("BATON_WEBHOOK_BACKOFF_MS", "nonsense", 1);
	CHECK(channels_webhook_backoff_ms(1) == 5000, "a bad base falls back to 5 s");
	unsetenv("BATON_WEBHOOK_BACKOFF_MS");
	s = store_open(dir, &ei);
	CHECK(s != NULL, "the store opens");
	if (s == NULL)
		return test_done();
	CHECK(inbox_workspace_create(s, "Trial", "owner@site.test", &out, &ei) == ERR_OK, "a workspace");
	ws = jsonx_str(out, "workspace_id");
	w = ST(s, member_by_email, "owner@site.test");
	owner = jsonx_str(w, "id");
	add_member(s, ws, "mb_primary", "p@site.test", "agent");
	add_member(s, ws, "mb_backup", "b@site.test", "agent");
	add_member(s, ws, "mb_night", "n@site.test", "agent");
	rota = json_pack("[{s:s,s:s,s:s,s:i,s:i,s:i,s:I},{s:s,s:s,s:s,s:i,s:i,s:i,s:I},{s:s,s:s,s:s,s:i,s:i,s:i,s:I}]",
	    "workspace_id", ws, "member_id", "mb_primary", "role", "primary", "weekday", 2, "start_minute", 8 * 60,
	    "end_minute", 18 * 60, "created_at", (json_int_t)t0,
	    "workspace_id", ws, "member_id", "mb_backup", "role", "backup", "weekday", -1, "start_minute", 0,
	    "end_minute", 1440, "created_at", (json_int_t)t0,
	    "workspace_id", ws, "member_id", "mb_night", "role", "primary", "weekday", -1, "start_minute", 18 * 60,
	    "end_minute", 1440, "created_at", (json_int_t)t0);
	CHECK(ST(s, rota_set, ws, rota) == ERR_OK, "the rota is saved");
	json_decref(rota);

	who = channels_oncall_who(s, ws, "primary", t0);
	CHECK(who && strcmp(jsonx_str(who, "member_id"), "mb_primary") == 0, "Tuesday 10:00: the day primary");
	json_decref(who);
	who = channels_oncall_who(s, ws, "primary", t0 + 9 * 60 * min);
	CHECK(who && strcmp(jsonx_str(who, "member_id"), "mb_night") == 0, "Tuesday 19:00: the evening primary");
	json_decref(who);
	who = channels_oncall_who(s, ws, "primary", t0 + 24 * 60 * min);
	CHECK(who == NULL, "Wednesday 10:00: nobody is primary");
	json_decref(who);
	{
		json_t *set = json_pack("{s:{s:i,s:i}}", "oncall", "escalate_minutes", 5, "utc_offset_minutes", 9 * 60);

		ST(s, workspace_set_settings, ws, set);
		json_decref(set);
	}
	who = channels_oncall_who(s, ws, "primary", t0);
	CHECK(who && strcmp(jsonx_str(who, "member_id"), "mb_night") == 0, "in UTC+9 it is 19:00: the evening primary");
	json_decref(who);
	{
		json_t *set = json_pack("{s:{s:i,s:i}}", "oncall", "escalate_minutes", 5, "utc_offset_minutes", 0);

		ST(s, workspace_set_settings, ws, set);
		json_decref(set);
	}
	{
		json_t *p = json_pack("{s:s,s:s,s:s,s:I}", "member_id", "mb_primary", "workspace_id", ws, "status", "off_shift",
		    "updated_at", (json_int_t)t0);

		ST(s, member_prefs_put, p);
		who = channels_oncall_who(s, ws, "primary", t0);
		CHECK(who == NULL, "an off-shift member is not on call");
		json_decref(who);
		json_object_set_new(p, "status", json_string("available"));
		ST(s, member_prefs_put, p);
		json_decref(p);
	}

	/* The ladder. */
	CHECK(inbox_conv_start(s, ws, "email", NULL, NULL, &conv, &ei) == ERR_OK, "a conversation");
	CHECK(inbox_conv_handoff(s, jsonx_str(conv, "id"), "key_phrase", "serious adverse event", &ei) == ERR_OK, "it is handed off");
	CHECK(channels_oncall_handoff(s, ws, jsonx_str(conv, "id"), t0) == ERR_OK, "the ladder starts");
	{
		json_t *c = ST(s, conv_get, ws, jsonx_str(conv, "id"));

		CHECK(c && jsonx_str(c, "assignee_id") && strcmp(jsonx_str(c, "assignee_id"), "mb_primary") == 0,
		    "step 1: assigned to the primary");
		json_decref(c);
	}
	CHECK(notes_of(s, ws, "mb_primary") == 1 && notes_of(s, ws, "mb_backup") == 0, "step 1: the primary is notified");
	CHECK(count_kind(s, jsonx_str(conv, "id"), "escalated") == 1, "step 1 is on the timeline");
	CHECK(channels_oncall_tick(s, t0 + 4 * min) == 0, "4 minutes: nothing yet");
	CHECK(channels_oncall_tick(s, t0 + 5 * min) == 1, "5 minutes without acknowledgement: a step");
	CHECK(notes_of(s, ws, "mb_backup") == 1, "step 2: the backup is notified");
	CHECK(channels_oncall_handoff(s, ws, jsonx_str(conv, "id"), t0 + 6 * min) == ERR_OK &&
	    notes_of(s, ws, "mb_primary") == 1, "a second handoff does not restart a running ladder");
	CHECK(channels_oncall_tick(s, t0 + 10 * min) == 1, "5 more minutes: a step");
	CHECK(notes_of(s, ws, owner) == 1, "step 3: the admins (owner) are notified");
	CHECK(count_kind(s, jsonx_str(conv, "id"), "escalated") == 3, "three steps on the timeline");
	CHECK(channels_oncall_tick(s, t0 + 60 * min) == 0, "the ladder ends after the admins");
	{
		json_t *a = ST(s, audit_page, 0, 1000);
		size_t i;
		int n = 0;

		for (i = 0; i < json_array_size(a); i++)
			if (strcmp(jsonx_str(json_array_get(a, i), "action"), "oncall.notify") == 0)
				n++;
		CHECK(n == 3, "each step is in the audit trail");
		json_decref(a);
	}
	{
		int64_t rows = 0, bad = 0;

		CHECK(inbox_audit_verify(s, &rows, &bad, &ei) == ERR_OK, "the audit chain verifies");
	}

	/* An acknowledgement stops it. */
	json_decref(conv);
	conv = NULL;
	CHECK(inbox_conv_start(s, ws, "email", NULL, NULL, &conv, &ei) == ERR_OK, "a second conversation");
	inbox_conv_handoff(s, jsonx_str(conv, "id"), "low_confidence", NULL, &ei);
	channels_oncall_handoff(s, ws, jsonx_str(conv, "id"), t0);
	CHECK(channels_oncall_ack(s, ws, jsonx_str(conv, "id"), "mb_primary", t0 + 2 * min) == ERR_OK, "the primary acknowledges");
	CHECK(channels_oncall_tick(s, t0 + 30 * min) == 0 && notes_of(s, ws, "mb_backup") == 1, "no escalation after an acknowledgement");
	esc = ST(s, escalation_get, jsonx_str(conv, "id"));
	CHECK(esc && jsonx_int(esc, "done", 0) == 1 && strcmp(jsonx_str(esc, "acked_by"), "mb_primary") == 0, "the ladder records who acknowledged");
	json_decref(esc);

	json_decref(conv);
	json_decref(out);
	json_decref(w);
	ST(s, close);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
