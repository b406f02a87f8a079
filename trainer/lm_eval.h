/* trainer/lm_eval.h — scoring a language model without training it: the validation of drnn-train
 * (DESIGN §5) and drnn-eval (DESIGN §8) share these functions, so both give the same figure.
 *
 * Streams layout: a split cut into B equal streams (stream j = tokens [jS, (j+1)S), S = L / B);
 * windows of T inputs [c, c+T) and targets [c+1, c+T+1) per stream; the state starts at zero and
 * carries across windows; every window is scored, the last one possibly shorter. The figure
 * depends on B only through where the streams are cut (each stream's first token has no target
 * and no context before it); T changes nothing but float rounding. No MPI here: the caller sums
 * the local results over ranks.
 */
#ifndef DRNN_TRAINER_LM_EVAL_H
#define DRNN_TRAINER_LM_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "io/corpus.h"
#include "model/lm.h"

/* Sums of one scoring pass (doubles so they can be reduced over ranks as they are). */
typedef struct {
    double loss;    /* sum of cross-entropies, nats */
    double targets; /* scored targets */
    double unknown; /* scored targets equal to unk_id */
    /* the text's tokens and characters, for bits per character (drnn-eval; 0: not known) */
    double text_tokens, text_chars;
} lm_score_t;

/* Bits per character of a text of TOKENS tokens and CHARS characters (its detokenized Unicode
 * code points) scored at LOSS nats per token: bits per token times tokens per character, so
 * the summed bits over the characters when every token is scored; equal to bits per token for
 * the char tokenizer. */
double lm_bits_per_char(double loss, double tokens, double chars);

/* Buffers and sizes of a scoring pass; the caller allocates them. */
typedef struct {
    lm_t *lm;            /* created with Tmax >= T, Bmax >= B */
    const float *params; /* [lm_params(lm)->total] */
    int B, T;            /* local streams, window length */
    float *state;        /* [lm_state_size(lm) * B] */
    uint32_t *inputs;    /* [T*B] */
    uint32_t *targets;   /* [T*B] */
    uint32_t *window;    /* [T+1] */
    int64_t unk_id;      /* id counted in lm_score_t.unknown; -1: none (byte tokenizer) */
} lm_eval_t;

/* Fills inputs/targets [T*B] time-major from the B local streams of rd at cursor c, using
 * window [T+1] as scratch. Returns 0, or 65 with a message in err (corpus read error). */
int lm_window_load(uint32_t *inputs, uint32_t *targets, uint32_t *window, stream_reader_t *rd,
                   int B, uint64_t c, int T, char *err, size_t errlen);

/* Scores every window of the e->B local streams of rd (dropout off, state zeroed first) and adds
 * to *s. Returns 0, or 65 with a message in err. */
int lm_eval_streams(lm_score_t *s, const lm_eval_t *e, stream_reader_t *rd, char *err,
                    size_t errlen);

/* Scores ids[0..n) as one continuous stream (B = 1): the cross-entropy of every token given all
 * tokens before it, in windows of up to e->T with carried state (dropout off, state zeroed
 * first); adds n - 1 targets to *s. Uses e->state only (inputs and targets point into ids). */
void lm_eval_sequence(lm_score_t *s, const lm_eval_t *e, const uint32_t *ids, size_t n);

/* Sampling, shared by drnn-sample and drnn-train --sample-every: draws an id from logits [V] at
 * temperature tau among the k largest (k <= 0: all), with p [V] as scratch; the draw is Philox
 * keyed by (seed, pos), so the same seed gives the same text. */
uint32_t lm_sample_draw(const float *logits, int V, double tau, long k, double *p, uint64_t seed,
                        long pos);
/* Feeds token cur (B = 1, carried state [lm_state_size]) through the model, dropout off, and
 * returns the id drawn from the next-token logits as lm_sample_draw does. */
uint32_t lm_sample_next(lm_t *m, const float *params, float *state, uint32_t cur, double tau,
                        long k, double *p, uint64_t seed, long pos);

#endif
