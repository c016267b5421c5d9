/* kb_docx.c: Word documents through libzip and libxml2. word/document.xml's
 * paragraphs with a Heading or Title style make the section path, numbered
 * or bulleted paragraphs are list items, and each table row is one passage.
 * Entities are not expanded and no network is used (no XXE). */
#include <libxml/parser.h>
#include <string.h>
#include <zip.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "kb_int.h"

#define DOCX_XML_MAX (64 * 1024 * 1024)

static int
docx_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name != NULL && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *
docx_child(const xmlNode *n, const char *name)
{
	const xmlNode *c;

	for (c = n ? n->children : NULL; c != NULL; c = c->next)
		if (docx_is(c, name))
			return c;
	return NULL;
}

static void
docx_text(const xmlNode *n, struct buf *b)
{
	const xmlNode *c;

	for (c = n->children; c != NULL; c = c->next) {
		if (docx_is(c, "t") || docx_is(c, "delText")) {
			xmlChar *t = docx_is(c, "t") ? xmlNodeGetContent(c) : NULL;

			if (t != NULL) {
				buf_puts(b, (const char *)t);
				xmlFree(t);
			}
		} else if (docx_is(c, "tab") || docx_is(c, "br") || docx_is(c, "cr")) {
			buf_puts(b, " ");
		} else if (c->type == XML_ELEMENT_NODE && !docx_is(c, "instrText")) {
			docx_text(c, b);
		}
	}
}

/* 0 for body text, 1..6 for Heading1..6, 1 for Title; -1 for a list item. */
static int
docx_style(const xmlNode *p)
{
	const xmlNode *ppr = docx_child(p, "pPr"), *st = docx_child(ppr, "pStyle");
	xmlChar *v = st ? xmlGetProp(st, (const xmlChar *)"val") : NULL;
	int lvl = 0;

	if (v != NULL) {
		const char *s = (const char *)v;

		if (strncasecmp(s, "Heading", 7) == 0 && s[7] >= '1' && s[7] <= '9')
			lvl = s[7] - '0' > 6 ? 6 : s[7] - '0';
		else if (strcasecmp(s, "Title") == 0)
			lvl = 1;
		else if (strncasecmp(s, "List", 4) == 0)
			lvl = -1;
		xmlFree(v);
	}
	if (lvl == 0 && docx_child(ppr, "numPr") != NULL)
		lvl = -1;
	return lvl;
}

static void
docx_table(struct kb_builder *bd, const xmlNode *tbl)
{
	const xmlNode *tr, *tc;
	char head[16][200];
	int nh = 0, first = 1;

	for (tr = tbl->children; tr != NULL; tr = tr->next) {
		struct buf row;
		int col = 0;

		if (!docx_is(tr, "tr"))
			continue;
		buf_init(&row, 16384);
		for (tc = tr->children; tc != NULL; tc = tc->next) {
			struct buf cell;

			if (!docx_is(tc, "tc"))
				continue;
			buf_init(&cell, 8192);
			docx_text(tc, &cell);
			if (first && col < 16) {
				snprintf(head[col], sizeof(head[col]), "%s", cell.p ? cell.p : "");
				nh = col + 1;
			} else if (cell.len) {
				if (row.len)
					buf_puts(&row, "; ");
				if (col < nh && head[col][0])
					buf_printf(&row, "%s: ", head[col]);
				buf_append(&row, cell.p, cell.len);
			}
			buf_free(&cell);
			col++;
		}
		if (!first && row.len)
			kb_builder_block(bd, KB_TABLE_ROW, row.p, row.len);
		first = 0;
		buf_free(&row);
	}
}

static char *
docx_entry(zip_t *z, const char *name, size_t *len, struct errinfo *ei)
{
	zip_stat_t st;
	zip_file_t *f;
	char *data;
	zip_int64_t got;

	if (zip_stat(z, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
		return NULL;
	if (st.size > DOCX_XML_MAX) {
		err_set(ei, ERR_TOO_LARGE, "the document's text part is larger than 64 MB");
		return NULL;
	}
	f = zip_fopen(z, name, 0);
	if (f == NULL) {
		err_set(ei, ERR_INVALID, "the DOCX is corrupt or encrypted (cannot open %s)", name);
		return NULL;
	}
	data = xmalloc(st.size + 1);
	got = zip_fread(f, data, st.size);
	zip_fclose(f);
	if (got < 0 || (zip_uint64_t)got != st.size) {
		free(data);
		err_set(ei, ERR_INVALID, "the DOCX is corrupt (%s is truncated)", name);
		return NULL;
	}
	data[st.size] = '\0';
	*len = st.size;
	return data;
}

err_t
kb_docx_parse(const char *data, size_t n, struct kb_builder *bd, struct errinfo *ei)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z = NULL;
	char *xml = NULL, *core = NULL;
	size_t xlen = 0, clen = 0;
	xmlDocPtr d = NULL;
	const xmlNode *body, *c;
	err_t err = ERR_OK;

	if (n >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
		return err_set(ei, ERR_UNSUPPORTED, "this Word file is encrypted or in the old .doc format; save it as an unprotected .docx");
	zip_error_init(&ze);
	src = zip_source_buffer_create(data, n, 0, &ze);
	if (src != NULL)
		z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (z == NULL) {
		if (src != NULL)
			zip_source_free(src);
		zip_error_fini(&ze);
		return err_set(ei, ERR_INVALID, "the DOCX is corrupt (not a readable zip archive)");
	}
	zip_error_fini(&ze);
	xml = docx_entry(z, "word/document.xml", &xlen, ei);
	if (xml == NULL) {
		err = ei->code ? ei->code : err_set(ei, ERR_INVALID, "the file is a zip archive but not a Word document (no word/document.xml)");
		goto out;
	}
	core = docx_entry(z, "docProps/core.xml", &clen, ei);
	ei->code = ERR_OK;
	d = xmlReadMemory(xml, (int)xlen, "document.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (d == NULL || xmlDocGetRootElement(d) == NULL) {
		err = err_set(ei, ERR_INVALID, "the DOCX is corrupt (its document.xml is not well-formed)");
		goto out;
	}
	if (core != NULL) {
		xmlDocPtr cd = xmlReadMemory(core, (int)clen, "core.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		const xmlNode *t = cd ? docx_child(xmlDocGetRootElement(cd), "title") : NULL;

		if (t != NULL) {
			xmlChar *v = xmlNodeGetContent(t);

			if (v != NULL && *v)
				bd->doc->title = xstrdup((const char *)v);
			xmlFree(v);
		}
		if (cd != NULL)
			xmlFreeDoc(cd);
	}
	body = docx_child(xmlDocGetRootElement(d), "body");
	for (c = body ? body->children : NULL; c != NULL; c = c->next) {
		if (docx_is(c, "p")) {
			struct buf b;
			int st = docx_style(c);

			buf_init(&b, 1024 * 1024);
			docx_text(c, &b);
			if (st > 0)
				kb_builder_heading(bd, st, b.p ? b.p : "");
			else
				kb_builder_block(bd, st < 0 ? KB_LIST_ITEM : KB_PARA, b.p ? b.p : "", b.len);
			buf_free(&b);
		} else if (docx_is(c, "tbl")) {
			docx_table(bd, c);
		}
	}
out:
	if (d != NULL)
		xmlFreeDoc(d);
	free(xml);
	free(core);
	zip_discard(z);
	return err;
}
