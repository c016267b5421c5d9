/* kb_index.c: the in-memory retrieval index. An inverted index of Snowball
 * stems with BM25 scoring, where heading and title words count double and
 * adjacent query words in a passage earn a phrase bonus. Abbreviations that
 * documents define ("Serious Adverse Event (SAE)", "methotrexate (MTX)") and
 * the workspace's synonyms make equivalent terms; query words the index has
 * never seen are matched to a known word one or two edits away (typos).
 *
 * Concurrency: one rwlock; queries take it shared, add/remove exclusive.
 * Removal marks passages dead; their postings are skipped at query time. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "kb_int.h"

#define KB_K1 1.2
#define KB_B 0.75
#define KB_HEAD_W 0.6
#define KB_NOTERM UINT32_MAX

struct kb_post {
	uint32_t p;
	uint16_t tf; /* in the body */
	uint16_t hf; /* in the title or section path */
};

struct kb_term {
	char *s;
	struct kb_post *v;
	uint32_t n, cap;
	uint32_t bdf; /* passages with the word in their body (headings repeat over a section) */
	uint32_t eq[4];  /* equivalent terms (abbreviation <-> first word of expansion, synonyms) */
	uint32_t *eqseq; /* for an abbreviation: the expansion's term ids, eqseq[0] = length */
};

struct kb_docent {
	int64_t doc_id;
	char *name;
	char *title;
	int removed;
};

struct kb_index {
	pthread_rwlock_t lock;
	struct kb_term *terms;
	size_t nterms, tcap;
	uint32_t *slots; /* open addressing: term id + 1, 0 = empty */
	size_t nslots;
	struct kb_pass *pass;
	size_t npass, pcap;
	struct kb_docent *docs;
	size_t ndocs, dcap;
	size_t live;
	double totlen;
	char *synonyms;
};

static uint64_t
ix_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

uint32_t
kb_index_term_id(const struct kb_index *ix, const char *stem)
{
	size_t i;

	if (ix->nslots == 0)
		return KB_NOTERM;
	for (i = ix_hash(stem) & (ix->nslots - 1); ix->slots[i]; i = (i + 1) & (ix->nslots - 1))
		if (strcmp(ix->terms[ix->slots[i] - 1].s, stem) == 0)
			return ix->slots[i] - 1;
	return KB_NOTERM;
}

static void
ix_rehash(struct kb_index *ix)
{
	size_t n = ix->nslots ? ix->nslots * 2 : 4096, i, k;

	free(ix->slots);
	ix->slots = xcalloc(n, sizeof(*ix->slots));
	ix->nslots = n;
	for (k = 0; k < ix->nterms; k++) {
		for (i = ix_hash(ix->terms[k].s) & (n - 1); ix->slots[i]; i = (i + 1) & (n - 1))
			;
		ix->slots[i] = (uint32_t)k + 1;
	}
}

static uint32_t
ix_term(struct kb_index *ix, const char *stem)
{
	uint32_t id = kb_index_term_id(ix, stem);
	size_t i;

	if (id != KB_NOTERM)
		return id;
	if (ix->nterms + 1 > ix->nslots / 2)
		ix_rehash(ix);
	if (ix->nterms == ix->tcap) {
		ix->tcap = ix->tcap ? ix->tcap * 2 : 4096;
		ix->terms = xrealloc(ix->terms, ix->tcap * sizeof(*ix->terms));
	}
	memset(&ix->terms[ix->nterms], 0, sizeof(ix->terms[0]));
	memset(ix->terms[ix->nterms].eq, 0xff, sizeof(ix->terms[0].eq));
	ix->terms[ix->nterms].s = xstrdup(stem);
	for (i = ix_hash(stem) & (ix->nslots - 1); ix->slots[i]; i = (i + 1) & (ix->nslots - 1))
		;
	ix->slots[i] = (uint32_t)ix->nterms + 1;
	return (uint32_t)ix->nterms++;
}

