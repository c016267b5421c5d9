/* kb_similar.c: term vectors of short texts and their cosine, built on the
 * retrieval's own normalisation (tokens, Snowball stems, stop words, chat
 * shorthand), so "visit windows" and "window for a visit" meet. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kb_int.h"

void
kb_tv_make(const char *text, struct kb_tv *tv)
{
	struct kb_tok tok[256];
	size_t n = kb_text_tokens(text ? text : "", tok, 256), i;
	int k;

	memset(tv, 0, sizeof(*tv));
	for (i = 0; i < n; i++) {
		const char *lng = kb_text_shorthand(tok[i].low);
		char stem[KB_TOK_MAX];

		if (lng != NULL)
			kb_text_stem(lng, stem);
		else if (tok[i].stop)
			continue;
		else
			snprintf(stem, sizeof(stem), "%s", tok[i].stem);
		for (k = 0; k < tv->n; k++)
			if (strcmp(tv->term[k], stem) == 0)
				break;
		if (k == tv->n) {
			if (tv->n == KB_TV_MAX)
				continue;
			snprintf(tv->term[k], KB_TV_TERM, "%s", stem);
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
