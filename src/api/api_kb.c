/* api_kb.c: the knowledge base over HTTP: list, upload (raw body, name in
 * X-Filename or ?name=), remove, and the admin's "ask the agent" box (A8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "core/jsonx.h"

void
api_kb_list(struct api_ctx *c)
{
	const char *all = api_query(c, "all");
	json_t *arr = ST(c->s, kb_doc_list, c->p.workspace_id, all != NULL && strcmp(all, "1") == 0);
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		jsonx_present(json_array_get(arr, i));
	api_json(c, 200, json_pack("{s:o}", "items", arr));
}

void
api_kb_upload(struct api_ctx *c)
{
	const char *name = c->rq->filename ? c->rq->filename : api_query(c, "name");
	json_t *doc = NULL;
	err_t err;

	if (name == NULL) {
		api_error(c, ERR_INVALID, "name the file in the X-Filename header or ?name=");
		return;
	}
	if (c->rq->body_len == 0) {
		api_error(c, ERR_INVALID, "the file is empty");
		return;
	}
	err = inbox_kb_add(c->s, &c->p, NULL, c->rq->body, c->rq->body_len, name,
	    api_query(c, "effective_date"), &doc, &c->ei);
	if (err) {
		/* 422: the file arrived but could not be used; it is listed as failed. */
		if (err == ERR_INVALID || err == ERR_UNSUPPORTED || err == ERR_TOO_LARGE)
			api_json(c, err == ERR_TOO_LARGE ? 413 : err == ERR_UNSUPPORTED ? 415 : 422,
			    json_pack("{s:{s:s,s:s}}", "error", "code", err_str(err), "message", c->ei.msg));
		else
			api_fail(c);
		return;
	}
	api_json(c, 201, doc);
}

void
api_kb_remove(struct api_ctx *c)
{
	char *end;
	long long id = strtoll(c->params[0], &end, 10);

	if (*end != '\0' || id <= 0) {
		api_error(c, ERR_NOT_FOUND, "no such document");
		return;
	}
	if (inbox_kb_remove(c->s, &c->p, id, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

void
api_kb_passages(struct api_ctx *c)
{
	char *end;
	long long id = strtoll(c->params[0], &end, 10);
	json_t *d, *ps;

	if (*end != '\0' || id <= 0) {
		api_error(c, ERR_NOT_FOUND, "no such document");
		return;
	}
	d = ST(c->s, kb_doc_get, c->p.workspace_id, id);
	if (d == NULL) {
		api_error(c, ERR_NOT_FOUND, "no such document");
		return;
	}
	ps = ST(c->s, kb_passages, id);
	api_json(c, 200, json_pack("{s:o,s:o}", "document", jsonx_present(d), "items", ps));
}

void
api_ask(struct api_ctx *c)
{
	const char *q = api_body_str(c, "question");
	json_t *out;

	if (c->rs->status)
		return;
	if (q == NULL || *q == '\0' || strlen(q) > 4000) {
		api_error(c, ERR_INVALID, "send {\"question\": text of 1 to 4000 characters}");
		return;
	}
	out = inbox_kb_ask(c->s, c->p.workspace_id, q);
	if (out == NULL) {
		api_error(c, ERR_INTERNAL, "the agent could not answer");
		return;
	}
	/* Say why, in words, for the test box. */
	if (json_is_true(json_object_get(out, "handoff"))) {
		const char *r = jsonx_str(out, "reason");
		char why[300];

		if (r != NULL && strcmp(r, "key_phrase") == 0)
			snprintf(why, sizeof(why), "would hand off: the message contains the key phrase \"%s\"", jsonx_str(out, "phrase") ? jsonx_str(out, "phrase") : "?");
		else if (r != NULL && strcmp(r, "human_requested") == 0)
			snprintf(why, sizeof(why), "would hand off: the visitor asks for a person");
		else
			snprintf(why, sizeof(why), "would hand off: confidence %.2f is below the threshold %.2f",
			    json_number_value(json_object_get(out, "confidence")), json_number_value(json_object_get(out, "threshold")));
		json_object_set_new(out, "why", json_string(why));
	} else {
		json_object_set_new(out, "why", json_string("would answer: confidence is at or above the threshold"));
	}
	api_json(c, 200, out);
}
