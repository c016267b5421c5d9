/* inbox_suggest.c: suggested Topic tags (T4) and duplicate questions (I8).
 *
 * Suggestions come from a multinomial naive Bayes model over the knowledge
 * base's terms (kb_terms: stemmed, stop words dropped), with binary counts per
 * conversation. Its training rows are the workspace's conversations tagged by
 * members and rules (never by the agent itself, so it does not feed on its own
 * guesses); each tag's name and description count as pseudo-examples, so a
 * new tag with no history is still proposed from its description. The
 * posterior over the Topic tags is tempered (NB is over-confident on short
 * texts) and is the score shown as "suggested · 82%".
 *
 * Suggestions are computed on a worker thread fed by the bus (every visitor
 * message), stored with their score, and decided by a member (accept applies
 * the tag with the member as source; reject keeps the row so it is never
 * proposed again). At or above the workspace's suggest_auto_threshold the
 * agent applies the tag itself (source agent), on the timeline and in the
 * audit trail. The model is cached per workspace and rebuilt when the
 * workspace's tagging changes (checked at most every SUGGEST_RECHECK_MS).
 *
 * Duplicates: a TF-IDF cosine over the same terms between a conversation's
 * visitor questions and the questions that members answered in other threads
 * (the visitor message before each public member reply), computed when the
 * conversation is read, within the reader's site scope. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bus.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"
#include "inbox.h"
#include "kb/kb.h"

#define SUGGEST_TERMS 256        /* terms read from one text */
#define SUGGEST_TAGS_MAX 256
#define SUGGEST_ALPHA 0.1        /* additive smoothing */
#define SUGGEST_NAME_W 3.0       /* a tag name's terms, as pseudo-counts */
#define SUGGEST_DESC_W 1.0       /* a tag description's terms */
#define SUGGEST_TEMP 1.0         /* posterior tempering: 1 had the lowest calibration error in the bench's cross-validation */
#define SUGGEST_TRAIN_MAX 5000   /* newest tagged conversations learned from */
#define SUGGEST_RECHECK_MS 3000
#define DUP_MAX_DOCS 20000       /* answered questions compared against */
#define DUP_BACKGROUND 5000      /* recent visitor messages for term rarity */
#define DUP_REBUILD_MS (10 * 60 * 1000)

/* ---- a small string -> id table ---- */

struct vocab {
	char (*key)[KB_TERM_MAX];
	uint32_t *slot; /* id + 1, 0 = empty */
	size_t cap, n;
};

static uint32_t
vocab_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void vocab_grow(struct vocab *v);

/* The id of a term; added when add is set, else UINT32_MAX when unknown. */
static uint32_t
vocab_id(struct vocab *v, const char *term, int add)
{
	size_t i;

	if (v->cap == 0) {
		if (!add)
			return UINT32_MAX;
		vocab_grow(v);
	}
	for (i = vocab_hash(term) & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
		uint32_t s = v->slot[i];

		if (s == 0)
			break;
		if (strcmp(v->key[s - 1], term) == 0)
			return s - 1;
	}
	if (!add)
		return UINT32_MAX;
	if ((v->n + 1) * 2 > v->cap) {
		vocab_grow(v);
		return vocab_id(v, term, 1);
	}
	snprintf(v->key[v->n], KB_TERM_MAX, "%s", term);
	v->slot[i] = (uint32_t)++v->n;
	return (uint32_t)(v->n - 1);
}

static void
vocab_grow(struct vocab *v)
{
	size_t cap = v->cap ? v->cap * 2 : 1024, i;

	v->key = xrealloc(v->key, cap / 2 * sizeof(*v->key));
	free(v->slot);
	v->slot = xcalloc(cap, sizeof(*v->slot));
	v->cap = cap;
	for (i = 0; i < v->n; i++) {
		size_t k = vocab_hash(v->key[i]) & (cap - 1);

		while (v->slot[k] != 0)
			k = (k + 1) & (cap - 1);
		v->slot[k] = (uint32_t)(i + 1);
	}
}

static void
vocab_free(struct vocab *v)
{
	free(v->key);
	free(v->slot);
	memset(v, 0, sizeof(*v));
}

/* The distinct known (or, with add, new) term ids of text; returns the count.
 * *unknown (may be NULL) gets the number of distinct terms not in v. */
static size_t
text_ids_u(struct vocab *v, const char *text, int add, uint32_t *ids, size_t max, size_t *unknown)
{
	char (*terms)[KB_TERM_MAX] = xcalloc(SUGGEST_TERMS, KB_TERM_MAX);
	size_t n = kb_terms(text, terms, SUGGEST_TERMS), i, k, m = 0, u = 0;

	for (i = 0; i < n && m < max; i++) {
		uint32_t id = vocab_id(v, terms[i], add);
		int seen = 0;

		if (id == UINT32_MAX) {
			for (k = 0; k < i && !seen; k++)
				seen = strcmp(terms[k], terms[i]) == 0;
			u += !seen;
			continue;
		}
		for (k = 0; k < m && !seen; k++)
			seen = ids[k] == id;
		if (!seen)
			ids[m++] = id;
	}
	free(terms);
	if (unknown != NULL)
		*unknown = u;
	return m;
}

