/* cli_kb.c: kb add/list/rm and ask (one question or a JSONL batch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox/inbox.h"
#include "store/store.h"

/* Resolve --workspace (an id or a name); without it, the only workspace. */
int
cli_workspace(struct cli *c, struct store *s, char out[40], char name[256])
{
	const char *want = cli_opt(c, "--workspace");
	json_t *all = ST(s, workspace_list);
	size_t i, n = json_array_size(all);
	int rc = -1;

	for (i = 0; i < n; i++) {
		json_t *w = json_array_get(all, i);

		if (want == NULL ? n == 1 : (strcmp(jsonx_str(w, "id"), want) == 0 || strcmp(jsonx_str(w, "name"), want) == 0)) {
			snprintf(out, 40, "%s", jsonx_str(w, "id"));
			if (name != NULL)
				snprintf(name, 256, "%s", jsonx_str(w, "name"));
			rc = 0;
			break;
		}
	}
	if (rc != 0) {
		if (n == 0)
			fprintf(stderr, "baton: no workspace yet; run `baton init --workspace NAME --admin EMAIL` first\n");
		else if (want == NULL)
			fprintf(stderr, "baton: there are %zu workspaces; choose one with --workspace ID|NAME\n", n);
		else
			fprintf(stderr, "baton: no workspace named %s\n", want);
	}
	json_decref(all);
	return rc;
}

static void
cli_principal(struct principal *p, const char *ws)
{
	memset(p, 0, sizeof(*p));
	p->kind = P_ANON;
	p->role = ROLE_OWNER;
	snprintf(p->workspace_id, sizeof(p->workspace_id), "%s", ws);
}

struct cli_kb_add_ctx {
	struct inbox_kb_item *items;
	int bad;
};

/* Print each file's line as soon as its chunk is stored. */
static void
cli_kb_added(void *arg, struct inbox_kb_item *it)
{
	struct cli_kb_add_ctx *cx = arg;
	json_t *doc = it->doc;

	if (it->err) {
		fprintf(stderr, "baton: %s: %s\n", it->path, it->ei.msg);
		cx->bad = 1;
		return;
	}
	printf("added %s: version %lld, %lld passages (document %lld)\n", jsonx_str(doc, "name"),
	    (long long)jsonx_int(doc, "version", 0), (long long)jsonx_int(doc, "passages", 0),
	    (long long)jsonx_int(doc, "id", 0));
	json_decref(doc);
	it->doc = NULL;
}

static int
cli_kb_add(struct cli *c, struct store *s, const char *ws)
{
	struct principal p;
	struct errinfo ei = {0};
	struct cli_kb_add_ctx cx = {NULL, 0};
	const char *eff = cli_opt(c, "--effective");
	size_t n = 0;
	int i;

	cli_principal(&p, ws);
	cx.items = xcalloc((size_t)c->argc, sizeof(*cx.items));
	for (i = 1; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--workspace") == 0 || strcmp(c->argv[i], "--effective") == 0) {
			i++;
			continue;
		}
		cx.items[n++].path = c->argv[i];
	}
	if (inbox_kb_add_many(s, &p, cx.items, n, eff, cli_kb_added, &cx, &ei) && !cx.bad) {
		/* Refused as a whole (a bad --effective): every file says why. */
		for (i = 0; i < (int)n; i++)
			fprintf(stderr, "baton: %s: %s\n", cx.items[i].path, ei.msg);
		cx.bad = 1;
	}
	free(cx.items);
	return cx.bad;
}

static int
cli_kb_list(struct store *s, const char *ws)
{
	json_t *docs = ST(s, kb_doc_list, ws, 0);
	size_t i;

	printf("%-6s %-36s %-4s %-11s %-9s %s\n", "ID", "NAME", "VER", "EFFECTIVE", "PASSAGES", "STATE");
	for (i = 0; i < json_array_size(docs); i++) {
		json_t *d = json_array_get(docs, i);

		printf("%-6lld %-36s %-4lld %-11s %-9lld %s%s%s\n", (long long)jsonx_int(d, "id", 0),
		    jsonx_str(d, "name"), (long long)jsonx_int(d, "version", 0),
		    jsonx_str(d, "effective_date") ? jsonx_str(d, "effective_date") : "",
		    (long long)jsonx_int(d, "passages", 0), jsonx_str(d, "state"),
		    jsonx_str(d, "error") ? ": " : "", jsonx_str(d, "error") ? jsonx_str(d, "error") : "");
	}
	json_decref(docs);
	return 0;
}

static int
cli_kb_rm(struct cli *c, struct store *s, const char *ws)
{
	struct principal p;
	struct errinfo ei = {0};
	const char *doc = c->argc > 1 ? c->argv[1] : NULL;
	json_t *d;
	int64_t id = 0;
	char *end;

	if (doc == NULL) {
		fprintf(stderr, "usage: baton kb rm DOC   (a document id or name)\n");
		return 2;
	}
	id = strtoll(doc, &end, 10);
	if (*end != '\0' || id <= 0) {
		d = ST(s, kb_doc_current, ws, doc);
		id = d ? jsonx_int(d, "id", 0) : 0;
		json_decref(d);
	}
	cli_principal(&p, ws);
	if (id <= 0 || inbox_kb_remove(s, &p, id, &ei)) {
		fprintf(stderr, "baton: %s: %s\n", doc, ei.msg[0] ? ei.msg : "no such document");
		return 1;
	}
	printf("removed %s\n", doc);
	return 0;
}

