/* kb_md.c: Markdown through cmark. Headings make the section path,
 * paragraphs and code blocks are paragraphs, each list item is one passage,
 * and pipe tables (which CommonMark reads as paragraphs) become one row each
 * as "Header: value; Header: value". */
#include <cmark.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "kb_int.h"

/* Text of a node and its descendants; line breaks kept as '\n'. */
static void
md_text(cmark_node *n, struct buf *b, int skip_lists)
{
	cmark_node *c;

	for (c = cmark_node_first_child(n); c != NULL; c = cmark_node_next(c)) {
		cmark_node_type t = cmark_node_get_type(c);

		if (skip_lists && t == CMARK_NODE_LIST)
			continue;
		if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE || t == CMARK_NODE_CODE_BLOCK) {
			const char *lit = cmark_node_get_literal(c);

			if (lit != NULL)
				buf_puts(b, lit);
		} else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK) {
			buf_puts(b, "\n");
		} else if (t == CMARK_NODE_PARAGRAPH) {
			if (b->len > 0)
				buf_puts(b, " ");
			md_text(c, b, skip_lists);
		} else {
			md_text(c, b, skip_lists);
		}
	}
}

/* Split "| a | b |" into trimmed cells; returns the count. */
static int
md_cells(const char *line, size_t n, char cells[][256], int max)
{
	int k = 0;
	size_t i = 0;

	while (i < n && line[i] == ' ')
		i++;
	if (i < n && line[i] == '|')
		i++;
	while (i < n && k < max) {
		size_t s = i, e;

		while (i < n && line[i] != '|')
			i++;
		e = i;
		while (s < e && line[s] == ' ')
			s++;
		while (e > s && line[e - 1] == ' ')
			e--;
		if (i < n || e > s) {
			size_t len = e - s < 255 ? e - s : 255;

			memcpy(cells[k], line + s, len);
			cells[k][len] = '\0';
			k++;
		}
		if (i < n)
			i++;
	}
	while (k > 0 && cells[k - 1][0] == '\0')
		k--;
	return k;
}

static int
md_is_rule(const char *l, size_t n)
{
	size_t i;
	int dash = 0;

	for (i = 0; i < n; i++) {
		if (l[i] == '-')
			dash = 1;
		else if (l[i] != '|' && l[i] != ':' && l[i] != ' ')
			return 0;
	}
	return dash;
}

/* A paragraph whose second line is |---|---| is a table. */
static int
md_table(struct kb_builder *bd, const char *t)
{
	const char *l1 = t, *l2 = strchr(t, '\n'), *p;
	char head[16][256], cells[16][256];
	int nh, nc, i;

	if (l2 == NULL || strchr(t, '|') == NULL)
		return 0;
	l2++;
	p = strchr(l2, '\n');
	if (!md_is_rule(l2, p ? (size_t)(p - l2) : strlen(l2)))
		return 0;
	nh = md_cells(l1, (size_t)(l2 - 1 - l1), head, 16);
	for (p = p ? p + 1 : NULL; p != NULL && *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct buf row;

		nc = md_cells(p, n, cells, 16);
		buf_init(&row, 8192);
		for (i = 0; i < nc; i++) {
			if (cells[i][0] == '\0')
				continue;
			if (row.len)
				buf_puts(&row, "; ");
			if (i < nh && head[i][0])
				buf_printf(&row, "%s: %s", head[i], cells[i]);
			else
				buf_puts(&row, cells[i]);
		}
		if (row.len)
			kb_builder_block(bd, KB_TABLE_ROW, row.p, row.len);
		buf_free(&row);
		p = e ? e + 1 : NULL;
	}
	return 1;
}

static size_t
md_prefix(const char *t, size_t n, const char *const *pre)
{
	for (; *pre; pre++) {
		size_t k = strlen(*pre);

		if (n > k && strncasecmp(t, *pre, k) == 0)
			return k;
	}
	return 0;
}

static int
md_words(const char *t, size_t n)
{
	int w = 0, in = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int isw = t[i] != ' ' && t[i] != '\n';

		w += isw && !in;
		in = isw;
	}
	return w;
}

/* An FAQ pair written in one block ("Q: ...? A: ...", "Question: ...\nAnswer:
 * ...") or a question alone ("Q: ...?", a short paragraph ending in '?').
 * Sets the question span and the answer's start; returns 0 when t is
 * neither. */
static int
md_qa(const char *t, size_t n, size_t *q0, size_t *q1, size_t *a0)
{
	static const char *const qpre[] = {"q:", "q.", "q)", "q -", "question:", "question -", NULL};
	static const char *const apre[] = {"a:", "a.", "a)", "a -", "answer:", "answer -", NULL};
	size_t i = 0, pre, e;

	while (i < n && (t[i] == ' ' || t[i] == '\n'))
		i++;
	pre = md_prefix(t + i, n - i, qpre);
	i += pre;
	while (i < n && t[i] == ' ')
		i++;
	*q0 = i;
	for (e = i; e < n && t[e] != '?' && !(pre && t[e] == '\n'); e++)
		;
	if (e < n && t[e] == '?')
		e++;
	else if (!pre)
		return 0;
	if (md_words(t + i, e - i) > 50 || e == i)
		return 0;
	*q1 = e;
	while (e < n && (t[e] == ' ' || t[e] == '\n'))
		e++;
	e += md_prefix(t + e, n - e, apre);
	while (e < n && t[e] == ' ')
		e++;
	*a0 = e;
	/* Without a Q: prefix, a question alone must be the whole paragraph, and
	 * a question followed by text must be answered with an A: prefix. */
	if (!pre && e < n && md_prefix(t + *q1 + strspn(t + *q1, " \n"), n - *q1 - strspn(t + *q1, " \n"), apre) == 0)
		return 0;
	return 1;
}