static size_t
text_ids(struct vocab *v, const char *text, int add, uint32_t *ids, size_t max)
{
	return text_ids_u(v, text, add, ids, max, NULL);
}

/* ---- the classifier ---- */

struct post {
	uint16_t tag;
	float count;
};

struct plist {
	struct post *p;
	uint32_t n, cap;
};

struct inbox_suggest_model {
	struct vocab v;
	struct plist *terms; /* by term id */
	size_t terms_cap;
	int64_t tag_id[SUGGEST_TAGS_MAX];
	double total[SUGGEST_TAGS_MAX]; /* pseudo-count mass per tag */
	double docs[SUGGEST_TAGS_MAX];  /* training conversations per tag */
	double prior[SUGGEST_TAGS_MAX];
	size_t ntags, ndocs;
	double temp;
	int finished;
};

struct inbox_suggest_model *
inbox_suggest_model_new(void)
{
	struct inbox_suggest_model *m = xcalloc(1, sizeof(struct inbox_suggest_model));

	m->temp = SUGGEST_TEMP;
	return m;
}

void
inbox_suggest_model_temperature(struct inbox_suggest_model *m, double t)
{
	if (t > 0)
		m->temp = t;
}

void
inbox_suggest_model_free(struct inbox_suggest_model *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->terms_cap; i++)
		free(m->terms[i].p);
	free(m->terms);
	vocab_free(&m->v);
	free(m);
}

static int
model_tag_index(const struct inbox_suggest_model *m, int64_t tag_id)
{
	size_t i;

	for (i = 0; i < m->ntags; i++)
		if (m->tag_id[i] == tag_id)
			return (int)i;
	return -1;
}

static void
model_count(struct inbox_suggest_model *m, uint32_t term, int tag, double w)
{
	struct plist *l;
	uint32_t i;

	if (term >= m->terms_cap) {
		size_t cap = m->terms_cap ? m->terms_cap : 1024;

		while (cap <= term)
			cap *= 2;
		m->terms = xrealloc(m->terms, cap * sizeof(*m->terms));
		memset(m->terms + m->terms_cap, 0, (cap - m->terms_cap) * sizeof(*m->terms));
		m->terms_cap = cap;
	}
	l = &m->terms[term];
	for (i = 0; i < l->n; i++)
		if (l->p[i].tag == tag) {
			l->p[i].count += (float)w;
			m->total[tag] += w;
			return;
		}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 2;
		l->p = xrealloc(l->p, l->cap * sizeof(*l->p));
	}
	l->p[l->n].tag = (uint16_t)tag;
	l->p[l->n].count = (float)w;
	l->n++;
	m->total[tag] += w;
}

static void
model_text(struct inbox_suggest_model *m, const char *text, int tag, double w)
{
	uint32_t ids[SUGGEST_TERMS];
	size_t n = text_ids(&m->v, text, 1, ids, SUGGEST_TERMS), i;

	for (i = 0; i < n; i++)
		model_count(m, ids[i], tag, w);
}

int
inbox_suggest_model_tag(struct inbox_suggest_model *m, int64_t tag_id, const char *name,
    const char *description)
{
	int t;

	if (m->ntags == SUGGEST_TAGS_MAX || model_tag_index(m, tag_id) >= 0)
		return -1;
	t = (int)m->ntags++;
	m->tag_id[t] = tag_id;
	if (name != NULL)
		model_text(m, name, t, SUGGEST_NAME_W);
	if (description != NULL)
		model_text(m, description, t, SUGGEST_DESC_W);
	return 0;
}

void
inbox_suggest_model_example(struct inbox_suggest_model *m, const char *text, const int64_t *tag_ids,
    size_t n)
{
	size_t i;
	int used = 0;

	for (i = 0; i < n; i++) {
		int t = model_tag_index(m, tag_ids[i]);

		if (t < 0)
			continue;
		model_text(m, text, t, 1.0);
		m->docs[t] += 1;
		used = 1;
	}
	m->ndocs += used;
}

void
inbox_suggest_model_finish(struct inbox_suggest_model *m)
{
	size_t t;

	/* A flattened prior: history shifts it, but a rare tag is not drowned. */
	for (t = 0; t < m->ntags; t++)
		m->prior[t] = 0.5 * log((m->docs[t] + 1.0) / ((double)m->ndocs + (double)m->ntags));
	m->finished = 1;
}

size_t
inbox_suggest_model_examples(const struct inbox_suggest_model *m)
{
	return m->ndocs;
}

size_t
inbox_suggest_model_score(struct inbox_suggest_model *m, const char *text,
    struct inbox_suggest_score *out, size_t max)
{
	uint32_t ids[SUGGEST_TERMS];
	double lp[SUGGEST_TAGS_MAX], top, sum, aV, other;
	size_t n, i, t, k, nout = 0;
	int evidence = 0;

