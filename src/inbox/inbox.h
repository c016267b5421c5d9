/* inbox.h: the domain. Accounts and sessions, conversations and messages, the
 * handoff state machine, the audit trail, and the agent's live loop. It does
 * no I/O except through store/ and the event bus, and knows no HTTP.
 *
 * Every mutation runs in one store transaction that also appends its timeline
 * entry, its audit row and its events; the events are published on the bus
 * after the commit, in ID order. */
#ifndef BATON_INBOX_H
#define BATON_INBOX_H

#include <jansson.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/err.h"
#include "store/store.h"

enum role { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_AGENT = 2, ROLE_ADMIN = 3, ROLE_OWNER = 4 };
enum principal_kind { P_ANON = 0, P_MEMBER, P_TOKEN, P_VISITOR };

/* Who is calling. Filled by inbox_auth_*; strings are copies. */
struct principal {
	int kind;
	int role;
	int via_cookie;       /* session cookie: writes need the CSRF token */
	char workspace_id[40];
	char id[40];          /* member id, token id, or the visitor's conversation id */
	char name[128];
	char email[256];
	char csrf[64];
	char session_hash[65];
	json_t *sites;        /* site scope (array) or NULL for all; owned */
};

void principal_clear(struct principal *p);
/* Site scope: 1 when sites (a member's scope) is NULL or empty (every site)
 * or lists site; 0 otherwise, and for a NULL site under a scope. */
int inbox_site_in(const json_t *sites, const char *site);
const char *role_name(int role);
int role_parse(const char *s); /* ROLE_NONE when unknown */

/* ---- accounts (inbox_auth.c) ---- */

/* Create a workspace and its owner; fills password (generated, shown once),
 * widget key and ids in out (a new object). */
err_t inbox_workspace_create(struct store *s, const char *name, const char *admin_email,
    json_t **out, struct errinfo *ei);
/* Password hashing with argon2id. */
err_t inbox_password_hash(const char *pw, char out[128]);
int inbox_password_check(const char *hash, const char *pw);
/* On success, token_out receives the session cookie value (64 chars). */
err_t inbox_login(struct store *s, const char *email, const char *password, const char *ip,
    char token_out[80], struct errinfo *ei);
err_t inbox_logout(struct store *s, const struct principal *p);
err_t inbox_session_lookup(struct store *s, const char *cookie, struct principal *p);
err_t inbox_token_lookup(struct store *s, const char *bearer, struct principal *p);
err_t inbox_visitor_lookup(struct store *s, const char *conv_id, const char *bearer,
    struct principal *p);
/* Members, invites, tokens. */
err_t inbox_invite(struct store *s, const struct principal *by, json_t *req, json_t **out,
    struct errinfo *ei);
err_t inbox_invite_accept(struct store *s, const char *token, const char *name,
    const char *password, json_t **member_out, struct errinfo *ei);
err_t inbox_member_update(struct store *s, const struct principal *by, const char *id,
    json_t *req, json_t **out, struct errinfo *ei);
err_t inbox_member_remove(struct store *s, const struct principal *by, const char *id,
    struct errinfo *ei);
err_t inbox_token_create(struct store *s, const struct principal *by, json_t *req,
    json_t **out, struct errinfo *ei);
err_t inbox_token_revoke(struct store *s, const struct principal *by, const char *id,
    struct errinfo *ei);
err_t inbox_settings_update(struct store *s, const struct principal *by, json_t *req,
    json_t **out, struct errinfo *ei);
/* The workspace's settings with defaults filled in (new reference). */
json_t *inbox_settings(struct store *s, const char *ws);
/* Settings as members and the audit trail see them: each secret (the writer's
 * API key) replaced by "<key>_set": true or false. Takes set, returns it. */
json_t *inbox_settings_view(json_t *set);

/* ---- transactions with events (inbox_tx.c) ---- */

struct inbox_tx {
	struct store *s;
	json_t *events; /* pending bus events, published after commit */
};

err_t inbox_tx_begin(struct inbox_tx *tx, struct store *s);
err_t inbox_tx_commit(struct inbox_tx *tx);
void inbox_tx_abort(struct inbox_tx *tx);
/* Record an event (stored now, published at commit). conv may be NULL. data is stolen. */
err_t inbox_tx_event(struct inbox_tx *tx, const char *ws, const json_t *conv, int internal,
    const char *type, json_t *data);
