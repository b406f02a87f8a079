/* TEMPORARY until the labelled-corpus reader lands. */
#include "io/corpus.h"
const char *corpus_data_kind(const corpus_t *c) { (void)c; return "text"; }
int corpus_num_labels(const corpus_t *c) { (void)c; return 0; }
const char *const *corpus_label_names(const corpus_t *c) { (void)c; return NULL; }
uint64_t corpus_split_examples(const corpus_t *c, int split) { (void)c; (void)split; return 0; }
int corpus_read_examples(corpus_t *c, int split, uint64_t *o, uint32_t *l, char *err, size_t n) {
    (void)c; (void)split; (void)o; (void)l; (void)err; (void)n; return 65; }
