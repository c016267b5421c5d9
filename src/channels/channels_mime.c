/* channels_mime.c: incoming mail through GMime: threading headers, sender,
 * text (charset-converted to UTF-8; HTML turned into plain text, never
 * rendered), attachments under size caps, and the recognition of mail that
 * must never be answered (auto-replies, bounces, delivery reports, lists).
 * Also the stripping of quoted history and signatures, and the builder of
 * outgoing text/plain replies. Everything from the wire is untrusted: every
 * string leaving this file is valid UTF-8 without NUL bytes. */
#include <ctype.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/util.h"

#define MIME_TEXT_MAX (4 * 1024 * 1024)
#define MIME_DEPTH_MAX 16

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

static void
mime_init_once(void)
{
	g_mime_init();
}

/* A copy that is valid UTF-8 without NUL or stray control bytes, CRLF folded
 * to LF, at most max bytes (cut at a character boundary). */
static char *
mime_clean(const char *s, size_t n, size_t max)
{
	/* An invalid byte becomes U+FFFD (3 bytes): the output can grow 3x. */
	char *out = xmalloc((n < max ? n : max) * 3 + 4);
	size_t i = 0, o = 0;

	while (i < n && o < max) {
		unsigned char c = (unsigned char)s[i];
		size_t k = 0;

		if (c < 0x80) {
			i++;
			if (c == '\r') {
				if (i < n && s[i] == '\n')
					continue;
				c = '\n';
			}
			if (c == 0 || (c < 0x20 && c != '\n' && c != '\t'))
				continue;
			out[o++] = (char)c;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			k = 2;
		else if ((c & 0xF0) == 0xE0)
			k = 3;
		else if ((c & 0xF8) == 0xF0)
			k = 4;
		if (k == 0 || i + k > n || o + k > max || !util_utf8_valid(s + i, k)) {
			i++;
			if (o + 3 <= max) {
				memcpy(out + o, "\xEF\xBF\xBD", 3);
				o += 3;
			}
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

static char *
mime_dup(const char *s)
{
	return s == NULL ? xstrdup("") : mime_clean(s, strlen(s), 64 * 1024);
}

/* Message ids without brackets, spaces or quotes, at most 250 bytes. */
static char *
mime_id(const char *s)
{
	char out[256];
	size_t o = 0;

	for (; s != NULL && *s && o < sizeof(out) - 1; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\')
			continue;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return xstrdup(out);
}

static void
mime_add_ref(struct mail *m, const char *id)
{
	int i;

	if (id == NULL || *id == '\0' || m->n_refs >= MAIL_REFS_MAX)
		return;
	for (i = 0; i < m->n_refs; i++)
		if (strcmp(m->refs[i], id) == 0)
			return;
	m->refs[m->n_refs++] = mime_id(id);
	if (m->refs[m->n_refs - 1][0] == '\0')
		free(m->refs[--m->n_refs]);
}

static void
mime_refs(struct mail *m, GMimeObject *obj, const char *header, int first_only)
{
	const char *v = g_mime_object_get_header(obj, header);
	GMimeReferences *refs;
	int i, n;

	if (v == NULL)
		return;
	refs = g_mime_references_parse(NULL, v);
	if (refs == NULL)
		return;
	n = g_mime_references_length(refs);
	/* Keep the newest ids when there are too many. */
	for (i = n > MAIL_REFS_MAX ? n - MAIL_REFS_MAX : 0; i < n; i++) {
		const char *id = g_mime_references_get_message_id(refs, i);

		if (first_only) {
			if (m->in_reply_to[0] == '\0') {
				free(m->in_reply_to);
				m->in_reply_to = mime_id(id);
			}
		}
		mime_add_ref(m, id);
	}
	g_mime_references_free(refs);
}

static void
mime_addrs(struct buf *b, InternetAddressList *l, int depth)
{
	int i, n = l ? internet_address_list_length(l) : 0;

	for (i = 0; i < n && depth < 4; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));

			if (addr != NULL && strlen(addr) < 320)
				buf_printf(b, "%s%s", b->len ? "," : "", addr);
		} else if (INTERNET_ADDRESS_IS_GROUP(a)) {
			mime_addrs(b, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), depth + 1);
		}
	}
}

static int
mime_ieq_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
mime_icontains(const char *s, const char *needle)
{
	return s != NULL && strcasestr(s, needle) != NULL;
}

/* ---- HTML to text ---- */

static void
mime_html_entity(struct buf *b, const char **pp, const char *end)
{
	static const struct {
		const char *name;
		const char *text;
	} ents[] = {{"amp;", "&"}, {"lt;", "<"}, {"gt;", ">"}, {"quot;", "\""}, {"apos;", "'"},
	    {"nbsp;", " "}, {"#39;", "'"}, {"mdash;", "\xE2\x80\x94"}, {"ndash;", "\xE2\x80\x93"},
	    {"hellip;", "\xE2\x80\xA6"}, {"rsquo;", "\xE2\x80\x99"}, {"lsquo;", "\xE2\x80\x98"},
	    {"ldquo;", "\xE2\x80\x9C"}, {"rdquo;", "\xE2\x80\x9D"}};
	const char *p = *pp + 1;
	size_t i;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		size_t k = strlen(ents[i].name);

		if ((size_t)(end - p) >= k && strncasecmp(p, ents[i].name, k) == 0) {
			buf_puts(b, ents[i].text);
			*pp = p + k;
			return;
		}
	}
	if (p < end && *p == '#') {
		char *e;
		long v = (p + 1 < end && (p[1] == 'x' || p[1] == 'X')) ? strtol(p + 2, &e, 16) : strtol(p + 1, &e, 10);

		if (e < end && *e == ';' && v > 0 && v < 0x110000 && !(v >= 0xD800 && v < 0xE000)) {
			char u[5];
			int n;

			if (v < 0x80) {
				u[0] = (char)v;
				n = 1;
			} else if (v < 0x800) {
				u[0] = (char)(0xC0 | (v >> 6));
				u[1] = (char)(0x80 | (v & 0x3F));
				n = 2;
			} else if (v < 0x10000) {
				u[0] = (char)(0xE0 | (v >> 12));
				u[1] = (char)(0x80 | ((v >> 6) & 0x3F));
				u[2] = (char)(0x80 | (v & 0x3F));
				n = 3;
			} else {
				u[0] = (char)(0xF0 | (v >> 18));
				u[1] = (char)(0x80 | ((v >> 12) & 0x3F));
				u[2] = (char)(0x80 | ((v >> 6) & 0x3F));
				u[3] = (char)(0x80 | (v & 0x3F));
				n = 4;
			}
			buf_append(b, u, (size_t)n);
			*pp = e + 1;
			return;
		}
	}
	buf_puts(b, "&");
	*pp = *pp + 1;
}

