/* kb_answer.c: from the best passages to a short, cited answer and a
 * calibrated confidence.
 *
 * Candidates: every sentence (or whole list item, table row or FAQ answer)
 * of the top passages that retrieval returns. A learned re-ranker scores
 * each one on features that carry across collections: the passage's bm25
 * relative to the best, how much of the question's idf mass the sentence,
 * its passage and its heading path cover, whether it holds the type of
 * value the question asks for (kb_qtype.c), whether a branch of a rule
 * covers the question's condition, and the passage's structure. The best
 * candidate is the answer (with its neighbour when it is very short); its
 * passage is the citation. Nothing is generated: the answer never says what
 * the passage does not.
 *
 * The confidence is a second logistic model over the chosen answer: the
 * re-ranker's score and its margin over the best candidate from another
 * passage, coverage, words the index has never seen, the asked-for type
 * missing, and how much of the retrieval mass agrees on the document. Both
 * models' weights (kb_model.h) are fitted by bench/kb_bench.c on the
 * training splits of public and project data sets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "kb_int.h"
#include "kb_model.h"

#define ANS_WORDS 60
#define ANS_NPASS 10  /* passages whose sentences are candidates */
#define ANS_NCAND 128

/* The weights in use: the built-in ones, or a set the benchmark is fitting. */
static struct kb_model ans_model_builtin;
static const struct kb_model *ans_model;

static const struct kb_model *
ans_weights(void)
{
	if (ans_model == NULL) {
		ans_model_builtin.rr_bias = kb_rr_bias;
		memcpy(ans_model_builtin.rr_w, kb_rr_w, sizeof(kb_rr_w));
		ans_model_builtin.bias = kb_model_bias;
		memcpy(ans_model_builtin.w, kb_model_w, sizeof(kb_model_w));
		ans_model = &ans_model_builtin;
	}
	return ans_model;
}

void
kb_model_use(const struct kb_model *m)
{
	ans_model = m;
}

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


/* The idf mass of question terms among body tokens [k0, k1) of a passage
 * (or in its heading field when head), over the question's total. */
static double
ans_cover_toks(const struct kb_index *ix, const struct kb_qinfo *qi, const struct kb_pass *pp, uint32_t p,
    uint32_t k0, uint32_t k1, int *nmatch)
{
	double got = 0, tot = 0;
	int q, j, m = 0;
	uint32_t k;

	for (q = 0; q < qi->nterms; q++) {
		int found = 0;

		tot += qi->idf[q];
		if (qi->term[q] == UINT32_MAX)
			continue;
		for (k = k0; k < k1 && !found; k++) {
			uint32_t t = pp->tok[k];

			if (t == UINT32_MAX)
				continue;
			found = t == qi->term[q];
			for (j = 0; j < 4 && !found; j++)
				found = qi->alt[q][j] != UINT32_MAX && t == qi->alt[q][j];
		}
		if (found) {
			got += qi->idf[q];
			m++;
		}
	}
	(void)ix;
	(void)p;
	if (nmatch != NULL)
		*nmatch = m;
	return tot > 0 ? got / tot : 0;
}

static double
ans_cover_head(const struct kb_index *ix, const struct kb_qinfo *qi, uint32_t p)
{
	double got = 0, tot = 0;
	int q;

	for (q = 0; q < qi->nterms; q++) {
		tot += qi->idf[q];
		if (kb_index_head_has(ix, p, qi, q))
			got += qi->idf[q];
	}
	return tot > 0 ? got / tot : 0;
}

static double
ans_cover_pass(const struct kb_index *ix, const struct kb_qinfo *qi, uint32_t p, double *maxmiss)
{
	double got = 0, tot = 0, mm = 0;
	int q;

	for (q = 0; q < qi->nterms; q++) {
		tot += qi->idf[q];
		if (qi->term[q] == UINT32_MAX)
			continue;
		if (kb_index_has(ix, p, qi, q))
			got += qi->idf[q];
		else if (qi->idf[q] / qi->idf_max > mm)
			mm = qi->idf[q] / qi->idf_max;
	}
	if (maxmiss != NULL)
		*maxmiss = mm;
	return tot > 0 ? got / tot : 0;
}

