/* io/corpus.h — reading drnn corpus files (DESIGN §6).
 *
 * A corpus is an HDF5 file written by drnn-prep (layout in io/corpus_write.h): scalar attributes
 * (format, version, data, tokenizer, vocab_size, vocab_crc32, uuid, <split>_tokens,
 * <split>_crc32), /vocab (a string table: every entry followed by a NUL, as uint8) and 1-D token
 * datasets /train/tokens, /valid/tokens, /test/tokens. Labelled data (data = "labels") adds
 * num_labels, labels_crc32, <split>_examples, /labels (one name per label id) and per split
 * /SPLIT/offsets [n+1] and /SPLIT/labels [n]: example i is the tokens [offsets[i], offsets[i+1])
 * with label labels[i]. Tagged data (data = "tags", for sequence tagging) has num_labels,
 * labels_crc32, <split>_examples and /labels as labelled data (the tag names; tag id = index) and
 * per split /SPLIT/offsets [n+1] and /SPLIT/tags [<split>_tokens]: sequence i is the tokens
 * [offsets[i], offsets[i+1]) (at least one), token j has the tag tags[j]. Pair data (data =
 * "pairs", for seq2seq) has a source and a target vocabulary (/vocab and /tgt_vocab with
 * tgt_vocab_crc32, seq2seq specials <unk> <pad> <bos> <eos> first) and per split /SPLIT/src_tokens,
 * /SPLIT/src_offsets [n+1], /SPLIT/tgt_tokens, /SPLIT/tgt_offsets [n+1]: pair i is source tokens
 * [src_offsets[i], src_offsets[i+1]) and target tokens [tgt_offsets[i], tgt_offsets[i+1]), the
 * target without <bos>/<eos>.
 *
 * Integrity (DESIGN §6, §8): libhdf5 checksums the file's metadata (latest format); the string
 * tables are checked against their CRC32 attributes before any entry is used; every split dataset
 * carries Fletcher32, which libhdf5 checks on every chunk it reads (a failed check is a read
 * error: 65). corpus_open first opens the file in a child process (io/isolate.h), so a file that
 * crashes libhdf5 or makes it loop is reported as damaged (65) instead. Readers never re-read the
 * data to verify it. This module makes no MPI calls.
 */
#ifndef DRNN_IO_CORPUS_H
#define DRNN_IO_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "io/corpus_splits.h"
#include "io/model_attrs.h"

/* Version 1 (variable-length /vocab strings, no checksums) is refused with 65: re-run drnn-prep. */
#define CORPUS_FORMAT        "drnn-corpus"
#define CORPUS_VERSION       2
#define CORPUS_CHECK_TIMEOUT 30         /* s, plus 1 s per 200 MB, for corpus_open's child */
#define CORPUS_CHUNK_CACHE   (4u << 20) /* bytes of inflated chunks libhdf5 keeps per dataset */

typedef struct corpus corpus_t;

/* Opens PATH read-only and checks format, version and attributes, the string tables against their
 * CRC32s, and that every present split's datasets exist with the sizes the attributes give and
 * with Fletcher32 (for labelled and tagged data also num_labels >= 1 and /labels with that many
 * names, and for tagged data /SPLIT/tags as long as /SPLIT/tokens; for
 * pair data tgt_vocab_size, shared_vocab and /tgt_vocab with that many entries, equal to /vocab
 * when shared). All of that, and reading every split's offsets and labels, happens first in a
 * child process that may take CORPUS_CHECK_TIMEOUT s (see corpus_set_check_timeout); a child that
 * dies or is still busy then means a damaged file. Returns 0 and sets *out, or returns a sysexits
 * code (66 missing/unreadable, 65 not a drnn corpus, an older version or damaged, 70 no fork or
 * memory) with a one-line message naming the file in err. The caller owns *out (corpus_close). */
int corpus_open(corpus_t **out, const char *path, char *err, size_t errlen);
/* Caps the child's time (seconds; <= 0: no cap), process-wide: drnn-train passes half its
 * --hang-timeout (at least 5 s), so a corpus that hangs libhdf5 is damaged data (65), not a hang
 * (70). */
void corpus_set_check_timeout(double seconds);
void corpus_close(corpus_t *c);

const char *corpus_path(const corpus_t *c);
const char *corpus_tokenizer(const corpus_t *c);    /* "byte", "char" or "word" */
int corpus_vocab_size(const corpus_t *c);           /* pair data: the source vocabulary's */
const char *const *corpus_vocab(const corpus_t *c); /* vocab_size NUL-terminated strings */
const char *corpus_uuid(const corpus_t *c);
/* 0 when the split is absent; pair data: the source tokens */
uint64_t corpus_split_tokens(const corpus_t *c, int split);
uint32_t corpus_split_crc32(const corpus_t *c, int split);

