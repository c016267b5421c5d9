/* suggest_eval.c: how good are suggested tags (T4) and "answered in #N"
 * (I8) on the demo data? Reads demo/tagged.jsonl: tag lines {"tag",
 * "description"} then question lines {"id", "group", "question", "tags"},
 * where a group is a set of paraphrases of one question.
 *
 * Held-out split (fixed): a paraphrase group whose number is a multiple of 4
 * is test, every other group is train, so no test question has a paraphrase
 * in training. The classifier is the server's own (inbox_suggest_model_*),
 * trained on the train questions with the tag descriptions as its prior.
 * Printed beside it, measured in the same run on the same split:
 *   - "most frequent tag": always the train set's most common topic;
 *   - "keyword match": the tags whose name or description shares the most
 *     terms with the question (the same kb_terms normalisation);
 *   - "descriptions only": the classifier with no tagged history.
 *
 * Duplicates: the first question of each group is "answered" (indexed)
 * unless the group's number is a multiple of 5 (those have no answered twin);
 * every other question asks. A firing ("answered in") is right when its best
 * match is in the asker's group. The threshold sweep is printed on train
 * groups; the figures at the server's INBOX_DUP_THRESHOLD are on test groups.
 * Reference: word-set Jaccard (lowercased words, no stemming, no idf) at its
 * best train threshold. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/jsonx.h"
#include "inbox/inbox.h"
#include "kb/kb.h"

#define MAXQ 2000
#define MAXT 64

struct q {
	const char *text;
	int group;
	int tags[8];
	int ntags;
};

static struct q qs[MAXQ];
static size_t nq;
static const char *tname[MAXT], *tdesc[MAXT];
static size_t nt;

static int
is_test(const struct q *q)
{
	return q->group % 4 == 0;
}

static int
gold(const struct q *q, int t)
{
	int i;

	for (i = 0; i < q->ntags; i++)
		if (q->tags[i] == t)
			return 1;
	return 0;
}

struct prf {
	double tp, fp, fn;
};

static void
prf_print(const char *name, const struct prf *p)
{
	double P = p->tp + p->fp > 0 ? p->tp / (p->tp + p->fp) : 0, R = p->tp + p->fn > 0 ? p->tp / (p->tp + p->fn) : 0;

	printf("  %-44s precision %.3f  recall %.3f  F1 %.3f  (tp %.0f fp %.0f fn %.0f)\n", name, P, R,
	    P + R > 0 ? 2 * P * R / (P + R) : 0, p->tp, p->fp, p->fn);
}

/* Score a set prediction (pred[t] = 1) against gold. */
static void
prf_add(struct prf *p, const struct q *q, const int *pred)
{
	size_t t;

	for (t = 0; t < nt; t++) {
		if (pred[t] && gold(q, (int)t))
			p->tp++;
		else if (pred[t])
			p->fp++;
		else if (gold(q, (int)t))
			p->fn++;
	}
}

static struct inbox_suggest_model *
build(int with_history)
{
	struct inbox_suggest_model *m = inbox_suggest_model_new();
	size_t i;
	int k;

	for (i = 0; i < nt; i++)
		inbox_suggest_model_tag(m, (int64_t)i + 1, tname[i], tdesc[i]);
	for (i = 0; with_history && i < nq; i++) {
		int64_t ids[8];

		if (is_test(&qs[i]))
			continue;
		for (k = 0; k < qs[i].ntags; k++)
			ids[k] = qs[i].tags[k] + 1;
		inbox_suggest_model_example(m, qs[i].text, ids, (size_t)qs[i].ntags);
	}
	inbox_suggest_model_finish(m);
	return m;
}

/* Leave-groups-out cross-validation on the train split only: the expected
 * calibration error (10 bins) and precision@1 of the top score for a few
 * temperatures. The server's SUGGEST_TEMP is the one with the lowest ECE. */
