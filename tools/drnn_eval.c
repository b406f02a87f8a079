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

#include "base/config.h"
#include "base/cpus.h"
#include "base/util.h"
#include "io/corpus.h"
#include "kinds/kinds.h"
#include "model/kernels.h"
#include "tools/tools.h"
#include "trainer/model_load.h"

#define OFF(f) offsetof(eval_opts_t, f)
#define STR(f) OPT_STR, OFF(f), sizeof(((eval_opts_t *)0)->f)
static const opt_spec_t spec[] = {
    {"ckpt", STR(ckpt), NULL, 0, 0,
     "run folder, step-N checkpoint (RUN/ckpt/step-N, RUN/ckpt/best) or model.h5 (required)", 0,
     "RUN|CKPT|MODEL.h5"},
    {"best", OPT_FLAG, OFF(best), 0, NULL, 0, 1,
     "with --ckpt RUN: the run's best checkpoint (RUN/ckpt/best)", 0, NULL},
    {"data", STR(data), NULL, 0, 0, "score a split of this corpus (drnn-prep output)", 0,
     "CORPUS.h5"},
    {"split", STR(split), "valid", 0, 0, "split of --data: valid or test", 0, "valid|test"},
    {"text", STR(text), NULL, 0, 0,
     "score this text file (plain, .gz or - for stdin) as one stream", 0, "FILE"},
    {"batch", OPT_INT, OFF(batch), 0, "32", 1, 1 << 20,
     "--data: LM streams B (the run's --batch gives its validation figure); classifier, "
     "seq2seq: examples scored together",
     0, "B"},
    {"seq-len", OPT_INT, OFF(seq_len), 0, "256", 1, 1 << 16,
     "LM: window length (changes only float rounding)", 0, "T"},
    {"threads", OPT_INT, OFF(threads), 0, "0", 0, 4096,
     "OpenBLAS threads (0: the CPUs this process may use)", 0, "N"},
    {"beam", OPT_INT, OFF(beam), 0, "1", 1, 1024, "seq2seq: decode with this beam (1: greedy)", 0,
     "K"},
    {"length-penalty", OPT_DOUBLE, OFF(length_penalty), 0, "0", 0, 10,
     "seq2seq beam: scores divided by ((5 + length) / 6)^A", 0, "A"},
    {"max-ratio", OPT_DOUBLE, OFF(max_ratio), 0, "2", 0.01, 1000,
     "seq2seq: at most R x source length target tokens", 0, "R"},
    {"hyp-out", STR(hyp_out), NULL, 0, 0,
     "seq2seq: write each hypothesis to FILE and each reference to FILE.ref, one per line", 0,
     "FILE"},
    {"json", OPT_FLAG, OFF(json), 0, NULL, 0, 1,
     "print one JSON object on stdout, everything else on stderr", 0, NULL},
    {"help", OPT_FLAG, OFF(help), 0, NULL, 0, 1, "print this help", 0, NULL},
};
#define NSPEC ((int)(sizeof spec / sizeof spec[0]))

static void usage(void) {
    printf("usage: drnn-eval --ckpt RUN|CKPT|MODEL.h5 [--best]\n"
           "                 (--data CORPUS.h5 [--split valid|test] | --text FILE) [--json]\n"
           "\noptions:\n");
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
    kinds_usage(stdout, KINDS_EVAL, TOOLS_EVAL_KIND_OPTIONS,
                "\noptions each model kind reads (given for a model that does not: exit 64):");
}

int main(int argc, char **argv) {
    drnn_set_prog("drnn-eval");
    eval_opts_t o;
    char err[8192];
    config_cli_t cli = {0};
    int rc = config_parse_cli(&o, spec, NSPEC, NULL, &cli, argc, argv, err, sizeof err);
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
    model_set_threads(cpus_threads_for(o.threads, 1));
    model_file_t m;
    int B = o.data[0] ? o.batch : 1;
    char best[4200];
    if (o.best && (rc = model_best_path(o.ckpt, best, sizeof best, err, sizeof err)))
        drnn_die(rc, "%s", err);
    if ((rc = model_load(&m, o.best ? best : o.ckpt, o.seq_len, B, err, sizeof err)))
        drnn_die(rc, "%s", err);
    const tool_kind_t *tk = kinds_find(m.info.desc.kind)->tools;
    tools_check_options(&cli, spec, NSPEC, TOOLS_EVAL_KIND_OPTIONS, tk->eval_options, tk->noun,
                        m.path);
    config_cli_free(&cli);
    rc = tk->eval(&o, &m);
    model_unload(&m);
    if (rc) return rc;
    return fflush(stdout) == 0 && fflush(stderr) == 0 ? 0 : 74;
}
