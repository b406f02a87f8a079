/* trainer/s2s_data.h — sentence pairs for seq2seq training, evaluation and decoding: a set of
 * pairs of one corpus split held in memory, read with few large reads, and padded time-major
 * batches built from them (model/seq2seq.h's seq2seq_batch_t).
 *
 * Both vocabularies of a pair corpus start <unk> <pad> <bos> <eos> (ids 0-3); targets are stored
 * without <bos>/<eos>: a batch adds them (decoder inputs <bos> y, targets y <eos>).
 */
#ifndef DRNN_TRAINER_S2S_DATA_H
#define DRNN_TRAINER_S2S_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "io/corpus.h"
#include "io/tokenize.h"
#include "model/seq2seq.h"

enum { S2S_UNK = TOK_UNK, S2S_PAD = TOK_PAD, S2S_BOS = TOK_BOS, S2S_EOS = TOK_SEQ2SEQ_EOS };

/* Checks that both vocabularies of pair corpus c start with the four special tokens. 0, or 65
 * with a message naming the file. */
int s2s_check_specials(const corpus_t *c, char *err, size_t errlen);

/* A split's pair boundaries: src_off, tgt_off [n+1]. */
typedef struct {
    uint64_t n;
    uint64_t *src_off, *tgt_off;
} s2s_index_t;

/* Reads the offsets of SPLIT (n = 0 when it is absent). 0 or 65 with err. */
int s2s_index_read(s2s_index_t *ix, corpus_t *c, int split, char *err, size_t errlen);
void s2s_index_free(s2s_index_t *ix);
static inline int s2s_src_len(const s2s_index_t *ix, uint64_t i) {
    return (int)(ix->src_off[i + 1] - ix->src_off[i]);
}
/* Target length with <eos>. */
static inline int s2s_tgt_len(const s2s_index_t *ix, uint64_t i) {
    return (int)(ix->tgt_off[i + 1] - ix->tgt_off[i]) + 1;
}

/* Pairs held in memory, in the order they were asked for. */
typedef struct {
    uint64_t n;
    uint64_t *soff, *toff; /* [n+1] into src, tgt */
    uint32_t *src, *tgt;
    int longest;   /* max over pairs of the source length and the target length with <eos> */
    size_t cap[4]; /* entries of soff, toff, src, tgt (s2s_pairs_alloc / s2s_pairs_load) */
} s2s_pairs_t;

/* Reads pairs ids[0..n) of SPLIT (any order, repeats allowed) into *p, with one read per block
 * of neighbouring pairs rather than one per pair. 0 or 65 with err. */
int s2s_pairs_read(s2s_pairs_t *p, corpus_t *c, int split, const s2s_index_t *ix,
                   const uint64_t *ids, uint64_t n, char *err, size_t errlen);
void s2s_pairs_free(s2s_pairs_t *p);

/* Buffers for NMAX pairs of TMAX tokens a side to start with (dies when out of memory), for
 * s2s_pairs_load. */
void s2s_pairs_alloc(s2s_pairs_t *p, int nmax, int Tmax);
/* Reads pairs ids[0..n) of SPLIT into P's buffers, one read per side of each pair, for a
 * training step: the buffers grow when these pairs need more than any before (the largest
 * kept), else nothing is allocated. 0 or 65 with err. */
int s2s_pairs_load(s2s_pairs_t *p, corpus_t *c, int split, const s2s_index_t *ix,
                   const uint64_t *ids, uint64_t n, char *err, size_t errlen);

/* A padded batch of up to Bmax pairs of up to Tmax tokens a side; bt views the arrays, which
 * s2s_batch_fill grows to the largest batch filled (ncap padded tokens a side). */
typedef struct {
    uint32_t *src, *tgt_in, *tgt_out;
    int *src_lens, *tgt_lens;
    int Tmax, Bmax;
    size_t ncap;
    long tgt_tokens, tokens; /* targets with <eos>; source + target tokens */
    seq2seq_batch_t bt;
} s2s_batch_t;

void s2s_batch_alloc(s2s_batch_t *b, int Tmax, int Bmax);
void s2s_batch_free(s2s_batch_t *b);
/* Pairs [first, first + n) of p into b (n <= Bmax, 1 <= n). */
void s2s_batch_fill(s2s_batch_t *b, const s2s_pairs_t *p, uint64_t first, int n);

/* Target ids [n] as text into *buf (grown as needed, *cap its size): vocab strings joined by a
 * space when spaced (word tokens), else concatenated; spm (SPM not NULL): detokenized by the
 * model of the vocabulary SPM; a final <eos> is left out. Returns *buf. */
char *s2s_ids_text(const char *const *vocab, const uint32_t *ids, int n, int spaced,
                   const tok_vocab_t *spm, char **buf, size_t *cap);

#endif