static void
cv_temperature(void)
{
	static const double temps[] = {0.5, 0.75, 1.0, 1.5, 2.0, 3.0};
	size_t ti, i, k;
	int fold;

	printf("temperature by 5-fold cross-validation on the train groups (held-out groups unused)\n");
	for (ti = 0; ti < sizeof(temps) / sizeof(temps[0]); ti++) {
		double bn[10] = {0}, bs[10] = {0}, bo[10] = {0}, n = 0, ece = 0, right = 0;

		for (fold = 0; fold < 5; fold++) {
			struct inbox_suggest_model *m = inbox_suggest_model_new();

			for (i = 0; i < nt; i++)
				inbox_suggest_model_tag(m, (int64_t)i + 1, tname[i], tdesc[i]);
			for (i = 0; i < nq; i++) {
				int64_t ids[8];

				if (is_test(&qs[i]) || qs[i].group % 5 == fold)
					continue;
				for (k = 0; k < (size_t)qs[i].ntags; k++)
					ids[k] = qs[i].tags[k] + 1;
				inbox_suggest_model_example(m, qs[i].text, ids, (size_t)qs[i].ntags);
			}
			inbox_suggest_model_finish(m);
			inbox_suggest_model_temperature(m, temps[ti]);
			for (i = 0; i < nq; i++) {
				struct inbox_suggest_score sc[1];
				int b, ok;

				if (is_test(&qs[i]) || qs[i].group % 5 != fold)
					continue;
				n++;
				if (inbox_suggest_model_score(m, qs[i].text, sc, 1) != 1)
					continue;
				ok = gold(&qs[i], (int)sc[0].tag_id - 1);
				b = sc[0].score >= 1 ? 9 : (int)(sc[0].score * 10);
				bn[b]++;
				bs[b] += sc[0].score;
				bo[b] += ok;
				right += ok;
			}
			inbox_suggest_model_free(m);
		}
		for (k = 0; k < 10; k++)
			if (bn[k] > 0)
				ece += bn[k] / n * fabs(bo[k] / bn[k] - bs[k] / bn[k]);
		printf("  temperature %.2f: ECE %.3f  precision@1 %.3f (%.0f questions)\n", temps[ti], ece, right / n, n);
	}
	printf("\n");
}

static void
eval_model(const char *label, struct inbox_suggest_model *m, double autot, int calib)
{
	struct prf at_auto = {0}, top1 = {0}, shown = {0};
	double p1 = 0, ntest = 0, autoq = 0;
	double bin_n[5] = {0}, bin_ok[5] = {0}, bin_s[5] = {0};
	size_t i, k;

	for (i = 0; i < nq; i++) {
		struct inbox_suggest_score sc[SUGGEST_SHOW_MAX + 1];
		int pa[MAXT] = {0}, p1s[MAXT] = {0}, ps[MAXT] = {0}, any = 0;
		size_t n;

		if (!is_test(&qs[i]))
			continue;
		ntest++;
		n = inbox_suggest_model_score(m, qs[i].text, sc, SUGGEST_SHOW_MAX);
		if (n > 0) {
			int t = (int)sc[0].tag_id - 1, b = sc[0].score >= 1 ? 4 : (int)(sc[0].score * 5);

			p1 += gold(&qs[i], t);
			p1s[t] = 1;
			bin_n[b]++;
			bin_ok[b] += gold(&qs[i], t);
			bin_s[b] += sc[0].score;
		}
		for (k = 0; k < n; k++) {
			int t = (int)sc[k].tag_id - 1;

			if (sc[k].score >= autot) {
				pa[t] = 1;
				any = 1;
			}
			if (sc[k].score >= SUGGEST_MIN)
				ps[t] = 1;
		}
		autoq += any;
		prf_add(&at_auto, &qs[i], pa);
		prf_add(&top1, &qs[i], p1s);
		prf_add(&shown, &qs[i], ps);
	}
	printf("%s\n", label);
	printf("  precision@1 %.3f over %.0f held-out questions\n", p1 / ntest, ntest);
	prf_print("top-1 tag", &top1);
	{
		char name[80];

		snprintf(name, sizeof(name), "auto-applied (score >= %.2f)", autot);
		prf_print(name, &at_auto);
		printf("  %-44s %.0f of %.0f questions (%.1f%%)\n", "questions auto-tagged", autoq, ntest, 100 * autoq / ntest);
		snprintf(name, sizeof(name), "suggested (score >= %.2f, top %d)", SUGGEST_MIN, SUGGEST_SHOW_MAX);
		prf_print(name, &shown);
	}
	if (calib) {
		printf("  calibration of the top suggestion (score bin: n, mean score, share right)\n");
		for (k = 0; k < 5; k++)
			if (bin_n[k] > 0)
				printf("    %.1f-%.1f: %3.0f  %.3f  %.3f\n", k / 5.0, (k + 1) / 5.0, bin_n[k], bin_s[k] / bin_n[k],
				    bin_ok[k] / bin_n[k]);
	}
}

