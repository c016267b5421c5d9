/* channels_email.c: the email channel and the channels' lifecycle.
 *
 * Intake: a poller thread reads each enabled mailbox over IMAP and hands
 * every unseen message to channels_email_ingest, which records it by
 * Message-ID before it touches the inbox (so a crash means a retry, never a
 * loss), threads it (In-Reply-To/References -> our mapping, our own
 * Message-ID shape, a +cv_ token in the address, [#N] in the subject from the
 * same contact, then the contact's open conversation), and posts the
 * stripped text as the visitor's message. The original text, the raw file
 * and the attachments are kept.
 *
 * Replies: a bus subscriber queues public agent and member messages; the
 * sender thread mails those of conversations that have incoming mail, in
 * the same thread (In-Reply-To, References), through an outbox table with
 * retries. The dispatcher thread feeds webhooks and the on-call ladder. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channels.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/bus.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/util.h"
#include "inbox/inbox.h"

#define EMAIL_FULL_MAX (1024 * 1024)
#define EMAIL_SEND_ATTEMPTS 6

/* ---- the server key and sealed credentials ---- */

static int
email_key(const char *data_dir, unsigned char key[crypto_secretbox_KEYBYTES])
{
	char path[4096];
	int fd, rc = -1;
	ssize_t n;

	if (sodium_init() < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/secret.key", data_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			randombytes_buf(key, crypto_secretbox_KEYBYTES);
			n = write(fd, key, crypto_secretbox_KEYBYTES);
			rc = (n == crypto_secretbox_KEYBYTES && fsync(fd) == 0) ? 0 : -1;
			close(fd);
			return rc;
		}
		/* Another thread created it first. */
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	n = read(fd, key, crypto_secretbox_KEYBYTES);
	close(fd);
	return n == crypto_secretbox_KEYBYTES ? 0 : -1;
}

char *
channels_email_seal(const char *data_dir, const char *plain)
{
	unsigned char key[crypto_secretbox_KEYBYTES], *box;
	size_t pl = strlen(plain), bl = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + pl;
	size_t b64 = sodium_base64_encoded_len(bl, sodium_base64_VARIANT_ORIGINAL);
	char *out = NULL;

	if (email_key(data_dir, key) != 0)
		return NULL;
	box = xmalloc(bl);
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, pl, box, key);
	out = xmalloc(b64);
	sodium_bin2base64(out, b64, box, bl, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	free(box);
	return out;
}

