/* test_core.c: buffers, text checks, time, ids, hashing, errors, the bus. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/bus.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "test.h"

static int bus_seen;
static int64_t bus_last;

static void
on_ev(void *ctx, const struct bus_event *ev)
{
	(void)ctx;
	bus_seen++;
	bus_last = ev->id;
}

int
main(void)
{
	struct buf b;
	char id[64], hex[65], ts[32];
	int64_t ms;
	struct bus_sub *s1;
	struct bus_event ev = {.id = 7, .workspace_id = "w", .type = "t", .data = "{}"};
	json_t *o;

	if (sodium_init() < 0)
		return 1;
	buf_init(&b, 8);
	CHECK(buf_append(&b, "1234", 4) == ERR_OK, "buf appends under its cap");
	CHECK(buf_append(&b, "56789", 5) == ERR_TOO_LARGE, "buf refuses past its cap");
	CHECK(b.len == 4 && strcmp(b.p, "1234") == 0, "buf unchanged after a refused append");
	CHECK(buf_printf(&b, "%d", 5678) == ERR_OK && b.len == 8, "buf_printf fills to the cap exactly");
	CHECK(buf_printf(&b, "x") == ERR_TOO_LARGE, "buf_printf refuses past the cap");
	buf_free(&b);

	CHECK(util_utf8_valid("héllo ✓ 😀", strlen("héllo ✓ 😀")), "utf8 accepts valid text");
	CHECK(!util_utf8_valid("\xc3\x28", 2), "utf8 refuses a bad continuation");
	CHECK(!util_utf8_valid("\xe2\x82", 2), "utf8 refuses a truncated sequence");
	CHECK(!util_utf8_valid("\xc0\xaf", 2), "utf8 refuses an overlong form");
	CHECK(!util_utf8_valid("\xed\xa0\x80", 3), "utf8 refuses surrogates");
	CHECK(!util_utf8_valid("a\0b", 3), "utf8 refuses NUL bytes");

	CHECK(util_parse_time("2026-11-24", &ms) == ERR_OK && ms == 1795478400000LL, "parse a date");
	CHECK(util_parse_time("2026-11-24T10:00:00Z", &ms) == ERR_OK && ms == 1795514400000LL, "parse RFC 3339 Z");
	CHECK(util_parse_time("2026-11-24T12:00:00+02:00", &ms) == ERR_OK && ms == 1795514400000LL, "parse RFC 3339 offset");
	CHECK(util_parse_time("2026-11-24T10:00:00.250Z", &ms) == ERR_OK && ms == 1795514400250LL, "parse fractions");
	CHECK(util_parse_time("2026-13-01", &ms) == ERR_INVALID, "refuse month 13");
	CHECK(util_parse_time("yesterday", &ms) == ERR_INVALID, "refuse words");
	CHECK(util_parse_time("2026-11-24T10:00", &ms) == ERR_INVALID, "refuse a time without seconds");
	util_rfc3339(1795514400250LL, ts);
	CHECK_STR(ts, "2026-11-24T10:00:00.250Z", "format RFC 3339");

	util_random_id(id, 15);
	CHECK(strlen(id) == 24, "15 random bytes are 24 base32 characters");
	{
		char id2[64];

		util_random_id(id2, 15);
		CHECK(strcmp(id, id2) != 0, "random ids differ");
	}
	util_sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
	util_hmac_sha256_hex("key", 3, "The quick brown fox jumps over the lazy dog", 43, hex);
	CHECK_STR(hex, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", "hmac-sha256 test vector");
	CHECK(util_streq_ct("abc", "abc") && !util_streq_ct("abc", "abd") && !util_streq_ct("abc", "ab"), "constant-time compare");
	CHECK(util_email_valid("a.b@site.org") && !util_email_valid("a@b") && !util_email_valid("a b@c.org") && !util_email_valid("@c.org"), "e-mail check");

	CHECK(err_http(ERR_NOT_FOUND) == 404 && err_http(ERR_TOO_LARGE) == 413 && err_http(ERR_RATE_LIMITED) == 429, "error statuses");
	CHECK_STR(err_str(ERR_INVALID), "invalid", "error codes");

	s1 = bus_subscribe(on_ev, NULL);
	bus_publish(&ev);
	CHECK(bus_seen == 1 && bus_last == 7, "bus delivers to a subscriber");
	bus_unsubscribe(s1);
	bus_publish(&ev);
	CHECK(bus_seen == 1, "bus stops after unsubscribe");

	o = json_pack("{s:I,s:s,s:s,s:{s:I}}", "created_at", (json_int_t)1795514400250LL, "token_hash", "x", "prev_hash", "p", "inner", "updated_at", (json_int_t)0);
	jsonx_present(o);
	CHECK_STR(jsonx_str(o, "created_at"), "2026-11-24T10:00:00.250Z", "present renders times");
	CHECK(json_object_get(o, "token_hash") == NULL, "present drops secret hashes");
	CHECK(json_object_get(o, "prev_hash") != NULL, "present keeps the audit chain's prev_hash");
	CHECK(json_is_string(json_object_get(json_object_get(o, "inner"), "updated_at")), "present recurses");
	json_decref(o);
	return test_done();
}