/* Tags become line breaks where they break lines; script and style vanish;
 * blockquote content is prefixed with "> " so quote stripping sees it. */
static char *
mime_html_text(const char *h, size_t n)
{
	struct buf b;
	const char *p = h, *end = h + n;
	int quote = 0, bol = 1;

	buf_init(&b, MIME_TEXT_MAX);
	while (p < end) {
		if (*p == '<') {
			const char *q = memchr(p, '>', (size_t)(end - p));
			char name[16];
			size_t k = 0;
			int closing;

			if (q == NULL)
				break;
			p++;
			closing = *p == '/';
			if (closing)
				p++;
			while (p < q && k < sizeof(name) - 1 && (isalnum((unsigned char)*p)))
				name[k++] = (char)tolower((unsigned char)*p++);
			name[k] = '\0';
			if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
			    strcmp(name, "head") == 0 || strcmp(name, "title") == 0)) {
				char endtag[24];
				const char *e;

				snprintf(endtag, sizeof(endtag), "</%s", name);
				e = strcasestr(q, endtag);
				if (e == NULL || e >= end)
					break;
				q = memchr(e, '>', (size_t)(end - e));
				if (q == NULL)
					break;
			} else if (strcmp(name, "blockquote") == 0) {
				quote += closing ? (quote > 0 ? -1 : 0) : 1;
				buf_puts(&b, "\n");
				bol = 1;
			} else if (strcmp(name, "br") == 0 || strcmp(name, "p") == 0 ||
			    strcmp(name, "div") == 0 || strcmp(name, "li") == 0 || strcmp(name, "tr") == 0 ||
			    (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && name[2] == '\0')) {
				buf_puts(&b, "\n");
				bol = 1;
			}
			p = q + 1;
			continue;
		}
		if (*p == '\r' || *p == '\n' || *p == '\t') {
			if (!bol && b.len > 0 && b.p[b.len - 1] != ' ')
				buf_puts(&b, " ");
			p++;
			continue;
		}
		if (bol) {
			int i;

			for (i = 0; i < quote && i < 8; i++)
				buf_puts(&b, "> ");
			bol = 0;
		}
		if (*p == '&')
			mime_html_entity(&b, &p, end);
		else
			buf_append(&b, p++, 1);
	}
	return buf_steal(&b);
}