char *
channels_email_open(const char *data_dir, const char *sealed)
{
	unsigned char key[crypto_secretbox_KEYBYTES], *box = NULL;
	size_t sl = strlen(sealed), bl = 0;
	char *plain = NULL;

	if (email_key(data_dir, key) != 0)
		return NULL;
	box = xmalloc(sl + 1);
	if (sodium_base642bin(box, sl, sealed, sl, NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bl < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		goto out;
	plain = xmalloc(bl - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES + 1);
	if (crypto_secretbox_open_easy((unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
	    bl - crypto_secretbox_NONCEBYTES, box, key) != 0) {
		free(plain);
		plain = NULL;
		goto out;
	}
	plain[bl - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES] = '\0';
out:
	sodium_memzero(key, sizeof(key));
	free(box);
	return plain;
}

/* ---- mailbox settings ---- */

static int
email_url_ok(const char *u, const char *a, const char *b)
{
	return u != NULL && strlen(u) < 250 && (strncmp(u, a, strlen(a)) == 0 || strncmp(u, b, strlen(b)) == 0) &&
	    strchr(u, ' ') == NULL;
}

json_t *
channels_email_mailbox_view(struct store *s, const char *ws)
{
	json_t *mb = ST(s, mailbox_get, ws);

	if (mb == NULL)
		return NULL;
	json_object_del(mb, "password_sealed");
	json_object_set_new(mb, "password_set", json_true());
	json_object_set_new(mb, "enabled", json_boolean(jsonx_int(mb, "enabled", 0)));
	return jsonx_present(mb);
}

err_t
channels_email_mailbox_put(struct store *s, const char *data_dir, const char *ws, const char *actor,
    json_t *req, json_t **out, struct errinfo *ei)
{
	const char *imap = jsonx_str(req, "imap_url"), *smtp = jsonx_str(req, "smtp_url");
	const char *user = jsonx_str(req, "username"), *pw = jsonx_str(req, "password");
	const char *addr = jsonx_str(req, "address"), *folder = jsonx_str(req, "folder");
	int64_t poll = jsonx_int(req, "poll_seconds", 30), now = util_now_ms();
	json_t *old = ST(s, mailbox_get, ws), *row = NULL, *en = json_object_get(req, "enabled");
	char *sealed = NULL;
	struct inbox_tx tx;
	err_t err = ERR_OK;

	if (!email_url_ok(imap, "imap://", "imaps://")) {
		err = err_set(ei, ERR_INVALID, "imap_url must be imap://host:port or imaps://host:port");
		goto out;
	}
	if (!email_url_ok(smtp, "smtp://", "smtps://")) {
		err = err_set(ei, ERR_INVALID, "smtp_url must be smtp://host:port or smtps://host:port");
		goto out;
	}
	if (user == NULL || *user == '\0' || strlen(user) > 250) {
		err = err_set(ei, ERR_INVALID, "username is required");
		goto out;
	}
	if (addr == NULL || !util_email_valid(addr) || strlen(addr) > 250) {
		err = err_set(ei, ERR_INVALID, "address must be the mailbox's e-mail address");
		goto out;
	}
	if (folder != NULL && (strlen(folder) > 100 || *folder == '\0')) {
		err = err_set(ei, ERR_INVALID, "folder must be 1 to 100 characters");
		goto out;
	}
	if (poll < 1 || poll > 3600) {
		err = err_set(ei, ERR_INVALID, "poll_seconds must be 1 to 3600");
		goto out;
	}
	if (pw != NULL && strlen(pw) > 250) {
		err = err_set(ei, ERR_INVALID, "password is too long");
		goto out;
	}
	if (pw == NULL && old == NULL) {
		err = err_set(ei, ERR_INVALID, "password is required");
		goto out;
	}
	sealed = pw != NULL ? channels_email_seal(data_dir, pw) : xstrdup(jsonx_str(old, "password_sealed"));
	if (sealed == NULL) {
		err = err_set(ei, ERR_IO, "cannot read or create the server key");
		goto out;
	}
	row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:i,s:I,s:I}", "workspace_id", ws, "imap_url", imap,
	    "smtp_url", smtp, "username", user, "password_sealed", sealed, "address", addr, "folder",
	    folder ? folder : "INBOX", "poll_seconds", (json_int_t)poll, "enabled",
	    en == NULL ? 1 : json_is_true(en), "created_at",
	    (json_int_t)(old ? jsonx_int(old, "created_at", now) : now), "updated_at", (json_int_t)now);
	err = inbox_tx_begin(&tx, s);
	if (err) {
		err_set(ei, err, "the store is busy; try again");
		goto out;
	}
	err = ST(s, mailbox_put, row);
	if (!err)
		err = inbox_audit(s, ws, actor, "mailbox.update", ws, NULL,
		    json_pack("{s:s,s:s,s:s,s:s,s:b}", "imap_url", imap, "smtp_url", smtp, "username", user,
			"address", addr, "password_changed", pw != NULL));
	if (err) {
		inbox_tx_abort(&tx);
		err_set(ei, err, "could not save the mailbox");
		goto out;
	}
	err = inbox_tx_commit(&tx);
	if (err) {
		err_set(ei, err, "could not save the mailbox");
		goto out;
	}
	*out = channels_email_mailbox_view(s, ws);
out:
	json_decref(old);
	json_decref(row);
	if (sealed != NULL) {
		sodium_memzero(sealed, strlen(sealed));
		free(sealed);
	}
	return err;
}

static err_t
email_cfg(const char *data_dir, const json_t *mb, struct mailbox_cfg *cfg, struct errinfo *ei)
{
	char *pw;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->imap_url, sizeof(cfg->imap_url), "%s", jsonx_str(mb, "imap_url"));
	snprintf(cfg->smtp_url, sizeof(cfg->smtp_url), "%s", jsonx_str(mb, "smtp_url"));
	snprintf(cfg->username, sizeof(cfg->username), "%s", jsonx_str(mb, "username"));
	snprintf(cfg->address, sizeof(cfg->address), "%s", jsonx_str(mb, "address"));
	snprintf(cfg->folder, sizeof(cfg->folder), "%s", jsonx_str(mb, "folder") ? jsonx_str(mb, "folder") : "INBOX");
	pw = channels_email_open(data_dir, jsonx_str(mb, "password_sealed") ? jsonx_str(mb, "password_sealed") : "");
	if (pw == NULL)
		return err_set(ei, ERR_INTERNAL, "the stored password cannot be decrypted with this server's key");
	snprintf(cfg->password, sizeof(cfg->password), "%s", pw);
	sodium_memzero(pw, strlen(pw));
	free(pw);
	return ERR_OK;
}

err_t
channels_email_mailbox_check(struct store *s, const char *data_dir, const char *ws, json_t **out,
    struct errinfo *ei)
{
	json_t *mb = ST(s, mailbox_get, ws);
	struct mailbox_cfg cfg;
	struct errinfo ie = {0}, se = {0};
	err_t err;

