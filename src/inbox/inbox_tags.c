/* inbox_tags.c: tags in groups with a cardinality (Site: exactly one, Phase:
 * at most one, Topic: any number), their provenance on conversations (member,
 * rule or agent, and when), and rules that run on every visitor message in
 * position order inside the message's own transaction. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox.h"

static int
tags_colour_ok(const char *c)
{
	size_t i;

	if (c == NULL || strlen(c) != 7 || c[0] != '#')
		return 0;
	for (i = 1; i < 7; i++)
		if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'f') || (c[i] >= 'A' && c[i] <= 'F')))
			return 0;
	return 1;
}

static err_t
tags_write(struct store *s, const struct principal *by, const char *action, const char *object,
    json_t *after, err_t (*fn)(struct store *, void *), void *arg, struct errinfo *ei)
{
	char actor[128];
	err_t err = ST(s, begin);

	if (!err)
		err = fn(s, arg);
	if (!err)
		err = inbox_audit(s, by->workspace_id, inbox_actor(by, actor), action, object, NULL, after);
	else
		json_decref(after);
	if (!err)
		err = ST(s, commit);
	else
		ST(s, rollback);
	if (err == ERR_CONFLICT)
		return err_set(ei, err, "that name is already taken in this workspace");
	if (err == ERR_NOT_FOUND)
		return err_set(ei, err, "no such item");
	return err ? err_set(ei, err, "could not save") : ERR_OK;
}

struct tags_create_arg {
	json_t *row;
	int64_t id;
	int group;
};

static err_t
tags_do_create(struct store *s, void *a)
{
	struct tags_create_arg *c = a;

	c->id = c->group ? ST(s, tag_group_create, c->row) : ST(s, tag_create, c->row);
	return c->id == -2 ? ERR_CONFLICT : c->id < 0 ? ERR_CONFLICT : ERR_OK;
}

err_t
inbox_tag_group_create(struct store *s, const struct principal *by, json_t *req, json_t **out,
    struct errinfo *ei)
{
	const char *name = jsonx_str(req, "name"), *card = jsonx_str(req, "cardinality");
	struct tags_create_arg a = {NULL, -1, 1};
	err_t err;

	if (name == NULL || *name == '\0' || strlen(name) > 60)
		return err_set(ei, ERR_INVALID, "name must be 1 to 60 characters");
	if (card == NULL || (strcmp(card, "one") && strcmp(card, "at_most_one") && strcmp(card, "any")))
		return err_set(ei, ERR_INVALID, "cardinality must be one (exactly one), at_most_one or any");
	a.row = json_pack("{s:s,s:s,s:s,s:I}", "workspace_id", by->workspace_id, "name", name,
	    "cardinality", card, "created_at", (json_int_t)util_now_ms());
	err = tags_write(s, by, "tag_group.create", name, json_pack("{s:s,s:s}", "name", name, "cardinality", card),
	    tags_do_create, &a, ei);
	if (!err)
		*out = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)a.id, "name", name, "cardinality", card);
	json_decref(a.row);
	return err;
}

err_t
inbox_tag_create(struct store *s, const struct principal *by, json_t *req, json_t **out,
    struct errinfo *ei)
{
	const char *name = jsonx_str(req, "name"), *colour = jsonx_str(req, "colour");
	const char *desc = jsonx_str(req, "description");
	json_t *gid = json_object_get(req, "group_id");
	struct tags_create_arg a = {NULL, -1, 0};
	err_t err;

	if (name == NULL || *name == '\0' || strlen(name) > 60)
		return err_set(ei, ERR_INVALID, "name must be 1 to 60 characters");
	if (colour != NULL && !tags_colour_ok(colour))
		return err_set(ei, ERR_INVALID, "colour must look like #1f8a70");
	if (desc != NULL && strlen(desc) > 500)
		return err_set(ei, ERR_INVALID, "description must be at most 500 characters");
	if (gid != NULL && !json_is_null(gid)) {
		json_t *groups = ST(s, tag_group_list, by->workspace_id);
		size_t i;
		int found = 0;

		for (i = 0; json_is_integer(gid) && i < json_array_size(groups); i++)
			found |= jsonx_int(json_array_get(groups, i), "id", 0) == json_integer_value(gid);
		json_decref(groups);
		if (!found)
			return err_set(ei, ERR_INVALID, "group_id is not a tag group of this workspace");
	}
	a.row = json_pack("{s:s,s:s,s:s,s:s,s:I}", "workspace_id", by->workspace_id, "name", name,
	    "colour", colour ? colour : "#64748b", "description", desc ? desc : "", "created_at",
	    (json_int_t)util_now_ms());
	if (json_is_integer(gid))
		json_object_set(a.row, "group_id", gid);
	err = tags_write(s, by, "tag.create", name, json_pack("{s:s,s:O?}", "name", name, "group_id", gid),
	    tags_do_create, &a, ei);
	if (!err)
		*out = jsonx_present(ST(s, tag_get, by->workspace_id, a.id));
	json_decref(a.row);
	return err;
}

struct tags_upd_arg {
	int64_t id;
	json_t *fields;
	int del;
	int group;
	const char *ws;
};

static err_t
tags_do_update(struct store *s, void *a)
{
	struct tags_upd_arg *u = a;

	if (u->group)
		return ST(s, tag_group_delete, u->ws, u->id);
	if (u->del)
		return ST(s, tag_delete, u->ws, u->id);
	return ST(s, tag_update, u->ws, u->id, u->fields);
}

err_t
inbox_tag_update(struct store *s, const struct principal *by, int64_t id, json_t *req,
    json_t **out, struct errinfo *ei)
{
	struct tags_upd_arg u = {id, NULL, 0, 0, by->workspace_id};
	const char *k;
	json_t *v, *have = ST(s, tag_get, by->workspace_id, id);
	char obj[32];
	err_t err;

	if (have == NULL)
		return err_set(ei, ERR_NOT_FOUND, "no such tag");
	json_decref(have);
	u.fields = json_object();
	json_object_foreach(req, k, v) {
		if (strcmp(k, "name") == 0 && json_is_string(v) && json_string_length(v) >= 1 && json_string_length(v) <= 60)
			json_object_set(u.fields, k, v);
		else if (strcmp(k, "colour") == 0 && tags_colour_ok(json_string_value(v)))
			json_object_set(u.fields, k, v);
		else if (strcmp(k, "description") == 0 && json_is_string(v) && json_string_length(v) <= 500)
			json_object_set(u.fields, k, v);
		else {
			json_decref(u.fields);
			return err_set(ei, ERR_INVALID, "'%.40s' is not a valid change: send name, colour (#rrggbb) or description", k);
		}
	}
	snprintf(obj, sizeof(obj), "tag:%lld", (long long)id);
	err = tags_write(s, by, "tag.update", obj, json_incref(u.fields), tags_do_update, &u, ei);
	if (!err)
		*out = jsonx_present(ST(s, tag_get, by->workspace_id, id));
	json_decref(u.fields);
	return err;
}

err_t
inbox_tag_delete(struct store *s, const struct principal *by, int64_t id, int group,
    struct errinfo *ei)
{
	struct tags_upd_arg u = {id, NULL, 1, group, by->workspace_id};
	char obj[40];

	snprintf(obj, sizeof(obj), "%s:%lld", group ? "tag_group" : "tag", (long long)id);
	return tags_write(s, by, group ? "tag_group.delete" : "tag.delete", obj, NULL, tags_do_update, &u, ei);
}

/* Apply a tag inside an open transaction, honouring the group's cardinality.
 * *replaced receives the name of a tag it replaced (caller frees), if any. */