/* ---- collab (issue 4) ---- */
/* Like inbox_tx_event, internal, and seen only by the streams of member_id. */
err_t inbox_tx_event_member(struct inbox_tx *tx, const char *ws, const json_t *conv,
    const char *member_id, const char *type, json_t *data);
/* View a stored event row as a bus event (pointers into row). */
void inbox_event_view(const json_t *row, struct bus_event *ev);
err_t inbox_tx_timeline(struct inbox_tx *tx, const char *conv_id, const char *kind,
    const char *actor_kind, const char *actor_id, json_t *detail);

/* ---- audit (inbox_audit.c) ---- */

/* Append to the hash chain inside the caller's transaction. before and after
 * may be NULL; both are stolen. */
err_t inbox_audit(struct store *s, const char *ws, const char *actor, const char *action,
    const char *object, json_t *before, json_t *after);
/* Walk the chain; on a break, *bad_id is the first broken row. */
err_t inbox_audit_verify(struct store *s, int64_t *rows, int64_t *bad_id, struct errinfo *ei);
const char *inbox_actor(const struct principal *p, char buf[128]);

/* ---- conversations (inbox_conv.c) ---- */

/* Start a conversation. ctx may hold site, protocol, name, email, subject,
 * external_id. With want_token, *token_out (>= 64 bytes) gets a visitor token. */
err_t inbox_conv_start(struct store *s, const char *ws, const char *channel, json_t *ctx,
    char *token_out, json_t **conv_out, struct errinfo *ei);
/* The conversation if p may see it (workspace and site scope), else NULL with ei set. */
json_t *inbox_conv_get(struct store *s, const struct principal *p, const char *id,
    struct errinfo *ei);
/* Post a message. author_kind is visitor, member, agent or system. extra may
 * carry confidence, citations, handoff_reason, writer and writer_detail (agent;
 * writer_detail goes to the audit trail only). */
err_t inbox_msg_post(struct store *s, const struct principal *p, const char *conv_id,
    const char *author_kind, const char *body, int internal, json_t *extra,
    json_t **msg_out, struct errinfo *ei);
err_t inbox_conv_claim(struct store *s, const struct principal *p, const char *conv_id,
    json_t **out, struct errinfo *ei);
err_t inbox_conv_assign(struct store *s, const struct principal *p, const char *conv_id,
    const char *member_id, json_t **out, struct errinfo *ei);
err_t inbox_conv_status(struct store *s, const struct principal *p, const char *conv_id,
    const char *status, json_t **out, struct errinfo *ei);
err_t inbox_conv_handback(struct store *s, const struct principal *p, const char *conv_id,
    json_t **out, struct errinfo *ei);
/* The agent (or a rule) hands off: status needs_human, mode manual. */
err_t inbox_conv_handoff(struct store *s, const char *conv_id, const char *reason,
    const char *phrase, struct errinfo *ei);

/* ---- knowledge base (inbox_kb.c) ---- */

struct kb_index;

/* The workspace's in-memory index, built from the store on first use and kept
 * current by inbox_kb_add/remove. Shared by all threads of the process. */
struct kb_index *inbox_kb_index(struct store *s, const char *ws);
/* Extract and index a file (path) or bytes (data, n); name is the base name
 * cited in answers. A file with the same name becomes a new version that
 * supersedes the old one. effective may be NULL (today). On failure the
 * document is recorded as failed with its reason and nothing is indexed. */
err_t inbox_kb_add(struct store *s, const struct principal *by, const char *path,
    const void *data, size_t n, const char *name, const char *effective, json_t **doc_out,
    struct errinfo *ei);
/* Many files at once (a bulk `kb add`): the same result per file as
 * inbox_kb_add, through one sandboxed extractor child and a transaction per
 * chunk of documents instead of per document. path, data, n and name are the
 * caller's (name NULL: path's base name); err, ei and doc are filled, and doc
 * (the stored document, on success) is the caller's to free. done, if not
 * NULL, is called for every item, in order, once its chunk is committed.
 * Returns ERR_OK when every file was added, else the first file's error (in
 * ei). A bad file never stops the others. */
