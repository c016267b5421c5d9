/* channels_smtp.c: sending mail with libcurl's SMTP (STARTTLS or smtps,
 * AUTH when credentials are set), and the "check connection" login. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "channels_int.h"

struct smtp_src {
	const char *p;
	size_t left;
};

static size_t
smtp_read(char *out, size_t size, size_t n, void *ctx)
{
	struct smtp_src *s = ctx;
	size_t k = size * n < s->left ? size * n : s->left;

	memcpy(out, s->p, k);
	s->p += k;
	s->left -= k;
	return k;
}

static CURL *
smtp_handle(const struct mailbox_cfg *cfg)
{
	CURL *c = curl_easy_init();
	const char *at = strrchr(cfg->address, '@');
	char url[600];

	if (c == NULL)
		return NULL;
	/* The EHLO name is the URL's path: the sending domain. */
	snprintf(url, sizeof(url), "%s/%s", cfg->smtp_url, at ? at + 1 : "localhost");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (cfg->username[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password);
	}
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (cfg->starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	return c;
}

err_t
channels_smtp_check(const struct mailbox_cfg *cfg, struct errinfo *ei)
{
	CURL *c = smtp_handle(cfg);
	CURLcode rc;
	err_t err = ERR_OK;

	if (c == NULL)
		return err_set(ei, ERR_INTERNAL, "SMTP: cannot start libcurl");
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		err = channels_imap_curl_err(rc, "SMTP", ei);
	curl_easy_cleanup(c);
	return err;
}

err_t
channels_smtp_send(const struct mailbox_cfg *cfg, const char *rcpt, const char *msg, struct errinfo *ei)
{
	CURL *c = smtp_handle(cfg);
	struct curl_slist *to = NULL;
	struct smtp_src src = {msg, strlen(msg)};
	char from[300];
	CURLcode rc;
	err_t err = ERR_OK;

	if (c == NULL)
		return err_set(ei, ERR_INTERNAL, "SMTP: cannot start libcurl");
	snprintf(from, sizeof(from), "<%s>", cfg->address);
	to = curl_slist_append(to, rcpt);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		err = channels_imap_curl_err(rc, "SMTP", ei);
	curl_slist_free_all(to);
	curl_easy_cleanup(c);
	return err;
}
