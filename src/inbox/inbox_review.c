/* inbox_review.c: the monthly review (R2, R3) and the review -> knowledge
 * base loop.
 *
 * The review takes a month's handed-off conversations, finds each one's
 * question (the visitor message that triggered the handoff; for not_helpful,
 * the question the unhelpful answer was for), groups similar questions and
 * ranks the groups by the member time they took. Knowledge gaps are the
 * questions the agent could not answer (low_confidence, not_helpful),
 * grouped the same way.
 *
 * Grouping: each question becomes a vector of stemmed content terms
 * (kb_tv_make); questions are taken in handoff order and each joins the
 * existing group with the highest average cosine to its members when that
 * average is at least REVIEW_SIM (0.5), else starts a group. Average link does not
 * chain unrelated questions together the way single link does. A group's
 * representative question is its medoid (the highest summed similarity to
 * the others; the earliest on ties).
 *
 * Member time (REVIEW_MEMBER_TIME_DOC below): for each message or internal
 * note a member writes after the handoff, the time since the thread's
 * previous message (or the handoff), capped at 15 minutes because a longer
 * gap is the thread waiting, not a person working, and at least 1 minute
 * because reading a thread and writing a reply takes at least that. It
 * counts effort, not queue time, so a group ranks high when people spent
 * many replies on it, not when it sat unclaimed over a weekend.
 *
 * Review entries: a member proposes {question, answer} (pre-filled from a
 * thread); an admin approves it, which marks it approved in one transaction
 * (so two approvals cannot both create a document) and then adds a Markdown
 * document "qa-<slug of the question>.md" through inbox_kb_add, the same
 * path as an upload: stored, versioned (a later entry with the same question
 * supersedes it), indexed at once, audited. If the document cannot be added
 * the entry goes back to pending. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox.h"
#include "kb/kb.h"

#define REVIEW_SIM 0.5
#define REVIEW_GAP_MAX_MS (15 * 60 * 1000LL)
#define REVIEW_GAP_MIN_MS (60 * 1000LL)
#define REVIEW_MAX_THREADS 20000
#define REVIEW_Q_MAX 500
#define REVIEW_A_MAX 8000

const char inbox_review_member_time_doc[] =
    "member time: for each message or internal note a member writes after the handoff, the time "
    "since the thread's previous message (or the handoff), capped at 15 minutes (a longer gap is "
    "waiting, not working) and at least 1 minute (reading and writing take at least that); summed "
    "over the group's threads";

err_t
inbox_review_month(const char *month, int64_t *from, int64_t *to, struct errinfo *ei)
{
	char buf[16];
	int y, m;

	if (month == NULL || strlen(month) != 7 || month[4] != '-' || !isdigit((unsigned char)month[0]) ||
	    !isdigit((unsigned char)month[1]) || !isdigit((unsigned char)month[2]) ||
	    !isdigit((unsigned char)month[3]) || !isdigit((unsigned char)month[5]) ||
	    !isdigit((unsigned char)month[6]))
		return err_set(ei, ERR_INVALID, "month must be YYYY-MM (for example 2026-11)");
	y = (month[0] - '0') * 1000 + (month[1] - '0') * 100 + (month[2] - '0') * 10 + (month[3] - '0');
	m = (month[5] - '0') * 10 + (month[6] - '0');
	if (m < 1 || m > 12 || y < 1970 || y > 9998)
		return err_set(ei, ERR_INVALID, "month must be YYYY-MM with a month from 01 to 12");
	snprintf(buf, sizeof(buf), "%04d-%02d-01", y, m);
	if (util_parse_time(buf, from))
		return err_set(ei, ERR_INVALID, "month must be YYYY-MM");
	snprintf(buf, sizeof(buf), "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
	if (util_parse_time(buf, to))
		return err_set(ei, ERR_INVALID, "month must be YYYY-MM");
	return ERR_OK;
}

int64_t
inbox_review_member_ms(const json_t *msgs, int64_t handoff_at)
{
	int64_t prev = handoff_at, total = 0;
	size_t i;

	for (i = 0; i < json_array_size(msgs); i++) {
		const json_t *m = json_array_get(msgs, i);
		int64_t at = jsonx_int(m, "created_at", 0), gap;

		if (at < handoff_at)
			continue;
		if (strcmp(jsonx_str(m, "author_kind") ? jsonx_str(m, "author_kind") : "", "member") == 0) {
			gap = at - prev;
			if (gap > REVIEW_GAP_MAX_MS)
				gap = REVIEW_GAP_MAX_MS;
			if (gap < REVIEW_GAP_MIN_MS)
				gap = REVIEW_GAP_MIN_MS;
			total += gap;
		}
		if (at > prev)
			prev = at;
	}
	return total;
}

/* Grouping keeps, per term, the groups whose members use it with the sum of
 * their normalised weights (sorted by group). The average cosine of a
 * question to a group's members is its dot product with that sum divided by
 * the group's size, so each question costs the postings of its own terms
 * instead of a comparison with every earlier question. */