	if (mb == NULL)
		return err_set(ei, ERR_NOT_FOUND, "no mailbox is configured");
	err = email_cfg(data_dir, mb, &cfg, ei);
	json_decref(mb);
	if (err)
		return err;
	channels_imap_check(&cfg, &ie);
	channels_smtp_check(&cfg, &se);
	sodium_memzero(&cfg, sizeof(cfg));
	*out = json_pack("{s:b,s:{s:b,s:s?},s:{s:b,s:s?}}", "ok", ie.code == 0 && se.code == 0, "imap", "ok",
	    ie.code == 0, "error", ie.code ? ie.msg : NULL, "smtp", "ok", se.code == 0, "error",
	    se.code ? se.msg : NULL);
	return ERR_OK;
}

/* ---- intake ---- */

/* Write bytes to dir/name unless it exists (content-addressed), durably. */
static int
email_save(const char *data_dir, const char *sub, const char *name, const void *data, size_t n)
{
	char dir[4096], path[4200], tmp[4300];
	struct stat st;
	int fd, rc = -1;

	snprintf(dir, sizeof(dir), "%s/%s", data_dir, sub);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)pthread_self() & 0xffff);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (n == 0 || write(fd, data, n) == (ssize_t)n)
		rc = fsync(fd);
	close(fd);
	if (rc == 0)
		rc = rename(tmp, path);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

static char *
email_conv_of_ref(struct store *s, const char *ws, const char *ref)
{
	json_t *row = ST(s, email_by_mid, ws, ref), *conv;
	char *id = NULL;

	if (row != NULL && jsonx_str(row, "conversation_id") != NULL)
		id = xstrdup(jsonx_str(row, "conversation_id"));
	json_decref(row);
	if (id != NULL)
		return id;
	/* Our own Message-IDs name the conversation: baton.<cv_id>.<n>@domain. */
	if (strncmp(ref, "baton.cv_", 9) == 0) {
		const char *dot = strchr(ref + 6, '.');
		char cid[48];

		if (dot != NULL && (size_t)(dot - (ref + 6)) < sizeof(cid)) {
			snprintf(cid, sizeof(cid), "%.*s", (int)(dot - (ref + 6)), ref + 6);
			conv = ST(s, conv_get, ws, cid);
			if (conv != NULL)
				id = xstrdup(cid);
			json_decref(conv);
		}
	}
	return id;
}

/* A subject without reply and forward prefixes, [#N] tokens, case and
 * spacing, for comparison. */