/* ---- the tree walk ---- */

struct mime_walk {
	struct mail *m;
	char *plain;
	char *html;
	int report; /* 1 delivery status, 2 disposition notification */
};

static char *
mime_filename(const char *name, const char *ctype)
{
	char out[128];
	size_t o = 0;
	const char *base = name;

	if (name != NULL) {
		const char *sl = strrchr(name, '/'), *bs = strrchr(name, '\\');

		if (sl != NULL)
			base = sl + 1;
		if (bs != NULL && bs + 1 > base)
			base = bs + 1;
	}
	for (; base != NULL && *base && o < sizeof(out) - 5; base++) {
		unsigned char c = (unsigned char)*base;

		if (c < 0x20 || c == 0x7f || c == '"' || c == '/' || c == '\\')
			continue;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	while (o > 0 && (out[0] == '.' || out[0] == ' ')) {
		memmove(out, out + 1, o--);
	}
	if (o == 0)
		snprintf(out, sizeof(out), "%s", ctype && strcmp(ctype, "message/rfc822") == 0 ? "message.eml" : "attachment.bin");
	return mime_clean(out, strlen(out), sizeof(out));
}

static int
mime_bytes(GMimeObject *obj, int decode, GByteArray **out)
{
	GMimeStream *st = g_mime_stream_mem_new();
	int rc = -1;

	if (decode && GMIME_IS_PART(obj)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));

		if (w != NULL && g_mime_data_wrapper_write_to_stream(w, st) >= 0)
			rc = 0;
	} else if (g_mime_object_write_to_stream(obj, NULL, st) >= 0) {
		rc = 0;
	}
	if (rc == 0) {
		*out = g_byte_array_new();
		g_byte_array_append(*out, g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st))->data,
		    g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st))->len);
	}
	g_object_unref(st);
	return rc;
}

static void
mime_keep(struct mime_walk *w, GMimeObject *obj, const char *ctype, const char *fname, int decode)
{
	struct mail *m = w->m;
	GByteArray *bytes = NULL;
	struct mail_attachment *a;

	if (m->n_att >= MAIL_ATTACH_COUNT) {
		m->att_dropped++;
		return;
	}
	if (mime_bytes(obj, decode, &bytes) != 0)
		return;
	if (bytes->len > MAIL_ATTACH_MAX) {
		m->att_dropped++;
		g_byte_array_unref(bytes);
		return;
	}
	a = &m->att[m->n_att++];
	a->filename = mime_filename(fname, ctype);
	a->content_type = mime_id(ctype);
	a->len = bytes->len;
	a->data = xmalloc(bytes->len + 1);
	if (bytes->len)
		memcpy(a->data, bytes->data, bytes->len);
	a->data[bytes->len] = 0;
	g_byte_array_unref(bytes);
}