err_t
inbox_tags_apply_tx(struct inbox_tx *tx, const char *ws, const char *conv_id, int64_t tag_id,
    const char *source, const char *source_id, char **replaced, struct errinfo *ei)
{
	json_t *tag = ST(tx->s, tag_get, ws, tag_id), *ids, *have, *row;
	const char *card;
	size_t i;
	err_t err = ERR_OK;

	if (replaced != NULL)
		*replaced = NULL;
	if (tag == NULL)
		return err_set(ei, ERR_INVALID, "no such tag");
	card = jsonx_str(tag, "cardinality");
	ids = json_pack("[s]", conv_id);
	have = ST(tx->s, conv_tags, ws, ids);
	json_decref(ids);
	for (i = 0; i < json_array_size(have); i++) {
		json_t *h = json_array_get(have, i);

		if (jsonx_int(h, "tag_id", 0) == tag_id) {
			err = err_set(ei, ERR_CONFLICT, "the conversation already has the tag %s", jsonx_str(tag, "name"));
			goto out;
		}
	}
	if (card != NULL && strcmp(card, "any") != 0) {
		for (i = 0; i < json_array_size(have); i++) {
			json_t *h = json_array_get(have, i);

			if (jsonx_str(h, "group_name") != NULL && jsonx_str(tag, "group_name") != NULL &&
			    strcmp(jsonx_str(h, "group_name"), jsonx_str(tag, "group_name")) == 0) {
				err = ST(tx->s, conv_tag_remove, conv_id, jsonx_int(h, "tag_id", 0));
				if (err)
					goto out;
				if (replaced != NULL && *replaced == NULL)
					*replaced = xstrdup(jsonx_str(h, "name"));
			}
		}
	}
	row = json_pack("{s:s,s:I,s:s,s:s?,s:I}", "conversation_id", conv_id, "tag_id",
	    (json_int_t)tag_id, "source", source, "source_id", source_id, "applied_at",
	    (json_int_t)util_now_ms());
	err = ST(tx->s, conv_tag_add, row);
	json_decref(row);
	if (!err)
		err = inbox_tx_timeline(tx, conv_id, replaced && *replaced ? "tag_replaced" : "tag_added",
		    source, source_id, json_pack("{s:s,s:s?}", "tag", jsonx_str(tag, "name"), "replaced",
			replaced ? *replaced : NULL));
	if (err)
		err_set(ei, err, "could not tag the conversation");
out:
	json_decref(tag);
	json_decref(have);
	return err;
}

