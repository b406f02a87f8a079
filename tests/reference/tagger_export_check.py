#!/usr/bin/python3
"""PyTorch side of tests/test_tagger.sh (DESIGN §3, §4, §8; model/tagger.h).

Loads a drnn-export file of a sequence tagger into the equivalent torch module

    embedding = nn.Embedding(V, E)
    encoder   = nn.GRU/LSTM/RNN(E, H, num_layers=L, bidirectional=bi)   (batch_first=False)
    tagger    = nn.Linear(H or 2H, C)

with load_state_dict(strict=True), tags every sentence of the corpus's valid split (one sentence
at a time, zero initial state) and checks:
  - the words of WORDS_FILE (one sentence per line, the valid split's word sides), mapped to ids
    through the model file's /vocab (unseen words: <unk>), are the corpus's valid token ids;
  - the tags of every sentence equal SAMPLE_OUT (`drnn-sample --ckpt RUN --input WORDS_FILE`)
    line by line;
  - EVAL_JSON (`drnn-eval --ckpt MODEL.h5 --data CORPUS --json`, its whole stdout) is one JSON
    object whose accuracy equals PyTorch's token accuracy within 1e-6, loss the mean
    cross-entropy within 1e-5 relative, tokens and sentences the valid split's counts, and whose
    per-tag precision, recall, F1, support and macro_f1 equal the confusion matrix of PyTorch's
    predictions within 1e-6.

Usage: tagger_export_check.py MODEL.h5 CORPUS.h5 WORDS_FILE SAMPLE_OUT EVAL_JSON
Exit status 0 when everything matches, 1 otherwise (each failure printed as FAIL: ...).
"""

import json
import math
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

TOL = 1e-6
LOSS_REL_TOL = 1e-5


def attr_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def string_table(ds):
    """A model file's string dataset (array of strings) or a corpus's NUL-separated uint8 table."""
    a = ds[...]
    if a.dtype == np.uint8:
        return [s.decode("utf-8", "surrogateescape") for s in a.tobytes().split(b"\0")[:-1]]
    return [attr_str(s) for s in a]


class Tagger(nn.Module):
    def __init__(self, cell, V, E, H, L, bi, C):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        if cell == "gru":
            self.encoder = nn.GRU(E, H, num_layers=L, bidirectional=bi)
        elif cell == "lstm":
            self.encoder = nn.LSTM(E, H, num_layers=L, bidirectional=bi)
        else:
            self.encoder = nn.RNN(E, H, num_layers=L, bidirectional=bi,
                                  nonlinearity="relu" if cell == "rnn_relu" else "tanh")
        self.tagger = nn.Linear(2 * H if bi else H, C)

    def forward(self, ids):
        """ids [n] -> logits [n, C] of one sentence."""
        out, _ = self.encoder(self.embedding(ids.unsqueeze(1)))
        return self.tagger(out.squeeze(1))


