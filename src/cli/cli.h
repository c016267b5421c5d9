/* cli.h: the `baton` command line (DESIGN §5). One table maps each command to
 * its handler and help line. */
#ifndef BATON_CLI_H
#define BATON_CLI_H

struct cli {
	const char *data;   /* --data DIR */
	int argc;           /* arguments after the command name */
	char **argv;
};

struct store;

/* Option helpers shared by the command files. */
const char *cli_opt(struct cli *c, const char *name);
int cli_flag(struct cli *c, const char *name);
struct store *cli_store(struct cli *c);
/* Resolve --workspace (an id or a name; without it, the only workspace) into
 * id and, when name is not NULL, its name. Prints why and returns -1 when it cannot. */
int cli_workspace(struct cli *c, struct store *s, char id[40], char name[256]);

int cli_serve(struct cli *c);
int cli_init(struct cli *c);
int cli_audit(struct cli *c);
int cli_backup(struct cli *c);
int cli_routes(struct cli *c);
int cli_kb(struct cli *c);
int cli_ask(struct cli *c);
int cli_demo(struct cli *c);
int cli_report(struct cli *c);

#endif
