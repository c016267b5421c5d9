/* test_mime.c: MIME parsing, threading headers, quote and signature
 * stripping, charsets, auto-reply/bounce/DSN recognition, attachments, the
 * reply builder, and every file of ../shared/data/email_fixtures parsed
 * without a crash (each accepted or refused with a reason). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "channels/channels.h"
#include "test.h"

static int
parse(const char *raw, struct mail *m)
{
	struct errinfo ei = {0};

	return channels_mime_parse(raw, strlen(raw), m, &ei) == ERR_OK;
}

static void
test_threading(void)
{
	struct mail m;
	const char *raw =
	    "From: \"Anna Site\" <Anna@Site101.test>\r\n"
	    "To: support@example.test\r\n"
	    "Subject: Re: [#12] Week 4 window\r\n"
	    "Message-ID: <reply-2@site101.test>\r\n"
	    "In-Reply-To: <baton.cv_abc.1@example.test>\r\n"
	    "References: <first@site101.test>\r\n <baton.cv_abc.1@example.test>\r\n"
	    "\r\n"
	    "Thanks, and what about week 12?\r\n";

	CHECK(parse(raw, &m), "a plain reply parses");
	CHECK_STR(m.message_id, "reply-2@site101.test", "Message-ID without brackets");
	CHECK_STR(m.in_reply_to, "baton.cv_abc.1@example.test", "In-Reply-To");
	CHECK(m.n_refs == 2 && strcmp(m.refs[0], "first@site101.test") == 0 &&
	    strcmp(m.refs[1], "baton.cv_abc.1@example.test") == 0, "References in order, de-duplicated");
	CHECK_STR(m.from_addr, "anna@site101.test", "sender address lowercased");
	CHECK_STR(m.from_name, "Anna Site", "sender name");
	CHECK_STR(m.subject, "Re: [#12] Week 4 window", "subject");
	CHECK(m.refusal == NULL, "a person's mail is accepted");
	channels_mime_free(&m);

	/* Outlook drops References and rewrites In-Reply-To with extra text. */
	CHECK(parse("From: b@x.test\nSubject: RE: q\nIn-Reply-To: <abc@y.test> (Anna's message)\n\nok\n", &m),
	    "an Outlook reply parses");
	CHECK_STR(m.in_reply_to, "abc@y.test", "In-Reply-To with a comment");
	CHECK(m.n_refs == 1, "In-Reply-To joins the references");
	channels_mime_free(&m);
}

static void
test_strip(void)
{
	char *s;

	s = channels_mime_strip("Is the ICF v3 current?\n\nOn Tue, 3 Nov 2026 at 10:00, Baton <support@example.test> wrote:\n> old answer\n> more\n");
	CHECK_STR(s, "Is the ICF v3 current?", "Gmail quote cut");
	free(s);
	s = channels_mime_strip("Yes please.\n\nOn Tue, 3 Nov 2026 at 10:00, Baton Support\n<support@example.test> wrote:\n> old\n");
	CHECK_STR(s, "Yes please.", "wrapped attribution cut");
	free(s);
	s = channels_mime_strip("Second question here.\n\n-----Original Message-----\nFrom: Baton\nSent: Monday\n\nold\n");
	CHECK_STR(s, "Second question here.", "Outlook original message cut");
	free(s);
	s = channels_mime_strip("New q\n\n________________________________\nFrom: Baton <s@x>\nSent: Monday\n");
	CHECK_STR(s, "New q", "Outlook separator cut");
	free(s);
	s = channels_mime_strip("Visit window?\n\nBest regards,\nAnna Meyer\nStudy nurse, Site 101\n");
	CHECK_STR(s, "Visit window?", "sign-off and signature cut");
	free(s);
	s = channels_mime_strip("Question\n-- \nAnna\n+49 30 1234\n");
	CHECK_STR(s, "Question", "-- signature cut");
	free(s);
	s = channels_mime_strip("Can I ship on Friday?\n\nSent from my iPhone\n");
	CHECK_STR(s, "Can I ship on Friday?", "mobile signature cut");
	free(s);
	s = channels_mime_strip("> quoted only\n> more\n");
	CHECK_STR(s, "> quoted only\n> more", "all-quote mail kept whole");
	free(s);
	s = channels_mime_strip("Le mar. 3 nov. 2026, Baton a écrit :\n> x\n");
	CHECK(s != NULL && strstr(s, "Baton") != NULL, "nothing but a quote keeps the text");
	free(s);
}