static void
eval_baselines(void)
{
	double count[MAXT] = {0};
	struct prf freq = {0}, kw = {0}, kwset = {0};
	double p1f = 0, p1k = 0, ntest = 0;
	size_t i, t, best = 0;
	char (*a)[KB_TERM_MAX] = calloc(256, KB_TERM_MAX), (*b)[KB_TERM_MAX] = calloc(256, KB_TERM_MAX);

	for (i = 0; i < nq; i++)
		for (t = 0; !is_test(&qs[i]) && t < (size_t)qs[i].ntags; t++)
			count[qs[i].tags[t]]++;
	for (t = 1; t < nt; t++)
		if (count[t] > count[best])
			best = t;
	for (i = 0; i < nq; i++) {
		int pf[MAXT] = {0}, pk[MAXT] = {0}, pks[MAXT] = {0};
		size_t na, nb, x, y, kbest = best;
		double ov[MAXT] = {0}, top = 0;

		if (!is_test(&qs[i]))
			continue;
		ntest++;
		pf[best] = 1;
		p1f += gold(&qs[i], (int)best);
		na = kb_terms(qs[i].text, a, 256);
		for (t = 0; t < nt; t++) {
			char buf[800];

			snprintf(buf, sizeof(buf), "%s %s", tname[t], tdesc[t]);
			nb = kb_terms(buf, b, 256);
			for (x = 0; x < na; x++)
				for (y = 0; y < nb; y++)
					if (strcmp(a[x], b[y]) == 0) {
						ov[t]++;
						break;
					}
			if (ov[t] > top || (ov[t] == top && top > 0 && count[t] > count[kbest])) {
				top = ov[t];
				kbest = t;
			}
			if (ov[t] > 0)
				pks[t] = 1;
		}
		pk[kbest] = 1;
		p1k += gold(&qs[i], (int)kbest);
		prf_add(&freq, &qs[i], pf);
		prf_add(&kw, &qs[i], pk);
		prf_add(&kwset, &qs[i], pks);
	}
	printf("reference: most frequent tag (%s)\n  precision@1 %.3f\n", tname[best], p1f / ntest);
	prf_print("top-1 tag", &freq);
	printf("reference: keyword match against tag names and descriptions\n  precision@1 %.3f\n", p1k / ntest);
	prf_print("top-1 tag", &kw);
	prf_print("every tag sharing a term", &kwset);
	free(a);
	free(b);
}

/* ---- duplicates ---- */

static int
dup_indexed(int group)
{
	return group % 5 != 0;
}

