/* alloc.c: the allocation wrappers. */
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
alloc_die(size_t n, const char *file, int line)
{
	fprintf(stderr, "baton: out of memory (%zu bytes) at %s:%d\n", n, file, line);
	abort();
}

void *
alloc_malloc(size_t n, const char *file, int line)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		alloc_die(n, file, line);
	return p;
}

void *
alloc_calloc(size_t n, size_t size, const char *file, int line)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		alloc_die(n * size, file, line);
	return p;
}

void *
alloc_realloc(void *p, size_t n, const char *file, int line)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		alloc_die(n, file, line);
	return q;
}

char *
alloc_strdup(const char *s, const char *file, int line)
{
	return alloc_strndup(s, strlen(s), file, line);
}

char *
alloc_strndup(const char *s, size_t n, const char *file, int line)
{
	char *p = alloc_malloc(n + 1, file, line);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
