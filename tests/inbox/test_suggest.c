/* test_suggest.c: the tag classifier (descriptions alone, learning from
 * examples, no evidence, ordering and scores), the duplicate index, and
 * suggestions on a real store: stored with their score, accepted with the
 * member as source, rejected and not proposed again, applied by the agent
 * above the workspace threshold; duplicates within the reader's sites; the
 * stale flag. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/util.h"
#include "inbox/inbox.h"
#include "test.h"

static int64_t
tag_on(json_t *tags, int64_t id, const char **source)
{
	size_t i;

	for (i = 0; i < json_array_size(tags); i++)
		if (jsonx_int(json_array_get(tags, i), "tag_id", 0) == id) {
			if (source != NULL)
				*source = jsonx_str(json_array_get(tags, i), "source");
			return 1;
		}
	return 0;
}

static void
classifier(void)
{
	struct inbox_suggest_model *m = inbox_suggest_model_new();
	struct inbox_suggest_score sc[4];
	int64_t dosing = 10, samples = 11, consent = 12;
	size_t n, i;
	double sum = 0;

	CHECK(inbox_suggest_model_tag(m, dosing, "Dosing", "Investigational product administration, missed doses, storage") == 0, "declare a tag");
	CHECK(inbox_suggest_model_tag(m, samples, "Lab/Samples", "Blood samples, lab kits, shipping to the central lab") == 0, "declare another");
	CHECK(inbox_suggest_model_tag(m, consent, "Consent", "Informed consent forms and their versions") == 0, "and a third");
	CHECK(inbox_suggest_model_tag(m, dosing, "Again", "") == -1, "a tag is declared once");
	inbox_suggest_model_finish(m);
	n = inbox_suggest_model_score(m, "can we ship the samples to the central lab on friday", sc, 4);
	CHECK(n == 3 && sc[0].tag_id == samples, "descriptions alone point to the right tag");
	for (i = 0; i < n; i++)
		sum += sc[i].score;
	CHECK(n == 3 && sc[0].score >= sc[1].score && sc[1].score >= sc[2].score && sum > 0 && sum < 1,
	    "scores are best first and sum to less than one (the rest is 'none of these')");
	CHECK(inbox_suggest_model_score(m, "hello there, thanks!", sc, 4) == 0, "a text with no related word gets no suggestion");
	CHECK(inbox_suggest_model_score(m, "", sc, 4) == 0, "nor does an empty one");
	n = inbox_suggest_model_score(m, "the fridge was warm overnight", sc, 4);
	CHECK(n == 0, "an unknown word is not evidence");
	inbox_suggest_model_free(m);

	/* Learning from tagged history: "fridge" is in no description. */
	m = inbox_suggest_model_new();
	inbox_suggest_model_tag(m, dosing, "Dosing", "Investigational product administration, missed doses, storage");
	inbox_suggest_model_tag(m, samples, "Lab/Samples", "Blood samples, lab kits, shipping to the central lab");
	inbox_suggest_model_tag(m, consent, "Consent", "Informed consent forms and their versions");
	inbox_suggest_model_example(m, "the fridge alarm went off, is the drug still ok", &dosing, 1);
	inbox_suggest_model_example(m, "fridge temperature was 10 degrees this morning", &dosing, 1);
	inbox_suggest_model_example(m, "courier did not come for the fridge samples", &samples, 1);
	{
		int64_t unknown = 99;

		inbox_suggest_model_example(m, "a text with a tag nobody declared", &unknown, 1);
	}
	inbox_suggest_model_finish(m);
	CHECK(inbox_suggest_model_examples(m) == 3, "examples with undeclared tags are ignored");
	n = inbox_suggest_model_score(m, "the fridge was warm overnight", sc, 2);
	CHECK(n == 2 && sc[0].tag_id == dosing && sc[0].score > sc[1].score, "history teaches words the descriptions lack (more examples, higher score)");
	CHECK(inbox_suggest_model_score(m, "the fridge was warm overnight", sc, 1) == 1, "max caps the results");
	inbox_suggest_model_free(m);
}

