/* test_writer.c: the answer writer's pure parts: redaction (every match,
 * case-insensitive, empty matches, broken patterns), the number guard (whole
 * digit runs only), the length guards, the chat completion parser and the
 * request (redacted, temperature 0) and endpoint builders. The HTTP exchange
 * itself is tested black-box in tests/blackbox/test_writer.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channels.h"
#include "inbox/inbox.h"
#include "test.h"

static void
test_redact(void)
{
	json_t *pats = json_pack("[s,s]", "MRN[- ]?[0-9]+", "[0-9]{2}/[0-9]{2}/[0-9]{4}");
	json_t *empty = json_pack("[s]", "x*");
	json_t *broken = json_pack("[s,s]", "(unclosed", "MRN[0-9]+");
	char *r;
	int bad = -1;

	r = channels_writer_redact(pats, "mrn 123456, MRN-99 and MRN7; born 01/02/1990.", &bad);
	CHECK_STR(r, "[redacted], [redacted] and [redacted]; born [redacted].", "every match is redacted, case-insensitively");
	CHECK(bad == 0, "good patterns are not flagged");
	free(r);
	r = channels_writer_redact(pats, "nothing to hide", NULL);
	CHECK_STR(r, "nothing to hide", "text without matches is unchanged");
	free(r);
	r = channels_writer_redact(NULL, "no patterns", NULL);
	CHECK_STR(r, "no patterns", "no patterns, no change");
	free(r);
	r = channels_writer_redact(empty, "axxb", NULL);
	CHECK_STR(r, "a[redacted]b", "a pattern that can match empty still ends and redacts what it matches");
	free(r);
	r = channels_writer_redact(broken, "MRN123", &bad);
	CHECK(bad == 1, "a pattern that does not compile is flagged");
	CHECK_STR(r, "[redacted]", "the others still apply");
	free(r);
	json_decref(pats);
	json_decref(empty);
	json_decref(broken);
}

static void
test_numbers(void)
{
	const char *pass[] = {"The Week 4 visit is within plus or minus 3 days.", "Ship 2024-05-01."};

	CHECK(channels_writer_numbers_ok("Week 4: 3 days either way.", "q", pass, 2), "numbers from the passages pass");
	CHECK(channels_writer_numbers_ok("Since 2024, on 05-01.", "q", pass, 2), "every run is looked up");
	CHECK(!channels_writer_numbers_ok("Within 30 days.", "q", pass, 2), "30 is not 3: runs match whole");
	CHECK(!channels_writer_numbers_ok("Within 7 days.", "q", pass, 2), "an invented number is refused");
	CHECK(!channels_writer_numbers_ok("Week 24.", "q", pass, 2), "24 inside 2024 is not a whole run");
	CHECK(channels_writer_numbers_ok("Visit 12 is fine.", "and visit 12?", pass, 2), "numbers from the question pass");
	CHECK(channels_writer_numbers_ok("No numbers at all.", "q", pass, 0), "no numbers, nothing to check");
}

static void
test_check(void)
{
	const char *pass[] = {"The Week 4 visit is within plus or minus 3 days of the target date."};
	struct inbox_writer_req rq;
	char many[1200] = "";
	int i;

	memset(&rq, 0, sizeof(rq));
	rq.question = "week 4 window?";
	rq.answer = "The Week 4 visit is within plus or minus 3 days of the target date.";
	rq.passages = pass;
	rq.n_passages = 1;
	CHECK(channels_writer_check("Week 4: within 3 days of the target date.", &rq) == NULL, "a short faithful reply passes");
	CHECK_STR(channels_writer_check(" \n\t", &rq), "empty", "whitespace is empty");
	for (i = 0; i < 121; i++)
		strcat(many, "word ");
	rq.answer = many; /* 3x is no limit here: 120 words is */
	CHECK_STR(channels_writer_check(many, &rq), "too_long", "over 120 words is too long");
	rq.answer = "Three days.";
	CHECK(channels_writer_check("Plus or minus three days.", &rq) == NULL, "up to 3x the answer's words passes");
	CHECK_STR(channels_writer_check("It is plus or minus three days of the target.", &rq), "too_long", "over 3x the answer's words is too long");
	rq.answer = "The Week 4 visit is within plus or minus 3 days of the target date.";
	CHECK_STR(channels_writer_check("Within 5 days.", &rq), "new_number", "a new number is caught");
}