struct inbox_kb_item {
	const char *path;
	const void *data;
	size_t n;
	const char *name;
	err_t err;
	struct errinfo ei;
	json_t *doc;
};

err_t inbox_kb_add_many(struct store *s, const struct principal *by,
    struct inbox_kb_item *items, size_t n, const char *effective,
    void (*done)(void *arg, struct inbox_kb_item *it), void *arg, struct errinfo *ei);
/* Remove a document (every version of its name) from answers. */
err_t inbox_kb_remove(struct store *s, const struct principal *by, int64_t doc_id,
    struct errinfo *ei);
/* Ask the agent without a conversation (CLI ask, the admin's test box). The
 * result has answer, confidence, handoff, reason, phrase, citations, passages. */
json_t *inbox_kb_ask(struct store *s, const char *ws, const char *question);
/* Rebuild a workspace's index after its synonyms change. */
void inbox_kb_reload(struct store *s, const char *ws);

/* ---- the agent (inbox_agent.c) ---- */

/* Start the agent thread (the server does this); it answers visitor messages
 * in agent mode through the interlock, retrieval and the confidence gate. */
err_t inbox_agent_start(const char *dsn);
void inbox_agent_stop(void);
/* Answer one visitor message now, on the caller's thread (demo seeding, tests). */
err_t inbox_agent_answer(struct store *s, const char *ws, const char *conv_id, int64_t msg_id);

/* The optional answer writer (A7). After the agent has decided to answer, it
 * may hand its extractive answer, the question and the cited passages to a
 * writer that rephrases them (channels_writer.c sets it at serve start). The
 * writer is called with no store transaction and no index lock held. It
 * returns the new text (malloc'd) with why = "used", or NULL with why naming
 * the fault ("timeout", "http_error", ...) and detail saying more ("HTTP
 * 500"); the agent then sends its extractive answer. why becomes the
 * message's "writer"; detail goes to the audit trail. */
struct inbox_writer_req {
	const json_t *settings;        /* the workspace's (writer_*, redaction_patterns) */
	const char *question;
	const char *answer;            /* the extractive answer */
	const char *const *passages;   /* the cited passages' text */
	size_t n_passages;
	const char *why;               /* out: a static string */
	char detail[160];              /* out: "" or a line for the audit trail */
};
typedef char *(*inbox_writer_hook)(struct inbox_writer_req *rq);
void inbox_set_writer_hook(inbox_writer_hook fn);
/* ---- tags and rules (inbox_tags.c) ---- */

err_t inbox_tag_group_create(struct store *s, const struct principal *by, json_t *req,
    json_t **out, struct errinfo *ei);
err_t inbox_tag_create(struct store *s, const struct principal *by, json_t *req, json_t **out,
    struct errinfo *ei);
err_t inbox_tag_update(struct store *s, const struct principal *by, int64_t id, json_t *req,
    json_t **out, struct errinfo *ei);
err_t inbox_tag_delete(struct store *s, const struct principal *by, int64_t id, int group,
    struct errinfo *ei);
/* Add (or, with remove, take off) a tag by a member. A tag in a group of
 * cardinality one or at_most_one replaces the group's other tag; out says
 * which ({"tags": [...], "replaced": name}). */
err_t inbox_conv_tag(struct store *s, const struct principal *p, const char *conv_id,
    int64_t tag_id, int remove, json_t **out, struct errinfo *ei);
json_t *inbox_conv_tags(struct store *s, const char *ws, const char *conv_id);
err_t inbox_tags_apply_tx(struct inbox_tx *tx, const char *ws, const char *conv_id,
    int64_t tag_id, const char *source, const char *source_id, char **replaced,
    struct errinfo *ei);
/* Create (id <= 0) or replace a rule. Bad patterns are refused with the regex error. */
err_t inbox_rule_save(struct store *s, const struct principal *by, int64_t id, json_t *req,
    json_t **out, struct errinfo *ei);
err_t inbox_rule_delete(struct store *s, const struct principal *by, int64_t id,
    struct errinfo *ei);
err_t inbox_rules_run_tx(struct inbox_tx *tx, const char *ws, const json_t *conv,
    const char *text, json_t *fields, int *handoff);