json_t *
inbox_conv_tags(struct store *s, const char *ws, const char *conv_id)
{
	json_t *ids = json_pack("[s]", conv_id), *rows = ST(s, conv_tags, ws, ids);
	size_t i;

	json_decref(ids);
	for (i = 0; i < json_array_size(rows); i++) {
		json_object_del(json_array_get(rows, i), "conversation_id");
		jsonx_present(json_array_get(rows, i));
	}
	return rows;
}

err_t
inbox_conv_tag(struct store *s, const struct principal *p, const char *conv_id, int64_t tag_id,
    int remove, json_t **out, struct errinfo *ei)
{
	struct inbox_tx tx;
	json_t *conv = NULL, *tag = NULL, *row;
	char *replaced = NULL, actor[128];
	err_t err;

	conv = inbox_conv_get(s, p, conv_id, ei);
	if (conv == NULL)
		return ei->code;
	tag = ST(s, tag_get, p->workspace_id, tag_id);
	if (tag == NULL) {
		json_decref(conv);
		return err_set(ei, ERR_INVALID, "no such tag");
	}
	if (remove && jsonx_str(tag, "cardinality") && strcmp(jsonx_str(tag, "cardinality"), "one") == 0) {
		err = err_set(ei, ERR_INVALID, "%s takes exactly one tag: choose another one to replace %s",
		    jsonx_str(tag, "group_name"), jsonx_str(tag, "name"));
		goto out;
	}
	err = inbox_tx_begin(&tx, s);
	if (err) {
		err_set(ei, err, "the store is busy; try again");
		goto out;
	}
	if (remove) {
		err = ST(s, conv_tag_remove, conv_id, tag_id);
		if (err == ERR_NOT_FOUND)
			err_set(ei, err, "the conversation does not have the tag %s", jsonx_str(tag, "name"));
		else if (!err)
			err = inbox_tx_timeline(&tx, conv_id, "tag_removed", "member", p->id,
			    json_pack("{s:s}", "tag", jsonx_str(tag, "name")));
	} else {
		err = inbox_tags_apply_tx(&tx, p->workspace_id, conv_id, tag_id, "member", p->id, &replaced, ei);
	}
	if (!err)
		err = inbox_audit(s, p->workspace_id, inbox_actor(p, actor), remove ? "conversation.untag" : "conversation.tag",
		    conv_id, replaced ? json_pack("{s:s}", "tag", replaced) : NULL,
		    remove ? NULL : json_pack("{s:s,s:s}", "tag", jsonx_str(tag, "name"), "source", "member"));
	if (!err) {
		row = ST(s, conv_get, p->workspace_id, conv_id);
		json_object_del(row, "visitor_token_hash");
		json_object_set_new(row, "tags", inbox_conv_tags(s, p->workspace_id, conv_id));
		err = inbox_tx_event(&tx, p->workspace_id, row, 1, "conversation.updated",
		    json_pack("{s:o}", "conversation", jsonx_present(json_deep_copy(row))));
		json_decref(row);
	}
	if (err) {
		inbox_tx_abort(&tx);
		if (!ei->msg[0])
			err_set(ei, err, "could not change the tags");
		goto out;
	}
	err = inbox_tx_commit(&tx);
	if (err) {
		err_set(ei, err, "could not change the tags");
		goto out;
	}
	*out = json_pack("{s:o,s:s?}", "tags", inbox_conv_tags(s, p->workspace_id, conv_id),
	    "replaced", replaced);
out:
	free(replaced);
	json_decref(conv);
	json_decref(tag);
	return err;
}

