/* store.c: picks the backend for a data source name. Only this file knows
 * which backends exist. */
#include "store.h"

#include "store_int.h"

struct store *
store_open(const char *dsn, struct errinfo *ei)
{
	return store_sqlite_open(dsn, ei);
}
