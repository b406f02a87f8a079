#!/usr/bin/python3
"""Reference figures for trainer/s2s_score.h, computed independently of the C code (stdlib only).

sacreBLEU is not needed: this script implements what its BLEU(tokenize='13a', smooth_method='exp')
computes for one reference per hypothesis — the 13a tokenizer with Python's re and str methods,
clipped n-gram counts with collections.Counter, the 'exp' smoothing — and the Levenshtein
distance by the textbook table. tests/score_check.c replays the same files through the C module.

For every set S (listed in OUT/sets.txt, one name a line) it writes, one pair a line ('\\n' only):
  S.hyp.txt, S.ref.txt   text lines as given to s2s_score_add_text
  S.hyp.tok, S.ref.tok   their 13a tokenization (what s2s_score_tok13a must return)
  S.hyp.ids, S.ref.ids   id sequences as decimal numbers separated by spaces (empty line: none)
  S.expected             lines "MODE KEY VALUE", MODE text or ids, KEY one of pairs exact edits
                         hyp_len ref_len correct1..4 total1..4 (integers) exact_match edit_rate
                         bleu bp p1..p4 (floats, repr)

Usage: /usr/bin/python3 tests/reference/score_reference.py OUT_DIR
"""

import math
import os
import random
import re
import sys
from collections import Counter

ORDER = 4

# ---- 13a (sacreBLEU's Tokenizer13a: mteval-v13a's rules, then TokenizerRegexp) ----

RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]


def tok13a(line):
    line = line.rstrip()  # BLEU._preprocess_segment
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        for ent, ch in (("&quot;", '"'), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")):
            line = line.replace(ent, ch)
    line = f" {line} "
    for rx, repl in RULES:
        line = rx.sub(repl, line)
    return " ".join(line.split())


# ---- figures ----


def ngrams(toks, n):
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
        prev = cur
    return prev[len(b)]


def figures(pairs):
    """pairs: list of (hyp tokens, ref tokens). Returns dict of the counts and figures."""
    f = {"pairs": len(pairs), "exact": 0, "edits": 0, "hyp_len": 0, "ref_len": 0}
    correct, total = [0] * ORDER, [0] * ORDER
    for h, r in pairs:
        f["exact"] += h == r
        f["edits"] += levenshtein(h, r)
        f["hyp_len"] += len(h)
        f["ref_len"] += len(r)
        for n in range(1, ORDER + 1):
            hc, rc = ngrams(h, n), ngrams(r, n)
            total[n - 1] += sum(hc.values())
            correct[n - 1] += sum(min(k, rc[g]) for g, k in hc.items())
    for n in range(ORDER):
        f[f"correct{n + 1}"], f[f"total{n + 1}"] = correct[n], total[n]
    c, r = f["hyp_len"], f["ref_len"]
    f["exact_match"] = f["exact"] / len(pairs) if pairs else 0.0
    f["edit_rate"] = f["edits"] / r if r else (1.0 if f["edits"] else 0.0)
    # sacreBLEU's compute_bleu with smooth_method='exp'
    bp = 1.0 if c >= r else (math.exp(1 - r / c) if c > 0 else 0.0)
    p = [0.0] * ORDER
    bleu = 0.0
    if any(correct):
        halve = 1.0
        for n in range(ORDER):
            if total[n] == 0:
                break
            if correct[n] == 0:
                halve *= 2
                p[n] = 100.0 / (halve * total[n])
            else:
                p[n] = 100.0 * correct[n] / total[n]
        logs = [math.log(x) if x != 0.0 else -9999999999 for x in p]
        bleu = bp * math.exp(sum(logs) / ORDER)
    f["bleu"], f["bp"] = bleu, bp
    for n in range(ORDER):
        f[f"p{n + 1}"] = p[n]
    return f


# ---- the sets ----

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "It", "was", "not", "é", "naïve",
         "don't", "U.S.", "3.50", "1,000", "1990-2000", "co-op", "x"]
PUNCT = [".", ",", "!", "?", ";", ":", '"', "(", ")", "$", "%", "&amp;", "&quot;", "&lt;",
         "&gt;", "<skipped>", "-", "--", "/", "...", "'", "@", "[", "]", "{", "}", "_", "`", "~"]
SEPS = [" ", " ", " ", "", "  ", "\t", "\u00a0", "\u3000", "\u2009", "\x0b", "\x1c"]

# Hand-picked lines: each tokenization rule and its corners at least once.
CRAFTED = [
    ("Hello, world!", "Hello, world!"),
    ("It costs $3.50, ok.", "It costs $3.50 , ok ."),
    ("in 2020.", "in 2020 ."),
    ("3,000.5 and .5 and 5. and ,5", "3,000.5 and .5 and 5 . and , 5"),
    ("a..b a.,b 1.,2", "a..b, a.,b 1.,2"),
    ("pages 10-12 and a-b", "pages 10 - 12 and a - b"),
    ("&quot;hi&quot; &amp;lt; &amp;quot; AT&amp;T", '"hi" &lt; &quot; AT&T'),
    ("a <skipped> b <skip<skipped>ped>", "a b"),
    ("end-  \t", "end-"),
    ("don't (won't) [can't]", "don't ( won't ) [ can't ]"),
    ("é. naïve, ça", "é . naïve , ça"),
    ("a\u00a0b\u3000c\u2028d\x1fe", "a b c d e"),
    ("", "nothing here"),
    ("only the hypothesis", ""),
    ("", ""),
    ("the the the the the the", "the cat is on the mat"),
    ("the cat the cat the cat", "the cat sat on the cat mat"),
    ("{x}|y~z^w_v`u\\t", "{ x } | y ~ z ^ w _ v ` u \\ t"),
    ("   leading spaces", "leading spaces   "),
]


