/* io/corpus_write_data.h — the corpus writer as io/corpus_write.c (file, columns, chunks,
 * commit) and io/corpus_write_kinds.c (labels, tags, pairs, SentencePiece models, examples,
 * counters) share it. Private to those two. */
#ifndef DRNN_IO_CORPUS_WRITE_DATA_H
#define DRNN_IO_CORPUS_WRITE_DATA_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "io/chunk_pack.h"
#include "io/corpus_splits.h"

/* One 1-D dataset of a split, written a chunk at a time. */
typedef struct {
    hid_t dset;         /* -1 until created */
    hid_t type;         /* predefined little-endian unsigned type: never closed */
    int width;          /* bytes per element */
    uint64_t n;         /* elements in the dataset */
    uint32_t crc;       /* of those elements as stored */
    size_t fill;        /* elements packed in buf, not yet in the dataset */
    unsigned char *buf; /* one chunk: CORPUS_WRITE_CHUNK * width bytes */
} column_t;

/* The datasets of a split; pair data keeps the source in tokens and offsets. */
enum { COL_TOKENS, COL_OFFSETS, COL_LABELS, COL_TGT_TOKENS, COL_TGT_OFFSETS, COL_TAGS, NCOLS };
enum { DATA_TEXT, DATA_LABELS, DATA_PAIRS, DATA_TAGS, NDATA };
/* The string tables; each has a <name>_crc32 attribute. */
enum { TABLE_VOCAB, TABLE_LABELS, TABLE_TGT_VOCAB, NTABLES };

typedef struct {
    hid_t group;    /* -1 until the split's first token (text) or example (labels, pairs) */
    uint64_t chars; /* text: characters of the detokenized split (corpus_writer_add_chars) */
    column_t col[NCOLS];
} split_out_t;

struct corpus_writer {
    hid_t file;
    chunk_pool_t *pool; /* encodes full chunks; NULL until the first one */
    int threads;        /* corpus_writer_set_threads */
    size_t unsynced;    /* bytes of chunks written since write-back was last started */
    int data;           /* DATA_* */
    int width;          /* bytes per token id (pairs: source) */
    uint32_t vocab_size;
    uint32_t num_labels;     /* labels; tags: the number of tags */
    uint32_t tgt_vocab_size; /* pairs */
    int shared_vocab;        /* pairs */
    char tokenizer[8];
    char uuid[33];
    char *path, *tmp;
    uint32_t table_crc[NTABLES]; /* of /vocab, /labels, /tgt_vocab as stored */
    unsigned tables;             /* bit t: table t is written */
    split_out_t split[CORPUS_NSPLITS];
};

extern const char *const cw_data_names[NDATA];

/* io/corpus_write.c's column and table helpers (0 or an exit code with err, where they fail). */
uint32_t cw_column_crc(const column_t *c);
int cw_column_flush(struct corpus_writer *w, column_t *c, char *err, size_t errlen);
int cw_column_push(struct corpus_writer *w, column_t *c, uint64_t v, char *err, size_t errlen);
void cw_column_set_width(column_t *col, int width);
int cw_id_width(size_t vsize);
void cw_pack_u64(unsigned char *dst, uint64_t v, int width);
int cw_split_create(struct corpus_writer *w, int k, char *err, size_t errlen);
int cw_tokens_append(struct corpus_writer *w, int k, int col, const uint32_t *ids, size_t n,
                     char *err, size_t errlen);
int cw_write_strings(struct corpus_writer *w, int t, const char *const *strings, size_t n,
                     char *err, size_t errlen);

#endif
