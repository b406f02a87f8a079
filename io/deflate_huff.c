/* io/deflate_huff.c — see deflate_huff.h. Block layout as in RFC 1951 §3.2.7, zlib wrapper as
 * in RFC 1950. */
#include "io/deflate_huff.h"

#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "model/util.h"

#define NLIT   257 /* literals 0-255 and end-of-block 256; no lengths, as no string is matched */
#define NDIST  2   /* unused, but a block must declare distance codes: two of one bit, as zlib */
#define NCLEN  19  /* the code-length alphabet */
#define STORED 65535

/* ---- bits, least significant first ---------------------------------------------------------- */

typedef struct {
    unsigned char *p;
    uint64_t acc;
    int bits;
} bits_t;

static inline void put_bits(bits_t *w, uint32_t v, int n) {
    w->acc |= (uint64_t)v << w->bits;
    w->bits += n;
    if (w->bits >= 32) {
        for (int k = 0; k < 4; k++) *w->p++ = (unsigned char)(w->acc >> (8 * k));
        w->acc >>= 32;
        w->bits -= 32;
    }
}

/* The codes of in[0..n): three codes (45 bits at most) join the fewer than 32 bits waiting, then
 * 8 bytes are stored at once and the pointer moves by the whole bytes among them (fewer than 8
 * bits wait between rounds, so 52 at most are in use). Writes up to 8 bytes past the last whole
 * byte: the bound leaves room for that. */
static void put_symbols(bits_t *w, const unsigned char *in, size_t n, const uint16_t *code,
                        const uint8_t *len) {
    uint64_t acc = w->acc;
    int bits = w->bits;
    unsigned char *p = w->p;
    size_t i = 0;
    for (; bits >= 8; bits -= 8, acc >>= 8) *p++ = (unsigned char)acc; /* now fewer than 8 */
    for (; i + 3 <= n; i += 3) {
        acc |= (uint64_t)code[in[i]] << bits;
        bits += len[in[i]];
        acc |= (uint64_t)code[in[i + 1]] << bits;
        bits += len[in[i + 1]];
        acc |= (uint64_t)code[in[i + 2]] << bits;
        bits += len[in[i + 2]];
        for (int k = 0; k < 8; k++) p[k] = (unsigned char)(acc >> (8 * k));
        p += bits >> 3;
        acc >>= bits & ~7;
        bits &= 7;
    }
    w->acc = acc, w->bits = bits, w->p = p;
    for (; i < n; i++) put_bits(w, code[in[i]], len[in[i]]);
}

static void flush_bits(bits_t *w) { /* to the next byte boundary */
    while (w->bits > 0) {
        *w->p++ = (unsigned char)w->acc;
        w->acc >>= 8;
        w->bits -= 8;
    }
    w->bits = 0, w->acc = 0;
}

/* ---- codes ---------------------------------------------------------------------------------- */

/* Huffman code lengths for freq[0..n) (0: unused symbol, no code), none longer than LIMIT. When
 * a tree is too deep the counts are halved (kept >= 1) and the tree built again. Fewer than two
 * used symbols still get two codes of one bit (a complete code, which every inflate accepts). */
static void code_lengths(uint8_t *len, const uint32_t *freq, int n, int limit) {
    uint32_t f[NLIT], w[2 * NLIT];
    int sym[NLIT], parent[2 * NLIT], depth[2 * NLIT];
    memcpy(f, freq, sizeof *f * (size_t)n);
    memset(len, 0, (size_t)n);
    for (;;) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (f[i]) sym[m++] = i;
        if (m < 2) {
            int a = m ? sym[0] : 0;
            len[a] = 1, len[a == 0 ? 1 : 0] = 1;
            return;
        }
        for (int i = 1; i < m; i++) { /* by count, then symbol: insertion sort of <= 257 */
            int s = sym[i], j = i;
            for (; j > 0 && f[sym[j - 1]] > f[s]; j--) sym[j] = sym[j - 1];
            sym[j] = s;
        }
        /* Two queues: leaves in count order, inner nodes in the order they are made (their
         * weights never decrease), so the two lightest are always at the queues' heads. */
        for (int k = 0; k < m; k++) w[k] = f[sym[k]];
        int leaf = 0, inner = m;
        for (int node = m; node < 2 * m - 1; node++) {
            w[node] = 0;
            for (int take = 0; take < 2; take++) {
                int from_leaf = leaf < m && (inner == node || w[leaf] <= w[inner]);
                int child = from_leaf ? leaf++ : inner++;
                parent[child] = node;
                w[node] += w[child];
            }
        }
        depth[2 * m - 2] = 0;
        int deepest = 0;
        for (int k = 2 * m - 3; k >= 0; k--) {
            depth[k] = depth[parent[k]] + 1;
            if (k < m && depth[k] > deepest) deepest = depth[k];
        }
        if (deepest <= limit) {
            for (int k = 0; k < m; k++) len[sym[k]] = (uint8_t)depth[k];
            return;
        }
        for (int i = 0; i < n; i++)
            if (f[i]) f[i] = (f[i] >> 1) | 1;
    }
}

