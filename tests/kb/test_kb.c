/* test_kb.c: extraction of every format (fixtures made here with cairo and
 * libzip), refusal of bad files, the child's limits, retrieval, answers and
 * the interlock. */
#include <cairo-pdf.h>
#include <cairo.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "core/buf.h"
#include "kb/kb.h"
#include "kb/kb_int.h"
#include "test.h"

static struct kb_limits lim;

static const struct kb_passage *
find(const struct kb_doc *d, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->passages[i].text, needle) != NULL)
			return &d->passages[i];
	return NULL;
}

static err_t
extract(const char *data, size_t n, const char *name, struct kb_doc *d, struct errinfo *ei)
{
	memset(ei, 0, sizeof(*ei));
	return kb_extract_mem(data, n, name, &lim, d, ei);
}

static const char md[] =
    "# Site Manual\n\nIntro paragraph about the manual.\n\n## Shipping\n\n### Frozen samples\n\n"
    "Ship frozen samples Monday to Wednesday only. Use dry ice.\n\n"
    "- First item about couriers\n- Second item about labels\n\n"
    "| Visit | Window |\n|---|---|\n| Week 4 | ±3 days |\n| Week 12 | ±5 days |\n\n"
    "## Safety\n\nReport any Serious Adverse Event (SAE) within 24 hours. Methotrexate (MTX) stays stable.\n";

static void
test_markdown(void)
{
	struct kb_doc d;
	struct errinfo ei;
	const struct kb_passage *p;

	CHECK(extract(md, strlen(md), "manual.md", &d, &ei) == ERR_OK, "markdown extracts");
	CHECK_STR(d.title, "Site Manual", "markdown title from the first heading");
	CHECK_STR(d.format, "md", "markdown format");
	p = find(&d, "Monday to Wednesday");
	CHECK(p && strcmp(p->section, "Site Manual > Shipping > Frozen samples") == 0, "markdown heading path");
	p = find(&d, "Second item");
	CHECK(p && p->kind == KB_LIST_ITEM && strcmp(p->text, "Second item about labels") == 0, "markdown list items stay whole");
	p = find(&d, "Week 4");
	CHECK(p && p->kind == KB_TABLE_ROW && strcmp(p->text, "Visit: Week 4; Window: ±3 days") == 0, "markdown table rows keep their headers");
	CHECK(find(&d, "---") == NULL, "the table's rule line is not a passage");
	kb_doc_free(&d);
}

static void
test_text_and_html(void)
{
	static const char txt[] = "VISIT SCHEDULE\n\nThe week 4 visit is on day 29.\n\n3.2 Missed visits\n\n"
	    "A missed visit is a deviation.\n- bring the diary\n- bring the syringes\n";
	static const char html[] = "<html><head><title>Checklist</title><script>alert(1)</script></head><body>"
	    "<nav>Menu</nav><h1>Essential documents</h1><p>File the protocol.</p><ul><li>CVs of the PI<ul><li>signed</li></ul></li>"
	    "<li>GCP certificates</li></ul><h2>Labs</h2><table><tr><th>Lab</th><th>Range</th></tr>"
	    "<tr><td>ALT</td><td>&lt; 40 U/L</td></tr></table></body></html>";
	struct kb_doc d;
	struct errinfo ei;
	const struct kb_passage *p;

	CHECK(extract(txt, strlen(txt), "notes.txt", &d, &ei) == ERR_OK, "text extracts");
	p = find(&d, "deviation");
	CHECK(p && strstr(p->section, "Missed visits") != NULL, "text headings (numbered, capitals)");
	p = find(&d, "syringes");
	CHECK(p && p->kind == KB_LIST_ITEM, "text list items");
	kb_doc_free(&d);
	CHECK(extract(html, strlen(html), "check.html", &d, &ei) == ERR_OK, "html extracts");
	CHECK_STR(d.title, "Checklist", "html title");
	CHECK(find(&d, "alert") == NULL && find(&d, "Menu") == NULL, "html scripts and navigation are skipped");
	p = find(&d, "CVs of the PI");
	CHECK(p && p->kind == KB_LIST_ITEM && strcmp(p->text, "CVs of the PI") == 0, "html list items without their nested lists");
	CHECK(find(&d, "signed") != NULL, "html nested list items are their own items");
	p = find(&d, "ALT");
	CHECK(p && p->kind == KB_TABLE_ROW && strcmp(p->text, "Lab: ALT; Range: < 40 U/L") == 0 && strstr(p->section, "Labs"), "html table rows and entities");
	kb_doc_free(&d);
}