/* Word-set Jaccard over lowercased alphanumeric words. */
static double
jaccard(const char *x, const char *y)
{
	char wa[64][32], wb[64][32];
	int na = 0, nb = 0, i, j, inter = 0;
	const char *src[2] = {x, y};
	int s;

	for (s = 0; s < 2; s++) {
		const char *p = src[s];
		char (*w)[32] = s ? wb : wa;
		int *n = s ? &nb : &na;

		while (*p && *n < 64) {
			int k = 0, dup = 0;

			while (*p && !isalnum((unsigned char)*p))
				p++;
			while (*p && isalnum((unsigned char)*p)) {
				if (k < 31)
					w[*n][k++] = (char)tolower((unsigned char)*p);
				p++;
			}
			if (k == 0)
				continue;
			w[*n][k] = '\0';
			for (i = 0; i < *n && !dup; i++)
				dup = strcmp(w[i], w[*n]) == 0;
			if (!dup)
				(*n)++;
		}
	}
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (strcmp(wa[i], wb[j]) == 0) {
				inter++;
				break;
			}
	return na + nb - inter > 0 ? (double)inter / (na + nb - inter) : 0;
}

struct dup_res {
	int group;      /* the asker's group */
	int positive;   /* its group has an answered twin */
	double score;   /* best match */
	int right;      /* best match is in its group */
	double jscore;
	int jright;
};

static struct dup_res dres[MAXQ];
static size_t ndres;

static void
dup_measure(void)
{
	struct inbox_dup_index *ix = inbox_dup_new();
	int first[1000] = {0};
	size_t i, j;

	for (i = 0; i < nq; i++)
		if (dup_indexed(qs[i].group) && !first[qs[i].group]) {
			first[qs[i].group] = (int)i + 1;
			inbox_dup_add(ix, (int64_t)i, qs[i].text);
		}
	/* The other visitor questions inform term rarity, as the workspace's
	 * recent visitor messages do in the server. */
	for (i = 0; i < nq; i++)
		if (first[qs[i].group] != (int)i + 1)
			inbox_dup_background(ix, qs[i].text);
	for (i = 0; i < nq; i++) {
		struct inbox_dup_hit h[1];
		struct dup_res *r;

		if (first[qs[i].group] == (int)i + 1)
			continue; /* it is the answered one */
		r = &dres[ndres++];
		r->group = qs[i].group;
		r->positive = dup_indexed(qs[i].group);
		if (inbox_dup_query(ix, qs[i].text, h, 1) == 1) {
			r->score = h[0].score;
			r->right = qs[h[0].key].group == qs[i].group;
			if (getenv("SUGGEST_EVAL_DEBUG") != NULL)
				printf("dup %.3f %s %-60.60s | %.60s\n", h[0].score, r->right ? "RIGHT" : r->positive ? "wrong" : "none ",
				    qs[i].text, qs[h[0].key].text);
		}
		for (j = 0; j < nq; j++) {
			double js;

			if (first[qs[j].group] != (int)j + 1)
				continue;
			js = jaccard(qs[i].text, qs[j].text);
			if (js > r->jscore) {
				r->jscore = js;
				r->jright = qs[j].group == qs[i].group;
			}
		}
	}
	inbox_dup_free(ix);
}

/* P and R of firing at thr on the train (want_test 0) or test groups. */
static void
dup_prf(double thr, int want_test, int jac, double *P, double *R, double *fires, double *pos)
{
	double tp = 0, fire = 0, npos = 0;
	size_t i;

	for (i = 0; i < ndres; i++) {
		const struct dup_res *r = &dres[i];
		double sc = jac ? r->jscore : r->score;
		int right = jac ? r->jright : r->right;

		if ((r->group % 4 == 0) != want_test)
			continue;
		npos += r->positive;
		if (sc >= thr) {
			fire++;
			tp += r->positive && right;
		}
	}
	*P = fire > 0 ? tp / fire : 0;
	*R = npos > 0 ? tp / npos : 0;
	*fires = fire;
	*pos = npos;
}