static void
email_subject_key(const char *subj, char out[256])
{
	const char *p = subj ? subj : "";
	size_t o = 0;
	int again = 1;

	while (again) {
		again = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "re:", 3) == 0 || strncasecmp(p, "aw:", 3) == 0 || strncasecmp(p, "sv:", 3) == 0) {
			p += 3;
			again = 1;
		} else if (strncasecmp(p, "fw:", 3) == 0) {
			p += 3;
			again = 1;
		} else if (strncasecmp(p, "fwd:", 4) == 0) {
			p += 4;
			again = 1;
		} else if (p[0] == '[' && p[1] == '#') {
			const char *e = strchr(p, ']');

			if (e != NULL) {
				p = e + 1;
				again = 1;
			}
		}
	}
	for (; *p && o < 255; p++) {
		if (p[0] == '[' && p[1] == '#') {
			const char *e = strchr(p, ']');

			if (e != NULL) {
				p = e;
				continue;
			}
		}
		if (*p == ' ' || *p == '\t') {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
			continue;
		}
		out[o++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* The conversation this mail belongs to, or NULL for a new one. */
static char *
email_thread_find(struct store *s, const char *ws, const struct mail *m)
{
	const char *p;
	char *id = NULL;
	int i;

	for (i = m->n_refs - 1; i >= 0 && id == NULL; i--)
		id = email_conv_of_ref(s, ws, m->refs[i]);
	/* A reply token in the address: support+cv_xxx@domain. */
	for (p = strstr(m->to, "+cv_"); p != NULL && id == NULL; p = strstr(p + 1, "+cv_")) {
		char cid[48];
		size_t k = 0;
		json_t *conv;

		p++;
		while (p[k] && p[k] != '@' && p[k] != ',' && k < sizeof(cid) - 1)
			k++;
		snprintf(cid, sizeof(cid), "%.*s", (int)k, p);
		conv = ST(s, conv_get, ws, cid);
		if (conv != NULL)
			id = xstrdup(cid);
		json_decref(conv);
	}
	/* [#N] in the subject, trusted only from the conversation's own contact. */
	p = strstr(m->subject, "[#");
	if (id == NULL && p != NULL) {
		char *end;
		long long n = strtoll(p + 2, &end, 10);

		if (n > 0 && *end == ']') {
			json_t *conv = ST(s, conv_by_number, ws, (int64_t)n);
			const char *ce = jsonx_str(conv, "contact_email");

			if (conv != NULL && ce != NULL && strcasecmp(ce, m->from_addr) == 0)
				id = xstrdup(jsonx_str(conv, "id"));
			json_decref(conv);
		}
	}
	/* Headers rewritten or dropped (some Outlook and Apple Mail replies): the
	 * same contact's open conversation with the same subject. */
	if (id == NULL) {
		json_t *convs = ST(s, conv_open_by_email, ws, m->from_addr);
		char want[256], have[256];
		size_t k;

		email_subject_key(m->subject, want);
		for (k = 0; k < json_array_size(convs) && id == NULL && want[0]; k++) {
			email_subject_key(jsonx_str(json_array_get(convs, k), "subject"), have);
			if (strcmp(want, have) == 0)
				id = xstrdup(jsonx_str(json_array_get(convs, k), "id"));
		}
		json_decref(convs);
	}
	return id;
}

static char *
email_body(const struct mail *m)
{
	const char *src = m->stripped[0] ? m->stripped : m->text;
	size_t n = strlen(src);
	char *b;

	if (n == 0 || strspn(src, " \t\n") == n) {
		char tmp[128];

		snprintf(tmp, sizeof(tmp), "(no text; %d attachment%s)", m->n_att, m->n_att == 1 ? "" : "s");
		return xstrdup(tmp);
	}
	if (n > BODY_MAX - 64) {
		n = BODY_MAX - 64;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	b = xstrndup(src, n);
	return b;
}

static void
email_record_refusal(struct store *s, const char *ws, const char *mid, const struct mail *m,
    const char *reason, const char *conv_id, const char *raw_path, size_t len)
{
	json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:I,s:I}", "workspace_id", ws,
	    "message_id", mid, "direction", "in", "status", "refused", "reason", reason, "conversation_id",
	    conv_id, "from_addr", m ? m->from_addr : NULL, "subject", m ? m->subject : NULL, "raw_path",
	    raw_path, "size", (json_int_t)len, "created_at", (json_int_t)util_now_ms());

	if (ST(s, email_add, row) == -1)
		log_warnx("email: cannot record the refused message %s", mid);
	json_decref(row);
}

err_t
channels_email_ingest(struct store *s, const char *data_dir, const char *ws, const char *raw,
    size_t len, const char **status_out, struct errinfo *ei)
{
	struct mail m;
	struct errinfo pe = {0};
	char sha[65], mid[300], rawname[80], reason[300], *conv_id = NULL, *body = NULL;
	json_t *prev = NULL, *mb = NULL, *conv = NULL, *row = NULL, *ctx = NULL, *msg = NULL;
	struct principal vis;
	int parsed = 0, i;
	int64_t eid = -1, now = util_now_ms();
	const char *status = "accepted";
	err_t err = ERR_OK;

	util_sha256_hex(raw, len, sha);
	snprintf(rawname, sizeof(rawname), "%s.eml", sha);
	if (channels_mime_parse(raw, len, &m, &pe)) {
		snprintf(mid, sizeof(mid), "nomid.%.32s@baton.invalid", sha);
		snprintf(reason, sizeof(reason), "invalid: %s", pe.msg);
		prev = ST(s, email_by_mid, ws, mid);
		if (prev == NULL)
			email_record_refusal(s, ws, mid, NULL, reason, NULL, NULL, len);
		status = prev ? "duplicate" : "refused";
		goto out;
	}
	parsed = 1;
	if (m.message_id[0])
		snprintf(mid, sizeof(mid), "%s", m.message_id);
	else
		snprintf(mid, sizeof(mid), "nomid.%.32s@baton.invalid", sha);
	prev = ST(s, email_by_mid, ws, mid);
	if (prev != NULL && strcmp(jsonx_str(prev, "status"), "processing") != 0) {
		status = "duplicate";
		goto out;
	}
	if (email_save(data_dir, "mail", rawname, raw, len) != 0) {
		err = err_set(ei, ERR_IO, "cannot save the raw message");
		goto out;
	}
	mb = ST(s, mailbox_get, ws);
	if (m.refusal == NULL && mb != NULL && strcasecmp(m.from_addr, jsonx_str(mb, "address")) == 0)
		m.refusal = "own_address";
	conv_id = email_thread_find(s, ws, &m);
	if (m.refusal != NULL) {
		if (prev == NULL)
			email_record_refusal(s, ws, mid, &m, m.refusal, conv_id, rawname, len);
		status = "refused";
		goto out;
	}
	if (conv_id == NULL) {
		ctx = json_pack("{s:s,s:s?,s:s?}", "email", m.from_addr, "name", m.from_name[0] ? m.from_name : NULL,
		    "subject", m.subject[0] ? m.subject : NULL);
		err = inbox_conv_start(s, ws, "email", ctx, NULL, &conv, ei);
		if (err == ERR_INVALID) {
			email_record_refusal(s, ws, mid, &m, ei->msg, NULL, rawname, len);
			status = "refused";
			err = ERR_OK;
			goto out;
		}
		if (err)
			goto out;
		conv_id = xstrdup(jsonx_str(conv, "id"));
	}
	/* Record first: a crash after this point refetches and finishes the job. */
	if (prev != NULL) {
		eid = jsonx_int(prev, "id", -1);
	} else {
		row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "workspace_id", ws,
		    "message_id", mid, "direction", "in", "status", "processing", "conversation_id", conv_id,
		    "from_addr", m.from_addr, "to_addr", m.to, "subject", m.subject, "body_full", "",
		    "raw_path", rawname, "size", (json_int_t)len, "created_at", (json_int_t)now);
		{
			size_t tl = strlen(m.text);

			if (tl > EMAIL_FULL_MAX) {
				tl = EMAIL_FULL_MAX;
				while (tl > 0 && ((unsigned char)m.text[tl] & 0xC0) == 0x80)
					tl--;
			}
			json_object_set_new(row, "body_full", json_stringn(m.text, tl));
		}
		eid = ST(s, email_add, row);
		if (eid < 0) {
			err = err_set(ei, ERR_STORE, "cannot record the message");
			goto out;
		}
	}
	memset(&vis, 0, sizeof(vis));
	vis.kind = P_VISITOR;
	snprintf(vis.workspace_id, sizeof(vis.workspace_id), "%s", ws);
	snprintf(vis.id, sizeof(vis.id), "%s", conv_id);
	body = email_body(&m);
	err = inbox_msg_post(s, &vis, conv_id, "visitor", body, 0, NULL, &msg, ei);
	if (err)
		goto out;
	for (i = 0; i < m.n_att; i++) {
		char asha[65], aid[40], rid[32];
		json_t *a;

		util_sha256_hex(m.att[i].data, m.att[i].len, asha);
		if (email_save(data_dir, "attachments", asha, m.att[i].data, m.att[i].len) != 0) {
			log_warnx("email: cannot save an attachment of %s", mid);
			continue;
		}
		util_random_id(rid, 10);
		snprintf(aid, sizeof(aid), "at_%s", rid);
		a = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:I,s:s,s:I}", "id", aid, "workspace_id", ws,
		    "conversation_id", conv_id, "email_id", (json_int_t)eid, "filename", m.att[i].filename,
		    "content_type", m.att[i].content_type, "size", (json_int_t)m.att[i].len, "sha256", asha,
		    "created_at", (json_int_t)now);
		if (ST(s, attachment_add, a))
			log_warnx("email: cannot record an attachment of %s", mid);
		json_decref(a);
	}
	json_decref(row);
	row = json_pack("{s:s,s:I,s:s?}", "status", "accepted", "msg_id", jsonx_int(msg, "id", 0), "reason",
	    m.att_dropped ? "attachments over the size limit were dropped" : NULL);
	ST(s, email_update, eid, row);
