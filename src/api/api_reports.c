/* api_reports.c: the dashboard, the shift handover digest, stale threads,
 * CSV exports, printable transcripts and usage metering. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "core/buf.h"
#include "core/jsonx.h"
#include "core/util.h"

#define EXPORT_MAX (256 * 1024 * 1024)

static int
rep_time(struct api_ctx *c, const char *name, int64_t *out)
{
	const char *v = api_query(c, name);

	*out = 0;
	if (v != NULL && util_parse_time(v, out)) {
		api_error(c, ERR_INVALID, "%s must be a date (YYYY-MM-DD) or an RFC 3339 time", name);
		return 0;
	}
	return 1;
}

void
api_dashboard(struct api_ctx *c)
{
	struct store_dash_filter f;
	const char *tag = api_query(c, "tag");

	memset(&f, 0, sizeof(f));
	f.workspace_id = c->p.workspace_id;
	f.site = api_query(c, "site");
	if (!rep_time(c, "from", &f.from) || !rep_time(c, "to", &f.to))
		return;
	if (tag != NULL) {
		char *end;

		f.tag_id = strtoll(tag, &end, 10);
		if (*end != '\0' || f.tag_id <= 0) {
			api_error(c, ERR_INVALID, "tag must be a tag id");
			return;
		}
	}
	if (c->p.sites != NULL && (f.site == NULL || !json_array_size(c->p.sites))) {
		/* A site-scoped member sees their first site unless they pick one of theirs. */
		f.site = json_string_value(json_array_get(c->p.sites, 0));
	}
	if (c->p.sites != NULL) {
		size_t i;
		int ok = 0;

		for (i = 0; i < json_array_size(c->p.sites); i++)
			ok |= strcmp(json_string_value(json_array_get(c->p.sites, i)), f.site) == 0;
		if (!ok) {
			api_error(c, ERR_FORBIDDEN, "you can see only your own sites");
			return;
		}
	}
	{
		json_t *d = ST(c->s, dashboard, &f);

		if (d == NULL) {
			api_error(c, ERR_STORE, "the dashboard could not be computed");
			return;
		}
		api_json(c, 200, d);
	}
}

/* Open and needs-human threads with their last message, owner and wait. */
void
api_handover(struct api_ctx *c)
{
	struct store_conv_filter f;
	json_t *rows, *members, *out = json_array();
	int64_t now = util_now_ms();
	size_t i, k;

	memset(&f, 0, sizeof(f));
	f.workspace_id = c->p.workspace_id;
	f.sites_allowed = c->p.sites;
	f.status[0] = "needs_human";
	f.status[1] = "open";
	f.n_status = 2;
	f.asc = 1; /* longest waiting first */
	f.limit = 500;
	rows = ST(c->s, conv_list, &f, &c->ei);
	members = ST(c->s, member_list, c->p.workspace_id);
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i), *last = ST(c->s, msg_last, jsonx_str(r, "id"), NULL);
		const char *owner = NULL;

		for (k = 0; jsonx_str(r, "assignee_id") && k < json_array_size(members); k++)
			if (strcmp(jsonx_str(json_array_get(members, k), "id"), jsonx_str(r, "assignee_id")) == 0)
				owner = jsonx_str(json_array_get(members, k), "email");
		json_array_append_new(out, json_pack("{s:O,s:O,s:O,s:O,s:O,s:s?,s:I,s:O?,s:O?}",
		    "id", json_object_get(r, "id"), "number", json_object_get(r, "number"), "status",
		    json_object_get(r, "status"), "site", json_object_get(r, "site"), "handoff_reason",
		    json_object_get(r, "handoff_reason"), "owner", owner, "waiting_s",
		    (json_int_t)((now - jsonx_int(r, "updated_at", now)) / 1000), "last_message",
		    last ? json_object_get(last, "body") : NULL, "last_author", last ? json_object_get(last, "author_kind") : NULL));
		json_decref(last);
	}
	json_decref(rows);
	json_decref(members);
	api_json(c, 200, json_pack("{s:o,s:s}", "items", out, "generated_at", ""));
	{
		char ts[32];
		json_t *o = json_loads(c->rs->body, 0, NULL);

		util_rfc3339(now, ts);
		json_object_set_new(o, "generated_at", json_string(ts));
		api_json(c, 200, o);
	}
}