int
cli_kb(struct cli *c)
{
	struct store *s;
	char ws[40];
	int rc = 2;

	if (c->argc < 1 || (strcmp(c->argv[0], "add") && strcmp(c->argv[0], "list") && strcmp(c->argv[0], "rm"))) {
		fprintf(stderr, "usage: baton kb add [--workspace W] [--effective YYYY-MM-DD] FILE... | kb list | kb rm DOC\n");
		return 2;
	}
	if (strcmp(c->argv[0], "add") == 0 && c->argc < 2) {
		fprintf(stderr, "usage: baton kb add [--workspace W] FILE...\n");
		return 2;
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (cli_workspace(c, s, ws, NULL) != 0) {
		rc = 1;
		goto out;
	}
	if (strcmp(c->argv[0], "add") == 0)
		rc = cli_kb_add(c, s, ws);
	else if (strcmp(c->argv[0], "list") == 0)
		rc = cli_kb_list(s, ws);
	else
		rc = cli_kb_rm(c, s, ws);
out:
	ST(s, close);
	return rc;
}

/* The DESIGN §5 line: id, answer, confidence, handoff, reason, citations, in that order. */
static void
cli_ask_print(json_t *id, const char *question, json_t *r, int as_json)
{
	json_t *out, *cits = json_array(), *have = json_object_get(r, "citations");
	size_t i;

	for (i = 0; i < json_array_size(have); i++) {
		json_t *ci = json_array_get(have, i);

		json_array_append_new(cits, json_pack("{s:O,s:O,s:O}", "document", json_object_get(ci, "document"),
		    "section", json_object_get(ci, "section"), "page", json_object_get(ci, "page")));
	}
	if (!as_json) {
		printf("Q: %s\n", question);
		if (json_is_true(json_object_get(r, "handoff")))
			printf("-> hand off (%s%s%s), confidence %.2f\n", jsonx_str(r, "reason"),
			    jsonx_str(r, "phrase") ? ": " : "", jsonx_str(r, "phrase") ? jsonx_str(r, "phrase") : "",
			    json_number_value(json_object_get(r, "confidence")));
		else
			printf("A: %s\n   confidence %.2f\n", jsonx_str(r, "answer"),
			    json_number_value(json_object_get(r, "confidence")));
		for (i = 0; i < json_array_size(cits); i++) {
			json_t *ci = json_array_get(cits, i);

			printf("   [%zu] %s, %s, page %lld\n", i + 1, jsonx_str(ci, "document"),
			    jsonx_str(ci, "section"), (long long)jsonx_int(ci, "page", 0));
		}
		json_decref(cits);
		return;
	}
	out = json_object();
	json_object_set(out, "id", id ? id : json_null());
	json_object_set(out, "answer", json_object_get(r, "answer"));
	json_object_set(out, "confidence", json_object_get(r, "confidence"));
	json_object_set(out, "handoff", json_object_get(r, "handoff"));
	json_object_set(out, "reason", json_object_get(r, "reason") ? json_object_get(r, "reason") : json_null());
	json_object_set_new(out, "citations", cits);
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(out);
}

int
cli_ask(struct cli *c)
{
	const char *batch = cli_opt(c, "--batch"), *question = NULL;
	int as_json = cli_flag(c, "--json"), i, rc = 0;
	struct store *s;
	char ws[40];

	for (i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--workspace") == 0 || strcmp(c->argv[i], "--batch") == 0)
			i++;
		else if (strcmp(c->argv[i], "--json") != 0)
			question = c->argv[i];
	}
	if ((batch == NULL) == (question == NULL)) {
		fprintf(stderr, "usage: baton ask [--workspace W] [--json] \"question\" | ask --json --batch FILE.jsonl\n");
		return 2;
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (cli_workspace(c, s, ws, NULL) != 0) {
		ST(s, close);
		return 1;
	}
	inbox_kb_index(s, ws); /* build once, before timing anything */
	if (question != NULL) {
		json_t *r = inbox_kb_ask(s, ws, question);

		if (r == NULL) {
			fprintf(stderr, "baton: the agent could not answer\n");
			rc = 1;
		} else {
			cli_ask_print(NULL, question, r, as_json);
		}
		json_decref(r);
	} else {
		FILE *f = strcmp(batch, "-") == 0 ? stdin : fopen(batch, "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		long lineno = 0;

		if (f == NULL) {
			fprintf(stderr, "baton: cannot read %s\n", batch);
			ST(s, close);
			return 1;
		}
		while ((n = getline(&line, &cap, f)) > 0) {
			json_error_t je;
			json_t *in, *r;
			const char *q;

			lineno++;
			if (strspn(line, " \t\r\n") == (size_t)n)
				continue;
			in = json_loadb(line, (size_t)n, 0, &je);
			q = jsonx_str(in, "question");
			if (in == NULL || q == NULL || strlen(q) > 4000) {
				/* Keep one output line per input line, and say what was wrong. */
				json_t *err = json_pack("{s:O?,s:s,s:f,s:b,s:n,s:[],s:s}", "id",
				    json_object_get(in, "id"), "answer", "", "confidence", 0.0, "handoff", 1,
				    "reason", "citations", "error", in == NULL ? je.text : "question must be text of 1 to 4000 characters");

				fprintf(stderr, "baton: %s line %ld: %s\n", batch, lineno, jsonx_str(err, "error"));
				json_dumpf(err, stdout, JSON_COMPACT);
				putchar('\n');
				json_decref(err);
				json_decref(in);
				rc = 1;
				continue;
			}
			r = inbox_kb_ask(s, ws, q);
			if (r != NULL)
				cli_ask_print(json_object_get(in, "id"), q, r, 1);
			json_decref(r);
			json_decref(in);
		}
		free(line);
		if (f != stdin)
			fclose(f);
	}
	fflush(stdout);
	ST(s, close);
	return rc;
}
