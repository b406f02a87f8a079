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

#include "base/config.h"

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
    int beam, n_best, batch, best, threads;
    double temperature, length_penalty, max_ratio;
    uint64_t seed;
    int help;
} sample_opts_t;

/* The options of drnn-eval and drnn-sample that only some kinds read (space-separated); a
 * kind's row lists those it reads. */
#define TOOLS_EVAL_KIND_OPTIONS                                                                    \
    "data text split batch seq-len beam length-penalty max-ratio hyp-out"
#define TOOLS_SAMPLE_KIND_OPTIONS                                                                  \
    "prime length temperature top-k seed input beam length-penalty n-best max-ratio batch "        \
    "attention-out"

typedef struct tool_kind {
    const char *noun;           /* what messages call a model of the kind ("language model") */
    const char *eval_options;   /* of TOOLS_EVAL_KIND_OPTIONS, those eval reads */
    const char *sample_options; /* of TOOLS_SAMPLE_KIND_OPTIONS, those sample reads */
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

/* Refuses (64) an option of KIND_SHAPED given on the command line (cli) that the loaded model
 * (a NOUN, in file PATH) does not read: not in READS. */
void tools_check_options(const config_cli_t *cli, const opt_spec_t *spec, int nspec,
                         const char *kind_shaped, const char *reads, const char *noun,
                         const char *path);

#endif