out:
	if (status_out != NULL)
		*status_out = status;
	if (parsed)
		channels_mime_free(&m);
	free(conv_id);
	free(body);
	json_decref(prev);
	json_decref(mb);
	json_decref(conv);
	json_decref(row);
	json_decref(ctx);
	json_decref(msg);
	return err;
}

/* ---- outgoing replies ---- */

/* Queue (in the outbox table) the reply for one message of a conversation
 * that has incoming mail; returns 1 when queued. */
static int
email_queue_reply(struct store *s, const char *ws, const char *conv_id, const json_t *msgv)
{
	json_t *thread = ST(s, email_thread, conv_id), *mb = NULL, *conv = NULL, *row = NULL, *last_in = NULL;
	struct buf refs;
	char mid[300], subject[300], from[300];
	const char *dom, *subj;
	char *raw = NULL;
	size_t i, first;
	int queued = 0;
	int64_t msg_id = jsonx_int(msgv, "id", 0);

	buf_init(&refs, 8192);
	for (i = 0; i < json_array_size(thread); i++) {
		json_t *e = json_array_get(thread, i);

		if (strcmp(jsonx_str(e, "direction"), "in") == 0 && strcmp(jsonx_str(e, "status"), "refused") != 0)
			last_in = e;
	}
	if (last_in == NULL)
		goto out;
	mb = ST(s, mailbox_get, ws);
	conv = ST(s, conv_get, ws, conv_id);
	if (mb == NULL || conv == NULL)
		goto out;
	dom = strrchr(jsonx_str(mb, "address"), '@');
	snprintf(mid, sizeof(mid), "baton.%s.%lld@%s", conv_id, (long long)msg_id, dom ? dom + 1 : "baton.invalid");
	/* References: the first message and the newest ones (RFC 5322 3.6.4). */
	first = json_array_size(thread) > 12 ? json_array_size(thread) - 11 : 1;
	for (i = 0; i < json_array_size(thread); i++) {
		json_t *e = json_array_get(thread, i);

		if (i != 0 && i < first)
			continue;
		if (strcmp(jsonx_str(e, "status"), "refused") == 0 && i != 0)
			continue;
		buf_printf(&refs, "%s<%s>", refs.len ? " " : "", jsonx_str(e, "message_id"));
	}
	subj = jsonx_str(last_in, "subject");
	if (subj == NULL || *subj == '\0')
		subj = jsonx_str(conv, "subject") ? jsonx_str(conv, "subject") : "Your question";
	{
		char num[32];

		snprintf(num, sizeof(num), "[#%lld]", (long long)jsonx_int(conv, "number", 0));
		snprintf(subject, sizeof(subject), "%s%s%s%s", strncasecmp(subj, "Re:", 3) == 0 ? "" : "Re: ", subj,
		    strstr(subj, num) ? "" : " ", strstr(subj, num) ? "" : num);
	}
	snprintf(from, sizeof(from), "%s", jsonx_str(mb, "address"));
	raw = channels_mime_build(from, jsonx_str(last_in, "from_addr"), subject, mid,
	    jsonx_str(last_in, "message_id"), refs.p, strcmp(jsonx_str(msgv, "author_kind"), "agent") == 0,
	    jsonx_str(msgv, "body") ? jsonx_str(msgv, "body") : "");
	row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "workspace_id", ws,
	    "message_id", mid, "direction", "out", "status", "queued", "conversation_id", conv_id, "msg_id",
	    (json_int_t)msg_id, "from_addr", from, "to_addr", jsonx_str(last_in, "from_addr"), "subject", subject,
	    "body_full", raw, "size", (json_int_t)strlen(raw), "next_at", (json_int_t)util_now_ms(),
	    "created_at", (json_int_t)util_now_ms());
	queued = ST(s, email_add, row) >= 0;