	if (m == NULL || m->ntags == 0 || max == 0)
		return 0;
	n = text_ids(&m->v, text, 0, ids, SUGGEST_TERMS);
	aV = SUGGEST_ALPHA * (double)(m->v.n + 1);
	for (t = 0; t < m->ntags; t++)
		lp[t] = m->prior[t] + (double)n * (log(SUGGEST_ALPHA) - log(m->total[t] + aV));
	for (i = 0; i < n; i++) {
		const struct plist *l = ids[i] < m->terms_cap ? &m->terms[ids[i]] : NULL;

		for (k = 0; l != NULL && k < l->n; k++) {
			lp[l->p[k].tag] += log(l->p[k].count + SUGGEST_ALPHA) - log(SUGGEST_ALPHA);
			evidence = 1;
		}
	}
	if (!evidence)
		return 0; /* nothing in the text relates to any tag */
	/* "None of these": words spread evenly over the vocabulary. It keeps a
	 * workspace with one or two topics from scoring every text near 1. */
	other = 0;
	for (t = 0; t < m->ntags; t++)
		other += m->prior[t] / (double)m->ntags;
	other = (other - (double)n * log((double)m->v.n + 1)) / m->temp;
	top = other;
	for (t = 0; t < m->ntags; t++) {
		lp[t] /= m->temp;
		if (lp[t] > top)
			top = lp[t];
	}
	sum = exp(other - top);
	for (t = 0; t < m->ntags; t++) {
		lp[t] = exp(lp[t] - top);
		sum += lp[t];
	}
	/* Insertion into the top max, best first. */
	for (t = 0; t < m->ntags; t++) {
		double sc = lp[t] / sum;

		for (k = nout; k > 0 && out[k - 1].score < sc; k--)
			if (k < max)
				out[k] = out[k - 1];
		if (k < max) {
			out[k].tag_id = m->tag_id[t];
			out[k].score = sc;
			if (nout < max)
				nout++;
		}
	}
	return nout;
}

/* ---- duplicate questions ---- */

struct dup_doc {
	int64_t key;
	uint32_t *terms;
	uint32_t n;
};

struct inbox_dup_index {
	struct vocab v;
	uint32_t *df;
	size_t df_cap;
	struct plist_u {
		uint32_t *d;
		uint32_t n, cap;
	} *post;
	struct dup_doc *docs;
	size_t ndocs, docs_cap;
	size_t nbg;      /* background texts: counted in df, never matched */
	double *idf;     /* per term, and */
	double *norm;    /* per document, as of cached_n texts and cached_v terms */
	size_t cached_n, cached_v, idf_cap, norm_cap;
};

static void dup_add(struct inbox_dup_index *ix, int64_t key, const char *text, int candidate);

struct inbox_dup_index *
inbox_dup_new(void)
{
	return xcalloc(1, sizeof(struct inbox_dup_index));
}

void
inbox_dup_free(struct inbox_dup_index *ix)
{
	size_t i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->ndocs; i++)
		free(ix->docs[i].terms);
	for (i = 0; i < ix->df_cap; i++)
		free(ix->post[i].d);
	free(ix->post);
	free(ix->df);
	free(ix->docs);
	free(ix->idf);
	free(ix->norm);
	vocab_free(&ix->v);
	free(ix);
}

size_t
inbox_dup_size(const struct inbox_dup_index *ix)
{
	return ix->ndocs;
}

void
inbox_dup_add(struct inbox_dup_index *ix, int64_t key, const char *text)
{
	dup_add(ix, key, text, 1);
}

void
inbox_dup_background(struct inbox_dup_index *ix, const char *text)
{
	dup_add(ix, -1, text, 0);
}

static void
dup_add(struct inbox_dup_index *ix, int64_t key, const char *text, int candidate)
{
	uint32_t ids[SUGGEST_TERMS];
	size_t n = text_ids(&ix->v, text, 1, ids, SUGGEST_TERMS), i;
	struct dup_doc *d;

	if (n == 0)
		return;
	if (ix->v.n > ix->df_cap) {
		size_t cap = ix->df_cap ? ix->df_cap : 1024;

		while (cap < ix->v.n)
			cap *= 2;
		ix->df = xrealloc(ix->df, cap * sizeof(*ix->df));
		ix->post = xrealloc(ix->post, cap * sizeof(*ix->post));
		memset(ix->df + ix->df_cap, 0, (cap - ix->df_cap) * sizeof(*ix->df));
		memset(ix->post + ix->df_cap, 0, (cap - ix->df_cap) * sizeof(*ix->post));
		ix->df_cap = cap;
	}
	if (!candidate) {
		for (i = 0; i < n; i++)
			ix->df[ids[i]]++;
		ix->nbg++;
		return;
	}
	if (ix->ndocs == ix->docs_cap) {
		ix->docs_cap = ix->docs_cap ? ix->docs_cap * 2 : 256;
		ix->docs = xrealloc(ix->docs, ix->docs_cap * sizeof(*ix->docs));
	}
	d = &ix->docs[ix->ndocs];
	d->key = key;
	d->n = (uint32_t)n;
	d->terms = xcalloc(n, sizeof(uint32_t));
	memcpy(d->terms, ids, n * sizeof(uint32_t));
	for (i = 0; i < n; i++) {
		struct plist_u *p = &ix->post[ids[i]];

		ix->df[ids[i]]++;
		if (p->n == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 4;
			p->d = xrealloc(p->d, p->cap * sizeof(*p->d));
		}
		p->d[p->n++] = (uint32_t)ix->ndocs;
	}
	ix->ndocs++;
}

