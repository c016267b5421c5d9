/* alloc.h: every allocation goes through these. They abort with file and line
 * on exhaustion; inputs are capped so exhaustion is not reachable from outside. */
#ifndef BATON_ALLOC_H
#define BATON_ALLOC_H

#include <stddef.h>

#define xmalloc(n) alloc_malloc((n), __FILE__, __LINE__)
#define xcalloc(n, s) alloc_calloc((n), (s), __FILE__, __LINE__)
#define xrealloc(p, n) alloc_realloc((p), (n), __FILE__, __LINE__)
#define xstrdup(s) alloc_strdup((s), __FILE__, __LINE__)
#define xstrndup(s, n) alloc_strndup((s), (n), __FILE__, __LINE__)

void *alloc_malloc(size_t n, const char *file, int line);
void *alloc_calloc(size_t n, size_t size, const char *file, int line);
void *alloc_realloc(void *p, size_t n, const char *file, int line);
char *alloc_strdup(const char *s, const char *file, int line);
char *alloc_strndup(const char *s, size_t n, const char *file, int line);

#endif
