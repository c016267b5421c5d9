/* kb_pdf.c: PDF through poppler-glib. Each page's text is read with its
 * font sizes; a short line set larger than the page's body text (or
 * numbered like "3.2 Visit windows" and set in bold size) is a heading,
 * lines starting with a bullet are list items, and the rest is joined into
 * paragraphs. Every passage keeps its page number. Encrypted files are
 * refused with a clear message. */
#include <glib.h>
#include <poppler.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "kb_int.h"

#define PDF_PAGES_MAX 5000

struct pdf_line {
	size_t a, b;   /* byte span in the page text */
	double size;   /* largest font size on the line */
};

/* Font size per byte offset, from poppler's per-character attributes. */
static double *
pdf_sizes(PopplerPage *pg, const char *text, size_t len)
{
	GList *attrs = poppler_page_get_text_attributes(pg), *l;
	double *sz = xcalloc(len + 1, sizeof(double));
	size_t *char_at = xmalloc((len + 1) * sizeof(size_t));
	size_t i, nch = 0;

	/* Map character index -> byte offset. */
	for (i = 0; i < len; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			char_at[nch++] = i;
	char_at[nch] = len;
	for (l = attrs; l != NULL; l = l->next) {
		PopplerTextAttributes *a = l->data;
		size_t s, e, k;

		if (a->start_index < 0 || (size_t)a->start_index >= nch)
			continue;
		s = char_at[a->start_index];
		e = (size_t)a->end_index + 1 < nch ? char_at[a->end_index + 1] : len;
		for (k = s; k < e && k < len; k++)
			sz[k] = a->font_size;
	}
	poppler_page_free_text_attributes(attrs);
	free(char_at);
	return sz;
}

static int
pdf_words(const char *s, size_t n)
{
	int w = 0, in = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int isw = s[i] != ' ' && s[i] != '\t';

		w += isw && !in;
		in = isw;
	}
	return w;
}

static int
pdf_bullet(const char *s, size_t n, size_t *skip)
{
	size_t i = 0;

	while (i < n && s[i] == ' ')
		i++;
	if (i + 3 <= n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0xA2) {
		*skip = i + 3;
		return 1;
	}
	if (i + 2 <= n && (s[i] == '-' || s[i] == '*' || (unsigned char)s[i] == 0xB7) && s[i + 1] == ' ') {
		*skip = i + 2;
		return 1;
	}
	if (i + 3 <= n && s[i] >= '0' && s[i] <= '9') {
		size_t j = i;

		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j + 1 < n && (s[j] == '.' || s[j] == ')') && s[j + 1] == ' ' && j - i <= 2 && !(s[j + 2] >= 'A' && s[j + 2] <= 'Z' && pdf_words(s, n) <= 6)) {
			*skip = j + 2;
			return 1;
		}
	}
	return 0;
}

