/* inbox_kb.c: the knowledge base as the inbox sees it: documents and passages
 * persisted through the store, one in-memory kb_index per workspace rebuilt
 * from them on first use, versions that supersede, and the audit trail of
 * every change. Adding many files runs them through one extractor child and
 * stores them a chunk per transaction (each with its own audit entry). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"
#include "inbox.h"
#include "kb/kb.h"

#define KB_MAX_WS 256

static struct {
	char ws[40];
	struct kb_index *ix;
} kbreg[KB_MAX_WS];
static int kbreg_n;
static pthread_mutex_t kbreg_mu = PTHREAD_MUTEX_INITIALIZER;

/* Load every current document's passages into ix. */
static void
kb_load(struct store *s, const char *ws, struct kb_index *ix)
{
	json_t *docs = ST(s, kb_doc_list, ws, 0), *set;
	size_t i, k;

	for (i = 0; i < json_array_size(docs); i++) {
		json_t *d = json_array_get(docs, i), *ps;
		struct kb_doc doc;
		int64_t *ids;

		if (strcmp(jsonx_str(d, "state"), "indexed") != 0)
			continue;
		ps = ST(s, kb_passages, jsonx_int(d, "id", 0));
		memset(&doc, 0, sizeof(doc));
		doc.name = (char *)(uintptr_t)jsonx_str(d, "name");
		doc.title = (char *)(uintptr_t)jsonx_str(d, "title");
		doc.format = (char *)(uintptr_t)jsonx_str(d, "format");
		doc.n = json_array_size(ps);
		doc.passages = xcalloc(doc.n ? doc.n : 1, sizeof(*doc.passages));
		ids = xcalloc(doc.n ? doc.n : 1, sizeof(*ids));
		for (k = 0; k < doc.n; k++) {
			json_t *p = json_array_get(ps, k);

			doc.passages[k].section = (char *)(uintptr_t)jsonx_str(p, "section");
			doc.passages[k].page = (int)jsonx_int(p, "page", 0);
			doc.passages[k].kind = (int)jsonx_int(p, "kind", 0);
			doc.passages[k].text = (char *)(uintptr_t)jsonx_str(p, "text");
			ids[k] = jsonx_int(p, "id", 0);
		}
		kb_index_add(ix, jsonx_int(d, "id", 0), &doc, ids);
		free(doc.passages);
		free(ids);
		json_decref(ps);
	}
	json_decref(docs);
	set = inbox_settings(s, ws);
	if (jsonx_str(set, "synonyms") != NULL && *jsonx_str(set, "synonyms"))
		kb_index_set_synonyms(ix, jsonx_str(set, "synonyms"), NULL);
	json_decref(set);
}

struct kb_index *
inbox_kb_index(struct store *s, const char *ws)
{
	struct kb_index *ix = NULL;
	int i;

	pthread_mutex_lock(&kbreg_mu);
	for (i = 0; i < kbreg_n; i++)
		if (strcmp(kbreg[i].ws, ws) == 0) {
			ix = kbreg[i].ix;
			break;
		}
	if (ix == NULL && kbreg_n < KB_MAX_WS) {
		ix = kb_index_new();
		kb_load(s, ws, ix);
		snprintf(kbreg[kbreg_n].ws, sizeof(kbreg[0].ws), "%s", ws);
		kbreg[kbreg_n].ix = ix;
		kbreg_n++;
	}
	pthread_mutex_unlock(&kbreg_mu);
	return ix;
}

void
inbox_kb_reload(struct store *s, const char *ws)
{
	int i;

	pthread_mutex_lock(&kbreg_mu);
	for (i = 0; i < kbreg_n; i++)
		if (strcmp(kbreg[i].ws, ws) == 0) {
			json_t *set = inbox_settings(s, ws);

			kb_index_set_synonyms(kbreg[i].ix, jsonx_str(set, "synonyms") ? jsonx_str(set, "synonyms") : "", NULL);
			json_decref(set);
		}
	pthread_mutex_unlock(&kbreg_mu);
}

static const char *
kb_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int
kb_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > 200 || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == '\\' || (unsigned char)name[i] < 0x20)
			return 0;
	return util_utf8_valid(name, n);
}

