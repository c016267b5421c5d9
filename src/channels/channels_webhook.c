/* channels_webhook.c: outgoing webhooks. Every bus event of a workspace is
 * written to the delivery log of each matching webhook, then POSTed with
 * libcurl, signed with HMAC-SHA256 ("X-Baton-Signature: t=<s>,v1=<hex>" over
 * "<t>.<body>"), and retried with exponential backoff until a 2xx answer or
 * the attempts run out. Admins see the log and can replay a delivery. The
 * payload is generic JSON, or Slack-compatible ({"text": ...}). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"

#define WEBHOOK_ATTEMPTS 8

void
channels_webhook_sign(const char *secret, int64_t t, const char *body, size_t n, char out[96])
{
	char *msg = xmalloc(n + 32), hex[65];
	int k = snprintf(msg, 32, "%lld.", (long long)t);

	memcpy(msg + k, body, n);
	util_hmac_sha256_hex(secret, strlen(secret), msg, (size_t)k + n, hex);
	snprintf(out, 96, "t=%lld,v1=%s", (long long)t, hex);
	free(msg);
}

static int
webhook_matches(const json_t *events, const char *type)
{
	size_t i;

	if (!json_is_array(events) || json_array_size(events) == 0)
		return 1;
	for (i = 0; i < json_array_size(events); i++) {
		const char *p = json_string_value(json_array_get(events, i));
		size_t n;

		if (p == NULL)
			continue;
		n = strlen(p);
		if (strcmp(p, "*") == 0 || strcmp(p, type) == 0 ||
		    (n > 2 && strcmp(p + n - 2, ".*") == 0 && strncmp(p, type, n - 1) == 0))
			return 1;
	}
	return 0;
}

static char *
webhook_slack(const char *type, json_t *data)
{
	json_t *conv = json_object_get(data, "conversation"), *msg = json_object_get(data, "message");
	char text[1200];
	json_t *o;
	char *out;

	if (msg != NULL)
		snprintf(text, sizeof(text), "New %s message in conversation %s: %.900s",
		    jsonx_str(msg, "author_kind") ? jsonx_str(msg, "author_kind") : "", jsonx_str(data, "conversation_id") ? jsonx_str(data, "conversation_id") : "",
		    jsonx_str(msg, "body") ? jsonx_str(msg, "body") : "");
	else if (strcmp(type, "conversation.handoff") == 0 && conv != NULL)
		snprintf(text, sizeof(text), ":rotating_light: Conversation #%lld needs a person (%s): %.600s",
		    (long long)jsonx_int(conv, "number", 0), jsonx_str(conv, "handoff_reason") ? jsonx_str(conv, "handoff_reason") : "handoff",
		    jsonx_str(conv, "preview") ? jsonx_str(conv, "preview") : "");
	else if (conv != NULL)
		snprintf(text, sizeof(text), "Conversation #%lld: %s (%s, %s)", (long long)jsonx_int(conv, "number", 0), type,
		    jsonx_str(conv, "status") ? jsonx_str(conv, "status") : "", jsonx_str(conv, "mode") ? jsonx_str(conv, "mode") : "");
	else
		snprintf(text, sizeof(text), "Baton event %s", type);
	o = json_pack("{s:s}", "text", text);
	out = jsonx_dump(o);
	json_decref(o);
	return out;
}

void
channels_webhook_enqueue(struct store *s, const char *ws, const char *type, const char *data, int64_t now)
{
	json_t *hooks = ST(s, webhook_list, ws), *d = NULL;
	size_t i;
	char ts[32];

	if (json_array_size(hooks) == 0)
		goto out;
	d = json_loads(data, 0, NULL);
	if (d == NULL)
		goto out;
	/* Internal notes stay inside Baton. */
	if (json_is_true(json_object_get(json_object_get(d, "message"), "internal")))
		goto out;
	util_rfc3339(now, ts);
	for (i = 0; i < json_array_size(hooks); i++) {
		json_t *h = json_array_get(hooks, i), *row, *payload;
		char *body;

		if (!jsonx_int(h, "enabled", 1) || !webhook_matches(json_object_get(h, "events"), type))
			continue;
		if (strcmp(jsonx_str(h, "format"), "slack") == 0) {
			body = webhook_slack(type, d);
		} else {
			payload = json_pack("{s:s,s:s,s:s,s:O}", "type", type, "workspace_id", ws, "created_at", ts, "data", d);
			body = jsonx_dump(payload);
			json_decref(payload);
		}
		row = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:I,s:I}", "webhook_id", (json_int_t)jsonx_int(h, "id", 0),
		    "workspace_id", ws, "event_type", type, "payload", body, "status", "pending", "attempts", 0,
		    "next_at", (json_int_t)now, "created_at", (json_int_t)now);
		if (ST(s, delivery_add, row) < 0)
			log_warnx("webhook: cannot record a delivery for hook %lld", (long long)jsonx_int(h, "id", 0));
		json_decref(row);
		free(body);
	}
