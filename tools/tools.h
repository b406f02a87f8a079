/* tools/tools.h — what the inference tools (drnn-eval, drnn-sample) ask of a model kind.
 *
 * Each kind fills one tool_kind_t in its own file under tools/ (tools/lm_tools.c, ...); the one
 * table of kinds (kinds/kinds.c) names it, and the programs find it by the loaded model's kind.
 * The programs parse their options into eval_opts_t / sample_opts_t and never ask which kind
 * they hold. Plain single processes: no MPI.
 */
#ifndef DRNN_TOOLS_TOOLS_H
#define DRNN_TOOLS_TOOLS_H

#include <stdint.h>

struct model_file; /* trainer/model_load.h */
struct tok_vocab;  /* io/tokenize.h */

/* drnn-eval's options. */
typedef struct {
    char ckpt[4096], data[4096], text[4096], split[16], hyp_out[4096];
    int batch, seq_len, threads, json, help, beam, best;
    double length_penalty, max_ratio;
    int split_id; /* --split as CORPUS_VALID or CORPUS_TEST */
} eval_opts_t;

/* drnn-sample's options. */
typedef struct {
    char ckpt[4096], prime[4096], input[4096], attention_out[4096];
    long length, top_k;
    int beam, n_best, batch, best;
    double temperature, length_penalty, max_ratio;
    uint64_t seed;
    int help;
} sample_opts_t;

typedef struct tool_kind {
    /* drnn-eval: scores --data's split (or --text) with model m and prints the figures (one
     * JSON object on stdout with --json). Returns the exit code; dies with a message on
     * errors. */
    int (*eval)(const eval_opts_t *o, struct model_file *m);
    /* drnn-sample: generates, labels, tags or translates with model m, whose vocabulary tv
     * (tokenizer tok_kind, io/tokenize.h's tok_kind_t) encodes --prime and --input. Returns
     * the exit code. */
    int (*sample)(const sample_opts_t *o, const struct model_file *m, const struct tok_vocab *tv,
                  int tok_kind);
} tool_kind_t;

#endif
