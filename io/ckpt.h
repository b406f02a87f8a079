/* io/ckpt.h — sharded HDF5 checkpoints (DESIGN §7). No MPI here: the trainer runs the protocol
 * (every rank writes its shard, all agree, rank 0 commits) through comm/.
 *
 *   RUN/ckpt/step-00001000/manifest.h5                 rank 0: options, vocab, tensor table,
 *   RUN/ckpt/step-00001000/manifest.crc32              shard slices and whole-file CRC32s
 *   RUN/ckpt/step-00001000/shard-00003-of-00016.h5     rank 3: /params, /momentum slices,
 *                                                      /streams/{id,cursor,h,c}
 *   RUN/ckpt/latest                                    "step-00001000 <manifest crc32>"
 *
 * Commit: shards go to step-N.tmp/, are closed and fsynced; after every rank succeeded rank 0
 * writes the manifest, fsyncs it, renames step-N.tmp to step-N, fsyncs ckpt/, then replaces
 * latest by rename (and fsyncs again). A crash at any moment leaves the previous checkpoint
 * loadable and `latest` pointing at a complete one.
 *
 * Integrity before parsing: readers check the manifest's CRC32 (from latest or manifest.crc32)
 * and each shard's CRC32 (from the manifest) over the whole file before libhdf5 sees a byte.
 * Datasets are chunked with shuffle + deflate (level 0 leaves the filter out) + Fletcher32.
 */
#ifndef DRNN_IO_CKPT_H
#define DRNN_IO_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "io/model_attrs.h"
#include "model/desc.h"
#include "model/params.h"

#define CKPT_FORMAT       "drnn-checkpoint"
#define CKPT_SHARD_FORMAT "drnn-checkpoint-shard"
#define CKPT_VERSION      3 /* 3: optimizer state by name (SGD, Adam, AdamW), schedule state */

#define CKPT_MAX_OPT 2 /* optimizer state tensors: SGD momentum; Adam exp_avg, exp_avg_sq */

/* Everything the manifest records besides tensors, vocabulary and shards. */
typedef struct ckpt_meta {
    long step, epoch;
    long batch_in_epoch; /* data position: batches of `epoch` already taken */
    double tokens;       /* tokens seen */
    int world, batch, seq_len;
    int batch_tokens; /* seq2seq --batch-tokens (0: batches of --batch pairs) */
    model_desc_t desc;
    char tokenizer[16];
    double lr, momentum, clip, dropout;
    uint64_t seed;
    char corpus_uuid[64];
    uint64_t train_tokens, valid_tokens;
    uint32_t train_crc32, valid_crc32;
    /* Optimizer: its name ("sgd", "adam", "adamw"), how many state tensors the shards hold
     * (0 when there is none yet), updates applied, and its settings. */
    char optimizer[8];
    int nopt;
    long optim_steps;
    double beta1, beta2, eps, weight_decay;
    /* Schedule and early-stopping state: the plateau factor on the rate, the best validation
     * figure and its step (best_step 0: none yet), evaluations since it, non-finite steps
     * skipped in a row. */
    double lr_scale, best_metric;
    long best_step, bad_evals, skips;
    model_spm_t spm;  /* spm tokenizer: the SentencePiece models (borrowed when writing) */
    int state_floats; /* hidden (+ cell) state floats per stream */
    int streams;      /* streams of carried state over all shards (LM: batch; classifier: 0) */
    /* --powersgd R of the run (0: off), and whether the shards hold its state (/powersgd/q,
     * /powersgd/error; absent in checkpoints written without it). */
    int powersgd_rank, powersgd_state;
} ckpt_meta_t;

/* What one rank writes. Slices are [lo, hi) of the flat buffer; streams are global ids. */
typedef struct {
    int rank, world;
    size_t lo, hi;
    const float *params; /* [hi - lo] */
    int nopt;            /* optimizer state tensors, each [hi - lo], saved under their names */
    const char *opt_names[CKPT_MAX_OPT];
    const float *opt[CKPT_MAX_OPT];
    int nstreams;
    const uint64_t *stream_ids; /* [nstreams] */
    const uint64_t *cursors;    /* [nstreams] */
    const float *h;             /* [nstreams, hfloats] */
    const float *c;             /* [nstreams, hfloats] or NULL */
    int hfloats;
    /* PowerSGD (comm/powersgd.h): every Q [npsgd_q] (the same on all ranks) and this rank's
     * error feedback [npsgd_error], written when npsgd_q > 0. */
    const float *psgd_q, *psgd_error;
    size_t npsgd_q, npsgd_error;
} ckpt_shard_t;

/* Slice of rank r of world N over P floats: [P*r/N, P*(r+1)/N). */
void ckpt_slice(size_t P, int r, int N, size_t *lo, size_t *hi);

/* "RUN/ckpt/step-%08ld" (tmp: with ".tmp"). */
void ckpt_step_dir(char *out, size_t n, const char *run_dir, long step, int tmp);

/* 1 if RUN/ckpt/latest exists. */
int ckpt_exists(const char *run_dir);
/* The highest N of the step folders RUN/ckpt/step-N (committed ones: not step-N.tmp), or -1
 * when there is none. A run folder has checkpoints when it has latest or a step folder. */
