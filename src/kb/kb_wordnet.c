/* kb_wordnet.c: synonyms from Princeton WordNet (Debian's wordnet-base), so
 * "fridge" finds "refrigerator" and "flu" finds "influenza". Only the most
 * common senses are used, and the caller keeps only words the knowledge base
 * contains. The WordNet library keeps static state, so calls are serialised;
 * answers are cached by word. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wn.h>

#include "core/alloc.h"
#include "core/util.h"
#include "kb_int.h"

#define WN_CACHE 4096
#define WN_SENSES 2

static pthread_mutex_t wn_mu = PTHREAD_MUTEX_INITIALIZER;
static int wn_state; /* 0 untried, 1 ready, -1 unavailable */
static struct {
	char word[KB_TOK_MAX];
	char syn[KB_WN_MAX][KB_TOK_MAX];
	int n;
} wn_cache[WN_CACHE];

static unsigned
wn_slot(const char *w)
{
	return util_fnv1a(w) % WN_CACHE;
}

static void
wn_add(const char *word, const char *cand, char out[][KB_TOK_MAX], int *n)
{
	int i;

	if (strchr(cand, '_') != NULL || strchr(cand, '-') != NULL || strcmp(cand, word) == 0 || strlen(cand) >= KB_TOK_MAX)
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(out[i], cand) == 0)
			return;
	if (*n < KB_WN_MAX)
		snprintf(out[(*n)++], KB_TOK_MAX, "%s", cand);
}

static void
wn_lookup(const char *word, char out[][KB_TOK_MAX], int *n)
{
	static const int pos[] = {NOUN, VERB, ADJ};
	char buf[KB_TOK_MAX];
	size_t p;

	for (p = 0; p < sizeof(pos) / sizeof(pos[0]); p++) {
		const char *base = morphstr((char *)(uintptr_t)word, pos[p]);
		SynsetPtr ss, s;
		int sense = 0;

		snprintf(buf, sizeof(buf), "%s", base ? base : word);
		ss = findtheinfo_ds(buf, pos[p], SYNS, ALLSENSES);
		for (s = ss; s != NULL && sense < WN_SENSES; s = s->nextss, sense++) {
			int k;

			for (k = 0; k < s->wcount; k++) {
				char low[KB_TOK_MAX];
				size_t j;

				snprintf(low, sizeof(low), "%s", s->words[k]);
				for (j = 0; low[j]; j++)
					if (low[j] >= 'A' && low[j] <= 'Z')
						low[j] = (char)(low[j] + 32);
				wn_add(word, low, out, n);
			}
		}
		if (ss != NULL)
			free_syns(ss);
	}
}

int
kb_wn_synonyms(const char *word, char out[][KB_TOK_MAX])
{
	unsigned i = wn_slot(word);
	int n = 0, k;

	if (strlen(word) < 3 || strlen(word) >= KB_TOK_MAX)
		return 0;
	pthread_mutex_lock(&wn_mu);
	if (wn_state == 0) {
		setenv("WNSEARCHDIR", "/usr/share/wordnet", 0);
		wn_state = wninit() == 0 ? 1 : -1;
	}
	if (wn_state < 0) {
		pthread_mutex_unlock(&wn_mu);
		return 0;
	}
	if (strcmp(wn_cache[i].word, word) != 0) {
		snprintf(wn_cache[i].word, KB_TOK_MAX, "%s", word);
		wn_cache[i].n = 0;
		wn_lookup(word, wn_cache[i].syn, &wn_cache[i].n);
	}
	n = wn_cache[i].n;
	for (k = 0; k < n; k++)
		memcpy(out[k], wn_cache[i].syn[k], KB_TOK_MAX);
	pthread_mutex_unlock(&wn_mu);
	return n;
}
