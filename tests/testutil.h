/* tests/testutil.h — tests fail through their exit code: every EXPECT that does not hold counts. */
#ifndef DRNN_TESTS_TESTUTIL_H
#define DRNN_TESTS_TESTUTIL_H

#include <stdio.h>

static int test_failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define TEST_RESULT(name)                                                                          \
    (printf("%s: %s\n", (name), test_failures ? "FAILED" : "ok"), test_failures ? 1 : 0)

#endif