/* The index of ws if this process has built it, else NULL (without building it:
 * a process that only adds documents, like `baton kb add`, never needs it, and
 * the first process that does loads them all from the store). */
static struct kb_index *
kb_index_peek(const char *ws)
{
	struct kb_index *ix = NULL;
	int i;

	pthread_mutex_lock(&kbreg_mu);
	for (i = 0; i < kbreg_n; i++)
		if (strcmp(kbreg[i].ws, ws) == 0)
			ix = kbreg[i].ix;
	pthread_mutex_unlock(&kbreg_mu);
	return ix;
}

/* Documents per transaction, and their text: one fsync and one lock hold per
 * chunk, bounded so a writer waiting behind a bulk add waits little. */
#define KB_TX_DOCS 256
#define KB_TX_BYTES ((size_t)8 * 1024 * 1024)

/* One document on its way into the store. */
struct kb_pending {
	struct inbox_kb_item *it;
	struct kb_doc doc;
	err_t xerr;      /* the extraction's error (the document is stored as failed) */
	int stored;      /* the row, passages and audit entry are committed */
	int64_t id, prev_id, *ids;
};

/* Write one document (its row, passages, the superseded old version and the
 * audit entry) inside the caller's transaction. */
static err_t
kb_write(struct store *s, const struct principal *by, const char *effective, struct kb_pending *pd)
{
	const char *ws = by->workspace_id, *name = pd->it->name, *emsg = pd->it->ei.msg;
	json_t *prev = ST(s, kb_doc_current, ws, name), *row, *fields;
	int64_t version = prev ? jsonx_int(prev, "version", 0) : 0;
	char actor[128];
	size_t i;
	err_t err;

	row = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:I,s:I,s:s?,s:I}", "workspace_id", ws,
	    "name", name, "title", (!pd->xerr && pd->doc.title) ? pd->doc.title : name, "format",
	    (!pd->xerr && pd->doc.format) ? pd->doc.format : "unknown", "version",
	    (json_int_t)(pd->xerr ? version : version + 1), "effective_date", effective,
	    "state", pd->xerr ? "failed" : "indexed", "bytes", (json_int_t)pd->it->n, "passages",
	    (json_int_t)(pd->xerr ? 0 : pd->doc.n), "created_by", by->kind == P_MEMBER ? by->id : NULL,
	    "created_at", (json_int_t)util_now_ms());
	if (pd->xerr)
		json_object_set_new(row, "error", json_string(emsg));
	pd->id = ST(s, kb_doc_create, row);
	pd->prev_id = prev ? jsonx_int(prev, "id", 0) : 0;
	err = pd->id < 0 ? ERR_STORE : ERR_OK;
	if (!err && !pd->xerr) {
		free(pd->ids);
		pd->ids = xcalloc(pd->doc.n ? pd->doc.n : 1, sizeof(*pd->ids));
		for (i = 0; i < pd->doc.n && !err; i++)
			err = ST(s, kb_passage_add, pd->id, (int)i, pd->doc.passages[i].section,
			    pd->doc.passages[i].page, pd->doc.passages[i].kind, pd->doc.passages[i].text,
			    &pd->ids[i]);
		if (!err && prev != NULL) {
			fields = json_pack("{s:s}", "state", "superseded");
			err = ST(s, kb_doc_update, pd->prev_id, fields);
			json_decref(fields);
		}
	}
	if (!err)
		err = inbox_audit(s, ws, inbox_actor(by, actor), pd->xerr ? "kb.add_failed" : "kb.add", name,
		    prev ? json_pack("{s:I,s:I}", "id", (json_int_t)pd->prev_id, "version", (json_int_t)version) : NULL,
		    json_pack("{s:I,s:I,s:s,s:I,s:s?}", "id", (json_int_t)pd->id, "version",
			(json_int_t)jsonx_int(row, "version", 0), "effective_date", effective, "passages",
			(json_int_t)(pd->xerr ? 0 : pd->doc.n), "error", pd->xerr ? emsg : NULL));
	json_decref(row);
	json_decref(prev);
	return err;
}