/* Canonical codes of len[0..n), bit-reversed for least-significant-first output. */
static void canonical_codes(uint16_t *code, const uint8_t *len, int n) {
    int count[16] = {0}, next[16] = {0};
    for (int i = 0; i < n; i++) count[len[i]]++;
    count[0] = 0;
    for (int b = 1, c = 0; b < 16; b++) next[b] = c = (c + count[b - 1]) << 1;
    for (int i = 0; i < n; i++) {
        if (!len[i]) continue;
        uint32_t c = (uint32_t)next[len[i]]++, r = 0;
        for (int b = 0; b < len[i]; b++) r |= ((c >> b) & 1u) << (len[i] - 1 - b);
        code[i] = (uint16_t)r;
    }
}

/* The block header's code-length sequence: the literal then the distance lengths, runs of zeros
 * as symbols 17 (3-10) and 18 (11-138). Fills seq (symbol | extra << 8) and returns its size. */
static int length_sequence(uint16_t *seq, const uint8_t *lens, int n) {
    int k = 0;
    for (int i = 0; i < n;) {
        int run = 0;
        while (i + run < n && lens[i + run] == 0 && run < 138) run++;
        if (run >= 11) {
            seq[k++] = (uint16_t)(18 | (run - 11) << 8);
        } else if (run >= 3) {
            seq[k++] = (uint16_t)(17 | (run - 3) << 8);
        } else {
            seq[k++] = lens[i];
            run = 1;
        }
        i += run;
    }
    return k;
}

/* ---- encoder -------------------------------------------------------------------------------- */

size_t deflate_huff_bound(size_t n) {
    /* zlib header and Adler-32, then stored blocks of 5 header bytes each: never more, as the
     * Huffman block is used only when it is smaller. */
    return 2 + 4 + n + 5 * (n / STORED + 1) + 8; /* 8: put_symbols' last store */
}

static size_t put_stored(unsigned char *out, const unsigned char *in, size_t n) {
    unsigned char *p = out;
    size_t at = 0;
    do {
        size_t m = n - at < STORED ? n - at : STORED;
        *p++ = at + m == n; /* BFINAL on the last, BTYPE 00 */
        p[0] = (unsigned char)m, p[1] = (unsigned char)(m >> 8);
        p[2] = (unsigned char)~m, p[3] = (unsigned char)(~m >> 8);
        memcpy(p + 4, in + at, m);
        p += 4 + m, at += m;
    } while (at < n);
    return (size_t)(p - out);
}

size_t deflate_huff(unsigned char *out, size_t cap, const unsigned char *in, size_t n) {
    static const uint8_t order[NCLEN] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                         11, 4,  12, 3, 13, 2, 14, 1, 15};
    DRNN_ASSERT(cap >= deflate_huff_bound(n));
    uint32_t freq[NLIT] = {0}, cfreq[NCLEN] = {0};
    uint8_t lens[NLIT + NDIST], clen[NCLEN];
    uint16_t code[NLIT], ccode[NCLEN], seq[NLIT + NDIST];
    for (size_t i = 0; i < n; i++) freq[in[i]]++;
    freq[256] = 1;
    code_lengths(lens, freq, NLIT, 15);
    lens[NLIT] = lens[NLIT + 1] = 1;
    canonical_codes(code, lens, NLIT);
    int nseq = length_sequence(seq, lens, NLIT + NDIST);
    for (int k = 0; k < nseq; k++) cfreq[seq[k] & 0xff]++;
    code_lengths(clen, cfreq, NCLEN, 7);
    canonical_codes(ccode, clen, NCLEN);
    int hclen = NCLEN;
    while (hclen > 4 && clen[order[hclen - 1]] == 0) hclen--;
    /* The block's exact size decides between it and stored blocks. */
    uint64_t bits = 3 + 5 + 5 + 4 + 3 * (uint64_t)hclen;
    for (int k = 0; k < nseq; k++) {
        int s = seq[k] & 0xff;
        bits += clen[s] + (s == 17 ? 3 : s == 18 ? 7 : 0);
    }
    for (int i = 0; i < NLIT; i++) bits += (uint64_t)freq[i] * lens[i];
    unsigned char *p = out;
    *p++ = 0x78, *p++ = 0x01; /* deflate, 32 KiB window; (0x78 * 256 + 0x01) % 31 == 0 */
    if ((bits + 7) / 8 >= n + 5 * (n / STORED + 1)) {
        p += put_stored(p, in, n);
    } else {
        bits_t w = {p, 0, 0};
        put_bits(&w, 1 | 2 << 1, 3); /* BFINAL, BTYPE 10: dynamic Huffman */
        put_bits(&w, NLIT - 257, 5);
        put_bits(&w, NDIST - 1, 5);
        put_bits(&w, (uint32_t)(hclen - 4), 4);
        for (int k = 0; k < hclen; k++) put_bits(&w, clen[order[k]], 3);
        for (int k = 0; k < nseq; k++) {
            int s = seq[k] & 0xff;
            put_bits(&w, ccode[s], clen[s]);
            if (s == 17) put_bits(&w, seq[k] >> 8, 3);
            if (s == 18) put_bits(&w, seq[k] >> 8, 7);
        }
        put_symbols(&w, in, n, code, lens);
        put_bits(&w, code[256], lens[256]);
        flush_bits(&w);
        p = w.p;
    }
    uint32_t a = (uint32_t)adler32_z(adler32_z(0, NULL, 0), in, n);
    for (int k = 3; k >= 0; k--) *p++ = (unsigned char)(a >> (8 * k)); /* big-endian */
    return (size_t)(p - out);
}
