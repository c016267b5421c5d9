/* channels_imap.c: reading a mailbox over IMAP with libcurl. libcurl does
 * the connection, TLS (imaps or STARTTLS) and the login (CONNECT_ONLY); the
 * few commands after that go over curl_easy_send/recv, because libcurl's own
 * FETCH uses BODY[] and so marks a message \Seen before Baton has stored it.
 * Here a message is fetched with BODY.PEEK[] and flagged \Seen only after
 * the callback says it is stored: a crash in between means it is fetched
 * again, and the Message-ID makes the second copy a recorded duplicate. */
#include <curl/curl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "channels_int.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/util.h"

#define IMAP_LINE_MAX (64 * 1024)
#define IMAP_UIDS_MAX 200
#define IMAP_TIMEOUT_MS 30000

struct imap {
	CURL *c;
	struct buf in;   /* received bytes not yet consumed */
	int tag;
	char tagstr[16];
};

/* Literal handler: called for each untagged line, with its literal if any. */
typedef void (*imap_line_fn)(void *ctx, const char *line, const char *lit, size_t litlen, int lit_too_large);

err_t
channels_imap_curl_err(CURLcode rc, const char *what, struct errinfo *ei)
{
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return err_set(ei, ERR_UNAUTHORIZED, "%s: login denied; check the user name and password", what);
	case CURLE_COULDNT_RESOLVE_HOST:
		return err_set(ei, ERR_IO, "%s: the host name does not resolve", what);
	case CURLE_COULDNT_CONNECT:
		return err_set(ei, ERR_IO, "%s: cannot connect to the server (is the host and port right?)", what);
	case CURLE_OPERATION_TIMEDOUT:
		return err_set(ei, ERR_TIMEOUT, "%s: the server did not answer in time", what);
	case CURLE_USE_SSL_FAILED:
		return err_set(ei, ERR_IO, "%s: the server does not offer STARTTLS", what);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return err_set(ei, ERR_IO, "%s: the TLS handshake failed (%s)", what, curl_easy_strerror(rc));
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return err_set(ei, ERR_INVALID, "%s: the URL is not valid", what);
	default:
		return err_set(ei, ERR_IO, "%s: %s", what, curl_easy_strerror(rc));
	}
}

static err_t
imap_wait(struct imap *im, int for_recv)
{
	curl_socket_t fd = CURL_SOCKET_BAD;
	struct pollfd p;

	if (curl_easy_getinfo(im->c, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD)
		return ERR_IO;
	p.fd = fd;
	p.events = for_recv ? POLLIN : POLLOUT;
	p.revents = 0;
	return poll(&p, 1, IMAP_TIMEOUT_MS) > 0 ? ERR_OK : ERR_TIMEOUT;
}

static err_t
imap_send(struct imap *im, const char *fmt, ...)
{
	char cmd[1024];
	size_t off = 0, n;
	va_list ap;
	int k;

	im->tag++;
	snprintf(im->tagstr, sizeof(im->tagstr), "B%04d", im->tag);
	k = snprintf(cmd, sizeof(cmd), "%s ", im->tagstr);
	va_start(ap, fmt);
	k += vsnprintf(cmd + k, sizeof(cmd) - (size_t)k - 2, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(cmd) - 2)
		return ERR_INVALID;
	memcpy(cmd + k, "\r\n", 3);
	n = (size_t)k + 2;
	while (off < n) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(im->c, cmd + off, n - off, &sent);

		if (rc == CURLE_AGAIN) {
			if (imap_wait(im, 0))
				return ERR_TIMEOUT;
			continue;
		}
		if (rc != CURLE_OK)
			return ERR_IO;
		off += sent;
	}
	return ERR_OK;
}

/* Make at least want bytes available in im->in. */
static err_t
imap_fill(struct imap *im, size_t want)
{
	char tmp[16384];

	while (im->in.len < want) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(im->c, tmp, sizeof(tmp), &got);

		if (rc == CURLE_AGAIN) {
			if (imap_wait(im, 1))
				return ERR_TIMEOUT;
			continue;
		}
		if (rc != CURLE_OK || got == 0)
			return ERR_IO;
		if (buf_append(&im->in, tmp, got))
			return ERR_TOO_LARGE;
	}
	return ERR_OK;
}