/* Conversations waiting on the team (needs_human) longer than the limit. */
void
api_stale(struct api_ctx *c)
{
	json_t *set = inbox_settings(c->s, c->p.workspace_id), *rows;
	int64_t limit_min = jsonx_int(set, "stale_minutes", 120);
	struct store_conv_filter f;
	size_t i;

	json_decref(set);
	memset(&f, 0, sizeof(f));
	f.workspace_id = c->p.workspace_id;
	f.sites_allowed = c->p.sites;
	f.status[0] = "needs_human";
	f.n_status = 1;
	f.updated_to = util_now_ms() - limit_min * 60 * 1000;
	f.asc = 1;
	f.limit = 500;
	rows = ST(c->s, conv_list, &f, &c->ei);
	for (i = 0; i < json_array_size(rows); i++)
		jsonx_present(json_array_get(rows, i));
	api_json(c, 200, json_pack("{s:o,s:I}", "items", rows, "stale_minutes", (json_int_t)limit_min));
}

/* RFC 4180 field: quoted when it holds a comma, quote or line break. A
 * leading = + - @ is prefixed with ' so spreadsheets do not run it. */
static void
rep_csv_field(struct buf *b, const json_t *v, int first)
{
	char num[64];
	const char *s = num;
	size_t n;
	int quote;

	if (!first)
		buf_puts(b, ",");
	if (v == NULL || json_is_null(v))
		return;
	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v))
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%.3f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(num, sizeof(num), "%s", json_is_true(v) ? "true" : "false");
	else
		return;
	n = strlen(s);
	quote = strpbrk(s, ",\"\r\n") != NULL || (json_is_string(v) && n > 0 && strchr("=+-@", s[0]));
	if (quote)
		buf_puts(b, "\"");
	if (json_is_string(v) && n > 0 && strchr("=+-@", s[0]))
		buf_puts(b, "'");
	while (n > 0) { /* the text between quotes in one piece, each quote doubled */
		const char *q = memchr(s, '"', n);
		size_t run = q ? (size_t)(q - s) + 1 : n;

		buf_append(b, s, run);
		if (q != NULL)
			buf_puts(b, "\"");
		s += run;
		n -= run;
	}
	if (quote)
		buf_puts(b, "\"");
}

static void
rep_csv_row(struct buf *b, json_t *row, const char *const *cols)
{
	size_t i;

	for (i = 0; cols[i]; i++)
		rep_csv_field(b, json_object_get(row, cols[i]), i == 0);
	buf_puts(b, "\r\n");
}