/* Body tokens whose offsets fall in [a, b). */
static void
ans_tok_range(const struct kb_pass *pp, size_t a, size_t b, uint32_t *k0, uint32_t *k1)
{
	uint32_t k = 0;

	while (k < pp->ntok && pp->off[k] < a)
		k++;
	*k0 = k;
	while (k < pp->ntok && pp->off[k] < b)
		k++;
	*k1 = k;
}

static int
ans_starts_yesno(const char *t, size_t a, size_t b)
{
	static const char *const w[] = {"yes", "no", "not", "only", "never", "always", NULL};
	size_t i;

	for (i = 0; w[i]; i++) {
		size_t n = strlen(w[i]);

		if (b - a > n && strncasecmp(t + a, w[i], n) == 0 && (t[a + n] == ',' || t[a + n] == ' ' || t[a + n] == '.'))
			return 1;
	}
	return 0;
}

struct ans_cand {
	uint32_t p;   /* passage */
	int hit;      /* rank among retrieval hits */
	size_t a, b;  /* span in the passage text */
	int whole;    /* the whole passage (list item, table row, FAQ answer) */
	int sent, nsent;
	double f[KB_RR_NF];
	double z;
};

static void
ans_cand_features(const struct kb_index *ix, const struct kb_qinfo *qi, const struct kb_qtype *qt, struct ans_cand *c,
    double pcov, double hcov)
{
	const struct kb_pass *pp = kb_index_pass(ix, c->p);
	uint32_t k0, k1;
	int words = ans_words(pp->text, c->a, c->b), nm = 0, has;
	size_t e = c->b;

	ans_tok_range(pp, c->a, c->b, &k0, &k1);
	memset(c->f, 0, sizeof(c->f));
	while (e > c->a && (pp->text[e - 1] == ' ' || pp->text[e - 1] == '*'))
		e--;
	has = kb_qtype_match(qt, pp->text + c->a, c->b - c->a);
	c->f[0] = qi->hits[0].score > 0 ? qi->hits[c->hit].score / qi->hits[0].score : 0;
	c->f[1] = c->hit == 0;
	c->f[2] = ans_cover_toks(ix, qi, pp, c->p, k0, k1, &nm);
	c->f[3] = pcov;
	c->f[4] = hcov;
	c->f[5] = qt->type != KB_AT_NONE && has;
	c->f[6] = qt->type != KB_AT_NONE && !has;
	c->f[7] = e > c->a && pp->text[e - 1] == '?';
	c->f[8] = pp->kind == KB_TABLE_ROW;
	c->f[9] = pp->kind == KB_LIST_ITEM;
	c->f[10] = pp->kind == KB_QA;
	c->f[11] = c->sent == 0;
	c->f[12] = words < 6;
	c->f[13] = kb_qtype_cond(qt, pp->text + c->a, c->b - c->a);
	c->f[14] = words > 0 ? nm / sqrt((double)words) : 0;
	c->f[15] = qt->yesno && ans_starts_yesno(pp->text, c->a, c->b);
}

static double
ans_dot(const double *w, double bias, const double *f, int n)
{
	double z = bias;
	int i;

	for (i = 0; i < n; i++)
		z += w[i] * f[i];
	return z;
}

/* Every candidate of the top passages, scored; returns the count. */
static size_t
ans_candidates(const struct kb_index *ix, const struct kb_qinfo *qi, const struct kb_qtype *qt, struct ans_cand *c,
    size_t max)
{
	const struct kb_model *m = ans_weights();
	size_t n = 0;
	int h;

	for (h = 0; h < qi->nhits && h < ANS_NPASS && n < max; h++) {
		const struct kb_pass *pp = kb_index_pass(ix, qi->hits[h].p);
		size_t len = strlen(pp->text), st[64], en[64], ns, i;
		double pcov = ans_cover_pass(ix, qi, qi->hits[h].p, NULL), hcov = ans_cover_head(ix, qi, qi->hits[h].p);

		if (pp->kind != KB_PARA && ans_words(pp->text, 0, len) <= ANS_WORDS) {
			st[0] = 0;
			en[0] = len;
			ns = 1;
		} else {
			ns = ans_sentences(pp->text, st, en, 64);
		}
		for (i = 0; i < ns && n < max; i++) {
			struct ans_cand *x = &c[n++];

			x->p = qi->hits[h].p;
			x->hit = h;
			x->a = st[i];
			x->b = en[i];
			x->whole = ns == 1 && st[0] == 0 && en[0] == len;
			x->sent = (int)i;
			x->nsent = (int)ns;
			ans_cand_features(ix, qi, qt, x, pcov, hcov);
			x->z = ans_dot(m->rr_w, m->rr_bias, x->f, KB_RR_NF);
		}
	}
	return n;
}