static void
imap_consume(struct imap *im, size_t n)
{
	memmove(im->in.p, im->in.p + n, im->in.len - n);
	im->in.len -= n;
	im->in.p[im->in.len] = '\0';
}

/* One line without CRLF into line (capped). */
static err_t
imap_line(struct imap *im, char *line, size_t max)
{
	for (;;) {
		char *e = im->in.len ? memchr(im->in.p, '\n', im->in.len) : NULL;

		if (e != NULL) {
			size_t n = (size_t)(e - im->in.p), k = n;

			if (k > 0 && im->in.p[k - 1] == '\r')
				k--;
			if (k >= max)
				k = max - 1;
			memcpy(line, im->in.p, k);
			line[k] = '\0';
			imap_consume(im, n + 1);
			return ERR_OK;
		}
		if (im->in.len > IMAP_LINE_MAX)
			return ERR_TOO_LARGE;
		if (imap_fill(im, im->in.len + 1))
			return ERR_IO;
	}
}

/* Run a command to its tagged answer. Untagged lines go to fn, with the
 * literal that ends them ({N}) read whole; literals over the cap are read
 * and dropped. */
static err_t
imap_cmd(struct imap *im, imap_line_fn fn, void *ctx, struct errinfo *ei, const char *fmt, ...)
{
	char cmd[1024], line[IMAP_LINE_MAX];
	va_list ap;
	err_t err;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	err = imap_send(im, "%s", cmd);
	if (err)
		return err_set(ei, err, "IMAP: cannot send a command");
	for (;;) {
		size_t tl = strlen(im->tagstr), n;
		char *brace;

		err = imap_line(im, line, sizeof(line));
		if (err)
			return err_set(ei, err, "IMAP: the connection broke during %.20s", cmd);
		if (strncmp(line, im->tagstr, tl) == 0 && line[tl] == ' ') {
			if (strncmp(line + tl + 1, "OK", 2) == 0)
				return ERR_OK;
			return err_set(ei, ERR_IO, "IMAP: the server refused %.30s: %.120s", cmd, line + tl + 1);
		}
		n = strlen(line);
		brace = n > 2 && line[n - 1] == '}' ? strrchr(line, '{') : NULL;
		if (brace != NULL) {
			char *end;
			unsigned long long lit = strtoull(brace + 1, &end, 10);
			int too_large = lit > MAIL_RAW_MAX;
			char *data = NULL;

			if (*end == '+')
				end++;
			if (*end != '}')
				return err_set(ei, ERR_IO, "IMAP: malformed literal");
			if (too_large) {
				size_t left = (size_t)lit;

				while (left > 0) {
					size_t chunk;

					if (im->in.len == 0 && imap_fill(im, 1))
						return err_set(ei, ERR_IO, "IMAP: the connection broke in a literal");
					chunk = im->in.len < left ? im->in.len : left;
					imap_consume(im, chunk);
					left -= chunk;
				}
			} else {
				if (imap_fill(im, (size_t)lit))
					return err_set(ei, ERR_IO, "IMAP: the connection broke in a literal");
				data = xmalloc((size_t)lit + 1);
				memcpy(data, im->in.p, (size_t)lit);
				data[lit] = '\0';
				imap_consume(im, (size_t)lit);
			}
			if (fn != NULL)
				fn(ctx, line, data, too_large ? 0 : (size_t)lit, too_large);
			free(data);
			/* The rest of the response (")" and more) follows on its line. */
			continue;
		}
		if (fn != NULL && line[0] == '*')
			fn(ctx, line, NULL, 0, 0);
	}
}