static void
zip_put(zip_t *z, const char *name, const char *content)
{
	zip_source_t *s = zip_source_buffer(z, content, strlen(content), 0);

	zip_file_add(z, name, s, ZIP_FL_OVERWRITE);
}

/* A minimal real DOCX: headings, a numbered paragraph, a table, core.xml. */
static char *
make_docx(size_t *n)
{
	char path[] = "/tmp/baton-test-docx-XXXXXX";
	int fd = mkstemp(path), err;
	zip_t *z;
	FILE *f;
	char *data;

	close(fd);
	unlink(path);
	z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	zip_put(z, "[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>");
	zip_put(z, "docProps/core.xml", "<?xml version=\"1.0\"?><cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Pharmacy Manual</dc:title></cp:coreProperties>");
	zip_put(z, "word/document.xml",
	    "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
	    "<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t>Storage</w:t></w:r></w:p>"
	    "<w:p><w:r><w:t xml:space=\"preserve\">Keep the IP at </w:t></w:r><w:r><w:t>2 to 8 degrees.</w:t></w:r></w:p>"
	    "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr></w:pPr><w:r><w:t>Check the fridge daily</w:t></w:r></w:p>"
	    "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Item</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Limit</w:t></w:r></w:p></w:tc></w:tr>"
	    "<w:tr><w:tc><w:p><w:r><w:t>Room temperature</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>7 days</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
	    "</w:body></w:document>");
	zip_close(z);
	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc(*n);
	if (fread(data, 1, *n, f) != *n)
		*n = 0;
	fclose(f);
	unlink(path);
	return data;
}

