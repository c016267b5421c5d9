/* channels_writer.c: the optional answer writer (DESIGN A7, S4). When a
 * workspace names an OpenAI-compatible endpoint (llama.cpp, vLLM, Ollama or a
 * hosted API), the agent's extractive answer is rephrased from the passages it
 * cites: POST {base}/v1/chat/completions with temperature 0.
 *
 * Nothing leaves the process unredacted: the workspace's redaction patterns
 * (POSIX EREs, case-insensitive) replace their matches with "[redacted]" in
 * the question, the passages and the answer before the request is built.
 *
 * The reply is distrusted: it is refused when empty, longer than 120 words or
 * three times the extractive answer, or when it holds a number (digit run)
 * that neither the question nor the passages hold. Refusals, timeouts and
 * transport errors all leave the extractive answer in place; the reason goes
 * back to the agent (inbox_writer_req.why). The writer never decides whether
 * to answer: inbox_agent.c calls it only for answers the calibrated model let
 * through. */
#include <curl/curl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "inbox/inbox.h"

#define WRITER_REPLY_MAX (256 * 1024) /* the endpoint's whole response */
#define WRITER_WORDS_MAX 120
#define WRITER_GROWTH_MAX 3           /* reply words <= 3 x answer words */
#define WRITER_MAX_TOKENS 200
#define WRITER_PROMPT_MAX (1024 * 1024)

static const char *
writer_cstr(const struct buf *b)
{
	return b->p != NULL ? b->p : "";
}

static const char writer_system[] =
    "You rewrite a help desk's answer for a clinical study site. Use only the numbered passages. "
    "Keep it short: one to three sentences. Do not add facts, numbers, names, dates or citations "
    "that the passages do not contain. If the passages do not support a better wording, return the "
    "draft answer unchanged. Reply with the answer text only.";

const char channels_writer_mark[] = "[redacted]";

char *
channels_writer_redact(const json_t *patterns, const char *text, int *bad)
{
	char *cur = xstrdup(text ? text : "");
	size_t k;

	if (bad != NULL)
		*bad = 0;
	for (k = 0; k < json_array_size(patterns); k++) {
		const char *p = json_string_value(json_array_get(patterns, k)), *q;
		struct buf out;
		regmatch_t m;
		regex_t re;
		int flags = 0;

		if (p == NULL || *p == '\0' || regcomp(&re, p, REG_EXTENDED | REG_ICASE) != 0) {
			if (bad != NULL)
				*bad = 1; /* never send what a broken pattern should have hidden */
			continue;
		}
		/* Bound: every byte replaced by the mark. */
		buf_init(&out, (strlen(cur) + 1) * sizeof(channels_writer_mark));
		for (q = cur; *q != '\0';) {
			if (regexec(&re, q, 1, &m, flags) != 0) {
				buf_puts(&out, q);
				break;
			}
			if (m.rm_eo == m.rm_so) { /* an empty match hides nothing: step over one byte */
				buf_append(&out, q, (size_t)m.rm_so + 1);
				q += m.rm_so + 1;
			} else {
				buf_append(&out, q, (size_t)m.rm_so);
				buf_puts(&out, channels_writer_mark);
				q += m.rm_eo;
			}
			flags = REG_NOTBOL;
		}
		regfree(&re);
		free(cur);
		cur = buf_steal(&out);
	}
	return cur;
}

static int
writer_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1 when text holds the digit run r[0..n) as a whole run (not inside a longer one). */
static int
writer_has_run(const char *text, const char *r, size_t n)
{
	const char *t;

	if (text == NULL)
		return 0;
	for (t = text; *t != '\0'; t++)
		if (*t == r[0] && strncmp(t, r, n) == 0 && (t == text || !writer_isdigit(t[-1])) &&
		    !writer_isdigit(t[n]))
			return 1;
	return 0;
}

int
channels_writer_numbers_ok(const char *reply, const char *question, const char *const *passages,
    size_t n_passages)
{
	const char *p = reply;

	while (*p != '\0') {
		size_t n = 0, i;
		int found;

		if (!writer_isdigit(*p)) {
			p++;
			continue;
		}
		while (writer_isdigit(p[n]))
			n++;
		found = writer_has_run(question, p, n);
		for (i = 0; !found && i < n_passages; i++)
			found = writer_has_run(passages[i], p, n);
		if (!found)
			return 0;
		p += n;
	}
	return 1;
}

