/* The language model on the training seam (trainer/kind.h, DESIGN §5): B contiguous streams of
 * the train split, rank r owning streams [r*Bl, (r+1)*Bl); step n reads window (n-1) % spe of
 * every stream, carries the hidden state across windows and resets it at each epoch's start. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "model/lm.h"
#include "base/util.h"
#include "base/config.h"
#include "io/ckpt.h"
#include "io/tokenize.h"
#include "trainer/kind.h"
#include "trainer/lm_eval.h"

/* The LM's own sums, filled at validation by rank 0: the valid split's tokens and characters. */
#define LM_SPLIT_TOKENS 3
#define LM_SPLIT_CHARS  4

struct kind_ctx {
    kind_env_t env;
    lm_t *lm;
    int T;
    long spe; /* steps per epoch */
    stream_reader_t *train, *valid;
    float *state, *eval_state; /* [L, Bl, H] (+ c for LSTM) */
    uint32_t *inputs, *targets, *window;
    double *trace_out, *trace_seconds;  /* requested for the next step, or NULL */
    float *trace_scratch, *trace_dnorm; /* [params], [L, T, Bl]: made on the first request */
};

/* --softmax, --cutoffs, --div-value into d (vocab and hidden already set). 0, or 64. */
static int lm_describe_softmax(model_desc_t *d, const kind_opts_t *o, const corpus_t *c, char *err,
                               size_t errlen) {
    d->softmax = model_softmax_parse(o->softmax);
    if (d->softmax < 0)
        return drnn_errf(err, errlen, 64, "--softmax %s: expected full or adaptive", o->softmax);
    if (d->softmax == SOFTMAX_FULL) {
        if (o->cutoffs[0] || o->div_value != TRAIN_DIV_VALUE_DEFAULT)
            return drnn_errf(err, errlen, 64,
                             "%s acts only with --softmax adaptive; add it, or leave the option "
                             "out",
                             o->cutoffs[0] ? "--cutoffs" : "--div-value");
        return 0;
    }
    /* Adaptive softmax puts ids below c1 in the head: it pays off only when they are the most
     * frequent tokens, as drnn-prep's char and word vocabularies are (specials, then descending
     * train frequency); the byte vocabulary is in byte order. */
    if (strcmp(corpus_tokenizer(c), "byte") == 0)
        return drnn_errf(err, errlen, 64,
                         "--softmax adaptive needs a vocabulary sorted by frequency, but --data %s "
                         "uses the byte tokenizer (ids in byte order); prepare the corpus with "
                         "drnn-prep --tokenizer char or word",
                         o->data);
    d->ncutoffs = o->cutoffs[0] ? config_int_list("cutoffs", o->cutoffs, d->cutoffs,
                                                  MODEL_MAX_CLUSTERS, 0, 1L << 30, err, errlen)
                                : 0;
    if (d->ncutoffs < 0) return 64;
    d->div_value = o->div_value;
    return model_adaptive_check(d, err, errlen);
}

static int lm_describe(model_desc_t *d, const kind_opts_t *o, const corpus_t *c, char *err,
                       size_t errlen) {
    if (o->bidirectional)
        return drnn_errf(err, errlen, 64,
                         "--bidirectional: a language model cannot read ahead of the token it "
                         "predicts; the other kinds' encoders can be bidirectional");
    if (o->self_attention)
        return drnn_errf(err, errlen, 64,
                         "--self-attention: a language model's self-attention over its window "
                         "would see the tokens it predicts (this block has no causal mask); it is "
                         "for the encoders of the other kinds");
    int rc = kind_describe_common(d, o, c, err, errlen);
    if (!rc) rc = lm_describe_softmax(d, o, c, err, errlen);
    return rc ? rc : kind_check_layer_dropout(o, err, errlen);
}

static void lm_close(kind_ctx_t *k) {
    if (!k) return;
    stream_reader_free(k->train), stream_reader_free(k->valid);
    lm_free(k->lm);
    free(k->trace_scratch), free(k->trace_dnorm);
    free(k->state), free(k->eval_state), free(k->inputs), free(k->targets), free(k->window);
    free(k);
}

