/* inbox_agent.c: the agent's live loop. Visitor messages in agent mode are
 * queued here (by the hook in inbox_conv.c) and answered on one thread with
 * its own store connection:
 *
 *   1. the visitor says the last answer did not help  -> handoff not_helpful
 *   2. the interlock: key phrases, a request for a person (inside kb_answer,
 *      before retrieval)                               -> handoff with reason
 *   3. retrieval, composition, confidence; below the workspace threshold
 *                                                      -> handoff low_confidence
 *   4. otherwise the answer, with its confidence and citations; when the
 *      workspace has an answer writer (A7), its rephrasing of the answer from
 *      the cited passages, if it passes the writer's checks.
 *
 * The writer never decides: it is asked only once step 4 is reached, after
 * kb_answer has returned (no index lock) and before inbox_msg_post opens its
 * transaction, so a slow endpoint holds nothing but this thread.
 * A handoff posts the workspace's holding message in the same transaction that
 * sets needs_human and manual. inbox_msg_post refuses an agent message once a
 * person has replied, so the agent never talks over a member. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "inbox.h"
#include "kb/kb.h"

struct agent_job {
	char ws[40];
	char conv[40];
	int64_t msg;
	struct agent_job *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct agent_job *head, *tail;
	int running, stop;
	pthread_t th;
	char *dsn;
} ag = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 0, NULL};

static inbox_writer_hook agent_writer;

void
inbox_set_writer_hook(inbox_writer_hook fn)
{
	agent_writer = fn;
}

/* The writer's text for an answer, or NULL for the extractive one; either way
 * extra gets "writer" (and "writer_detail") when the workspace has one. */
static char *
agent_rephrase(json_t *set, const char *question, const struct kb_result *r, json_t *extra)
{
	struct inbox_writer_req rq;
	const char **texts;
	const char *url = jsonx_str(set, "writer_url");
	inbox_writer_hook fn = agent_writer;
	char *out;
	size_t i;

	if (fn == NULL || url == NULL || *url == '\0')
		return NULL;
	memset(&rq, 0, sizeof(rq));
	texts = xcalloc(r->n_citations + 1, sizeof(*texts));
	for (i = 0; i < r->n_citations; i++)
		texts[i] = r->citations[i].text ? r->citations[i].text : "";
	rq.settings = set;
	rq.question = question;
	rq.answer = r->answer;
	rq.passages = texts;
	rq.n_passages = r->n_citations;
	out = fn(&rq);
	free(texts);
	if (out == NULL && rq.why == NULL)
		rq.why = "error";
	json_object_set_new(extra, "writer", json_string(out != NULL ? "used" : rq.why));
	if (rq.detail[0] != '\0')
		json_object_set_new(extra, "writer_detail", json_string(rq.detail));
	return out;
}

static json_t *
agent_citations(const struct kb_result *r)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < r->n_citations; i++) {
		const struct kb_citation *c = &r->citations[i];

		json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:I,s:I,s:s}", "document",
		    c->document ? c->document : "", "section", c->section ? c->section : "", "page",
		    c->page, "doc_id", (json_int_t)c->doc_id, "passage_id", (json_int_t)c->passage_id,
		    "text", c->text ? c->text : ""));
	}
	return arr;
}

static int
agent_channel_on(json_t *set, const char *channel)
{
	json_t *v = json_object_get(json_object_get(set, "channels"), channel);

	return v == NULL || json_is_true(v);
}