static size_t
writer_words(const char *s)
{
	size_t n = 0;
	int in = 0;

	for (; *s != '\0'; s++) {
		int sp = *s == ' ' || *s == '\n' || *s == '\r' || *s == '\t';

		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

const char *
channels_writer_check(const char *reply, const struct inbox_writer_req *rq)
{
	size_t words = writer_words(reply);

	if (words == 0)
		return "empty";
	if (words > WRITER_WORDS_MAX || words > WRITER_GROWTH_MAX * writer_words(rq->answer))
		return "too_long";
	if (!channels_writer_numbers_ok(reply, rq->question, rq->passages, rq->n_passages))
		return "new_number";
	return NULL;
}

const char *
channels_writer_parse(const char *body, size_t n, char **out)
{
	json_t *root = json_loadb(body, n, 0, NULL);
	json_t *msg = json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message");
	const char *txt = jsonx_str(msg, "content");
	const char *why = NULL;
	size_t a, b;

	*out = NULL;
	if (txt == NULL) {
		why = "malformed";
		goto out;
	}
	for (a = 0; txt[a] == ' ' || txt[a] == '\n' || txt[a] == '\r' || txt[a] == '\t'; a++)
		;
	for (b = strlen(txt); b > a && (txt[b - 1] == ' ' || txt[b - 1] == '\n' || txt[b - 1] == '\r' || txt[b - 1] == '\t'); b--)
		;
	if (b == a) {
		why = "empty";
		goto out;
	}
	*out = xstrndup(txt + a, b - a);
out:
	json_decref(root);
	return why;
}

char *
channels_writer_request(const struct inbox_writer_req *rq, int *bad)
{
	const json_t *pats = json_object_get(rq->settings, "redaction_patterns");
	struct buf user;
	json_t *req;
	char *q, *a, *out;
	size_t i;
	int b = 0;

	*bad = 0;
	buf_init(&user, WRITER_PROMPT_MAX);
	q = channels_writer_redact(pats, rq->question, &b);
	*bad |= b;
	buf_puts(&user, "Question: ");
	buf_puts(&user, q);
	buf_puts(&user, "\n\nPassages:\n");
	for (i = 0; i < rq->n_passages; i++) {
		char *p = channels_writer_redact(pats, rq->passages[i], &b);

		*bad |= b;
		buf_printf(&user, "[%zu] %s\n", i + 1, p);
		free(p);
	}
	a = channels_writer_redact(pats, rq->answer, &b);
	*bad |= b;
	buf_puts(&user, "\nDraft answer: ");
	buf_puts(&user, a);
	req = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}],s:f,s:i,s:b}", "model", jsonx_str(rq->settings, "writer_model") ? jsonx_str(rq->settings, "writer_model") : "",
	    "messages", "role", "system", "content", writer_system, "role", "user", "content", writer_cstr(&user),
	    "temperature", 0.0, "max_tokens", WRITER_MAX_TOKENS, "stream", 0);
	out = jsonx_dump(req);
	json_decref(req);
	free(q);
	free(a);
	buf_free(&user);
	return out;
}

char *
channels_writer_endpoint(const char *base)
{
	size_t n = strlen(base);
	char *out;

	while (n > 0 && base[n - 1] == '/')
		n--;
	out = xmalloc(n + 32);
	/* A base that already names the API version ("https://api.example/v1")
	 * is the usual way clients are configured; do not repeat it. */
	if (n >= 3 && strncmp(base + n - 3, "/v1", 3) == 0)
		snprintf(out, n + 32, "%.*s/chat/completions", (int)n, base);
	else
		snprintf(out, n + 32, "%.*s/v1/chat/completions", (int)n, base);
	return out;
}

static size_t
writer_sink(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	if (buf_append(b, p, size * n))
		return 0; /* over the cap: curl stops with CURLE_WRITE_ERROR */
	return size * n;
}

char *
channels_writer_rephrase(struct inbox_writer_req *rq)
{
	const char *key = jsonx_str(rq->settings, "writer_api_key");
	int64_t timeout = jsonx_int(rq->settings, "writer_timeout_ms", 8000);
	char *url = NULL, *body = NULL, *text = NULL, auth[1100], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	struct buf resp;
	CURL *c = NULL;
	CURLcode rc;
	long status = 0;
	int bad = 0;

	buf_init(&resp, WRITER_REPLY_MAX);
	rq->why = NULL;
	rq->detail[0] = '\0';
	if (timeout < 100 || timeout > 60000)
		timeout = 8000;
	body = channels_writer_request(rq, &bad);
	if (bad) {
		rq->why = "redaction_error";
		snprintf(rq->detail, sizeof(rq->detail), "a redaction pattern does not compile: nothing was sent");
		goto out;
	}
	c = curl_easy_init();
	if (c == NULL) {
		rq->why = "connect_error";
		snprintf(rq->detail, sizeof(rq->detail), "libcurl could not start");
		goto out;
	}
	url = channels_writer_endpoint(jsonx_str(rq->settings, "writer_url"));
	h = curl_slist_append(h, "Content-Type: application/json");
	if (key != NULL && *key != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Baton-Writer/1");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, writer_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		rq->why = "timeout";
		snprintf(rq->detail, sizeof(rq->detail), "no answer within %lld ms", (long long)timeout);
	} else if (rc == CURLE_WRITE_ERROR) {
		rq->why = "malformed";
		snprintf(rq->detail, sizeof(rq->detail), "the response is larger than %d bytes", WRITER_REPLY_MAX);
	} else if (rc != CURLE_OK) {
		rq->why = "connect_error";
		snprintf(rq->detail, sizeof(rq->detail), "%.150s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (status != 200) {
		rq->why = "http_error";
		snprintf(rq->detail, sizeof(rq->detail), "HTTP %ld", status);
	} else {
		rq->why = channels_writer_parse(writer_cstr(&resp), resp.len, &text);
		if (rq->why == NULL)
			rq->why = channels_writer_check(text, rq);
		if (rq->why != NULL) {
			free(text);
			text = NULL;
		}
	}
	if (text != NULL)
		rq->why = "used";
	else
		log_warnx("writer: %s%s%s; the extractive answer is sent", rq->why, rq->detail[0] ? ": " : "", rq->detail);
out:
	curl_slist_free_all(h);
	if (c != NULL)
		curl_easy_cleanup(c);
	free(url);
	free(body);
	buf_free(&resp);
	return text;
}