static int lm_open(kind_ctx_t **out, const model_desc_t *d, const kind_env_t *env, char *err,
                   size_t errlen) {
    const int B = env->B, T = env->o->seq_len;
    int rc0 = kind_check_batch_ranks(env, err, errlen);
    if (rc0) return rc0;
    uint64_t L = corpus_split_tokens(env->corpus, CORPUS_TRAIN), S = L / (uint64_t)B;
    if (S < (uint64_t)T + 1)
        return drnn_errf(err, errlen, 64,
                         "--data %s: the train split has %llu tokens, too few for --batch %d x "
                         "--seq-len %d (needs at least %llu); lower --batch or --seq-len",
                         env->o->data, (unsigned long long)L, B, T,
                         (unsigned long long)B * (T + 1));
    kind_ctx_t *k = drnn_calloc(1, sizeof *k);
    *out = k;
    k->env = *env, k->T = T;
    k->spe = (long)((S - 1) / (uint64_t)T);
    size_t ahead = 65536 > (size_t)T + 1 ? 65536 : (size_t)T + 1;
    int first = env->rank * env->Bl;
    k->train = stream_reader_new(env->corpus, CORPUS_TRAIN, B, first, env->Bl, ahead);
    if (!k->train) return drnn_errf(err, errlen, 70, "out of memory for the train readers");
    uint64_t Lv = corpus_split_tokens(env->corpus, CORPUS_VALID);
    if (Lv / (uint64_t)B >= 2) {
        k->valid = stream_reader_new(env->corpus, CORPUS_VALID, B, first, env->Bl, ahead);
        if (!k->valid) return drnn_errf(err, errlen, 70, "out of memory for the valid readers");
    } else if (env->rank == 0) {
        fprintf(stderr,
                "drnn-train: warning: the valid split of %s has %llu tokens, fewer than 2 per "
                "stream; validation is off\n",
                env->o->data, (unsigned long long)Lv);
    }
    k->lm = lm_create(d, T, env->Bl);
    size_t ns = (size_t)lm_state_size(k->lm) * env->Bl;
    k->state = drnn_calloc(ns, sizeof(float));
    k->eval_state = drnn_calloc(ns, sizeof(float));
    k->inputs = drnn_calloc((size_t)T * env->Bl, sizeof(uint32_t));
    k->targets = drnn_calloc((size_t)T * env->Bl, sizeof(uint32_t));
    k->window = drnn_calloc((size_t)T + 1, sizeof(uint32_t));
    return 0;
}

static void *lm_model(kind_ctx_t *k) {
    return k->lm;
}

static long lm_spe(const kind_ctx_t *k) {
    return k->spe;
}

static int lm_load_batch(kind_ctx_t *k, long step, char *err, size_t errlen) {
    long w = (step - 1) % k->spe;
    if (w == 0) memset(k->state, 0, sizeof(float) * (size_t)lm_state_size(k->lm) * k->env.Bl);
    return lm_window_load(k->inputs, k->targets, k->window, k->train, k->env.Bl, (uint64_t)w * k->T,
                          k->T, err, errlen);
}

static double lm_batch_norm(const kind_ctx_t *k) {
    return (double)k->env.B * k->T;
}

static void lm_step(kind_ctx_t *k, const float *params, float *grads, long step, float scale,
                    kind_sums_t *s) {
    const int Bl = k->env.Bl, T = k->T;
    const kind_opts_t *o = k->env.o;
    lm_set_dropout(k->lm, (float)o->dropout, o->seed, (uint32_t)step, (uint32_t)(k->env.rank * Bl));
    s->v[KIND_LOSS] = lm_forward(k->lm, params, k->inputs, k->targets, k->state, T, Bl);
    s->v[KIND_COUNT] = s->v[KIND_TOKENS] = (double)T * Bl;
    if (k->trace_out) { /* before lm_backward, which overwrites the probabilities */
        const int L = lm_desc(k->lm)->layers;
        double t0 = drnn_wtime();
        if (!k->trace_scratch) {
            k->trace_scratch = drnn_calloc(lm_params(k->lm)->total, sizeof(float));
            k->trace_dnorm = drnn_calloc((size_t)L * T * Bl, sizeof(float));
        }
        lm_trace_bptt(k->lm, params, k->targets, T, Bl, k->trace_scratch, k->trace_dnorm);
        for (int l = 0; l < L; l++)
            for (int t = 0; t < T; t++) {
                double sum = 0.0;
                for (int b = 0; b < Bl; b++) sum += k->trace_dnorm[((size_t)l * T + t) * Bl + b];
                k->trace_out[(size_t)l * T + t] = sum / Bl;
            }
        *k->trace_seconds = drnn_wtime() - t0;
        k->trace_out = NULL;
    }
    lm_backward(k->lm, params, grads, k->inputs, k->targets, T, Bl, scale);
}