/* Called after a visitor message commits in agent mode (set by the server). */
typedef void (*inbox_agent_hook)(const char *ws, const char *conv_id, int64_t msg_id);
void inbox_set_agent_hook(inbox_agent_hook fn);

/* ---- the monthly review and review entries (inbox_review.c) ---- */

/* "YYYY-MM" as [from, to) in UTC milliseconds. */
err_t inbox_review_month(const char *month, int64_t *from, int64_t *to, struct errinfo *ei);
/* The month's handed-off conversations grouped by similar question and ranked
 * by member time, and the knowledge gaps. sites: the caller's site scope
 * (array) or NULL for all. A new object, or NULL with ei set. */
json_t *inbox_review(struct store *s, const char *ws, const char *month, json_t *sites,
    struct errinfo *ei);
/* How member time is measured, in words (reports print it). */
extern const char inbox_review_member_time_doc[];
/* Member time of one thread (messages sorted by id) after its handoff, in ms. */
int64_t inbox_review_member_ms(const json_t *msgs, int64_t handoff_at);
/* Group an array of question strings: [{"rep": i, "members": [i...]}] in
 * order of first appearance. */
json_t *inbox_review_cluster(const json_t *questions, double threshold);
/* Propose {question, answer, conversation_id?}; missing text is filled from
 * the conversation (its question and its member's answer). */
err_t inbox_review_propose(struct store *s, const struct principal *by, json_t *req,
    json_t **out, struct errinfo *ei);
/* Approve (into a knowledge-base document, indexed at once) or reject a
 * pending entry; req may carry note and, on approval, edited question/answer. */
err_t inbox_review_decide(struct store *s, const struct principal *by, int64_t id, int approve,
    json_t *req, json_t **out, struct errinfo *ei);
/* Entries the principal may see (site scope), pending first; state may be NULL. */
json_t *inbox_review_entries(struct store *s, const struct principal *p, const char *state);

/* ---- suggest: suggested tags (T4), duplicates (I8), stale threads (I7) ---- */

#define SUGGEST_MIN 0.25          /* a suggestion is shown from this score */
#define SUGGEST_SHOW_MAX 3        /* at most this many per conversation */
#define INBOX_DUP_THRESHOLD 0.35  /* "answered in #N" from this similarity: the lowest with precision >= 0.65 on the bench's train groups */

/* The classifier alone (inbox_suggest.c), for the bench and unit tests. */
struct inbox_suggest_model;
struct inbox_suggest_score {
	int64_t tag_id;
	double score; /* 0..1; the scores of one text sum to 1 over the tags */
};
struct inbox_suggest_model *inbox_suggest_model_new(void);
void inbox_suggest_model_free(struct inbox_suggest_model *m);
/* Declare a tag; its name and description are its first evidence. -1 when full or known. */
int inbox_suggest_model_tag(struct inbox_suggest_model *m, int64_t tag_id, const char *name,
    const char *description);
/* One tagged text (tags not declared are ignored). */
void inbox_suggest_model_example(struct inbox_suggest_model *m, const char *text,
    const int64_t *tag_ids, size_t n);
void inbox_suggest_model_finish(struct inbox_suggest_model *m);
/* The posterior's tempering (default SUGGEST_TEMP in inbox_suggest.c; the
 * bench picks it by cross-validation on its train split). */
void inbox_suggest_model_temperature(struct inbox_suggest_model *m, double t);
size_t inbox_suggest_model_examples(const struct inbox_suggest_model *m);
/* The best max tags for text, best first; 0 when no word of it relates to any tag. */
size_t inbox_suggest_model_score(struct inbox_suggest_model *m, const char *text,
    struct inbox_suggest_score *out, size_t max);

/* Duplicate questions: a TF-IDF cosine index of texts under integer keys. */
struct inbox_dup_index;
struct inbox_dup_hit {
	int64_t key;
	double score; /* cosine, 0..1 */
};
struct inbox_dup_index *inbox_dup_new(void);
void inbox_dup_free(struct inbox_dup_index *ix);
void inbox_dup_add(struct inbox_dup_index *ix, int64_t key, const char *text);
/* A text that only informs term rarity (never a match). */
void inbox_dup_background(struct inbox_dup_index *ix, const char *text);
size_t inbox_dup_size(const struct inbox_dup_index *ix);
size_t inbox_dup_query(struct inbox_dup_index *ix, const char *text, struct inbox_dup_hit *out,
    size_t max);