/* ---- rules ---- */

static const char *const rule_priorities[] = {"low", "normal", "high", "urgent", NULL};

static err_t
rules_validate(struct store *s, const char *ws, json_t *cond, json_t *act, struct errinfo *ei)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(cond) || json_object_size(cond) == 0)
		return err_set(ei, ERR_INVALID, "conditions must be an object with at least one of text_any, pattern, channel, site, tag_id");
	if (!json_is_object(act) || json_object_size(act) == 0)
		return err_set(ei, ERR_INVALID, "actions must be an object with at least one of add_tags, assign, priority, handoff");
	json_object_foreach(cond, k, v) {
		if (strcmp(k, "text_any") == 0) {
			if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 50)
				return err_set(ei, ERR_INVALID, "conditions.text_any must be a list of 1 to 50 phrases");
			for (i = 0; i < json_array_size(v); i++)
				if (!json_is_string(json_array_get(v, i)) || json_string_length(json_array_get(v, i)) == 0 ||
				    json_string_length(json_array_get(v, i)) > 200)
					return err_set(ei, ERR_INVALID, "conditions.text_any[%zu] must be a phrase of 1 to 200 characters", i);
		} else if (strcmp(k, "pattern") == 0) {
			regex_t re;
			int rc;

			if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 500)
				return err_set(ei, ERR_INVALID, "conditions.pattern must be a regular expression of 1 to 500 characters");
			rc = regcomp(&re, json_string_value(v), REG_EXTENDED | REG_ICASE | REG_NOSUB);
			if (rc != 0) {
				char msg[160];

				regerror(rc, &re, msg, sizeof(msg));
				return err_set(ei, ERR_INVALID, "conditions.pattern is not a valid regular expression: %s", msg);
			}
			regfree(&re);
		} else if (strcmp(k, "channel") == 0) {
			const char *c = json_string_value(v);

			if (c == NULL || (strcmp(c, "widget") && strcmp(c, "email") && strcmp(c, "api")))
				return err_set(ei, ERR_INVALID, "conditions.channel must be widget, email or api");
		} else if (strcmp(k, "site") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64)
				return err_set(ei, ERR_INVALID, "conditions.site must be a site name");
		} else if (strcmp(k, "tag_id") == 0) {
			json_t *t = json_is_integer(v) ? ST(s, tag_get, ws, json_integer_value(v)) : NULL;

			if (t == NULL)
				return err_set(ei, ERR_INVALID, "conditions.tag_id is not a tag of this workspace");
			json_decref(t);
		} else {
			return err_set(ei, ERR_INVALID, "unknown condition '%.40s'", k);
		}
	}
	json_object_foreach(act, k, v) {
		if (strcmp(k, "add_tags") == 0) {
			if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 10)
				return err_set(ei, ERR_INVALID, "actions.add_tags must be a list of 1 to 10 tag ids");
			for (i = 0; i < json_array_size(v); i++) {
				json_t *t = json_is_integer(json_array_get(v, i)) ? ST(s, tag_get, ws, json_integer_value(json_array_get(v, i))) : NULL;

				if (t == NULL)
					return err_set(ei, ERR_INVALID, "actions.add_tags[%zu] is not a tag of this workspace", i);
				json_decref(t);
			}
		} else if (strcmp(k, "assign") == 0) {
			json_t *m = json_is_string(v) ? ST(s, member_get, ws, json_string_value(v)) : NULL;

			if (m == NULL)
				return err_set(ei, ERR_INVALID, "actions.assign is not a member of this workspace");
			json_decref(m);
		} else if (strcmp(k, "priority") == 0) {
			int ok = 0;

			for (i = 0; rule_priorities[i]; i++)
				ok |= json_is_string(v) && strcmp(json_string_value(v), rule_priorities[i]) == 0;
			if (!ok)
				return err_set(ei, ERR_INVALID, "actions.priority must be low, normal, high or urgent");
		} else if (strcmp(k, "handoff") == 0) {
			if (!json_is_true(v))
				return err_set(ei, ERR_INVALID, "actions.handoff must be true");
		} else {
			return err_set(ei, ERR_INVALID, "unknown action '%.40s'", k);
		}
	}
	return ERR_OK;
}

