/* api_tags.c: tags, tag groups, tags on conversations, and rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "core/jsonx.h"

static int64_t
tags_param_id(struct api_ctx *c, int i)
{
	char *end;
	long long v = strtoll(c->params[i], &end, 10);

	return (*end != '\0' || v <= 0) ? -1 : v;
}

void
api_tags_list(struct api_ctx *c)
{
	json_t *tags = ST(c->s, tag_list, c->p.workspace_id), *groups = ST(c->s, tag_group_list, c->p.workspace_id);
	size_t i;

	for (i = 0; i < json_array_size(tags); i++)
		jsonx_present(json_array_get(tags, i));
	for (i = 0; i < json_array_size(groups); i++)
		jsonx_present(json_array_get(groups, i));
	api_json(c, 200, json_pack("{s:o,s:o}", "items", tags, "groups", groups));
}

void
api_tags_create(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_tag_create(c->s, &c->p, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, out);
}

void
api_tags_update(struct api_ctx *c)
{
	json_t *out = NULL;
	int64_t id = tags_param_id(c, 0);

	if (id < 0 || inbox_tag_update(c->s, &c->p, id, c->body, &out, &c->ei)) {
		if (id < 0)
			api_error(c, ERR_NOT_FOUND, "no such tag");
		else
			api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_tags_delete(struct api_ctx *c)
{
	int64_t id = tags_param_id(c, 0);

	if (id < 0 || inbox_tag_delete(c->s, &c->p, id, 0, &c->ei)) {
		if (id < 0)
			api_error(c, ERR_NOT_FOUND, "no such tag");
		else
			api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

void
api_tag_groups_create(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_tag_group_create(c->s, &c->p, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, out);
}

void
api_tag_groups_delete(struct api_ctx *c)
{
	int64_t id = tags_param_id(c, 0);

	if (id < 0 || inbox_tag_delete(c->s, &c->p, id, 1, &c->ei)) {
		if (id < 0)
			api_error(c, ERR_NOT_FOUND, "no such tag group");
		else
			api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}

void
api_conv_tag_add(struct api_ctx *c)
{
	json_t *tid = json_object_get(c->body, "tag_id"), *out = NULL;

	if (!json_is_integer(tid)) {
		api_error(c, ERR_INVALID, "send {\"tag_id\": number}");
		return;
	}
	if (inbox_conv_tag(c->s, &c->p, c->params[0], json_integer_value(tid), 0, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_conv_tag_remove(struct api_ctx *c)
{
	int64_t id = tags_param_id(c, 1);
	json_t *out = NULL;

	if (id < 0) {
		api_error(c, ERR_NOT_FOUND, "no such tag");
		return;
	}
	if (inbox_conv_tag(c->s, &c->p, c->params[0], id, 1, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 200, out);
}

void
api_rules_list(struct api_ctx *c)
{
	json_t *rows = ST(c->s, rule_list, c->p.workspace_id);
	size_t i;

	for (i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);

		json_object_set_new(r, "enabled", json_boolean(jsonx_int(r, "enabled", 1)));
		jsonx_present(r);
	}
	api_json(c, 200, json_pack("{s:o}", "items", rows));
}

void
api_rules_create(struct api_ctx *c)
{
	json_t *out = NULL;

	if (inbox_rule_save(c->s, &c->p, 0, c->body, &out, &c->ei)) {
		api_fail(c);
		return;
	}
	api_json(c, 201, jsonx_present(out));
}

void
api_rules_update(struct api_ctx *c)
{
	json_t *out = NULL;
	int64_t id = tags_param_id(c, 0);

	if (id < 0 || inbox_rule_save(c->s, &c->p, id, c->body, &out, &c->ei)) {
		if (id < 0)
			api_error(c, ERR_NOT_FOUND, "no such rule");
		else
			api_fail(c);
		return;
	}
	api_json(c, 200, jsonx_present(out));
}

void
api_rules_delete(struct api_ctx *c)
{
	int64_t id = tags_param_id(c, 0);

	if (id < 0 || inbox_rule_delete(c->s, &c->p, id, &c->ei)) {
		if (id < 0)
			api_error(c, ERR_NOT_FOUND, "no such rule");
		else
			api_fail(c);
		return;
	}
	api_json(c, 200, json_pack("{s:b}", "ok", 1));
}
