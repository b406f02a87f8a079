#!/usr/bin/python3
"""Draws seq2seq attention matrices (drnn-sample --attention-out FILE) as heat maps in one PNG.

    /usr/bin/python3 jobs/plot_attention.py ATTENTION.jsonl [-o OUT.png] [--lines 1,2,3]

Each panel is one translated line: source tokens across, target tokens (with <eos>) down, the
weight of source position i when the model wrote target token t in row t — the picture of the
lecture's attention slides. Default: the first four lines, next to each other. Needs Debian's
python3-matplotlib. Exit codes as drnn's: 64 usage, 65 a file that is not drnn's attention JSON
lines, 66 no such file, 74 cannot write the PNG.
"""
import argparse
import json
import sys

sys.dont_write_bytecode = True  # no __pycache__ in jobs/
from savepng import save_png  # noqa: E402 (jobs/savepng.py, beside this script)


def die(code, msg):
    print(f"plot_attention.py: {msg}", file=sys.stderr)
    sys.exit(code)


def read(path):
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                    src, tgt, att = r["source"], r["target"], r["attention"]
                    if len(att) != len(tgt) or any(len(a) != len(src) for a in att):
                        raise ValueError("attention is not target x source")
                except (ValueError, KeyError, TypeError) as e:
                    die(65, f"{path}:{n}: not an attention record of drnn-sample ({e})")
                rows.append(r)
    except FileNotFoundError:
        die(66, f"{path}: no such file (write it with drnn-sample --attention-out)")
    except OSError as e:
        die(66, f"{path}: {e.strerror}")
    if not rows:
        die(65, f"{path}: no attention records")
    return rows


def shown(tok):
    return {" ": "␣", "\t": "⇥"}.get(tok, tok)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("attention", help="drnn-sample --attention-out file")
    ap.add_argument("-o", "--output", help="PNG to write (default ATTENTION.png)")
    ap.add_argument("--lines", help="input line numbers to draw, e.g. 1,5,9 (default: first 4)")
    a = ap.parse_args()
    rows = read(a.attention)
    if a.lines:
        try:
            want = [int(x) for x in a.lines.split(",")]
        except ValueError:
            die(64, f"--lines {a.lines}: expected numbers separated by commas")
        by_line = {r["line"]: r for r in rows}
        missing = [n for n in want if n not in by_line]
        if missing:
            die(64, f"--lines: {a.attention} has no line {missing[0]}")
        rows = [by_line[n] for n in want]
    else:
        rows = rows[:4]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        die(70, "needs matplotlib: apt-get install python3-matplotlib")
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 4.2), squeeze=False)
    for ax, r in zip(axes[0], rows):
        ax.imshow(r["attention"], cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(range(len(r["source"])))
        ax.set_xticklabels([shown(t) for t in r["source"]], fontsize=8, rotation=90)
        ax.set_yticks(range(len(r["target"])))
        ax.set_yticklabels([shown(t) for t in r["target"]], fontsize=8)
        ax.set_xlabel("source")
        ax.set_title(f"line {r['line']}", fontsize=9)
    axes[0][0].set_ylabel("target")
    fig.tight_layout()
    out = a.output or (a.attention.rsplit(".", 1)[0] + ".png")
    save_png(fig, out, 110, "plot_attention.py")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
