/* api_suggest.c: suggested tags (accept / reject) and duplicate questions on
 * a conversation. Scope (workspace and site) is checked by the inbox calls:
 * another workspace's or site's conversation is a 404. */
#include <stdlib.h>

#include "api_int.h"

static int64_t
suggest_tag_param(struct api_ctx *c)
{
	char *end;
	long long v = strtoll(c->params[1], &end, 10);

	return (*c->params[1] == '\0' || *end != '\0' || v <= 0) ? -1 : v;
}

void
api_suggest_list(struct api_ctx *c)
{
	json_t *rows;

	if (!api_id_ok(c->params[0])) {
		api_error(c, ERR_NOT_FOUND, "no such conversation");
		return;
	}
	rows = inbox_suggest_list(c->s, &c->p, c->params[0], &c->ei);
	if (rows == NULL) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:o}", "items", rows));
}

static void
suggest_decide(struct api_ctx *c, int accept)
{
	int64_t tag = suggest_tag_param(c);
	json_t *out = NULL;

	if (!api_id_ok(c->params[0])) {
		api_error(c, ERR_NOT_FOUND, "no such conversation");
		return;
	}
	if (tag < 0) {
		api_error(c, ERR_NOT_FOUND, "no such tag: give the tag's id");
		return;
	}
	if (inbox_suggest_decide(c->s, &c->p, c->params[0], tag, accept, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_suggest_accept(struct api_ctx *c)
{
	suggest_decide(c, 1);
}

void
api_suggest_reject(struct api_ctx *c)
{
	suggest_decide(c, 0);
}

void
api_duplicates(struct api_ctx *c)
{
	json_t *rows;

	if (!api_id_ok(c->params[0])) {
		api_error(c, ERR_NOT_FOUND, "no such conversation");
		return;
	}
	rows = inbox_suggest_duplicates(c->s, &c->p, c->params[0], &c->ei);
	if (rows == NULL) {
		api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:o,s:f}", "items", rows, "threshold", INBOX_DUP_THRESHOLD));
}