long ckpt_newest_step(const char *run_dir);
/* 1 if PATH is what ckpt_open takes: a run folder with RUN/ckpt/latest or a step folder in
 * RUN/ckpt, or a step folder (manifest.crc32 or manifest.h5, complete or not: ckpt_open then
 * says which). */
int ckpt_is_checkpoint(const char *path);

/* RUN/stopped ("step N"), written by rank 0 after the checkpoint of a graceful stop, so that job
 * scripts can requeue when the launcher's exit code was lost; cleared when a run starts.
 * 0, or -1 with errno. */
int ckpt_mark_stopped(const char *run_dir, long step);
/* After committing STEP (latest names it): RUN/ckpt/best := the same line, replaced by rename;
 * pruning never removes the folder best names. 0, 70 (latest names another step) or 74. */
int ckpt_mark_best(const char *run_dir, long step, char *err, size_t errlen);
/* 1 if PATH is a pointer file RUN/ckpt/latest or RUN/ckpt/best (ckpt_open takes it). */
int ckpt_is_pointer(const char *path);
int ckpt_clear_stopped(const char *run_dir);

/* Rank 0, before the shards: creates RUN/ckpt/ and an empty step-N.tmp/ (removing a stale one).
 * 0 or 74 with a message. */
int ckpt_begin(const char *run_dir, long step, char *err, size_t errlen);

/* Rank 0, when any rank failed to write its shard: removes step-N.tmp/ and what is in it. */
void ckpt_discard(const char *run_dir, long step);

/* Every rank: writes its shard into step-N.tmp/, closes and fsyncs it, and returns the file's
 * CRC32 in *crc. 0 or 74. deflate: 0..9 (0 leaves the filter out). */
int ckpt_write_shard(const char *run_dir, long step, const ckpt_shard_t *s, int deflate,
                     uint32_t *crc, char *err, size_t errlen);

/* Rank 0, after every shard succeeded: writes the manifest (tab: tensor table; vocab:
 * desc.vocab strings; labels: desc.classes strings or NULL; tgt_vocab: desc.tgt_vocab strings or
 * NULL; lo/hi/crc: per shard, world entries),
 * commits as described above and prunes to the newest `keep` complete checkpoints (and stale .tmp
 * folders). 0, or 74 after removing step-N.tmp/: latest still names the previous checkpoint. */
int ckpt_commit(const char *run_dir, const ckpt_meta_t *meta, const param_table_t *tab,
                const char *const *vocab, const char *const *labels, const char *const *tgt_vocab,
                const size_t *lo, const size_t *hi, const uint32_t *crc, int deflate, int keep,
                char *err, size_t errlen);

/* ---- reading --------------------------------------------------------------------------- */

typedef struct ckpt ckpt_t;

/* PATH: a run folder (its latest), or a step-N folder. Verifies the manifest's CRC32 and reads
 * it. Returns 0; 66 when there is no checkpoint; 64 for a run folder with step folders but no
 * latest (naming the newest: the user picks one); 65 when a file is damaged or not a drnn
 * checkpoint (naming the file). The caller owns *out (ckpt_close). */
int ckpt_open(ckpt_t **out, const char *path, char *err, size_t errlen);
void ckpt_close(ckpt_t *c);
const ckpt_meta_t *ckpt_meta(const ckpt_t *c);
const char *ckpt_dir(const ckpt_t *c);
const char *const *ckpt_vocab(const ckpt_t *c);
const char *const *ckpt_labels(const ckpt_t *c);    /* NULL unless a classifier */
const char *const *ckpt_tgt_vocab(const ckpt_t *c); /* NULL unless seq2seq */
const model_info_t *ckpt_info(const ckpt_t *c);     /* description, vocabularies, spm models */

/* Checks that the checkpoint's tensor table equals tab (names, shapes, offsets). 0 or 64 naming
 * the first tensor that differs. */
int ckpt_check_table(const ckpt_t *c, const param_table_t *tab, char *err, size_t errlen);

/* Reads every shard (verifying its CRC32 first): params [P]; the optimizer state tensors
 * opt_names[i] into opt[i] [P] for i < nopt when the checkpoint has them (meta nopt > 0; nopt 0:
 * none read); h, c: [batch, state_floats/(c ? 2 : 1)] by global stream id (c may be NULL when
 * the cell has no cell state; h NULL: the weights only, streams are not read). 0 or 65 naming
 * the file. */
int ckpt_read(ckpt_t *c, float *params, int nopt, const char *const *opt_names, float *const *opt,
              float *h, float *cst, char *err, size_t errlen);

/* PowerSGD's state in shard `shard` (verifying its CRC32 first): /powersgd/q into q [nq] unless
 * q is NULL, /powersgd/error into e [ne] unless e is NULL. 0 or 65 naming the file (missing,
 * another size, damaged). */
int ckpt_read_powersgd(const ckpt_t *c, int shard, float *q, size_t nq, float *e, size_t ne,
                       char *err, size_t errlen);

/* CRC32 (zlib) of a whole file. 0, or -1 with errno. */
int ckpt_file_crc32(const char *path, uint32_t *crc);

#endif
