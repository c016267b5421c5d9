/* inbox_audit.c: the audit trail, in the style of 21 CFR Part 11. Rows are
 * append-only (the schema refuses UPDATE and DELETE) and hash-chained: each
 * row's hash covers its own fields and the previous row's hash, so changing
 * or removing a row breaks every hash after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox.h"

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The hashed form: fields separated by 0x1f, in a fixed order. */
static void
audit_hash(int64_t id, const char *ws, int64_t at, const char *actor, const char *action,
    const char *object, const char *before, const char *after, const char *prev, char out[65])
{
	struct buf b;

	buf_init(&b, 16 * 1024 * 1024);
	buf_printf(&b, "%lld\x1f%s\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", (long long)id,
	    ws ? ws : "", (long long)at, actor, action, object, before ? before : "",
	    after ? after : "", prev);
	util_sha256_hex(b.p, b.len, out);
	buf_free(&b);
}

const char *
inbox_actor(const struct principal *p, char buf[128])
{
	switch (p->kind) {
	case P_MEMBER:
		snprintf(buf, 128, "member:%s", p->email);
		break;
	case P_TOKEN:
		snprintf(buf, 128, "token:%s", p->id);
		break;
	case P_VISITOR:
		snprintf(buf, 128, "visitor:%s", p->id);
		break;
	default:
		snprintf(buf, 128, "system");
		break;
	}
	return buf;
}

err_t
inbox_audit(struct store *s, const char *ws, const char *actor, const char *action,
    const char *object, json_t *before, json_t *after)
{
	json_t *last = ST(s, audit_last), *row;
	char *btxt = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	char *atxt = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	const char *prev = last ? jsonx_str(last, "hash") : AUDIT_GENESIS;
	int64_t id = last ? jsonx_int(last, "id", 0) + 1 : 1, at = util_now_ms();
	char hash[65];
	err_t err;

	audit_hash(id, ws, at, actor, action, object, btxt, atxt, prev, hash);
	/* Pass the texts as strings so the stored bytes are the hashed bytes. */
	row = json_pack("{s:I,s:s?,s:I,s:s,s:s,s:s,s:s?,s:s?,s:s,s:s}", "id", (json_int_t)id,
	    "workspace_id", ws, "at", (json_int_t)at, "actor", actor, "action", action, "object",
	    object, "before_json", btxt, "after_json", atxt, "prev_hash", prev, "hash", hash);
	err = row ? ST(s, audit_insert, row) : ERR_INTERNAL;
	json_decref(row);
	json_decref(last);
	json_decref(before);
	json_decref(after);
	free(btxt);
	free(atxt);
	return err;
}

err_t
inbox_audit_verify(struct store *s, int64_t *rows, int64_t *bad_id, struct errinfo *ei)
{
	char prev[65] = AUDIT_GENESIS, hash[65];
	int64_t after = 0, expect = 1;
	json_t *page;
	size_t i;

	*rows = 0;
	*bad_id = 0;
	for (;;) {
		page = ST(s, audit_page, after, 1000);
		if (page == NULL)
			return err_set(ei, ERR_STORE, "cannot read the audit trail");
		if (json_array_size(page) == 0) {
			json_decref(page);
			break;
		}
		for (i = 0; i < json_array_size(page); i++) {
			json_t *r = json_array_get(page, i);
			int64_t id = jsonx_int(r, "id", 0);

			audit_hash(id, jsonx_str(r, "workspace_id"), jsonx_int(r, "at", 0),
			    jsonx_str(r, "actor"), jsonx_str(r, "action"), jsonx_str(r, "object"),
			    jsonx_str(r, "before_text"), jsonx_str(r, "after_text"), prev, hash);
			if (id != expect || strcmp(prev, jsonx_str(r, "prev_hash") ? jsonx_str(r, "prev_hash") : "") != 0 ||
			    strcmp(hash, jsonx_str(r, "hash") ? jsonx_str(r, "hash") : "") != 0) {
				*bad_id = id != expect ? expect : id;
				json_decref(page);
				return err_set(ei, ERR_CONFLICT, "the audit chain is broken at row %lld",
				    (long long)*bad_id);
			}
			snprintf(prev, sizeof(prev), "%s", hash);
			after = id;
			expect = id + 1;
			(*rows)++;
		}
		json_decref(page);
	}
	return ERR_OK;
}
