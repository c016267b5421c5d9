/* kb_terms.c: the knowledge base's text normalisation offered to other
 * modules, so that suggested tags and duplicate detection see words exactly
 * as retrieval does. */
#include <stdio.h>
#include <stdlib.h>

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