static void
ix_post(struct kb_index *ix, uint32_t t, uint32_t p, int body, int head)
{
	struct kb_term *tm = &ix->terms[t];

	if (tm->n > 0 && tm->v[tm->n - 1].p == p) {
		if (body && tm->v[tm->n - 1].tf == 0)
			tm->bdf++;
		if (body && tm->v[tm->n - 1].tf < UINT16_MAX)
			tm->v[tm->n - 1].tf++;
		if (head && tm->v[tm->n - 1].hf < UINT16_MAX)
			tm->v[tm->n - 1].hf++;
		return;
	}
	if (tm->n == tm->cap) {
		tm->cap = tm->cap ? tm->cap * 2 : 4;
		tm->v = xrealloc(tm->v, tm->cap * sizeof(*tm->v));
	}
	tm->v[tm->n].p = p;
	tm->bdf += body ? 1 : 0;
	tm->v[tm->n].tf = body ? 1 : 0;
	tm->v[tm->n].hf = head ? 1 : 0;
	tm->n++;
}

static void
ix_eq_add(struct kb_index *ix, uint32_t a, uint32_t b)
{
	int i;

	if (a == b)
		return;
	for (i = 0; i < 4; i++) {
		if (ix->terms[a].eq[i] == b)
			return;
		if (ix->terms[a].eq[i] == KB_NOTERM) {
			ix->terms[a].eq[i] = b;
			return;
		}
	}
}

/* "Serious Adverse Event (SAE)", "electronic Case Report Form (eCRF)",
 * "methotrexate (MTX)": the parenthesised word is 2 to 6 letters with at
 * least two capitals, and its letters begin the preceding words (or appear
 * in order in the one preceding word). */
static void
ix_learn_abbrev(struct kb_index *ix, const char *text)
{
	const char *p = text;

	while ((p = strchr(p, '(')) != NULL) {
		const char *e = strchr(p, ')');
		char ab[8], low[8];
		size_t n, i, caps = 0;

		if (e == NULL)
			break;
		n = (size_t)(e - p - 1);
		if (n >= 2 && n <= 6) {
			memcpy(ab, p + 1, n);
			ab[n] = '\0';
			for (i = 0; i < n; i++) {
				if (!((ab[i] >= 'A' && ab[i] <= 'Z') || (ab[i] >= 'a' && ab[i] <= 'z')))
					break;
				caps += ab[i] >= 'A' && ab[i] <= 'Z';
				low[i] = (char)(ab[i] | 0x20);
			}
			low[n] = '\0';
			if (i == n && caps >= 2) {
				/* Walk back over the words before the parenthesis. */
				struct kb_tok toks[24];
				char before[400];
				size_t blen = (size_t)(p - text) < sizeof(before) - 1 ? (size_t)(p - text) : sizeof(before) - 1;
				size_t nt, k, need = n, start;
				int ok = 0;

				memcpy(before, p - blen, blen);
				before[blen] = '\0';
				nt = kb_text_tokens(before, toks, 24);
				/* Multi-word: initials of the last words, skipping small words. */
				if (nt > 0) {
					size_t li = n, w = nt;

					while (w > 0 && li > 0) {
						w--;
						if (toks[w].low[0] == low[li - 1])
							li--;
						else if (!toks[w].stop)
							break;
					}
					if (li == 0 && nt - w >= 2) {
						ok = 1;
						start = w;
					} else if (nt >= 1 && toks[nt - 1].low[0] == low[0]) {
						/* One word containing the letters in order. */
						const char *q = toks[nt - 1].low;

						for (k = 0; *q && k < n; q++)
							if (*q == low[k])
								k++;
						ok = k == n && strlen(toks[nt - 1].low) > n + 2;
						start = nt - 1;
					}
					if (ok) {
						char stem[KB_TOK_MAX];
						uint32_t a, seq[16];
						size_t m = 0;

						kb_text_stem(low, stem);
						a = ix_term(ix, stem);
						for (k = start; k < nt && m < 15; k++)
							if (!toks[k].stop)
								seq[++m] = ix_term(ix, toks[k].stem);
						seq[0] = (uint32_t)m;
						if (m > 0 && ix->terms[a].eqseq == NULL) {
							ix->terms[a].eqseq = xmalloc((m + 1) * sizeof(uint32_t));
							memcpy(ix->terms[a].eqseq, seq, (m + 1) * sizeof(uint32_t));
							if (m == 1) {
								ix_eq_add(ix, a, seq[1]);
								ix_eq_add(ix, seq[1], a);
							}
						}
						(void)need;
					}
				}
			}
		}
		p = e;
	}
}

