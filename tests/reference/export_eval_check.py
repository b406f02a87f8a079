#!/usr/bin/python3
"""PyTorch side of tests/test_export_eval.sh (DESIGN §3, §4, §8).

Loads a drnn-export file into the equivalent torch module with load_state_dict(strict=True),
scores a text file as one continuous stream (the cross-entropy of every token given all tokens
before it; the first token has no target) and compares with the JSON that
`drnn-eval --ckpt MODEL.h5 --text FILE --json` printed: loss within 1e-5 relative, token and
<unk> counts equal. The text is tokenized here independently of drnn, by DESIGN §6's rules.
A model with the attribute softmax = "adaptive" gets nn.AdaptiveLogSoftmaxWithLoss(H, V,
cutoffs, div_value, head_bias=False) as its decoder, and the loss is that module's .loss (and,
as a second figure, the mean of -log_prob at the targets).

Usage: export_eval_check.py MODEL.h5 TEXT_FILE EVAL_STDOUT_FILE
Exit status 0 when everything matches, 1 otherwise (each failure printed as FAIL: ...).
"""

import json
import math
import re
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

REL_TOL = 1e-5
ATTRS = ("format", "version", "model", "cell", "embed", "hidden", "layers", "bidirectional",
         "tokenizer", "vocab_size")
JSON_KEYS = {"loss", "ppl", "bpt", "tokens", "unknown"}


class LM(nn.Module):
    """Embedding -> nn.RNN/GRU/LSTM (seq-first) -> Linear (or the adaptive softmax): the module
    drnn's names copy."""

    def __init__(self, cell, V, E, H, L, adaptive=None):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        if cell == "gru":
            self.rnn = nn.GRU(E, H, num_layers=L)
        elif cell == "lstm":
            self.rnn = nn.LSTM(E, H, num_layers=L)
        else:
            self.rnn = nn.RNN(E, H, num_layers=L,
                              nonlinearity="relu" if cell == "rnn_relu" else "tanh")
        if adaptive:
            cutoffs, div_value = adaptive
            self.decoder = nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, div_value=div_value,
                                                         head_bias=False)
        else:
            self.decoder = nn.Linear(H, V)

    def losses(self, x, y):
        """Mean cross-entropy of targets y [n] after inputs x [n] (one stream, zero state): the
        figure, and for the adaptive softmax also the same from log_prob."""
        out, _ = self.rnn(self.embedding(x.unsqueeze(1)))
        out = out.squeeze(1)
        if isinstance(self.decoder, nn.Linear):
            return [nn.functional.cross_entropy(self.decoder(out).double(), y).item()]
        lp = self.decoder.log_prob(out)
        return [self.decoder(out, y).loss.item(),
                -lp.double().gather(1, y.unsqueeze(1)).mean().item()]


def attr_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def tokenize(data, tokenizer, vocab):
    """bytes -> ids by DESIGN §6 (valid UTF-8 assumed for char)."""
    if tokenizer == "byte":
        return list(data)
    index = {s.encode(): i for i, s in enumerate(vocab)}
    if tokenizer == "char":
        return [index.get(ch.encode() if ch != "\0" else b"", 0) for ch in data.decode("utf-8")]
    ids = []
    for w in re.findall(rb"\n|[^ \t\r\v\f\n]+", data):
        ids.append(1 if w == b"\n" else (index.get(w, 0) if len(w) <= 1024 and b"\0" not in w
                                         else 0))
    return ids


def main():
    model_path, text_path, eval_path = sys.argv[1:4]
    fails = []
    with h5py.File(model_path, "r") as f:
        missing = [a for a in ATTRS if a not in f.attrs]
        if missing:
            fails.append(f"{model_path} lacks attributes {missing}")
        a = {k: (attr_str(f.attrs[k]) if isinstance(f.attrs[k], (str, bytes)) else int(f.attrs[k]))
             for k in ATTRS if k in f.attrs}
        vocab = [attr_str(s) for s in f["vocab"][...]]
        adaptive = None
        if attr_str(f.attrs.get("softmax", "full")) == "adaptive":
            adaptive = ([int(c) for c in f.attrs["cutoffs"]], float(f.attrs["div_value"]))
        sd = {k: torch.from_numpy(f[k][...]) for k in f if k != "vocab"}
        dtypes = {k: str(f[k].dtype) for k in f if k != "vocab"}
    if missing:
        return fails
    if a["format"] != "drnn-model" or a["model"] != "lm" or a["bidirectional"] != 0:
        fails.append(f"unexpected attributes {a}")
    if len(vocab) != a["vocab_size"]:
        fails.append(f"/vocab has {len(vocab)} entries, vocab_size is {a['vocab_size']}")
    bad_dtypes = {k: d for k, d in dtypes.items() if d != "float32"}
    if bad_dtypes:
        fails.append(f"tensors not float32: {bad_dtypes}")

    torch.set_num_threads(1)
    model = LM(a["cell"], a["vocab_size"], a["embed"], a["hidden"], a["layers"], adaptive)
    # strict=True: every state_dict key present, no extra tensor, shapes equal (raises otherwise).
    model.load_state_dict(sd, strict=True)
    print(f"load_state_dict(strict=True): ok ({len(sd)} tensors, cell {a['cell']}, "
          f"layers {a['layers']}{', adaptive softmax %s' % (adaptive,) if adaptive else ''})")

    with open(text_path, "rb") as t:
        ids = tokenize(t.read(), a["tokenizer"], vocab)
    x = torch.tensor(ids, dtype=torch.long)
    losses = {}
    with torch.no_grad():
        for name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
            for k, v in enumerate(model.to(dtype).losses(x[:-1], x[1:])):
                losses[name + (" log_prob" if k else "")] = v
    unknown = sum(1 for i in ids[1:] if i == 0) if a["tokenizer"] != "byte" else 0

    raw = open(eval_path).read()
    try:
        got = json.loads(raw)  # the whole stdout must be one JSON object
    except ValueError as e:
        return fails + [f"drnn-eval --json stdout is not one JSON object ({e}): {raw[:200]!r}"]
    if not isinstance(got, dict) or set(got) != JSON_KEYS:
        return fails + [f"drnn-eval --json keys {sorted(got)} != {sorted(JSON_KEYS)}"]
    for name, want in losses.items():
        rel = abs(got["loss"] - want) / abs(want)
        print(f"loss: drnn-eval {got['loss']:.9g}, torch {name} {want:.9g}, rel diff {rel:.2e}")
        if not rel <= REL_TOL:
            fails.append(f"drnn-eval loss {got['loss']} vs torch {name} {want}: rel {rel:.2e}")
    if got["tokens"] != len(ids) - 1:
        fails.append(f"tokens {got['tokens']}, expected {len(ids) - 1} scored targets")
    if got["unknown"] != unknown:
        fails.append(f"unknown {got['unknown']}, expected {unknown}")
    if unknown == 0 and a["tokenizer"] != "byte":
        fails.append("the text has no <unk> target: the unknown count went untested")
    if not math.isclose(got["ppl"], math.exp(got["loss"]), rel_tol=1e-6):
        fails.append(f"ppl {got['ppl']} != exp(loss)")
    if not math.isclose(got["bpt"], got["loss"] / math.log(2), rel_tol=1e-6):
        fails.append(f"bpt {got['bpt']} != loss / ln 2")
    return fails


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: export_eval_check.py MODEL.h5 TEXT_FILE EVAL_STDOUT_FILE")
    failures = main()
    for msg in failures:
        print("FAIL: " + msg)
    sys.exit(1 if failures else 0)