static void
duplicates(void)
{
	struct inbox_dup_index *ix = inbox_dup_new();
	struct inbox_dup_hit h[3];
	size_t n;

	CHECK(inbox_dup_query(ix, "anything", h, 3) == 0, "an empty index finds nothing");
	inbox_dup_add(ix, 1, "What is the visit window for the Week 4 visit?");
	inbox_dup_add(ix, 2, "Which days of the week can frozen samples be shipped?");
	inbox_dup_add(ix, 3, "Does the participant get a copy of the signed consent?");
	inbox_dup_add(ix, 4, "!!!");
	inbox_dup_background(ix, "How long do we keep the ISF after the study?");
	inbox_dup_background(ix, "Can a participant take the IP at home?");
	CHECK(inbox_dup_size(ix) == 3, "texts without terms are not indexed; background is not a candidate");
	n = inbox_dup_query(ix, "wk4 visit window?", h, 3);
	CHECK(n >= 1 && h[0].key == 1 && h[0].score >= INBOX_DUP_THRESHOLD && h[0].score <= 1.0001, "a paraphrase finds its twin above the threshold");
	n = inbox_dup_query(ix, "which days can frozen samples ship", h, 3);
	CHECK(n >= 1 && h[0].key == 2 && h[0].score >= INBOX_DUP_THRESHOLD, "and another");
	n = inbox_dup_query(ix, "what is the parking policy for monitors at the hospital", h, 3);
	CHECK(n == 0 || h[0].score < INBOX_DUP_THRESHOLD, "an unrelated question stays below the threshold");
	n = inbox_dup_query(ix, "how long is the week 12 visit window for the participant", h, 3);
	CHECK(n == 0 || h[0].key != 1 || h[0].score < 0.9, "a different week is not an exact match");
	inbox_dup_free(ix);
}