struct kb_index *
kb_index_new(void)
{
	struct kb_index *ix = xcalloc(1, sizeof(*ix));

	pthread_rwlock_init(&ix->lock, NULL);
	ix_rehash(ix);
	return ix;
}

void
kb_index_free(struct kb_index *ix)
{
	size_t i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->nterms; i++) {
		free(ix->terms[i].s);
		free(ix->terms[i].v);
		free(ix->terms[i].eqseq);
	}
	for (i = 0; i < ix->npass; i++) {
		free(ix->pass[i].tok);
		free(ix->pass[i].section);
		free(ix->pass[i].text);
	}
	for (i = 0; i < ix->ndocs; i++) {
		free(ix->docs[i].name);
		free(ix->docs[i].title);
	}
	free(ix->terms);
	free(ix->slots);
	free(ix->pass);
	free(ix->docs);
	free(ix->synonyms);
	pthread_rwlock_destroy(&ix->lock);
	free(ix);
}

#define KB_PASS_TOK_MAX 2048

err_t
kb_index_add(struct kb_index *ix, int64_t doc_id, const struct kb_doc *doc, const int64_t *ids)
{
	struct kb_tok *toks = xmalloc(KB_PASS_TOK_MAX * sizeof(*toks));
	size_t i, k, n;
	uint32_t d;

	pthread_rwlock_wrlock(&ix->lock);
	if (ix->ndocs == ix->dcap) {
		ix->dcap = ix->dcap ? ix->dcap * 2 : 64;
		ix->docs = xrealloc(ix->docs, ix->dcap * sizeof(*ix->docs));
	}
	d = (uint32_t)ix->ndocs++;
	ix->docs[d].doc_id = doc_id;
	ix->docs[d].name = xstrdup(doc->name ? doc->name : "");
	ix->docs[d].title = xstrdup(doc->title ? doc->title : "");
	ix->docs[d].removed = 0;
	for (i = 0; i < doc->n; i++) {
		const struct kb_passage *sp = &doc->passages[i];
		struct kb_pass *pp;
		uint32_t p;
		char head[1024];

		if (ix->npass == ix->pcap) {
			ix->pcap = ix->pcap ? ix->pcap * 2 : 1024;
			ix->pass = xrealloc(ix->pass, ix->pcap * sizeof(*ix->pass));
		}
		p = (uint32_t)ix->npass++;
		pp = &ix->pass[p];
		memset(pp, 0, sizeof(*pp));
		pp->doc_id = doc_id;
		pp->passage_id = ids ? ids[i] : (int64_t)i;
		pp->doc = d;
		pp->section = xstrdup(sp->section ? sp->section : "");
		pp->text = xstrdup(sp->text ? sp->text : "");
		pp->page = sp->page;
		pp->kind = sp->kind;
		n = kb_text_tokens(pp->text, toks, KB_PASS_TOK_MAX);
		pp->tok = xmalloc((n ? n : 1) * sizeof(uint32_t));
		pp->ntok = (uint32_t)n;
		for (k = 0; k < n; k++) {
			if (toks[k].stop) {
				pp->tok[k] = KB_NOTERM;
				continue;
			}
			pp->tok[k] = ix_term(ix, toks[k].stem);
			ix_post(ix, pp->tok[k], p, 1, 0);
		}
		/* The title and the heading path describe the passage: index them as
		 * its heading field. A Q&A entry's question is its heading. */
		snprintf(head, sizeof(head), "%s %s", doc->title ? doc->title : "", pp->section);
		n = kb_text_tokens(head, toks, 128);
		for (k = 0; k < n; k++)
			if (!toks[k].stop)
				ix_post(ix, ix_term(ix, toks[k].stem), p, 0, 1);
		ix_learn_abbrev(ix, pp->text);
		ix->live++;
		ix->totlen += pp->ntok;
	}
	pthread_rwlock_unlock(&ix->lock);
	free(toks);
	return ERR_OK;
}

