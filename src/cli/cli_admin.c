/* cli_admin.c: serve, init, audit verify, backup, routes, report. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "channels/channels.h"
#include "cli.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "http/http.h"
#include "inbox/inbox.h"
#include "store/store.h"

/* Find "--name VALUE" in the command's arguments; NULL when absent. */
const char *
cli_opt(struct cli *c, const char *name)
{
	int i;

	for (i = 0; i + 1 < c->argc; i++)
		if (strcmp(c->argv[i], name) == 0)
			return c->argv[i + 1];
	return NULL;
}

int
cli_flag(struct cli *c, const char *name)
{
	int i;

	for (i = 0; i < c->argc; i++)
		if (strcmp(c->argv[i], name) == 0)
			return 1;
	return 0;
}

struct store *
cli_store(struct cli *c)
{
	struct errinfo ei = {0};
	struct store *s = store_open(c->data, &ei);

	if (s == NULL)
		fprintf(stderr, "baton: %s\n", ei.msg);
	return s;
}

int
cli_serve(struct cli *c)
{
	struct http_config cfg = {"127.0.0.1:8080", c->data, 4, 15, NULL};
	const char *v;
	struct store *s;
	int rc, i;

	for (i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--help") == 0 || strcmp(c->argv[i], "-h") == 0) {
			printf("usage: baton [--data DIR] serve [--listen ADDR:PORT] [--workers N] [--heartbeat SECONDS]\n"
			    "                            [--trusted-proxy ADDR[,ADDR...]]\n"
			    "  --trusted-proxy  reverse proxies whose X-Forwarded-For names the client (login limits, logs)\n");
			return 0;
		}
		if ((strcmp(c->argv[i], "--listen") && strcmp(c->argv[i], "--workers") && strcmp(c->argv[i], "--heartbeat") &&
		    strcmp(c->argv[i], "--trusted-proxy")) ||
		    i + 1 >= c->argc) {
			fprintf(stderr, "baton: serve: unknown or incomplete option '%s' (see baton serve --help)\n", c->argv[i]);
			return 2;
		}
		i++;
	}
	v = cli_opt(c, "--listen");
	if (v != NULL)
		cfg.listen = v;
	v = cli_opt(c, "--heartbeat");
	if (v != NULL) {
		cfg.heartbeat_s = (int)strtol(v, NULL, 10);
		if (cfg.heartbeat_s < 1 || cfg.heartbeat_s > 300) {
			fprintf(stderr, "baton: --heartbeat must be 1 to 300 seconds\n");
			return 2;
		}
	}
	v = cli_opt(c, "--trusted-proxy");
	if (v != NULL) {
		const char *q;
		unsigned char bin[16];
		char one[64];

		for (q = v; *q != '\0';) {
			size_t n = strcspn(q, ",");

			snprintf(one, sizeof(one), "%.*s", (int)(n < 63 ? n : 63), q);
			if (n == 0 || n > 63 || strlen(v) > 900 || (inet_pton(AF_INET, one, bin) != 1 && inet_pton(AF_INET6, one, bin) != 1)) {
				fprintf(stderr, "baton: --trusted-proxy takes IP addresses separated by commas, e.g. 127.0.0.1,10.0.0.2\n");
				return 2;
			}
			q += n + (q[n] == ',');
		}
		cfg.trusted_proxies = v;
	}
	v = cli_opt(c, "--workers");
	if (v != NULL) {
		cfg.workers = (int)strtol(v, NULL, 10);
		if (cfg.workers < 1 || cfg.workers > 64) {
			fprintf(stderr, "baton: --workers must be 1 to 64\n");
			return 2;
		}
	}
	/* Open once here so that migrations run and errors surface before listening. */
	s = cli_store(c);
	if (s == NULL)
		return 1;
	ST(s, close);
	if (inbox_agent_start(c->data)) {
		fprintf(stderr, "baton: cannot start the agent\n");
		return 1;
	}
	channels_start(c->data);
	inbox_suggest_start(c->data); /* suggest: suggested tags on visitor messages */
	rc = http_serve(&cfg);
	inbox_suggest_stop(); /* suggest */
	channels_stop();
	inbox_agent_stop();
	return rc;
}