static double
dup_idf(const struct inbox_dup_index *ix, uint32_t t)
{
	return log(1.0 + (double)(ix->ndocs + ix->nbg + 1) / (double)(ix->df[t] + 1));
}

/* idf and document norms move with every text added; they are recomputed
 * once per change of the index rather than for every query. */
static void
dup_refresh(struct inbox_dup_index *ix)
{
	size_t i, k;

	if (ix->cached_n == ix->ndocs + ix->nbg && ix->cached_v == ix->v.n && ix->norm != NULL)
		return;
	if (ix->idf_cap < ix->v.n) {
		ix->idf_cap = ix->df_cap;
		ix->idf = xrealloc(ix->idf, ix->idf_cap * sizeof(double));
	}
	if (ix->norm_cap < ix->ndocs || ix->norm == NULL) {
		ix->norm_cap = ix->docs_cap;
		ix->norm = xrealloc(ix->norm, ix->norm_cap * sizeof(double));
	}
	for (i = 0; i < ix->v.n; i++)
		ix->idf[i] = dup_idf(ix, (uint32_t)i);
	for (i = 0; i < ix->ndocs; i++) {
		double dn = 0;

		for (k = 0; k < ix->docs[i].n; k++)
			dn += ix->idf[ix->docs[i].terms[k]] * ix->idf[ix->docs[i].terms[k]];
		ix->norm[i] = sqrt(dn);
	}
	ix->cached_n = ix->ndocs + ix->nbg;
	ix->cached_v = ix->v.n;
}

size_t
inbox_dup_query(struct inbox_dup_index *ix, const char *text, struct inbox_dup_hit *out, size_t max)
{
	uint32_t ids[SUGGEST_TERMS], *touched;
	size_t n, i, k, nout = 0, ntouched = 0, unknown = 0;
	double *dot, qn;

	if (ix->ndocs == 0 || max == 0)
		return 0;
	n = text_ids_u(&ix->v, text, 0, ids, SUGGEST_TERMS, &unknown);
	if (n == 0)
		return 0;
	dup_refresh(ix);
	/* Terms the index never saw still count in the question's length (at
	 * the rarest weight), so a long question that shares two words is not a
	 * match. */
	qn = (double)unknown * pow(log(1.0 + (double)(ix->ndocs + ix->nbg + 1)), 2);
	dot = xcalloc(ix->ndocs, sizeof(double));
	touched = xcalloc(ix->ndocs, sizeof(uint32_t));
	for (i = 0; i < n; i++) {
		double w = ix->idf[ids[i]];

		qn += w * w;
		for (k = 0; k < ix->post[ids[i]].n; k++) {
			uint32_t d = ix->post[ids[i]].d[k];

			if (dot[d] == 0)
				touched[ntouched++] = d;
			dot[d] += w * w;
		}
	}
	qn = sqrt(qn);
	for (i = 0; i < ntouched; i++) {
		double sc = dot[touched[i]] / (qn * ix->norm[touched[i]]);

		for (k = nout; k > 0 && out[k - 1].score < sc; k--)
			if (k < max)
				out[k] = out[k - 1];
		if (k < max) {
			out[k].key = ix->docs[touched[i]].key;
			out[k].score = sc;
			if (nout < max)
				nout++;
		}
	}
	free(dot);
	free(touched);
	return nout;
}

/* ---- per-workspace caches ---- */

struct ws_cache {
	char ws[40];
	pthread_mutex_t model_mu; /* the model: the worker builds and scores */
	pthread_mutex_t dup_mu;   /* the duplicate index: request threads read it */
	struct inbox_suggest_model *model;
	char sig[160];
	int64_t checked_at;
	struct inbox_dup_index *dup;
	json_t *dup_rows;       /* by key = index into this array */
	int64_t dup_after;      /* highest answer id loaded */
	int64_t dup_checked_at;
	int64_t dup_built_at;
	struct ws_cache *next;
};

/* The list of workspaces' caches; each entry has its own locks, so a model
 * rebuild never holds up a duplicate query. Entries live until
 * inbox_suggest_free_caches. */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ws_cache *caches;

static struct ws_cache *
cache_get(const char *ws)
{
	struct ws_cache *c;

	pthread_mutex_lock(&cache_mu);
	for (c = caches; c != NULL; c = c->next)
		if (strcmp(c->ws, ws) == 0)
			break;
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		snprintf(c->ws, sizeof(c->ws), "%s", ws);
		pthread_mutex_init(&c->model_mu, NULL);
		pthread_mutex_init(&c->dup_mu, NULL);
		c->next = caches;
		caches = c;
	}
	pthread_mutex_unlock(&cache_mu);
	return c;
}