static void
mime_walk(struct mime_walk *w, GMimeObject *obj, int depth)
{
	GMimeContentType *ct;
	char ctype[128];

	if (obj == NULL || depth > MIME_DEPTH_MAX)
		return;
	ct = g_mime_object_get_content_type(obj);
	snprintf(ctype, sizeof(ctype), "%s/%s",
	    ct && g_mime_content_type_get_media_type(ct) ? g_mime_content_type_get_media_type(ct) : "text",
	    ct && g_mime_content_type_get_media_subtype(ct) ? g_mime_content_type_get_media_subtype(ct) : "plain");
	util_lower(ctype);
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int i, n = g_mime_multipart_get_count(mp);

		if (strcmp(ctype, "multipart/report") == 0) {
			const char *rt = g_mime_content_type_get_parameter(ct, "report-type");

			if (rt != NULL && strcasecmp(rt, "disposition-notification") == 0)
				w->report = 2;
			else
				w->report = 1;
		}
		for (i = 0; i < n && i < 256; i++)
			mime_walk(w, g_mime_multipart_get_part(mp, i), depth + 1);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		/* A forwarded or bounced message: kept whole as an attachment. */
		if (inner != NULL)
			mime_keep(w, GMIME_OBJECT(inner), "message/rfc822", NULL, 0);
		return;
	}
	if (!GMIME_IS_PART(obj))
		return;
	if (strcmp(ctype, "message/delivery-status") == 0 || strcmp(ctype, "message/global-delivery-status") == 0)
		w->report = w->report ? w->report : 1;
	if (strcmp(ctype, "message/disposition-notification") == 0)
		w->report = 2;
	if (!g_mime_part_is_attachment(GMIME_PART(obj)) && GMIME_IS_TEXT_PART(obj) &&
	    (strcmp(ctype, "text/plain") == 0 || strcmp(ctype, "text/html") == 0)) {
		char **slot = strcmp(ctype, "text/plain") == 0 ? &w->plain : &w->html;

		if (*slot == NULL) {
			char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));

			if (t != NULL) {
				*slot = mime_clean(t, strlen(t), MIME_TEXT_MAX);
				g_free(t);
			}
			return;
		}
	}
	if (depth == 0 && strncmp(ctype, "text/", 5) == 0 && !g_mime_part_is_attachment(GMIME_PART(obj)))
		return;
	mime_keep(w, obj, ctype, g_mime_part_get_filename(GMIME_PART(obj)), 1);
}

static const char *
mime_refusal(GMimeMessage *msg, const struct mail *m, int report)
{
	GMimeObject *o = GMIME_OBJECT(msg);
	const char *as = g_mime_object_get_header(o, "Auto-Submitted");
	const char *prec = g_mime_object_get_header(o, "Precedence");
	const char *rp = g_mime_object_get_header(o, "Return-Path");
	const char *subj = m->subject;
	const char *from = m->from_addr;

	if (report == 1)
		return "bounce";
	if (report == 2)
		return "delivery_report";
	if (mime_ieq_prefix(from, "mailer-daemon@") || mime_ieq_prefix(from, "postmaster@") ||
	    (rp != NULL && strstr(rp, "<>") != NULL))
		return "bounce";
	while (as != NULL && (*as == ' ' || *as == '\t'))
		as++;
	if (as != NULL && *as != '\0' && strncasecmp(as, "no", 2) != 0)
		return "auto_reply";
	if (g_mime_object_get_header(o, "X-Autoreply") || g_mime_object_get_header(o, "X-Autorespond") ||
	    g_mime_object_get_header(o, "X-Auto-Response-Suppress") ||
	    g_mime_object_get_header(o, "X-Autogenerated"))
		return "auto_reply";
	if (prec != NULL && (mime_icontains(prec, "bulk") || mime_icontains(prec, "junk") ||
	    mime_icontains(prec, "auto_reply")))
		return "auto_reply";
	if (prec != NULL && mime_icontains(prec, "list"))
		return "list";
	if (g_mime_object_get_header(o, "List-Id") || g_mime_object_get_header(o, "List-Unsubscribe"))
		return "list";
	if (mime_ieq_prefix(subj, "Auto:") || mime_ieq_prefix(subj, "Automatic reply") ||
	    mime_ieq_prefix(subj, "Out of Office") || mime_ieq_prefix(subj, "Autoreply") ||
	    mime_ieq_prefix(subj, "Auto-reply") || mime_ieq_prefix(subj, "Abwesenheitsnotiz"))
		return "auto_reply";
	if (mime_ieq_prefix(subj, "Undeliverable:") || mime_ieq_prefix(subj, "Undelivered Mail") ||
	    mime_ieq_prefix(subj, "Delivery Status Notification") ||
	    mime_ieq_prefix(subj, "Returned mail:") || mime_ieq_prefix(subj, "Mail delivery failed"))
		return "bounce";
	if (mime_ieq_prefix(subj, "Read:") || mime_ieq_prefix(subj, "Delivered:") ||
	    mime_ieq_prefix(subj, "Return Receipt"))
		return "delivery_report";
	if (from == NULL || *from == '\0' || !util_email_valid(from))
		return "no_sender";
	return NULL;
}