struct rv_post {
	int g;
	double v;
};

struct rv_plist {
	struct rv_post *p;
	int n, cap;
};

struct rv_vec {
	int n;
	int id[KB_TV_MAX];
	double w[KB_TV_MAX]; /* normalised to length 1 (all 0 for an empty vector) */
};

/* The sum for group g in pl, inserted as 0 when create is set; NULL when absent. */
static double *
rv_find(struct rv_plist *pl, int g, int create)
{
	int lo = 0, hi = pl->n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (pl->p[mid].g < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pl->n && pl->p[lo].g == g)
		return &pl->p[lo].v;
	if (!create)
		return NULL;
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 4;
		pl->p = xrealloc(pl->p, (size_t)pl->cap * sizeof(*pl->p));
	}
	memmove(&pl->p[lo + 1], &pl->p[lo], (size_t)(pl->n - lo) * sizeof(*pl->p));
	pl->p[lo].g = g;
	pl->p[lo].v = 0;
	pl->n++;
	return &pl->p[lo].v;
}

json_t *
inbox_review_cluster(const json_t *questions, double threshold)
{
	size_t n = json_array_size(questions), i;
	struct rv_vec *vec = xcalloc(n ? n : 1, sizeof(*vec));
	int *grp = xcalloc(n ? n : 1, sizeof(int)), *cnt = xcalloc(n ? n : 1, sizeof(int));
	int *touched = xcalloc(n ? n : 1, sizeof(int));
	double *acc = xcalloc(n ? n : 1, sizeof(double)), *best_rep = xcalloc(n ? n : 1, sizeof(double));
	size_t *rep = xcalloc(n ? n : 1, sizeof(size_t));
	struct rv_plist *pl = NULL;
	json_t *terms = json_object(), *out = json_array(), **members;
	int ng = 0, nterms = 0, k, g;

	for (i = 0; i < n; i++) {
		struct kb_tv tv;
		double norm = 0;

		kb_tv_make(json_string_value(json_array_get(questions, i)), &tv);
		for (k = 0; k < tv.n; k++) {
			json_t *id = json_object_get(terms, tv.term[k]);

			if (id == NULL) {
				id = json_integer(nterms++);
				json_object_set_new(terms, tv.term[k], id);
				pl = xrealloc(pl, (size_t)nterms * sizeof(*pl));
				memset(&pl[nterms - 1], 0, sizeof(*pl));
			}
			vec[i].id[k] = (int)json_integer_value(id);
			vec[i].w[k] = tv.w[k];
			norm += tv.w[k] * tv.w[k];
		}
		vec[i].n = tv.n;
		for (k = 0; k < tv.n; k++)
			vec[i].w[k] /= sqrt(norm);
	}
	for (i = 0; i < n; i++) {
		int nt = 0, bg = -1;
		double best = -1;

		for (k = 0; k < vec[i].n; k++) {
			struct rv_plist *p = &pl[vec[i].id[k]];
			int j;

			for (j = 0; j < p->n; j++) {
				if (acc[p->p[j].g] == 0)
					touched[nt++] = p->p[j].g;
				acc[p->p[j].g] += vec[i].w[k] * p->p[j].v;
			}
		}
		for (k = 0; k < nt; k++) {
			double avg = acc[touched[k]] / cnt[touched[k]];

			if (avg >= threshold && (avg > best || (avg == best && touched[k] < bg))) {
				best = avg;
				bg = touched[k];
			}
			acc[touched[k]] = 0;
		}
		/* At a threshold of 0 even a question sharing nothing joins the first group. */
		if (bg < 0 && threshold <= 0 && ng > 0)
			bg = 0;
		if (bg < 0)
			bg = ng++;
		grp[i] = bg;
		cnt[bg]++;
		for (k = 0; k < vec[i].n; k++)
			*rv_find(&pl[vec[i].id[k]], bg, 1) += vec[i].w[k];
	}
	/* The medoid: the highest summed cosine to the group's other members,
	 * which is the dot product with the group's sum less the member itself. */
	members = xcalloc(ng ? (size_t)ng : 1, sizeof(*members));
	for (g = 0; g < ng; g++) {
		members[g] = json_array();
		best_rep[g] = -1e300;
	}
	for (i = 0; i < n; i++) {
		double dot = 0, self = 0;

		for (k = 0; k < vec[i].n; k++) {
			double *v = rv_find(&pl[vec[i].id[k]], grp[i], 0);

			dot += vec[i].w[k] * (v ? *v : 0);
			self += vec[i].w[k] * vec[i].w[k];
		}
		json_array_append_new(members[grp[i]], json_integer((json_int_t)i));
		/* Compare with a little slack so rounding does not beat an earlier tie. */
		if (dot - self > best_rep[grp[i]] + 1e-9) {
			best_rep[grp[i]] = dot - self;
			rep[grp[i]] = i;
		}
	}
	for (g = 0; g < ng; g++)
		json_array_append_new(out, json_pack("{s:I,s:o}", "rep", (json_int_t)rep[g], "members", members[g]));
	for (k = 0; k < nterms; k++)
		free(pl[k].p);
	free(pl);
	free(members);
	free(vec);
	free(grp);
	free(cnt);
	free(touched);
	free(acc);
	free(best_rep);
	free(rep);
	json_decref(terms);
	return out;
}