def main():
    model_path, corpus_path, words_path, sample_path, eval_path = sys.argv[1:6]
    fails = []
    with h5py.File(model_path, "r") as f:
        a = {k: (attr_str(v) if isinstance(v, (str, bytes)) else v) for k, v in f.attrs.items()}
        if a.get("model") != "tagger":
            return [f"{model_path}: model attribute {a.get('model')!r}, expected 'tagger'"]
        vocab, tags = string_table(f["vocab"]), string_table(f["labels"])
        sd = {k: torch.from_numpy(np.asarray(f[k])) for k in f if k not in ("vocab", "labels")}
        dtypes = {k: str(f[k].dtype) for k in f if k not in ("vocab", "labels")}
    V, E, H, L = (int(a[k]) for k in ("vocab_size", "embed", "hidden", "layers"))
    bi, C = bool(int(a["bidirectional"])), int(a["classes"])
    if len(vocab) != V or len(tags) != C:
        fails.append(f"/vocab has {len(vocab)} entries (vocab_size {V}), /labels {len(tags)} "
                     f"(classes {C})")
    bad = {k: d for k, d in dtypes.items() if d != "float32"}
    if bad:
        fails.append(f"tensors not float32: {bad}")

    torch.set_num_threads(1)
    m = Tagger(a["cell"], V, E, H, L, bi, C)
    m.load_state_dict(sd, strict=True)  # raises on a missing or extra key or a wrong shape
    print(f"load_state_dict(strict=True): ok ({len(sd)} tensors, {a['cell']}, {L} layer(s), "
          f"{'bi' if bi else 'uni'}directional, V {V}, C {C})")

    with h5py.File(corpus_path, "r") as c:
        tok, off, gold = c["valid/tokens"][...], c["valid/offsets"][...], c["valid/tags"][...]
        ctags = string_table(c["labels"])
    if ctags != tags:
        fails.append(f"the model's /labels {tags} differ from the corpus's {ctags}")
    n = len(off) - 1
    index = {w: i for i, w in enumerate(vocab)}
    unk = index["<unk>"]
    lines = open(words_path, encoding="utf-8").read().split("\n")[:-1]
    if len(lines) != n:
        return fails + [f"{words_path} has {len(lines)} lines, the valid split {n} sentences"]

    sample = open(sample_path, encoding="utf-8").read().split("\n")[:-1]
    if len(sample) != n:
        fails.append(f"drnn-sample printed {len(sample)} lines for {n} input lines")
    conf = np.zeros((C, C), dtype=np.int64)  # rows: gold tag
    loss_sum, mismatched = 0.0, []
    with torch.no_grad():
        for i in range(n):
            ids = tok[off[i]:off[i + 1]].astype(np.int64)
            mapped = [index.get(w, unk) for w in lines[i].split()]
            if mapped != ids.tolist():
                fails.append(f"line {i + 1}: words map to {mapped} through /vocab, the corpus "
                             f"holds {ids.tolist()}")
            logits = m(torch.from_numpy(ids))
            g = torch.from_numpy(gold[off[i]:off[i + 1]].astype(np.int64))
            loss_sum += nn.functional.cross_entropy(logits.double(), g, reduction="sum").item()
            pred = logits.argmax(1).tolist()
            for gt, p in zip(g.tolist(), pred):
                conf[gt, p] += 1
            want = " ".join(tags[p] for p in pred)
            if i < len(sample) and sample[i] != want:
                mismatched.append(i + 1)
                if len(mismatched) <= 3:
                    fails.append(f"line {i + 1}: drnn-sample '{sample[i]}', PyTorch '{want}'")
    if mismatched:
        fails.append(f"{len(mismatched)} of {n} lines tagged differently")
    tokens = int(conf.sum())
    acc, loss = np.trace(conf) / tokens, loss_sum / tokens
    print(f"PyTorch: token accuracy {acc:.6f}, loss {loss:.6f} over {tokens} tokens in {n} "
          f"sentences; drnn-sample agrees on {n - len(mismatched)}/{n} lines")

    raw = open(eval_path).read()
    try:
        got = json.loads(raw)  # the whole stdout must be one JSON object
    except ValueError as e:
        return fails + [f"drnn-eval --json stdout is not one JSON object ({e}): {raw[:200]!r}"]
    want_keys = {"accuracy", "macro_f1", "loss", "tokens", "sentences", "tags"}
    if not isinstance(got, dict) or not want_keys <= set(got):
        return fails + [f"drnn-eval --json keys {sorted(got)} lack {sorted(want_keys)}"]
    print(f"drnn-eval: accuracy {got['accuracy']:.6f}, loss {got['loss']:.6f}, "
          f"macro_f1 {got['macro_f1']:.6f}")
    if not abs(got["accuracy"] - acc) <= TOL:
        fails.append(f"drnn-eval accuracy {got['accuracy']}, PyTorch {acc}")
    if not abs(got["loss"] - loss) <= LOSS_REL_TOL * abs(loss):
        fails.append(f"drnn-eval loss {got['loss']}, PyTorch {loss}")
    if got["tokens"] != tokens or got["sentences"] != n:
        fails.append(f"drnn-eval counts {got['tokens']} tokens, {got['sentences']} sentences; "
                     f"the valid split has {tokens}, {n}")
    if set(got["tags"]) != set(tags):
        return fails + [f"drnn-eval per-tag keys {sorted(got['tags'])}, tags {sorted(tags)}"]
    f1s = []
    for c in range(C):
        tp, predicted, support = conf[c, c], conf[:, c].sum(), conf[c, :].sum()
        p = tp / predicted if predicted else 0.0
        r = tp / support if support else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if predicted or support:
            f1s.append(f1)
        g = got["tags"][tags[c]]
        if g["support"] != support or any(not abs(g[k] - v) <= TOL
                                          for k, v in (("precision", p), ("recall", r),
                                                       ("f1", f1))):
            fails.append(f"tag {tags[c]}: drnn-eval {g}, PyTorch precision {p}, recall {r}, "
                         f"f1 {f1}, support {support}")
    macro = sum(f1s) / len(f1s)
    if not abs(got["macro_f1"] - macro) <= TOL:
        fails.append(f"drnn-eval macro_f1 {got['macro_f1']}, PyTorch {macro}")
    if not all(math.isfinite(x) for x in (got["accuracy"], got["loss"], got["macro_f1"])):
        fails.append("non-finite figures")
    return fails


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit("usage: tagger_export_check.py MODEL.h5 CORPUS.h5 WORDS_FILE SAMPLE_OUT EVAL_JSON")
    failures = main()
    for msg in failures:
        print("FAIL: " + msg)
    sys.exit(1 if failures else 0)