/* With c->model_mu held: the workspace's model, rebuilt when its tagging changed. */
static struct inbox_suggest_model *
cache_model(struct store *s, struct ws_cache *c, int64_t now)
{
	json_t *sig, *tags, *rows;
	char buf[160];
	size_t i, k;

	if (c->model != NULL && now - c->checked_at < SUGGEST_RECHECK_MS)
		return c->model;
	c->checked_at = now;
	sig = ST(s, suggest_signature, c->ws, "Topic");
	snprintf(buf, sizeof(buf), "%lld/%lld/%s", (long long)jsonx_int(sig, "n", 0),
	    (long long)jsonx_int(sig, "last", 0), jsonx_str(sig, "tags") ? jsonx_str(sig, "tags") : "");
	json_decref(sig);
	if (c->model != NULL && strcmp(buf, c->sig) == 0)
		return c->model;
	inbox_suggest_model_free(c->model);
	c->model = inbox_suggest_model_new();
	snprintf(c->sig, sizeof(c->sig), "%s", buf);
	tags = ST(s, tag_list, c->ws);
	for (i = 0; i < json_array_size(tags); i++) {
		json_t *t = json_array_get(tags, i);

		if (jsonx_str(t, "group_name") != NULL && strcmp(jsonx_str(t, "group_name"), "Topic") == 0)
			inbox_suggest_model_tag(c->model, jsonx_int(t, "id", 0), jsonx_str(t, "name"),
			    jsonx_str(t, "description"));
	}
	json_decref(tags);
	rows = ST(s, suggest_training, c->ws, "Topic", SUGGEST_TRAIN_MAX);
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i), *ids = json_object_get(r, "tags");
		int64_t tid[32];
		size_t n = 0;

		for (k = 0; k < json_array_size(ids) && n < 32; k++)
			tid[n++] = json_integer_value(json_array_get(ids, k));
		inbox_suggest_model_example(c->model, jsonx_str(r, "text"), tid, n);
	}
	json_decref(rows);
	inbox_suggest_model_finish(c->model);
	return c->model;
}

/* With c->dup_mu held: the member-answered questions, loaded incrementally. */
static void
cache_dup(struct store *s, struct ws_cache *c, int64_t now)
{
	json_t *rows;
	size_t i, k;

	if (c->dup != NULL && now - c->dup_checked_at < 500)
		return;
	c->dup_checked_at = now;
	/* Rebuilt now and then so that term rarity follows the workspace's
	 * recent questions; new answers are added in between. */
	if (c->dup == NULL || json_array_size(c->dup_rows) > DUP_MAX_DOCS || now - c->dup_built_at > DUP_REBUILD_MS) {
		json_t *bg = ST(s, dup_background, c->ws, DUP_BACKGROUND);

		inbox_dup_free(c->dup);
		json_decref(c->dup_rows);
		c->dup = inbox_dup_new();
		c->dup_rows = json_array();
		c->dup_after = 0;
		c->dup_built_at = now;
		for (i = 0; i < json_array_size(bg); i++)
			inbox_dup_background(c->dup, jsonx_str(json_array_get(bg, i), "text"));
		json_decref(bg);
	}
	rows = ST(s, dup_answered, c->ws, c->dup_after, DUP_MAX_DOCS);
	/* Oldest first, so the first answer to a question is the one kept. */
	for (i = json_array_size(rows); i-- > 0;) {
		json_t *r = json_array_get(rows, i);
		int64_t qid = jsonx_int(r, "question_id", 0);
		int seen = 0;

		if (jsonx_int(r, "answer_id", 0) > c->dup_after)
			c->dup_after = jsonx_int(r, "answer_id", 0);
		for (k = json_array_size(c->dup_rows); k-- > 0 && !seen;)
			seen = jsonx_int(json_array_get(c->dup_rows, k), "question_id", 0) == qid;
		if (seen)
			continue;
		json_array_append(c->dup_rows, r);
		inbox_dup_add(c->dup, (int64_t)json_array_size(c->dup_rows) - 1, jsonx_str(r, "question"));
	}
	json_decref(rows);
}

/* ---- suggestions on a conversation ---- */

static double
suggest_auto_threshold(struct store *s, const char *ws)
{
	json_t *set = inbox_settings(s, ws);
	double v = json_number_value(json_object_get(set, "suggest_auto_threshold"));

	json_decref(set);
	return v;
}

static json_t *
suggest_view(struct store *s, const char *ws, const char *conv_id)
{
	json_t *rows = ST(s, suggest_list, ws, conv_id, "open");
	size_t i;

	for (i = 0; i < json_array_size(rows); i++)
		jsonx_present(json_array_get(rows, i));
	return rows ? rows : json_array();
}

/* The conversation.updated event with its tags, as tagging by hand sends. */
static err_t
suggest_conv_event(struct inbox_tx *tx, const char *ws, const char *conv_id)
{
	json_t *row = ST(tx->s, conv_get, ws, conv_id);
	err_t err;

	if (row == NULL)
		return ERR_STORE;
	json_object_del(row, "visitor_token_hash");
	json_object_set_new(row, "tags", inbox_conv_tags(tx->s, ws, conv_id));
	err = inbox_tx_event(tx, ws, row, 1, "conversation.updated",
	    json_pack("{s:o}", "conversation", jsonx_present(json_deep_copy(row))));
	json_decref(row);
	return err;
}

