/* cli_admin.c: serve, init, audit verify, backup, routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "channels/channels.h"
#include "cli.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "http/http.h"
#include "inbox/inbox.h"
#include "store/store.h"

/* Find "--name VALUE" in the command's arguments; NULL when absent. */
const char *
cli_opt(struct cli *c, const char *name)
{
	int i;

	for (i = 0; i + 1 < c->argc; i++)
		if (strcmp(c->argv[i], name) == 0)
			return c->argv[i + 1];
	return NULL;
}

int
cli_flag(struct cli *c, const char *name)
{
	int i;

	for (i = 0; i < c->argc; i++)
		if (strcmp(c->argv[i], name) == 0)
			return 1;
	return 0;
}

struct store *
cli_store(struct cli *c)
{
	struct errinfo ei = {0};
	struct store *s = store_open(c->data, &ei);

	if (s == NULL)
		fprintf(stderr, "baton: %s\n", ei.msg);
	return s;
}

int
cli_serve(struct cli *c)
{
	struct http_config cfg = {"127.0.0.1:8080", c->data, 4, 15};
	const char *v;
	struct store *s;
	int rc, i;

	for (i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--help") == 0 || strcmp(c->argv[i], "-h") == 0) {
			printf("usage: baton [--data DIR] serve [--listen ADDR:PORT] [--workers N] [--heartbeat SECONDS]\n");
			return 0;
		}
		if ((strcmp(c->argv[i], "--listen") && strcmp(c->argv[i], "--workers") && strcmp(c->argv[i], "--heartbeat")) ||
		    i + 1 >= c->argc) {
			fprintf(stderr, "baton: serve: unknown or incomplete option '%s' (see baton serve --help)\n", c->argv[i]);
			return 2;
		}
		i++;
	}
	v = cli_opt(c, "--listen");
	if (v != NULL)
		cfg.listen = v;
	v = cli_opt(c, "--heartbeat");
	if (v != NULL) {
		cfg.heartbeat_s = (int)strtol(v, NULL, 10);
		if (cfg.heartbeat_s < 1 || cfg.heartbeat_s > 300) {
			fprintf(stderr, "baton: --heartbeat must be 1 to 300 seconds\n");
			return 2;
		}
	}
	v = cli_opt(c, "--workers");
	if (v != NULL) {
		cfg.workers = (int)strtol(v, NULL, 10);
		if (cfg.workers < 1 || cfg.workers > 64) {
			fprintf(stderr, "baton: --workers must be 1 to 64\n");
			return 2;
		}
	}
	/* Open once here so that migrations run and errors surface before listening. */
	s = cli_store(c);
	if (s == NULL)
		return 1;
	ST(s, close);
	if (inbox_agent_start(c->data)) {
		fprintf(stderr, "baton: cannot start the agent\n");
		return 1;
	}
	channels_start(c->data);
	inbox_suggest_start(c->data); /* suggest: suggested tags on visitor messages */
	rc = http_serve(&cfg);
	inbox_suggest_stop(); /* suggest */
	channels_stop();
	inbox_agent_stop();
	return rc;
}

int
cli_init(struct cli *c)
{
	const char *name = cli_opt(c, "--workspace"), *email = cli_opt(c, "--admin");
	struct errinfo ei = {0};
	struct store *s;
	json_t *out = NULL;
	int rc = 1;

	if (name == NULL || email == NULL) {
		fprintf(stderr, "usage: baton [--data DIR] init --workspace NAME --admin EMAIL [--json]\n");
		return 2;
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (inbox_workspace_create(s, name, email, &out, &ei)) {
		fprintf(stderr, "baton: %s\n", ei.msg);
		goto out;
	}
	if (cli_flag(c, "--json")) {
		json_object_del(out, "name");
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		printf("Workspace \"%s\" created (%s).\n", name, jsonx_str(out, "workspace_id"));
		printf("Owner:      %s\nPassword:   %s   (shown once; change it after logging in)\n",
		    email, jsonx_str(out, "password"));
		printf("Widget key: %s\n", jsonx_str(out, "widget_key"));
	}
	rc = 0;
out:
	json_decref(out);
	ST(s, close);
	return rc;
}

int
cli_audit(struct cli *c)
{
	struct errinfo ei = {0};
	struct store *s;
	int64_t rows = 0, bad = 0;
	int rc;

	if (c->argc < 1 || strcmp(c->argv[0], "verify") != 0) {
		fprintf(stderr, "usage: baton [--data DIR] audit verify\n");
		return 2;
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (inbox_audit_verify(s, &rows, &bad, &ei)) {
		if (bad > 0)
			printf("audit chain BROKEN at row %lld (%lld rows verified before it)\n",
			    (long long)bad, (long long)rows);
		else
			fprintf(stderr, "baton: %s\n", ei.msg);
		rc = 1;
	} else {
		printf("audit chain intact: %lld rows\n", (long long)rows);
		rc = 0;
	}
	ST(s, close);
	return rc;
}

int
cli_backup(struct cli *c)
{
	struct errinfo ei = {0};
	struct store *s;
	int rc = 0;

	if (c->argc != 1) {
		fprintf(stderr, "usage: baton [--data DIR] backup FILE\n");
		return 2;
	}
	s = cli_store(c);
	if (s == NULL)
		return 1;
	if (ST(s, backup, c->argv[0], &ei)) {
		fprintf(stderr, "baton: %s\n", ei.msg);
		rc = 1;
	} else {
		printf("backup written to %s\n", c->argv[0]);
	}
	ST(s, close);
	return rc;
}

int
cli_routes(struct cli *c)
{
	json_t *r = api_routes_json();

	(void)c;
	json_dumpf(r, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(r);
	return 0;
}

/* The monthly review arrives with the reports work; say so plainly. */
int
cli_report(struct cli *c)
{
	(void)c;
	fprintf(stderr, "baton: report is not built in this version\n");
	return 1;
}
