#include "trainer/s2s_data.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Neighbouring pairs are read together while the span stays below this many tokens. */
#define S2S_READ_BLOCK (1u << 20)

int s2s_check_specials(const corpus_t *c, char *err, size_t errlen) {
    static const char *const names[4] = {"<unk>", "<pad>", "<bos>", "<eos>"};
    const char *const *sides[2] = {corpus_vocab(c), corpus_tgt_vocab(c)};
    const int sizes[2] = {corpus_vocab_size(c), corpus_tgt_vocab_size(c)};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 4; i++)
            if (!sides[s] || sizes[s] < 4 || strcmp(sides[s][i], names[i]) != 0)
                return drnn_errf(err, errlen, 65,
                                 "%s: %s vocabulary entry %d is not %s; make the corpus with "
                                 "drnn-prep --format pairs",
                                 corpus_path(c), s ? "target" : "source", i, names[i]);
    return 0;
}

int s2s_index_read(s2s_index_t *ix, corpus_t *c, int split, char *err, size_t errlen) {
    memset(ix, 0, sizeof *ix);
    ix->n = corpus_split_examples(c, split);
    ix->src_off = drnn_calloc(ix->n + 1, sizeof(uint64_t));
    ix->tgt_off = drnn_calloc(ix->n + 1, sizeof(uint64_t));
    return corpus_read_pair_offsets(c, split, ix->src_off, ix->tgt_off, err, errlen);
}

void s2s_index_free(s2s_index_t *ix) {
    free(ix->src_off), free(ix->tgt_off);
    memset(ix, 0, sizeof *ix);
}

typedef struct {
    uint64_t id, slot;
} want_t;

static int by_id(const void *a, const void *b) {
    const want_t *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* One side: copies every wanted pair's tokens to dst + its slot's offset, reading spans of
 * neighbouring pairs at once. */
static int read_side(corpus_t *c, int split, int side, const uint64_t *off, const want_t *w,
                     uint64_t n, const uint64_t *slot_off, uint32_t *dst, uint32_t *buf, char *err,
                     size_t errlen) {
    for (uint64_t i = 0; i < n;) {
        uint64_t lo = off[w[i].id], j = i;
        while (j + 1 < n && off[w[j + 1].id + 1] - lo <= S2S_READ_BLOCK) j++;
        uint64_t hi = off[w[j].id + 1];
        int rc = corpus_read_side(c, split, side, lo, hi - lo, buf, err, errlen);
        if (rc) return rc;
        for (; i <= j; i++) {
            uint64_t a = off[w[i].id], len = off[w[i].id + 1] - a;
            memcpy(dst + slot_off[w[i].slot], buf + (a - lo), sizeof(uint32_t) * len);
        }
    }
    return 0;
}

int s2s_pairs_read(s2s_pairs_t *p, corpus_t *c, int split, const s2s_index_t *ix,
                   const uint64_t *ids, uint64_t n, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    p->n = n;
    p->soff = drnn_calloc(n + 1, sizeof(uint64_t));
    p->toff = drnn_calloc(n + 1, sizeof(uint64_t));
    uint64_t longest_span = 0;
    for (uint64_t i = 0; i < n; i++) {
        DRNN_ASSERT(ids[i] < ix->n);
        int sl = s2s_src_len(ix, ids[i]), tl = s2s_tgt_len(ix, ids[i]);
        p->soff[i + 1] = p->soff[i] + (uint64_t)sl;
        p->toff[i + 1] = p->toff[i] + (uint64_t)(tl - 1);
        p->longest = sl > p->longest ? sl : p->longest;
        p->longest = tl > p->longest ? tl : p->longest;
        uint64_t span = (uint64_t)(sl > tl ? sl : tl);
        longest_span = span > longest_span ? span : longest_span;
    }
    p->src = drnn_calloc(p->soff[n] + 1, sizeof(uint32_t));
    p->tgt = drnn_calloc(p->toff[n] + 1, sizeof(uint32_t));
    want_t *w = drnn_calloc(n + 1, sizeof *w);
    for (uint64_t i = 0; i < n; i++) w[i] = (want_t){ids[i], i};
    qsort(w, n, sizeof *w, by_id);
    uint32_t *buf = drnn_calloc(S2S_READ_BLOCK + longest_span + 1, sizeof(uint32_t));
    int rc = read_side(c, split, 0, ix->src_off, w, n, p->soff, p->src, buf, err, errlen);
    if (!rc) rc = read_side(c, split, 1, ix->tgt_off, w, n, p->toff, p->tgt, buf, err, errlen);
    free(w), free(buf);
    return rc;
}

void s2s_pairs_alloc(s2s_pairs_t *p, int nmax, int Tmax) {
    memset(p, 0, sizeof *p);
    p->soff = drnn_grow(NULL, &p->cap[0], (size_t)nmax + 1, sizeof(uint64_t));
    p->toff = drnn_grow(NULL, &p->cap[1], (size_t)nmax + 1, sizeof(uint64_t));
    p->src = drnn_grow(NULL, &p->cap[2], (size_t)nmax * Tmax + 1, sizeof(uint32_t));
    p->tgt = drnn_grow(NULL, &p->cap[3], (size_t)nmax * Tmax + 1, sizeof(uint32_t));
}

int s2s_pairs_load(s2s_pairs_t *p, corpus_t *c, int split, const s2s_index_t *ix,
                   const uint64_t *ids, uint64_t n, char *err, size_t errlen) {
    p->soff = drnn_grow(p->soff, &p->cap[0], n + 1, sizeof(uint64_t));
    p->toff = drnn_grow(p->toff, &p->cap[1], n + 1, sizeof(uint64_t));
    p->n = n, p->longest = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t id = ids[i];
        DRNN_ASSERT(id < ix->n);
        int sl = s2s_src_len(ix, id), tl = s2s_tgt_len(ix, id);
        p->soff[i + 1] = p->soff[i] + (uint64_t)sl;
        p->toff[i + 1] = p->toff[i] + (uint64_t)(tl - 1);
        p->longest = sl > p->longest ? sl : p->longest;
        p->longest = tl > p->longest ? tl : p->longest;
    }
    p->src = drnn_grow(p->src, &p->cap[2], p->soff[n] + 1, sizeof(uint32_t));
    p->tgt = drnn_grow(p->tgt, &p->cap[3], p->toff[n] + 1, sizeof(uint32_t));
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        const uint64_t id = ids[i], sl = p->soff[i + 1] - p->soff[i];
        rc = corpus_read_side(c, split, 0, ix->src_off[id], sl, p->src + p->soff[i], err, errlen);
        if (rc == 0)
            rc = corpus_read_side(c, split, 1, ix->tgt_off[id], p->toff[i + 1] - p->toff[i],
                                  p->tgt + p->toff[i], err, errlen);
    }
    return rc;
}