static const char *
parse_why(const char *body, char **out)
{
	return channels_writer_parse(body, strlen(body), out);
}

static void
test_parse(void)
{
	const char *ok = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"  Within 3 days.\\n\"}}]}";
	char *out = NULL;

	CHECK(channels_writer_parse(ok, strlen(ok), &out) == NULL && out != NULL && strcmp(out, "Within 3 days.") == 0,
	    "the first choice's content, trimmed");
	free(out);
	CHECK_STR(parse_why("{\"choices\": [", &out), "malformed", "truncated JSON is malformed");
	CHECK(out == NULL, "and gives no text");
	CHECK_STR(parse_why("{\"choices\":[]}", &out), "malformed", "no choice is malformed");
	CHECK_STR(parse_why("{\"choices\":[{\"message\":{\"content\":7}}]}", &out), "malformed", "content that is not text is malformed");
	CHECK_STR(parse_why("[1,2]", &out), "malformed", "not an object is malformed");
	CHECK_STR(parse_why("{\"choices\":[{\"message\":{\"content\":\" \\n \"}}]}", &out), "empty", "blank content is empty");
}

static void
test_request(void)
{
	const char *pass[] = {"Patient MRN-123 had the Week 4 visit.", "Second passage."};
	json_t *set = json_pack("{s:s,s:[s]}", "writer_model", "m1", "redaction_patterns", "MRN-[0-9]+");
	json_t *req;
	struct inbox_writer_req rq;
	char *body, *url;
	const char *user;
	int bad = -1;

	memset(&rq, 0, sizeof(rq));
	rq.settings = set;
	rq.question = "for MRN-456, the week 4 window?";
	rq.answer = "MRN-123 had the Week 4 visit.";
	rq.passages = pass;
	rq.n_passages = 2;
	body = channels_writer_request(&rq, &bad);
	req = json_loads(body, 0, NULL);
	user = json_string_value(json_object_get(json_array_get(json_object_get(req, "messages"), 1), "content"));
	CHECK(bad == 0 && req != NULL, "the request is JSON");
	CHECK(json_is_string(json_object_get(req, "model")) && strcmp(json_string_value(json_object_get(req, "model")), "m1") == 0, "with the model");
	CHECK(json_number_value(json_object_get(req, "temperature")) == 0.0 && json_integer_value(json_object_get(req, "max_tokens")) == 200, "temperature 0, max_tokens 200");
	CHECK(body != NULL && strstr(body, "123") == NULL && strstr(body, "456") == NULL, "nothing matching a pattern is in it");
	CHECK_STR(user, "Question: for [redacted], the week 4 window?\n\nPassages:\n[1] Patient [redacted] had the Week 4 visit.\n[2] Second passage.\n\nDraft answer: [redacted] had the Week 4 visit.",
	    "the user message: question, numbered passages, draft");
	json_decref(req);
	free(body);
	url = channels_writer_endpoint("http://127.0.0.1:8081/");
	CHECK_STR(url, "http://127.0.0.1:8081/v1/chat/completions", "the endpoint under the base");
	free(url);
	url = channels_writer_endpoint("https://api.example.org/v1");
	CHECK_STR(url, "https://api.example.org/v1/chat/completions", "a base ending in /v1 is not doubled");
	free(url);
	json_decref(set);
}

int
main(void)
{
	test_redact();
	test_numbers();
	test_check();
	test_parse();
	test_request();
	return test_done();
}
