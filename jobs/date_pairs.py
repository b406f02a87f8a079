#!/usr/bin/python3
"""Writes the date-normalization task as source<TAB>target lines for drnn-prep --format pairs.

Sources are dates the way people write them, in a dozen formats ("tuesday, march 12, 1987",
"12/03/87", "the 3rd of may 2001", "Mar 12 1987", "1987.3.12", ...); the target is the ISO date
"1987-03-12". A character-level seq2seq model with attention learns it in a couple of minutes,
and its attention matrix shows which characters of the source each output digit reads: the
classic small demonstration of attention.

    /usr/bin/python3 jobs/date_pairs.py --n 20000 --seed 1 -o train.tsv

Deterministic for a seed; standard library only. Years 1950-2049; "12/03/87"-style dates are
day/month/year, two-digit years 50-99 -> 19xx, 00-49 -> 20xx.
"""
import argparse
import datetime
import random
import sys

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def render(d, rng):
    m, mon, day = d.month, MONTHS[d.month - 1], DAYS[d.weekday()]
    y2 = f"{d.year % 100:02d}"
    forms = [
        f"{mon} {d.day}, {d.year}",
        f"{day}, {mon} {d.day}, {d.year}",
        f"{d.day} {mon} {d.year}",
        f"{d.day} {mon[:3]} {d.year}",
        f"{mon[:3]} {d.day} {d.year}",
        f"the {ordinal(d.day)} of {mon} {d.year}",
        f"{mon} {ordinal(d.day)}, {d.year}",
        f"{d.day:02d}/{m:02d}/{d.year}",
        f"{d.day}/{m}/{y2}",
        f"{d.day:02d}.{m:02d}.{d.year}",
        f"{d.year}.{m}.{d.day}",
        f"{day[:3]} {d.day} {mon[:3]} {y2}",
    ]
    s = rng.choice(forms)
    style = rng.random()
    if style < 0.3:
        s = s.title()
    elif style < 0.4:
        s = s.upper()
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, required=True, help="number of pairs")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("-o", "--output", help="file to write (default: stdout)")
    a = ap.parse_args()
    if a.n < 0:
        print("date_pairs.py: --n must be >= 0", file=sys.stderr)
        sys.exit(64)
    rng = random.Random(a.seed)
    start, span = datetime.date(1950, 1, 1), (datetime.date(2049, 12, 31) - datetime.date(1950, 1, 1)).days
    out = open(a.output, "w", encoding="utf-8") if a.output else sys.stdout
    for _ in range(a.n):
        d = start + datetime.timedelta(days=rng.randrange(span + 1))
        out.write(f"{render(d, rng)}\t{d.isoformat()}\n")
    if a.output:
        out.close()


if __name__ == "__main__":
    main()
