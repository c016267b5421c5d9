/* kb_text.c: tokens, Snowball stems and stop words. Letters and digits make
 * words (bytes >= 0x80 count as letters, so accented words survive); case is
 * folded for ASCII. */
#include <libstemmer.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_int.h"

static const char *const kb_stops[] = {
	"a", "about", "above", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at",
	"be", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
	"did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further",
	"had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if",
	"in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "no", "nor",
	"not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over",
	"own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
	"them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
	"until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
	"whom", "why", "will", "with", "would", "you", "your", "yours", "hi", "hello", "thanks",
	"thank", "please", "pls", "plz", "hey", "dear", "regards", "also", "may", "might", "must",
	"shall", "us", "let", "know", "tell", "need", "want", "get", "got", "anyone", "someone",
	"quick", "question", "questions", "ask", "asking", "wondering", "wonder", "im", "ive", "id",
	"whats", "hows", "dont", "cant", "wont", "isnt", "arent", "doesnt", "didnt", "it's", "there's",
	NULL,
};

int
kb_text_is_stop(const char *low)
{
	/* The list is short; a linear scan is cheaper than building a set per call site. */
	size_t i;

	for (i = 0; kb_stops[i]; i++)
		if (low[0] == kb_stops[i][0] && strcmp(low, kb_stops[i]) == 0)
			return 1;
	return 0;
}

static pthread_key_t kb_stem_key;
static pthread_once_t kb_stem_once = PTHREAD_ONCE_INIT;

static void
kb_stem_free(void *p)
{
	sb_stemmer_delete(p);
}

static void
kb_stem_init(void)
{
	pthread_key_create(&kb_stem_key, kb_stem_free);
}

void
kb_text_stem(const char *word, char out[KB_TOK_MAX])
{
	struct sb_stemmer *st;
	const sb_symbol *r;
	size_t n = strlen(word);

	pthread_once(&kb_stem_once, kb_stem_init);
	st = pthread_getspecific(kb_stem_key);
	if (st == NULL) {
		st = sb_stemmer_new("english", NULL);
		pthread_setspecific(kb_stem_key, st);
	}
	/* Digits, short words and abbreviations are left alone. */
	if (st == NULL || n <= 3 || (word[0] >= '0' && word[0] <= '9')) {
		snprintf(out, KB_TOK_MAX, "%s", word);
		return;
	}
	r = sb_stemmer_stem(st, (const sb_symbol *)word, (int)n);
	snprintf(out, KB_TOK_MAX, "%.*s", r ? sb_stemmer_length(st) : (int)n, r ? (const char *)r : word);
}

static int
kb_is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Chat shorthand that every English speaker writes, expanded in questions. */
const char *
kb_text_shorthand(const char *low)
{
	static const char *const map[][2] = {
		{"pt", "patient"}, {"pts", "patients"}, {"wk", "week"}, {"wks", "weeks"}, {"temp", "temperature"},
		{"info", "information"}, {"max", "maximum"}, {"min", "minimum"}, {"approx", "approximately"},
		{"req", "required"}, {"yr", "year"}, {"yrs", "years"}, {"hr", "hour"}, {"hrs", "hours"},
		{"mins", "minutes"}, {"doc", "document"}, {"docs", "documents"}, {"meds", "medications"},
		{"med", "medication"}, {"appt", "appointment"}, {"tmrw", "tomorrow"}, {"asap", "soon"},
		{"fridge", "refrigerator"}, {"thru", "through"}, {"w", "with"}, {"b4", "before"},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(low, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

size_t
kb_text_tokens(const char *text, struct kb_tok *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = 0;
	int pos = 0;

	while (*p && n < max) {
		size_t k = 0;
		char w[KB_TOK_MAX];

		while (*p && !kb_is_word(*p))
			p++;
		if (!*p)
			break;
		while (kb_is_word(*p) || (*p == '\'' && k > 0 && kb_is_word(p[1]))) {
			unsigned char c = *p;

			/* "wk4", "10mg", "ACR20": letters and digits are separate words. */
			if (k > 0 && c != '\'' && c < 0x80 && w[k - 1] < 0x7f &&
			    ((c >= '0' && c <= '9') != (w[k - 1] >= '0' && w[k - 1] <= '9')))
				break;
			p++;
			if (c == '\'')
				continue; /* don't -> dont */
			if (k < KB_TOK_MAX - 1)
				w[k++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		}
		w[k] = '\0';
		if (k == 0)
			continue;
		snprintf(out[n].low, KB_TOK_MAX, "%s", w);
		out[n].stop = kb_text_is_stop(w);
		kb_text_stem(w, out[n].stem);
		out[n].pos = pos++;
		n++;
	}
	return n;
}