static void
md_para(struct kb_builder *bd, cmark_node *cur, const char *t, size_t n)
{
	static const char *const apre[] = {"a:", "a.", "a)", "answer:", NULL};
	cmark_node *next = cmark_node_next(cur), *first = cmark_node_first_child(cur);
	size_t q0, q1, a0, k;

	/* "**Can a visit be split?** Yes, ...": a bold question, then its answer. */
	if (first != NULL && cmark_node_get_type(first) == CMARK_NODE_STRONG) {
		struct buf q;

		buf_init(&q, 4096);
		md_text(first, &q, 0);
		if (q.len > 1 && q.len < n && q.p[q.len - 1] == '?' && strncmp(t, q.p, q.len) == 0) {
			kb_builder_context(bd, q.p, 1);
			for (k = q.len; k < n && (t[k] == ' ' || t[k] == '\n'); k++)
				;
			k += md_prefix(t + k, n - k, apre);
			if (k < n)
				kb_builder_block(bd, KB_QA, t + k, n - k);
			buf_free(&q);
			return;
		}
		buf_free(&q);
	}
	/* "A: ..." after a question paragraph. */
	if (bd->ctx_qa && (k = md_prefix(t, n, apre)) > 0) {
		kb_builder_block(bd, KB_QA, t + k, n - k);
		return;
	}
	if (md_qa(t, n, &q0, &q1, &a0)) {
		char *q = strndup(t + q0, q1 - q0);

		kb_builder_context(bd, q, 1);
		free(q);
		if (a0 < n)
			kb_builder_block(bd, KB_QA, t + a0, n - a0);
		return;
	}
	kb_builder_block(bd, KB_PARA, t, n);
	/* "The following are excluded:" before a list: each item keeps it as context. */
	if (next != NULL && cmark_node_get_type(next) == CMARK_NODE_LIST && n > 0 && t[n - 1] == ':' && md_words(t, n) <= 30) {
		char *lead = strndup(t, n);

		kb_builder_context(bd, lead, 0);
		free(lead);
	}
}

err_t
kb_md_parse(const char *data, size_t n, struct kb_builder *bd, struct errinfo *ei)
{
	cmark_node *doc = cmark_parse_document(data, n, CMARK_OPT_DEFAULT), *cur, *lead_of = NULL;
	cmark_iter *it;
	cmark_event_type ev;

	if (doc == NULL)
		return err_set(ei, ERR_INVALID, "the Markdown could not be parsed");
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node_type t;
		struct buf b;

		cur = cmark_iter_get_node(it);
		t = cmark_node_get_type(cur);
		if (ev == CMARK_EVENT_EXIT && cur == lead_of) {
			kb_builder_context(bd, NULL, 0); /* a lead-in ends with its list */
			lead_of = NULL;
		}
		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (t == CMARK_NODE_LIST && bd->ctx != NULL && !bd->ctx_qa && lead_of == NULL)
			lead_of = cur;
		buf_init(&b, 1024 * 1024);
		if (t == CMARK_NODE_HEADING) {
			md_text(cur, &b, 0);
			kb_builder_heading(bd, cmark_node_get_heading_level(cur), b.p ? b.p : "");
			cmark_iter_reset(it, cur, CMARK_EVENT_EXIT);
		} else if (t == CMARK_NODE_ITEM) {
			size_t q0, q1, a0;

			md_text(cur, &b, 1);
			if (b.len > 0 && md_qa(b.p, b.len, &q0, &q1, &a0) && a0 < b.len) {
				/* "- Q: ...? A: ..." */
				char *q = strndup(b.p + q0, q1 - q0);

				kb_builder_context(bd, q, 1);
				kb_builder_block(bd, KB_QA, b.p + a0, b.len - a0);
				kb_builder_context(bd, NULL, 0);
				free(q);
			} else {
				kb_builder_block(bd, KB_LIST_ITEM, b.p ? b.p : "", b.len);
			}
			/* Nested lists are visited as their own items. */
		} else if (t == CMARK_NODE_PARAGRAPH) {
			cmark_node *parent = cmark_node_parent(cur);

			if (parent != NULL && cmark_node_get_type(parent) == CMARK_NODE_ITEM) {
				buf_free(&b);
				continue;
			}
			md_text(cur, &b, 0);
			if (!md_table(bd, b.p ? b.p : ""))
				md_para(bd, cur, b.p ? b.p : "", b.len);
			cmark_iter_reset(it, cur, CMARK_EVENT_EXIT);
		} else if (t == CMARK_NODE_CODE_BLOCK) {
			const char *lit = cmark_node_get_literal(cur);

			if (lit != NULL)
				kb_builder_block(bd, KB_PARA, lit, strlen(lit));
		}
		buf_free(&b);
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	return ERR_OK;
}
