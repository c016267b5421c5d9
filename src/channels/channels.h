/* channels.h: the email channel (MIME parsing, IMAP intake, SMTP replies),
 * outgoing webhooks and on-call notifications with the escalation ladder.
 *
 * channels_start() runs three threads, each with its own store connection:
 * the mailbox poller (IMAP -> inbox), the sender (bus -> SMTP), and the
 * dispatcher (bus -> webhooks, on-call notifications, escalation ticks).
 * Inbox code is never changed for them: they subscribe to the bus. The one
 * call the other way is the answer writer, which channels_start() hands to
 * the agent loop as its inbox_writer_hook. */
#ifndef BATON_CHANNELS_H
#define BATON_CHANNELS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* ---- MIME (channels_mime.c) ---- */

#define MAIL_RAW_MAX (25 * 1024 * 1024)   /* a whole message */
#define MAIL_ATTACH_MAX (10 * 1024 * 1024) /* one attachment */
#define MAIL_ATTACH_COUNT 32
#define MAIL_REFS_MAX 32

struct mail_attachment {
	char *filename;     /* sanitised, never NULL */
	char *content_type;
	unsigned char *data;
	size_t len;
};

/* A parsed message. Every string is owned, UTF-8, and may be "" but not NULL
 * (except where noted). */
struct mail {
	char *message_id;   /* without angle brackets; "" when absent */
	char *in_reply_to;  /* first id, without brackets; "" when absent */
	char *refs[MAIL_REFS_MAX]; /* References then In-Reply-To, de-duplicated */
	int n_refs;
	char *from_addr;    /* lowercased address */
	char *from_name;
	char *to;           /* all To/Cc/Delivered-To addresses, comma separated */
	char *subject;
	char *text;         /* the full text (HTML converted to text when no text part) */
	char *stripped;     /* the text without quoted history and signature */
	char *html;         /* the raw HTML part when present, else NULL: never rendered */
	int html_only;
	/* Not to be answered: "auto_reply", "bounce", "delivery_report",
	 * "list", "no_sender", or NULL when it is a person's mail. */
	const char *refusal;
	struct mail_attachment att[MAIL_ATTACH_COUNT];
	int n_att;
	int att_dropped;    /* attachments over the caps */
};

/* Parse one RFC 5322 message. ERR_INVALID (with ei) when it is not a message
 * at all; a message that parses but must not be answered sets m->refusal. */
err_t channels_mime_parse(const char *raw, size_t len, struct mail *m, struct errinfo *ei);
void channels_mime_free(struct mail *m);
/* Quoted history ("On ... wrote:", "> ", Outlook's "-----Original Message-----"
 * and From:/Sent: blocks) and the signature ("-- ", common sign-offs) cut
 * away. Returns a new string. */
char *channels_mime_strip(const char *text);
/* Split an mbox file into messages: calls fn for each (From_ lines removed,
 * ">From " unescaped is not needed for parsing). Returns the count. */
int channels_mime_mbox_split(const char *data, size_t len,
    void (*fn)(void *ctx, const char *msg, size_t n), void *ctx);
/* Build an outgoing text/plain message (caller frees). references may be
 * NULL; auto_submitted adds Auto-Submitted: auto-replied (agent answers). */
char *channels_mime_build(const char *from, const char *to, const char *subject,
    const char *message_id, const char *in_reply_to, const char *references,
    int auto_submitted, const char *body);

/* ---- IMAP and SMTP (channels_imap.c, channels_smtp.c) ---- */

struct mailbox_cfg {
	char imap_url[256];   /* imap://host:port or imaps://host:port */
	char smtp_url[256];   /* smtp://host:port or smtps://host:port */
	char username[256];
	char password[256];
	char address[256];    /* the address mail is sent from and to */
	char folder[128];     /* default INBOX */
	int starttls;         /* require STARTTLS on plain URLs */
};

/* Called with each unseen message; return 0 when it is stored (it is then
 * marked \Seen), non-zero to leave it unseen for the next poll. */
typedef int (*imap_msg_fn)(void *ctx, uint32_t uid, const char *raw, size_t len, int too_large);

/* One poll: log in, search unseen, fetch each with BODY.PEEK[], call fn,
 * mark \Seen after fn succeeds. */
err_t channels_imap_poll(const struct mailbox_cfg *cfg, imap_msg_fn fn, void *ctx,
    struct errinfo *ei);
/* Log in to IMAP and SMTP; a clear error in ei when it fails. */
err_t channels_imap_check(const struct mailbox_cfg *cfg, struct errinfo *ei);
err_t channels_smtp_check(const struct mailbox_cfg *cfg, struct errinfo *ei);
err_t channels_smtp_send(const struct mailbox_cfg *cfg, const char *rcpt, const char *msg,
    struct errinfo *ei);

/* ---- the email channel (channels_email.c) ---- */

/* Store one incoming message: thread it, start or join a conversation, post
 * the stripped text as the visitor, keep the original and attachments.
 * Refused messages are recorded with their reason and not posted. *status_out
 * (may be NULL) gets "accepted", "refused" or "duplicate". */
