/* seed.c: fill a data directory with a realistic spread of conversations for
 * the list benchmark: statuses, modes, channels, sites, assignees and a year
 * of timestamps, written through the store interface in large transactions.
 * usage: seed DATA_DIR WORKSPACE_ID N */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/util.h"
#include "store/store.h"

int
main(int argc, char **argv)
{
	static const char *const st[] = {"open", "needs_human", "pending", "resolved", "resolved", "resolved"};
	static const char *const ch[] = {"widget", "email", "api"};
	static const char *const sites[] = {"Site-101", "Site-202", "Site-303", "Site-404"};
	struct errinfo ei = {0};
	struct store *s;
	json_t *ms;
	long n, i;
	int64_t now = util_now_ms();
	const char *owner;

	if (argc != 4 || sodium_init() < 0)
		return 2;
	s = store_open(argv[1], &ei);
	if (s == NULL) {
		fprintf(stderr, "%s\n", ei.msg);
		return 1;
	}
	n = strtol(argv[3], NULL, 10);
	ms = ST(s, member_list, argv[2]);
	owner = jsonx_str(json_array_get(ms, 0), "id");
	srand(42);
	for (i = 0; i < n; i++) {
		char id[40], raw[40];
		int64_t t = now - (int64_t)(rand() % (365 * 24 * 3600)) * 1000;
		json_t *c;

		if (i % 10000 == 0) {
			if (i)
				ST(s, commit);
			ST(s, begin);
		}
		util_random_id(raw, 15);
		snprintf(id, sizeof(id), "cv_%s", raw);
		c = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "id", id, "workspace_id", argv[2],
		    "number", (json_int_t)(ST(s, workspace_next_number, argv[2])), "status", st[rand() % 6], "mode",
		    rand() % 2 ? "agent" : "manual", "channel", ch[rand() % 3], "site", sites[rand() % 4], "preview",
		    "When is the week 4 visit and what is its window?", "created_at", (json_int_t)t, "updated_at",
		    (json_int_t)(t + rand() % 86400000));
		if (rand() % 3 == 0)
			json_object_set_new(c, "assignee_id", json_string(owner));
		ST(s, conv_create, c);
		json_decref(c);
	}
	ST(s, commit);
	json_decref(ms);
	ST(s, close);
	printf("seeded %ld conversations\n", n);
	return 0;
}
