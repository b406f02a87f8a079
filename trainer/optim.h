/* trainer/optim.h — the optimizers every rank applies to the same summed, clipped gradient
 * (DESIGN §3, §4): SGD with momentum as torch.optim.SGD, Adam and AdamW as torch.optim.Adam /
 * AdamW (bias correction included, the same float32 operation order as PyTorch's single-tensor
 * path). Their state has the parameters' layout, so checkpoints shard it like the parameters:
 * SGD "momentum"; Adam/AdamW "exp_avg", "exp_avg_sq" and the step count.
 */
#ifndef DRNN_TRAINER_OPTIM_H
#define DRNN_TRAINER_OPTIM_H

#include <stddef.h>

typedef enum { OPTIM_SGD = 0, OPTIM_ADAM, OPTIM_ADAMW } optim_kind_t;

#define OPTIM_MAX_STATE 2

typedef struct {
    int kind; /* optim_kind_t */
    double momentum, beta1, beta2, eps, weight_decay;
} optim_cfg_t;

typedef struct {
    optim_cfg_t c;
    size_t P;
    int nstate;                    /* state buffers in use: 0 (plain SGD), 1 or 2 */
    float *state[OPTIM_MAX_STATE]; /* [P] each */
    long steps;                    /* updates applied (Adam's t) */
    int have_state;                /* the state buffers hold values (SGD: v = g until then) */
} optim_t;

/* "sgd", "adam", "adamw" <-> optim_kind_t (-1 / "?" otherwise). */
int optim_parse(const char *name);
const char *optim_name(int kind);

/* Allocates the state for P parameters (zeroed, steps 0). 0, or -1 when out of memory. */
int optim_init(optim_t *o, const optim_cfg_t *c, size_t P);
void optim_free(optim_t *o);
/* Name of state buffer i ("momentum", "exp_avg", "exp_avg_sq"). */
const char *optim_state_name(const optim_t *o, int i);

/* One update of params [P] with grads * coef (coef: the clip factor) at rate lr. */
void optim_step(optim_t *o, float *params, const float *grads, float coef, double lr);

#endif