/* The answer text for a candidate: its span, with a neighbour when very short. */
static char *
ans_text(const struct kb_index *ix, const struct ans_cand *c)
{
	const struct kb_pass *pp = kb_index_pass(ix, c->p);
	size_t st[64], en[64], n, best = 0, i;
	struct buf b;
	int words;

	if (c->whole)
		return xstrdup(pp->text);
	n = ans_sentences(pp->text, st, en, 64);
	for (i = 0; i < n; i++)
		if (st[i] == c->a)
			best = i;
	buf_init(&b, 4096);
	buf_append(&b, pp->text + c->a, c->b - c->a);
	words = ans_words(pp->text, c->a, c->b);
	/* A very short sentence usually needs the next one ("Yes. Within 24 hours of ...");
	 * a sentence that ends with ':' introduces what follows. */
	if ((words < 12 || (c->b > c->a && pp->text[c->b - 1] == ':')) && best + 1 < n &&
	    words + ans_words(pp->text, st[best + 1], en[best + 1]) <= ANS_WORDS) {
		buf_puts(&b, " ");
		buf_append(&b, pp->text + st[best + 1], en[best + 1] - st[best + 1]);
	} else if (words < 8 && best > 0) {
		struct buf d;

		buf_init(&d, 4096);
		buf_append(&d, pp->text + st[best - 1], en[best - 1] - st[best - 1]);
		buf_puts(&d, " ");
		buf_append(&d, b.p, b.len);
		buf_free(&b);
		b = d;
	}
	if (ans_words(b.p, 0, b.len) > ANS_WORDS) {
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

/* The confidence features of kb_model.h for the chosen candidate, in order. */
static void
ans_features(const struct kb_index *ix, const struct kb_qinfo *qi, const struct ans_cand *c, size_t nc, int best,
    double f[KB_MODEL_NF])
{
	double unk = 0, smax = 0, second = -1e9, agree = 0, mass = 0, maxmiss = 0;
	const struct ans_cand *b = best >= 0 ? &c[best] : NULL;
	size_t i;
	int q;

	memset(f, 0, sizeof(double) * KB_MODEL_NF);
	for (q = 0; q < qi->nterms; q++) {
		if (qi->term[q] == UINT32_MAX)
			unk += 1;
		else
			smax += qi->idf[q] * 2.2;
	}
	f[3] = qi->nterms > 0 ? unk / qi->nterms : 1;
	f[7] = log(1.0 + qi->nterms);
	if (b == NULL)
		return;
	for (i = 0; i < nc; i++)
		if (c[i].p != b->p && c[i].z > second)
			second = c[i].z;
	for (q = 0; q < qi->nhits && q < 5; q++) {
		mass += qi->hits[q].score;
		if (kb_index_pass(ix, qi->hits[q].p)->doc == kb_index_pass(ix, b->p)->doc)
			agree += qi->hits[q].score;
	}
	f[0] = b->z;
	f[1] = second > -1e8 ? fmin(b->z - second, 4.0) : 4.0;
	f[2] = ans_cover_pass(ix, qi, b->p, &maxmiss);
	f[4] = smax > 0 ? fmin(qi->hits[b->hit].score / smax, 1.5) : 0;
	f[5] = b->f[6];
	f[6] = maxmiss;
	f[8] = b->f[2];
	f[9] = mass > 0 ? agree / mass : 0;
}

static double
ans_confidence(const double f[KB_MODEL_NF])
{
	const struct kb_model *m = ans_weights();

	return 1.0 / (1.0 + exp(-ans_dot(m->w, m->bias, f, KB_MODEL_NF)));
}

static int
ans_best(const struct ans_cand *c, size_t n)
{
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if (best < 0 || c[i].z > c[best].z)
			best = (int)i;
	return best;
}

err_t
kb_answer_trace(struct kb_index *ix, const char *question, struct kb_trace *tr)
{
	struct kb_qinfo *qi = xmalloc(sizeof(*qi));
	struct ans_cand *c = xmalloc(ANS_NCAND * sizeof(*c));
	struct kb_qtype qt;
	size_t n, i;
	int best;

	memset(tr, 0, sizeof(*tr));
	kb_qtype_classify(question, &qt);
	kb_index_rdlock(ix);
	kb_index_query(ix, question, qi);
	n = ans_candidates(ix, qi, &qt, c, ANS_NCAND);
	best = ans_best(c, n);
	ans_features(ix, qi, c, n, best, tr->f);
	tr->ncand = n;
	tr->best = best;
	tr->qtype = qt.type;
	tr->cand = xcalloc(n ? n : 1, sizeof(*tr->cand));
	for (i = 0; i < n; i++) {
		const struct kb_pass *pp = kb_index_pass(ix, c[i].p);

		tr->cand[i].document = xstrdup(kb_index_doc_name(ix, pp->doc));
		tr->cand[i].section = xstrdup(pp->section);
		tr->cand[i].passage_id = pp->passage_id;
		tr->cand[i].span = xstrndup(pp->text + c[i].a, c[i].b - c[i].a);
		tr->cand[i].answer = ans_text(ix, &c[i]);
		memcpy(tr->cand[i].f, c[i].f, sizeof(c[i].f));
		tr->cand[i].z = c[i].z;
	}
	kb_index_unlock(ix);
	free(c);
	free(qi);
	return ERR_OK;
}

void
kb_trace_free(struct kb_trace *tr)
{
	size_t i;

	for (i = 0; i < tr->ncand; i++) {
		free(tr->cand[i].document);
		free(tr->cand[i].section);
		free(tr->cand[i].span);
		free(tr->cand[i].answer);
	}
	free(tr->cand);
	memset(tr, 0, sizeof(*tr));
}

err_t
kb_answer(struct kb_index *ix, const char *question, const struct kb_settings *st,
    struct kb_result *out)
{
	struct kb_qinfo *qi;
	struct ans_cand *c;
	struct kb_qtype qt;
	double f[KB_MODEL_NF];
	const char *reason = NULL;
	char *phrase = NULL;
	size_t nc;
	int i, best;

	memset(out, 0, sizeof(*out));
	if (question == NULL)
		return ERR_INVALID;
	/* The interlock comes first: a safety word hands off whatever the answer. */
	if (kb_interlock(question, st ? st->key_phrases : NULL, &reason, &phrase)) {
		out->handoff = 1;
		out->reason = reason;
		out->phrase = phrase;
	}
	kb_qtype_classify(question, &qt);
	qi = xmalloc(sizeof(*qi));
	c = xmalloc(ANS_NCAND * sizeof(*c));
	kb_index_rdlock(ix);
	kb_index_query(ix, question, qi);
	nc = ans_candidates(ix, qi, &qt, c, ANS_NCAND);
	best = ans_best(c, nc);
	if (best >= 0) {
		out->answer = ans_text(ix, &c[best]);
		out->citations = xcalloc(1, sizeof(*out->citations));
		ans_cite(ix, kb_index_pass(ix, c[best].p), qi->hits[c[best].hit].score, &out->citations[0]);
		out->n_citations = 1;
		out->passages = xcalloc((size_t)qi->nhits, sizeof(*out->passages));
		for (i = 0; i < qi->nhits && i < 5; i++)
			ans_cite(ix, kb_index_pass(ix, qi->hits[i].p), qi->hits[i].score, &out->passages[out->n_passages++]);
	} else {
		out->answer = xstrdup("");
	}
	ans_features(ix, qi, c, nc, best, f);
	kb_index_unlock(ix);
	free(c);
	free(qi);
	out->confidence = out->n_citations ? ans_confidence(f) : 0.0;
	if (!out->handoff && out->confidence < (st ? st->threshold : 0.5)) {
		out->handoff = 1;
		out->reason = "low_confidence";
	}
	return ERR_OK;
}