static cairo_status_t
pdf_sink(void *closure, const unsigned char *data, unsigned int len)
{
	buf_append(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* A real PDF: a large heading and body text on each page. */
static char *
make_pdf(int pages, size_t *n)
{
	struct buf b;
	cairo_surface_t *s;
	cairo_t *cr;
	int i, l;

	buf_init(&b, 64 * 1024 * 1024);
	s = cairo_pdf_surface_create_for_stream(pdf_sink, &b, 595, 842);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "Lab Manual");
	cr = cairo_create(s);
	for (i = 0; i < pages; i++) {
		char line[200];

		cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
		cairo_set_font_size(cr, 20);
		cairo_move_to(cr, 50, 60);
		snprintf(line, sizeof(line), "Section %d Shipping", i + 1);
		cairo_show_text(cr, line);
		cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
		cairo_set_font_size(cr, 11);
		for (l = 0; l < 30; l++) {
			cairo_move_to(cr, 50, 100 + l * 20);
			if (l == 3)
				snprintf(line, sizeof(line), "Page %d note: frozen samples ship on dry ice by courier.", i + 1);
			else
				snprintf(line, sizeof(line), "Line %d of page %d describes the central laboratory routine.", l, i + 1);
			cairo_show_text(cr, line);
		}
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_surface_destroy(s);
	*n = b.len;
	return buf_steal(&b);
}

static void
test_docx_pdf(void)
{
	struct kb_doc d;
	struct errinfo ei;
	const struct kb_passage *p;
	size_t n;
	char *data = make_docx(&n);

	CHECK(extract(data, n, "pharmacy.docx", &d, &ei) == ERR_OK, "docx extracts");
	CHECK_STR(d.title, "Pharmacy Manual", "docx title from core.xml");
	p = find(&d, "Keep the IP at 2 to 8 degrees.");
	CHECK(p && strcmp(p->section, "Storage") == 0, "docx runs join and headings make the section");
	p = find(&d, "fridge");
	CHECK(p && p->kind == KB_LIST_ITEM, "docx numbered paragraphs are list items");
	p = find(&d, "7 days");
	CHECK(p && p->kind == KB_TABLE_ROW && strcmp(p->text, "Item: Room temperature; Limit: 7 days") == 0, "docx table rows");
	kb_doc_free(&d);
	/* Damage it: cut the archive in half. */
	CHECK(extract(data, n / 2, "pharmacy.docx", &d, &ei) == ERR_INVALID && strstr(ei.msg, "corrupt") != NULL, "a truncated docx is refused as corrupt");
	free(data);
	data = make_pdf(3, &n);
	CHECK(extract(data, n, "lab.pdf", &d, &ei) == ERR_OK, "pdf extracts");
	CHECK_STR(d.title, "Lab Manual", "pdf title from metadata");
	p = find(&d, "Page 2 note");
	CHECK(p && p->page == 2, "pdf passages keep their page");
	CHECK(p && strstr(p->section, "Section 2 Shipping") != NULL, "pdf headings by font size");
	kb_doc_free(&d);
	CHECK(extract(data, n / 3, "lab.pdf", &d, &ei) != ERR_OK && ei.msg[0], "a truncated pdf gets a clear error");
	free(data);
}

static void
test_refusals(void)
{
	static const char garbage[] = "\x01\x02\x03\x04 not a pdf at all \x00\x01";
	struct kb_doc d;
	struct errinfo ei;
	struct kb_limits small = lim;
	char *big;

	CHECK(extract("", 0, "empty.md", &d, &ei) == ERR_INVALID && strstr(ei.msg, "empty"), "an empty file is refused");
	CHECK(extract(garbage, sizeof(garbage), "fake.pdf", &d, &ei) == ERR_INVALID && d.n == 0, "garbage named .pdf is refused and nothing is kept");
	CHECK(extract(garbage, sizeof(garbage), "tool.exe", &d, &ei) == ERR_UNSUPPORTED, "an unsupported type is refused");
	CHECK(extract("   \n\n  ", 7, "blank.txt", &d, &ei) == ERR_INVALID && strstr(ei.msg, "no text"), "a document without text is refused");
	small.max_bytes = 10;
	memset(&ei, 0, sizeof(ei));
	CHECK(kb_extract_mem(md, strlen(md), "manual.md", &small, &d, &ei) == ERR_TOO_LARGE, "an oversized file is refused");
	small = lim;
	small.max_passages = 2;
	memset(&ei, 0, sizeof(ei));
	CHECK(kb_extract_mem(md, strlen(md), "manual.md", &small, &d, &ei) == ERR_TOO_LARGE && d.n == 0, "too many passages is refused, nothing half-kept");
	CHECK(extract("bad \xff\xfe bytes here", 17, "latin.txt", &d, &ei) == ERR_OK && strstr(d.passages[0].text, "\xEF\xBF\xBD") != NULL,
	    "invalid UTF-8 in text is replaced, not refused");
	kb_doc_free(&d);
	{
		/* A large PDF under a one-second wall clock: the child is stopped. */
		size_t n;

		big = make_pdf(400, &n);
		small = lim;
		small.wall_seconds = 0; /* already past the deadline: the child must be stopped */
		memset(&ei, 0, sizeof(ei));
		CHECK(kb_extract_mem(big, n, "big.pdf", &small, &d, &ei) == ERR_TIMEOUT && d.n == 0 && strstr(ei.msg, "stopped"),
		    "an extraction past its wall clock is stopped, and nothing is kept");
		kb_doc_free(&d);
		free(big);
	}
}

/* SIGKILL every child of this process (the extractor's), as a crash would. */
static int
kill_children(void)
{
	char path[64], line[512];
	FILE *f;
	int n = 0;
	long pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL) {
		char *c = line, *end;

		for (;;) {
			pid = strtol(c, &end, 10);
			if (end == c)
				break;
			n += kill((pid_t)pid, SIGKILL) == 0;
			c = end;
		}
	}
	fclose(f);
	return n;
}

/* Many files through one child: the same documents as one child per file,
 * and a bad file, a killed child or a spent wall clock costs only its file. */
static void
test_extractor(void)
{
	static const char garbage[] = "%PDF-1.4 broken beyond repair";
	struct kb_extractor *x = kb_extractor_new(&lim);
	struct kb_limits now = lim;
	struct kb_doc one, d;
	struct errinfo ei;
	int i, same = 1, ok = 1;

	extract(md, strlen(md), "manual.md", &one, &ei);
	for (i = 0; i < 200; i++) {
		size_t k;

		memset(&ei, 0, sizeof(ei));
		if (kb_extractor_mem(x, md, strlen(md), "manual.md", &d, &ei) != ERR_OK) {
			same = 0;
			break;
		}
		same = same && d.n == one.n && strcmp(d.title, one.title) == 0 && strcmp(d.format, one.format) == 0;
		for (k = 0; k < d.n && same; k++)
			same = strcmp(d.passages[k].text, one.passages[k].text) == 0 &&
			    strcmp(d.passages[k].section, one.passages[k].section) == 0 &&
			    d.passages[k].kind == one.passages[k].kind && d.passages[k].page == one.passages[k].page;
		kb_doc_free(&d);
	}
	CHECK(same, "200 files through one child give the same document as a child each");
	memset(&ei, 0, sizeof(ei));
	CHECK(kb_extractor_mem(x, garbage, sizeof(garbage) - 1, "broken.pdf", &d, &ei) == ERR_INVALID && d.n == 0 && strstr(ei.msg, "corrupt"),
	    "a corrupt file among them gets its own error");
	memset(&ei, 0, sizeof(ei));
	CHECK(kb_extractor_mem(x, md, strlen(md), "manual.md", &d, &ei) == ERR_OK && d.n == one.n, "and the next file is extracted");
	kb_doc_free(&d);
	CHECK(kill_children() == 1, "one child serves them all");
	memset(&ei, 0, sizeof(ei));
	CHECK(kb_extractor_mem(x, md, strlen(md), "manual.md", &d, &ei) == ERR_OK && d.n == one.n,
	    "a child killed between files is replaced, and the next file is extracted");
	kb_doc_free(&d);
	for (i = 0; i < 3; i++) {
		memset(&ei, 0, sizeof(ei));
		ok = ok && kb_extractor_file(x, "tests/kb/no-such-file.md", "no-such-file.md", &d, &ei) == ERR_NOT_FOUND;
	}
	CHECK(ok, "a missing file is reported without a child");
	kb_extractor_free(x);
	now.wall_seconds = 0;
	x = kb_extractor_new(&now);
	ok = 1;
	for (i = 0; i < 3; i++) {
		memset(&ei, 0, sizeof(ei));
		ok = ok && kb_extractor_mem(x, md, strlen(md), "manual.md", &d, &ei) == ERR_TIMEOUT && d.n == 0 && strstr(ei.msg, "stopped");
	}
	CHECK(ok, "past the wall clock every file is stopped, and each gets a fresh child");
	kb_extractor_free(x);
	CHECK(kill_children() == 0, "no child outlives its extractor");
	kb_doc_free(&one);
}

static struct kb_index *
demo_index(void)
{
	struct kb_index *ix = kb_index_new();
	struct kb_doc d;
	struct errinfo ei;
	int64_t ids[64];
	size_t i;

	extract(md, strlen(md), "manual.md", &d, &ei);
	for (i = 0; i < d.n && i < 64; i++)
		ids[i] = 100 + (int64_t)i;
	kb_index_add(ix, 7, &d, ids);
	kb_doc_free(&d);
	return ix;
}

static void
test_retrieval(void)
{
	struct kb_index *ix = demo_index();
	struct kb_settings st = {0.0, NULL};
	struct kb_result r;

	CHECK(kb_index_passages(ix) >= 6, "the index holds the passages");
	CHECK(kb_answer(ix, "What days can frozen samples be shipped?", &st, &r) == ERR_OK && r.n_citations == 1 &&
	    strstr(r.answer, "Monday to Wednesday") && strcmp(r.citations[0].document, "manual.md") == 0 &&
	    strcmp(r.citations[0].section, "Site Manual > Shipping > Frozen samples") == 0 && r.citations[0].passage_id >= 100,
	    "an answer quotes the passage and cites document, section and passage");
	kb_result_free(&r);
	kb_answer(ix, "week 4 window", &st, &r);
	CHECK(strstr(r.answer, "±3 days") != NULL, "table rows answer");
	kb_result_free(&r);
	kb_answer(ix, "how fast must serius advrse events be reported", &st, &r);
	CHECK(strstr(r.answer, "24 hours") != NULL, "typos are tolerated");
	kb_result_free(&r);
	kb_answer(ix, "is the MTX dose kept stable", &st, &r);
	CHECK(strstr(r.answer, "Methotrexate") != NULL, "abbreviations defined in the documents are learned");
	kb_result_free(&r);
	kb_index_set_synonyms(ix, "cryo = frozen\n", NULL);
	kb_answer(ix, "cryo shipping days", &st, &r);
	CHECK(strstr(r.answer, "Monday") != NULL, "workspace synonyms apply");
	kb_result_free(&r);
	st.threshold = 0.5;
	kb_answer(ix, "what is the parking policy for visitors", &st, &r);
	CHECK(r.handoff && strcmp(r.reason, "low_confidence") == 0 && r.confidence < 0.5, "a question the documents cannot answer hands off");
	kb_result_free(&r);
	kb_index_remove(ix, 7);
	kb_answer(ix, "What days can frozen samples be shipped?", &st, &r);
	CHECK(r.n_citations == 0 && r.handoff, "a removed document is never cited");
	kb_result_free(&r);
	kb_index_free(ix);
}

static void
test_interlock(void)
{
	const char *reason = NULL;
	char *phrase = NULL;

	CHECK(kb_interlock("Two SAEs to report from last week", NULL, &reason, &phrase) && strcmp(reason, "key_phrase") == 0 && strcmp(phrase, "SAE") == 0,
	    "key phrases match inflected forms (SAEs)");
	free(phrase);
	CHECK(kb_interlock("Patient was HOSPITALIZED overnight", NULL, &reason, &phrase), "key phrases ignore case");
	free(phrase);
	CHECK(!kb_interlock("Is there parking at the hospital?", NULL, &reason, &phrase), "hospital is not hospitalized");
	CHECK(!kb_interlock("the saes and the sea", "saesea\n", &reason, &phrase), "a custom list replaces the default");
	CHECK(kb_interlock("we had a serious adverse event", NULL, &reason, &phrase) && strcmp(phrase, "serious adverse event") == 0, "multi-word phrases");
	free(phrase);
	CHECK(kb_interlock("can I talk to someone at Meridian?", NULL, &reason, &phrase) && strcmp(reason, "human_requested") == 0, "a request for a person");
	free(phrase);
	CHECK(kb_interlock("human please", NULL, &reason, &phrase) && strcmp(reason, "human_requested") == 0, "human please");
	free(phrase);
	CHECK(!kb_interlock("how do humans metabolise MTX", NULL, &reason, &phrase), "a question about humans is not a request");
	CHECK(kb_not_helpful("that didn't help at all") && kb_not_helpful("This is wrong.") && !kb_not_helpful("that helped, thanks"),
	    "the visitor saying an answer did not help");
	{
		struct kb_index *ix = demo_index();
		struct kb_settings st = {0.0, NULL};
		struct kb_result r;

		kb_answer(ix, "Urgent: report a serious adverse event within how many hours?", &st, &r);
		CHECK(r.handoff && strcmp(r.reason, "key_phrase") == 0, "a key phrase hands off even when the answer is confident");
		kb_result_free(&r);
		kb_index_free(ix);
	}
}

static struct kb_index *shared_ix;

static void *
reader(void *arg)
{
	struct kb_settings st = {0.0, NULL};
	int i, ok = 1;

	(void)arg;
	for (i = 0; i < 300; i++) {
		struct kb_result r;

		kb_answer(shared_ix, "frozen samples shipping days", &st, &r);
		ok &= r.answer != NULL;
		kb_result_free(&r);
	}
	return ok ? (void *)1 : NULL;
}

static void
test_threads(void)
{
	pthread_t t[3];
	void *rv;
	int i, ok = 1;
	struct kb_doc d;
	struct errinfo ei;

	shared_ix = demo_index();
	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	for (i = 0; i < 20; i++) {
		extract(md, strlen(md), "again.md", &d, &ei);
		kb_index_add(shared_ix, 100 + i, &d, NULL);
		kb_doc_free(&d);
		kb_index_remove(shared_ix, 100 + i);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], &rv);
		ok &= rv != NULL;
	}
	CHECK(ok, "answers stay sound while documents are added and removed");
	kb_index_free(shared_ix);
}

