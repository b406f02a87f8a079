#!/usr/bin/python3
"""Draws the lecture's gradient story from drnn runs (metrics.jsonl with --log-grad-norms and/or
--trace-bptt) into one PNG.

    /usr/bin/python3 jobs/plot_gradients.py RUN [RUN ...] [-o OUT.png] [--labels a,b,c]

Panels, left to right: (when --trace-bptt was on) ||dJ/dh_k|| of the top layer against the
distance T - k from the last position (log scale), one curve per run (the geometric mean over
its traced steps after the first quarter of training) — rnn against gru against lstm on the same
data is one picture; the global gradient norm per logged step, one curve per run (clipped steps
marked x); the training loss; (when --log-grad-norms was on) the gradient norm of every
parameter tensor of the first run over training. Needs Debian's python3-matplotlib. Exit codes as drnn's: 64 usage, 65 a
metrics file that is not JSON lines, 66 no metrics file, 74 cannot write the PNG.
"""
import argparse
import json
import math
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in jobs/
from savepng import save_png  # noqa: E402 (jobs/savepng.py, beside this script)


def die(code, msg):
    print(f"plot_gradients.py: {msg}", file=sys.stderr)
    sys.exit(code)


def read(run):
    path = os.path.join(run, "metrics.jsonl")
    recs = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except ValueError:
                    die(65, f"{path}:{n}: not JSON")
                if "split" not in r and "loss" in r:
                    recs.append(r)
    except FileNotFoundError:
        die(66, f"{path}: no such file (is {run} a drnn run folder?)")
    if not recs:
        die(65, f"{path}: no training records")
    return recs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="run folders")
    ap.add_argument("-o", "--output", help="PNG to write (default FIRST_RUN/gradients.png)")
    ap.add_argument("--labels", help="comma-separated curve labels (default: folder names)")
    a = ap.parse_args()
    labels = a.labels.split(",") if a.labels else [os.path.basename(r.rstrip("/")) for r in a.runs]
    if len(labels) != len(a.runs):
        die(64, f"--labels: {len(labels)} labels for {len(a.runs)} runs")
    data = [read(r) for r in a.runs]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        die(70, "needs matplotlib: apt-get install python3-matplotlib")
    per_tensor = "grad_norms" in data[0][-1]
    traced = any("dJdh" in r for recs in data for r in recs)
    n = 2 + traced + per_tensor
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4.2))
    axes = list(axes)
    ax = axes.pop(0) if traced else None
    traced = False
    for recs, label in zip(data, labels):
        tr = [r for r in recs if "dJdh" in r]
        if not tr:
            continue
        traced = True
        tr = tr[len(tr) // 4:] or tr
        top = [r["dJdh"][-1] for r in tr]
        T = len(top[0])
        mean = [math.exp(sum(math.log(max(v[T - 1 - d], 1e-300)) for v in top) / len(top))
                for d in range(T)]
        ax.semilogy(range(T), mean, label=label)
    if traced:
        ax.set_xlabel("distance T - k")
        ax.set_ylabel("||dJ/dh_k|| (top layer)")
        ax.set_title("how far back the gradient reaches")
        ax.legend()
    ax = axes.pop(0)
    for recs, label in zip(data, labels):
        steps = [r["step"] for r in recs]
        ax.semilogy(steps, [max(r["grad_norm"], 1e-30) for r in recs], label=label)
        clipped = [(r["step"], r["grad_norm"]) for r in recs if r.get("clipped")]
        if clipped:
            ax.scatter(*zip(*clipped), s=6, marker="x")
    ax.set_xlabel("step")
    ax.set_ylabel("global gradient norm (x: clipped)")
    ax.set_title("gradient norm over training")
    ax.legend()
    ax = axes.pop(0)
    for recs, label in zip(data, labels):
        ax.plot([r["step"] for r in recs], [r["loss"] for r in recs], label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (nats)")
    ax.set_yscale("log")
    ax.set_title("training loss")
    ax.legend()
    if per_tensor:
        ax = axes.pop(0)
        recs = [r for r in data[0] if "grad_norms" in r]
        for name in recs[-1]["grad_norms"]:
            ax.semilogy([r["step"] for r in recs], [max(r["grad_norms"][name], 1e-30) for r in recs],
                        label=name)
        ax.set_xlabel("step")
        ax.set_title(f"per tensor ({labels[0]})")
        ax.legend(fontsize=6)
    fig.tight_layout()
    out = a.output or os.path.join(a.runs[0], "gradients.png")
    save_png(fig, out, 100, "plot_gradients.py")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
