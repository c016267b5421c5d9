/* kb_html.c: HTML through libxml2's HTML parser (recovering, no network).
 * h1-h6 make the section path; p, pre and blockquote are paragraphs; each li
 * is one item (its nested lists become their own items); each tr is one row,
 * labelled by the header row. Scripts, styles and navigation are skipped. */
#include <libxml/HTMLparser.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "kb_int.h"

static int
html_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name != NULL && strcasecmp((const char *)n->name, name) == 0;
}

static int
html_skip(const xmlNode *n)
{
	return html_is(n, "script") || html_is(n, "style") || html_is(n, "nav") || html_is(n, "noscript") ||
	    html_is(n, "template") || html_is(n, "head") || html_is(n, "svg") || html_is(n, "button") ||
	    html_is(n, "form") || html_is(n, "iframe");
}

/* Text under n; with no_lists, nested ul/ol are left out. */
static void
html_text(const xmlNode *n, struct buf *b, int no_lists)
{
	const xmlNode *c;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content != NULL)
				buf_puts(b, (const char *)c->content);
		} else if (c->type == XML_ELEMENT_NODE && !html_skip(c)) {
			if (no_lists && (html_is(c, "ul") || html_is(c, "ol")))
				continue;
			if (html_is(c, "br") || html_is(c, "p") || html_is(c, "div") || html_is(c, "td") || html_is(c, "th"))
				buf_puts(b, " ");
			html_text(c, b, no_lists);
		}
	}
}

static int
html_heading_level(const xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE || n->name == NULL || (n->name[0] | 0x20) != 'h' ||
	    n->name[1] < '1' || n->name[1] > '6' || n->name[2] != '\0')
		return 0;
	return n->name[1] - '0';
}

struct html_table {
	char head[16][200];
	int nh;
};

static void
html_row(struct kb_builder *bd, const xmlNode *tr, struct html_table *tb)
{
	const xmlNode *c;
	struct buf row;
	int col = 0, all_th = 1, any = 0;

	for (c = tr->children; c != NULL; c = c->next)
		if (html_is(c, "td"))
			all_th = 0;
	buf_init(&row, 16384);
	for (c = tr->children; c != NULL; c = c->next) {
		struct buf cell;

		if (!html_is(c, "td") && !html_is(c, "th"))
			continue;
		buf_init(&cell, 8192);
		html_text(c, &cell, 0);
		if (all_th && tb->nh == 0 + col && col < 16) {
			snprintf(tb->head[col], sizeof(tb->head[col]), "%s", cell.p ? cell.p : "");
			tb->nh = col + 1;
		} else if (cell.len) {
			if (row.len)
				buf_puts(&row, "; ");
			if (col < tb->nh && tb->head[col][0])
				buf_printf(&row, "%s: ", tb->head[col]);
			buf_append(&row, cell.p, cell.len);
			any = 1;
		}
		buf_free(&cell);
		col++;
	}
	if (any)
		kb_builder_block(bd, KB_TABLE_ROW, row.p, row.len);
	buf_free(&row);
}

static void
html_walk(struct kb_builder *bd, const xmlNode *n, struct html_table *tb, struct kb_doc *doc, int depth)
{
	const xmlNode *c;

	if (depth > 200)
		return;
	for (c = n; c != NULL; c = c->next) {
		struct buf b;
		int lvl;

		if (c->type == XML_TEXT_NODE && c->parent != NULL &&
		    (html_is(c->parent, "body") || html_is(c->parent, "div") || html_is(c->parent, "section") ||
			html_is(c->parent, "article") || html_is(c->parent, "main"))) {
			if (c->content != NULL)
				kb_builder_block(bd, KB_PARA, (const char *)c->content, strlen((const char *)c->content));
			continue;
		}
		if (c->type != XML_ELEMENT_NODE || html_skip(c))
			continue;
		buf_init(&b, 1024 * 1024);
		if (html_is(c, "title") && doc->title == NULL) {
			html_text(c, &b, 0);
			if (b.len)
				doc->title = xstrndup(b.p, b.len);
		} else if ((lvl = html_heading_level(c)) > 0) {
			html_text(c, &b, 0);
			kb_builder_heading(bd, lvl, b.p ? b.p : "");
		} else if (html_is(c, "p") || html_is(c, "pre") || html_is(c, "blockquote") || html_is(c, "dd") || html_is(c, "dt") || html_is(c, "figcaption") || html_is(c, "caption")) {
			html_text(c, &b, 0);
			kb_builder_block(bd, KB_PARA, b.p ? b.p : "", b.len);
		} else if (html_is(c, "li")) {
			html_text(c, &b, 1);
			kb_builder_block(bd, KB_LIST_ITEM, b.p ? b.p : "", b.len);
			{
				const xmlNode *k;

				for (k = c->children; k != NULL; k = k->next)
					if (html_is(k, "ul") || html_is(k, "ol"))
						html_walk(bd, k->children, tb, doc, depth + 1);
			}
		} else if (html_is(c, "table")) {
			struct html_table inner;

			memset(&inner, 0, sizeof(inner));
			html_walk(bd, c->children, &inner, doc, depth + 1);
		} else if (html_is(c, "tr")) {
			html_row(bd, c, tb);
		} else {
			html_walk(bd, c->children, tb, doc, depth + 1);
		}
		buf_free(&b);
	}
}

err_t
kb_html_parse(const char *data, size_t n, struct kb_builder *bd, struct errinfo *ei)
{
	htmlDocPtr d;
	struct html_table tb;

	if (n > INT32_MAX)
		return err_set(ei, ERR_TOO_LARGE, "the HTML file is too large");
	d = htmlReadMemory(data, (int)n, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_COMPACT);
	if (d == NULL || xmlDocGetRootElement(d) == NULL) {
		if (d != NULL)
			xmlFreeDoc(d);
		return err_set(ei, ERR_INVALID, "the HTML could not be read");
	}
	/* <title> lives in <head>, which the walk skips; it wins over the first h1. */
	{
		xmlNode *h;

		for (h = xmlDocGetRootElement(d)->children; h != NULL; h = h->next)
			if (html_is(h, "head")) {
				xmlNode *t;

				for (t = h->children; t != NULL; t = t->next)
					if (html_is(t, "title")) {
						struct buf b;

						buf_init(&b, 4096);
						html_text(t, &b, 0);
						if (b.len)
							bd->doc->title = xstrndup(b.p, b.len);
						buf_free(&b);
					}
			}
	}
	memset(&tb, 0, sizeof(tb));
	html_walk(bd, xmlDocGetRootElement(d), &tb, bd->doc, 0);
	xmlFreeDoc(d);
	return ERR_OK;
}