/* Write pd[0..n) in one transaction. On a store error nothing of it is kept. */
static err_t
kb_write_tx(struct store *s, const struct principal *by, const char *effective,
    struct kb_pending *pd, size_t n)
{
	struct inbox_tx tx;
	size_t i;
	err_t err = inbox_tx_begin(&tx, s);

	for (i = 0; i < n && !err; i++)
		if (pd[i].it->err == ERR_OK) /* (a bad name is not stored) */
			err = kb_write(s, by, effective, &pd[i]);
	if (err) {
		inbox_tx_abort(&tx);
		return err;
	}
	err = inbox_tx_commit(&tx);
	for (i = 0; i < n && !err; i++)
		pd[i].stored = pd[i].it->err == ERR_OK;
	return err;
}

/* Store a chunk: one transaction, or, when that fails, one per document, so
 * that a document the store refuses costs only itself. Then the index. */
static void
kb_store_chunk(struct store *s, const struct principal *by, const char *effective,
    struct kb_pending *pd, size_t n)
{
	const char *ws = by->workspace_id;
	struct kb_index *before = kb_index_peek(ws), *after;
	size_t i;

	if (kb_write_tx(s, by, effective, pd, n) && n > 1)
		for (i = 0; i < n; i++)
			kb_write_tx(s, by, effective, &pd[i], 1);
	after = kb_index_peek(ws);
	for (i = 0; i < n; i++) {
		struct inbox_kb_item *it = pd[i].it;

		if (it->err)
			continue;
		if (!pd[i].stored) {
			it->err = err_set(&it->ei, ERR_STORE, "could not store the document");
			continue;
		}
		if (pd[i].xerr) {
			it->err = pd[i].xerr;
			continue;
		}
		/* The index learns the new version and forgets the old one. An index
		 * built while this chunk was written may hold it already: then it is
		 * replaced rather than added twice. */
		if (after != NULL) {
			if (before == NULL)
				kb_index_remove(after, pd[i].id);
			kb_index_add(after, pd[i].id, &pd[i].doc, pd[i].ids);
			if (pd[i].prev_id > 0)
				kb_index_remove(after, pd[i].prev_id);
		}
		it->doc = jsonx_present(ST(s, kb_doc_get, ws, pd[i].id));
	}
}

err_t
inbox_kb_add_many(struct store *s, const struct principal *by, struct inbox_kb_item *items,
    size_t n, const char *effective, void (*done)(void *arg, struct inbox_kb_item *it),
    void *arg, struct errinfo *ei)
{
	struct kb_limits lim;
	struct kb_extractor *x;
	struct kb_pending *pd;
	char today[16];
	size_t i, k, start = 0;
	int64_t ms;
	err_t first = ERR_OK;

	if (effective != NULL && (strlen(effective) != 10 || util_parse_time(effective, &ms)))
		return err_set(ei, ERR_INVALID, "effective_date must be YYYY-MM-DD");
	if (effective == NULL) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(today, sizeof(today), "%Y-%m-%d", &tm);
		effective = today;
	}
	kb_limits_default(&lim);
	x = kb_extractor_new(&lim);
	pd = xcalloc(KB_TX_DOCS, sizeof(*pd));
	while (start < n) {
		size_t bytes = 0, m = 0;

		/* Extract a chunk (outside any transaction: parsing holds no lock). */
		for (k = start; k < n && m < KB_TX_DOCS && bytes < KB_TX_BYTES; k++, m++) {
			struct inbox_kb_item *it = &items[k];

			memset(&pd[m], 0, sizeof(pd[m]));
			pd[m].it = it;
			it->err = ERR_OK;
			memset(&it->ei, 0, sizeof(it->ei));
			it->doc = NULL;
			if (it->name == NULL)
				it->name = it->path ? kb_base_name(it->path) : NULL;
			if (it->name == NULL || !kb_name_ok(it->name)) {
				it->err = err_set(&it->ei, ERR_INVALID, "the document needs a file name without slashes (1 to 200 characters)");
				continue;
			}
			if (it->path != NULL)
				pd[m].xerr = kb_extractor_file(x, it->path, it->name, &pd[m].doc, &it->ei);
			else
				pd[m].xerr = kb_extractor_mem(x, it->data, it->n, it->name, &pd[m].doc, &it->ei);
			for (i = 0; i < pd[m].doc.n; i++)
				bytes += strlen(pd[m].doc.passages[i].text);
		}
		kb_store_chunk(s, by, effective, pd, m);
		for (i = 0; i < m; i++) {
			if (pd[i].it->err && first == ERR_OK) {
				first = pd[i].it->err;
				if (ei != NULL)
					*ei = pd[i].it->ei;
			}
			if (done != NULL)
				done(arg, pd[i].it);
			kb_doc_free(&pd[i].doc);
			free(pd[i].ids);
		}
		start = k;
	}
	free(pd);
	kb_extractor_free(x);
	return first;
}