void
kb_index_remove(struct kb_index *ix, int64_t doc_id)
{
	size_t i;

	pthread_rwlock_wrlock(&ix->lock);
	for (i = 0; i < ix->ndocs; i++)
		if (ix->docs[i].doc_id == doc_id)
			ix->docs[i].removed = 1;
	for (i = 0; i < ix->npass; i++)
		if (ix->pass[i].doc_id == doc_id && !ix->pass[i].removed) {
			struct kb_pass *pp = &ix->pass[i];
			uint32_t k, j;

			pp->removed = 1;
			ix->live--;
			ix->totlen -= pp->ntok;
			/* Keep document frequencies exact: each distinct body word once. */
			for (k = 0; k < pp->ntok; k++) {
				int seen = 0;

				if (pp->tok[k] == KB_NOTERM)
					continue;
				for (j = 0; j < k && !seen; j++)
					seen = pp->tok[j] == pp->tok[k];
				if (!seen && ix->terms[pp->tok[k]].bdf > 0)
					ix->terms[pp->tok[k]].bdf--;
			}
		}
	pthread_rwlock_unlock(&ix->lock);
}

size_t
kb_index_passages(const struct kb_index *ix)
{
	return ix->live;
}

err_t
kb_index_set_synonyms(struct kb_index *ix, const char *lines, struct errinfo *ei)
{
	const char *p = lines;

	if (lines == NULL)
		return ERR_OK;
	if (strlen(lines) > 50000)
		return err_set(ei, ERR_TOO_LARGE, "the synonyms list is longer than 50,000 characters");
	pthread_rwlock_wrlock(&ix->lock);
	free(ix->synonyms);
	ix->synonyms = xstrdup(lines);
	/* Each line is a group of equivalent words: "MTX = methotrexate, metotrexate". */
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p), k, m;
		char line[1024];
		struct kb_tok toks[32];
		uint32_t ids[32];

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), p);
		for (k = 0; line[k]; k++)
			if (line[k] == '=' || line[k] == ',' || line[k] == ';')
				line[k] = ' ';
		m = kb_text_tokens(line, toks, 32);
		for (k = 0; k < m; k++)
			ids[k] = ix_term(ix, toks[k].stem);
		for (k = 0; k < m; k++) {
			size_t j;

			for (j = 0; j < m; j++)
				ix_eq_add(ix, ids[k], ids[j]);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	pthread_rwlock_unlock(&ix->lock);
	return ERR_OK;
}

/* Damerau-Levenshtein distance, stopping once it exceeds max. */
static int
ix_edits(const char *a, const char *b, int max)
{
	int la = (int)strlen(a), lb = (int)strlen(b), i, j;
	int d[KB_TOK_MAX + 1][KB_TOK_MAX + 1];

	if (abs(la - lb) > max || la >= KB_TOK_MAX || lb >= KB_TOK_MAX)
		return max + 1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		int rowmin = max + 1;

		for (j = 1; j <= lb; j++) {
			int c = a[i - 1] == b[j - 1] ? 0 : 1, v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + c < v)
				v = d[i - 1][j - 1] + c;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > max)
			return max + 1;
	}
	return d[la][lb];
}

/* The closest known term to an unknown word, by its surface form and stem;
 * ties go to the more frequent term. */