int
main(void)
{
	char dir[] = "/tmp/baton-test-suggest-XXXXXX", tok[80], vt[80], cmd[300];
	struct errinfo ei = {0};
	struct store *s;
	struct principal owner = {0}, visitor = {0}, scoped = {0};
	json_t *out = NULL, *conv = NULL, *msg = NULL, *g = NULL, *t, *rows;
	const char *cid;
	char ws[40];
	int64_t t_samples = 0, t_sae = 0, t_site = 0;

	classifier();
	duplicates();
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	s = store_open(dir, &ei);
	if (s == NULL)
		return 1;
	inbox_set_agent_hook(NULL);
	CHECK(inbox_workspace_create(s, "Trial", "owner@site.org", &out, &ei) == ERR_OK, "a workspace");
	snprintf(ws, sizeof(ws), "%s", jsonx_str(out, "workspace_id"));
	CHECK(inbox_login(s, "owner@site.org", jsonx_str(out, "password"), "1.2.3.4", tok, &ei) == ERR_OK &&
	    inbox_session_lookup(s, tok, &owner) == ERR_OK, "the owner logs in");
	json_decref(out);
	out = NULL;
	{
		json_t *req = json_pack("{s:s,s:s}", "name", "Topic", "cardinality", "any");

		CHECK(inbox_tag_group_create(s, &owner, req, &g, &ei) == ERR_OK, "a Topic group");
		json_decref(req);
		req = json_pack("{s:s,s:I,s:s}", "name", "Lab/Samples", "group_id", (json_int_t)jsonx_int(g, "id", 0), "description",
		    "Blood and PK sample collection, lab kits, shipping frozen samples to the central lab, couriers");
		inbox_tag_create(s, &owner, req, &t, &ei);
		t_samples = jsonx_int(t, "id", 0);
		json_decref(req);
		json_decref(t);
		req = json_pack("{s:s,s:I,s:s}", "name", "SAE", "group_id", (json_int_t)jsonx_int(g, "id", 0), "description",
		    "Serious adverse events: hospitalisation, death, pregnancy, reporting timelines");
		inbox_tag_create(s, &owner, req, &t, &ei);
		t_sae = jsonx_int(t, "id", 0);
		json_decref(req);
		json_decref(t);
		req = json_pack("{s:s,s:s}", "name", "Urgent", "description", "samples shipping hospitalisation lab");
		inbox_tag_create(s, &owner, req, &t, &ei);
		t_site = jsonx_int(t, "id", 0); /* not a Topic: never suggested */
		json_decref(req);
		json_decref(t);
		CHECK(t_samples > 0 && t_sae > 0 && t_site > 0, "tags with descriptions");
	}
	{
		json_t *ctx = json_pack("{s:s}", "site", "Site-101");

		CHECK(inbox_conv_start(s, ws, "widget", ctx, vt, &conv, &ei) == ERR_OK, "a widget conversation");
		json_decref(ctx);
	}
	cid = jsonx_str(conv, "id");
	inbox_visitor_lookup(s, cid, vt, &visitor);
	CHECK(inbox_msg_post(s, &visitor, cid, "visitor", "Can we ship frozen samples to the central lab on a Friday?", 0, NULL, &msg, &ei) == ERR_OK,
	    "the visitor asks");
	json_decref(msg);
	msg = NULL;
	{
		json_t *set = json_pack("{s:f}", "suggest_auto_threshold", 1.0);

		ST(s, workspace_set_settings, ws, set);
		json_decref(set);
	}
	CHECK(inbox_suggest_run(s, ws, cid) == ERR_OK, "the conversation is classified");
	rows = inbox_suggest_list(s, &owner, cid, &ei);
	CHECK(json_array_size(rows) >= 1 && jsonx_int(json_array_get(rows, 0), "tag_id", 0) == t_samples,
	    "Lab/Samples is suggested first");
	CHECK(json_array_size(rows) >= 1 && json_number_value(json_object_get(json_array_get(rows, 0), "score")) >= SUGGEST_MIN,
	    "with its score");
	{
		size_t i;
		int topic_only = 1;

		for (i = 0; i < json_array_size(rows); i++)
			topic_only &= jsonx_int(json_array_get(rows, i), "tag_id", 0) != t_site;
		CHECK(topic_only, "only Topic tags are suggested");
	}
	json_decref(rows);
	{
		json_t *tags = inbox_conv_tags(s, ws, cid);

		CHECK(!tag_on(tags, t_samples, NULL), "with auto-tagging off nothing is applied");
		json_decref(tags);
	}

	/* Scope: a member limited to Site-202 cannot see or decide it. */
	scoped = owner;
	scoped.sites = json_pack("[s]", "Site-202");
	rows = inbox_suggest_list(s, &scoped, cid, &ei);
	CHECK(rows == NULL && ei.code == ERR_NOT_FOUND, "another site's suggestions are not found");
	CHECK(inbox_suggest_decide(s, &scoped, cid, t_samples, 1, &out, &ei) == ERR_NOT_FOUND, "nor decided");
	json_decref(scoped.sites);
	scoped.sites = NULL;

	CHECK(inbox_suggest_decide(s, &owner, cid, t_samples, 1, &out, &ei) == ERR_OK, "the owner accepts it");
	{
		const char *src = NULL;

		CHECK(tag_on(json_object_get(out, "tags"), t_samples, &src) && src && strcmp(src, "member") == 0,
		    "accepted: applied with the member as source");
	}
	json_decref(out);
	out = NULL;
	CHECK(inbox_suggest_decide(s, &owner, cid, t_samples, 1, &out, &ei) == ERR_NOT_FOUND, "a decided suggestion cannot be decided again");
	CHECK(inbox_suggest_decide(s, &owner, cid, 424242, 0, &out, &ei) == ERR_NOT_FOUND, "an unknown tag has no suggestion");

	/* Reject: remembered across new messages. */
	{
		json_t *c4 = NULL, *ctx = json_pack("{s:s}", "site", "Site-101");
		struct principal v4 = {0};
		const char *c4id;

		inbox_conv_start(s, ws, "widget", ctx, vt, &c4, &ei);
		json_decref(ctx);
		c4id = jsonx_str(c4, "id");
		inbox_visitor_lookup(s, c4id, vt, &v4);
		CHECK(inbox_msg_post(s, &v4, c4id, "visitor", "A patient was hospitalised overnight, is that a serious adverse event?", 0, NULL, &msg, &ei) == ERR_OK,
		    "another visitor asks a safety question");
		json_decref(msg);
		msg = NULL;
		inbox_suggest_run(s, ws, c4id);
		rows = ST(s, suggest_list, ws, c4id, "open");
		CHECK(tag_on(rows, t_sae, NULL), "SAE is suggested");
		json_decref(rows);
		CHECK(inbox_suggest_decide(s, &owner, c4id, t_sae, 0, &out, &ei) == ERR_OK, "the owner rejects it");
		json_decref(out);
		out = NULL;
		inbox_msg_post(s, &v4, c4id, "visitor", "It really was a serious adverse event: hospitalisation, SAE form please", 0, NULL, &msg, &ei);
		json_decref(msg);
		msg = NULL;
		inbox_suggest_run(s, ws, c4id);
		rows = ST(s, suggest_list, ws, c4id, NULL);
		{
			size_t i;
			const char *state = NULL;

			for (i = 0; i < json_array_size(rows); i++)
				if (jsonx_int(json_array_get(rows, i), "tag_id", 0) == t_sae)
					state = jsonx_str(json_array_get(rows, i), "state");
			CHECK(state != NULL && strcmp(state, "rejected") == 0, "a rejected suggestion stays rejected after the next message");
		}
		json_decref(rows);
		rows = ST(s, suggest_list, ws, c4id, "open");
		CHECK(!tag_on(rows, t_sae, NULL), "it stays out of the open ones");
		json_decref(rows);
		{
			json_t *tags = inbox_conv_tags(s, ws, c4id);

			CHECK(!tag_on(tags, t_sae, NULL), "and it is not applied");
			json_decref(tags);
		}
		principal_clear(&v4);
		json_decref(c4);
	}

	/* Auto-apply above the threshold, with the agent as source. */
	{
		json_t *set = json_pack("{s:f}", "suggest_auto_threshold", 0.3), *c2 = NULL, *tags;
		struct principal v2 = {0};
		const char *src = NULL;

		ST(s, workspace_set_settings, ws, set);
		json_decref(set);
		inbox_conv_start(s, ws, "widget", NULL, vt, &c2, &ei);
		inbox_visitor_lookup(s, jsonx_str(c2, "id"), vt, &v2);
		inbox_msg_post(s, &v2, jsonx_str(c2, "id"), "visitor", "Which courier ships frozen lab samples to the central lab?", 0, NULL, &msg, &ei);
		json_decref(msg);
		msg = NULL;
		CHECK(inbox_suggest_run(s, ws, jsonx_str(c2, "id")) == ERR_OK, "a new conversation is classified");
		tags = inbox_conv_tags(s, ws, jsonx_str(c2, "id"));
		CHECK(tag_on(tags, t_samples, &src) && src && strcmp(src, "agent") == 0, "above the threshold the agent applies the tag");
		json_decref(tags);
		rows = ST(s, suggest_list, ws, jsonx_str(c2, "id"), "auto");
		CHECK(json_array_size(rows) == 1, "and the suggestion is recorded as applied automatically");
		json_decref(rows);
		CHECK(inbox_suggest_run(s, ws, jsonx_str(c2, "id")) == ERR_OK, "classifying again is harmless");
		principal_clear(&v2);
		json_decref(c2);
	}

	/* Duplicates: a member answer in one thread, a paraphrase in another. */
	{
		json_t *c3 = NULL, *dups;
		struct principal v3 = {0};
		const char *c3id;

		CHECK(inbox_msg_post(s, &owner, cid, "member", "Frozen samples ship Monday to Wednesday only.", 0, NULL, &msg, &ei) == ERR_OK,
		    "a member answers the first thread");
		json_decref(msg);
		msg = NULL;
		{
			json_t *ctx = json_pack("{s:s}", "site", "Site-202");

			inbox_conv_start(s, ws, "widget", ctx, vt, &c3, &ei);
			json_decref(ctx);
		}
		c3id = jsonx_str(c3, "id");
		inbox_visitor_lookup(s, c3id, vt, &v3);
		inbox_msg_post(s, &v3, c3id, "visitor", "can frozen samples be shipped to the central lab on friday?", 0, NULL, &msg, &ei);
		json_decref(msg);
		msg = NULL;
		dups = inbox_suggest_duplicates(s, &owner, c3id, &ei);
		CHECK(json_array_size(dups) == 1 && strcmp(jsonx_str(json_array_get(dups, 0), "conversation_id"), cid) == 0 &&
		    jsonx_int(json_array_get(dups, 0), "number", 0) == jsonx_int(conv, "number", -1) &&
		    strstr(jsonx_str(json_array_get(dups, 0), "answer_excerpt"), "Monday") != NULL,
		    "the paraphrase is answered in the first thread");
		json_decref(dups);
		scoped.sites = json_pack("[s]", "Site-202");
		dups = inbox_suggest_duplicates(s, &scoped, c3id, &ei);
		CHECK(dups != NULL && json_array_size(dups) == 0, "not for a member who cannot see the answering site");
		json_decref(dups);
		json_decref(scoped.sites);
		scoped.sites = NULL;
		dups = inbox_suggest_duplicates(s, &owner, cid, &ei);
		CHECK(dups != NULL && json_array_size(dups) == 0, "a thread is not its own duplicate");
		json_decref(dups);
		principal_clear(&v3);
		json_decref(c3);
	}

	/* The stale flag. */
	{
		json_t *c = json_pack("{s:s,s:I}", "status", "needs_human", "updated_at", (json_int_t)1000000);

		CHECK(!inbox_stale_is(c, 5, 1000000 + 4 * 60000), "4 minutes of a 5-minute limit: not stale");
		CHECK(inbox_stale_is(c, 5, 1000000 + 5 * 60000), "5 minutes: stale");
		json_object_set_new(c, "status", json_string("pending"));
		CHECK(!inbox_stale_is(c, 5, 1000000 + 50 * 60000), "waiting on the visitor is never stale");
		json_decref(c);
	}

	inbox_suggest_free_caches();
	principal_clear(&owner);
	principal_clear(&visitor);
	json_decref(out);
	json_decref(conv);
	json_decref(g);
	ST(s, close);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return test_done();
}
