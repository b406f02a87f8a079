/* io/corpus_splits.h — a corpus's splits, by index and by name (DESIGN §6). */
#ifndef DRNN_IO_CORPUS_SPLITS_H
#define DRNN_IO_CORPUS_SPLITS_H

enum { CORPUS_TRAIN = 0, CORPUS_VALID = 1, CORPUS_TEST = 2, CORPUS_NSPLITS = 3 };
extern const char *const corpus_split_names[CORPUS_NSPLITS];

#endif