static err_t
imap_open(const struct mailbox_cfg *cfg, struct imap *im, struct errinfo *ei)
{
	CURLcode rc;

	memset(im, 0, sizeof(*im));
	buf_init(&im->in, MAIL_RAW_MAX + IMAP_LINE_MAX + 65536);
	im->c = curl_easy_init();
	if (im->c == NULL)
		return err_set(ei, ERR_INTERNAL, "IMAP: cannot start libcurl");
	curl_easy_setopt(im->c, CURLOPT_URL, cfg->imap_url);
	curl_easy_setopt(im->c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(im->c, CURLOPT_USERNAME, cfg->username);
	curl_easy_setopt(im->c, CURLOPT_PASSWORD, cfg->password);
	curl_easy_setopt(im->c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(im->c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(im->c, CURLOPT_NOSIGNAL, 1L);
	if (cfg->starttls)
		curl_easy_setopt(im->c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	rc = curl_easy_perform(im->c);
	if (rc != CURLE_OK)
		return channels_imap_curl_err(rc, "IMAP", ei);
	return ERR_OK;
}

static void
imap_close(struct imap *im)
{
	if (im->c != NULL)
		curl_easy_cleanup(im->c);
	buf_free(&im->in);
	im->c = NULL;
}

struct imap_search {
	uint32_t uids[IMAP_UIDS_MAX];
	int n;
};

static void
imap_search_line(void *ctx, const char *line, const char *lit, size_t litlen, int too_large)
{
	struct imap_search *s = ctx;
	const char *p;

	if (strncmp(line, "* SEARCH", 8) != 0)
		return;
	p = line + 8;
	while (*p && s->n < IMAP_UIDS_MAX) {
		char *end;
		unsigned long v;

		while (*p == ' ')
			p++;
		v = strtoul(p, &end, 10);
		if (end == p)
			break;
		if (v > 0 && v <= 0xffffffffUL)
			s->uids[s->n++] = (uint32_t)v;
		p = end;
	}
}

struct imap_fetch {
	char *data;
	size_t len;
	int got, too_large;
};

static void
imap_fetch_line(void *ctx, const char *line, const char *lit, size_t litlen, int too_large)
{
	struct imap_fetch *f = ctx;

	if (f->got || strstr(line, "FETCH") == NULL || strstr(line, "BODY[]") == NULL)
		return;
	f->got = 1;
	f->too_large = too_large;
	if (lit != NULL) {
		f->data = xmalloc(litlen + 1);
		memcpy(f->data, lit, litlen);
		f->data[litlen] = '\0';
		f->len = litlen;
	}
}

static void
imap_quote(char *out, size_t n, const char *s)
{
	size_t o = 0;

	if (n < 3)
		return;
	out[o++] = '"';
	for (; *s && o + 3 < n; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		if ((unsigned char)*s >= 0x20)
			out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
}

err_t
channels_imap_poll(const struct mailbox_cfg *cfg, imap_msg_fn fn, void *ctx, struct errinfo *ei)
{
	struct imap im;
	struct imap_search srch;
	char folder[300];
	err_t err;
	int i;

	memset(&srch, 0, sizeof(srch));
	err = imap_open(cfg, &im, ei);
	if (err)
		goto out;
	imap_quote(folder, sizeof(folder), cfg->folder[0] ? cfg->folder : "INBOX");
	err = imap_cmd(&im, NULL, NULL, ei, "SELECT %s", folder);
	if (!err)
		err = imap_cmd(&im, imap_search_line, &srch, ei, "UID SEARCH UNSEEN");
	for (i = 0; !err && i < srch.n; i++) {
		struct imap_fetch f;

		memset(&f, 0, sizeof(f));
		err = imap_cmd(&im, imap_fetch_line, &f, ei, "UID FETCH %u (BODY.PEEK[])", srch.uids[i]);
		if (!err && f.got && fn(ctx, srch.uids[i], f.data, f.len, f.too_large) == 0)
			err = imap_cmd(&im, NULL, NULL, ei, "UID STORE %u +FLAGS.SILENT (\\Seen)", srch.uids[i]);
		free(f.data);
	}
	if (!err)
		imap_cmd(&im, NULL, NULL, NULL, "LOGOUT");
out:
	imap_close(&im);
	return err;
}

err_t
channels_imap_check(const struct mailbox_cfg *cfg, struct errinfo *ei)
{
	struct imap im;
	char folder[300];
	err_t err = imap_open(cfg, &im, ei);

	if (!err) {
		imap_quote(folder, sizeof(folder), cfg->folder[0] ? cfg->folder : "INBOX");
		err = imap_cmd(&im, NULL, NULL, ei, "EXAMINE %s", folder);
		if (err)
			err_set(ei, err, "IMAP: the folder %s cannot be opened", folder);
		else
			imap_cmd(&im, NULL, NULL, NULL, "LOGOUT");
	}
	imap_close(&im);
	return err;
}