static void lm_trace_size(const kind_ctx_t *k, int *L, int *T) {
    *L = lm_desc(k->lm)->layers, *T = k->T;
}

static void lm_trace_request(kind_ctx_t *k, double *out, double *seconds) {
    k->trace_out = out, k->trace_seconds = seconds;
}

static int lm_has_valid(const kind_ctx_t *k) {
    return k->valid != NULL;
}

/* Every window of the valid split (trainer/lm_eval.h): the same figure on any rank count. */
static int lm_evaluate(kind_ctx_t *k, const float *params, kind_sums_t *s, char *err,
                       size_t errlen) {
    lm_score_t sc = {0};
    lm_eval_t e = {.lm = k->lm,
                   .params = params,
                   .B = k->env.Bl,
                   .T = k->T,
                   .state = k->eval_state,
                   .inputs = k->inputs,
                   .targets = k->targets,
                   .window = k->window,
                   .unk_id = -1};
    int rc = lm_eval_streams(&sc, &e, k->valid, err, errlen);
    s->v[KIND_LOSS] = sc.loss, s->v[KIND_COUNT] = s->v[KIND_TOKENS] = sc.targets;
    if (k->env.rank == 0) { /* the split's tokens and characters, once in the sum */
        s->v[LM_SPLIT_TOKENS] = (double)corpus_split_tokens(k->env.corpus, CORPUS_VALID);
        s->v[LM_SPLIT_CHARS] = (double)corpus_split_chars(k->env.corpus, CORPUS_VALID);
    }
    return rc;
}

static int lm_state_items(const kind_ctx_t *k) {
    return k->env.B;
}
static int lm_state_has_c(const kind_ctx_t *k) {
    return lm_desc(k->lm)->cell == CELL_LSTM;
}
static int lm_state_floats(const kind_ctx_t *k) {
    return lm_state_size(k->lm) / (lm_state_has_c(k) ? 2 : 1);
}

/* Per-stream vectors [Bl, Ld*H] <-> the model's [Ld, Bl, H] layout (h, then c). */
static void lm_state_pack(const kind_ctx_t *k, float *h, float *c) {
    const int Bl = k->env.Bl, H = lm_desc(k->lm)->hidden, Ld = lm_state_floats(k) / H;
    for (int s = 0; s < Bl; s++)
        for (int l = 0; l < Ld; l++) {
            size_t src = ((size_t)l * Bl + s) * H, dst = ((size_t)s * Ld + l) * H;
            memcpy(h + dst, k->state + src, sizeof(float) * H);
            if (c) memcpy(c + dst, k->state + (size_t)Ld * Bl * H + src, sizeof(float) * H);
        }
}

static void lm_state_unpack(kind_ctx_t *k, const float *h, const float *c) {
    const int Bl = k->env.Bl, H = lm_desc(k->lm)->hidden, Ld = lm_state_floats(k) / H;
    for (int s = 0; s < Bl; s++)
        for (int l = 0; l < Ld; l++) {
            size_t dst = ((size_t)l * Bl + s) * H, src = ((size_t)s * Ld + l) * H;
            memcpy(k->state + dst, h + src, sizeof(float) * H);
            if (c) memcpy(k->state + (size_t)Ld * Bl * H + dst, c + src, sizeof(float) * H);
        }
}