int
cli_init(struct cli *c)
{
	const char *name = cli_opt(c, "--workspace"), *email = cli_opt(c, "--admin");
	struct errinfo ei = {0};
	struct store *s;
	json_t *out = NULL;
	int rc = 1;

	if (name == NULL || email == NULL) {
		fprintf(stderr, "usage: baton [--data DIR] init --workspace NAME --admin EMAIL [--json]\n");
		return 2;
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (inbox_workspace_create(s, name, email, &out, &ei)) {
		fprintf(stderr, "baton: %s\n", ei.msg);
		goto out;
	}
	if (cli_flag(c, "--json")) {
		json_object_del(out, "name");
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		printf("Workspace \"%s\" created (%s).\n", name, jsonx_str(out, "workspace_id"));
		printf("Owner:      %s\nPassword:   %s   (shown once; change it after logging in)\n",
		    email, jsonx_str(out, "password"));
		printf("Widget key: %s\n", jsonx_str(out, "widget_key"));
	}
	rc = 0;
out:
	json_decref(out);
	ST(s, close);
	return rc;
}

int
cli_audit(struct cli *c)
{
	struct errinfo ei = {0};
	struct store *s;
	int64_t rows = 0, bad = 0;
	int rc;

	if (c->argc < 1 || strcmp(c->argv[0], "verify") != 0) {
		fprintf(stderr, "usage: baton [--data DIR] audit verify\n");
		return 2;
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (inbox_audit_verify(s, &rows, &bad, &ei)) {
		if (bad > 0)
			printf("audit chain BROKEN at row %lld (%lld rows verified before it)\n",
			    (long long)bad, (long long)rows);
		else
			fprintf(stderr, "baton: %s\n", ei.msg);
		rc = 1;
	} else {
		printf("audit chain intact: %lld rows\n", (long long)rows);
		rc = 0;
	}
	ST(s, close);
	return rc;
}

int
cli_backup(struct cli *c)
{
	struct errinfo ei = {0};
	struct store *s;
	int rc = 0;

	if (c->argc != 1) {
		fprintf(stderr, "usage: baton [--data DIR] backup FILE\n");
		return 2;
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (ST(s, backup, c->argv[0], &ei)) {
		fprintf(stderr, "baton: %s\n", ei.msg);
		rc = 1;
	} else {
		printf("backup written to %s\n", c->argv[0]);
	}
	ST(s, close);
	return rc;
}

int
cli_routes(struct cli *c)
{
	json_t *r = api_routes_json();

	(void)c;
	json_dumpf(r, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(r);
	return 0;
}

/* ---- baton report: the monthly review (R2, R3) as md, csv or html ---- */

static const char *
report_s(const json_t *o, const char *key)
{
	const char *v = jsonx_str(o, key);

	return v ? v : "";
}

/* A table cell: one line, pipes escaped, no raw HTML from visitors. */
static void
report_md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void
report_html(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* RFC 4180; a leading = + - @ gets a ' so spreadsheets do not run it. */
static void
report_csv(FILE *f, const char *s, int last)
{
	int lead = strchr("=+-@", s[0]) != NULL && s[0] != '\0';

	if (lead || strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		if (lead)
			fputc('\'', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void
report_csv_int(FILE *f, int64_t v)
{
	fprintf(f, "%lld,", (long long)v);
}

static void
report_minutes(FILE *f, int64_t s)
{
	if (s >= 3600)
		fprintf(f, "%lld h %02lld min", (long long)(s / 3600), (long long)((s % 3600) / 60));
	else
		fprintf(f, "%lld min", (long long)((s + 30) / 60));
}

/* "low_confidence 2, rule 1" */
static void
report_reasons(FILE *f, const json_t *reasons, int html)
{
	const char *k;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)(uintptr_t)reasons, k, v) {
		fprintf(f, "%s", first ? "" : ", ");
		if (html)
			report_html(f, k);
		else
			fputs(k, f);
		fprintf(f, " %lld", (long long)json_integer_value(v));
		first = 0;
	}
}

static void
report_join(FILE *f, const json_t *arr, int html)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		const char *s = json_string_value(json_array_get(arr, i));

		fputs(i ? ", " : "", f);
		if (html)
			report_html(f, s ? s : "");
		else
			report_md_cell(f, s ? s : "");
	}
}

static void
report_md(FILE *f, const json_t *r, const char *wsname)
{
	const json_t *groups = json_object_get(r, "groups"), *gaps = json_object_get(r, "gaps");
	const json_t *tot = json_object_get(r, "totals");
	size_t i, k;

	fprintf(f, "# Review %s: ", report_s(r, "month"));
	report_md_cell(f, wsname);
	fprintf(f, "\n\n%lld handed-off conversations in %zu groups; member time ",
	    (long long)jsonx_int(tot, "handoffs", 0), json_array_size(groups));
	report_minutes(f, jsonx_int(tot, "member_time_s", 0));
	fprintf(f, "; %lld questions the agent could not answer.\n\n_%s._\n\n", (long long)jsonx_int(tot, "gaps", 0),
	    report_s(r, "member_time_definition"));
	fprintf(f, "## Handed-off questions, by member time\n\n");
	if (json_array_size(groups) == 0)
		fprintf(f, "No conversation was handed off in %s.\n\n", report_s(r, "month"));
	for (i = 0; i < json_array_size(groups); i++) {
		const json_t *g = json_array_get(groups, i), *th = json_object_get(g, "threads");

		fprintf(f, "### %zu. ", i + 1);
		report_md_cell(f, report_s(g, "question"));
		fprintf(f, "\n\n%lld threads, member time ", (long long)jsonx_int(g, "count", 0));
		report_minutes(f, jsonx_int(g, "member_time_s", 0));
		fprintf(f, "; reasons: ");
		report_reasons(f, json_object_get(g, "reasons"), 0);
		fprintf(f, "\n\n| thread | site | reason | tags | question | member's answer | member time |\n");
		fprintf(f, "|---|---|---|---|---|---|---|\n");
		for (k = 0; k < json_array_size(th); k++) {
			const json_t *t = json_array_get(th, k);

			fprintf(f, "| #%lld | ", (long long)jsonx_int(t, "number", 0));
			report_md_cell(f, report_s(t, "site"));
			fprintf(f, " | %s | ", report_s(t, "reason"));
			report_join(f, json_object_get(t, "tags"), 0);
			fputs(" | ", f);
			report_md_cell(f, report_s(t, "question"));
			fputs(" | ", f);
			report_md_cell(f, jsonx_str(t, "answer") ? jsonx_str(t, "answer") : "(no member answer)");
			fputs(" | ", f);
			report_minutes(f, jsonx_int(t, "member_time_s", 0));
			fputs(" |\n", f);
		}
		fputc('\n', f);
	}
	fprintf(f, "## Knowledge gaps\n\n");
	if (json_array_size(gaps) == 0)
		fprintf(f, "The agent handed nothing off for low confidence in %s.\n\n", report_s(r, "month"));
	for (i = 0; i < json_array_size(gaps); i++) {
		const json_t *g = json_array_get(gaps, i), *qs = json_object_get(g, "questions"), *th = json_object_get(g, "threads");

		fprintf(f, "### %zu. ", i + 1);
		report_md_cell(f, report_s(g, "question"));
		fprintf(f, " (%lld)\n\n", (long long)jsonx_int(g, "count", 0));
		fprintf(f, "%s. Threads:", json_is_true(json_object_get(g, "answered_now")) ? "The agent answers it now" : "Still unanswered by the agent");
		for (k = 0; k < json_array_size(th); k++)
			fprintf(f, " #%lld", (long long)jsonx_int(json_array_get(th, k), "number", 0));
		fputs("\n\n", f);
		for (k = 0; k < json_array_size(qs); k++) {
			fputs("- ", f);
			report_md_cell(f, json_string_value(json_array_get(qs, k)));
			fputc('\n', f);
		}
		fputc('\n', f);
	}
}

static void
report_csv_out(FILE *f, const json_t *r)
{
	const json_t *groups = json_object_get(r, "groups");
	size_t i, k, j;

	fputs("group,group_question,group_count,group_member_time_s,number,conversation_id,site,status,reason,handoff_at,tags,member_time_s,question,answer\n", f);
	for (i = 0; i < json_array_size(groups); i++) {
		const json_t *g = json_array_get(groups, i), *th = json_object_get(g, "threads");

		for (k = 0; k < json_array_size(th); k++) {
			const json_t *t = json_array_get(th, k), *tags = json_object_get(t, "tags");
			char tagbuf[2048];
			size_t n = 0;

			tagbuf[0] = '\0';
			for (j = 0; j < json_array_size(tags) && n < sizeof(tagbuf) - 1; j++)
				n += (size_t)snprintf(tagbuf + n, sizeof(tagbuf) - n, "%s%s", j ? ";" : "",
				    json_string_value(json_array_get(tags, j)));
			if (n >= sizeof(tagbuf))
				tagbuf[sizeof(tagbuf) - 1] = '\0';
			report_csv_int(f, (int64_t)i + 1);
			report_csv(f, report_s(g, "question"), 0);
			report_csv_int(f, jsonx_int(g, "count", 0));
			report_csv_int(f, jsonx_int(g, "member_time_s", 0));
			report_csv_int(f, jsonx_int(t, "number", 0));
			report_csv(f, report_s(t, "id"), 0);
			report_csv(f, report_s(t, "site"), 0);
			report_csv(f, report_s(t, "status"), 0);
			report_csv(f, report_s(t, "reason"), 0);
			report_csv(f, report_s(t, "handoff_at"), 0);
			report_csv(f, tagbuf, 0);
			report_csv_int(f, jsonx_int(t, "member_time_s", 0));
			report_csv(f, report_s(t, "question"), 0);
			report_csv(f, report_s(t, "answer"), 1);
		}
	}
}

static void
report_html_out(FILE *f, const json_t *r, const char *wsname)
{
	const json_t *groups = json_object_get(r, "groups"), *gaps = json_object_get(r, "gaps");
	const json_t *tot = json_object_get(r, "totals");
	size_t i, k;

	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Review ", f);
	report_html(f, report_s(r, "month"));
	fputs("</title>\n<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1e293b}"
	      "table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}td,th{border:1px solid #cbd5e1;"
	      "padding:4px 6px;text-align:left;vertical-align:top}th{background:#f1f5f9}.meta{color:#475569}</style>"
	      "</head><body>\n<h1>Review ", f);
	report_html(f, report_s(r, "month"));
	fputs(": ", f);
	report_html(f, wsname);
	fprintf(f, "</h1>\n<p>%lld handed-off conversations in %zu groups; member time ",
	    (long long)jsonx_int(tot, "handoffs", 0), json_array_size(groups));
	report_minutes(f, jsonx_int(tot, "member_time_s", 0));
	fprintf(f, "; %lld questions the agent could not answer.</p>\n<p class=\"meta\">", (long long)jsonx_int(tot, "gaps", 0));
	report_html(f, report_s(r, "member_time_definition"));
	fputs(".</p>\n<h2>Handed-off questions, by member time</h2>\n", f);
	if (json_array_size(groups) == 0)
		fputs("<p>No conversation was handed off this month.</p>\n", f);
	for (i = 0; i < json_array_size(groups); i++) {
		const json_t *g = json_array_get(groups, i), *th = json_object_get(g, "threads");

		fprintf(f, "<h3>%zu. ", i + 1);
		report_html(f, report_s(g, "question"));
		fprintf(f, "</h3>\n<p class=\"meta\">%lld threads, member time ", (long long)jsonx_int(g, "count", 0));
		report_minutes(f, jsonx_int(g, "member_time_s", 0));
		fputs("; reasons: ", f);
		report_reasons(f, json_object_get(g, "reasons"), 1);
		fputs("</p>\n<table><tr><th>thread</th><th>site</th><th>reason</th><th>tags</th><th>question</th>"
		      "<th>member's answer</th><th>member time</th></tr>\n", f);
		for (k = 0; k < json_array_size(th); k++) {
			const json_t *t = json_array_get(th, k);

			fprintf(f, "<tr><td>#%lld</td><td>", (long long)jsonx_int(t, "number", 0));
			report_html(f, report_s(t, "site"));
			fputs("</td><td>", f);
			report_html(f, report_s(t, "reason"));
			fputs("</td><td>", f);
			report_join(f, json_object_get(t, "tags"), 1);
			fputs("</td><td>", f);
			report_html(f, report_s(t, "question"));
			fputs("</td><td>", f);
			report_html(f, jsonx_str(t, "answer") ? jsonx_str(t, "answer") : "(no member answer)");
			fputs("</td><td>", f);
			report_minutes(f, jsonx_int(t, "member_time_s", 0));
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	fputs("<h2>Knowledge gaps</h2>\n", f);
	if (json_array_size(gaps) == 0)
		fputs("<p>The agent handed nothing off for low confidence this month.</p>\n", f);
	for (i = 0; i < json_array_size(gaps); i++) {
		const json_t *g = json_array_get(gaps, i), *qs = json_object_get(g, "questions");

		fprintf(f, "<h3>%zu. ", i + 1);
		report_html(f, report_s(g, "question"));
		fprintf(f, " (%lld)</h3>\n<p class=\"meta\">%s</p>\n<ul>", (long long)jsonx_int(g, "count", 0),
		    json_is_true(json_object_get(g, "answered_now")) ? "The agent answers it now." : "Still unanswered by the agent.");
		for (k = 0; k < json_array_size(qs); k++) {
			fputs("<li>", f);
			report_html(f, json_string_value(json_array_get(qs, k)));
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("</body></html>\n", f);
}

int
cli_report(struct cli *c)
{
	const char *month = cli_opt(c, "--month"), *fmt = cli_opt(c, "--format");
	struct errinfo ei = {0};
	char ws[40], wsname[256];
	struct store *s;
	json_t *r;
	int i;

	for (i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--help") == 0 || strcmp(c->argv[i], "-h") == 0) {
			printf("usage: baton [--data DIR] report --month YYYY-MM [--format md|csv|html] [--workspace W]\n");
			return 0;
		}
		if ((strcmp(c->argv[i], "--month") && strcmp(c->argv[i], "--format") && strcmp(c->argv[i], "--workspace")) ||
		    i + 1 >= c->argc) {
			fprintf(stderr, "baton: report: unknown or incomplete option '%s' (see baton report --help)\n", c->argv[i]);
			return 2;
		}
		i++;
	}
	if (month == NULL) {
		fprintf(stderr, "usage: baton [--data DIR] report --month YYYY-MM [--format md|csv|html] [--workspace W]\n");
		return 2;
	}
	if (fmt == NULL)
		fmt = "md";
	if (strcmp(fmt, "md") && strcmp(fmt, "csv") && strcmp(fmt, "html")) {
		fprintf(stderr, "baton: report: --format must be md, csv or html\n");
		return 2;
	}
	{
		int64_t from, to;

		if (inbox_review_month(month, &from, &to, &ei)) {
			fprintf(stderr, "baton: report: %s\n", ei.msg);
			return 2;
		}
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (cli_workspace(c, s, ws, wsname) != 0) {
		ST(s, close);
		return 1;
	}
	r = inbox_review(s, ws, month, NULL, &ei);
	if (r == NULL) {
		fprintf(stderr, "baton: report: %s\n", ei.msg);
		ST(s, close);
		return 1;
	}
	if (strcmp(fmt, "csv") == 0)
		report_csv_out(stdout, r);
	else if (strcmp(fmt, "html") == 0)
		report_html_out(stdout, r, wsname);
	else
		report_md(stdout, r, wsname);
	fflush(stdout);
	json_decref(r);
	ST(s, close);
	return 0;
}
