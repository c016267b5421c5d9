/* fuzz_request.c: libFuzzer driver for the API's request parsing: routing,
 * path parameters, JSON bodies (depth, types, duplicates), query strings and
 * authentication headers, against a real (temporary) SQLite store. Any crash,
 * sanitizer report or 5xx on garbage is a bug. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox/inbox.h"
#include "store/store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *fz_store;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/baton-fuzz-XXXXXX";
	struct errinfo ei = {0};
	json_t *out = NULL;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		abort();
	fz_store = store_open(dir, &ei);
	if (fz_store == NULL)
		abort();
	inbox_workspace_create(fz_store, "Fuzz", "fuzz@example.org", &out, &ei);
	json_decref(out);
	return 0;
}

/* Input layout: method index, then NUL-separated path, query key, query
 * value, header value, and the rest is the body. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "OPTIONS", "PUT"};
	const char *parts[5] = {"/", "", "", "", ""};
	char *copy;
	size_t i, off = 1, k = 0;
	struct api_req rq;
	struct api_resp rs;

	if (size < 2)
		return 0;
	copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 1; i < size && k < 5; i++)
		if (copy[i] == '\0') {
			parts[k++] = copy + off;
			off = i + 1;
		}
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.method = methods[data[0] % 6];
	rq.path = parts[0];
	rq.query = json_object();
	if (*parts[1] && util_utf8_valid(parts[1], strlen(parts[1])) && util_utf8_valid(parts[2], strlen(parts[2])))
		json_object_set_new(rq.query, parts[1], json_string(parts[2]));
	rq.authorization = *parts[3] ? parts[3] : NULL;
	rq.cookie = *parts[4] ? parts[4] : NULL;
	rq.client_ip = "127.0.0.1";
	rq.body = copy + off;
	rq.body_len = off <= size ? size - off : 0;
	api_handle(fz_store, &rq, &rs);
	if (rs.status >= 500 && rs.status != 501)
		abort();
	api_resp_free(&rs);
	json_decref(rq.query);
	free(copy);
	return 0;
}