/* The longest public member reply after the handoff: the substantive answer
 * rather than "looking into it". */
static const char *
review_answer(const json_t *msgs, int64_t handoff_at)
{
	const char *best = NULL;
	size_t i, bl = 0;

	for (i = 0; i < json_array_size(msgs); i++) {
		const json_t *m = json_array_get(msgs, i);
		const char *b = jsonx_str(m, "body");

		if (jsonx_int(m, "created_at", 0) < handoff_at || jsonx_int(m, "internal", 0) ||
		    strcmp(jsonx_str(m, "author_kind"), "member") != 0 || b == NULL)
			continue;
		if (strlen(b) > bl) {
			best = b;
			bl = strlen(b);
		}
	}
	return best;
}

/* The visitor message that triggered the handoff (the last one at or before
 * it); for not_helpful the one before that, which the failed answer was for. */
static const char *
review_question(const json_t *msgs, int64_t handoff_at, const char *reason, const char *subject)
{
	const char *last = NULL, *prev = NULL, *first = NULL;
	size_t i;

	for (i = 0; i < json_array_size(msgs); i++) {
		const json_t *m = json_array_get(msgs, i);

		if (strcmp(jsonx_str(m, "author_kind"), "visitor") != 0)
			continue;
		if (first == NULL)
			first = jsonx_str(m, "body");
		if (jsonx_int(m, "created_at", 0) <= handoff_at) {
			prev = last;
			last = jsonx_str(m, "body");
		}
	}
	if (reason != NULL && strcmp(reason, "not_helpful") == 0 && prev != NULL)
		return prev;
	if (last != NULL)
		return last;
	if (first != NULL)
		return first;
	return subject ? subject : "";
}

static int
review_is_gap(const char *reason)
{
	return reason != NULL && (strcmp(reason, "low_confidence") == 0 || strcmp(reason, "not_helpful") == 0);
}

