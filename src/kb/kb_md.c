/* kb_md.c: Markdown through cmark. Headings make the section path,
 * paragraphs and code blocks are paragraphs, each list item is one passage,
 * and pipe tables (which CommonMark reads as paragraphs) become one row each
 * as "Header: value; Header: value". */
#include <cmark.h>
#include <stdlib.h>
#include <string.h>

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

err_t
kb_md_parse(const char *data, size_t n, struct kb_builder *bd, struct errinfo *ei)
{
	cmark_node *doc = cmark_parse_document(data, n, CMARK_OPT_DEFAULT), *cur;
	cmark_iter *it;
	cmark_event_type ev;

	if (doc == NULL)
		return err_set(ei, ERR_INVALID, "the Markdown could not be parsed");
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node_type t;
		struct buf b;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		cur = cmark_iter_get_node(it);
		t = cmark_node_get_type(cur);
		buf_init(&b, 1024 * 1024);
		if (t == CMARK_NODE_HEADING) {
			md_text(cur, &b, 0);
			kb_builder_heading(bd, cmark_node_get_heading_level(cur), b.p ? b.p : "");
			cmark_iter_reset(it, cur, CMARK_EVENT_EXIT);
		} else if (t == CMARK_NODE_ITEM) {
			md_text(cur, &b, 1);
			kb_builder_block(bd, KB_LIST_ITEM, b.p ? b.p : "", b.len);
			/* Nested lists are visited as their own items. */
		} else if (t == CMARK_NODE_PARAGRAPH) {
			cmark_node *parent = cmark_node_parent(cur);

			if (parent != NULL && cmark_node_get_type(parent) == CMARK_NODE_ITEM) {
				buf_free(&b);
				continue;
			}
			md_text(cur, &b, 0);
			if (!md_table(bd, b.p ? b.p : ""))
				kb_builder_block(bd, KB_PARA, b.p ? b.p : "", b.len);
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
