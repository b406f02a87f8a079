/* Every parameter tensor of the GRU LM against central finite differences (1 and 2 layers,
 * carried-in state, embed != hidden so shape mix-ups show). */
#include "model/gradcheck.h"
#include "tests/testutil.h"

#define TOL 1e-2

static void report(const char *tensor, double err, void *ctx) {
    const char *what = ctx;
    printf("  %s %-22s max rel err %.2e\n", what, tensor, err);
    EXPECT(err < TOL, "%s %s: analytic and numeric gradients differ (rel err %.2e)", what, tensor,
           err);
}

int main(void) {
    lm_config_t one = {CELL_GRU, 13, 6, 9, 1};
    lm_gradcheck(&one, 6, 4, 7, 60, 1e-2f, report, "gru L=1");
    lm_config_t two = {CELL_GRU, 10, 9, 5, 2};
    lm_gradcheck(&two, 5, 3, 11, 60, 1e-2f, report, "gru L=2");
    return TEST_RESULT("test_gradcheck");
}