err_t channels_email_ingest(struct store *s, const char *data_dir, const char *ws,
    const char *raw, size_t len, const char **status_out, struct errinfo *ei);
/* The server key (data_dir/secret.key, 0600, created on first use) and
 * sealing of mailbox credentials with crypto_secretbox. */
char *channels_email_seal(const char *data_dir, const char *plain);
char *channels_email_open(const char *data_dir, const char *sealed);
/* Mailbox settings: stored with the password sealed; returned without it. */
err_t channels_email_mailbox_put(struct store *s, const char *data_dir, const char *ws,
    const char *actor, json_t *req, json_t **out, struct errinfo *ei);
json_t *channels_email_mailbox_view(struct store *s, const char *ws);
err_t channels_email_mailbox_check(struct store *s, const char *data_dir, const char *ws,
    json_t **out, struct errinfo *ei);

/* ---- webhooks (channels_webhook.c) ---- */

/* The signature header value: "t=<unix seconds>,v1=<hex hmac>" over
 * "<t>.<body>". out holds 96 bytes. */
void channels_webhook_sign(const char *secret, int64_t t, const char *body, size_t n,
    char out[96]);
/* The wait before the next attempt after `attempts` failures: a base
 * (BATON_WEBHOOK_BACKOFF_MS, default 5 s) doubled each time, up to 2^11 x base. */
int64_t channels_webhook_backoff_ms(int64_t attempts);
/* Queue deliveries of one event for the workspace's matching webhooks. */
void channels_webhook_enqueue(struct store *s, const char *ws, const char *type,
    const char *data, int64_t now);
/* Attempt every delivery that is due; returns how many were attempted. */
int channels_webhook_run(struct store *s, int64_t now);
err_t channels_webhook_replay(struct store *s, const char *ws, int64_t delivery_id,
    json_t **out, struct errinfo *ei);

/* ---- on-call (channels_oncall.c) ---- */

/* The member on call for a role ("primary" or "backup") at a time, or NULL. */
json_t *channels_oncall_who(struct store *s, const char *ws, const char *role, int64_t now);
/* A handoff: assign to the primary, notify them, start the ladder. */
err_t channels_oncall_handoff(struct store *s, const char *ws, const char *conv_id,
    int64_t now);
/* Advance every ladder whose step is due and not acknowledged. Returns the
 * number of steps taken. */
int channels_oncall_tick(struct store *s, int64_t now);
/* A member acknowledged (claimed, replied or opened): the ladder stops. */
err_t channels_oncall_ack(struct store *s, const char *ws, const char *conv_id,
    const char *member_id, int64_t now);
/* collab (issue 4): the e-mail copy of a notification.created event's mention. */
void channels_notify_mail_event(struct store *s, const char *ws, const char *data, int64_t now);
/* Record a notification (in-app row, bus event, email when the member wants). */
err_t channels_notify(struct store *s, const char *ws, const char *member_id, const char *kind,
    const char *conv_id, const char *text, int64_t now);

/* ---- stale threads (channels_stale.c) ---- */

/* Notify the assignee (or the primary on call) of every stale thread whose
 * notice is due at now, once per limit. Returns the number of notices. */
int channels_stale_tick(struct store *s, int64_t now);

/* ---- the optional answer writer (channels_writer.c; DESIGN A7, S4) ---- */

struct inbox_writer_req;
/* The "[redacted]" that replaces each match of a redaction pattern. */
extern const char channels_writer_mark[];
/* text with every match of the patterns (a JSON array of POSIX EREs, matched
 * case-insensitively) replaced by the mark; caller frees. *bad (may be NULL)
 * is set when a pattern does not compile. */
char *channels_writer_redact(const json_t *patterns, const char *text, int *bad);
/* 1 when every digit run of reply occurs as a whole run in the question or a passage. */
int channels_writer_numbers_ok(const char *reply, const char *question,
    const char *const *passages, size_t n_passages);
/* NULL when the reply may be sent, else why not: "empty", "too_long" (over
 * 120 words or 3x the extractive answer's words), "new_number". */
const char *channels_writer_check(const char *reply, const struct inbox_writer_req *rq);
/* The text of a chat completion response ({"choices":[{"message":{"content"}}]}),
 * trimmed, in *out (caller frees): NULL, or "malformed" / "empty" with *out NULL. */
const char *channels_writer_parse(const char *body, size_t n, char **out);
/* The chat completion request (JSON, caller frees), everything redacted;
 * *bad when a pattern does not compile (the request must not be sent). */
char *channels_writer_request(const struct inbox_writer_req *rq, int *bad);
/* {base}/v1/chat/completions ({base}/chat/completions when base ends in /v1). */
char *channels_writer_endpoint(const char *base);
/* The inbox_writer_hook: one POST, bounded by writer_timeout_ms. */
char *channels_writer_rephrase(struct inbox_writer_req *rq);

/* ---- lifecycle (channels_email.c) ---- */

err_t channels_start(const char *data_dir);
/* The data directory given to channels_start (for the API), or NULL. */
const char *channels_data_dir(void);
void channels_stop(void);

#endif
