/* test_review.c: the monthly review's parts: question similarity, greedy
 * grouping, member time, month bounds, and the review over a real SQLite
 * file with back-dated handoffs (month edges, rule handoffs, repeated
 * handoffs, site scope, ranking). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/util.h"
#include "inbox/inbox.h"
#include "kb/kb.h"
#include "store/store.h"
#include "test.h"

static double
cos2(const char *a, const char *b)
{
	struct kb_tv x, y;

	kb_tv_make(a, &x);
	kb_tv_make(b, &y);
	return kb_tv_cosine(&x, &y);
}

/* The group index of each question, as a string like "0 0 1 1 2". */
static void
partition(const char *const *qs, size_t n, double th, char *out, size_t outn, size_t *reps_ok)
{
	json_t *arr = json_array(), *cl;
	int grp[64];
	size_t i, k, len = 0;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(qs[i]));
	cl = inbox_review_cluster(arr, th);
	*reps_ok = 1;
	for (i = 0; i < json_array_size(cl); i++) {
		json_t *m = json_object_get(json_array_get(cl, i), "members");
		int64_t rep = jsonx_int(json_array_get(cl, i), "rep", -1);
		int found = 0;

		for (k = 0; k < json_array_size(m); k++) {
			grp[json_integer_value(json_array_get(m, k))] = (int)i;
			found |= json_integer_value(json_array_get(m, k)) == rep;
		}
		*reps_ok &= found;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, outn - len, "%s%d", i ? " " : "", grp[i]);
	json_decref(cl);
	json_decref(arr);
}

static json_t *
msg(const char *kind, int64_t at, int internal)
{
	return json_pack("{s:s,s:I,s:i,s:s}", "author_kind", kind, "created_at", (json_int_t)at, "internal",
	    internal, "body", "x");
}

static void
add_msg(struct store *s, const char *ws, const char *conv, const char *kind, const char *body,
    int64_t at, int internal)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:i,s:I}", "conversation_id", conv, "workspace_id", ws,
	    "author_kind", kind, "body", body, "internal", internal, "created_at", (json_int_t)at);

	ST(s, msg_add, m);
	json_decref(m);
}

static void
add_handoff(struct store *s, const char *conv, const char *reason, int64_t at)
{
	json_t *t = json_pack("{s:s,s:s,s:s,s:{s:s},s:I}", "conversation_id", conv, "kind", "handoff",
	    "actor_kind", "agent", "detail", "reason", reason, "created_at", (json_int_t)at);

	ST(s, timeline_add, t);
	json_decref(t);
}

static char *
new_conv(struct store *s, const char *ws, const char *site)
{
	struct errinfo ei = {0};
	json_t *ctx = json_pack("{s:s}", "site", site), *c = NULL;
	char *id = NULL;

	if (inbox_conv_start(s, ws, "api", ctx, NULL, &c, &ei) == ERR_OK)
		id = strdup(jsonx_str(c, "id"));
	json_decref(ctx);
	json_decref(c);
	return id;
}

static const json_t *
find_thread(const json_t *groups, const char *id, const json_t **group)
{
	size_t i, k;

	for (i = 0; i < json_array_size(groups); i++) {
		const json_t *th = json_object_get(json_array_get(groups, i), "threads");

		for (k = 0; k < json_array_size(th); k++)
			if (strcmp(jsonx_str(json_array_get(th, k), "id"), id) == 0) {
				if (group)
					*group = json_array_get(groups, i);
				return json_array_get(th, k);
			}
	}
	return NULL;
}