err_t
inbox_agent_answer(struct store *s, const char *ws, const char *conv_id, int64_t msg_id)
{
	struct principal agent;
	struct kb_settings st;
	struct kb_result r;
	struct errinfo ei = {0};
	json_t *conv = NULL, *msgs = NULL, *set = NULL, *extra = NULL, *last_agent = NULL, *m;
	const char *question = NULL;
	char *rephrased = NULL;
	struct kb_index *ix;
	err_t err = ERR_OK;

	memset(&agent, 0, sizeof(agent));
	memset(&r, 0, sizeof(r));
	agent.kind = P_ANON;
	snprintf(agent.workspace_id, sizeof(agent.workspace_id), "%s", ws);
	conv = ST(s, conv_get, ws, conv_id);
	if (conv == NULL || strcmp(jsonx_str(conv, "mode"), "agent") != 0)
		goto out; /* gone, or a person has it now */
	msgs = ST(s, msg_list, conv_id, 0, msg_id - 1, 1);
	m = json_array_get(msgs, 0);
	if (m == NULL || jsonx_int(m, "id", 0) != msg_id)
		goto out;
	question = jsonx_str(m, "body");
	set = inbox_settings(s, ws);
	if (!agent_channel_on(set, jsonx_str(conv, "channel"))) {
		err = inbox_conv_handoff(s, conv_id, "agent_off", NULL, &ei);
		goto out;
	}
	/* "That didn't help" only means something after an agent answer. */
	last_agent = ST(s, msg_last, conv_id, "agent");
	if (last_agent != NULL && kb_not_helpful(question)) {
		extra = json_pack("{s:s,s:f}", "handoff_reason", "not_helpful", "confidence", 0.0);
		err = inbox_msg_post(s, &agent, conv_id, "agent", jsonx_str(set, "holding_message"), 0,
		    extra, NULL, &ei);
		goto out;
	}
	ix = inbox_kb_index(s, ws);
	st.threshold = json_number_value(json_object_get(set, "threshold"));
	st.key_phrases = jsonx_str(set, "key_phrases");
	if (ix == NULL || kb_answer(ix, question, &st, &r)) {
		err = ERR_INTERNAL;
		goto out;
	}
	extra = json_pack("{s:f,s:o}", "confidence", r.confidence, "citations", agent_citations(&r));
	if (r.handoff) {
		json_object_set_new(extra, "handoff_reason", json_string(r.reason ? r.reason : "low_confidence"));
		if (r.phrase != NULL)
			json_object_set_new(extra, "handoff_phrase", json_string(r.phrase));
		err = inbox_msg_post(s, &agent, conv_id, "agent", jsonx_str(set, "holding_message"), 0,
		    extra, NULL, &ei);
	} else {
		rephrased = agent_rephrase(set, question, &r, extra);
		err = inbox_msg_post(s, &agent, conv_id, "agent", rephrased ? rephrased : r.answer, 0, extra,
		    NULL, &ei);
	}
	if (err == ERR_CONFLICT)
		err = ERR_OK; /* a person took over while we composed: stay silent */
out:
	if (err)
		log_warnx("agent: conversation %s: %s", conv_id, ei.msg[0] ? ei.msg : err_str(err));
	kb_result_free(&r);
	free(rephrased);
	json_decref(conv);
	json_decref(msgs);
	json_decref(set);
	json_decref(extra);
	json_decref(last_agent);
	return err;
}

static void
agent_enqueue(const char *ws, const char *conv_id, int64_t msg_id)
{
	struct agent_job *j = xcalloc(1, sizeof(*j));

	snprintf(j->ws, sizeof(j->ws), "%s", ws);
	snprintf(j->conv, sizeof(j->conv), "%s", conv_id);
	j->msg = msg_id;
	pthread_mutex_lock(&ag.mu);
	if (ag.tail != NULL)
		ag.tail->next = j;
	else
		ag.head = j;
	ag.tail = j;
	pthread_cond_signal(&ag.cv);
	pthread_mutex_unlock(&ag.mu);
}

static void *
agent_main(void *arg)
{
	struct errinfo ei = {0};
	struct store *s = store_open(ag.dsn, &ei);
	struct agent_job *j;

	(void)arg;
	if (s == NULL) {
		log_warnx("agent: cannot open the store: %s", ei.msg);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&ag.mu);
		while (ag.head == NULL && !ag.stop)
			pthread_cond_wait(&ag.cv, &ag.mu);
		j = ag.head;
		if (j != NULL) {
			ag.head = j->next;
			if (ag.head == NULL)
				ag.tail = NULL;
		}
		pthread_mutex_unlock(&ag.mu);
		if (j == NULL)
			break;
		inbox_agent_answer(s, j->ws, j->conv, j->msg);
		free(j);
	}
	ST(s, close);
	return NULL;
}

err_t
inbox_agent_start(const char *dsn)
{
	if (ag.running)
		return ERR_OK;
	ag.dsn = xstrdup(dsn);
	ag.stop = 0;
	if (pthread_create(&ag.th, NULL, agent_main, NULL) != 0)
		return ERR_INTERNAL;
	ag.running = 1;
	inbox_set_agent_hook(agent_enqueue);
	return ERR_OK;
}

void
inbox_agent_stop(void)
{
	if (!ag.running)
		return;
	inbox_set_agent_hook(NULL);
	pthread_mutex_lock(&ag.mu);
	ag.stop = 1;
	pthread_cond_broadcast(&ag.cv);
	pthread_mutex_unlock(&ag.mu);
	pthread_join(ag.th, NULL);
	ag.running = 0;
	free(ag.dsn);
	ag.dsn = NULL;
}
