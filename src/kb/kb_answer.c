/* kb_answer.c: from the best passages to a short, cited answer and a
 * calibrated confidence.
 *
 * The answer is extractive: the sentence (or list item, or table row) of the
 * top passage that covers the most of the question's weight, plus its
 * neighbour when it is very short. It never says what the passage does not.
 *
 * The confidence is a logistic model over features that carry across
 * collections: how much of the question's idf mass the top passage covers,
 * how much of it the index has never seen, the normalised top score, the
 * margin over the runner-up, the best sentence's coverage, and the weight of
 * the most important word the passage lacks. The weights (kb_model.h) are
 * fitted by bench/kb_train.c on public QA data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "kb_int.h"
#include "kb_model.h"

#define ANS_WORDS 60

void
kb_result_free(struct kb_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->answer);
	free(r->phrase);
	for (i = 0; i < r->n_citations; i++) {
		free(r->citations[i].document);
		free(r->citations[i].section);
		free(r->citations[i].text);
	}
	for (i = 0; i < r->n_passages; i++) {
		free(r->passages[i].document);
		free(r->passages[i].section);
		free(r->passages[i].text);
	}
	free(r->citations);
	free(r->passages);
	memset(r, 0, sizeof(*r));
}

/* Sentence spans of text: ends at . ! ? followed by space, or a line break. */
static size_t
ans_sentences(const char *t, size_t starts[], size_t ends[], size_t max)
{
	size_t n = 0, i = 0, s = 0, len = strlen(t);

	while (i <= len && n < max) {
		int end = i == len || t[i] == '\n' ||
		    ((t[i] == '.' || t[i] == '!' || t[i] == '?' || t[i] == ';') && (t[i + 1] == ' ' || t[i + 1] == '\0') &&
			!(i >= 2 && t[i] == '.' && ((t[i - 2] == ' ' && t[i - 1] >= 'A' && t[i - 1] <= 'Z') ||
			    (i >= 3 && strncmp(t + i - 3, " vs", 3) == 0) || (i >= 2 && strncmp(t + i - 2, "e.g", 3) == 0) ||
			    (i >= 2 && strncmp(t + i - 2, "i.e", 3) == 0))));

		if (end) {
			size_t e = i < len && t[i] != '\n' ? i + 1 : i;

			while (s < e && (t[s] == ' ' || t[s] == '\n'))
				s++;
			if (e > s)
				starts[n] = s, ends[n] = e, n++;
			s = i + 1;
		}
		i++;
	}
	return n;
}

static int
ans_words(const char *t, size_t a, size_t b)
{
	int n = 0, in = 0;

	for (; a < b; a++) {
		int w = t[a] != ' ' && t[a] != '\n' && t[a] != '\t';

		n += w && !in;
		in = w;
	}
	return n;
}

/* The idf mass of question terms a span of text contains, over the total. */
static double
ans_cover(const struct kb_index *ix, const struct kb_qinfo *qi, const char *text, size_t a, size_t b)
{
	struct kb_tok toks[160];
	char buf[2048];
	size_t n, k;
	double got = 0, tot = 0;
	int q, j;

	snprintf(buf, sizeof(buf), "%.*s", (int)(b - a < sizeof(buf) - 1 ? b - a : sizeof(buf) - 1), text + a);
	n = kb_text_tokens(buf, toks, 160);
	for (q = 0; q < qi->nterms; q++) {
		int found = 0;

		tot += qi->idf[q];
		if (qi->term[q] == UINT32_MAX)
			continue;
		for (k = 0; k < n && !found; k++) {
			uint32_t t;

			if (toks[k].stop)
				continue;
			t = kb_index_term_id(ix, toks[k].stem);
			found = t == qi->term[q];
			for (j = 0; j < 4 && !found; j++)
				found = qi->alt[q][j] != UINT32_MAX && t == qi->alt[q][j];
		}
		if (found)
			got += qi->idf[q];
	}
	return tot > 0 ? got / tot : 0;
}

static char *
ans_compose(const struct kb_index *ix, const struct kb_qinfo *qi, const struct kb_pass *pp, double *sent_cov)
{
	size_t st[64], en[64], n, i, best = 0;
	double bs = -1;
	struct buf b;
	int words;

	words = ans_words(pp->text, 0, strlen(pp->text));
	if ((pp->kind == KB_LIST_ITEM || pp->kind == KB_TABLE_ROW || pp->kind == KB_QA) && words <= ANS_WORDS) {
		*sent_cov = ans_cover(ix, qi, pp->text, 0, strlen(pp->text));
		return xstrdup(pp->text);
	}
	n = ans_sentences(pp->text, st, en, 64);
	if (n == 0) {
		*sent_cov = 0;
		return xstrdup(pp->text);
	}
	for (i = 0; i < n; i++) {
		double c = ans_cover(ix, qi, pp->text, st[i], en[i]);

		if (c > bs) {
			bs = c;
			best = i;
		}
	}
	*sent_cov = bs;
	buf_init(&b, 4096);
	buf_append(&b, pp->text + st[best], en[best] - st[best]);
	words = ans_words(pp->text, st[best], en[best]);
	/* A very short sentence usually needs the next one ("Yes. Within 24 hours of ..."). */
	if (words < 12 && best + 1 < n && words + ans_words(pp->text, st[best + 1], en[best + 1]) <= ANS_WORDS) {
		buf_puts(&b, " ");
		buf_append(&b, pp->text + st[best + 1], en[best + 1] - st[best + 1]);
	} else if (words < 8 && best > 0) {
		struct buf c;

		buf_init(&c, 4096);
		buf_append(&c, pp->text + st[best - 1], en[best - 1] - st[best - 1]);
		buf_puts(&c, " ");
		buf_append(&c, b.p, b.len);
		buf_free(&b);
		b = c;
	}
	if (ans_words(b.p, 0, b.len) > ANS_WORDS + 15) {
		/* Cut a run-on sentence at a word boundary. */
		size_t k = 0;
		int w = 0, in = 0;

		for (; k < b.len; k++) {
			int isw = b.p[k] != ' ';

			if (isw && !in && ++w > ANS_WORDS)
				break;
			in = isw;
		}
		b.len = k;
		while (b.len > 0 && b.p[b.len - 1] == ' ')
			b.len--;
		b.p[b.len] = '\0';
		buf_puts(&b, " …");
	}
	return buf_steal(&b);
}