static uint32_t
ix_typo(const struct kb_index *ix, const struct kb_tok *t)
{
	size_t len = strlen(t->low), i;
	int max = len >= 8 ? 2 : 1, best = max + 1;
	uint32_t bid = KB_NOTERM;

	if (len < 4 || (t->low[0] >= '0' && t->low[0] <= '9'))
		return KB_NOTERM;
	for (i = 0; i < ix->nterms; i++) {
		const char *s = ix->terms[i].s;
		int e;

		if (ix->terms[i].n == 0 || s[0] != t->stem[0])
			continue;
		e = ix_edits(t->stem, s, max);
		if (e < best || (e == best && bid != KB_NOTERM && ix->terms[i].n > ix->terms[bid].n)) {
			best = e;
			bid = (uint32_t)i;
		}
	}
	return best <= max ? bid : KB_NOTERM;
}

/* Add WordNet synonyms the index knows to alt (up to 4 slots). */
static void
ix_wordnet(const struct kb_index *ix, const char *low, uint32_t self, uint32_t alt[4])
{
	char syn[KB_WN_MAX][KB_TOK_MAX];
	int n = kb_wn_synonyms(low, syn), i, j, free_at = 0;

	while (free_at < 4 && alt[free_at] != KB_NOTERM)
		free_at++;
	for (i = 0; i < n && free_at < 4; i++) {
		char stem[KB_TOK_MAX];
		uint32_t t;
		int dup = 0;

		kb_text_stem(syn[i], stem);
		t = kb_index_term_id(ix, stem);
		if (t == KB_NOTERM || t == self || ix->terms[t].n == 0)
			continue;
		for (j = 0; j < free_at; j++)
			dup |= alt[j] == t;
		if (!dup)
			alt[free_at++] = t;
	}
}

struct ix_scratch {
	float *acc;
	uint32_t *touched;
	size_t cap, ntouched;
};

/* Per-thread score accumulators, freed when the thread ends. */
static __thread struct ix_scratch ix_tls;
static pthread_key_t ix_tls_key;
static pthread_once_t ix_tls_once = PTHREAD_ONCE_INIT;

static void
ix_scratch_free(void *p)
{
	struct ix_scratch *sc = p;

	free(sc->acc);
	free(sc->touched);
	sc->acc = NULL;
	sc->touched = NULL;
	sc->cap = 0;
}

static void
ix_tls_init(void)
{
	pthread_key_create(&ix_tls_key, ix_scratch_free);
}

static void
ix_scratch_reserve(size_t n)
{
	if (ix_tls.cap >= n)
		return;
	pthread_once(&ix_tls_once, ix_tls_init);
	free(ix_tls.acc);
	free(ix_tls.touched);
	ix_tls.cap = n + n / 2 + 1024;
	ix_tls.acc = xcalloc(ix_tls.cap, sizeof(float));
	ix_tls.touched = xmalloc(ix_tls.cap * sizeof(uint32_t));
	pthread_setspecific(ix_tls_key, &ix_tls);
}

