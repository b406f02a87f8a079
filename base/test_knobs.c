#include "base/test_knobs.h"

#include <stdlib.h>

const char *test_knob(test_knob_t knob) {
    static const char *const names[] = {
        [KNOB_FAIL] = "DRNN_TEST_FAIL",
        [KNOB_NAN_STEPS] = "DRNN_TEST_NAN_STEPS",
        [KNOB_TRACE_BATCHES] = "DRNN_TRACE_BATCHES",
        [KNOB_CKPT_DELAY_MS] = "DRNN_TEST_CKPT_DELAY_MS",
        [KNOB_ISOLATE_TIMEOUT] = "DRNN_TEST_ISOLATE_TIMEOUT",
        [KNOB_CORPUS_CHECK] = "DRNN_TEST_CORPUS_CHECK",
        [KNOB_POWERSGD_DUMP] = "DRNN_TEST_POWERSGD_DUMP",
    };
    return getenv(names[knob]);
}