out:
	buf_free(&refs);
	free(raw);
	json_decref(thread);
	json_decref(mb);
	json_decref(conv);
	json_decref(row);
	return queued;
}

static void
email_send_due(struct store *s, const char *data_dir)
{
	int64_t now = util_now_ms();
	json_t *due = ST(s, email_due, now, 20);
	size_t i;

	for (i = 0; i < json_array_size(due); i++) {
		json_t *e = json_array_get(due, i), *mb = ST(s, mailbox_get, jsonx_str(e, "workspace_id")), *f;
		struct mailbox_cfg cfg;
		struct errinfo ei = {0};
		int64_t attempts = jsonx_int(e, "attempts", 0) + 1;
		err_t err = mb == NULL ? err_set(&ei, ERR_NOT_FOUND, "no mailbox") : email_cfg(data_dir, mb, &cfg, &ei);

		if (!err) {
			err = channels_smtp_send(&cfg, jsonx_str(e, "to_addr"), jsonx_str(e, "body_full"), &ei);
			sodium_memzero(&cfg, sizeof(cfg));
		}
		if (!err)
			f = json_pack("{s:s,s:I,s:n}", "status", "sent", "attempts", (json_int_t)attempts, "last_error");
		else
			f = json_pack("{s:s,s:I,s:I,s:s}", "status", attempts >= EMAIL_SEND_ATTEMPTS ? "failed" : "queued",
			    "attempts", (json_int_t)attempts, "next_at", (json_int_t)(now + (1000LL << attempts)),
			    "last_error", ei.msg);
		if (err)
			log_warnx("email: sending %s failed: %s", jsonx_str(e, "message_id"), ei.msg);
		ST(s, email_update, jsonx_int(e, "id", 0), f);
		json_decref(f);
		json_decref(mb);
	}
	json_decref(due);
}

/* ---- threads ---- */

struct ch_job {
	char ws[40];
	char conv[40];
	char type[48];
	char *data;
	struct ch_job *next;
};

struct ch_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ch_job *head, *tail;
	int len;
};

