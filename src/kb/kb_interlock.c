/* kb_interlock.c: the safety interlock, checked before any answer. A key
 * phrase matches when its stems appear contiguously among the message's
 * stems (so case and inflection do not matter: "SAEs", "Hospitalized",
 * "escalating"). A request for a person is a verb of speaking followed by a
 * word for a person, or one of a few fixed phrases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "kb_int.h"

const char kb_default_key_phrases[] =
    "serious adverse event\nSAE\nSUSAR\nurgent\nescalate\nhospitalised\nhospitalized\ndeath\nunblinding";

#define IL_MAX 256

static int
il_in(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(w, *set) == 0)
			return 1;
	return 0;
}

static const char *
il_human(const struct kb_tok *m, size_t n)
{
	static const char *const verbs[] = {"talk", "speak", "chat", "connect", "transfer", "put", "contact", "reach", "call", NULL};
	static const char *const people[] = {"someone", "somebody", "anyone", "person", "human", "people", "coordinator",
		"representative", "staff", "agent", "team", "monitor", "manager", "colleague", "nurse", "investigator", "cra", NULL};
	static const char *const fixed[][3] = {
		{"human", "please", NULL}, {"real", "person", NULL}, {"a", "human", NULL}, {"live", "agent", NULL},
		{"call", "me", NULL}, {"person", "please", NULL}, {"not", "a", "bot"}, {"speak", "to", "you"},
	};
	size_t i, k, f;

	for (i = 0; i < n; i++) {
		if (!il_in(m[i].low, verbs))
			continue;
		for (k = i + 1; k < n && k <= i + 4; k++)
			if (il_in(m[k].low, people))
				return "request for a person";
	}
	for (f = 0; f < sizeof(fixed) / sizeof(fixed[0]); f++) {
		size_t len = fixed[f][2] ? 3 : 2;

		for (i = 0; i + len <= n; i++) {
			for (k = 0; k < len; k++)
				if (strcmp(m[i + k].low, fixed[f][k]) != 0)
					break;
			if (k == len)
				return "request for a person";
		}
	}
	return NULL;
}

int
kb_interlock(const char *text, const char *key_phrases, const char **reason, char **phrase)
{
	struct kb_tok *m = xmalloc(IL_MAX * sizeof(*m)), ph[16];
	const char *p = key_phrases ? key_phrases : kb_default_key_phrases, *h;
	size_t nm = kb_text_tokens(text, m, IL_MAX);
	int hit = 0;

	/* Key phrases are about safety: they win over a request for a person. */
	while (*p && !hit) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p), np, i, k;
		char line[256];

		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255), p);
		np = kb_text_tokens(line, ph, 16);
		/* Stop words inside a phrase still count ("death of a patient"). */
		for (i = 0; i + np <= nm && np > 0 && !hit; i++) {
			/* Same stem, and not a much shorter word ("hospital" is not
			 * "hospitalized", though Snowball stems both to "hospit"). */
			for (k = 0; k < np; k++)
				if (strcmp(m[i + k].stem, ph[k].stem) != 0 ||
				    strlen(m[i + k].low) + 3 < strlen(ph[k].low))
					break;
			if (k == np)
				hit = 1;
		}
		if (hit) {
			*reason = "key_phrase";
			*phrase = xstrdup(line);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if (!hit) {
		h = il_human(m, nm);
		if (h != NULL) {
			hit = 1;
			*reason = "human_requested";
			*phrase = xstrdup(h);
		}
	}
	free(m);
	return hit;
}

int
kb_not_helpful(const char *text)
{
	static const char *const pats[][4] = {
		{"didnt", "help", NULL}, {"did", "not", "help", NULL}, {"doesnt", "help", NULL}, {"does", "not", "help", NULL},
		{"not", "helpful", NULL}, {"unhelpful", NULL}, {"not", "what", "i", "asked"}, {"thats", "wrong", NULL},
		{"that", "is", "wrong", NULL}, {"this", "is", "wrong", NULL}, {"wrong", "answer", NULL}, {"doesnt", "answer", NULL},
		{"didnt", "answer", NULL}, {"not", "answer", "my", NULL}, {"useless", NULL}, {"not", "useful", NULL},
		{"makes", "no", "sense", NULL}, {"not", "my", "question", NULL}, {"incorrect", NULL},
	};
	struct kb_tok m[64];
	size_t n = kb_text_tokens(text, m, 64), i, k, f;

	for (f = 0; f < sizeof(pats) / sizeof(pats[0]); f++) {
		size_t len = 0;

		while (len < 4 && pats[f][len])
			len++;
		for (i = 0; i + len <= n; i++) {
			for (k = 0; k < len; k++)
				if (strcmp(m[i + k].low, pats[f][k]) != 0)
					break;
			if (k == len)
				return 1;
		}
	}
	return 0;
}