int
main(void)
{
	char dir[] = "/tmp/baton-test-review-XXXXXX", part[256];
	struct errinfo ei = {0};
	struct store *s;
	json_t *out = NULL, *r, *msgs;
	int64_t from, to, nov, oct31;
	size_t reps_ok;
	const char *ws;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;

	/* ---- similarity ---- */
	CHECK(cos2("Can frozen samples be shipped on a Friday?", "shipping frozen sample friday") > 0.99,
	    "inflections and stop words do not change a question");
	CHECK(cos2("What is the week 4 visit window?", "Is parking free for monitors?") == 0.0,
	    "unrelated questions share nothing");
	CHECK(cos2("the of and", "visit window") == 0.0, "a question of stop words only is similar to nothing");
	CHECK(cos2("wk 4 visit window", "week 4 visit window") > 0.99, "chat shorthand is expanded (wk = week)");
	{
		double c = cos2("Is there parking for monitors at the hospital?", "Where can visiting monitors park their car?");

		CHECK(c > 0.5 && c < 0.7, "a paraphrase sharing two of four terms scores between 0.5 and 0.7");
	}

	/* ---- grouping ---- */
	{
		static const char *const qs[] = {
			"What is the visit window for the Week 4 visit?",
			"Can frozen samples be shipped on a Friday?",
			"week 4 visit window?",
			"Is there parking for monitors at the hospital?",
			"Shipping frozen samples on Fridays: allowed?",
			"Where can monitors park at the hospital?",
			"How do I report a protocol deviation?",
		};

		partition(qs, 7, 0.5, part, sizeof(part), &reps_ok);
		CHECK_STR(part, "0 1 0 2 1 2 3", "paraphrases group together, other questions apart, in order of first appearance");
		CHECK(reps_ok, "each group's representative is one of its members");
		partition(qs, 7, 1.01, part, sizeof(part), &reps_ok);
		CHECK_STR(part, "0 1 2 3 4 5 6", "above 1 every question stands alone");
		partition(qs, 7, 0.0, part, sizeof(part), &reps_ok);
		CHECK(strcmp(part, "0 0 0 0 0 0 0") == 0, "at 0 everything joins the first group");
	}
	{
		/* Average link: C resembles B, but not A and B on average, so no chain. */
		static const char *const qs[] = {
			"visit window week four",
			"visit window week four shipping",
			"shipping samples dry ice friday",
		};

		partition(qs, 3, 0.5, part, sizeof(part), &reps_ok);
		CHECK_STR(part, "0 0 1", "a question joins a group only when it resembles it on average");
	}
	{
		json_t *empty = json_array(), *cl = inbox_review_cluster(empty, 0.5);

		CHECK(json_array_size(cl) == 0, "no questions, no groups");
		json_decref(cl);
		json_decref(empty);
	}
	{
		/* The medoid represents the group. */
		static const char *const qs[] = {
			"visit window week 4 sunday",
			"visit window week 4",
			"visit window week 4 holiday",
		};
		json_t *arr = json_array(), *cl;
		size_t i;

		for (i = 0; i < 3; i++)
			json_array_append_new(arr, json_string(qs[i]));
		cl = inbox_review_cluster(arr, 0.5);
		CHECK(json_array_size(cl) == 1 && jsonx_int(json_array_get(cl, 0), "rep", -1) == 1,
		    "the representative is the question closest to all the others");
		json_decref(cl);
		json_decref(arr);
	}

	/* ---- member time ---- */
	msgs = json_pack("[o,o,o,o,o,o,o]", msg("member", 500, 0), msg("visitor", 1000, 0),
	    msg("member", 1000 + 5 * 60000, 0), msg("member", 1000 + 5 * 60000 + 30000, 1),
	    msg("visitor", 1000 + 60 * 60000, 0), msg("member", 1000 + 3 * 3600000, 0),
	    msg("agent", 1000 + 3 * 3600000 + 10, 0));
	CHECK(inbox_review_member_ms(msgs, 1000) == (5 + 1 + 15) * 60000LL,
	    "member time: gaps before member messages after the handoff, at least 1 and at most 15 minutes");
	CHECK(inbox_review_member_ms(msgs, 1000 + 4 * 3600000) == 0, "nothing after the handoff, no member time");
	json_decref(msgs);

	/* ---- months ---- */
	CHECK(inbox_review_month("2026-11", &from, &to, &ei) == ERR_OK && from == 1793491200000LL &&
	    to == 1796083200000LL, "2026-11 is [Nov 1, Dec 1) UTC");
	CHECK(inbox_review_month("2026-12", &from, &to, &ei) == ERR_OK && to == 1798761600000LL,
	    "December ends on January 1st of the next year");
	CHECK(inbox_review_month("2024-02", &from, &to, &ei) == ERR_OK && to - from == 29 * 86400000LL,
	    "February of a leap year has 29 days");
	CHECK(inbox_review_month("2026-13", &from, &to, &ei) == ERR_INVALID, "month 13 is refused");
	CHECK(inbox_review_month("2026-00", &from, &to, &ei) == ERR_INVALID, "month 00 is refused");
	CHECK(inbox_review_month("2026-1", &from, &to, &ei) == ERR_INVALID, "a one-digit month is refused");
	CHECK(inbox_review_month("2026-11-01", &from, &to, &ei) == ERR_INVALID, "a date is not a month");
	CHECK(inbox_review_month(NULL, &from, &to, &ei) == ERR_INVALID, "no month is refused");
	CHECK(inbox_review_month("2026/11", &from, &to, &ei) == ERR_INVALID, "2026/11 is refused");

	/* ---- the review over a real store ---- */
	s = store_open(dir, &ei);
	if (s == NULL)
		return 1;
	CHECK(inbox_workspace_create(s, "Review", "owner@site.org", &out, &ei) == ERR_OK, "create a workspace");
	ws = jsonx_str(out, "workspace_id");
	nov = 1793491200000LL;  /* 2026-11-01T00:00:00Z */
	oct31 = nov - 1;        /* the last millisecond of October */
	{
		char *a = new_conv(s, ws, "Site-101"), *b = new_conv(s, ws, "Site-202");
		char *c = new_conv(s, ws, "Site-101"), *d = new_conv(s, ws, "Site-101");
		char *e = new_conv(s, ws, "Site-202");
		json_t *sites = json_pack("[s]", "Site-101"), *fields;
		const json_t *t, *g = NULL;

		/* a: handed off in November, three member messages: 5 + 1 + 15 minutes. */
		add_msg(s, ws, a, "visitor", "Is there parking for monitors at the hospital?", nov + 1000, 0);
		add_handoff(s, a, "low_confidence", nov + 2000);
		add_msg(s, ws, a, "member", "Checking.", nov + 2000 + 5 * 60000, 0);
		add_msg(s, ws, a, "member", "internal: facilities said car park B on level 2; permits are at the front desk, ask for Sam", nov + 2000 + 5 * 60000 + 30000, 1);
		add_msg(s, ws, a, "member", "Car park B, level 2, free for monitors.", nov + 2000 + 3 * 3600000, 0);
		/* b: a paraphrase, one reply: 1 minute. */
		add_msg(s, ws, b, "visitor", "Where can monitors park at the hospital?", nov + 5000, 0);
		add_handoff(s, b, "low_confidence", nov + 6000);
		add_msg(s, ws, b, "member", "Car park B.", nov + 7000, 0);
		/* c: handed off at the last millisecond of October: not November. */
		add_msg(s, ws, c, "visitor", "How do I report a protocol deviation?", oct31 - 10, 0);
		add_handoff(s, c, "low_confidence", oct31);
		/* d: a rule handoff leaves no timeline entry, only handoff_at. */
		add_msg(s, ws, d, "visitor", "SAE: patient hospitalised", nov + 9000, 0);
		fields = json_pack("{s:I,s:s}", "handoff_at", (json_int_t)(nov + 9000), "handoff_reason", "rule");
		ST(s, conv_update, ws, d, fields);
		json_decref(fields);
		/* e: "that didn't help": the question is the one before. */
		add_msg(s, ws, e, "visitor", "Can frozen samples ship on Friday?", nov + 10000, 0);
		add_msg(s, ws, e, "agent", "Samples ship Monday to Wednesday.", nov + 10001, 0);
		add_msg(s, ws, e, "visitor", "that didn't help", nov + 10002, 0);
		add_handoff(s, e, "not_helpful", nov + 10003);
		/* and a second handoff of c in November: it counts in November too. */

		r = inbox_review(s, ws, "2026-11", NULL, &ei);
		CHECK(r != NULL, "the November review is built");
		CHECK(jsonx_int(json_object_get(r, "totals"), "handoffs", 0) == 4,
		    "four handoffs in November (the one at October's last millisecond is not)");
		CHECK(find_thread(json_object_get(r, "groups"), c, NULL) == NULL, "October's handoff is left out");
		t = find_thread(json_object_get(r, "groups"), a, &g);
		CHECK(t != NULL && jsonx_int(t, "member_time_s", 0) == 21 * 60, "the thread's member time is 21 minutes");
		CHECK(g != NULL && jsonx_int(g, "count", 0) == 2 && find_thread(json_object_get(r, "groups"), b, NULL) != NULL &&
		    jsonx_int(g, "member_time_s", 0) == 22 * 60, "the two parking threads are one group of 22 minutes");
		CHECK(g == json_array_get(json_object_get(r, "groups"), 0), "the group with the most member time ranks first");
		CHECK(t != NULL && strcmp(jsonx_str(t, "answer"), "Car park B, level 2, free for monitors.") == 0,
		    "the member's answer is the substantive public reply, not the note");
		t = find_thread(json_object_get(r, "groups"), d, NULL);
		CHECK(t != NULL && strcmp(jsonx_str(t, "reason"), "rule") == 0, "a rule handoff is found by handoff_at");
		t = find_thread(json_object_get(r, "groups"), e, NULL);
		CHECK(t != NULL && strcmp(jsonx_str(t, "question"), "Can frozen samples ship on Friday?") == 0,
		    "for not_helpful the question is the one the failed answer was for");
		CHECK(jsonx_int(json_object_get(r, "totals"), "gaps", 0) == 3 &&
		    find_thread(json_object_get(r, "gaps"), d, NULL) == NULL,
		    "gaps are the low-confidence and not-helpful threads, not the rule's");
		json_decref(r);

		r = inbox_review(s, ws, "2026-10", NULL, &ei);
		CHECK(r != NULL && jsonx_int(json_object_get(r, "totals"), "handoffs", 0) == 1 &&
		    find_thread(json_object_get(r, "groups"), c, NULL) != NULL, "October has its own handoff");
		json_decref(r);

		add_handoff(s, c, "human_requested", nov + 20000);
		r = inbox_review(s, ws, "2026-11", NULL, &ei);
		t = r ? find_thread(json_object_get(r, "groups"), c, NULL) : NULL;
		CHECK(t != NULL && strcmp(jsonx_str(t, "reason"), "human_requested") == 0,
		    "handed off again in November: listed with November's reason");
		json_decref(r);

		r = inbox_review(s, ws, "2026-11", sites, &ei);
		CHECK(r != NULL && jsonx_int(json_object_get(r, "totals"), "handoffs", 0) == 3 &&
		    find_thread(json_object_get(r, "groups"), b, NULL) == NULL,
		    "the site scope keeps only Site-101's threads");
		json_decref(r);
		CHECK(inbox_review(s, ws, "2026-13", NULL, &ei) == NULL && ei.code == ERR_INVALID, "a bad month is an error");

		/* Entries: propose from a thread, reject, then a conflict. */
		{
			struct principal owner;
			char tok[80];
			json_t *req = json_pack("{s:s}", "conversation_id", a), *en = NULL, *dec = NULL;
			int64_t id;

			memset(&owner, 0, sizeof(owner));
			CHECK(inbox_login(s, "owner@site.org", jsonx_str(out, "password"), "1.2.3.4", tok, &ei) == ERR_OK &&
			    inbox_session_lookup(s, tok, &owner) == ERR_OK, "the owner logs in");
			CHECK(inbox_review_propose(s, &owner, req, &en, &ei) == ERR_OK &&
			    strcmp(jsonx_str(en, "answer"), "Car park B, level 2, free for monitors.") == 0 &&
			    strcmp(jsonx_str(en, "question"), "Is there parking for monitors at the hospital?") == 0,
			    "a proposal from a thread is pre-filled with its question and answer");
			id = jsonx_int(en, "id", 0);
			CHECK(inbox_review_decide(s, &owner, id, 0, NULL, &dec, &ei) == ERR_OK &&
			    strcmp(jsonx_str(dec, "state"), "rejected") == 0, "an entry is rejected");
			json_decref(dec);
			dec = NULL;
			CHECK(inbox_review_decide(s, &owner, id, 1, NULL, &dec, &ei) == ERR_CONFLICT,
			    "a decided entry cannot be decided again");
			CHECK(inbox_review_decide(s, &owner, id + 100, 1, NULL, &dec, &ei) == ERR_NOT_FOUND,
			    "an unknown entry is not found");
			json_decref(en);
			json_decref(req);
			principal_clear(&owner);
		}
		json_decref(sites);
		free(a);
		free(b);
		free(c);
		free(d);
		free(e);
	}
	json_decref(out);
	ST(s, close);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return test_done();
}
