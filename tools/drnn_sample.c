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

#include "base/config.h"
#include "base/cpus.h"
#include "base/util.h"
#include "io/tokenize.h"
#include "kinds/kinds.h"
#include "model/kernels.h"
#include "tools/tools.h"
#include "trainer/model_load.h"

#define OFF(f) offsetof(sample_opts_t, f)
static const opt_spec_t spec[] = {
    {"ckpt", OPT_STR, OFF(ckpt), 4096, NULL, 0, 0,
     "run folder, step-N checkpoint or model.h5 (required)", 0, "RUN|CKPT|MODEL.h5"},
    {"best", OPT_FLAG, OFF(best), 0, NULL, 0, 1,
     "with --ckpt RUN: the run's best checkpoint (RUN/ckpt/best)", 0, NULL},
    {"prime", OPT_STR, OFF(prime), 4096, "", 0, 0, "text to start from", 0, "TEXT"},
    {"length", OPT_LONG, OFF(length), 0, "500", 0, 1e9, "tokens to generate", 0, "N"},
    {"temperature", OPT_DOUBLE, OFF(temperature), 0, "0.8", 1e-3, 100, "softmax temperature", 0,
     "T"},
    {"top-k", OPT_LONG, OFF(top_k), 0, "0", 0, 1e9, "sample among the k likeliest (0: all)", 0,
     "K"},
    {"seed", OPT_U64, OFF(seed), 0, "1", 0, 9e18, "random seed", 0, "N"},
    {"input", OPT_STR, OFF(input), 4096, "", 0, 0,
     "classifier: label each line of FILE (plain, .gz or - for stdin); seq2seq: translate them", 0,
     "FILE"},
    {"beam", OPT_INT, OFF(beam), 0, "1", 1, 1024, "seq2seq: beam width (1: greedy)", 0, "K"},
    {"length-penalty", OPT_DOUBLE, OFF(length_penalty), 0, "0", 0, 10,
     "seq2seq beam: scores divided by ((5 + length) / 6)^A", 0, "A"},
    {"n-best", OPT_INT, OFF(n_best), 0, "1", 1, 1024,
     "seq2seq: hypotheses per line (<= --beam), as LINE<TAB>SCORE<TAB>TEXT", 0, "N"},
    {"max-ratio", OPT_DOUBLE, OFF(max_ratio), 0, "2", 0.01, 1000,
     "seq2seq: at most R x source length target tokens", 0, "R"},
    {"batch", OPT_INT, OFF(batch), 0, "32", 1, 1 << 16, "seq2seq: lines decoded together", 0, "N"},
    {"threads", OPT_INT, OFF(threads), 0, "0", 0, 4096,
     "OpenBLAS threads (0: the CPUs this process may use)", 0, "N"},
    {"attention-out", OPT_STR, OFF(attention_out), 4096, "", 0, 0,
     "write each line's attention matrix to FILE (JSON lines): seq2seq's over the source, or "
     "an encoder's self-attention (--self-attention models)",
     0, "FILE"},
    {"help", OPT_FLAG, OFF(help), 0, NULL, 0, 1, "print this help", 0, NULL},
};
static const char *const reserved[] = {NULL};
#define NSPEC ((int)(sizeof spec / sizeof spec[0]))

int main(int argc, char **argv) {
    drnn_set_prog("drnn-sample");
    sample_opts_t o;
    char err[8192];
    config_cli_t cli = {0};
    int rc = config_parse_cli(&o, spec, NSPEC, reserved, &cli, argc, argv, err, sizeof err);
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
        kinds_usage(stdout, KINDS_SAMPLE, TOOLS_SAMPLE_KIND_OPTIONS,
                    "\noptions each model kind reads (given for a model that does not: exit 64):");
        return 0;
    }
    if (!o.ckpt[0]) drnn_die(64, "--ckpt is required (a run folder, a checkpoint or a model.h5)");
    model_set_threads(cpus_threads_for(o.threads, 1));
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
    if (!(tv = model_info_vocab(&m.info, 0, err, sizeof err))) drnn_die(65, "%s: %s", m.path, err);
    const tool_kind_t *tk = kinds_find(m.info.desc.kind)->tools;
    tools_check_options(&cli, spec, NSPEC, TOOLS_SAMPLE_KIND_OPTIONS, tk->sample_options, tk->noun,
                        m.path);
    config_cli_free(&cli);
    rc = tk->sample(&o, &m, tv, kind);
    tok_vocab_free(tv);
    model_unload(&m);
    return rc;
}