def rand_line(rng, n):
    parts = []
    for _ in range(n):
        parts.append(rng.choice(WORDS) if rng.random() < 0.75 else rng.choice(PUNCT))
        parts.append(rng.choice(SEPS))
    return "".join(parts)


def mutate(rng, toks):
    """A hypothesis from a reference's pieces: deletions, insertions, substitutions, swaps."""
    out = list(toks)
    for _ in range(rng.randrange(0, 4)):
        op = rng.randrange(4)
        i = rng.randrange(len(out) + 1)
        if op == 0 and out:
            del out[min(i, len(out) - 1)]
        elif op == 1:
            out.insert(i, rng.choice(WORDS))
        elif op == 2 and out:
            out[min(i, len(out) - 1)] = rng.choice(WORDS)
        elif op == 3 and len(out) > 1:
            j = min(i, len(out) - 2)
            out[j], out[j + 1] = out[j + 1], out[j]
    return out


def set_mixed(rng):
    pairs = list(CRAFTED)
    for _ in range(60):
        n = rng.randrange(0, 18)
        pieces = [rng.choice(WORDS) if rng.random() < 0.8 else rng.choice(PUNCT) for _ in range(n)]
        ref = " ".join(pieces)
        hyp = rand_line(rng, 0) + (rng.choice(SEPS)).join(mutate(rng, pieces))
        if rng.random() < 0.1:
            hyp = rand_line(rng, rng.randrange(1, 12))  # unrelated
        pairs.append((hyp, ref))
    return pairs


def set_no4gram(rng):
    # No 4-gram (and no 3-gram) matches anywhere: smoothing gives p3 and p4 their values.
    return [
        ("a b x c d y e", "a b c d e f"),
        ("one two zz three four", "one two three four five"),
        ("p q r s", "q p s r"),
    ]


def set_short():
    # Every hypothesis under 4 tokens: total4 = 0, so BLEU = 0 though the pairs match.
    return [("a b", "a b"), ("c d e", "c d e"), ("f", "f g h i")]


def set_empty_hyp():
    return [("", "the cat sat"), ("", "on the mat ."), ("  ", "x")]


def set_identical(rng):
    return [(line, line) for line in (rand_line(rng, rng.randrange(4, 15)) for _ in range(10))]


def set_nomatch():
    return [("a b c d e", "f g h i j k"), ("x y z w", "p q r s")]


def set_brevity(rng):
    pairs = []
    for _ in range(15):
        pieces = [rng.choice(WORDS) for _ in range(rng.randrange(6, 16))]
        pairs.append((" ".join(pieces[: len(pieces) // 2 + 1]), " ".join(pieces)))
    return pairs


def set_random_ids(rng):
    # Words w<k> (13a leaves them alone); ids include 0 and 2^32 - 1. Short random sequences over
    # a tiny vocabulary repeat n-grams, so clipping matters.
    vocab = [0, 1, 2, 3, 4294967295]
    pairs = []
    for _ in range(80):
        r = [rng.choice(vocab) for _ in range(rng.randrange(0, 12))]
        h = mutate(rng, r) if rng.random() < 0.8 else [rng.choice(vocab) for _ in range(5)]
        h = [x if isinstance(x, int) else rng.choice(vocab) for x in h]
        pairs.append((" ".join(f"w{x}" for x in h), " ".join(f"w{x}" for x in r)))
    return pairs


def write_set(out, name, pairs):
    vocab = {}  # 13a token -> id, in order of first appearance, shared by hyp and ref
    tok = [(tok13a(h), tok13a(r)) for h, r in pairs]
    ids = [tuple([vocab.setdefault(t, len(vocab)) for t in s.split()] for s in p) for p in tok]
    if name == "random_ids":  # the ids the words spell, not interned ones
        ids = [tuple([int(t[1:]) for t in s.split()] for s in p) for p in tok]
    for k, side in ((0, "hyp"), (1, "ref")):
        for ext, rows in (("txt", [p[k] for p in pairs]), ("tok", [t[k] for t in tok]),
                          ("ids", [" ".join(map(str, i[k])) for i in ids])):
            with open(os.path.join(out, f"{name}.{side}.{ext}"), "w", encoding="utf-8",
                      newline="\n") as f:
                for row in rows:
                    assert "\n" not in row
                    f.write(row + "\n")
    with open(os.path.join(out, f"{name}.expected"), "w") as f:
        for mode, toks in (("text", [(h.split(), r.split()) for h, r in tok]), ("ids", ids)):
            for key, val in figures(toks).items():
                f.write(f"{mode} {key} {val!r}\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(9)
    sets = {
        "mixed": set_mixed(rng),
        "no4gram": set_no4gram(rng),
        "short": set_short(),
        "empty_hyp": set_empty_hyp(),
        "identical": set_identical(rng),
        "nomatch": set_nomatch(),
        "brevity": set_brevity(rng),
        "random_ids": set_random_ids(rng),
    }
    for name, pairs in sets.items():
        write_set(out, name, pairs)
    with open(os.path.join(out, "sets.txt"), "w") as f:
        f.write("".join(name + "\n" for name in sets))
    print(f"score_reference: {len(sets)} sets in {out}")


if __name__ == "__main__":
    main()
