/* base/test_knobs.h — the environment variables tests set to inject faults, delays and traces.
 * Read here and nowhere else, so that one list says what a test can change in a program's
 * behaviour; none of them is for users (docs/TESTS.md's test list names the tests that use
 * them). */
#ifndef DRNN_BASE_TEST_KNOBS_H
#define DRNN_BASE_TEST_KNOBS_H

typedef enum {
    KNOB_FAIL,            /* DRNN_TEST_FAIL="WHAT:RANK": rank RANK fails at WHAT (drnn-train) */
    KNOB_NAN_STEPS,       /* DRNN_TEST_NAN_STEPS="7,8": the last rank's loss is NaN there */
    KNOB_TRACE_BATCHES,   /* DRNN_TRACE_BATCHES=FILE: seq2seq appends "step batch" per step */
    KNOB_CKPT_DELAY_MS,   /* DRNN_TEST_CKPT_DELAY_MS: a pause inside a checkpoint write */
    KNOB_ISOLATE_TIMEOUT, /* DRNN_TEST_ISOLATE_TIMEOUT: the isolated check's time cap (s) */
    KNOB_CORPUS_CHECK,    /* DRNN_TEST_CORPUS_CHECK: how a corpus is checked before opening */
    KNOB_POWERSGD_DUMP,   /* DRNN_TEST_POWERSGD_DUMP=DIR: PowerSGD's inputs, P, Q, results */
} test_knob_t;

/* The knob's value, or NULL when it is not set. */
const char *test_knob(test_knob_t knob);

#endif
