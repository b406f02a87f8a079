#include "trainer/lm_eval.h"

#include <math.h>
#include <string.h>

#include "model/rng.h"

int lm_window_load(uint32_t *inputs, uint32_t *targets, uint32_t *window, stream_reader_t *rd,
                   int B, uint64_t c, int T, char *err, size_t errlen) {
    for (int s = 0; s < B; s++) {
        int rc = stream_reader_get(rd, s, c, (size_t)T + 1, window, err, errlen);
        if (rc) return rc;
        for (int t = 0; t < T; t++) {
            inputs[(size_t)t * B + s] = window[t];
            targets[(size_t)t * B + s] = window[t + 1];
        }
    }
    return 0;
}

static double count_id(const uint32_t *ids, size_t n, int64_t id) {
    if (id < 0) return 0.0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ids[i] == (uint32_t)id;
    return (double)k;
}

int lm_eval_streams(lm_score_t *s, const lm_eval_t *e, stream_reader_t *rd, char *err,
                    size_t errlen) {
    uint64_t S = stream_reader_stream_len(rd);
    memset(e->state, 0, sizeof(float) * (size_t)lm_state_size(e->lm) * e->B);
    lm_set_dropout(e->lm, 0.0f, 0, 0, 0);
    for (uint64_t c = 0; c + 1 < S; c += (uint64_t)e->T) {
        int T = S - 1 - c < (uint64_t)e->T ? (int)(S - 1 - c) : e->T;
        int rc = lm_window_load(e->inputs, e->targets, e->window, rd, e->B, c, T, err, errlen);
        if (rc) return rc;
        s->loss += lm_forward(e->lm, e->params, e->inputs, e->targets, e->state, T, e->B);
        s->targets += (double)T * e->B;
        s->unknown += count_id(e->targets, (size_t)T * e->B, e->unk_id);
    }
    return 0;
}

void lm_eval_sequence(lm_score_t *s, const lm_eval_t *e, const uint32_t *ids, size_t n) {
    memset(e->state, 0, sizeof(float) * (size_t)lm_state_size(e->lm));
    lm_set_dropout(e->lm, 0.0f, 0, 0, 0);
    for (size_t c = 0; c + 1 < n; c += (size_t)e->T) {
        int T = n - 1 - c < (size_t)e->T ? (int)(n - 1 - c) : e->T;
        s->loss += lm_forward(e->lm, e->params, ids + c, ids + c + 1, e->state, T, 1);
        s->targets += T;
        s->unknown += count_id(ids + c + 1, (size_t)T, e->unk_id);
    }
}

uint32_t lm_sample_draw(const float *logits, int V, double tau, long k, double *p, uint64_t seed,
                        long pos) {
    double mx = -INFINITY;
    for (int j = 0; j < V; j++) mx = fmax(mx, logits[j]);
    double kth = -INFINITY;
    if (k > 0 && k < V) {
        /* k-th largest logit by repeated selection of the max below the previous one. */
        double prev = INFINITY;
        for (long r = 0; r < k; r++) {
            double best = -INFINITY;
            for (int j = 0; j < V; j++)
                if (logits[j] < prev && logits[j] > best) best = logits[j];
            prev = best;
        }
        kth = prev;
    }
    double sum = 0;
    for (int j = 0; j < V; j++) {
        p[j] = logits[j] >= kth ? exp((logits[j] - mx) / tau) : 0.0;
        sum += p[j];
    }
    double u = rng_uniform(seed, RNG_SAMPLE, 0, 0, (uint64_t)pos) * sum, acc = 0;
    for (int j = 0; j < V; j++) {
        acc += p[j];
        if (u < acc) return (uint32_t)j;
    }
    for (int j = V - 1; j >= 0; j--)
        if (p[j] > 0) return (uint32_t)j;
    return 0;
}

uint32_t lm_sample_next(lm_t *m, const float *params, float *state, uint32_t cur, double tau,
                        long k, double *p, uint64_t seed, long pos) {
    lm_forward(m, params, &cur, NULL, state, 1, 1);
    return lm_sample_draw(lm_logits(m), lm_desc(m)->vocab, tau, k, p, seed, pos);
}

double lm_bits_per_char(double loss, double tokens, double chars) {
    return loss / log(2.0) * tokens / chars;
}