static void
rep_export(struct api_ctx *c, int messages)
{
	static const char *const ccols[] = {"number", "id", "status", "mode", "channel", "site", "protocol", "priority",
		"assignee", "created_at", "handoff_at", "first_human_reply_at", "resolved_at", "handoff_reason", "handoff_phrase", "tags", NULL};
	static const char *const mcols[] = {"id", "number", "conversation_id", "author_kind", "author", "internal", "body",
		"confidence", "handoff_reason", "citations_text", "created_at", NULL};
	const char *const *cols = messages ? mcols : ccols;
	int64_t from, to, after = 0;
	struct buf b;
	char actor[128], disp[96];
	size_t i;

	if (!rep_time(c, "from", &from) || !rep_time(c, "to", &to))
		return;
	buf_init(&b, EXPORT_MAX);
	for (i = 0; cols[i]; i++)
		buf_printf(&b, "%s%s", i ? "," : "", strcmp(cols[i], "citations_text") == 0 ? "citations" : cols[i]);
	buf_puts(&b, "\r\n");
	for (;;) {
		json_t *rows = messages ? ST(c->s, export_messages, c->p.workspace_id, from, to, after, 2000)
					: ST(c->s, export_conversations, c->p.workspace_id, from, to, after, 2000);

		if (json_array_size(rows) == 0) {
			json_decref(rows);
			break;
		}
		for (i = 0; i < json_array_size(rows); i++) {
			json_t *r = json_array_get(rows, i);

			after = jsonx_int(r, messages ? "id" : "number", after);
			jsonx_present(r);
			rep_csv_row(&b, r, cols);
		}
		json_decref(rows);
		if (b.len >= EXPORT_MAX - 1024 * 1024) {
			/* Never a silently cut export: say how to get all of it. */
			buf_free(&b);
			api_error(c, ERR_TOO_LARGE, "this export is larger than %d MB; choose a shorter period with from= and to= (YYYY-MM-DD)",
			    EXPORT_MAX / (1024 * 1024));
			return;
		}
	}
	ST(c->s, begin);
	inbox_audit(c->s, c->p.workspace_id, inbox_actor(&c->p, actor), messages ? "export.messages" : "export.conversations",
	    c->p.workspace_id, NULL, json_pack("{s:I,s:I,s:I}", "from", (json_int_t)from, "to", (json_int_t)to, "bytes", (json_int_t)b.len));
	ST(c->s, commit);
	c->rs->status = 200;
	c->rs->len = b.len;
	c->rs->body = buf_steal(&b);
	c->rs->content_type = "text/csv; charset=utf-8";
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.csv\"", messages ? "messages" : "conversations");
	api_header(c, "Content-Disposition", disp);
}

void
api_export_conversations(struct api_ctx *c)
{
	rep_export(c, 0);
}

void
api_export_messages(struct api_ctx *c)
{
	rep_export(c, 1);
}

static void
rep_html(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		case '\n': buf_puts(b, "<br>"); break;
		default: buf_append(b, s, 1); break;
		}
	}
}

/* A printable transcript: self-contained HTML, no scripts. */
void
api_transcript(struct api_ctx *c)
{
	json_t *conv = inbox_conv_get(c->s, &c->p, c->params[0], &c->ei), *msgs;
	struct buf b;
	char ts[32], actor[128];
	size_t i;

	if (conv == NULL) {
		api_fail(c);
		return;
	}
	msgs = ST(c->s, msg_list, c->params[0], 1, 0, 100000);
	buf_init(&b, 64 * 1024 * 1024);
	buf_printf(&b, "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Conversation #%lld</title>"
	    "<link rel=\"stylesheet\" href=\"/transcript.css\"><body><h1>Conversation #%lld</h1><p class=\"meta\">",
	    (long long)jsonx_int(conv, "number", 0), (long long)jsonx_int(conv, "number", 0));
	rep_html(&b, jsonx_str(conv, "channel"));
	buf_puts(&b, " &middot; site ");
	rep_html(&b, jsonx_str(conv, "site") ? jsonx_str(conv, "site") : "none");
	buf_puts(&b, " &middot; status ");
	rep_html(&b, jsonx_str(conv, "status"));
	util_rfc3339(jsonx_int(conv, "created_at", 0), ts);
	buf_printf(&b, " &middot; started %s</p>", ts);
	for (i = 0; i < json_array_size(msgs); i++) {
		json_t *m = json_array_get(msgs, i);

		util_rfc3339(jsonx_int(m, "created_at", 0), ts);
		buf_printf(&b, "<section class=\"msg %s%s\"><h2>%s%s <time>%s</time></h2><p>", jsonx_str(m, "author_kind"),
		    jsonx_int(m, "internal", 0) ? " note" : "", jsonx_str(m, "author_kind"),
		    jsonx_int(m, "internal", 0) ? " (internal note)" : "", ts);
		rep_html(&b, jsonx_str(m, "body"));
		buf_puts(&b, "</p>");
		if (json_is_number(json_object_get(m, "confidence")))
			buf_printf(&b, "<p class=\"conf\">confidence %.2f%s%s</p>", json_number_value(json_object_get(m, "confidence")),
			    jsonx_str(m, "handoff_reason") ? " &middot; handed off: " : "", jsonx_str(m, "handoff_reason") ? jsonx_str(m, "handoff_reason") : "");
		{
			json_t *cits = json_object_get(m, "citations");
			size_t k;

			for (k = 0; k < json_array_size(cits); k++) {
				json_t *ci = json_array_get(cits, k);

				buf_puts(&b, "<p class=\"cite\">Source: ");
				rep_html(&b, jsonx_str(ci, "document"));
				buf_puts(&b, ", ");
				rep_html(&b, jsonx_str(ci, "section"));
				buf_printf(&b, ", page %lld</p>", (long long)jsonx_int(ci, "page", 0));
			}
		}
		buf_puts(&b, "</section>");
	}
	buf_puts(&b, "</body></html>\n");
	ST(c->s, begin);
	inbox_audit(c->s, c->p.workspace_id, inbox_actor(&c->p, actor), "export.transcript", c->params[0], NULL, NULL);
	ST(c->s, commit);
	json_decref(msgs);
	json_decref(conv);
	c->rs->status = 200;
	c->rs->len = b.len;
	c->rs->body = buf_steal(&b);
	c->rs->content_type = "text/html; charset=utf-8";
	api_header(c, "Content-Security-Policy", "default-src 'none'; style-src 'self'");
}