err_t
channels_mime_parse(const char *raw, size_t len, struct mail *m, struct errinfo *ei)
{
	GMimeStream *st = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	InternetAddressList *from;
	struct mime_walk w;
	struct buf to;
	char *stripped_html = NULL;
	err_t err = ERR_OK;

	memset(m, 0, sizeof(*m));
	memset(&w, 0, sizeof(w));
	w.m = m;
	buf_init(&to, 16 * 1024);
	m->message_id = xstrdup("");
	m->in_reply_to = xstrdup("");
	pthread_once(&mime_once, mime_init_once);
	if (raw == NULL || len == 0) {
		err = err_set(ei, ERR_INVALID, "the message is empty");
		goto out;
	}
	if (len > MAIL_RAW_MAX) {
		err = err_set(ei, ERR_TOO_LARGE, "the message is larger than %d bytes", MAIL_RAW_MAX);
		goto out;
	}
	st = g_mime_stream_mem_new_with_buffer(raw, len);
	parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		err = err_set(ei, ERR_INVALID, "not an e-mail message (no headers could be parsed)");
		goto out;
	}
	free(m->message_id);
	m->message_id = mime_id(g_mime_message_get_message_id(msg));
	mime_refs(m, GMIME_OBJECT(msg), "References", 0);
	mime_refs(m, GMIME_OBJECT(msg), "In-Reply-To", 1);
	from = g_mime_message_get_from(msg);
	if (from == NULL || internet_address_list_length(from) == 0)
		from = g_mime_message_get_sender(msg);
	if (from != NULL && internet_address_list_length(from) > 0 &&
	    INTERNET_ADDRESS_IS_MAILBOX(internet_address_list_get_address(from, 0))) {
		InternetAddress *a = internet_address_list_get_address(from, 0);

		m->from_addr = mime_dup(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
		util_lower(m->from_addr);
		m->from_name = mime_dup(internet_address_get_name(a));
	}
	if (m->from_addr == NULL)
		m->from_addr = xstrdup("");
	if (m->from_name == NULL)
		m->from_name = xstrdup("");
	if (strlen(m->from_addr) > 254)
		m->from_addr[0] = '\0';
	mime_addrs(&to, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO), 0);
	mime_addrs(&to, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_CC), 0);
	{
		const char *dt = g_mime_object_get_header(GMIME_OBJECT(msg), "Delivered-To");
		const char *xo = g_mime_object_get_header(GMIME_OBJECT(msg), "X-Original-To");

		if (dt != NULL && strlen(dt) < 320)
			buf_printf(&to, "%s%s", to.len ? "," : "", dt);
		if (xo != NULL && strlen(xo) < 320)
			buf_printf(&to, "%s%s", to.len ? "," : "", xo);
	}
	m->to = mime_clean(to.p ? to.p : "", to.len, to.max);
	util_lower(m->to);
	m->subject = mime_dup(g_mime_message_get_subject(msg));
	if (strlen(m->subject) > 200) {
		/* Cut at a character boundary. */
		size_t n = 200;

		while (n > 0 && ((unsigned char)m->subject[n] & 0xC0) == 0x80)
			n--;
		m->subject[n] = '\0';
	}
	mime_walk(&w, g_mime_message_get_mime_part(msg), 0);
	if (w.html != NULL) {
		m->html = w.html;
		w.html = NULL;
	}
	if (w.plain != NULL) {
		m->text = w.plain;
		w.plain = NULL;
	} else if (m->html != NULL) {
		stripped_html = mime_html_text(m->html, strlen(m->html));
		m->text = mime_clean(stripped_html, strlen(stripped_html), MIME_TEXT_MAX);
		m->html_only = 1;
	} else {
		m->text = xstrdup("");
	}
	m->stripped = channels_mime_strip(m->text);
	m->refusal = mime_refusal(msg, m, w.report);
out:
	if (err) {
		channels_mime_free(m);
		memset(m, 0, sizeof(*m));
	}
	free(w.plain);
	free(w.html);
	free(stripped_html);
	buf_free(&to);
	if (msg != NULL)
		g_object_unref(msg);
	if (parser != NULL)
		g_object_unref(parser);
	if (st != NULL)
		g_object_unref(st);
	return err;
}

