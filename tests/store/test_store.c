/* test_store.c: the SQLite backend through the store interface. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/util.h"
#include "store/store.h"
#include "test.h"

static void
conv(struct store *s, const char *id, int n, const char *status, const char *site, int64_t t)
{
	json_t *c = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:I,s:I}", "id", id, "workspace_id", "ws_a",
	    "number", n, "status", status, "mode", "agent", "channel", "widget", "site", site,
	    "created_at", (json_int_t)t, "updated_at", (json_int_t)t);

	ST(s, conv_create, c);
	json_decref(c);
}

int
main(void)
{
	char dir[] = "/tmp/baton-test-store-XXXXXX", path[256];
	struct errinfo ei = {0};
	struct store *s, *s2;
	json_t *w, *rows, *row;
	struct store_conv_filter f;
	int i, seen = 0;
	char id[32];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	s = store_open(dir, &ei);
	CHECK(s != NULL, "open creates the database and applies migrations");
	if (s == NULL)
		return test_done();
	{
		/* A migration missing from the record (merged after a higher number)
		 * is applied at the next open, and only that one. */
		sqlite3 *db;
		char dbpath[300];
		int rc;

		snprintf(dbpath, sizeof(dbpath), "%s/baton.db", dir);
		rc = sqlite3_open(dbpath, &db);
		rc = rc ? rc : sqlite3_exec(db, "DROP TABLE review_entries; DROP INDEX timeline_kind_at; DROP INDEX conv_ws_handoff; "
		    "DELETE FROM schema_migrations WHERE version = 9", NULL, NULL, NULL);
		sqlite3_close(db);
		s2 = rc == SQLITE_OK ? store_open(dir, &ei) : NULL;
		CHECK(s2 != NULL, "a store missing a lower-numbered migration opens");
		rows = s2 ? ST(s2, review_entry_list, "ws_none", NULL, 10) : NULL;
		CHECK(rows != NULL, "and the missing migration was applied (its table answers)");
		json_decref(rows);
		if (s2 != NULL)
			ST(s2, close);
	}
	s2 = store_open(dir, &ei);
	CHECK(s2 != NULL, "a second connection opens the migrated database");
	w = json_pack("{s:s,s:s,s:s,s:I}", "id", "ws_a", "name", "A", "widget_key", "wk_a", "created_at", (json_int_t)1);
	CHECK(ST(s, workspace_create, w) == ERR_OK, "create a workspace");
	CHECK(ST(s, workspace_create, w) == ERR_CONFLICT, "a duplicate id is a conflict");
	json_decref(w);
	CHECK(ST(s, workspace_next_number, "ws_a") == 1 && ST(s, workspace_next_number, "ws_a") == 2, "numbers count up per workspace");
	CHECK(ST(s, workspace_next_number, "ws_nope") == -1, "no number for an unknown workspace");

	ST(s, begin);
	for (i = 0; i < 120; i++) {
		snprintf(id, sizeof(id), "cv_%03d", i);
		conv(s, id, i + 10, i % 3 == 0 ? "needs_human" : "open", i % 2 ? "Site-101" : "Site-202", 1000 + i / 2);
	}
	CHECK(ST(s, commit) == ERR_OK, "commit 120 conversations");

	memset(&f, 0, sizeof(f));
	f.workspace_id = "ws_a";
	f.limit = 50;
	for (;;) {
		rows = ST(s, conv_list, &f, &ei);
		seen += (int)json_array_size(rows);
		if (json_array_size(rows) < 50) {
			json_decref(rows);
			break;
		}
		row = json_array_get(rows, 49);
		f.cursor_t = jsonx_int(row, "updated_at", 0);
		snprintf(id, sizeof(id), "%s", jsonx_str(row, "id"));
		f.cursor_id = id;
		json_decref(rows);
	}
	CHECK(seen == 120, "keyset pages cover every row once (ties on time included)");
	memset(&f, 0, sizeof(f));
	f.workspace_id = "ws_a";
	f.status[0] = "needs_human";
	f.n_status = 1;
	f.site = "Site-202";
	f.limit = 200;
	rows = ST(s, conv_list, &f, &ei);
	CHECK(json_array_size(rows) == 20, "status and site filters combine");
	json_decref(rows);
	memset(&f, 0, sizeof(f));
	f.workspace_id = "ws_a";
	f.sites_allowed = json_pack("[s]", "Site-101");
	f.limit = 200;
	rows = ST(s, conv_list, &f, &ei);
	CHECK(json_array_size(rows) == 60, "site scope limits the list");
	json_decref(rows);
	json_decref(f.sites_allowed);
	f.sites_allowed = NULL;
	f.workspace_id = "ws_other";
	rows = ST(s, conv_list, &f, &ei);
	CHECK(json_array_size(rows) == 0, "another workspace sees nothing");
	json_decref(rows);

	row = ST(s, conv_get, "ws_other", "cv_001");
	CHECK(row == NULL, "get is scoped to the workspace");
	row = ST(s, conv_get, "ws_a", "cv_001");
	CHECK(row != NULL && strcmp(jsonx_str(row, "site"), "Site-101") == 0, "get returns the row");
	json_decref(row);
	row = json_pack("{s:s,s:n}", "status", "resolved", "assignee_id");
	CHECK(ST(s, conv_update, "ws_a", "cv_001", row) == ERR_OK, "update columns");
	CHECK(ST(s, conv_update, "ws_other", "cv_001", row) == ERR_NOT_FOUND, "update is scoped to the workspace");
	json_decref(row);

	row = json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:[{s:s}]}", "conversation_id", "cv_001", "workspace_id", "ws_a", "author_kind", "agent", "body", "hi", "internal", 0, "created_at", (json_int_t)5, "citations", "document", "a.md");
	CHECK(ST(s, msg_add, row) > 0, "add a message with citations");
	json_decref(row);
	rows = ST(s, msg_list, "cv_001", 0, 0, 10);
	CHECK(json_array_size(rows) == 1 && json_is_array(json_object_get(json_array_get(rows, 0), "citations")), "citations come back parsed");
	json_decref(rows);

	row = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)1, "workspace_id", "ws_a", "at", (json_int_t)1, "actor", "x", "action", "y", "object", "z", "prev_hash", "0", "hash", "h");
	CHECK(ST(s, audit_insert, row) == ERR_OK, "append an audit row");
	json_decref(row);
	snprintf(path, sizeof(path), "%s/backup.db", dir);
	CHECK(ST(s, backup, path, &ei) == ERR_OK && access(path, R_OK) == 0, "online backup writes a file");
	ST(s2, close);
	ST(s, close);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "sqlite3 %s/baton.db \"UPDATE audit SET actor='x'\" 2>/dev/null", dir);
		if (system("command -v sqlite3 >/dev/null") == 0)
			CHECK(system(cmd) != 0, "UPDATE on the audit table is refused by a trigger");
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return test_done();
}
