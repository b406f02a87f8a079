/* drnn-eval — loss, perplexity and bits per token of a trained language model; accuracy,
 * macro-F1 and the confusion matrix of a trained classifier; loss, exact match, token edit rate
 * and BLEU of a seq2seq model's decoding of a pair split (trainer/s2s_eval.h) (DESIGN §1, §8).
 *
 * Classifier: --data CORPUS --split S scores every example of a labelled split (drnn-prep
 * --format labels) in batches of --batch; macro-F1 averages the per-class F1 over the classes
 * that occur in the labels or the predictions.
 *
 * --data CORPUS --split S scores a split with the validation layout of drnn-train
 * (trainer/lm_eval.h): B = --batch streams, carried state, every window scored, so with the
 * run's --batch it gives the trainer's validation figure. --text FILE tokenizes FILE with the
 * model's vocabulary and scores it as one continuous stream: the cross-entropy of every token
 * given all tokens before it (windows of --seq-len with carried state; the result does not
 * depend on the window length beyond float rounding). A plain single process: no mpirun, no MPI
 * calls. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/corpus.h"
#include "io/tokenize.h"
#include "comm/comm.h"
#include "trainer/cls_eval.h"
#include "trainer/config.h"
#include "trainer/lm_eval.h"
#include "trainer/s2s_eval.h"
#include "trainer/train.h"
#include "trainer/model_load.h"

typedef struct {
    char ckpt[4096], data[4096], text[4096], split[16], hyp_out[4096];
    int batch, seq_len, threads, json, help, beam, best;
    double length_penalty, max_ratio;
    int split_id; /* --split as CORPUS_VALID or CORPUS_TEST */
} eval_opts_t;

#define OFF(f) offsetof(eval_opts_t, f)
#define STR(f) OPT_STR, OFF(f), sizeof(((eval_opts_t *)0)->f)
static const opt_spec_t spec[] = {
    {"ckpt", STR(ckpt), NULL, 0, 0,
     "run folder, step-N checkpoint (RUN/ckpt/step-N, RUN/ckpt/best) or model.h5 (required)", 0},
    {"best", OPT_FLAG, OFF(best), 0, NULL, 0, 1,
     "with --ckpt RUN: the run's best checkpoint (RUN/ckpt/best)", 0},
    {"data", STR(data), NULL, 0, 0, "score a split of this corpus (drnn-prep output)", 0},
    {"split", STR(split), "valid", 0, 0, "split of --data: valid or test", 0},
    {"text", STR(text), NULL, 0, 0,
     "score this text file (plain, .gz or - for stdin) as one stream", 0},
    {"batch", OPT_INT, OFF(batch), 0, "32", 1, 1 << 20,
     "--data: LM streams B (the run's --batch gives its validation figure); classifier,\n"
     "seq2seq: examples scored together",
     0},
    {"seq-len", OPT_INT, OFF(seq_len), 0, "256", 1, 1 << 16,
     "LM: window length (changes only float rounding)", 0},
    {"threads", OPT_INT, OFF(threads), 0, "0", 0, 4096,
     "OpenBLAS threads (0: the CPUs this process may use)", 0},
    {"beam", OPT_INT, OFF(beam), 0, "1", 1, 1024, "seq2seq: decode with this beam (1: greedy)", 0},
    {"length-penalty", OPT_DOUBLE, OFF(length_penalty), 0, "0", 0, 10,
     "seq2seq beam: scores divided by ((5 + length) / 6)^A", 0},
    {"max-ratio", OPT_DOUBLE, OFF(max_ratio), 0, "2", 0.01, 1000,
     "seq2seq: at most R x source length target tokens", 0},
    {"hyp-out", STR(hyp_out), NULL, 0, 0,
     "seq2seq: write each hypothesis to FILE and each reference to FILE.ref, one per line", 0},
    {"json", OPT_FLAG, OFF(json), 0, NULL, 0, 1,
     "print one JSON object on stdout, everything else on stderr", 0},
    {"help", OPT_FLAG, OFF(help), 0, NULL, 0, 1, "print this help", 0},
};
#define NSPEC ((int)(sizeof spec / sizeof spec[0]))