static void
review_count(json_t *obj, const char *key)
{
	json_object_set_new(obj, key ? key : "unknown",
	    json_integer(jsonx_int(obj, key ? key : "unknown", 0) + 1));
}

static int
review_group_cmp(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int64_t tx = jsonx_int(x, "member_time_s", 0), ty = jsonx_int(y, "member_time_s", 0);
	int64_t cx = jsonx_int(x, "count", 0), cy = jsonx_int(y, "count", 0);
	int64_t ox = jsonx_int(x, "order", 0), oy = jsonx_int(y, "order", 0);

	if (tx != ty)
		return tx > ty ? -1 : 1;
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return ox < oy ? -1 : ox > oy;
}

/* Sort groups by member time, then count, then first handoff; drop "order". */
static json_t *
review_rank(json_t *groups)
{
	size_t n = json_array_size(groups), i;
	json_t **v = xcalloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (i = 0; i < n; i++)
		v[i] = json_array_get(groups, i);
	qsort(v, n, sizeof(*v), review_group_cmp);
	for (i = 0; i < n; i++) {
		json_object_del(v[i], "order");
		json_array_append(out, v[i]);
	}
	free(v);
	json_decref(groups);
	return out;
}

/* Append v (stolen) to the array at obj[key], creating it. */
static void
review_push(json_t *obj, const char *key, json_t *v)
{
	json_t *arr = json_object_get(obj, key ? key : "");

	if (arr == NULL) {
		arr = json_array();
		json_object_set_new(obj, key ? key : "", arr);
	}
	json_array_append_new(arr, v);
}

/* Group the threads (each with "question") into ranked groups; ent_by maps
 * a conversation id to its review entries. */
static json_t *
review_groups(json_t *threads, json_t *ent_by, int gaps, struct store *s, const char *ws)
{
	json_t *qs = json_array(), *cl, *groups = json_array(), *en_list;
	size_t i, k, e;

	for (i = 0; i < json_array_size(threads); i++)
		json_array_append_new(qs, json_string(jsonx_str(json_array_get(threads, i), "question")));
	cl = inbox_review_cluster(qs, REVIEW_SIM);
	for (i = 0; i < json_array_size(cl); i++) {
		json_t *c = json_array_get(cl, i), *mem = json_object_get(c, "members");
		json_t *g = json_object(), *th = json_array(), *reasons = json_object(), *sites = json_array();
		json_t *ents = json_array(), *qlist = json_array();
		int64_t mt = 0;
		const json_t *rep = json_array_get(threads, (size_t)jsonx_int(c, "rep", 0));

		for (k = 0; k < json_array_size(mem); k++) {
			json_t *t = json_array_get(threads, (size_t)json_integer_value(json_array_get(mem, k)));
			const char *site = jsonx_str(t, "site");
			size_t j;
			int seen = 0;

			mt += jsonx_int(t, "member_time_s", 0);
			review_count(reasons, jsonx_str(t, "reason"));
			for (j = 0; site && j < json_array_size(sites); j++)
				seen |= strcmp(json_string_value(json_array_get(sites, j)), site) == 0;
			if (site != NULL && !seen)
				json_array_append_new(sites, json_string(site));
			if (gaps) {
				seen = 0;
				for (j = 0; j < json_array_size(qlist); j++)
					seen |= strcmp(json_string_value(json_array_get(qlist, j)), jsonx_str(t, "question")) == 0;
				if (!seen && json_array_size(qlist) < 10)
					json_array_append_new(qlist, json_string(jsonx_str(t, "question")));
				json_array_append_new(th, json_pack("{s:O,s:O,s:O?}", "id", json_object_get(t, "id"),
				    "number", json_object_get(t, "number"), "site", json_object_get(t, "site")));
			} else {
				json_array_append(th, t);
			}
			en_list = json_object_get(ent_by, jsonx_str(t, "id"));
			for (e = 0; e < json_array_size(en_list); e++) {
				json_t *en = json_array_get(en_list, e);

				json_array_append_new(ents, json_pack("{s:O,s:O}", "id", json_object_get(en, "id"),
				    "state", json_object_get(en, "state")));
			}
		}
		json_object_set_new(g, "question", json_string(jsonx_str(rep, "question")));
		json_object_set_new(g, "count", json_integer((json_int_t)json_array_size(mem)));
		json_object_set_new(g, "member_time_s", json_integer(mt));
		json_object_set_new(g, "reasons", reasons);
		json_object_set_new(g, "sites", sites);
		json_object_set_new(g, "threads", th);
		json_object_set_new(g, "order", json_integer((json_int_t)i));
		if (gaps) {
			json_t *now = inbox_kb_ask(s, ws, jsonx_str(rep, "question"));

			json_object_set_new(g, "questions", qlist);
			/* Whether the agent answers it today: a gap the loop has closed. */
			json_object_set_new(g, "answered_now", json_boolean(now != NULL && !json_is_true(json_object_get(now, "handoff"))));
			json_object_set_new(g, "confidence_now", json_real(now ? json_number_value(json_object_get(now, "confidence")) : 0));
			json_decref(now);
			json_decref(ents);
		} else {
			json_object_set_new(g, "entries", ents);
			json_decref(qlist);
		}
		json_array_append_new(groups, g);
	}
	json_decref(cl);
	json_decref(qs);
	return review_rank(groups);
}