/* Classify a conversation now: store its open suggestions, apply those at or
 * above the workspace's suggest_auto_threshold with the agent as source, and
 * send suggestions.updated. The worker calls it for each visitor message. */
err_t inbox_suggest_run(struct store *s, const char *ws, const char *conv_id);
/* Open suggestions of a conversation p may see (NULL with ei otherwise). */
json_t *inbox_suggest_list(struct store *s, const struct principal *p, const char *conv_id,
    struct errinfo *ei);
/* Accept (the tag is applied with the member as source) or reject (never
 * proposed again on this conversation). out: {tags, suggestions}. */
err_t inbox_suggest_decide(struct store *s, const struct principal *p, const char *conv_id,
    int64_t tag_id, int accept, json_t **out, struct errinfo *ei);
/* Threads of the same workspace, within p's sites, where a member answered a
 * question like this conversation's: [{conversation_id, number, question,
 * answer_excerpt, score}], best first, at most three. */
json_t *inbox_suggest_duplicates(struct store *s, const struct principal *p, const char *conv_id,
    struct errinfo *ei);
/* The worker thread (the server starts it) and the per-workspace caches. */
err_t inbox_suggest_start(const char *dsn);
void inbox_suggest_stop(void);
/* Free the per-workspace models and duplicate indexes (they are rebuilt on use). */
void inbox_suggest_free_caches(void);

/* Stale threads (inbox_stale.c): needs_human and quiet for the workspace's
 * stale_minutes. mark sets "stale" on a conversation object or on each
 * object of an array. */
int inbox_stale_is(const json_t *conv, int64_t stale_minutes, int64_t now);
void inbox_stale_mark(struct store *s, const char *ws, json_t *convs, int64_t now);
/* Record a stale notice sent to member_id (may be NULL when nobody could be
 * told): the notice row, a timeline entry and an audit row. due is a row of
 * the store's stale_due. */
err_t inbox_stale_record(struct store *s, const json_t *due, const char *member_id, int64_t now);
/* ---- collaboration: presence and mentions (inbox_collab.c, issue 4) ---- */

/* A member's presence in a conversation: state is viewing, typing (agents and
 * up; note: an internal note, which the visitor is not told about) or left.
 * out (may be NULL) gets {conversation_id, members:[{id,name,state,note}],
 * visitor_typing}. Changes are published as ephemeral bus events. */
err_t inbox_presence_set(struct store *s, const struct principal *p, const char *conv_id,
    const char *state, int note, json_t **out, struct errinfo *ei);
json_t *inbox_presence_get(struct store *s, const struct principal *p, const char *conv_id,
    struct errinfo *ei);
/* The visitor typing (or stopping); members see it in conversation.presence. */
err_t inbox_presence_visitor_typing(struct store *s, const struct principal *p,
    const char *conv_id, int typing, struct errinfo *ei);
/* Members named by @mentions in body who may see conv: [{id, name}] (new). */
json_t *inbox_mentions_find(struct store *s, const char *ws, const json_t *conv,
    const char *author_id, const char *body);
/* Inside the message's transaction: a notification and a member-only event each. */
err_t inbox_mentions_notify_tx(struct inbox_tx *tx, const struct principal *p, const json_t *conv,
    int64_t msg_id, int internal, const json_t *mentions);
/* The first word of a display name (what the visitor sees), or NULL. */
const char *inbox_first_name(const char *name, char out[64]);
/* Saved views of the calling member and saved replies of the workspace:
 * create (id <= 0) or change, with validation and an audit row. */
err_t inbox_view_save(struct store *s, const struct principal *p, int64_t id, const json_t *req,
    json_t **out, struct errinfo *ei);
err_t inbox_view_delete(struct store *s, const struct principal *p, int64_t id, struct errinfo *ei);
err_t inbox_reply_save(struct store *s, const struct principal *p, int64_t id, const json_t *req,
    json_t **out, struct errinfo *ei);
err_t inbox_reply_delete(struct store *s, const struct principal *p, int64_t id, struct errinfo *ei);

#define BODY_MAX (64 * 1024)

#endif