static double
ix_idf(const struct kb_index *ix, uint32_t t)
{
	double n = (double)(ix->live ? ix->live : 1);
	double df = t == KB_NOTERM ? 0 : ix->terms[t].bdf ? ix->terms[t].bdf : ix->terms[t].n;

	if (df > n)
		df = n; /* heading-only postings of removed passages */

	return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

static void
ix_score_term(struct kb_index *ix, uint32_t t, double w)
{
	const struct kb_term *tm = &ix->terms[t];
	double idf = ix_idf(ix, t), avg = ix->live ? ix->totlen / (double)ix->live : 1;
	uint32_t i;

	for (i = 0; i < tm->n; i++) {
		const struct kb_post *po = &tm->v[i];
		const struct kb_pass *pp = &ix->pass[po->p];
		double f, s;

		if (pp->removed)
			continue;
		/* BM25 on the body, plus a bonus when the word is in the passage's
		 * title or heading path: headings say what a section is about, but
		 * every passage under them shares them, so they add, not replace. */
		f = po->tf;
		s = f > 0 ? idf * f * (KB_K1 + 1) / (f + KB_K1 * (1 - KB_B + KB_B * pp->ntok / avg)) : 0;
		if (po->hf > 0)
			s += KB_HEAD_W * idf * po->hf / (po->hf + 1.0);
		s *= w;
		if (ix_tls.acc[po->p] == 0)
			ix_tls.touched[ix_tls.ntouched++] = po->p;
		ix_tls.acc[po->p] += (float)s;
	}
}

int
kb_index_has(const struct kb_index *ix, uint32_t p, const struct kb_qinfo *qi, int q)
{
	uint32_t want[5];
	int nw = 0, i, k;
	const struct kb_pass *pp = &ix->pass[p];

	if (qi->term[q] == KB_NOTERM)
		return 0;
	want[nw++] = qi->term[q];
	for (i = 0; i < 4; i++)
		if (qi->alt[q][i] != KB_NOTERM)
			want[nw++] = qi->alt[q][i];
	for (k = 0; k < (int)pp->ntok; k++)
		for (i = 0; i < nw; i++)
			if (pp->tok[k] == want[i])
				return 1;
	/* The heading field counts too. */
	for (i = 0; i < nw; i++) {
		const struct kb_term *tm = &ix->terms[want[i]];
		uint32_t lo = 0, hi = tm->n;

		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (tm->v[mid].p < p)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < tm->n && tm->v[lo].p == p)
			return 1;
	}
	return 0;
}

/* Adjacent pairs of query terms found in order in the passage body. */
static int
ix_pairs(const struct kb_index *ix, uint32_t p, const struct kb_qinfo *qi, const int *order, int n)
{
	const struct kb_pass *pp = &ix->pass[p];
	int hits = 0, i;
	uint32_t k;

	for (i = 0; i + 1 < n; i++) {
		uint32_t a = qi->term[order[i]], b = qi->term[order[i + 1]];
		uint32_t last = UINT32_MAX;

		if (a == KB_NOTERM || b == KB_NOTERM)
			continue;
		for (k = 0; k < pp->ntok; k++) {
			if (pp->tok[k] == KB_NOTERM)
				continue;
			if (pp->tok[k] == b && last != UINT32_MAX && k - last <= 3) {
				hits++;
				break;
			}
			if (pp->tok[k] == a)
				last = k;
		}
	}
	return hits;
}