static void usage(void) {
    printf("usage: drnn-eval --ckpt RUN|CKPT|MODEL.h5 [--best] (--data CORPUS.h5 [--split "
           "valid|test] | --text FILE) [--json]\n\noptions:\n");
    config_usage(stdout, spec, NSPEC);
    printf("\nLanguage model: prints the mean cross-entropy (loss, nats), perplexity exp(loss),\n"
           "bits per token loss/ln 2, the number of scored targets (tokens) and how many of\n"
           "them are <unk> (unknown). --data cuts the split into --batch streams as\n"
           "drnn-train's validation does: B matters only through where streams are cut (the\n"
           "first token of each stream has no target and no context). --text scores FILE as\n"
           "one stream: every token but the first, given all tokens before it; symbols not in\n"
           "the vocabulary become <unk>.\n"
           "Classifier (--data of labelled data): accuracy, macro-F1, loss and the confusion\n"
           "matrix (rows: label, columns: prediction).\n"
           "Seq2seq (--data of pairs): loss and perplexity per target token, then the split\n"
           "decoded (greedy, or --beam K): exact match, token edit rate and BLEU.\n"
           "Exit codes: 0 done, 64 usage, 65 bad model, corpus or text, 66 input missing,\n"
           "70 internal error or non-finite loss, 74 cannot write.\n");
}

static int score_data(lm_score_t *sc, const eval_opts_t *o, model_file_t *m, char *err,
                      size_t errlen) {
    const int split = o->split_id;
    corpus_t *c = NULL;
    int rc = corpus_open(&c, o->data, err, errlen);
    if (rc) return rc;
    uint64_t L = corpus_split_tokens(c, split);
    stream_reader_t *rd = NULL;
    lm_eval_t e = {.params = m->params, .B = o->batch, .T = o->seq_len};
    if ((rc = model_info_match_corpus(&m->info, m->path, c, err, errlen))) goto out;
    if (L == 0) {
        snprintf(err, errlen,
                 "--split %s: %s has no %s split (drnn-prep makes one with --%s-fraction)",
                 o->split, o->data, o->split, o->split);
        rc = 64;
        goto out;
    }
    if (L / (uint64_t)o->batch < 2) {
        snprintf(err, errlen,
                 "--split %s: the %s split of %s has %llu tokens, fewer than 2 per stream for "
                 "--batch %d; lower --batch",
                 o->split, o->split, o->data, (unsigned long long)L, o->batch);
        rc = 64;
        goto out;
    }
    e.lm = m->model;
    e.unk_id = strcmp(corpus_tokenizer(c), "byte") ? (int64_t)TOK_UNK : -1;
    size_t ahead = 65536 > (size_t)e.T + 1 ? 65536 : (size_t)e.T + 1;
    rd = stream_reader_new(c, split, e.B, 0, e.B, ahead);
    e.state = calloc((size_t)lm_state_size(e.lm) * e.B, sizeof(float));
    e.inputs = calloc((size_t)e.T * e.B, sizeof(uint32_t));
    e.targets = calloc((size_t)e.T * e.B, sizeof(uint32_t));
    e.window = calloc((size_t)e.T + 1, sizeof(uint32_t));
    if (!rd || !e.state || !e.inputs || !e.targets || !e.window) {
        snprintf(err, errlen, "out of memory for %d streams of %d tokens", e.B, e.T);
        rc = 70;
        goto out;
    }
    rc = lm_eval_streams(sc, &e, rd, err, errlen);
out:
    free(e.state), free(e.inputs), free(e.targets), free(e.window);
    stream_reader_free(rd);
    corpus_close(c);
    return rc;
}

static int score_text(lm_score_t *sc, const eval_opts_t *o, model_file_t *m, char *err,
                      size_t errlen) {
    tok_kind_t kind;
    if (tok_kind_parse(m->info.tokenizer, &kind) != 0) {
        snprintf(err, errlen, "%s: unknown tokenizer", m->path);
        return 65;
    }
    tok_vocab_t *tv = tok_vocab_new(kind, (const char *const *)m->info.vocab,
                                    (size_t)m->info.desc.vocab, err, errlen);
    if (!tv) return 65;
    uint32_t *ids = NULL;
    size_t n = 0;
    int rc = tok_encode_file(tv, o->text, &ids, &n, NULL, err, errlen);
    tok_vocab_free(tv);
    if (rc) return rc;
    lm_eval_t e = {.lm = m->model, .params = m->params, .B = 1, .T = o->seq_len};
    e.unk_id = tok_num_specials(kind) > 0 ? (int64_t)TOK_UNK : -1;
    e.state = calloc((size_t)lm_state_size(e.lm), sizeof(float));
    if (n < 2) {
        snprintf(err, errlen, "--text %s: %zu token%s, at least 2 are needed to score one", o->text,
                 n, n == 1 ? "" : "s");
        rc = 65;
    } else if (!e.state) {
        snprintf(err, errlen, "out of memory");
        rc = 70;
    } else {
        lm_eval_sequence(sc, &e, ids, n);
    }
    free(e.state);
    free(ids);
    return rc;
}

