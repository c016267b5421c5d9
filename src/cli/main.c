/* main.c: global options and the command table. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli.h"
#include "core/log.h"

static const struct {
	const char *name;
	int (*fn)(struct cli *c);
	const char *usage;
} commands[] = {
	{"serve", cli_serve, "serve [--listen ADDR:PORT] [--workers N] [--heartbeat SECONDS]   run the server (default 127.0.0.1:8080)"},
	{"init", cli_init, "init --workspace NAME --admin EMAIL [--json]   create a workspace and its owner"},
	{"kb", cli_kb, "kb add [--workspace W] FILE... | kb list | kb rm DOC   manage the knowledge base"},
	{"ask", cli_ask, "ask [--workspace W] [--json] \"question\" | ask --json --batch FILE.jsonl"},
	{"demo", cli_demo, "demo   seed a demo workspace and print how to log in"},
	{"report", cli_report, "report --month YYYY-MM [--format md|csv|html]   the monthly review"},
	{"audit", cli_audit, "audit verify   check the audit hash chain"},
	{"backup", cli_backup, "backup FILE   online backup of the store"},
	{"routes", cli_routes, "routes   print the HTTP route table as JSON"},
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: baton [--data DIR] COMMAND [ARGS]\n\nDIR defaults to ./baton-data.\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

int
main(int argc, char **argv)
{
	struct cli c = {"./baton-data", 0, NULL};
	int i = 1;
	size_t k;

	log_init();
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	api_init();
	if (getenv("BATON_DATA") != NULL)
		c.data = getenv("BATON_DATA");
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			c.data = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--data=", 7) == 0) {
			c.data = argv[i] + 7;
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("baton %s\n", BATON_VERSION);
			return 0;
		} else {
			fprintf(stderr, "baton: unknown option %s\n\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0) {
			c.argc = argc - i - 1;
			c.argv = argv + i + 1;
			return commands[k].fn(&c);
		}
	fprintf(stderr, "baton: unknown command '%s'\n\n", argv[i]);
	usage(stderr);
	return 2;
}