static void
dup_report(void)
{
	double thr, P, R, f, pos, best_j = 0, best_jf1 = -1;

	dup_measure();
	printf("\nduplicates (\"answered in #N\"): %zu asking questions\n", ndres);
	printf("  threshold sweep on train groups (TF-IDF cosine over kb terms):\n");
	for (thr = 0.15; thr < 0.86; thr += 0.05) {
		dup_prf(thr, 0, 0, &P, &R, &f, &pos);
		printf("    %.2f  precision %.3f  recall %.3f  (fires %.0f, with a twin %.0f)\n", thr, P, R, f, pos);
	}
	for (thr = 0.10; thr < 0.86; thr += 0.05) {
		double f1;

		dup_prf(thr, 0, 1, &P, &R, &f, &pos);
		f1 = P + R > 0 ? 2 * P * R / (P + R) : 0;
		if (f1 > best_jf1) {
			best_jf1 = f1;
			best_j = thr;
		}
	}
	{
		double best_t = 0, best_f1 = -1, f1;

		for (thr = 0.10; thr < 0.86; thr += 0.05) {
			dup_prf(thr, 0, 0, &P, &R, &f, &pos);
			f1 = P + R > 0 ? 2 * P * R / (P + R) : 0;
			if (f1 > best_f1) {
				best_f1 = f1;
				best_t = thr;
			}
		}
		dup_prf(best_t, 1, 0, &P, &R, &f, &pos);
		printf("  held-out groups at its best-F1 train threshold %.2f: precision %.3f  recall %.3f  F1 %.3f  (fires %.0f)\n",
		    best_t, P, R, P + R > 0 ? 2 * P * R / (P + R) : 0, f);
		/* The server's threshold favours precision: a wrong "answered in"
		 * misleads, a missing one costs nothing. The lowest threshold whose
		 * train precision is at least 0.65 (about one notice in three wrong). */
		best_t = 0;
		for (thr = 0.10; thr < 0.86 && best_t == 0; thr += 0.05) {
			dup_prf(thr, 0, 0, &P, &R, &f, &pos);
			if (P >= 0.65)
				best_t = thr;
		}
		printf("  lowest train threshold with precision >= 0.65: %.2f (the server uses %.2f)\n", best_t, INBOX_DUP_THRESHOLD);
	}
	dup_prf(INBOX_DUP_THRESHOLD, 1, 0, &P, &R, &f, &pos);
	printf("  held-out groups at the server's threshold %.2f: precision %.3f  recall %.3f  F1 %.3f  (fires %.0f, with a twin %.0f)\n",
	    INBOX_DUP_THRESHOLD, P, R, P + R > 0 ? 2 * P * R / (P + R) : 0, f, pos);
	dup_prf(best_j, 1, 1, &P, &R, &f, &pos);
	printf("  reference: word Jaccard at its best train threshold %.2f: precision %.3f  recall %.3f  F1 %.3f  (fires %.0f)\n",
	    best_j, P, R, P + R > 0 ? 2 * P * R / (P + R) : 0, f);
	{
		double P0, R0, f0, pos0;

		dup_prf(INBOX_DUP_THRESHOLD, 0, 0, &P0, &R0, &f0, &pos0);
		dup_prf(INBOX_DUP_THRESHOLD, 1, 0, &P, &R, &f, &pos);
		printf("  (train groups at %.2f: precision %.3f  recall %.3f; all groups: precision %.3f  recall %.3f, fires %.0f)\n",
		    INBOX_DUP_THRESHOLD, P0, R0, (P0 * f0 + P * f) / (f0 + f), (R0 * pos0 + R * pos) / (pos0 + pos), f0 + f);
	}
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What it costs per visitor message: scoring with the trained model, and a
 * duplicate query against 20,000 answered questions (the server's cap). */
static void
cost_report(void)
{
	static double t[2000];
	struct inbox_suggest_model *m;
	struct inbox_dup_index *ix = inbox_dup_new();
	struct inbox_suggest_score sc[4];
	struct inbox_dup_hit h[3];
	double t0;
	size_t i, k;
	char buf[2200];

	t0 = now_us();
	m = build(1);
	printf("\ncost (this machine, one thread)\n  model build from %zu tagged questions: %.1f ms\n", inbox_suggest_model_examples(m),
	    (now_us() - t0) / 1000);
	for (k = 0; k < 2000; k++) {
		t0 = now_us();
		inbox_suggest_model_score(m, qs[k % nq].text, sc, 4);
		t[k] = now_us() - t0;
	}
	qsort(t, 2000, sizeof(double), cmp_d);
	printf("  score one question: p50 %.1f us  p99 %.1f us (2000 runs)\n", t[1000], t[1979]);
	inbox_suggest_model_free(m);
	t0 = now_us();
	for (i = 0; i < 20000; i++) {
		/* Paraphrase-like variety: each question with a site and visit number. */
		snprintf(buf, sizeof(buf), "%s site %zu visit %zu", qs[i % nq].text, i % 97, i % 13);
		inbox_dup_add(ix, (int64_t)i, buf);
	}
	printf("  duplicate index of 20000 answered questions: built in %.1f ms\n", (now_us() - t0) / 1000);
	t0 = now_us();
	inbox_dup_query(ix, qs[0].text, h, 3);
	printf("  first query after a change (idf and norms recomputed): %.2f ms\n", (now_us() - t0) / 1000);
	for (k = 0; k < 500; k++) {
		t0 = now_us();
		inbox_dup_query(ix, qs[(k * 7) % nq].text, h, 3);
		t[k] = now_us() - t0;
	}
	qsort(t, 500, sizeof(double), cmp_d);
	printf("  one duplicate query against them: p50 %.2f ms  p99 %.2f ms (500 runs)\n", t[250] / 1000, t[494] / 1000);
	inbox_dup_free(ix);
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "demo/tagged.jsonl";
	double autot = argc > 2 ? strtod(argv[2], NULL) : 0.9;
	FILE *f = fopen(path, "r");
	char line[4096];
	json_t *keep = json_array();
	struct inbox_suggest_model *m;
	size_t ntrain = 0, ntest = 0, i;

	if (f == NULL) {
		fprintf(stderr, "suggest_eval: cannot open %s\n", path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL && nq < MAXQ) {
		json_t *o = json_loads(line, 0, NULL), *tags;

		if (o == NULL)
			continue;
		json_array_append_new(keep, o);
		if (jsonx_str(o, "tag") != NULL && nt < MAXT) {
			tname[nt] = jsonx_str(o, "tag");
			tdesc[nt++] = jsonx_str(o, "description") ? jsonx_str(o, "description") : "";
			continue;
		}
		if (jsonx_str(o, "question") == NULL || jsonx_str(o, "group") == NULL)
			continue;
		qs[nq].text = jsonx_str(o, "question");
		qs[nq].group = atoi(jsonx_str(o, "group") + 1);
		tags = json_object_get(o, "tags");
		for (i = 0; i < json_array_size(tags) && qs[nq].ntags < 8; i++) {
			size_t t;

			for (t = 0; t < nt; t++)
				if (strcmp(tname[t], json_string_value(json_array_get(tags, i))) == 0)
					qs[nq].tags[qs[nq].ntags++] = (int)t;
		}
		if (is_test(&qs[nq]))
			ntest++;
		else
			ntrain++;
		nq++;
	}
	fclose(f);
	printf("suggested tags: %zu topics, %zu questions (%zu train, %zu held out: every 4th paraphrase group)\n\n", nt, nq,
	    ntrain, ntest);
	cv_temperature();
	m = build(1);
	eval_model("classifier (naive Bayes on kb terms + tag descriptions, trained on the train split)", m, autot, 1);
	inbox_suggest_model_free(m);
	m = build(0);
	eval_model("classifier with descriptions only (no tagged history)", m, autot, 0);
	inbox_suggest_model_free(m);
	eval_baselines();
	dup_report();
	cost_report();
	json_decref(keep);
	return 0;
}