static int
pdf_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
pdf_page(struct kb_builder *bd, PopplerPage *pg)
{
	char *text = poppler_page_get_text(pg);
	size_t len = text ? strlen(text) : 0, i, nl = 0, cap = 64;
	struct pdf_line *lines;
	double *sz, body = 0;
	struct buf para;
	int kind = KB_PARA;

	if (len == 0) {
		g_free(text);
		return;
	}
	sz = pdf_sizes(pg, text, len);
	lines = xmalloc(cap * sizeof(*lines));
	for (i = 0; i <= len;) {
		size_t e = i, k;

		while (e < len && text[e] != '\n')
			e++;
		if (nl == cap) {
			cap *= 2;
			lines = xrealloc(lines, cap * sizeof(*lines));
		}
		lines[nl].a = i;
		lines[nl].b = e;
		lines[nl].size = 0;
		for (k = i; k < e; k++)
			if (sz[k] > lines[nl].size)
				lines[nl].size = sz[k];
		nl++;
		i = e + 1;
	}
	{
		/* The body size is the median line size. */
		double *s = xmalloc(nl * sizeof(double));
		size_t m = 0;

		for (i = 0; i < nl; i++)
			if (lines[i].b > lines[i].a)
				s[m++] = lines[i].size;
		if (m > 0) {
			qsort(s, m, sizeof(double), pdf_cmp);
			body = s[m / 2];
		}
		free(s);
	}
	buf_init(&para, 4 * 1024 * 1024);
	for (i = 0; i < nl; i++) {
		const char *l = text + lines[i].a;
		size_t n = lines[i].b - lines[i].a, skip = 0;
		int words = pdf_words(l, n);

		if (words == 0) {
			kb_builder_block(bd, kind, para.p ? para.p : "", para.len);
			buf_reset(&para);
			kind = KB_PARA;
			continue;
		}
		if (body > 0 && lines[i].size >= body * 1.15 && words <= 14 && l[n - 1] != '.') {
			struct buf h;
			int level = lines[i].size >= body * 1.6 ? 1 : lines[i].size >= body * 1.3 ? 2 : 3;

			kb_builder_block(bd, kind, para.p ? para.p : "", para.len);
			buf_reset(&para);
			kind = KB_PARA;
			buf_init(&h, 1024);
			buf_append(&h, l, n < 500 ? n : 500);
			kb_builder_heading(bd, level, h.p);
			buf_free(&h);
			continue;
		}
		if (pdf_bullet(l, n, &skip)) {
			kb_builder_block(bd, kind, para.p ? para.p : "", para.len);
			buf_reset(&para);
			kind = KB_LIST_ITEM;
			buf_append(&para, l + skip, n - skip);
			continue;
		}
		if (para.len) {
			/* A hyphen at a line end joins the word. */
			if (para.p[para.len - 1] == '-' && para.len > 1 && para.p[para.len - 2] != ' ')
				para.len--;
			else
				buf_puts(&para, " ");
		}
		if (buf_append(&para, l, n)) {
			kb_builder_block(bd, kind, para.p, para.len);
			buf_reset(&para);
		}
		/* A short line that ends a sentence ends the paragraph. */
		if (l[n - 1] == '.' && i + 1 < nl && (double)(lines[i].b - lines[i].a) < 0.6 * 90) {
			kb_builder_block(bd, kind, para.p, para.len);
			buf_reset(&para);
			kind = KB_PARA;
		}
	}
	kb_builder_block(bd, kind, para.p ? para.p : "", para.len);
	buf_free(&para);
	free(lines);
	free(sz);
	g_free(text);
}

err_t
kb_pdf_parse(const char *data, size_t n, struct kb_builder *bd, struct errinfo *ei)
{
	GBytes *bytes = g_bytes_new_static(data, n);
	GError *gerr = NULL;
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	int pages, i;
	char *title;
	err_t err = ERR_OK;

	if (doc == NULL) {
		if (gerr != NULL && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED)
			err = err_set(ei, ERR_UNSUPPORTED, "the PDF is encrypted; upload an unprotected copy");
		else
			err = err_set(ei, ERR_INVALID, "the PDF is corrupt or unreadable%s%s", gerr ? ": " : "",
			    gerr ? gerr->message : "");
		goto out;
	}
	pages = poppler_document_get_n_pages(doc);
	if (pages > PDF_PAGES_MAX) {
		err = err_set(ei, ERR_TOO_LARGE, "the PDF has %d pages; the limit is %d", pages, PDF_PAGES_MAX);
		goto out;
	}
	title = poppler_document_get_title(doc);
	if (title != NULL && *title)
		bd->doc->title = xstrdup(title);
	g_free(title);
	for (i = 0; i < pages; i++) {
		PopplerPage *pg = poppler_document_get_page(doc, i);

		if (pg == NULL)
			continue;
		bd->page = i + 1;
		pdf_page(bd, pg);
		g_object_unref(pg);
	}
out:
	if (gerr != NULL)
		g_error_free(gerr);
	if (doc != NULL)
		g_object_unref(doc);
	g_bytes_unref(bytes);
	return err;
}