static void lm_eval_report(const kind_sums_t *s, char *text, size_t tn, char *json, size_t jn) {
    double loss = s->v[KIND_LOSS] / s->v[KIND_COUNT];
    int n = snprintf(text, tn, "loss %.4f | ppl %.3f | bits/token %.4f", loss, exp(loss),
                     loss / log(2.0));
    int m = snprintf(json, jn, "\"loss\": %.9g, \"ppl\": %.9g, \"bpt\": %.9g", loss, exp(loss),
                     loss / log(2.0));
    if (s->v[LM_SPLIT_CHARS] > 0 && n > 0 && m > 0 && (size_t)n < tn && (size_t)m < jn) {
        double bpc = lm_bits_per_char(loss, s->v[LM_SPLIT_TOKENS], s->v[LM_SPLIT_CHARS]);
        snprintf(text + n, tn - (size_t)n, " | bits/char %.4f", bpc);
        snprintf(json + m, jn - (size_t)m, ", \"bpc\": %.9g", bpc);
    }
}

static void lm_step_report(const kind_sums_t *s, char *text, size_t n) {
    snprintf(text, n, "ppl %.2f", exp(s->v[KIND_LOSS] / s->v[KIND_COUNT]));
}

/* --seq-len cuts the streams into windows: a resumed run must cut them the same way. */
static int lm_resume_check(const kind_ctx_t *k, const ckpt_meta_t *m, const char *dir, char *err,
                           size_t n) {
    if (k->T != m->seq_len)
        return drnn_errf(err, n, 64,
                         "--seq-len %d differs from the checkpoint %s (%d); resume with --seq-len "
                         "%d",
                         k->T, dir, m->seq_len, m->seq_len);
    return 0;
}

static double lm_metric(const kind_sums_t *s, const char *name) {
    double loss = s->v[KIND_LOSS] / s->v[KIND_COUNT];
    return strcmp(name, "ppl") == 0 ? exp(loss) : loss;
}

/* --sample-every: 80 tokens drawn at temperature 0.8 after a newline (<eos> for words), as
 * drnn-sample does without a prime (trainer/lm_eval.h), from a state of its own: the streams'
 * carried state and the dropout masks are untouched. */
static int lm_sample(kind_ctx_t *k, const float *params, long step, char *err, size_t errlen) {
    tok_vocab_t *tv = kind_sample_vocab(k->env.corpus, 0, err, errlen);
    if (!tv) return 65;
    const int V = lm_desc(k->lm)->vocab;
    float *state = calloc((size_t)lm_state_size(k->lm), sizeof(float));
    double *p = calloc((size_t)V, sizeof(double));
    uint32_t *ids = calloc(80, sizeof(uint32_t));
    if (!state || !p || !ids) {
        free(state), free(p), free(ids), tok_vocab_free(tv);
        return drnn_errf(err, errlen, 70, "--sample-every: out of memory");
    }
    uint32_t cur =
        tok_vocab_kind(tv) == TOK_WORD ? TOK_EOS : tok_vocab_id(tv, (const unsigned char *)"\n", 1);
    for (long pos = 0; pos < 80; pos++)
        ids[pos] = cur = lm_sample_next(k->lm, params, state, cur, 0.8, 0, p, k->env.o->seed, pos);
    int dstate = 0;
    printf("drnn-train: sample at step %ld (80 tokens after a newline, temperature 0.8):\n", step);
    tok_decode_write(tv, ids, 80, &dstate, stdout);
    printf("\n");
    free(state), free(p), free(ids), tok_vocab_free(tv);
    return 0;
}

const train_kind_t lm_train_kind = {
    .data = "text",
    .options = "cell embed hidden layers residual dropout softmax cutoffs div-value seq-len "
               "trace-bptt",
    .nsums = 5,
    .step_report = lm_step_report,
    .resume_check = lm_resume_check,
    .describe = lm_describe,
    .open = lm_open,
    .close = lm_close,
    .model = lm_model,
    .steps_per_epoch = lm_spe,
    .load_batch = lm_load_batch,
    .batch_norm = lm_batch_norm,
    .forward_backward = lm_step,
    .has_valid = lm_has_valid,
    .evaluate = lm_evaluate,
    .eval_report = lm_eval_report,
    .trace_size = lm_trace_size,
    .trace_request = lm_trace_request,
    .metrics = "loss ppl",
    .higher_better = "",
    .metric = lm_metric,
    .state_items = lm_state_items,
    .state_floats = lm_state_floats,
    .state_has_c = lm_state_has_c,
    .state_pack = lm_state_pack,
    .state_unpack = lm_state_unpack,
    .sample = lm_sample,
};
