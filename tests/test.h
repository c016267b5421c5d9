/* test.h: the unit-test harness. Each test program prints one line per check
 * ("ok   name" or "FAIL name: detail") and ends with "N passed, N failed". */
#ifndef BATON_TEST_H
#define BATON_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;

#define CHECK(cond, name)                                                         \
	do {                                                                      \
		if (cond) {                                                       \
			test_passed++;                                            \
			printf("ok   %s\n", (name));                              \
		} else {                                                          \
			test_failed++;                                            \
			printf("FAIL %s (%s:%d: %s)\n", (name), __FILE__, __LINE__, #cond); \
		}                                                                 \
	} while (0)

#define CHECK_STR(a, b, name) CHECK((a) != NULL && strcmp((a), (b)) == 0, name)

static inline int
test_done(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif
