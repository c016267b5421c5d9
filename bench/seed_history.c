/* seed_history.c: fill a data directory with a year of conversation history
 * for the dashboard and export benchmarks: N conversations with about five
 * messages each (visitor, agent, and on handoffs the coordinator), handoff,
 * first human reply and resolution times, and Site / Topic / Phase tags with
 * their sources. Written through the store interface in large transactions.
 * usage: seed_history DATA_DIR WORKSPACE_ID N */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/util.h"
#include "store/store.h"

#define NTOPIC 8

static int64_t
tag(struct store *s, const char *ws, int64_t group, const char *name)
{
	json_t *t = json_pack("{s:s,s:I,s:s,s:I}", "workspace_id", ws, "group_id", (json_int_t)group, "name", name,
	    "created_at", (json_int_t)util_now_ms());
	int64_t id = ST(s, tag_create, t);

	json_decref(t);
	return id;
}

static int64_t
group(struct store *s, const char *ws, const char *name, const char *card)
{
	json_t *g = json_pack("{s:s,s:s,s:s,s:I}", "workspace_id", ws, "name", name, "cardinality", card, "created_at",
	    (json_int_t)util_now_ms());
	int64_t id = ST(s, tag_group_create, g);

	json_decref(g);
	return id;
}

static void
msg(struct store *s, const char *ws, const char *conv, const char *kind, const char *author, const char *body, int64_t at)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:i,s:I}", "conversation_id", conv, "workspace_id", ws, "author_kind", kind,
	    "author_id", author, "body", body, "internal", 0, "created_at", (json_int_t)at);

	ST(s, msg_add, m);
	json_decref(m);
}

int
main(int argc, char **argv)
{
	static const char *const sites[] = {"Site-101", "Site-202", "Site-303", "Site-404"};
	static const char *const topics[NTOPIC] = {"Eligibility", "Visits", "Dosing & IP", "Lab Samples", "SAE",
		"Protocol Deviation", "Regulatory Docs", "Reimbursement"};
	static const char *const phases[] = {"Screening", "Treatment", "Follow-up"};
	static const char *const reasons[] = {"low_confidence", "low_confidence", "low_confidence", "key_phrase", "human_requested"};
	static const char *const qs[] = {"What is the window for the week 4 visit?", "Can frozen samples ship on a Friday?",
		"Is a patient on MTX 10 mg eligible?", "How long can the syringe stay out of the fridge?",
		"We have a serious adverse event, patient admitted last night", "Where can the CRA park?"};
	struct errinfo ei = {0};
	struct store *s;
	json_t *ms;
	int64_t site_tag[4], topic_tag[NTOPIC], phase_tag[3], g;
	long n, i, nmsg = 0;
	int64_t now = util_now_ms();
	const char *owner, *ws;

	if (argc != 4 || sodium_init() < 0)
		return 2;
	s = store_open(argv[1], &ei);
	if (s == NULL) {
		fprintf(stderr, "%s\n", ei.msg);
		return 1;
	}
	ws = argv[2];
	n = strtol(argv[3], NULL, 10);
	ms = ST(s, member_list, ws);
	owner = jsonx_str(json_array_get(ms, 0), "id");
	g = group(s, ws, "Site", "one");
	for (i = 0; i < 4; i++)
		site_tag[i] = tag(s, ws, g, sites[i]);
	g = group(s, ws, "Topic", "any");
	for (i = 0; i < NTOPIC; i++)
		topic_tag[i] = tag(s, ws, g, topics[i]);
	g = group(s, ws, "Phase", "at_most_one");
	for (i = 0; i < 3; i++)
		phase_tag[i] = tag(s, ws, g, phases[i]);
	srand(42);
	for (i = 0; i < n; i++) {
		char id[40], raw[40];
		int64_t t = now - (int64_t)(rand() % (365 * 24 * 3600)) * 1000;
		int site = rand() % 4, topic = rand() % NTOPIC, handoff = rand() % 100 < 35, resolved = rand() % 100 < 85;
		int64_t first = t + (int64_t)(5 + rand() % 240) * 60000, done = first + (int64_t)(rand() % 2880) * 60000;
		const char *q = qs[rand() % 6];
		json_t *c, *ct;

		if (i % 10000 == 0) {
			if (i)
				ST(s, commit);
			ST(s, begin);
		}
		util_random_id(raw, 15);
		snprintf(id, sizeof(id), "cv_%s", raw);
		c = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "id", id, "workspace_id", ws,
		    "number", (json_int_t)(ST(s, workspace_next_number, ws)), "status", resolved ? "resolved" : handoff ? "needs_human" : "open",
		    "mode", handoff ? "manual" : "agent", "channel", rand() % 4 ? "widget" : "email", "site", sites[site], "preview", q,
		    "created_at", (json_int_t)t, "updated_at", (json_int_t)(resolved ? done : t + 2000));
		if (handoff) {
			json_object_set_new(c, "handoff_at", json_integer(t + 1000));
			json_object_set_new(c, "handoff_reason", json_string(reasons[rand() % 5]));
			json_object_set_new(c, "assignee_id", json_string(owner));
			if (resolved)
				json_object_set_new(c, "first_human_reply_at", json_integer(first));
		}
		if (resolved)
			json_object_set_new(c, "resolved_at", json_integer(done));
		json_object_set_new(c, "agent_reply_at", json_integer(t + 1000));
		ST(s, conv_create, c);
		json_decref(c);
		msg(s, ws, id, "visitor", NULL, q, t);
		msg(s, ws, id, "agent", NULL, "The Week 4 visit is on Day 29 with a window of plus or minus 3 days.", t + 1000);
		msg(s, ws, id, "visitor", NULL, "Thanks. And if the patient cannot come within the window?", t + 60000);
		msg(s, ws, id, handoff ? "member" : "agent", handoff ? owner : NULL,
		    "Record it as a missed visit and schedule the next one on time; tell the CRA.", first);
		msg(s, ws, id, "visitor", NULL, "Thank you, that is clear.", first + 120000);
		nmsg += 5;
		ct = json_pack("{s:s,s:I,s:s,s:s,s:I}", "conversation_id", id, "tag_id", (json_int_t)site_tag[site], "source", "rule",
		    "source_id", "1", "applied_at", (json_int_t)t);
		ST(s, conv_tag_add, ct);
		json_decref(ct);
		if (rand() % 100 < 80) {
			ct = json_pack("{s:s,s:I,s:s,s:s,s:I}", "conversation_id", id, "tag_id", (json_int_t)topic_tag[topic], "source",
			    handoff ? "member" : "agent", "source_id", handoff ? owner : "", "applied_at", (json_int_t)first);
			ST(s, conv_tag_add, ct);
			json_decref(ct);
		}
		if (rand() % 2) {
			ct = json_pack("{s:s,s:I,s:s,s:s,s:I}", "conversation_id", id, "tag_id", (json_int_t)phase_tag[rand() % 3], "source",
			    "member", "source_id", owner, "applied_at", (json_int_t)first);
			ST(s, conv_tag_add, ct);
			json_decref(ct);
		}
	}
	ST(s, commit);
	json_decref(ms);
	ST(s, close);
	printf("seeded %ld conversations and %ld messages\n", n, nmsg);
	return 0;
}
