/* kb_build.c: the block model every extractor feeds. Headings keep a path;
 * paragraphs become passages of about 100 words cut at sentence ends; list
 * items and table rows stay whole. Text is cleaned (whitespace folded,
 * invalid UTF-8 replaced) so that what is cited is what was read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/util.h"
#include "kb_int.h"

#define PARA_WORDS 100
#define ITEM_WORDS 300

void
kb_limits_default(struct kb_limits *l)
{
	l->max_bytes = 25 * 1024 * 1024;
	l->cpu_seconds = 20;
	l->mem_bytes = (size_t)1536 * 1024 * 1024;
	l->wall_seconds = 30;
	l->max_passages = 50000;
}

void
kb_doc_free(struct kb_doc *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->passages[i].section);
		free(d->passages[i].text);
	}
	free(d->passages);
	free(d->name);
	free(d->title);
	free(d->format);
	memset(d, 0, sizeof(*d));
}

void
kb_builder_init(struct kb_builder *b, struct kb_doc *doc, size_t max_passages)
{
	memset(b, 0, sizeof(*b));
	b->doc = doc;
	b->max_passages = max_passages ? max_passages : 50000;
}

/* Fold whitespace, drop control bytes, replace invalid UTF-8 with U+FFFD. */
static char *
kb_clean(const char *s, size_t n)
{
	char *o = xmalloc(n * 3 + 1);
	size_t i = 0, k = 0;
	int sp = 1;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c < 0x20 || c == 0x7f) {
				if (!sp)
					o[k++] = ' ';
				sp = 1;
			} else {
				o[k++] = (char)c;
				sp = 0;
			}
			i++;
			continue;
		}
		{
			size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;

			if (len && i + len <= n && util_utf8_valid(s + i, len)) {
				/* U+00A0 no-break space is a space. */
				if (len == 2 && c == 0xC2 && (unsigned char)s[i + 1] == 0xA0) {
					if (!sp)
						o[k++] = ' ';
					sp = 1;
				} else {
					memcpy(o + k, s + i, len);
					k += len;
					sp = 0;
				}
				i += len;
			} else {
				memcpy(o + k, "\xEF\xBF\xBD", 3);
				k += 3;
				sp = 0;
				i++;
			}
		}
	}
	while (k > 0 && o[k - 1] == ' ')
		k--;
	o[k] = '\0';
	return o;
}

void
kb_builder_heading(struct kb_builder *b, int level, const char *text)
{
	int i;
	char *t;

	if (level < 1)
		level = 1;
	if (level > 6)
		level = 6;
	t = kb_clean(text, strlen(text));
	if (*t == '\0') {
		free(t);
		return;
	}
	if (b->doc->title == NULL && level == 1)
		b->doc->title = xstrdup(t);
	for (i = level - 1; i < 6; i++) {
		free(b->heads[i]);
		b->heads[i] = NULL;
	}
	b->heads[level - 1] = t;
}

static char *
kb_section(struct kb_builder *b)
{
	char out[1024];
	size_t k = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < 6; i++)
		if (b->heads[i] != NULL && k < sizeof(out) - 8)
			k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s", k ? " > " : "", b->heads[i]);
	return xstrdup(out);
}

static void
kb_push(struct kb_builder *b, int kind, const char *text, size_t n)
{
	struct kb_passage *p;

	if (n == 0)
		return;
	if (b->doc->n >= b->max_passages) {
		b->overflow = 1;
		return;
	}
	if (b->doc->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->doc->passages = xrealloc(b->doc->passages, b->cap * sizeof(*b->doc->passages));
	}
	p = &b->doc->passages[b->doc->n++];
	p->section = kb_section(b);
	p->page = b->page;
	p->kind = kind;
	p->text = xstrndup(text, n);
}

static size_t
kb_words(const char *s, size_t n)
{
	size_t w = 0, i;
	int in = 0;

	for (i = 0; i < n; i++) {
		int isw = s[i] != ' ';

		w += isw && !in;
		in = isw;
	}
	return w;
}

void
kb_builder_block(struct kb_builder *b, int kind, const char *text, size_t n)
{
	char *t = kb_clean(text, n);
	size_t len = strlen(t);

	if (len == 0)
		goto out;
	if (kind != KB_PARA || kb_words(t, len) <= PARA_WORDS * 6 / 5) {
		if (kind != KB_PARA && kb_words(t, len) > ITEM_WORDS) {
			/* A runaway item: keep its first ITEM_WORDS words. */
			size_t i, w = 0;
			int in = 0;

			for (i = 0; i < len; i++) {
				int isw = t[i] != ' ';

				if (isw && !in && ++w > ITEM_WORDS)
					break;
				in = isw;
			}
			len = i;
		}
		kb_push(b, kind, t, len);
		goto out;
	}
	{
		/* Cut at sentence ends into chunks of about PARA_WORDS words. */
		size_t start = 0, i, words = 0, last_end = 0;
		int in = 0;

		for (i = 0; i < len; i++) {
			int isw = t[i] != ' ';

			words += isw && !in;
			in = isw;
			if ((t[i] == '.' || t[i] == '?' || t[i] == '!') && (i + 1 == len || t[i + 1] == ' '))
				last_end = i + 1;
			if (words >= PARA_WORDS && last_end > start) {
				kb_push(b, KB_PARA, t + start, last_end - start);
				start = last_end;
				while (start < len && t[start] == ' ')
					start++;
				i = start;
				words = 0;
				in = 0;
				last_end = start;
				if (i >= len)
					break;
				i--;
			} else if (words >= PARA_WORDS * 2) {
				/* No sentence end in sight: cut at a space. */
				while (i < len && t[i] != ' ')
					i++;
				kb_push(b, KB_PARA, t + start, i - start);
				start = i + 1;
				words = 0;
				in = 0;
				last_end = start;
			}
		}
		if (start < len)
			kb_push(b, KB_PARA, t + start, len - start);
	}
out:
	free(t);
}

void
kb_builder_done(struct kb_builder *b)
{
	int i;

	for (i = 0; i < 6; i++) {
		free(b->heads[i]);
		b->heads[i] = NULL;
	}
}