struct rules_arg {
	json_t *row;
	int64_t id;
	int del;
	const char *ws;
};

static err_t
rules_do(struct store *s, void *a)
{
	struct rules_arg *r = a;

	if (r->del)
		return ST(s, rule_delete, r->ws, r->id);
	if (r->id > 0)
		return ST(s, rule_update, r->ws, r->id, r->row);
	r->id = ST(s, rule_create, r->row);
	return r->id < 0 ? ERR_STORE : ERR_OK;
}

err_t
inbox_rule_save(struct store *s, const struct principal *by, int64_t id, json_t *req, json_t **out,
    struct errinfo *ei)
{
	const char *name = jsonx_str(req, "name");
	json_t *cond = json_object_get(req, "conditions"), *act = json_object_get(req, "actions");
	json_t *pos = json_object_get(req, "position"), *en = json_object_get(req, "enabled");
	struct rules_arg a = {NULL, id, 0, by->workspace_id};
	char obj[32];
	err_t err;

	if (name == NULL || *name == '\0' || strlen(name) > 80)
		return err_set(ei, ERR_INVALID, "name must be 1 to 80 characters");
	if (rules_validate(s, by->workspace_id, cond, act, ei))
		return ei->code;
	if (pos != NULL && (!json_is_integer(pos) || json_integer_value(pos) < 0 || json_integer_value(pos) > 10000))
		return err_set(ei, ERR_INVALID, "position must be a number from 0 to 10000");
	if (en != NULL && !json_is_boolean(en))
		return err_set(ei, ERR_INVALID, "enabled must be true or false");
	a.row = json_pack("{s:s,s:O,s:O,s:I,s:i}", "name", name, "conditions", cond, "actions", act,
	    "position", (json_int_t)(pos ? json_integer_value(pos) : 100), "enabled", en ? json_is_true(en) : 1);
	if (id <= 0) {
		json_object_set_new(a.row, "workspace_id", json_string(by->workspace_id));
		json_object_set_new(a.row, "created_at", json_integer(util_now_ms()));
	}
	snprintf(obj, sizeof(obj), "rule:%lld", (long long)id);
	err = tags_write(s, by, id > 0 ? "rule.update" : "rule.create", obj, json_deep_copy(a.row), rules_do, &a, ei);
	if (!err) {
		json_object_set_new(a.row, "id", json_integer(a.id));
		*out = json_incref(a.row);
	}
	json_decref(a.row);
	return err;
}

err_t
inbox_rule_delete(struct store *s, const struct principal *by, int64_t id, struct errinfo *ei)
{
	struct rules_arg a = {NULL, id, 1, by->workspace_id};
	char obj[32];

	snprintf(obj, sizeof(obj), "rule:%lld", (long long)id);
	return tags_write(s, by, "rule.delete", obj, NULL, rules_do, &a, ei);
}