static void
test_charsets(void)
{
	struct mail m;

	CHECK(parse("From: =?ISO-8859-1?Q?J=FCrgen?= <j@x.test>\nSubject: =?UTF-8?B?w5xiZXJ3YWNodW5n?=\n"
	    "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
	    "Gr=FC=DFe aus M=FCnchen\n", &m), "Latin-1 QP parses");
	CHECK_STR(m.from_name, "J\xC3\xBCrgen", "encoded-word sender name");
	CHECK_STR(m.subject, "\xC3\x9C" "berwachung", "base64 encoded-word subject");
	CHECK(strstr(m.text, "Gr\xC3\xBC\xC3\x9F" "e aus M\xC3\xBCnchen") != NULL, "body converted to UTF-8");
	channels_mime_free(&m);
	CHECK(parse("From: a@x.test\nContent-Type: text/plain; charset=utf-8\n\nbad \xff\xfe bytes \x01 and NUL-free\n", &m),
	    "invalid UTF-8 parses");
	CHECK(strstr(m.text, "\xff") == NULL && strstr(m.text, "\x01") == NULL, "invalid bytes replaced");
	channels_mime_free(&m);
	{
		/* Found by fuzz_mime: every invalid byte becomes 3 bytes of U+FFFD. */
		char raw[300];

		memset(raw, 0x92, sizeof(raw) - 1);
		raw[0] = '\n';
		raw[sizeof(raw) - 1] = '\0';
		CHECK(parse(raw, &m) && strlen(m.text) >= 3 * 250, "a body of invalid bytes grows safely");
		channels_mime_free(&m);
	}
	CHECK(parse("From: a@x.test\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{}</style></head>"
	    "<body><p>Hello &amp; welcome</p><script>alert(1)</script><div>Is the <b>SAE</b> form due?</div>"
	    "<blockquote>old text</blockquote></body></html>", &m), "HTML-only mail parses");
	CHECK(m.html_only && strstr(m.text, "Hello & welcome") != NULL && strstr(m.text, "alert") == NULL &&
	    strstr(m.text, "<b>") == NULL, "HTML becomes safe text");
	CHECK(strstr(m.stripped, "old text") == NULL && strstr(m.stripped, "SAE form due") != NULL,
	    "blockquote is quoted history");
	channels_mime_free(&m);
}

