#!/usr/bin/python3
"""Compare a training run's figures with a committed fixture.

usage: fixture_compare.py FIXTURE NOW REL_TOL
Both files hold lines of words and numbers ("gru train 3 3.78014306", "gru params 1234 ...").
Words must be equal; numbers equal within REL_TOL relative (of the larger magnitude). Prints
whether the figures are bit-identical or the largest relative difference, and every line that
is off. Exit 0 when all agree, 1 otherwise.
"""
import sys


def num(word):
    try:
        return float(word)
    except ValueError:
        return None


fixture, now, tol = open(sys.argv[1]).read().split("\n"), open(sys.argv[2]).read().split("\n"), float(sys.argv[3])
bad, worst = [], 0.0
if len(fixture) != len(now):
    bad.append(f"{len(fixture) - 1} lines in the fixture, {len(now) - 1} now")
for i, (a, b) in enumerate(zip(fixture, now)):
    wa, wb = a.split(), b.split()
    ok = len(wa) == len(wb)
    for x, y in zip(wa, wb):
        fx, fy = num(x), num(y)
        if fx is None or fy is None:
            ok = ok and x == y
            continue
        rel = abs(fx - fy) / max(abs(fx), abs(fy), 1e-30)
        worst = max(worst, rel)
        ok = ok and rel <= tol
    if not ok:
        bad.append(f"line {i + 1}: fixture '{a}', now '{b}'")
if bad:
    print("differs from the fixture beyond %g relative:\n  %s" % (tol, "\n  ".join(bad[:20])))
    sys.exit(1)
if fixture == now:
    print("bit-identical")
else:
    print(f"within {worst:.2g} relative (another BLAS kernel or summation order; limit {tol:g})")