static struct {
	char *data_dir;
	int running, stop;
	pthread_t poller, sender, dispatcher;
	struct bus_sub *sub;
	struct ch_queue send_q, disp_q;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
} ch = {.send_q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0},
	.disp_q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0},
	.stop_mu = PTHREAD_MUTEX_INITIALIZER, .stop_cv = PTHREAD_COND_INITIALIZER};

static void
ch_push(struct ch_queue *q, const struct bus_event *ev)
{
	struct ch_job *j;

	pthread_mutex_lock(&q->mu);
	if (q->len >= 100000) {
		pthread_mutex_unlock(&q->mu);
		log_warnx("channels: queue full, event %lld dropped", (long long)ev->id);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	snprintf(j->ws, sizeof(j->ws), "%s", ev->workspace_id ? ev->workspace_id : "");
	snprintf(j->conv, sizeof(j->conv), "%s", ev->conversation_id ? ev->conversation_id : "");
	snprintf(j->type, sizeof(j->type), "%s", ev->type);
	j->data = xstrdup(ev->data ? ev->data : "{}");
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->len++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* The next job, waiting at most ms; NULL on timeout or stop. */
static struct ch_job *
ch_pop(struct ch_queue *q, int ms)
{
	struct ch_job *j;
	struct timespec ts;

	pthread_mutex_lock(&q->mu);
	if (q->head == NULL && !ch.stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(ms % 1000) * 1000000L;
		ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&q->cv, &q->mu, &ts);
	}
	j = q->head;
	if (j != NULL) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->len--;
	}
	pthread_mutex_unlock(&q->mu);
	return j;
}

static void
ch_job_free(struct ch_job *j)
{
	free(j->data);
	free(j);
}

static void
ch_on_event(void *ctx, const struct bus_event *ev)
{
	if (ev->workspace_id == NULL || ev->ephemeral) /* collab: presence is not for webhooks */
		return;
	if (strcmp(ev->type, "message.created") == 0 && !ev->internal && ev->conversation_id != NULL &&
	    ev->data != NULL && (strstr(ev->data, "\"author_kind\":\"agent\"") != NULL ||
	    strstr(ev->data, "\"author_kind\":\"member\"") != NULL))
		ch_push(&ch.send_q, ev);
	ch_push(&ch.disp_q, ev);
}

static int
ch_sleep(int ms)
{
	struct timespec ts;
	int stop;

	pthread_mutex_lock(&ch.stop_mu);
	if (!ch.stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(ms % 1000) * 1000000L;
		ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&ch.stop_cv, &ch.stop_mu, &ts);
	}
	stop = ch.stop;
	pthread_mutex_unlock(&ch.stop_mu);
	return stop;
}

struct poll_ctx {
	struct store *s;
	const char *ws;
	int stored, failed;
};

static int
ch_poll_one(void *ctx, uint32_t uid, const char *raw, size_t len, int too_large)
{
	struct poll_ctx *pc = ctx;
	struct errinfo ei = {0};
	const char *status = NULL;

	if (too_large || raw == NULL) {
		char mid[64];
		json_t *prev;

		snprintf(mid, sizeof(mid), "toolarge.uid%u@baton.invalid", uid);
		prev = ST(pc->s, email_by_mid, pc->ws, mid);
		if (prev == NULL)
			email_record_refusal(pc->s, pc->ws, mid, NULL, "too_large", NULL, NULL, 0);
		json_decref(prev);
		return 0;
	}
	if (channels_email_ingest(pc->s, ch.data_dir, pc->ws, raw, len, &status, &ei)) {
		log_warnx("email: message uid %u of %s not stored (%s); it stays unseen", uid, pc->ws, ei.msg);
		pc->failed++;
		return -1;
	}
	log_debug("email: uid %u of %s %s", uid, pc->ws, status);
	pc->stored++;
	return 0;
}

static void *
ch_poller(void *arg)
{
	struct errinfo ei = {0};
	struct store *s = store_open(ch.data_dir, &ei);

	if (s == NULL) {
		log_warnx("email poller: %s", ei.msg);
		return NULL;
	}
	while (!ch_sleep(250)) {
		json_t *mbs = ST(s, mailbox_list);
		int64_t now = util_now_ms();
		size_t i;

		for (i = 0; i < json_array_size(mbs) && !ch.stop; i++) {
			json_t *mb = json_array_get(mbs, i), *f;
			const char *ws = jsonx_str(mb, "workspace_id");
			struct mailbox_cfg cfg;
			struct poll_ctx pc = {s, ws, 0, 0};
			struct errinfo pe = {0};
			err_t err;

			if (now - jsonx_int(mb, "last_poll_at", 0) < jsonx_int(mb, "poll_seconds", 30) * 1000)
				continue;
			err = email_cfg(ch.data_dir, mb, &cfg, &pe);
			if (!err)
				err = channels_imap_poll(&cfg, ch_poll_one, &pc, &pe);
			sodium_memzero(&cfg, sizeof(cfg));
			f = json_pack("{s:I,s:s?}", "last_poll_at", (json_int_t)util_now_ms(), "last_error",
			    err ? pe.msg : NULL);
			if (err)
				log_warnx("email: polling %s: %s", ws, pe.msg);
			ST(s, mailbox_update, ws, f);
			json_decref(f);
		}
		json_decref(mbs);
	}
	ST(s, close);
	return NULL;
}

