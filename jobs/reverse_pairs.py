#!/usr/bin/python3
"""Writes the "reverse" toy task for a seq2seq model as pair lines for drnn-prep --format pairs.

    /usr/bin/python3 jobs/reverse_pairs.py --n 5000 --seed 1 [--min-len 5] [--max-len 15]
        [--symbols 20] [-o FILE]                                     (default: stdout)

Each of the N lines is "source<TAB>target": the source a sequence of min-len to max-len symbols
(lengths and symbols uniform), the target the same symbols in reverse order. Symbols are words,
separated by single spaces: a, b, ..., z, then aa, ab, ... (--symbols of them), so drnn-prep's
default word tokenizer gives --symbols + 4 ids per vocabulary. The output depends only on the
options: the generator is splitmix64 keyed by --seed, not Python's random, so it does not change
with the Python version. Standard library only. Exit codes as drnn's: 64 usage, 74 cannot write.

    /usr/bin/python3 jobs/reverse_pairs.py --n 5000 --seed 1 -o rev.tsv
    build/drnn-prep --format pairs --shared-vocab -o rev.h5 rev.tsv
"""
import argparse
import sys

MASK = (1 << 64) - 1


def die(code, msg):
    print(f"reverse_pairs.py: {msg}", file=sys.stderr)
    sys.exit(code)


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        """Uniform in [0, n): rejection sampling, no modulo bias."""
        limit = (1 << 64) - (1 << 64) % n
        while True:
            x = self.next()
            if x < limit:
                return x % n


def symbol_name(i):
    """0 -> a, 25 -> z, 26 -> aa, 27 -> ab, ... (bijective base 26)."""
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(ord("a") + r) + name
    return name


def pairs(n, seed, min_len, max_len, nsym):
    rng = SplitMix64(seed)
    names = [symbol_name(i) for i in range(nsym)]
    for _ in range(n):
        length = min_len + rng.below(max_len - min_len + 1)
        src = [names[rng.below(nsym)] for _ in range(length)]
        yield " ".join(src) + "\t" + " ".join(reversed(src)) + "\n"


def main():
    ap = argparse.ArgumentParser(description="the reverse toy task as source<TAB>target lines")
    ap.error = lambda msg: die(64, f"{msg}; see --help")
    ap.add_argument("--n", type=int, required=True, help="number of pairs")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--min-len", type=int, default=5, help="shortest source (default 5)")
    ap.add_argument("--max-len", type=int, default=15, help="longest source (default 15)")
    ap.add_argument("--symbols", type=int, default=20, help="distinct symbols (default 20)")
    ap.add_argument("-o", "--output", help="file to write (default: stdout)")
    a = ap.parse_args()
    if a.n < 0:
        die(64, "--n must be >= 0")
    if a.seed < 0:
        die(64, "--seed must be >= 0")
    if not 1 <= a.min_len <= a.max_len:
        die(64, "need 1 <= --min-len <= --max-len")
    if not 1 <= a.symbols <= 100000:
        die(64, "--symbols must be in 1..100000")
    lines = pairs(a.n, a.seed, a.min_len, a.max_len, a.symbols)
    try:
        if a.output:
            with open(a.output, "w", encoding="ascii") as f:
                f.writelines(lines)
        else:
            sys.stdout.writelines(lines)
            sys.stdout.flush()
    except OSError as e:
        die(74, f"{a.output or 'stdout'}: cannot write: {e.strerror}")


if __name__ == "__main__":
    main()