/* --- Labelled and tagged data ------------------------------------------------------------- */
const char *corpus_data_kind(const corpus_t *c); /* "text", "labels", "pairs" or "tags" */
int corpus_num_labels(const corpus_t *c);        /* labels or tags; 0 for text and pairs */
/* [num_labels] label or tag names (id = index); NULL for text and pairs */
const char *const *corpus_label_names(const corpus_t *c);
/* Examples (labels), sequences (tags) or pairs (pairs) of the split; 0 when absent or text. */
uint64_t corpus_split_examples(const corpus_t *c, int split);
/* offsets [n+1] and labels [n] of a whole labelled split (n = corpus_split_examples; the caller
 * allocates both; an absent split gives offsets[0] = 0). Checks offsets[0] == 0, non-decreasing,
 * offsets[n] == corpus_split_tokens, every label < num_labels. LABELS may be NULL: then only the
 * offsets are read. For tagged data only the offsets are read (LABELS is left alone and may be
 * NULL; the tags come from corpus_read_tags) and every sequence must hold at least one token.
 * 0, or 65 with a message naming the file in err (also for a text or pair corpus). */
int corpus_read_examples(corpus_t *c, int split, uint64_t *offsets, uint32_t *labels, char *err,
                         size_t errlen);
/* Reads the tag ids of the N tokens of SPLIT starting at token OFF (the positions corpus_read
 * uses) into DST. Returns 0, or 65 with a message naming the file in err (not tagged data, out
 * of range, read error — a chunk that fails its Fletcher32 check among them —, tag id >=
 * num_labels). */
int corpus_read_tags(corpus_t *c, int split, uint64_t off, uint64_t n, uint32_t *dst, char *err,
                     size_t errlen);

/* Reads N token ids of SPLIT (text, labelled, tagged, or the source side of pairs) starting at OFF
 * into DST. Returns 0, or 65 with a message in err (out of range, read error — a chunk that fails
 * its Fletcher32 check among them —, id >= vocab_size). */
int corpus_read(corpus_t *c, int split, uint64_t off, uint64_t n, uint32_t *dst, char *err,
                size_t errlen);

/* Reads NR ranges of SPLIT's token ids (TAGS 1: its tag ids, tagged data only) in one HDF5
 * read, range k being the LEN[k] ids from OFF[k]; the ranges sorted by offset, none overlapping
 * the next (adjacent is fine). DST receives them one after another (the sum of LEN ids). A batch
 * of examples so costs one read's set-up and inflates each chunk it touches once, not once per
 * example. Returns 0, or 65 as corpus_read and corpus_read_tags (unsorted or overlapping ranges
 * too). */
int corpus_read_ranges(corpus_t *c, int split, int tags, int nr, const uint64_t *off,
                       const uint64_t *len, uint32_t *dst, char *err, size_t errlen);

/* --- Pair data (seq2seq) ------------------------------------------------------------------ */
int corpus_tgt_vocab_size(const corpus_t *c);           /* 0 but for pairs */
const char *const *corpus_tgt_vocab(const corpus_t *c); /* [tgt_vocab_size], NULL but for pairs */
int corpus_shared_vocab(const corpus_t *c); /* 1: one vocabulary for both sides (pairs) */
/* Tokenizer spm: the SentencePiece models (/spm_model; pairs without one joint model also
 * /tgt_spm_model), valid while C is open; len 0 for the other tokenizers. */
model_spm_t corpus_spm(const corpus_t *c);
/* Text: the characters (Unicode code points) of the split's detokenized text, for bits per
 * character; 0 when the corpus predates them or for other data. */
uint64_t corpus_split_chars(const corpus_t *c, int split);
uint64_t corpus_split_tgt_tokens(const corpus_t *c, int split); /* 0 when absent or not pairs */
/* src_off and tgt_off [n+1] of a whole pair split (n = corpus_split_examples; the caller
 * allocates both; an absent split gives src_off[0] = tgt_off[0] = 0). Checks that both start at
 * 0, never decrease, give every pair at least one token on each side and end at
 * corpus_split_tokens and corpus_split_tgt_tokens. 0, or 65 with a message naming the file in err
 * (also for a corpus that is not pair data). */
int corpus_read_pair_offsets(corpus_t *c, int split, uint64_t *src_off, uint64_t *tgt_off,
                             char *err, size_t errlen);
/* Reads N ids of one side of SPLIT (SIDE 0 source, as corpus_read; 1 target) starting at OFF of
 * that side's tokens into DST. Returns 0, or 65 with a message in err (not pair data, out of
 * range, read error, id >= that side's vocabulary size); 70 for another SIDE. */
int corpus_read_side(corpus_t *c, int split, int side, uint64_t off, uint64_t n, uint32_t *dst,
                     char *err, size_t errlen);

/* --- Per-stream reader with read-ahead (DESIGN §5, §6) -------------------------------------
 * Reading T+1 tokens per stream per step straight from deflated chunks would decompress the
 * same chunk over and over; each stream keeps a window of `ahead` tokens (plus up to one chunk),
 * as stored (1-4 bytes each), and its reads end on chunk boundaries, so each chunk is inflated
 * once. Memory: count * (ahead + 65536) * width bytes, whatever the corpus size. */
typedef struct stream_reader stream_reader_t;

/* Streams [first, first+count) of a split cut into `total` equal streams of length S each.
 * Returns NULL on allocation failure. */
stream_reader_t *stream_reader_new(corpus_t *c, int split, int total, int first, int count,
                                   size_t ahead);
void stream_reader_free(stream_reader_t *r);
uint64_t stream_reader_stream_len(const stream_reader_t *r); /* S */
/* dst[k] = token at position cursor + k of local stream s, k < n (n <= ahead). 0 or 65. */
int stream_reader_get(stream_reader_t *r, int s, uint64_t cursor, size_t n, uint32_t *dst,
                      char *err, size_t errlen);

#endif