void
kb_index_query(struct kb_index *ix, const char *q, struct kb_qinfo *qi)
{
	struct kb_tok toks[KB_QMAX];
	int order[KB_QMAX], nq = 0, i, j;
	size_t n, k;

	memset(qi, 0, sizeof(*qi));
	memset(qi->term, 0xff, sizeof(qi->term));
	memset(qi->alt, 0xff, sizeof(qi->alt));
	qi->idf_max = log(1.0 + ((double)(ix->live ? ix->live : 1) + 0.5) / 1.5);
	n = kb_text_tokens(q, toks, KB_QMAX);
	ix_scratch_reserve(ix->npass);
	ix_tls.ntouched = 0;
	for (k = 0; k < n; k++) {
		uint32_t t;
		int dup = 0;

		if (toks[k].stop)
			continue;
		if (kb_text_shorthand(toks[k].low) != NULL) {
			snprintf(toks[k].low, KB_TOK_MAX, "%s", kb_text_shorthand(toks[k].low));
			kb_text_stem(toks[k].low, toks[k].stem);
		}
		t = kb_index_term_id(ix, toks[k].stem);
		if (t != KB_NOTERM && ix->terms[t].n == 0) {
			/* Known only from the synonyms list: use its first used synonym. */
			uint32_t u = KB_NOTERM;

			for (j = 0; j < 4 && u == KB_NOTERM; j++)
				if (ix->terms[t].eq[j] != KB_NOTERM && ix->terms[ix->terms[t].eq[j]].n > 0)
					u = ix->terms[t].eq[j];
			t = u;
		}
		if (t == KB_NOTERM)
			t = ix_typo(ix, &toks[k]);
		for (j = 0; j < nq; j++)
			dup |= qi->term[order[j]] == t && t != KB_NOTERM;
		if (dup)
			continue;
		i = qi->nterms++;
		order[nq++] = i;
		qi->term[i] = t;
		qi->weight[i] = 1.0;
		if (t == KB_NOTERM) {
			/* A word the documents never use may have a synonym they do. */
			uint32_t alt[4];

			memset(alt, 0xff, sizeof(alt));
			ix_wordnet(ix, toks[k].low, KB_NOTERM, alt);
			t = alt[0];
			qi->term[i] = t;
			if (t == KB_NOTERM) {
				qi->idf[i] = qi->idf_max;
				continue;
			}
		}
		qi->nknown++;
		qi->idf[i] = ix_idf(ix, t);
		qi->idf_total += qi->idf[i];
		for (j = 0; j < 4; j++)
			qi->alt[i][j] = ix->terms[t].eq[j];
		/* WordNet for rare words only: a lookup costs a file search, and
		 * common words already match. */
		if (ix->terms[t].bdf < 3)
			ix_wordnet(ix, toks[k].low, t, qi->alt[i]);
		if (qi->nterms >= KB_QMAX - 1)
			break;
	}
	/* Score each term; an equivalent scores at 0.8 where the term itself is absent. */
	for (i = 0; i < qi->nterms; i++) {
		if (qi->term[i] == KB_NOTERM)
			continue;
		ix_score_term(ix, qi->term[i], 1.0);
		for (j = 0; j < 4; j++)
			if (qi->alt[i][j] != KB_NOTERM)
				ix_score_term(ix, qi->alt[i][j], 0.8);
		/* An abbreviation in the question also scores its expansion's words. */
		if (ix->terms[qi->term[i]].eqseq != NULL) {
			const uint32_t *seq = ix->terms[qi->term[i]].eqseq;

			for (j = 1; j <= (int)seq[0]; j++)
				ix_score_term(ix, seq[j], 0.5);
		}
	}
	/* Top candidates, then a phrase bonus for adjacent query words. */
	{
		struct kb_hit cand[32];
		int nc = 0, c;

		for (k = 0; k < ix_tls.ntouched; k++) {
			uint32_t p = ix_tls.touched[k];
			double s = ix_tls.acc[p];

			ix_tls.acc[p] = 0;
			if (nc < 32 || s > cand[nc - 1].score) {
				int at = nc < 32 ? nc++ : 31;

				while (at > 0 && cand[at - 1].score < s) {
					cand[at] = cand[at - 1];
					at--;
				}
				cand[at].p = p;
				cand[at].score = s;
			}
		}
		for (c = 0; c < nc; c++) {
			int pairs = ix_pairs(ix, cand[c].p, qi, order, nq);

			cand[c].score *= 1.0 + 0.15 * pairs;
		}
		for (c = 1; c < nc; c++) {
			struct kb_hit h = cand[c];
			int at = c;

			while (at > 0 && cand[at - 1].score < h.score) {
				cand[at] = cand[at - 1];
				at--;
			}
			cand[at] = h;
		}
		qi->nhits = nc < KB_TOPK ? nc : KB_TOPK;
		memcpy(qi->hits, cand, (size_t)qi->nhits * sizeof(cand[0]));
	}
}

const struct kb_pass *
kb_index_pass(const struct kb_index *ix, uint32_t p)
{
	return &ix->pass[p];
}

const char *
kb_index_doc_name(const struct kb_index *ix, uint32_t doc)
{
	return ix->docs[doc].name;
}

void
kb_index_rdlock(struct kb_index *ix)
{
	pthread_rwlock_rdlock(&ix->lock);
}

void
kb_index_unlock(struct kb_index *ix)
{
	pthread_rwlock_unlock(&ix->lock);
}