static err_t
suggest_list_event(struct inbox_tx *tx, const char *ws, const json_t *conv)
{
	return inbox_tx_event(tx, ws, conv, 1, "suggestions.updated",
	    json_pack("{s:s,s:o}", "conversation_id", jsonx_str(conv, "id"), "suggestions",
		suggest_view(tx->s, ws, jsonx_str(conv, "id"))));
}

err_t
inbox_suggest_run(struct store *s, const char *ws, const char *conv_id)
{
	struct inbox_suggest_score sc[SUGGEST_SHOW_MAX + 1];
	struct inbox_tx tx;
	json_t *conv = NULL, *txt = NULL, *have = NULL, *keep = NULL, *decided = NULL;
	int64_t now = util_now_ms();
	double autot = suggest_auto_threshold(s, ws);
	size_t n, i, k;
	int applied = 0;
	err_t err = ERR_OK;

	conv = ST(s, conv_get, ws, conv_id);
	txt = ST(s, suggest_conv_text, conv_id);
	if (conv == NULL || txt == NULL)
		goto out;
	{
		struct ws_cache *c = cache_get(ws);

		pthread_mutex_lock(&c->model_mu);
		n = inbox_suggest_model_score(cache_model(s, c, now), jsonx_str(txt, "text"), sc, SUGGEST_SHOW_MAX + 1);
		pthread_mutex_unlock(&c->model_mu);
	}
	if (n == 0) {
		/* Nothing to propose: write only when open suggestions must go. */
		json_t *open = ST(s, suggest_list, ws, conv_id, "open");
		size_t nopen = json_array_size(open);

		json_decref(open);
		if (nopen == 0)
			goto out;
	}
	keep = json_array();
	err = inbox_tx_begin(&tx, s);
	if (err)
		goto out;
	/* Read inside the transaction: a member may have tagged meanwhile. */
	have = inbox_conv_tags(s, ws, conv_id);
	decided = ST(s, suggest_list, ws, conv_id, NULL);
	for (i = 0; !err && i < n && i < SUGGEST_SHOW_MAX; i++) {
		int skip = sc[i].score < SUGGEST_MIN;
		json_t *row;

		for (k = 0; !skip && k < json_array_size(have); k++)
			skip = jsonx_int(json_array_get(have, k), "tag_id", 0) == sc[i].tag_id;
		for (k = 0; !skip && k < json_array_size(decided); k++) {
			json_t *d = json_array_get(decided, k);

			skip = jsonx_int(d, "tag_id", 0) == sc[i].tag_id && strcmp(jsonx_str(d, "state"), "open") != 0;
		}
		if (skip)
			continue;
		json_array_append_new(keep, json_integer(sc[i].tag_id));
		row = json_pack("{s:s,s:I,s:s,s:f,s:I}", "conversation_id", conv_id, "tag_id",
		    (json_int_t)sc[i].tag_id, "workspace_id", ws, "score", sc[i].score, "created_at", (json_int_t)now);
		err = ST(s, suggest_put, row);
		json_decref(row);
		if (!err && autot > 0 && autot < 1 && sc[i].score >= autot) {
			struct errinfo ei = {0};
			json_t *tag = ST(s, tag_get, ws, sc[i].tag_id);

			err = ST(s, suggest_decide, ws, conv_id, sc[i].tag_id, "auto", "agent", now);
			if (!err)
				err = inbox_tags_apply_tx(&tx, ws, conv_id, sc[i].tag_id, "agent", NULL, NULL, &ei);
			if (!err)
				err = inbox_audit(s, ws, "agent", "conversation.tag", conv_id, NULL,
				    json_pack("{s:s,s:s,s:f,s:f}", "tag", jsonx_str(tag, "name"), "source", "agent",
					"score", sc[i].score, "threshold", autot));
			json_decref(tag);
			applied = 1;
		}
	}
	if (!err)
		err = ST(s, suggest_prune, conv_id, keep);
	if (!err && applied)
		err = suggest_conv_event(&tx, ws, conv_id);
	if (!err)
		err = suggest_list_event(&tx, ws, conv);
	if (err) {
		inbox_tx_abort(&tx);
		log_warnx("suggest: conversation %s: %s", conv_id, err_str(err));
		goto out;
	}
	err = inbox_tx_commit(&tx);
out:
	json_decref(conv);
	json_decref(txt);
	json_decref(have);
	json_decref(keep);
	json_decref(decided);
	return err;
}

json_t *
inbox_suggest_list(struct store *s, const struct principal *p, const char *conv_id,
    struct errinfo *ei)
{
	json_t *conv = inbox_conv_get(s, p, conv_id, ei);

	if (conv == NULL)
		return NULL;
	json_decref(conv);
	return suggest_view(s, p->workspace_id, conv_id);
}