json_t *
inbox_review(struct store *s, const char *ws, const char *month, json_t *sites,
    struct errinfo *ei)
{
	int64_t from, to, total_ms = 0;
	json_t *hs, *ids, *msgs, *tags, *entries, *threads, *gap_threads, *out = NULL, *groups, *gaps;
	json_t *msg_by, *tag_by, *ent_by;
	size_t i, k;
	char f[32], t[32];

	if (inbox_review_month(month, &from, &to, ei))
		return NULL;
	hs = ST(s, review_handoffs, ws, from, to, sites);
	if (hs == NULL) {
		err_set(ei, ERR_STORE, "could not read the month's handoffs");
		return NULL;
	}
	if (json_array_size(hs) > REVIEW_MAX_THREADS) {
		json_decref(hs);
		err_set(ei, ERR_TOO_LARGE, "more than %d handoffs in one month; narrow the scope", REVIEW_MAX_THREADS);
		return NULL;
	}
	ids = json_array();
	for (i = 0; i < json_array_size(hs); i++)
		json_array_append(ids, json_object_get(json_array_get(hs, i), "id"));
	msgs = ST(s, review_messages, ws, ids);
	tags = ST(s, conv_tags, ws, ids);
	entries = ST(s, review_entry_list, ws, NULL, 10000);
	threads = json_array();
	gap_threads = json_array();
	/* Index messages and tag names by conversation (jansson objects hash their keys). */
	msg_by = json_object();
	tag_by = json_object();
	ent_by = json_object();
	for (k = 0; k < json_array_size(msgs); k++) {
		json_t *m = json_array_get(msgs, k);

		review_push(msg_by, jsonx_str(m, "conversation_id"), json_incref(m));
	}
	for (k = 0; k < json_array_size(tags); k++) {
		json_t *x = json_array_get(tags, k);

		review_push(tag_by, jsonx_str(x, "conversation_id"), json_string(jsonx_str(x, "name")));
	}
	for (i = 0; i < json_array_size(hs); i++) {
		json_t *h = json_array_get(hs, i), *mine, *tg, *th;
		const char *id = jsonx_str(h, "id"), *reason = jsonx_str(h, "reason"), *ans;
		int64_t at = jsonx_int(h, "handoff_at", 0), ms;
		char hat[32];

		mine = json_incref(json_object_get(msg_by, id));
		if (mine == NULL)
			mine = json_array();
		tg = json_incref(json_object_get(tag_by, id));
		if (tg == NULL)
			tg = json_array();
		ms = inbox_review_member_ms(mine, at);
		total_ms += ms;
		ans = review_answer(mine, at);
		util_rfc3339(at, hat);
		th = json_pack("{s:s,s:O,s:O?,s:O,s:s,s:s,s:o,s:s,s:s?,s:I}", "id", id, "number",
		    json_object_get(h, "number"), "site", json_object_get(h, "site"), "status",
		    json_object_get(h, "status"), "reason", reason ? reason : "unknown", "handoff_at", hat,
		    "tags", tg, "question",
		    review_question(mine, at, reason, jsonx_str(h, "subject")), "answer", ans,
		    "member_time_s", (json_int_t)((ms + 500) / 1000));
		json_array_append(threads, th);
		if (review_is_gap(reason))
			json_array_append(gap_threads, th);
		json_decref(th);
		json_decref(mine);
	}
	for (k = 0; k < json_array_size(entries); k++) {
		json_t *en = json_array_get(entries, k);

		if (jsonx_str(en, "conversation_id") != NULL)
			review_push(ent_by, jsonx_str(en, "conversation_id"), json_incref(en));
	}
	groups = review_groups(threads, ent_by, 0, s, ws);
	gaps = review_groups(gap_threads, ent_by, 1, s, ws);
	util_rfc3339(from, f);
	util_rfc3339(to, t);
	out = json_pack("{s:s,s:s,s:s,s:s,s:{s:I,s:I,s:I,s:I},s:o,s:o}", "month", month, "from", f,
	    "to", t, "member_time_definition", inbox_review_member_time_doc, "totals", "handoffs",
	    (json_int_t)json_array_size(threads), "groups", (json_int_t)json_array_size(groups),
	    "member_time_s", (json_int_t)((total_ms + 500) / 1000), "gaps",
	    (json_int_t)json_array_size(gap_threads), "groups", groups, "gaps", gaps);
	json_decref(hs);
	json_decref(ids);
	json_decref(msgs);
	json_decref(tags);
	json_decref(entries);
	json_decref(threads);
	json_decref(gap_threads);
	json_decref(msg_by);
	json_decref(tag_by);
	json_decref(ent_by);
	return out;
}