static void
ans_cite(const struct kb_index *ix, const struct kb_pass *pp, double score, struct kb_citation *c)
{
	c->document = xstrdup(kb_index_doc_name(ix, pp->doc));
	c->section = xstrdup(pp->section);
	c->page = pp->page;
	c->doc_id = pp->doc_id;
	c->passage_id = pp->passage_id;
	c->text = xstrdup(pp->text);
	c->score = score;
}

/* The feature vector of kb_model.h, in its order. */
static void
ans_features(const struct kb_index *ix, const struct kb_qinfo *qi, double sent_cov, double f[KB_MODEL_NF])
{
	double tot = 0, got = 0, unk = 0, maxmiss = 0, smax = 0;
	int q;

	memset(f, 0, sizeof(double) * KB_MODEL_NF);
	for (q = 0; q < qi->nterms; q++) {
		tot += qi->idf[q];
		if (qi->term[q] == UINT32_MAX) {
			unk += 1;
			continue;
		}
		smax += qi->idf[q] * 2.2;
		if (qi->nhits > 0 && kb_index_has(ix, qi->hits[0].p, qi, q))
			got += qi->idf[q];
		else if (qi->idf[q] / qi->idf_max > maxmiss)
			maxmiss = qi->idf[q] / qi->idf_max;
	}
	f[0] = tot > 0 ? got / tot : 0;                                   /* coverage */
	f[1] = qi->nterms > 0 ? unk / qi->nterms : 1;                     /* unknown words */
	f[2] = qi->nhits > 0 && smax > 0 ? fmin(qi->hits[0].score / smax, 1.5) : 0; /* normalised score */
	f[3] = qi->nhits > 1 ? (qi->hits[0].score - qi->hits[1].score) / qi->hits[0].score : (qi->nhits ? 1 : 0);
	f[4] = sent_cov;                                                  /* best sentence coverage */
	f[5] = maxmiss;                                                   /* most important missing word */
	f[6] = log(1.0 + qi->nterms);
}

static double
ans_confidence(const double f[KB_MODEL_NF])
{
	double z = kb_model_bias;
	int i;

	for (i = 0; i < KB_MODEL_NF; i++)
		z += kb_model_w[i] * f[i];
	return 1.0 / (1.0 + exp(-z));
}

err_t
kb_answer_features(struct kb_index *ix, const char *question, double *f, int64_t *top_doc)
{
	struct kb_qinfo *qi = xmalloc(sizeof(*qi));
	double sc = 0;
	char *a;

	kb_index_rdlock(ix);
	kb_index_query(ix, question, qi);
	*top_doc = qi->nhits ? kb_index_pass(ix, qi->hits[0].p)->doc_id : -1;
	a = qi->nhits ? ans_compose(ix, qi, kb_index_pass(ix, qi->hits[0].p), &sc) : NULL;
	ans_features(ix, qi, sc, f);
	kb_index_unlock(ix);
	free(a);
	free(qi);
	return ERR_OK;
}

err_t
kb_answer(struct kb_index *ix, const char *question, const struct kb_settings *st,
    struct kb_result *out)
{
	struct kb_qinfo *qi;
	double f[KB_MODEL_NF], sc = 0;
	const char *reason = NULL;
	char *phrase = NULL;
	int i;

	memset(out, 0, sizeof(*out));
	if (question == NULL)
		return ERR_INVALID;
	/* The interlock comes first: a safety word hands off whatever the answer. */
	if (kb_interlock(question, st ? st->key_phrases : NULL, &reason, &phrase)) {
		out->handoff = 1;
		out->reason = reason;
		out->phrase = phrase;
	}
	qi = xmalloc(sizeof(*qi));
	kb_index_rdlock(ix);
	kb_index_query(ix, question, qi);
	if (qi->nhits > 0) {
		const struct kb_pass *top = kb_index_pass(ix, qi->hits[0].p);

		out->answer = ans_compose(ix, qi, top, &sc);
		out->citations = xcalloc(1, sizeof(*out->citations));
		ans_cite(ix, top, qi->hits[0].score, &out->citations[0]);
		out->n_citations = 1;
		out->passages = xcalloc((size_t)qi->nhits, sizeof(*out->passages));
		for (i = 0; i < qi->nhits && i < 5; i++)
			ans_cite(ix, kb_index_pass(ix, qi->hits[i].p), qi->hits[i].score, &out->passages[out->n_passages++]);
	} else {
		out->answer = xstrdup("");
	}
	ans_features(ix, qi, sc, f);
	kb_index_unlock(ix);
	free(qi);
	out->confidence = out->n_citations ? ans_confidence(f) : 0.0;
	if (!out->handoff && out->confidence < (st ? st->threshold : 0.5)) {
		out->handoff = 1;
		out->reason = "low_confidence";
	}
	return ERR_OK;
}