static void
test_refusals(void)
{
	struct mail m;

	CHECK(parse("From: a@x.test\nAuto-Submitted: auto-replied\nSubject: Re: q\n\nI am away\n", &m) &&
	    m.refusal && strcmp(m.refusal, "auto_reply") == 0, "Auto-Submitted is an auto-reply");
	channels_mime_free(&m);
	CHECK(parse("From: a@x.test\nAuto-Submitted: no\nSubject: q\n\nhi\n", &m) && m.refusal == NULL,
	    "Auto-Submitted: no is a person");
	channels_mime_free(&m);
	CHECK(parse("From: a@x.test\nX-Auto-Response-Suppress: All\nSubject: Automatic reply: q\n\naway\n", &m) &&
	    m.refusal && strcmp(m.refusal, "auto_reply") == 0, "Outlook out-of-office");
	channels_mime_free(&m);
	CHECK(parse("From: a@x.test\nPrecedence: bulk\n\nnews\n", &m) && m.refusal &&
	    strcmp(m.refusal, "auto_reply") == 0, "Precedence bulk");
	channels_mime_free(&m);
	CHECK(parse("From: MAILER-DAEMON@mx.test\nSubject: Undelivered Mail Returned to Sender\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.test\n\n--b--\n", &m) && m.refusal && strcmp(m.refusal, "bounce") == 0,
	    "a DSN is a bounce");
	channels_mime_free(&m);
	CHECK(parse("From: a@x.test\nSubject: Read: q\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nread\n--b--\n", &m) && m.refusal &&
	    strcmp(m.refusal, "delivery_report") == 0, "an MDN is a delivery report");
	channels_mime_free(&m);
	CHECK(parse("Subject: no sender\n\nhello\n", &m) && m.refusal && strcmp(m.refusal, "no_sender") == 0,
	    "no sender is refused");
	channels_mime_free(&m);
	{
		struct errinfo ei = {0};

		CHECK(channels_mime_parse("", 0, &m, &ei) == ERR_INVALID, "an empty message is invalid");
	}
}

static void
test_attachments(void)
{
	struct mail m;
	const char *raw =
	    "From: a@x.test\nSubject: scan\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
	    "--XX\nContent-Type: text/plain\n\nSee the attached ICF.\n"
	    "--XX\nContent-Type: application/pdf; name=\"../../etc/icf v3.pdf\"\n"
	    "Content-Disposition: attachment; filename=\"../../etc/icf v3.pdf\"\nContent-Transfer-Encoding: base64\n\n"
	    "JVBERi0xLjQK\n"
	    "--XX\nContent-Type: message/rfc822\n\nFrom: old@x.test\nSubject: fwd\n\nforwarded body\n"
	    "--XX--\n";

	CHECK(parse(raw, &m), "multipart/mixed parses");
	CHECK_STR(m.stripped, "See the attached ICF.", "the text part is the body");
	CHECK(m.n_att == 2, "two attachments kept");
	if (m.n_att == 2) {
		CHECK_STR(m.att[0].filename, "icf v3.pdf", "file name without a path");
		CHECK_STR(m.att[0].content_type, "application/pdf", "content type");
		CHECK(m.att[0].len == 9 && memcmp(m.att[0].data, "%PDF-1.4\n", 9) == 0, "base64 decoded");
		CHECK_STR(m.att[1].filename, "message.eml", "nested message kept as a file");
		CHECK(strstr((char *)m.att[1].data, "forwarded body") != NULL, "nested message whole");
	}
	channels_mime_free(&m);
}

static void
test_build(void)
{
	char *out = channels_mime_build("Baton <support@example.test>", "anna@site101.test",
	    "Re: Week 4 \xE2\x80\x93 window", "baton.cv_x.1@example.test", "first@site101.test",
	    "<first@site101.test>", 1, "Within 3 days.\nSee the schedule.");
	struct mail m;

	CHECK(out != NULL && strstr(out, "In-Reply-To: <first@site101.test>\r\n") != NULL, "reply has In-Reply-To");
	CHECK(strstr(out, "References: <first@site101.test>") != NULL, "reply has References");
	CHECK(strstr(out, "Auto-Submitted: auto-replied") != NULL, "agent replies are marked auto-replied");
	CHECK(parse(out, &m), "the built reply parses back");
	CHECK_STR(m.message_id, "baton.cv_x.1@example.test", "its Message-ID");
	CHECK_STR(m.subject, "Re: Week 4 \xE2\x80\x93 window", "its UTF-8 subject");
	CHECK(strstr(m.text, "Within 3 days.") != NULL, "its body");
	channels_mime_free(&m);
	free(out);
}

/* ---- the fixture corpus ---- */

struct corpus {
	int files, messages, accepted, refused, invalid, crashed_not;
	char sample[8][256];
};