static int eval_lm(const eval_opts_t *o, model_file_t *m) {
    char err[8192];
    lm_score_t sc = {0};
    int rc = o->data[0] ? score_data(&sc, o, m, err, sizeof err)
                        : score_text(&sc, o, m, err, sizeof err);
    const char *what = o->data[0] ? o->data : o->text;
    if (rc) drnn_die(rc, "%s", err);
    double loss = sc.loss / sc.targets;
    if (!isfinite(loss))
        drnn_die(70, "%s: non-finite loss on %s (does the model hold NaN or Inf?)", m->path, what);
    fprintf(o->json ? stderr : stdout,
            "%s on %s%s%s: loss %.4f | ppl %.3f | bits/token %.4f | %.0f tokens | %.0f unknown\n",
            m->path, what, o->data[0] ? " " : "", o->data[0] ? o->split : "", loss, exp(loss),
            loss / log(2.0), sc.targets, sc.unknown);
    if (o->json)
        printf(
            "{\"loss\": %.9g, \"ppl\": %.9g, \"bpt\": %.9g, \"tokens\": %.0f, \"unknown\": %.0f}\n",
            loss, exp(loss), loss / log(2.0), sc.targets, sc.unknown);
    return 0;
}

static int eval_classifier(const eval_opts_t *o, model_file_t *m) {
    if (!o->data[0])
        drnn_die(64,
                 "--text scores language models; %s is a classifier: use --data CORPUS.h5 "
                 "(drnn-prep --format labels)",
                 m->path);
    return cls_eval_run(m, o->data, o->split_id, o->batch, o->json);
}

static int eval_seq2seq(const eval_opts_t *o, model_file_t *m) {
    if (!o->data[0])
        drnn_die(64,
                 "--text scores language models; %s is a seq2seq model: use --data CORPUS.h5 "
                 "(drnn-prep --format pairs)",
                 m->path);
    s2s_eval_opts_t so = {o->data,
                          o->split_id,
                          o->batch,
                          o->beam,
                          o->length_penalty,
                          o->max_ratio,
                          o->hyp_out[0] ? o->hyp_out : NULL,
                          o->json};
    return s2s_eval_run(m, &so);
}

/* What drnn-eval does with each model kind (one row per kind). */
static const struct {
    const char *kind;
    int (*run)(const eval_opts_t *, model_file_t *);
} evaluators[] = {{"lm", eval_lm}, {"classifier", eval_classifier}, {"seq2seq", eval_seq2seq}};

int main(int argc, char **argv) {
    comm_set_prog("drnn-eval");
    eval_opts_t o;
    char err[8192];
    int rc = config_parse(&o, spec, NSPEC, NULL, argc, argv, err, sizeof err);
    if (rc) drnn_die(rc, "%s", err);
    if (o.help) {
        usage();
        return 0;
    }
    if (!o.ckpt[0]) drnn_die(64, "--ckpt is required (a run folder or a model.h5)");
    if (!o.data[0] == !o.text[0])
        drnn_die(64, "give exactly one of --data CORPUS.h5 and --text FILE");
    o.split_id = !strcmp(o.split, "valid")  ? CORPUS_VALID
                 : !strcmp(o.split, "test") ? CORPUS_TEST
                                            : -1;
    if (o.split_id < 0) drnn_die(64, "--split %s: expected valid or test", o.split);
    threads_configure(o.threads);
    model_file_t m;
    int B = o.data[0] ? o.batch : 1;
    char best[4200];
    if (o.best && (rc = model_best_path(o.ckpt, best, sizeof best, err, sizeof err)))
        drnn_die(rc, "%s", err);
    if ((rc = model_load(&m, o.best ? best : o.ckpt, o.seq_len, B, err, sizeof err)))
        drnn_die(rc, "%s", err);
    rc = 70;
    for (size_t i = 0; i < sizeof evaluators / sizeof evaluators[0]; i++)
        if (strcmp(evaluators[i].kind, m.info.desc.kind) == 0) rc = evaluators[i].run(&o, &m);
    model_unload(&m);
    if (rc) return rc;
    return fflush(stdout) == 0 && fflush(stderr) == 0 ? 0 : 74;
}
