#!/usr/bin/python3
"""Plots a drnn run's curves (RUN/metrics.jsonl, DESIGN §10) to a PNG.

    /usr/bin/python3 jobs/plot_run.py RUN [-o OUT.png]      (default RUN/curves.png)

Left: training loss per logged step and validation loss per evaluation (nats; the right axis
shows bits per token). Right: tokens/s and the share of time spent waiting on communication.
Needs Debian's python3-matplotlib. Exit codes as drnn's: 64 usage, 65 a metrics file that is not
JSON lines, 66 no metrics file, 74 cannot write the PNG.
"""
import argparse
import json
import math
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in jobs/
from savepng import save_png  # noqa: E402 (jobs/savepng.py, beside this script)


def die(code, msg):
    print(f"plot_run.py: {msg}", file=sys.stderr)
    sys.exit(code)


def read_metrics(path):
    train, valid = [], []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    (valid if "split" in rec else train).append(rec)
                    float(rec["step"]), float(rec["loss"])
                except (ValueError, KeyError, TypeError) as e:
                    die(65, f"{path}:{n}: not a drnn metrics record ({e}); is this a drnn run folder?")
    except UnicodeDecodeError as e:
        die(65, f"{path}: not UTF-8 text ({e.reason}); is this a drnn run folder?")
    except FileNotFoundError:
        die(66, f"{path}: no such file; give a drnn run folder (drnn-train --run-dir)")
    except OSError as e:
        die(66, f"{path}: {e.strerror}")
    if not train:
        die(65, f"{path}: no training records yet; wait for the first --log-every steps")
    return train, valid


def main():
    ap = argparse.ArgumentParser(description="plot a drnn run's metrics.jsonl to PNG")
    ap.error = lambda msg: die(64, f"{msg}; see --help")
    ap.add_argument("run", help="run folder (holds metrics.jsonl)")
    ap.add_argument("-o", "--output", help="PNG to write (default RUN/curves.png)")
    a = ap.parse_args()
    train, valid = read_metrics(os.path.join(a.run, "metrics.jsonl"))
    out = a.output or os.path.join(a.run, "curves.png")

    try:
        import matplotlib
    except ImportError:
        die(70, "matplotlib is missing: apt-get install python3-matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax.plot([r["step"] for r in train], [r["loss"] for r in train], lw=1, label="train")
    if valid:
        ax.plot([r["step"] for r in valid], [r["loss"] for r in valid], "o-", label=valid[0]["split"])
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats)")
    bits = ax.secondary_yaxis("right", functions=(lambda x: x / math.log(2), lambda b: b * math.log(2)))
    bits.set_ylabel("bits per token")
    ax.legend()
    ax.set_title(os.path.basename(os.path.abspath(a.run)))
    steps = [r["step"] for r in train]
    ax2.plot(steps, [r.get("tok_per_s", float("nan")) for r in train], lw=1, color="C2")
    ax2.set_xlabel("step")
    ax2.set_ylabel("tokens/s", color="C2")
    comm = ax2.twinx()
    comm.plot(steps, [100 * r.get("comm_frac", float("nan")) for r in train], lw=1, color="C3")
    comm.set_ylabel("communication %", color="C3")
    fig.tight_layout()
    save_png(fig, out, 100, "plot_run.py")
    print(f"wrote {out}: {len(train)} training and {len(valid)} evaluation records")


if __name__ == "__main__":
    main()
