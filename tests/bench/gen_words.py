#!/usr/bin/python3
"""gen_words.py — a synthetic word corpus with a large vocabulary and a known entropy floor.

A first-order Markov language over TYPES word types (pseudo-words made of syllables) plus the
end of line. Word unigram weights are Zipfian, q(r) ∝ 1 / (r + 1)^ZIPF for rank r. Every word w
has a sparse successor set: SUCC draws from q (repeats merge), the j-th weighted 1 / (j + 1).
After a word, the line ends with probability EOS; otherwise the next word comes from w's
successor set with probability ALPHA and from q with 1 − ALPHA. The first word of a line comes
from q. So p(next | previous word) is known exactly: the mean of −ln p over a stretch of text is
the true model's cross-entropy there, the floor any LM's loss can reach up to sampling noise.

Writes the text (one line per sentence, words separated by one space) to OUT and prints, on
stdout, one line of key=value figures: types used, word and line counts, tokens as drnn-prep's
word tokenizer counts them (words plus one <eos> per line), and the floor as a perplexity over
all tokens and over the last VALID share (drnn-prep's --valid-fraction takes that share of the
tokens after train). Deterministic for a given --seed (Python's random.Random, Mersenne Twister).
"""
import argparse
import bisect
import math
import random


SYL = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70 syllables


def pseudo_word(i):
    """A distinct lower-case word for index i: its digits in base 70 as syllables, two or more."""
    out = []
    while True:
        i, d = divmod(i, len(SYL))
        out.append(SYL[d])
        if i == 0:
            break
    while len(out) < 2:
        out.append(SYL[0])
    return "".join(reversed(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--types", type=int, default=50000)
    ap.add_argument("--tokens", type=int, default=3000000, help="drnn tokens (words + lines)")
    ap.add_argument("--zipf", type=float, default=1.0)
    ap.add_argument("--succ", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=0.75)
    ap.add_argument("--eos", type=float, default=1.0 / 16)
    ap.add_argument("--valid", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    words = [pseudo_word(i) for i in range(a.types)]
    assert len(set(words)) == a.types
    q = [1.0 / (r + 1) ** a.zipf for r in range(a.types)]
    zq = sum(q)
    q = [x / zq for x in q]
    cq = []
    s = 0.0
    for x in q:
        s += x
        cq.append(s)

    def draw_q():
        return min(bisect.bisect_right(cq, rng.random() * s), a.types - 1)

    # successor sets: ids, cumulative weights, and a dict id -> probability within the set
    succ_ids, succ_cum, succ_p = [], [], []
    for _ in range(a.types):
        w = {}
        for j in range(a.succ):
            k = draw_q()
            w[k] = w.get(k, 0.0) + 1.0 / (j + 1)
        z = sum(w.values())
        ids = list(w)
        cum, c = [], 0.0
        for k in ids:
            c += w[k] / z
            cum.append(c)
        succ_ids.append(ids)
        succ_cum.append(cum)
        succ_p.append({k: v / z for k, v in w.items()})

    n_valid = int(a.tokens * a.valid + 0.5)
    nll_all = nll_valid = 0.0
    used = set()
    n_words = n_lines = 0
    prev = -1  # -1: start of a line
    tok = 0
    line = []
    with open(a.out, "w") as f:
        while tok < a.tokens:
            if prev >= 0 and rng.random() < a.eos:
                p = a.eos
                f.write(" ".join(line) + "\n")
                line = []
                n_lines += 1
                nxt = -1
            elif prev < 0:
                nxt = draw_q()
                p = q[nxt]
            else:
                if rng.random() < a.alpha:
                    ids, cum = succ_ids[prev], succ_cum[prev]
                    nxt = ids[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(ids) - 1)]
                else:
                    nxt = draw_q()
                p = (1.0 - a.eos) * (a.alpha * succ_p[prev].get(nxt, 0.0) + (1.0 - a.alpha) * q[nxt])
            if nxt >= 0:
                line.append(words[nxt])
                used.add(nxt)
                n_words += 1
            nll = -math.log(p)
            nll_all += nll
            if tok >= a.tokens - n_valid:
                nll_valid += nll
            tok += 1
            prev = nxt
        if line:  # finish the last line (its <eos> is one token past --tokens)
            f.write(" ".join(line) + "\n")
            n_lines += 1
    print(f"types={len(used)} words={n_words} lines={n_lines} tokens={n_words + n_lines} "
          f"floor_ppl={math.exp(nll_all / tok):.1f} "
          f"floor_ppl_valid={math.exp(nll_valid / max(n_valid, 1)):.1f}")


if __name__ == "__main__":
    main()
