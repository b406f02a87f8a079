/* tools/lm_tools.c — the inference tools' row of the language model (tools/tools.h).
 *
 * drnn-eval: --data CORPUS --split S scores a split with the validation layout of drnn-train
 * (trainer/lm_eval.h): B = --batch streams, carried state, every window scored, so with the
 * run's --batch it gives the trainer's validation figure. --text FILE tokenizes FILE with the
 * model's vocabulary and scores it as one continuous stream: the cross-entropy of every token
 * given all tokens before it (windows of --seq-len with carried state; the result does not
 * depend on the window length beyond float rounding).
 *
 * drnn-sample: feeds the prime text through the network and then draws --length tokens one at a
 * time from softmax(logits / temperature), optionally restricted to the top-k (with the adaptive
 * softmax the logits are the full distribution's log-probabilities, log_prob). Draws come from
 * Philox keyed by (--seed, position): the same seed gives the same text.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/corpus.h"
#include "io/tokenize.h"
#include "model/lm.h"
#include "tools/tools.h"
#include "trainer/lm_eval.h"
#include "trainer/model_load.h"

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
    sc->text_tokens = (double)L, sc->text_chars = (double)corpus_split_chars(c, split);
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
    char why[512];
    tok_vocab_t *tv = model_info_vocab(&m->info, 0, why, sizeof why);
    if (!tv) return drnn_errf(err, errlen, 65, "%s: %s", m->path, why);
    uint32_t *ids = NULL;
    size_t n = 0;
    int rc = tok_encode_file(tv, o->text, &ids, &n, NULL, err, errlen);
    if (rc) {
        tok_vocab_free(tv);
        return rc;
    }
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
        /* the scored text: every token but the first, and the characters after the first's */
        int state = 0, first_state = 0;
        uint64_t chars = 0, first = 0;
        lm_eval_sequence(sc, &e, ids, n);
        sc->text_tokens = (double)(n - 1);
        if (tok_count_chars(tv, ids, n, &state, &chars) == 0 &&
            tok_count_chars(tv, ids, 1, &first_state, &first) == 0 && chars > first)
            sc->text_chars = (double)(chars - first);
    }
    free(e.state);
    free(ids);
    tok_vocab_free(tv);
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
    char bpc[64] = "";
    if (sc.text_chars > 0) /* the JSON object keeps DESIGN's five keys; the line has it */
        snprintf(bpc, sizeof bpc, " | bits/char %.4f",
                 lm_bits_per_char(loss, sc.text_tokens, sc.text_chars));
    fprintf(o->json ? stderr : stdout,
            "%s on %s%s%s: loss %.4f | ppl %.3f | bits/token %.4f%s | %.0f tokens | %.0f unknown\n",
            m->path, what, o->data[0] ? " " : "", o->data[0] ? o->split : "", loss, exp(loss),
            loss / log(2.0), bpc, sc.targets, sc.unknown);
    if (o->json)
        printf(
            "{\"loss\": %.9g, \"ppl\": %.9g, \"bpt\": %.9g, \"tokens\": %.0f, \"unknown\": %.0f}\n",
            loss, exp(loss), loss / log(2.0), sc.targets, sc.unknown);
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
        cur = lm_sample_next(m, mf->params, state, cur, o->temperature, o->top_k, p, o->seed, pos);
        if (tok_decode_write(tv, &cur, 1, &dstate, stdout) != 0)
            drnn_die(74, "cannot write to stdout");
    }
    putchar('\n');
    if (fflush(stdout) != 0) drnn_die(74, "cannot write to stdout");
    free(ids), free(state), free(p);
    return rc;
}

static int lm_sample(const sample_opts_t *o, const model_file_t *m, const tok_vocab_t *tv,
                     int kind) {
    if (o->input[0])
        drnn_die(64,
                 "--input labels, tags or translates lines; %s is a language model (use --prime)",
                 m->path);
    return generate(o, m, tv, (tok_kind_t)kind);
}

const tool_kind_t lm_tools = {.noun = "language model",
                              .eval_options = "data text split batch seq-len",
                              .sample_options = "prime length temperature top-k seed",
                              .eval = eval_lm,
                              .sample = lm_sample};
