/* prep/prep.h — the parts of drnn-prep (DESIGN §6) that its text path (prep/drnn_prep.c, its
 * CR line endings in prep/prep_cr.c), its passes over one example per line (prep/prep_lines.c)
 * and their three formats, labelled data (prep/prep_labels.c), pairs (prep/prep_pairs.c) and
 * tagged data (prep/prep_tags.c), and the summary (prep/prep_summary.c) share. All these files
 * build the one program; this is not a library: every error ends the process through prep_die.
 */
#ifndef DRNN_TRAINER_PREP_H
#define DRNN_TRAINER_PREP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/util.h"
#include "io/corpus.h"
#include "io/corpus_write.h"
#include "io/tokenize.h"

typedef struct {
    tok_kind_t kind;
    int labels;          /* --format labels */
    int pairs;           /* --format pairs */
    int tags;            /* --format tags */
    int keep_cr;         /* --keep-cr: CR line endings stay in the text */
    int shared_vocab;    /* pairs: one vocabulary for source and target */
    uint64_t max_len;    /* pairs: drop pairs with more tokens on a side; 0: no limit */
    uint64_t vocab_size; /* 0: every symbol seen in train */
    double valid_frac, test_frac;
    const char *valid_file; /* NULL: valid is a fraction of the input */
    const char *valid_name; /* as given, for messages ("stdin" for -) */
    const char *out;
    const char **inputs; /* after spooling, the files actually read */
    const char **names;  /* as given, for messages ("stdin" for -) */
    int ninputs;
    /* --tokenizer spm (prep/prep_spm.c) */
    const char *spm_model;     /* --spm-model FILE, or NULL: train one */
    const char *spm_type;      /* --spm-type */
    double character_coverage; /* --character-coverage */
    int spm_joint;             /* pairs: one model for both sides */
    const char *spm_args;      /* --spm-args: more spm_train flags, or NULL */
    spm_t *spm[2];             /* the text's or source's model, the target's (may be the same) */
} prep_opts_t;

/* What drnn-prep prints at the end. For pairs the figures without tgt_ are the source side's. */
typedef struct {
    size_t vocab, distinct; /* entries written; symbols seen in train (char, word) */
    int width;
    char uuid[40];
    uint64_t tokens[CORPUS_NSPLITS], unknown[CORPUS_NSPLITS], examples[CORPUS_NSPLITS];
    uint32_t crc[CORPUS_NSPLITS];
    size_t num_labels;              /* labelled data (tagged data: the same for tags): */
    char **label_names;             /* [num_labels], one allocation (free) */
    uint64_t *label_counts;         /* [CORPUS_NSPLITS * num_labels] examples (tags: tokens) per
                                       split and label */
    size_t tgt_vocab, tgt_distinct; /* pairs: */
    uint64_t tgt_tokens[CORPUS_NSPLITS], tgt_unknown[CORPUS_NSPLITS];
    uint64_t dropped[CORPUS_NSPLITS]; /* pairs over --max-len */
    uint64_t crs; /* CR line endings in the inputs and the --valid file (dropped unless kept) */
} prep_stats_t;

/* drnn-prep's command line into O (prep/prep_args.c): --help prints and exits 0; a bad option
 * or combination dies with 64. O's strings point into CLI (config_cli_free after the last use). */
void prep_parse_args(int argc, char **argv, prep_opts_t *o, config_cli_t *cli);

/* Special entries at the front of the (each) vocabulary: pairs' four, else the tokenizer's. */
size_t prep_num_specials(const prep_opts_t *o);

/* Prints the summary of the corpus written (prep/prep_summary.c): the vocabulary, per split the
 * examples, tokens, CRC and <unk>; for labelled and tagged data the most frequent labels (tags)
 * of each split, at most PREP_SUMMARY_LABELS, each name cut at PREP_SUMMARY_NAME bytes; the CR
 * line endings; the time taken. */
#define PREP_SUMMARY_LABELS 20
#define PREP_SUMMARY_NAME   40
void prep_print_summary(const prep_opts_t *o, const prep_stats_t *st, double secs);

/* ---- CR line endings in text (prep/prep_cr.c) ------------------------------------------------
 * Feeds a file to a splitter as tok_feed_file does, but drops every "
" that stands right
 * before a "
" or ends the file (a CR line ending), unless KEEP, and counts them in CRS either
 * way. Set s, emit, arg and keep; crs adds up over calls; pending is the filter's own. */
