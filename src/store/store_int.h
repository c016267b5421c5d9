/* store_int.h: backend constructors, for store.c only. */
#ifndef BATON_STORE_INT_H
#define BATON_STORE_INT_H

#include "store.h"

struct store *store_sqlite_open(const char *dir, struct errinfo *ei);

#endif