out:
	json_decref(d);
	json_decref(hooks);
}

static size_t
webhook_sink(char *p, size_t size, size_t n, void *ctx)
{
	return size * n;
}

int64_t
channels_webhook_backoff_ms(int64_t attempts)
{
	const char *env = getenv("BATON_WEBHOOK_BACKOFF_MS");
	int64_t base = env ? strtoll(env, NULL, 10) : 5000;

	if (base < 10 || base > 3600000)
		base = 5000;
	if (attempts > 12)
		attempts = 12;
	return base << (attempts - 1);
}

int
channels_webhook_run(struct store *s, int64_t now)
{
	json_t *due = ST(s, delivery_due, now, 20);
	size_t i;
	int n = 0;

	for (i = 0; i < json_array_size(due); i++) {
		json_t *d = json_array_get(due, i), *f;
		const char *payload = jsonx_str(d, "payload");
		int64_t attempts = jsonx_int(d, "attempts", 0) + 1, t = util_now_ms() / 1000;
		char sig[96], hdr[160], idh[64], errbuf[CURL_ERROR_SIZE] = "";
		struct curl_slist *h = NULL;
		CURL *c = curl_easy_init();
		long status = 0;
		CURLcode rc = CURLE_FAILED_INIT;

		channels_webhook_sign(jsonx_str(d, "secret"), t, payload, strlen(payload), sig);
		if (c != NULL) {
			h = curl_slist_append(h, "Content-Type: application/json");
			snprintf(hdr, sizeof(hdr), "X-Baton-Signature: %s", sig);
			h = curl_slist_append(h, hdr);
			snprintf(hdr, sizeof(hdr), "X-Baton-Event: %.100s", jsonx_str(d, "event_type"));
			h = curl_slist_append(h, hdr);
			snprintf(idh, sizeof(idh), "X-Baton-Delivery: %lld", (long long)jsonx_int(d, "id", 0));
			h = curl_slist_append(h, idh);
			curl_easy_setopt(c, CURLOPT_URL, jsonx_str(d, "url"));
			curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
			curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
			curl_easy_setopt(c, CURLOPT_USERAGENT, "Baton-Webhook/1");
			curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
			curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
			curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, webhook_sink);
			curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
			rc = curl_easy_perform(c);
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			curl_slist_free_all(h);
			curl_easy_cleanup(c);
		}
		if (rc == CURLE_OK && status >= 200 && status < 300) {
			f = json_pack("{s:s,s:I,s:i,s:I,s:n}", "status", "delivered", "attempts", (json_int_t)attempts,
			    "last_status", (int)status, "delivered_at", (json_int_t)util_now_ms(), "last_error");
		} else {
			char e[300];

			if (rc != CURLE_OK)
				snprintf(e, sizeof(e), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
			else
				snprintf(e, sizeof(e), "HTTP %ld", status);
			f = json_pack("{s:s,s:I,s:i,s:I,s:s}", "status", attempts >= WEBHOOK_ATTEMPTS ? "failed" : "pending",
			    "attempts", (json_int_t)attempts, "last_status", (int)status, "next_at",
			    (json_int_t)(util_now_ms() + channels_webhook_backoff_ms(attempts)), "last_error", e);
		}
		ST(s, delivery_update, jsonx_int(d, "id", 0), f);
		json_decref(f);
		n++;
	}
	json_decref(due);
	return n;
}

err_t
channels_webhook_replay(struct store *s, const char *ws, int64_t delivery_id, json_t **out, struct errinfo *ei)
{
	json_t *d = ST(s, delivery_get, ws, delivery_id), *row;
	int64_t now = util_now_ms(), id;

	if (d == NULL)
		return err_set(ei, ERR_NOT_FOUND, "no such delivery");
	row = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:I}", "webhook_id", (json_int_t)jsonx_int(d, "webhook_id", 0),
	    "workspace_id", ws, "event_type", jsonx_str(d, "event_type"), "payload", jsonx_str(d, "payload"),
	    "status", "pending", "attempts", 0, "next_at", (json_int_t)now, "replay_of", (json_int_t)delivery_id,
	    "created_at", (json_int_t)now);
	id = ST(s, delivery_add, row);
	json_decref(row);
	json_decref(d);
	if (id < 0)
		return err_set(ei, ERR_STORE, "could not queue the replay");
	*out = ST(s, delivery_get, ws, id);
	jsonx_present(*out);
	return ERR_OK;
}