typedef struct {
    tok_splitter_t *s;
    tok_emit_fn emit;
    void *arg;
    int keep;
    int pending;  /* the last chunk ended with "\r" */
    uint64_t crs; /* CR line endings seen */
} prep_cr_t;
/* Returns as tok_feed_file (0, or 66, 65, 74 with a message in err; *stop set when emit stops). */
int prep_cr_feed_file(prep_cr_t *f, const char *path, int *stop, char *err, size_t errlen);
/* The same over bytes [off, off + len) of the uncompressed file PATH, as tok_feed_range. */
int prep_cr_feed_range(prep_cr_t *f, const char *path, uint64_t off, uint64_t len, int *stop,
                       char *err, size_t errlen);

/* Removes the temporary and spool files of earlier drnn-prep runs to OUT that were killed
 * (SIGKILL): their PID no longer runs and nobody holds a lock on them (prep/prep_stale.c).
 * Prints a line for each; a file it cannot remove is reported and left. */
void prep_remove_stale(const char *out);
/* Takes a shared lock on the spool file PATH for the life of the process, so that no other run
 * takes it for stale (best effort: nothing is reported). */
void prep_hold_spool(const char *path);

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

/* The vocabulary of COUNTER's symbols (specials first, at most o->vocab_size entries): sets
 * *strings (one allocation: free) and *n, returns the lookup table (tok_vocab_free). */
tok_vocab_t *prep_vocab(const prep_opts_t *o, const tok_counter_t *counter, int side,
                        char ***strings, size_t *n);

/* Builds the vocabulary from the train counts and opens the output writer with it (*w; drnn-prep
 * owns it: prep_commit or prep_cleanup end it). Returns the vocabulary (tok_vocab_free). */
tok_vocab_t *prep_open_output(const prep_opts_t *o, tok_counter_t *counter, prep_stats_t *st,
                              corpus_writer_t **w);

/* Copies the writer's split figures into ST, then commits the file under its name. */
void prep_commit(prep_stats_t *st);

/* ---- --tokenizer spm (prep/prep_spm.c) ---------------------------------------------------- */
/* Loads --spm-model or trains the model(s) on the inputs into o->spm; nothing for the other
 * tokenizers. Dies with 64 (training options the text cannot satisfy), 65 (not a model; no
 * text), 66 (cannot open). */
void prep_spm_setup(prep_opts_t *o);
void prep_spm_free(prep_opts_t *o);
/* A splitter for o's tokenizer; SIDE 1: a pair's target (spm: the target's model). */
tok_splitter_t *prep_splitter(const prep_opts_t *o, int side);
/* Stores the model of SIDE in the corpus W (spm only; side 1 only when the target has its own).
 * 0, or 74 with a message in err. */
int prep_spm_store(const prep_opts_t *o, corpus_writer_t *w, int side, char *err, size_t errlen);

/* --format labels: reads "label<TAB>text" lines, writes the labelled corpus, fills ST. */
void prep_labels_run(const prep_opts_t *o, prep_stats_t *st);

/* --format tags: reads "w1 ... wn<TAB>t1 ... tn" lines, writes the tagged corpus, fills ST. */
void prep_tags_run(const prep_opts_t *o, prep_stats_t *st);

/* ---- label (and tag) names: a small open-addressing set (prep/prep_labels.c) ---------------
 * Ids follow the byte order (strcmp) of all the names added, so a name seen only in valid or
 * test still gets one. */
typedef struct {
    char *name; /* NULL: empty slot */
    uint32_t id;
} prep_name_slot_t;

typedef struct {
    prep_name_slot_t *slots;
    size_t cap, n; /* cap: a power of two */
} prep_names_t;

/* Adds the name s[0..len) (no NUL byte in it) if new. Returns -1 when out of memory. */
int prep_names_add(prep_names_t *t, const char *s, size_t len);
/* The slot of s[0..len): ->name is NULL when it was never added; ->id is set by
 * prep_names_assign_ids. */
const prep_name_slot_t *prep_names_find(const prep_names_t *t, const char *s, size_t len);
/* Gives the names ids in byte order and returns them in that order, packed in one allocation
 * (free), or NULL when out of memory. */
char **prep_names_assign_ids(prep_names_t *t);
void prep_names_free(prep_names_t *t);

/* --format pairs: reads "source<TAB>target" lines, writes the pair corpus, fills ST. */
void prep_pairs_run(const prep_opts_t *o, prep_stats_t *st);