err_t
inbox_suggest_decide(struct store *s, const struct principal *p, const char *conv_id,
    int64_t tag_id, int accept, json_t **out, struct errinfo *ei)
{
	struct inbox_tx tx;
	json_t *conv = NULL, *sugg = NULL, *tag = NULL;
	char actor[128];
	double score = 0;
	size_t i;
	err_t err;

	conv = inbox_conv_get(s, p, conv_id, ei);
	if (conv == NULL)
		return ei->code;
	sugg = ST(s, suggest_list, p->workspace_id, conv_id, "open");
	for (i = 0; i < json_array_size(sugg); i++)
		if (jsonx_int(json_array_get(sugg, i), "tag_id", 0) == tag_id)
			break;
	if (i == json_array_size(sugg)) {
		err = err_set(ei, ERR_NOT_FOUND, "there is no open suggestion of that tag on this conversation");
		goto out;
	}
	score = json_number_value(json_object_get(json_array_get(sugg, i), "score"));
	tag = ST(s, tag_get, p->workspace_id, tag_id);
	err = inbox_tx_begin(&tx, s);
	if (err) {
		err_set(ei, err, "the store is busy; try again");
		goto out;
	}
	err = ST(s, suggest_decide, p->workspace_id, conv_id, tag_id, accept ? "accepted" : "rejected", p->id,
	    util_now_ms());
	if (err == ERR_NOT_FOUND)
		err_set(ei, err, "the suggestion was decided meanwhile");
	else if (!err && accept)
		err = inbox_tags_apply_tx(&tx, p->workspace_id, conv_id, tag_id, "member", p->id, NULL, ei);
	else if (!err)
		err = inbox_tx_timeline(&tx, conv_id, "suggestion_rejected", "member", p->id,
		    json_pack("{s:s,s:f}", "tag", jsonx_str(tag, "name"), "score", score));
	if (!err)
		err = inbox_audit(s, p->workspace_id, inbox_actor(p, actor), accept ? "suggestion.accept" : "suggestion.reject",
		    conv_id, NULL, json_pack("{s:s,s:I,s:f,s:s}", "tag", jsonx_str(tag, "name"), "tag_id", (json_int_t)tag_id,
			"score", score, "source", "member"));
	if (!err && accept)
		err = suggest_conv_event(&tx, p->workspace_id, conv_id);
	if (!err)
		err = suggest_list_event(&tx, p->workspace_id, conv);
	if (err) {
		inbox_tx_abort(&tx);
		if (!ei->msg[0])
			err_set(ei, err, "could not record the decision");
		goto out;
	}
	err = inbox_tx_commit(&tx);
	if (err) {
		err_set(ei, err, "could not record the decision");
		goto out;
	}
	*out = json_pack("{s:o,s:o}", "tags", inbox_conv_tags(s, p->workspace_id, conv_id), "suggestions",
	    suggest_view(s, p->workspace_id, conv_id));
out:
	json_decref(conv);
	json_decref(sugg);
	json_decref(tag);
	return err;
}

/* ---- duplicates ---- */

static int
dup_site_ok(const struct principal *p, const char *site)
{
	return inbox_site_in(p->sites, site);
}

json_t *
inbox_suggest_duplicates(struct store *s, const struct principal *p, const char *conv_id,
    struct errinfo *ei)
{
	json_t *conv = inbox_conv_get(s, p, conv_id, ei), *msgs, *out;
	struct inbox_dup_hit hits[16];
	const char *qs[2] = {NULL, NULL};
	size_t i, q, n, k;

	if (conv == NULL)
		return NULL;
	json_decref(conv);
	out = json_array();
	/* The first and the latest visitor questions of this thread. */
	msgs = ST(s, msg_list, conv_id, 0, 0, 500);
	for (i = 0; i < json_array_size(msgs); i++) {
		json_t *m = json_array_get(msgs, i);

		if (strcmp(jsonx_str(m, "author_kind"), "visitor") != 0)
			continue;
		if (qs[0] == NULL)
			qs[0] = jsonx_str(m, "body");
		else
			qs[1] = jsonx_str(m, "body");
	}
	{
		struct ws_cache *c = cache_get(p->workspace_id);

		pthread_mutex_lock(&c->dup_mu);
		cache_dup(s, c, util_now_ms());
		for (q = 0; q < 2; q++) {
			if (qs[q] == NULL)
				continue;
			n = inbox_dup_query(c->dup, qs[q], hits, 16);
			for (i = 0; i < n && hits[i].score >= INBOX_DUP_THRESHOLD; i++) {
				json_t *r = json_array_get(c->dup_rows, (size_t)hits[i].key), *have = NULL;
				int64_t num = jsonx_int(r, "number", 0);

				if (strcmp(jsonx_str(r, "conversation_id"), conv_id) == 0 || !dup_site_ok(p, jsonx_str(r, "site")))
					continue;
				for (k = 0; k < json_array_size(out) && have == NULL; k++)
					if (jsonx_int(json_array_get(out, k), "number", 0) == num)
						have = json_array_get(out, k);
				if (have != NULL) {
					if (json_number_value(json_object_get(have, "score")) < hits[i].score)
						json_object_set_new(have, "score", json_real(hits[i].score));
					continue;
				}
				json_array_append_new(out, json_pack("{s:O,s:I,s:O,s:O,s:f}", "conversation_id",
				    json_object_get(r, "conversation_id"), "number", (json_int_t)num, "question",
				    json_object_get(r, "question"), "answer_excerpt", json_object_get(r, "answer"), "score",
				    hits[i].score));
			}
		}
		pthread_mutex_unlock(&c->dup_mu);
	}
	json_decref(msgs);
	/* Best first, at most three. */
	for (i = 1; i < json_array_size(out); i++)
		for (k = i; k > 0 && json_number_value(json_object_get(json_array_get(out, k - 1), "score")) <
		    json_number_value(json_object_get(json_array_get(out, k), "score")); k--) {
			json_t *a = json_incref(json_array_get(out, k - 1));

			json_array_set(out, k - 1, json_array_get(out, k));
			json_array_set_new(out, k, a);
		}
	while (json_array_size(out) > 3)
		json_array_remove(out, 3);
	return out;
}