/* Real files made by other tools (pandoc, groff): see bench/data/kestrel/README.md. */
static void
test_fixtures(void)
{
	struct kb_doc d;
	struct errinfo ei = {0};
	size_t i, items = 0, sections = 0, maxpage = 0;

	if (kb_extract_file("tests/kb/fixtures/eligibility-criteria.docx", "eligibility-criteria.docx", &lim, &d, &ei) != ERR_OK) {
		printf("skip: tests/kb/fixtures is not here (%s)\n", ei.msg);
		return;
	}
	for (i = 0; i < d.n; i++) {
		items += d.passages[i].kind == KB_LIST_ITEM;
		sections += d.passages[i].section[0] != '\0';
	}
	CHECK(d.n > 30 && items > 20 && sections == d.n, "a pandoc DOCX: numbered criteria are list items under their headings");
	kb_doc_free(&d);
	memset(&ei, 0, sizeof(ei));
	CHECK(kb_extract_file("tests/kb/fixtures/site-operations-manual.pdf", "site-operations-manual.pdf", &lim, &d, &ei) == ERR_OK,
	    "a groff PDF extracts");
	for (i = 0; i < d.n; i++)
		if ((size_t)d.passages[i].page > maxpage)
			maxpage = (size_t)d.passages[i].page;
	CHECK(maxpage == 6 && d.passages[0].page == 1, "its passages carry pages 1 to 6");
	kb_doc_free(&d);
}

int
main(void)
{
	kb_limits_default(&lim);
	test_fixtures();
	test_markdown();
	test_text_and_html();
	test_docx_pdf();
	test_refusals();
	test_extractor();
	test_retrieval();
	test_interlock();
	test_threads();
	return test_done();
}
