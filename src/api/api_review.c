/* api_review.c: the monthly review (R2, R3) and its entries: propose a
 * member's answer as a knowledge-base Q&A, approve or reject it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "core/jsonx.h"

void
api_review(struct api_ctx *c)
{
	const char *month = api_query(c, "month");
	char cur[8];
	json_t *out;

	if (month == NULL) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(cur, sizeof(cur), "%Y-%m", &tm);
		month = cur;
	}
	/* Site-scoped members see their sites' threads only. */
	out = inbox_review(c->s, c->p.workspace_id, month, c->p.sites, &c->ei);
	if (out == NULL) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_review_entries(struct api_ctx *c)
{
	const char *state = api_query(c, "state");

	if (state != NULL && strcmp(state, "pending") && strcmp(state, "approved") && strcmp(state, "rejected")) {
		api_error(c, ERR_INVALID, "state must be pending, approved or rejected");
		return;
	}
	api_json(c, 200, json_pack("{s:o}", "items", inbox_review_entries(c->s, &c->p, state)));
}

void
api_review_propose(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_review_propose(c->s, &c->p, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, out);
}

static void
review_decide(struct api_ctx *c, int approve)
{
	char *end;
	long long id = strtoll(c->params[0], &end, 10);
	json_t *out = NULL;

	if (*end != '\0' || id <= 0) {
		api_error(c, ERR_NOT_FOUND, "no such review entry");
		return;
	}
	if ((json_object_get(c->body, "note") && !json_is_string(json_object_get(c->body, "note"))) ||
	    (json_object_get(c->body, "question") && !json_is_string(json_object_get(c->body, "question"))) ||
	    (json_object_get(c->body, "answer") && !json_is_string(json_object_get(c->body, "answer")))) {
		api_error(c, ERR_INVALID, "note, question and answer must be strings");
		return;
	}
	if (inbox_review_decide(c->s, &c->p, id, approve, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_review_approve(struct api_ctx *c)
{
	review_decide(c, 1);
}

void
api_review_reject(struct api_ctx *c)
{
	review_decide(c, 0);
}