void
channels_mime_free(struct mail *m)
{
	int i;

	free(m->message_id);
	free(m->in_reply_to);
	for (i = 0; i < m->n_refs; i++)
		free(m->refs[i]);
	free(m->from_addr);
	free(m->from_name);
	free(m->to);
	free(m->subject);
	free(m->text);
	free(m->stripped);
	free(m->html);
	for (i = 0; i < m->n_att; i++) {
		free(m->att[i].filename);
		free(m->att[i].content_type);
		free(m->att[i].data);
	}
	memset(m, 0, sizeof(*m));
}

/* ---- quote and signature stripping ---- */

static int
strip_blank(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)l[i]))
			return 0;
	return 1;
}

/* Does the line (trimmed) match a cut marker? 1 cut here. */
static int
strip_marker(const char *l, size_t n, const char *next, size_t nn)
{
	char line[512], both[1024];
	size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
	char *t;
	size_t tl;

	memcpy(line, l, k);
	line[k] = '\0';
	t = util_trim(line);
	tl = strlen(t);
	if (strcmp(t, "--") == 0 || (n >= 3 && strncmp(l, "-- ", 3) == 0 && strip_blank(l + 3, n - 3)))
		return 1;
	if (strcasestr(t, "original message") != NULL && t[0] == '-')
		return 1;
	if (strncmp(t, "________________", 16) == 0)
		return 1;
	if (strncasecmp(t, "Sent from my ", 13) == 0 || strncasecmp(t, "Get Outlook for ", 16) == 0)
		return 1;
	if (tl >= 6 && strcasecmp(t + tl - 6, "wrote:") == 0 && (strncasecmp(t, "On ", 3) == 0 || tl < 200))
		return 1;
	if ((tl >= 9 && strcasecmp(t + tl - 9, "a écrit :") == 0) ||
	    (tl >= 8 && strcasecmp(t + tl - 8, "a écrit:") == 0) ||
	    (strncasecmp(t, "Am ", 3) == 0 && tl >= 8 && strcasecmp(t + tl - 8, "schrieb:") == 0))
		return 1;
	/* "On Tue, ... <x@y>" wrapped onto the next line ending with "wrote:". */
	if (strncasecmp(t, "On ", 3) == 0 && next != NULL) {
		snprintf(both, sizeof(both), "%s %.*s", t, (int)(nn < 400 ? nn : 400), next);
		t = util_trim(both);
		tl = strlen(t);
		if (tl >= 6 && strcasecmp(t + tl - 6, "wrote:") == 0)
			return 1;
	}
	/* Outlook: "From: ..." followed shortly by "Sent:" or "Date:". */
	if (strncasecmp(t, "From:", 5) == 0 && next != NULL &&
	    (strncasecmp(next, "Sent:", 5) == 0 || strncasecmp(next, "Date:", 5) == 0 ||
	    strncasecmp(next, "To:", 3) == 0))
		return 1;
	return 0;
}

static int
strip_signoff(const char *l, size_t n)
{
	static const char *offs[] = {"best regards", "kind regards", "regards", "best wishes",
	    "many thanks", "thanks", "thank you", "cheers", "best", "sincerely", "warm regards",
	    "mit freundlichen grüßen", "cordialement"};
	char line[64];
	size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1, i;
	char *t;

	memcpy(line, l, k);
	line[k] = '\0';
	t = util_trim(line);
	k = strlen(t);
	while (k > 0 && (t[k - 1] == ',' || t[k - 1] == '.' || t[k - 1] == '!'))
		t[--k] = '\0';
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (strcasecmp(t, offs[i]) == 0)
			return 1;
	return 0;
}