err_t
inbox_kb_add(struct store *s, const struct principal *by, const char *path, const void *data,
    size_t n, const char *name, const char *effective, json_t **doc_out, struct errinfo *ei)
{
	struct inbox_kb_item it;
	err_t err;

	memset(&it, 0, sizeof(it));
	it.path = path;
	it.data = data;
	it.n = n;
	it.name = name;
	err = inbox_kb_add_many(s, by, &it, 1, effective, NULL, NULL, ei);
	if (doc_out != NULL)
		*doc_out = it.doc;
	else
		json_decref(it.doc);
	return err;
}

err_t
inbox_kb_remove(struct store *s, const struct principal *by, int64_t doc_id, struct errinfo *ei)
{
	const char *ws = by->workspace_id;
	json_t *d = ST(s, kb_doc_get, ws, doc_id), *fields;
	char actor[128];
	struct kb_index *ix;
	err_t err;

	if (d == NULL || strcmp(jsonx_str(d, "state"), "removed") == 0) {
		json_decref(d);
		return err_set(ei, ERR_NOT_FOUND, "no such document");
	}
	fields = json_pack("{s:s}", "state", "removed");
	err = ST(s, begin);
	if (!err)
		err = ST(s, kb_doc_update, doc_id, fields);
	if (!err)
		err = inbox_audit(s, ws, inbox_actor(by, actor), "kb.remove", jsonx_str(d, "name"),
		    json_pack("{s:I,s:I,s:s}", "id", (json_int_t)doc_id, "version",
			(json_int_t)jsonx_int(d, "version", 0), "state", jsonx_str(d, "state")), NULL);
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	json_decref(fields);
	if (!err) {
		ix = inbox_kb_index(s, ws);
		if (ix != NULL)
			kb_index_remove(ix, doc_id);
	}
	json_decref(d);
	return err ? err_set(ei, err, "could not remove the document") : ERR_OK;
}

static json_t *
kb_citations(const struct kb_citation *c, size_t n, int with_text)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s,s:s,s:i}", "document", c[i].document ? c[i].document : "",
		    "section", c[i].section ? c[i].section : "", "page", c[i].page);

		if (with_text) {
			json_object_set_new(o, "passage_id", json_integer(c[i].passage_id));
			json_object_set_new(o, "text", json_string(c[i].text ? c[i].text : ""));
			json_object_set_new(o, "score", json_real(c[i].score));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *
inbox_kb_ask(struct store *s, const char *ws, const char *question)
{
	json_t *set = inbox_settings(s, ws), *out;
	struct kb_settings st;
	struct kb_result r;
	struct kb_index *ix = inbox_kb_index(s, ws);

	memset(&r, 0, sizeof(r));
	st.threshold = json_number_value(json_object_get(set, "threshold"));
	st.key_phrases = jsonx_str(set, "key_phrases");
	if (ix == NULL || kb_answer(ix, question, &st, &r)) {
		json_decref(set);
		return NULL;
	}
	out = json_pack("{s:s,s:f,s:b,s:s?,s:s?,s:o,s:o,s:f}", "answer", r.answer ? r.answer : "",
	    "confidence", r.confidence, "handoff", r.handoff, "reason", r.reason, "phrase", r.phrase,
	    "citations", kb_citations(r.citations, r.n_citations, 1), "passages",
	    kb_citations(r.passages, r.n_passages, 1), "threshold", st.threshold);
	kb_result_free(&r);
	json_decref(set);
	return out;
}
