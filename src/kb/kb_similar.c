/* kb_similar.c: the knowledge base's text normalisation offered to other
 * modules (tokens, Snowball stems, stop words, chat shorthand), so that
 * suggested tags, duplicate detection and the review's grouping see words
 * exactly as retrieval does; and term vectors of short texts with their
 * cosine, so "visit windows" and "window for a visit" meet. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "kb_int.h"

size_t
kb_terms(const char *text, char (*out)[KB_TERM_MAX], size_t max)
{
	struct kb_tok *tok;
	size_t n, i, k = 0;

	if (text == NULL || max == 0)
		return 0;
	tok = xcalloc(max, sizeof(*tok));
	n = kb_text_tokens(text, tok, max);
	for (i = 0; i < n && k < max; i++) {
		const char *longer = kb_text_shorthand(tok[i].low);

		if (longer != NULL)
			kb_text_stem(longer, out[k++]);
		else if (!tok[i].stop)
			snprintf(out[k++], KB_TERM_MAX, "%s", tok[i].stem);
	}
	free(tok);
	return k;
}

void
kb_tv_make(const char *text, struct kb_tv *tv)
{
	char terms[256][KB_TERM_MAX];
	size_t n = kb_terms(text ? text : "", terms, 256), i;
	int k;

	memset(tv, 0, sizeof(*tv));
	for (i = 0; i < n; i++) {
		for (k = 0; k < tv->n; k++)
			if (strcmp(tv->term[k], terms[i]) == 0)
				break;
		if (k == tv->n) {
			if (tv->n == KB_TV_MAX)
				continue;
			snprintf(tv->term[k], KB_TV_TERM, "%s", terms[i]);
			tv->n++;
		}
		tv->w[k] += 1.0;
	}
}

double
kb_tv_cosine(const struct kb_tv *a, const struct kb_tv *b)
{
	double dot = 0, na = 0, nb = 0;
	int i, k;

	for (i = 0; i < a->n; i++) {
		na += a->w[i] * a->w[i];
		for (k = 0; k < b->n; k++)
			if (strcmp(a->term[i], b->term[k]) == 0) {
				dot += a->w[i] * b->w[k];
				break;
			}
	}
	for (k = 0; k < b->n; k++)
		nb += b->w[k] * b->w[k];
	if (na <= 0 || nb <= 0)
		return 0;
	return dot / (sqrt(na) * sqrt(nb));
}