void
api_usage(struct api_ctx *c)
{
	const char *month = api_query(c, "month"), *fmt;
	char buf[32];
	int64_t from, to;
	int y, m;
	json_t *u;

	if (month == NULL) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m", &tm);
		month = buf;
	}
	if (strlen(month) != 7 || sscanf(month, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12) {
		api_error(c, ERR_INVALID, "month must be YYYY-MM");
		return;
	}
	{
		char d1[16], d2[16];

		snprintf(d1, sizeof(d1), "%04d-%02d-01", y, m);
		snprintf(d2, sizeof(d2), "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
		util_parse_time(d1, &from);
		util_parse_time(d2, &to);
	}
	u = ST(c->s, usage, c->p.workspace_id, from, to);
	json_object_set_new(u, "month", json_string(month));
	json_object_set_new(u, "workspace_id", json_string(c->p.workspace_id));
	fmt = api_query(c, "format");
	if (fmt != NULL && strcmp(fmt, "csv") == 0) {
		/* W5: the month's usage as one CSV row, for billing; audited like every export. */
		struct buf b;
		char actor[128], disp[96];

		buf_init(&b, 1024);
		buf_printf(&b, "workspace_id,month,conversations,agent_answers,handoffs,documents,storage_bytes\r\n%s,%s,%lld,%lld,%lld,%lld,%lld\r\n",
		    c->p.workspace_id, month, (long long)jsonx_int(u, "conversations", 0), (long long)jsonx_int(u, "agent_answers", 0),
		    (long long)jsonx_int(u, "handoffs", 0), (long long)jsonx_int(u, "documents", 0), (long long)jsonx_int(u, "storage_bytes", 0));
		ST(c->s, begin);
		inbox_audit(c->s, c->p.workspace_id, inbox_actor(&c->p, actor), "export.usage", c->p.workspace_id, NULL,
		    json_pack("{s:s}", "month", month));
		ST(c->s, commit);
		json_decref(u);
		c->rs->status = 200;
		c->rs->len = b.len;
		c->rs->body = buf_steal(&b);
		c->rs->content_type = "text/csv; charset=utf-8";
		snprintf(disp, sizeof(disp), "attachment; filename=\"usage-%s.csv\"", month);
		api_header(c, "Content-Disposition", disp);
		return;
	}
	if (fmt != NULL && strcmp(fmt, "json") != 0) {
		json_decref(u);
		api_error(c, ERR_INVALID, "format must be json or csv");
		return;
	}
	api_json(c, 200, u);
}
