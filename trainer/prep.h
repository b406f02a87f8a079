/* trainer/prep.h — the parts of drnn-prep (DESIGN §6) that its text path (trainer/drnn_prep.c)
 * and its labelled-data path (trainer/prep_labels.c) share. Both files build the one program;
 * this is not a library: every error ends the process through prep_die.
 */
#ifndef DRNN_TRAINER_PREP_H
#define DRNN_TRAINER_PREP_H

#include <stddef.h>
#include <stdint.h>

#include "comm/comm.h"
#include "io/corpus.h"
#include "io/corpus_write.h"
#include "io/tokenize.h"

typedef struct {
    tok_kind_t kind;
    int labels;          /* --format labels */
    uint64_t vocab_size; /* 0: every symbol seen in train */
    double valid_frac, test_frac;
    const char *valid_file; /* NULL: valid is a fraction of the input */
    const char *valid_name; /* as given, for messages ("stdin" for -) */
    const char *out;
    const char **inputs; /* after spooling, the files actually read */
    const char **names;  /* as given, for messages ("stdin" for -) */
    int ninputs;
} prep_opts_t;

/* What drnn-prep prints at the end. */
typedef struct {
    size_t vocab, distinct; /* entries written; symbols seen in train (char, word) */
    int width;
    char uuid[40];
    uint64_t tokens[CORPUS_NSPLITS], unknown[CORPUS_NSPLITS], examples[CORPUS_NSPLITS];
    uint32_t crc[CORPUS_NSPLITS];
    size_t num_labels;      /* labelled data: */
    char **label_names;     /* [num_labels], one allocation (free) */
    uint64_t *label_counts; /* [CORPUS_NSPLITS * num_labels] examples per split and label */
} prep_stats_t;

/* Removes the temporary output file and the spooled inputs (aborting the writer). Idempotent. */
void prep_cleanup(void);

/* Every error of drnn-prep: the temporary files go first, then drnn_die prints
 * "drnn-prep: message" and exits with CODE. */
#define prep_die(code, ...)                                                                        \
    do {                                                                                           \
        prep_cleanup();                                                                            \
        drnn_die((code), __VA_ARGS__);                                                             \
    } while (0)

/* TOTAL * FRAC rounded to the nearest integer (0.29 of 100 is 29, not 28.999...). */
uint64_t prep_share(uint64_t total, double frac);

/* Builds the vocabulary from the train counts and opens the output writer with it (*w; drnn-prep
 * owns it: prep_commit or prep_cleanup end it). Returns the vocabulary (tok_vocab_free). */
tok_vocab_t *prep_open_output(const prep_opts_t *o, tok_counter_t *counter, prep_stats_t *st,
                              corpus_writer_t **w);

/* Copies the writer's split figures into ST, then commits the file under its name. */
void prep_commit(prep_stats_t *st);

/* --format labels: reads "label<TAB>text" lines, writes the labelled corpus, fills ST. */
void prep_labels_run(const prep_opts_t *o, prep_stats_t *st);

#endif