/* ---- review entries ---- */

/* Trimmed copy with runs of whitespace folded to one space (a question is
 * one line: it becomes a heading). */
static char *
review_fold(const char *s)
{
	char *out = xmalloc(strlen(s) + 1);
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = (char)c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

static json_t *
review_entry_view(json_t *e)
{
	return jsonx_present(e);
}

err_t
inbox_review_propose(struct store *s, const struct principal *by, json_t *req, json_t **out,
    struct errinfo *ei)
{
	const char *ws = by->workspace_id, *cid = jsonx_str(req, "conversation_id");
	const char *q = jsonx_str(req, "question"), *a = jsonx_str(req, "answer");
	json_t *conv = NULL, *msgs = NULL, *row = NULL;
	char *qf = NULL, *af = NULL, actor[128], obj[64];
	int64_t now = util_now_ms(), id;
	err_t err;

	if ((json_object_get(req, "question") && !json_is_string(json_object_get(req, "question"))) ||
	    (json_object_get(req, "answer") && !json_is_string(json_object_get(req, "answer"))) ||
	    (json_object_get(req, "conversation_id") && !json_is_null(json_object_get(req, "conversation_id")) &&
	     !json_is_string(json_object_get(req, "conversation_id"))))
		return err_set(ei, ERR_INVALID, "question, answer and conversation_id must be strings");
	if (cid != NULL) {
		conv = inbox_conv_get(s, by, cid, ei);
		if (conv == NULL)
			return ei->code;
		/* Fill what the member left out from the thread. */
		if (q == NULL || a == NULL) {
			int64_t at = jsonx_int(conv, "handoff_at", 0);

			json_t *one = json_pack("[s]", cid);

			msgs = ST(s, review_messages, ws, one);
			json_decref(one);
			if (q == NULL)
				q = review_question(msgs, at ? at : INT64_MAX, jsonx_str(conv, "handoff_reason"), jsonx_str(conv, "subject"));
			if (a == NULL)
				a = review_answer(msgs, at);
		}
	}
	if (q == NULL || a == NULL) {
		err = err_set(ei, ERR_INVALID, "send {\"question\", \"answer\"} or a conversation_id with a member's answer");
		goto out;
	}
	qf = review_fold(q);
	af = xstrdup(a);
	util_trim(af);
	if (strlen(qf) < 3 || strlen(qf) > REVIEW_Q_MAX || !util_utf8_valid(qf, strlen(qf))) {
		err = err_set(ei, ERR_INVALID, "question must be 3 to %d characters of text", REVIEW_Q_MAX);
		goto out;
	}
	if (*af == '\0' || strlen(af) > REVIEW_A_MAX || !util_utf8_valid(af, strlen(af))) {
		err = err_set(ei, ERR_INVALID, "answer must be 1 to %d characters of text", REVIEW_A_MAX);
		goto out;
	}
	row = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s,s:I,s:I}", "workspace_id", ws, "conversation_id",
	    cid, "question", qf, "answer", af, "state", "pending", "proposed_by", inbox_actor(by, actor),
	    "created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	err = ST(s, begin);
	if (err) {
		err_set(ei, err, "the store is busy; try again");
		goto out;
	}
	id = ST(s, review_entry_create, row);
	err = id < 0 ? ERR_STORE : ERR_OK;
	snprintf(obj, sizeof(obj), "review_entry:%lld", (long long)id);
	if (!err)
		err = inbox_audit(s, ws, actor, "review.propose", obj, NULL,
		    json_pack("{s:s?,s:s,s:s}", "conversation_id", cid, "question", qf, "answer", af));
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	if (err) {
		err_set(ei, err, "could not save the entry");
		goto out;
	}
	if (out != NULL)
		*out = review_entry_view(ST(s, review_entry_get, ws, id));
out:
	json_decref(conv);
	json_decref(msgs);
	json_decref(row);
	free(qf);
	free(af);
	return err;
}

