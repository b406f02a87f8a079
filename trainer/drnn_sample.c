/* drnn-sample — generate text from a trained language model, label lines with a trained
 * classifier, or translate lines with a seq2seq model (DESIGN §1, §8).
 *
 * Classifier (--input FILE, plain, .gz or - for stdin): one line out per line in, "LABEL<TAB>P"
 * with the most probable label and its probability. Seq2seq (--input FILE): trainer/
 * s2s_translate.h.
 *
 * Loads a run's newest checkpoint, a step-N checkpoint or a model.h5 (trainer/model_load.h), feeds
 * the prime text through the network and then draws --length tokens one at a time from
 * softmax(logits / temperature), optionally restricted to the top-k (with the adaptive softmax the
 * logits are the full distribution's log-probabilities, log_prob). Draws come from Philox keyed
 * by (--seed, position): the same seed gives the same text. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "comm/comm.h"
#include "io/textfile.h"
#include "io/tokenize.h"
#include "io/weights.h"
#include "model/classifier.h"
#include "model/lm.h"
#include "model/rng.h"
#include "trainer/config.h"
#include "trainer/model_load.h"
#include "trainer/s2s_translate.h"

typedef struct {
    char ckpt[4096], prime[4096], input[4096], attention_out[4096];
    long length, top_k;
    int beam, n_best, batch, best;
    double temperature, length_penalty, max_ratio;
    uint64_t seed;
    int help;
} sample_opts_t;

#define OFF(f) offsetof(sample_opts_t, f)
static const opt_spec_t spec[] = {
    {"ckpt", OPT_STR, OFF(ckpt), 4096, NULL, 0, 0,
     "run folder, step-N checkpoint or model.h5 (required)", 0},
    {"best", OPT_FLAG, OFF(best), 0, NULL, 0, 1,
     "with --ckpt RUN: the run's best checkpoint (RUN/ckpt/best)", 0},
    {"prime", OPT_STR, OFF(prime), 4096, "", 0, 0, "text to start from", 0},
    {"length", OPT_LONG, OFF(length), 0, "500", 0, 1e9, "tokens to generate", 0},
    {"temperature", OPT_DOUBLE, OFF(temperature), 0, "0.8", 1e-3, 100, "softmax temperature", 0},
    {"top-k", OPT_LONG, OFF(top_k), 0, "0", 0, 1e9, "sample among the k likeliest (0: all)", 0},
    {"seed", OPT_U64, OFF(seed), 0, "1", 0, 9e18, "random seed", 0},
    {"input", OPT_STR, OFF(input), 4096, "", 0, 0,
     "classifier: label each line of FILE (plain, .gz or - for stdin); seq2seq: translate them", 0},
    {"beam", OPT_INT, OFF(beam), 0, "1", 1, 1024, "seq2seq: beam width (1: greedy)", 0},
    {"length-penalty", OPT_DOUBLE, OFF(length_penalty), 0, "0", 0, 10,
     "seq2seq beam: scores divided by ((5 + length) / 6)^A", 0},
    {"n-best", OPT_INT, OFF(n_best), 0, "1", 1, 1024,
     "seq2seq: hypotheses per line (<= --beam), as LINE<TAB>SCORE<TAB>TEXT", 0},
    {"max-ratio", OPT_DOUBLE, OFF(max_ratio), 0, "2", 0.01, 1000,
     "seq2seq: at most R x source length target tokens", 0},
    {"batch", OPT_INT, OFF(batch), 0, "32", 1, 1 << 16, "seq2seq: lines decoded together", 0},
    {"attention-out", OPT_STR, OFF(attention_out), 4096, "", 0, 0,
     "seq2seq: write each line's attention matrix to FILE (JSON lines)", 0},
    {"help", OPT_FLAG, OFF(help), 0, NULL, 0, 1, "print this help", 0},
};
static const char *const reserved[] = {NULL};
#define NSPEC ((int)(sizeof spec / sizeof spec[0]))

/* Draws an id from logits [V] at temperature tau among the top k (k <= 0: all). */
static uint32_t draw(const float *logits, int V, double tau, long k, double *p, uint64_t seed,
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

/* Runs the prime through the model and prints o->length drawn tokens. Returns the exit code. */
static int generate(const sample_opts_t *o, const model_file_t *mf, const tok_vocab_t *tv,
                    tok_kind_t kind) {
    int rc = 0, dstate = 0;
    uint32_t *ids = NULL;
    size_t n = 0;
    lm_t *m = mf->model;
    const int V = lm_desc(m)->vocab;
    float *state = calloc((size_t)lm_state_size(m), sizeof(float));
    double *p = calloc((size_t)V, sizeof(double));
    if (!state || !p || tok_encode(tv, o->prime, strlen(o->prime), &ids, &n, NULL) != 0) {
        drnn_die(70, "out of memory");
    }
    /* With no prime, start as if after a newline (<eos> for words). */
    uint32_t cur = n                  ? ids[0]
                   : kind == TOK_WORD ? TOK_EOS
                                      : tok_vocab_id(tv, (const unsigned char *)"\n", 1);
    tok_decode_write(tv, ids, n, &dstate, stdout);
    for (size_t i = 1; i < n; i++) {
        lm_forward(m, mf->params, &cur, NULL, state, 1, 1);
        cur = ids[i];
    }
    for (long pos = 0; pos < o->length; pos++) {
        lm_forward(m, mf->params, &cur, NULL, state, 1, 1);
        cur = draw(lm_logits(m), V, o->temperature, o->top_k, p, o->seed, pos);
        if (tok_decode_write(tv, &cur, 1, &dstate, stdout) != 0)
            drnn_die(74, "cannot write to stdout");
    }
    putchar('\n');
    if (fflush(stdout) != 0) drnn_die(74, "cannot write to stdout");
    free(ids), free(state), free(p);
    return rc;
}

/* What labelling one line needs. */
typedef struct {
    const sample_opts_t *o;
    const model_file_t *mf;
    const tok_vocab_t *tv;
    classifier_t *m; /* grown to the longest line so far */
    int Tmax;
} labeller_t;

/* One input line: "LABEL<TAB>P" with the most probable label and its probability. */
static int label_line(void *arg, const char *line, size_t len, uint64_t lineno) {
    labeller_t *L = arg;
    if (len && line[len - 1] == '\r') len--;
    uint32_t *ids = NULL;
    size_t n = 0;
    if (tok_encode(L->tv, line, len, &ids, &n, NULL) != 0) drnn_die(70, "out of memory");
    if (n == 0)
        drnn_die(65, "--input %s:%llu: empty line; every line needs text to label", L->o->input,
                 (unsigned long long)lineno);
    if ((int)n > L->Tmax) {
        classifier_free(L->m);
        L->Tmax = (int)n * 2;
        L->m = classifier_create(&L->mf->info.desc, L->Tmax, 1);
    }
    int lens[1] = {(int)n};
    classifier_forward(L->m, L->mf->params, ids, lens, NULL, (int)n, 1);
    int best = classifier_predict(L->m, 0);
    printf("%s\t%.6f\n", L->mf->info.labels[best], classifier_probs(L->m)[best]);
    free(ids);
    return 0;
}

/* Labels every line of o->input (plain, .gz or - for stdin). Returns the exit code. */
static int label_lines(const sample_opts_t *o, const model_file_t *mf, const tok_vocab_t *tv) {
    char err[4400];
    labeller_t L = {o, mf, tv, NULL, 0};
    int rc = textfile_lines(o->input, label_line, &L, NULL, err, sizeof err);
    classifier_free(L.m);
    if (rc) drnn_die(rc, "--input: %s", err);
    if (fflush(stdout) != 0) drnn_die(74, "cannot write to stdout");
    return 0;
}

/* What drnn-sample does with each model kind (one row per kind). */
static int run_lm(const sample_opts_t *o, const model_file_t *m, const tok_vocab_t *tv,
                  tok_kind_t kind) {
    if (o->input[0])
        drnn_die(64, "--input labels lines with a classifier; %s is a language model (use --prime)",
                 m->path);
    return generate(o, m, tv, kind);
}
static int run_classifier(const sample_opts_t *o, const model_file_t *m, const tok_vocab_t *tv,
                          tok_kind_t kind) {
    (void)kind;
    if (!o->input[0])
        drnn_die(64, "%s is a classifier: give --input FILE (or - for stdin) with lines to label",
                 m->path);
    return label_lines(o, m, tv);
}
static int run_seq2seq(const sample_opts_t *o, const model_file_t *m, const tok_vocab_t *tv,
                       tok_kind_t kind) {
    (void)tv, (void)kind;
    if (!o->input[0])
        drnn_die(64,
                 "%s is a seq2seq model: give --input FILE (or - for stdin) with lines to "
                 "translate",
                 m->path);
    s2s_translate_opts_t so = {o->input,    o->attention_out[0] ? o->attention_out : NULL,
                               o->beam,     o->n_best,
                               o->batch,    o->length_penalty,
                               o->max_ratio};
    return s2s_translate(&so, m);
}
static const struct {
    const char *kind;
    int (*run)(const sample_opts_t *, const model_file_t *, const tok_vocab_t *, tok_kind_t);
} runners[] = {{"lm", run_lm}, {"classifier", run_classifier}, {"seq2seq", run_seq2seq}};

int main(int argc, char **argv) {
    comm_set_prog("drnn-sample");
    sample_opts_t o;
    char err[8192];
    int rc = config_parse(&o, spec, NSPEC, reserved, argc, argv, err, sizeof err);
    if (rc) drnn_die(rc, "%s", err);
    if (o.help) {
        printf("usage: drnn-sample --ckpt RUN|CKPT|MODEL.h5 [--prime TEXT] [options]   (LM)\n"
               "       drnn-sample --ckpt RUN|CKPT|MODEL.h5 --input FILE|-          "
               "(classifier)\n"
               "       drnn-sample --ckpt RUN|CKPT|MODEL.h5 --input FILE|- [--beam K] ...  "
               "(seq2seq)\n\noptions:\n");
        config_usage(stdout, spec, NSPEC);
        printf("\nLM: prints the prime, then --length tokens drawn one at a time from\n"
               "softmax(logits / temperature) (adaptive softmax: of the full distribution's\n"
               "log-probabilities) (Philox keyed by --seed and position: the same\n"
               "seed gives the same text). Classifier: LABEL<TAB>probability per input line.\n"
               "Seq2seq: one translation per input line, or with --n-best N > 1 N lines\n"
               "LINE<TAB>SCORE<TAB>TEXT each; sentences/s and tokens/s go to stderr.\n"
               "Exit codes: 0 done, 64 usage, 65 bad model or input, 66 input missing,\n"
               "70 internal error, 74 cannot write.\n");
        return 0;
    }
    if (!o.ckpt[0]) drnn_die(64, "--ckpt is required (a run folder, a checkpoint or a model.h5)");
    model_file_t m;
    char best[4200];
    if (o.best && (rc = model_best_path(o.ckpt, best, sizeof best, err, sizeof err)))
        drnn_die(rc, "%s", err);
    if ((rc = model_load(&m, o.best ? best : o.ckpt, 1, 1, err, sizeof err)))
        drnn_die(rc, "%s", err);
    tok_kind_t kind;
    tok_vocab_t *tv = NULL;
    if (tok_kind_parse(m.info.tokenizer, &kind) != 0)
        drnn_die(65, "%s: unknown tokenizer %s", m.path, m.info.tokenizer);
    if (!(tv = tok_vocab_new(kind, (const char *const *)m.info.vocab, (size_t)m.info.desc.vocab,
                             err, sizeof err)))
        drnn_die(65, "%s", err);
    rc = 70;
    for (size_t i = 0; i < sizeof runners / sizeof runners[0]; i++)
        if (strcmp(runners[i].kind, m.info.desc.kind) == 0) rc = runners[i].run(&o, &m, tv, kind);
    tok_vocab_free(tv);
    model_unload(&m);
    return rc;
}