static void
corpus_one(void *ctx, const char *msg, size_t n)
{
	struct corpus *c = ctx;
	struct mail m;
	struct errinfo ei = {0};
	err_t err = channels_mime_parse(msg, n, &m, &ei);

	c->messages++;
	if (err) {
		c->invalid++;
		if (ei.msg[0] == '\0')
			printf("FAIL an invalid message has no reason\n");
		return;
	}
	if (m.refusal != NULL)
		c->refused++;
	else
		c->accepted++;
	channels_mime_free(&m);
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long sz;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)sz + 1);
		*n = fread(buf, 1, (size_t)sz, f);
		buf[*n] = 0;
	}
	fclose(f);
	return buf;
}

static void
corpus_walk(struct corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;
		size_t n = 0;
		char *data;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			corpus_walk(c, path);
			continue;
		}
		if (strstr(e->d_name, "LICENSE") || strstr(e->d_name, "SOURCE") || strstr(e->d_name, "summary"))
			continue;
		data = slurp(path, &n);
		if (data == NULL)
			continue;
		c->files++;
		if (strstr(e->d_name, ".mbox") != NULL)
			channels_mime_mbox_split(data, n, corpus_one, c);
		else
			corpus_one(c, data, n);
		free(data);
	}
	closedir(d);
}

static struct mail *
fixture(const char *root, const char *rel, struct mail *m)
{
	char path[1024];
	size_t n = 0;
	char *data;
	struct errinfo ei = {0};
	err_t err;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	data = slurp(path, &n);
	if (data == NULL)
		return NULL;
	err = channels_mime_parse(data, n, m, &ei);
	free(data);
	return err ? NULL : m;
}

static void
test_fixtures(void)
{
	const char *root = getenv("EMAIL_FIXTURES") ? getenv("EMAIL_FIXTURES") : "../shared/data/email_fixtures";
	struct corpus c;
	struct mail m;
	struct stat st;

	if (stat(root, &st) != 0) {
		printf("skip: %s is absent; the fixture corpus was not parsed\n", root);
		return;
	}
	memset(&c, 0, sizeof(c));
	corpus_walk(&c, root);
	printf("     fixtures: %d files, %d messages: %d accepted, %d refused, %d invalid\n", c.files,
	    c.messages, c.accepted, c.refused, c.invalid);
	CHECK(c.files >= 90 && c.messages >= 120, "every fixture file and mbox message was parsed");
	CHECK(c.accepted + c.refused + c.invalid == c.messages, "each is accepted or refused with a reason");
	CHECK(c.refused >= 10, "bounces and reports among the fixtures are refused");

	if (fixture(root, "cpython_test_email/msg_01.txt", &m)) {
		CHECK_STR(m.from_addr, "bbb@ddd.com", "msg_01 sender");
		CHECK(strstr(m.text, "Hi,") != NULL, "msg_01 text");
		channels_mime_free(&m);
	} else {
		CHECK(0, "msg_01 parses");
	}
	if (fixture(root, "cpython_test_email/msg_16.txt", &m)) {
		CHECK(m.refusal != NULL && strcmp(m.refusal, "bounce") == 0, "msg_16 (a DSN) is a bounce");
		channels_mime_free(&m);
	} else {
		CHECK(0, "msg_16 parses");
	}
	if (fixture(root, "cpython_test_email/msg_02.txt", &m)) {
		CHECK(m.n_att >= 1, "msg_02 (a digest) keeps its parts");
		channels_mime_free(&m);
	}
	if (fixture(root, "mailparser/large_text.eml", &m)) {
		CHECK(strlen(m.text) > 1000000, "large text kept whole in the record");
		channels_mime_free(&m);
	} else {
		CHECK(0, "large_text.eml parses");
	}
}

int
main(void)
{
	test_threading();
	test_strip();
	test_charsets();
	test_refusals();
	test_attachments();
	test_build();
	test_fixtures();
	return test_done();
}