/* "qa-" and the question's words, lowercased, joined by '-'. */
static void
review_doc_name(const char *q, int64_t id, char out[96])
{
	size_t n = 0;
	int dash = 0;

	n = (size_t)snprintf(out, 96, "qa-");
	for (; *q && n < 80; q++) {
		unsigned char c = (unsigned char)*q;

		if (isalnum(c)) {
			if (dash && n > 3)
				out[n++] = '-';
			out[n++] = (char)tolower(c);
			dash = 0;
		} else {
			dash = 1;
		}
	}
	if (n == 3)
		n += (size_t)snprintf(out + n, 96 - n, "entry-%lld", (long long)id);
	snprintf(out + n, 96 - n, ".md");
}

static err_t
review_set(struct store *s, const char *ws, int64_t id, const char *from_state, json_t *fields,
    const char *actor, const char *action, json_t *after)
{
	char obj[64];
	err_t err = ST(s, begin);

	if (err) {
		json_decref(fields);
		json_decref(after);
		return err;
	}
	snprintf(obj, sizeof(obj), "review_entry:%lld", (long long)id);
	json_object_set_new(fields, "updated_at", json_integer(util_now_ms()));
	err = ST(s, review_entry_decide, ws, id, from_state, fields);
	if (!err)
		err = inbox_audit(s, ws, actor, action, obj, json_pack("{s:s}", "state", from_state), after);
	else
		json_decref(after);
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	json_decref(fields);
	return err;
}