void s2s_pairs_free(s2s_pairs_t *p) {
    free(p->soff), free(p->toff), free(p->src), free(p->tgt);
    memset(p, 0, sizeof *p);
}

void s2s_batch_alloc(s2s_batch_t *b, int Tmax, int Bmax) {
    memset(b, 0, sizeof *b);
    b->Tmax = Tmax, b->Bmax = Bmax; /* the buffers come with the batches (s2s_batch_fill) */
}

void s2s_batch_free(s2s_batch_t *b) {
    free(b->src), free(b->tgt_in), free(b->tgt_out), free(b->src_lens), free(b->tgt_lens);
    memset(b, 0, sizeof *b);
}

void s2s_batch_fill(s2s_batch_t *b, const s2s_pairs_t *p, uint64_t first, int n) {
    DRNN_ASSERT(n >= 1 && n <= b->Bmax && first + (uint64_t)n <= p->n);
    int Ts = 1, Tt = 1;
    b->tgt_tokens = b->tokens = 0;
    if (!b->src_lens) { /* the rows' lengths: Bmax each, made with the first batch */
        b->src_lens = drnn_calloc((size_t)b->Bmax, sizeof(int));
        b->tgt_lens = drnn_calloc((size_t)b->Bmax, sizeof(int));
    }
    for (int j = 0; j < n; j++) {
        uint64_t i = first + (uint64_t)j;
        b->src_lens[j] = (int)(p->soff[i + 1] - p->soff[i]);
        b->tgt_lens[j] = (int)(p->toff[i + 1] - p->toff[i]) + 1;
        Ts = b->src_lens[j] > Ts ? b->src_lens[j] : Ts;
        Tt = b->tgt_lens[j] > Tt ? b->tgt_lens[j] : Tt;
        b->tgt_tokens += b->tgt_lens[j];
        b->tokens += b->src_lens[j] + b->tgt_lens[j];
    }
    DRNN_ASSERT(Ts <= b->Tmax && Tt <= b->Tmax);
    const size_t N = (size_t)(Ts > Tt ? Ts : Tt) * n;
    if (drnn_cap_raise(&b->ncap, N)) {
        free(b->src), free(b->tgt_in), free(b->tgt_out);
        b->src = drnn_calloc(N, sizeof(uint32_t));
        b->tgt_in = drnn_calloc(N, sizeof(uint32_t));
        b->tgt_out = drnn_calloc(N, sizeof(uint32_t));
    }
    for (int j = 0; j < n; j++) {
        uint64_t i = first + (uint64_t)j;
        const uint32_t *s = p->src + p->soff[i], *t = p->tgt + p->toff[i];
        for (int x = 0; x < Ts; x++)
            b->src[(size_t)x * n + j] = x < b->src_lens[j] ? s[x] : S2S_PAD;
        const int m = b->tgt_lens[j] - 1;
        for (int x = 0; x < Tt; x++) {
            size_t r = (size_t)x * n + j;
            b->tgt_in[r] = x == 0 ? S2S_BOS : x <= m ? t[x - 1] : S2S_PAD;
            b->tgt_out[r] = x < m ? t[x] : x == m ? S2S_EOS : S2S_PAD;
        }
    }
    seq2seq_batch_t v = {b->src, b->src_lens, b->tgt_in, b->tgt_out, b->tgt_lens, Ts, Tt, n};
    b->bt = v;
}

char *s2s_ids_text(const char *const *vocab, const uint32_t *ids, int n, int spaced,
                   const tok_vocab_t *spm, char **buf, size_t *cap) {
    if (n > 0 && ids[n - 1] == S2S_EOS) n--;
    if (spm) {
        size_t len = 0;
        char *text = tok_decode(spm, ids, (size_t)n, &len);
        if (!text) drnn_die(70, "out of memory detokenizing");
        free(*buf);
        *buf = text;
        *cap = len + 1;
        return text;
    }
    size_t need = 1;
    for (int i = 0; i < n; i++) need += strlen(vocab[ids[i]]) + 1;
    if (need > *cap) {
        free(*buf);
        *cap = need * 2;
        *buf = drnn_calloc(*cap, 1);
    }
    char *p = *buf;
    for (int i = 0; i < n; i++) {
        if (spaced && i) *p++ = ' ';
        size_t l = strlen(vocab[ids[i]]);
        memcpy(p, vocab[ids[i]], l);
        p += l;
    }
    *p = '\0';
    return *buf;
}