/* ---- the worker: every visitor message is classified off the request path ---- */

struct suggest_job {
	char ws[40];
	char conv[40];
	struct suggest_job *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct suggest_job *head, *tail;
	int running, stop;
	pthread_t th;
	struct bus_sub *sub;
	char *dsn;
} sg = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 0, NULL, NULL};

static void
suggest_on_event(void *ctx, const struct bus_event *ev)
{
	struct suggest_job *j, *q;

	(void)ctx;
	if (ev->workspace_id == NULL || ev->conversation_id == NULL || strcmp(ev->type, "message.created") != 0 ||
	    ev->internal || ev->data == NULL || strstr(ev->data, "\"author_kind\":\"visitor\"") == NULL)
		return;
	pthread_mutex_lock(&sg.mu);
	for (q = sg.head; q != NULL; q = q->next)
		if (strcmp(q->conv, ev->conversation_id) == 0)
			break;
	if (q == NULL && !sg.stop) {
		j = xcalloc(1, sizeof(*j));
		snprintf(j->ws, sizeof(j->ws), "%s", ev->workspace_id);
		snprintf(j->conv, sizeof(j->conv), "%s", ev->conversation_id);
		if (sg.tail != NULL)
			sg.tail->next = j;
		else
			sg.head = j;
		sg.tail = j;
		pthread_cond_signal(&sg.cv);
	}
	pthread_mutex_unlock(&sg.mu);
}

static void *
suggest_main(void *arg)
{
	struct errinfo ei = {0};
	struct store *s = store_open(sg.dsn, &ei);
	struct suggest_job *j;

	(void)arg;
	if (s == NULL) {
		log_warnx("suggest: cannot open the store: %s", ei.msg);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&sg.mu);
		while (sg.head == NULL && !sg.stop)
			pthread_cond_wait(&sg.cv, &sg.mu);
		j = sg.head;
		if (j != NULL && !sg.stop) {
			sg.head = j->next;
			if (sg.head == NULL)
				sg.tail = NULL;
		} else {
			j = NULL;
		}
		pthread_mutex_unlock(&sg.mu);
		if (j == NULL)
			break;
		inbox_suggest_run(s, j->ws, j->conv);
		free(j);
	}
	ST(s, close);
	return NULL;
}

err_t
inbox_suggest_start(const char *dsn)
{
	if (sg.running)
		return ERR_OK;
	sg.dsn = xstrdup(dsn);
	sg.stop = 0;
	if (pthread_create(&sg.th, NULL, suggest_main, NULL) != 0) {
		free(sg.dsn);
		sg.dsn = NULL;
		return ERR_INTERNAL;
	}
	sg.sub = bus_subscribe(suggest_on_event, NULL);
	sg.running = 1;
	return ERR_OK;
}

void
inbox_suggest_stop(void)
{
	struct suggest_job *j;

	if (!sg.running)
		return;
	bus_unsubscribe(sg.sub);
	pthread_mutex_lock(&sg.mu);
	sg.stop = 1;
	pthread_cond_broadcast(&sg.cv);
	pthread_mutex_unlock(&sg.mu);
	pthread_join(sg.th, NULL);
	while (sg.head != NULL) {
		j = sg.head;
		sg.head = j->next;
		free(j);
	}
	sg.tail = NULL;
	sg.running = 0;
	free(sg.dsn);
	sg.dsn = NULL;
	inbox_suggest_free_caches();
}

void
inbox_suggest_free_caches(void)
{
	struct ws_cache *c;

	pthread_mutex_lock(&cache_mu);
	while (caches != NULL) {
		c = caches;
		caches = c->next;
		inbox_suggest_model_free(c->model);
		inbox_dup_free(c->dup);
		json_decref(c->dup_rows);
		pthread_mutex_destroy(&c->model_mu);
		pthread_mutex_destroy(&c->dup_mu);
		free(c);
	}
	pthread_mutex_unlock(&cache_mu);
}