err_t
inbox_review_decide(struct store *s, const struct principal *by, int64_t id, int approve,
    json_t *req, json_t **out, struct errinfo *ei)
{
	const char *ws = by->workspace_id, *note = jsonx_str(req, "note");
	const char *q = jsonx_str(req, "question"), *a = jsonx_str(req, "answer");
	json_t *e = ST(s, review_entry_get, ws, id), *fields, *doc = NULL;
	char actor[128], name[96], *qf = NULL, *af = NULL;
	struct buf md;
	err_t err;

	buf_init(&md, REVIEW_Q_MAX + REVIEW_A_MAX + 64);
	if (e == NULL) {
		err = err_set(ei, ERR_NOT_FOUND, "no such review entry");
		goto out;
	}
	if (strcmp(jsonx_str(e, "state"), "pending") != 0) {
		err = err_set(ei, ERR_CONFLICT, "the entry is already %s", jsonx_str(e, "state"));
		goto out;
	}
	if (note != NULL && strlen(note) > 1000) {
		err = err_set(ei, ERR_INVALID, "note must be at most 1000 characters");
		goto out;
	}
	/* The admin may correct the text while approving. */
	qf = review_fold(q ? q : jsonx_str(e, "question"));
	af = xstrdup(a ? a : jsonx_str(e, "answer"));
	util_trim(af);
	if (strlen(qf) < 3 || strlen(qf) > REVIEW_Q_MAX || !util_utf8_valid(qf, strlen(qf)) ||
	    *af == '\0' || strlen(af) > REVIEW_A_MAX || !util_utf8_valid(af, strlen(af))) {
		err = err_set(ei, ERR_INVALID, "question must be 3 to %d characters and answer 1 to %d", REVIEW_Q_MAX, REVIEW_A_MAX);
		goto out;
	}
	inbox_actor(by, actor);
	if (!approve) {
		err = review_set(s, ws, id, "pending",
		    json_pack("{s:s,s:s,s:I,s:s?}", "state", "rejected", "decided_by", actor, "decided_at",
			(json_int_t)util_now_ms(), "note", note),
		    actor, "review.reject", json_pack("{s:s,s:s?}", "state", "rejected", "note", note));
		if (err) {
			err_set(ei, err, err == ERR_CONFLICT ? "the entry was decided meanwhile" : "could not save the decision");
			goto out;
		}
		goto done;
	}
	review_doc_name(qf, id, name);
	err = review_set(s, ws, id, "pending",
	    json_pack("{s:s,s:s,s:I,s:s?,s:s,s:s}", "state", "approved", "decided_by", actor,
		"decided_at", (json_int_t)util_now_ms(), "note", note, "question", qf, "answer", af),
	    actor, "review.approve",
	    json_pack("{s:s,s:s,s:s,s:s}", "state", "approved", "document", name, "question", qf, "answer", af));
	if (err) {
		err_set(ei, err, err == ERR_CONFLICT ? "the entry was decided meanwhile" : "could not save the decision");
		goto out;
	}
	/* The question is the title and the heading the answer cites. */
	buf_printf(&md, "# %s\n\n%s\n", qf, af);
	err = inbox_kb_add(s, by, NULL, md.p, md.len, name, NULL, &doc, ei);
	if (err) {
		char why[256];

		snprintf(why, sizeof(why), "%s", ei->msg);
		review_set(s, ws, id, "approved",
		    json_pack("{s:s,s:n,s:n}", "state", "pending", "decided_by", "decided_at"), actor,
		    "review.approve_failed", json_pack("{s:s,s:s}", "state", "pending", "error", why));
		err_set(ei, err, "the entry could not become a document (%s); it is pending again", why);
		goto out;
	}
	/* Link the entry to its document; the audit has both already. */
	fields = json_pack("{s:O,s:s}", "document_id", json_object_get(doc, "id"), "document_name", name);
	if (ST(s, begin) == ERR_OK) {
		if (ST(s, review_entry_decide, ws, id, "approved", fields) == ERR_OK)
			ST(s, commit);
		else
			ST(s, rollback);
	}
	json_decref(fields);
done:
	if (out != NULL) {
		*out = review_entry_view(ST(s, review_entry_get, ws, id));
		if (doc != NULL)
			json_object_set(*out, "document", doc);
	}
	err = ERR_OK;
out:
	json_decref(e);
	json_decref(doc);
	buf_free(&md);
	free(qf);
	free(af);
	return err;
}

json_t *
inbox_review_entries(struct store *s, const struct principal *p, const char *state)
{
	json_t *rows = ST(s, review_entry_list, p->workspace_id, state, 500), *out = json_array();
	size_t i;

	for (i = 0; i < json_array_size(rows); i++) {
		json_t *e = json_array_get(rows, i);
		const char *cid = jsonx_str(e, "conversation_id");

		/* A site-scoped member sees entries of their sites' threads only. */
		if (cid != NULL && p->sites != NULL) {
			struct errinfo ei = {0};
			json_t *c = inbox_conv_get(s, p, cid, &ei);

			if (c == NULL)
				continue;
			json_decref(c);
		}
		json_array_append(out, review_entry_view(e));
	}
	json_decref(rows);
	return out;
}