char *
channels_mime_strip(const char *text)
{
	const char *p = text, *ls[4096];
	size_t lens[4096];
	int n = 0, cut, i, keep_end;
	struct buf b;

	while (*p && n < 4096) {
		const char *e = strchr(p, '\n');
		size_t k = e ? (size_t)(e - p) : strlen(p);

		ls[n] = p;
		lens[n++] = k;
		p += k + (e ? 1 : 0);
	}
	cut = n;
	for (i = 0; i < n; i++) {
		if (strip_marker(ls[i], lens[i], i + 1 < n ? ls[i + 1] : NULL, i + 1 < n ? lens[i + 1] : 0)) {
			cut = i;
			break;
		}
	}
	/* A sign-off near the end ("Thanks,\nAnna\nSite 101") starts the signature. */
	keep_end = cut;
	for (i = cut - 1; i >= 0 && i >= cut - 6; i--) {
		if (strip_signoff(ls[i], lens[i])) {
			int j, short_tail = 1;

			for (j = i + 1; j < cut; j++)
				if (lens[j] > 60)
					short_tail = 0;
			if (short_tail)
				keep_end = i;
			break;
		}
	}
	buf_init(&b, strlen(text) + 1);
	for (i = 0; i < keep_end; i++) {
		const char *l = ls[i];
		size_t k = lens[i];

		while (k > 0 && *l == ' ') {
			l++;
			k--;
		}
		if (k > 0 && *l == '>')
			continue; /* interleaved quotes */
		buf_append(&b, ls[i], lens[i]);
		buf_append(&b, "\n", 1);
	}
	while (b.len > 0 && isspace((unsigned char)b.p[b.len - 1]))
		b.len--;
	{
		size_t lead = 0;

		while (lead < b.len && isspace((unsigned char)b.p[lead]))
			lead++;
		if (b.len - lead == 0) {
			/* Everything was quote or signature: keep the text whole. */
			char *t;

			buf_free(&b);
			t = xstrdup(text);
			util_trim(t);
			return t;
		}
		if (b.p != NULL) {
			memmove(b.p, b.p + lead, b.len - lead);
			b.len -= lead;
			b.p[b.len] = '\0';
		}
	}
	return buf_steal(&b);
}

/* ---- mbox ---- */

int
channels_mime_mbox_split(const char *data, size_t len, void (*fn)(void *ctx, const char *msg, size_t n),
    void *ctx)
{
	size_t i = 0, start = (size_t)-1;
	int count = 0;

	while (i < len) {
		const char *e = memchr(data + i, '\n', len - i);
		size_t next = e ? (size_t)(e - data) + 1 : len;

		if (len - i >= 5 && memcmp(data + i, "From ", 5) == 0 && (i == 0 || data[i - 1] == '\n')) {
			if (start != (size_t)-1 && i > start) {
				fn(ctx, data + start, i - start);
				count++;
			}
			start = next;
		}
		i = next;
	}
	if (start != (size_t)-1 && start < len) {
		fn(ctx, data + start, len - start);
		count++;
	}
	return count;
}

/* ---- outgoing ---- */

char *
channels_mime_build(const char *from, const char *to, const char *subject, const char *message_id,
    const char *in_reply_to, const char *references, int auto_submitted, const char *body)
{
	GMimeMessage *msg;
	GMimeTextPart *tp;
	GMimeFormatOptions *fo;
	InternetAddressList *l;
	GDateTime *now;
	char hdr[300], *s, *out;

	pthread_once(&mime_once, mime_init_once);
	msg = g_mime_message_new(TRUE);
	l = internet_address_list_parse(NULL, from);
	if (l != NULL) {
		internet_address_list_append(g_mime_message_get_from(msg), l);
		g_object_unref(l);
	}
	l = internet_address_list_parse(NULL, to);
	if (l != NULL) {
		internet_address_list_append(g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO), l);
		g_object_unref(l);
	}
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_message_id(msg, message_id);
	now = g_date_time_new_now_utc();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	if (in_reply_to != NULL && *in_reply_to) {
		snprintf(hdr, sizeof(hdr), "<%s>", in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", hdr, NULL);
	}
	if (references != NULL && *references)
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", references, NULL);
	if (auto_submitted)
		g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-replied", NULL);
	tp = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(tp, body);
	g_mime_part_set_content_encoding(GMIME_PART(tp),
	    g_mime_part_get_best_content_encoding(GMIME_PART(tp), GMIME_ENCODING_CONSTRAINT_7BIT));
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(tp));
	g_object_unref(tp);
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	s = g_mime_object_to_string(GMIME_OBJECT(msg), fo);
	out = xstrdup(s ? s : "");
	g_free(s);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
	return out;
}
