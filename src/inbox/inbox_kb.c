/* inbox_kb.c: the knowledge base as the inbox sees it: documents and passages
 * persisted through the store, one in-memory kb_index per workspace rebuilt
 * from them on first use, versions that supersede, and the audit trail of
 * every change. */
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

err_t
inbox_kb_add(struct store *s, const struct principal *by, const char *path, const void *data,
    size_t n, const char *name, const char *effective, json_t **doc_out, struct errinfo *ei)
{
	const char *ws = by->workspace_id;
	struct kb_limits lim;
	struct kb_doc doc;
	json_t *prev = NULL, *row = NULL, *fields;
	int64_t id = -1, *ids = NULL, ms;
	char actor[128], today[16];
	size_t i;
	err_t err, xerr;
	struct kb_index *ix;

	memset(&doc, 0, sizeof(doc));
	if (name == NULL)
		name = path ? kb_base_name(path) : NULL;
	if (name == NULL || !kb_name_ok(name))
		return err_set(ei, ERR_INVALID, "the document needs a file name without slashes (1 to 200 characters)");
	if (effective != NULL && (strlen(effective) != 10 || util_parse_time(effective, &ms)))
		return err_set(ei, ERR_INVALID, "effective_date must be YYYY-MM-DD");
	if (effective == NULL) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(today, sizeof(today), "%Y-%m-%d", &tm);
		effective = today;
	}
	/* Build the workspace's index before this document is stored, so the
	 * first load does not see it and add it twice. */
	ix = inbox_kb_index(s, ws);
	kb_limits_default(&lim);
	if (path != NULL)
		xerr = kb_extract_file(path, name, &lim, &doc, ei);
	else
		xerr = kb_extract_mem(data, n, name, &lim, &doc, ei);
	prev = ST(s, kb_doc_current, ws, name);
	err = ST(s, begin);
	if (err) {
		err_set(ei, err, "the store is busy; try again");
		goto out;
	}
	row = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:I,s:I,s:s?,s:I}", "workspace_id", ws,
	    "name", name, "title", (!xerr && doc.title) ? doc.title : name, "format",
	    (!xerr && doc.format) ? doc.format : "unknown", "version",
	    (json_int_t)(prev ? jsonx_int(prev, "version", 0) + 1 : 1), "effective_date", effective,
	    "state", xerr ? "failed" : "indexed", "bytes", (json_int_t)n, "passages",
	    (json_int_t)(xerr ? 0 : doc.n), "created_by", by->kind == P_MEMBER ? by->id : NULL,
	    "created_at", (json_int_t)util_now_ms());
	if (xerr) {
		json_object_set_new(row, "error", json_string(ei->msg));
		json_object_set_new(row, "version", json_integer(prev ? jsonx_int(prev, "version", 0) : 0));
	}
	id = ST(s, kb_doc_create, row);
	err = id < 0 ? ERR_STORE : ERR_OK;
	if (!err && !xerr) {
		ids = xcalloc(doc.n ? doc.n : 1, sizeof(*ids));
		for (i = 0; i < doc.n && !err; i++)
			err = ST(s, kb_passage_add, id, (int)i, doc.passages[i].section, doc.passages[i].page,
			    doc.passages[i].kind, doc.passages[i].text, &ids[i]);
		if (!err && prev != NULL) {
			fields = json_pack("{s:s}", "state", "superseded");
			err = ST(s, kb_doc_update, jsonx_int(prev, "id", 0), fields);
			json_decref(fields);
		}
	}
	if (!err)
		err = inbox_audit(s, ws, inbox_actor(by, actor), xerr ? "kb.add_failed" : "kb.add", name,
		    prev ? json_pack("{s:I,s:I}", "id", (json_int_t)jsonx_int(prev, "id", 0), "version", (json_int_t)jsonx_int(prev, "version", 0)) : NULL,
		    json_pack("{s:I,s:I,s:s,s:I,s:s?}", "id", (json_int_t)id, "version",
			(json_int_t)jsonx_int(row, "version", 0), "effective_date", effective, "passages",
			(json_int_t)(xerr ? 0 : doc.n), "error", xerr ? ei->msg : NULL));
	if (err) {
		ST(s, rollback);
		err_set(ei, err, "could not store the document");
		goto out;
	}
	err = ST(s, commit);
	if (err) {
		err_set(ei, err, "could not store the document");
		goto out;
	}
	if (xerr) {
		err = xerr;
		goto out;
	}
	/* The index learns the new version and forgets the old one together. */
	if (ix != NULL) {
		kb_index_add(ix, id, &doc, ids);
		if (prev != NULL)
			kb_index_remove(ix, jsonx_int(prev, "id", 0));
	}
	if (doc_out != NULL)
		*doc_out = jsonx_present(ST(s, kb_doc_get, ws, id));
out:
	json_decref(prev);
	json_decref(row);
	free(ids);
	kb_doc_free(&doc);
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