/* Case-insensitive phrase match on word boundaries. */
static int
rules_phrase(const char *text, const char *phrase)
{
	size_t n = strlen(phrase);
	const char *p = text;

	while ((p = strcasestr(p, phrase)) != NULL) {
		int before = p == text || !((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z');
		int after = !((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z');

		if (before && after)
			return 1;
		p++;
	}
	return 0;
}

static int
rules_match(json_t *cond, const json_t *conv, json_t *tags, const char *text)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(cond, k, v) {
		if (strcmp(k, "text_any") == 0) {
			int any = 0;

			for (i = 0; !any && i < json_array_size(v); i++)
				any = rules_phrase(text, json_string_value(json_array_get(v, i)));
			if (!any)
				return 0;
		} else if (strcmp(k, "pattern") == 0) {
			regex_t re;
			int ok;

			if (regcomp(&re, json_string_value(v), REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
				return 0;
			ok = regexec(&re, text, 0, NULL, 0) == 0;
			regfree(&re);
			if (!ok)
				return 0;
		} else if (strcmp(k, "channel") == 0) {
			if (jsonx_str(conv, "channel") == NULL || strcmp(jsonx_str(conv, "channel"), json_string_value(v)) != 0)
				return 0;
		} else if (strcmp(k, "site") == 0) {
			if (jsonx_str(conv, "site") == NULL || strcasecmp(jsonx_str(conv, "site"), json_string_value(v)) != 0)
				return 0;
		} else if (strcmp(k, "tag_id") == 0) {
			int has = 0;

			for (i = 0; i < json_array_size(tags); i++)
				has |= jsonx_int(json_array_get(tags, i), "tag_id", 0) == json_integer_value(v);
			if (!has)
				return 0;
		}
	}
	return 1;
}

/* Run the workspace's rules on a visitor message inside tx. Conversation
 * field changes go into fields (applied by the caller with the message);
 * *handoff is set when a rule hands off. */
err_t
inbox_rules_run_tx(struct inbox_tx *tx, const char *ws, const json_t *conv, const char *text,
    json_t *fields, int *handoff)
{
	json_t *rules = ST(tx->s, rule_list, ws), *ids, *tags;
	const char *conv_id = jsonx_str(conv, "id");
	size_t i, k;
	err_t err = ERR_OK;

	*handoff = 0;
	if (json_array_size(rules) == 0) {
		json_decref(rules);
		return ERR_OK;
	}
	ids = json_pack("[s]", conv_id);
	tags = ST(tx->s, conv_tags, ws, ids);
	for (i = 0; !err && i < json_array_size(rules); i++) {
		json_t *r = json_array_get(rules, i), *act = json_object_get(r, "actions"), *done = json_array();
		const char *k2;
		json_t *v;
		char rid[32];

		if (!jsonx_int(r, "enabled", 1) || !rules_match(json_object_get(r, "conditions"), conv, tags, text)) {
			json_decref(done);
			continue;
		}
		snprintf(rid, sizeof(rid), "%lld", (long long)jsonx_int(r, "id", 0));
		json_object_foreach(act, k2, v) {
			if (strcmp(k2, "add_tags") == 0) {
				for (k = 0; k < json_array_size(v); k++) {
					struct errinfo ei = {0};
					char *rep = NULL;
					err_t e = inbox_tags_apply_tx(tx, ws, conv_id, json_integer_value(json_array_get(v, k)), "rule", rid, &rep, &ei);

					if (!e)
						json_array_append_new(done, json_pack("{s:s,s:I}", "action", "add_tag", "tag_id", (json_int_t)json_integer_value(json_array_get(v, k))));
					else if (e != ERR_CONFLICT && e != ERR_INVALID)
						err = e;
					free(rep);
				}
			} else if (strcmp(k2, "assign") == 0 && json_is_null(json_object_get(conv, "assignee_id"))) {
				json_object_set(fields, "assignee_id", v);
				json_array_append_new(done, json_pack("{s:s,s:O}", "action", "assign", "assignee_id", v));
			} else if (strcmp(k2, "priority") == 0) {
				json_object_set(fields, "priority", v);
				json_array_append_new(done, json_pack("{s:s,s:O}", "action", "priority", "priority", v));
			} else if (strcmp(k2, "handoff") == 0) {
				*handoff = 1;
				json_object_set_new(fields, "status", json_string("needs_human"));
				json_object_set_new(fields, "mode", json_string("manual"));
				json_object_set_new(fields, "handoff_reason", json_string("rule"));
				json_object_set(fields, "handoff_phrase", json_object_get(r, "name"));
				json_array_append_new(done, json_pack("{s:s}", "action", "handoff"));
			}
		}
		if (!err && json_array_size(done) > 0) {
			err = inbox_tx_timeline(tx, conv_id, "rule_applied", "rule", rid,
			    json_pack("{s:O,s:O}", "rule", json_object_get(r, "name"), "actions", done));
			if (!err)
				err = inbox_audit(tx->s, ws, "rule", "rule.apply", conv_id, NULL,
				    json_pack("{s:I,s:O,s:O}", "rule_id", (json_int_t)jsonx_int(r, "id", 0), "rule", json_object_get(r, "name"), "actions", done));
		}
		json_decref(done);
		/* Later rules see the tags earlier ones added. */
		json_decref(tags);
		tags = ST(tx->s, conv_tags, ws, ids);
	}
	json_decref(ids);
	json_decref(tags);
	json_decref(rules);
	return err;
}
