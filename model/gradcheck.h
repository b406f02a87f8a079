/* model/gradcheck.h — central finite differences against lm_backward, per parameter tensor.
 *
 * Used by `drnn-train --selftest` and tests/test_gradcheck.c. The loss is the mean cross-entropy
 * of one window (carried-in state random, so the h_0 path is exercised). For each tensor up to
 * `samples` entries are perturbed by ±eps; the figure per tensor is
 *   max_i |analytic_i − numeric_i| / max(|analytic_i| + |numeric_i|, floor)
 * which is near 1e-3 for a correct float32 backward and O(1) for a wrong one.
 */
#ifndef DRNN_MODEL_GRADCHECK_H
#define DRNN_MODEL_GRADCHECK_H

#include <stdint.h>

#include "model/lm.h"

typedef void (*gradcheck_report_fn)(const char *tensor, double rel_err, void *ctx);

/* Returns the worst relative error over all tensors; calls report (if not NULL) per tensor. */
double lm_gradcheck(const lm_config_t *cfg, int T, int B, uint64_t seed, int samples, float eps,
                    gradcheck_report_fn report, void *ctx);

#endif