/* ---- one example per line (prep/prep_lines.c) ----------------------------------------------
 * Every non-empty line of the inputs and of the --valid file is one example; empty lines are
 * skipped; several INPUTs are read one after the other, each with its own line numbers. The
 * passes, as for text (drnn_prep.c):
 *   PREP_CHECK  every line checked; counts the examples N of the inputs (which fixes train |
 *               valid | test: the fractions take the last examples) and of the --valid file;
 *               when all of N is train, the train symbols are counted as well;
 *   PREP_COUNT  otherwise the symbols of the first N_train examples are counted;
 *   PREP_WRITE  every example tokenized again and written to its split.
 * A format supplies the handler of one line, which checks it and does the pass's work. */
enum { PREP_CHECK, PREP_COUNT, PREP_WRITE };
/* What prep_lines_tokenize does with each token. */
enum { PREP_TOK_LEN, PREP_TOK_COUNT, PREP_TOK_IDS };

/* One text of an example (a label's text, a pair's source or target). */
typedef struct {
    tok_splitter_t *splitter; /* its own (a pair's target with its own spm model), or NULL */
    tok_counter_t *counter;   /* PREP_TOK_COUNT counts its symbols here */
    tok_ids_t enc;            /* PREP_TOK_IDS: enc.v maps its symbols to enc.ids [enc.n] */
    uint64_t n;               /* tokens of the last text tokenized */
} prep_text_t;

/* A line cut at its first TAB: text[0] (len[0] bytes) before it, text[1] after it. */
typedef struct {
    const char *text[2];
    size_t len[2];
} prep_tab_t;

typedef struct prep_lines prep_lines_t;

/* A format's handler of one non-empty line (LINE[0..len), LINENO from 1) in pass c->pass. Returns
 * 0 to go on, or nonzero after setting c->rc and c->err (prep_lines_fail does both). */
typedef int (*prep_line_fn)(prep_lines_t *c, const char *line, size_t len, uint64_t lineno);

struct prep_lines {
    /* set by prep_lines_init */
    const prep_opts_t *o;
    const char *expect; /* the line format for messages, e.g. "label<TAB>text" */
    prep_line_fn on_line;
    void *fmt;       /* the format's own state */
    int need_counts; /* the vocabulary needs the train symbols counted */
    int crlf;        /* a trailing "\r" is cut off every line (not --keep-cr) */
    tok_splitter_t *splitter;
    /* the pass being run */
    int pass;
    int counting;     /* the examples read are train examples whose symbols are counted */
    const char *name; /* the file being read, as the user named it */
    uint64_t example; /* index of the next example in the file list being read */
    uint64_t end[CORPUS_NSPLITS]; /* example index where each split of the inputs ends */
    int split;                    /* PREP_WRITE: the split of this example */
    int done;                     /* PREP_COUNT: every train example counted */
    uint64_t crs;                 /* PREP_WRITE: lines that ended in "\r" (cut off or kept) */
    int rc;
    char err[PATH_MAX + 256];
};

/* Sets C up for a format (dies when out of memory). */
void prep_lines_init(prep_lines_t *c, const prep_opts_t *o, const char *expect, prep_line_fn fn,
                     void *fmt, int need_counts);
void prep_lines_free(prep_lines_t *c);
/* PREP_CHECK and PREP_COUNT: n[0] examples in the inputs, n[1] in the --valid file. */
void prep_lines_scan(prep_lines_t *c, uint64_t n[2]);
/* PREP_WRITE: the inputs into train | valid | test, then the --valid file into valid. */
void prep_lines_write(prep_lines_t *c, const uint64_t n[2]);

/* "FILE:LINE: WHY; expected 'EXPECT'", exit code 65. Returns 1 (stop). */
int prep_lines_fail(prep_lines_t *c, uint64_t lineno, const char *why);
/* "FILE changed while drnn-prep was reading it", 65. Returns 1 (stop). */
int prep_lines_changed(prep_lines_t *c);
/* Cuts LINE at its first TAB into *out. Returns 0, or 1 after prep_lines_fail when there is no
 * TAB ("no TAB between A and B") or a side is empty ("empty A before the TAB", "empty B after the
 * TAB"). */
int prep_lines_split_tab(prep_lines_t *c, const char *line, size_t len, uint64_t lineno,
                         const char *a, const char *b, prep_tab_t *out);
/* The handling the pass gives a text: IDS when writing, COUNT when counting, else LEN. */
int prep_lines_mode(const prep_lines_t *c);
/* Tokenizes TEXT[0..len) as one complete stream into T (MODE: PREP_TOK_*). Returns 0, or 1
 * after setting c->rc (70, out of memory). */
int prep_lines_tokenize(prep_lines_t *c, prep_text_t *t, const char *text, size_t len, int mode);

#endif