static void *
ch_sender(void *arg)
{
	struct errinfo ei = {0};
	struct store *s = store_open(ch.data_dir, &ei);

	if (s == NULL) {
		log_warnx("email sender: %s", ei.msg);
		return NULL;
	}
	while (!ch.stop) {
		struct ch_job *j = ch_pop(&ch.send_q, 500);

		if (j != NULL) {
			json_t *d = json_loads(j->data, 0, NULL);
			json_t *msgv = json_object_get(d, "message");

			if (msgv != NULL && !json_is_true(json_object_get(msgv, "internal")))
				email_queue_reply(s, j->ws, j->conv, msgv);
			json_decref(d);
			ch_job_free(j);
		}
		email_send_due(s, ch.data_dir);
	}
	ST(s, close);
	return NULL;
}

static void *
ch_dispatcher(void *arg)
{
	struct errinfo ei = {0};
	struct store *s = store_open(ch.data_dir, &ei);
	int64_t last_tick = 0;

	if (s == NULL) {
		log_warnx("channels dispatcher: %s", ei.msg);
		return NULL;
	}
	while (!ch.stop) {
		struct ch_job *j = ch_pop(&ch.disp_q, 200);
		int64_t now = util_now_ms();

		if (j != NULL) {
			channels_webhook_enqueue(s, j->ws, j->type, j->data, now);
			if (strcmp(j->type, "conversation.handoff") == 0 && j->conv[0])
				channels_oncall_handoff(s, j->ws, j->conv, now);
			if (strcmp(j->type, "notification.created") == 0) /* collab: mention e-mails */
				channels_notify_mail_event(s, j->ws, j->data, now);
			ch_job_free(j);
		}
		channels_webhook_run(s, now);
		if (now - last_tick >= 1000) {
			channels_oncall_tick(s, now);
			channels_stale_tick(s, now); /* suggest: stale-thread notices (I7) */
			last_tick = now;
		}
	}
	ST(s, close);
	return NULL;
}

err_t
channels_start(const char *data_dir)
{
	if (ch.running)
		return ERR_OK;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ch.data_dir = xstrdup(data_dir);
	ch.stop = 0;
	ch.sub = bus_subscribe(ch_on_event, NULL);
	inbox_set_writer_hook(channels_writer_rephrase); /* A7: used only when a workspace sets writer_url */
	if (pthread_create(&ch.poller, NULL, ch_poller, NULL) != 0 ||
	    pthread_create(&ch.sender, NULL, ch_sender, NULL) != 0 ||
	    pthread_create(&ch.dispatcher, NULL, ch_dispatcher, NULL) != 0)
		fatalx("channels: cannot start threads");
	ch.running = 1;
	return ERR_OK;
}

const char *
channels_data_dir(void)
{
	return ch.data_dir;
}

void
channels_stop(void)
{
	struct ch_job *j;

	if (!ch.running)
		return;
	bus_unsubscribe(ch.sub);
	inbox_set_writer_hook(NULL);
	pthread_mutex_lock(&ch.stop_mu);
	ch.stop = 1;
	pthread_cond_broadcast(&ch.stop_cv);
	pthread_mutex_unlock(&ch.stop_mu);
	pthread_mutex_lock(&ch.send_q.mu);
	pthread_cond_broadcast(&ch.send_q.cv);
	pthread_mutex_unlock(&ch.send_q.mu);
	pthread_mutex_lock(&ch.disp_q.mu);
	pthread_cond_broadcast(&ch.disp_q.cv);
	pthread_mutex_unlock(&ch.disp_q.mu);
	pthread_join(ch.poller, NULL);
	pthread_join(ch.sender, NULL);
	pthread_join(ch.dispatcher, NULL);
	for (j = ch_pop(&ch.send_q, 0); j != NULL; j = ch_pop(&ch.send_q, 0))
		ch_job_free(j);
	for (j = ch_pop(&ch.disp_q, 0); j != NULL; j = ch_pop(&ch.disp_q, 0))
		ch_job_free(j);
	free(ch.data_dir);
	ch.data_dir = NULL;
	ch.running = 0;
}
