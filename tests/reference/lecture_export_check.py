#!/usr/bin/python3
"""PyTorch side of tests/test_lecture.sh: the lecture's model (--residual, --self-attention) of a
classifier or a tagger, exported by drnn-export, against the documented PyTorch module

    embedding      = nn.Embedding(V, E)
    encoder        = ResidualRNN(nn.LSTM/GRU/RNN(E, H, num_layers=L, bidirectional=bi),
                                 residual)                      (tests/reference/residual_rnn.py)
    self_attn      = nn.MultiheadAttention(D, heads)            (D = H or 2H, batch_first=False)
    self_attn_norm = nn.LayerNorm(D)
    y = encoder(embedding(x), lengths)
    z = self_attn_norm(y + self_attn(y, y, y, key_padding_mask=(t >= len))[0])
    classifier: classifier = nn.Linear(D, C) on the pool of z over each row's real positions
                (last: forward half at the last token, reverse half at the first; mean; max)
    tagger:     tagger = nn.Linear(D, C) at every real position

The file's tensors load with load_state_dict(strict=True) (a missing or extra key or a wrong
shape raises). The whole valid split runs as one padded batch [T, B] (rows of different lengths:
key_padding_mask and the padding of the encoder matter), in eval mode. Checks:
  - WORDS_FILE (one input line per valid example: a classifier's text, a tagger's word side)
    maps through the model's /vocab (unseen: <unk>) to the corpus's valid token ids;
  - SAMPLE_OUT (`drnn-sample --input WORDS_FILE`) equals PyTorch's predictions line by line: a
    classifier's "LABEL<TAB>P" (P within 1e-4), a tagger's space-separated tags;
  - EVAL_JSON (`drnn-eval --json`, its whole stdout): accuracy within 1e-6 of PyTorch's (a
    classifier's over examples, a tagger's over tokens), loss (mean cross-entropy) within 1e-5
    relative;
  - ATTENTION_JSONL (optional; `drnn-sample --input WORDS_FILE --attention-out FILE`): one record
    per line, whose source and target are the line's tokens and whose matrix equals
    nn.MultiheadAttention's head-averaged weights [len, len] within 1e-5.

Usage: lecture_export_check.py MODEL.h5 CORPUS.h5 WORDS_FILE SAMPLE_OUT EVAL_JSON [ATTENTION_JSONL]
Exit status 0 when everything matches, 1 otherwise (each failure printed as FAIL: ...), 2 when
tests/reference/residual_rnn.py cannot be imported.
"""

import json
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from residual_rnn import ResidualRNN  # noqa: E402  (written next to this script)
except ImportError as e:
    print(f"FAIL: cannot import ResidualRNN from tests/reference/residual_rnn.py: {e}")
    sys.exit(2)

ACC_TOL = 1e-6
LOSS_REL_TOL = 1e-5
PROB_TOL = 1e-4
ATT_TOL = 1e-5


def attr_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def string_table(ds):
    """A model file's string dataset or a corpus's NUL-separated uint8 table."""
    a = ds[...]
    if a.dtype == np.uint8:
        return [s.decode("utf-8", "surrogateescape") for s in a.tobytes().split(b"\0")[:-1]]
    return [attr_str(s) for s in a]


class Lecture(nn.Module):
    def __init__(self, kind, cell, V, E, H, L, bi, residual, heads, C, pool):
        super().__init__()
        self.kind, self.pool = kind, pool
        self.embedding = nn.Embedding(V, E)
        if cell == "gru":
            rnn = nn.GRU(E, H, num_layers=L, bidirectional=bi)
        elif cell == "lstm":
            rnn = nn.LSTM(E, H, num_layers=L, bidirectional=bi)
        else:
            rnn = nn.RNN(E, H, num_layers=L, bidirectional=bi,
                         nonlinearity="relu" if cell == "rnn_relu" else "tanh")
        self.encoder = ResidualRNN(rnn, residual=residual)
        D = 2 * H if bi else H
        self.H = H
        if heads:
            self.self_attn = nn.MultiheadAttention(D, heads)
            self.self_attn_norm = nn.LayerNorm(D)
        else:
            self.self_attn = None
        if kind == "classifier":
            self.classifier = nn.Linear(D, C)
        else:
            self.tagger = nn.Linear(D, C)

    def forward(self, ids, lens):
        """ids [T, B] (padding anything), lens [B] -> (logits, attention weights [B, T, T] or None):
        a classifier's logits [B, C], a tagger's [T, B, C] (meaningful at real positions)."""
        T = ids.shape[0]
        y, _ = self.encoder(self.embedding(ids), lengths=lens)  # [T, B, D], 0 at padding
        att = None
        pad = torch.arange(T).unsqueeze(1) >= lens.unsqueeze(0)  # [T, B] True at padding
        if self.self_attn is not None:
            mha, att = self.self_attn(y, y, y, key_padding_mask=pad.t(), need_weights=True,
                                      average_attn_weights=True)
            y = self.self_attn_norm(y + mha)
        if self.kind == "tagger":
            return self.tagger(y), att
        y = y.masked_fill(pad.unsqueeze(2), 0.0)
        if self.pool == "mean":
            vec = y.sum(0) / lens.unsqueeze(1).to(y.dtype)
        elif self.pool == "max":
            vec = y.masked_fill(pad.unsqueeze(2), float("-inf")).max(0).values
        else:  # last: forward half after the last real token, reverse half after the first
            last = y[lens - 1, torch.arange(y.shape[1])]
            vec = torch.cat([last[:, :self.H], y[0, :, self.H:]], 1) if y.shape[2] > self.H \
                else last
        return self.classifier(vec), att


def main():
    model_path, corpus_path, words_path, sample_path, eval_path = sys.argv[1:6]
    att_path = sys.argv[6] if len(sys.argv) > 6 else None
    fails = []
    with h5py.File(model_path, "r") as f:
        a = {k: (attr_str(v) if isinstance(v, (str, bytes)) else v) for k, v in f.attrs.items()}
        vocab, names = string_table(f["vocab"]), string_table(f["labels"])
        sd = {k: torch.from_numpy(np.asarray(f[k])) for k in f if k not in ("vocab", "labels")}
    kind = a.get("model")
    if kind not in ("classifier", "tagger"):
        return [f"{model_path}: model attribute {kind!r}, expected classifier or tagger"]
    V, E, H, L = (int(a[k]) for k in ("vocab_size", "embed", "hidden", "layers"))
    bi, C = bool(int(a["bidirectional"])), int(a["classes"])
    residual, heads = bool(int(a.get("residual", 0))), int(a.get("self_attention", 0))
    pool = a.get("pool", "last")

    torch.set_num_threads(1)
    m = Lecture(kind, a["cell"], V, E, H, L, bi, residual, heads, C, pool)
    m.load_state_dict(sd, strict=True)  # raises on a missing or extra key or a wrong shape
    m.eval()
    print(f"load_state_dict(strict=True): ok ({len(sd)} tensors; {kind}, {a['cell']}, {L} "
          f"layer(s), {'bi' if bi else 'uni'}directional, residual {int(residual)}, "
          f"self-attention {heads} heads, V {V}, C {C}{', pool ' + pool if kind == 'classifier' else ''})")

    with h5py.File(corpus_path, "r") as c:
        tok, off = c["valid/tokens"][...], c["valid/offsets"][...]
        gold = c["valid/labels" if kind == "classifier" else "valid/tags"][...]
        cnames = string_table(c["labels"])
    if cnames != names:
        fails.append(f"the model's /labels {names} differ from the corpus's {cnames}")
    n = len(off) - 1
    index = {w: i for i, w in enumerate(vocab)}
    unk = index["<unk>"]
    lines = open(words_path, encoding="utf-8").read().split("\n")[:-1]
    if len(lines) != n:
        return fails + [f"{words_path} has {len(lines)} lines, the valid split {n} examples"]
    seqs = [tok[off[i]:off[i + 1]].astype(np.int64) for i in range(n)]
    for i, ids in enumerate(seqs):
        mapped = [index.get(w, unk) for w in lines[i].split()]
        if mapped != ids.tolist():
            fails.append(f"line {i + 1}: words map to {mapped} through /vocab, the corpus holds "
                         f"{ids.tolist()}")
    lens = torch.tensor([len(s) for s in seqs])
    T = int(lens.max())
    if int(lens.min()) == T:
        fails.append("every valid example has the same length: padding is not exercised")
    x = torch.zeros(T, n, dtype=torch.int64)
    for i, s in enumerate(seqs):
        x[:len(s), i] = torch.from_numpy(s)
    with torch.no_grad():
        logits, att = m(x, lens)
    logits = logits.double()

    sample = open(sample_path, encoding="utf-8").read().split("\n")[:-1]
    if len(sample) != n:
        fails.append(f"drnn-sample printed {len(sample)} lines for {n} input lines")
    mismatched = []
    if kind == "classifier":
        g = torch.from_numpy(gold.astype(np.int64))
        loss = nn.functional.cross_entropy(logits, g).item()
        pred = logits.argmax(1)
        acc = (pred == g).double().mean().item()
        prob = logits.softmax(1).max(1).values
        for i in range(min(n, len(sample))):
            got = sample[i].split("\t")
            ok = len(got) == 2 and got[0] == names[pred[i]]
            if ok:
                try:
                    ok = abs(float(got[1]) - prob[i].item()) <= PROB_TOL
                except ValueError:
                    ok = False
            if not ok:
                mismatched.append(i + 1)
                if len(mismatched) <= 3:
                    fails.append(f"line {i + 1}: drnn-sample {sample[i]!r}, PyTorch "
                                 f"'{names[pred[i]]}\t{prob[i].item():.6f}'")
        counted = f"{n} examples"
    else:
        loss_sum, right, tokens = 0.0, 0, 0
        for i in range(n):
            li = logits[:len(seqs[i]), i]
            g = torch.from_numpy(gold[off[i]:off[i + 1]].astype(np.int64))
            loss_sum += nn.functional.cross_entropy(li, g, reduction="sum").item()
            pred = li.argmax(1)
            right += int((pred == g).sum())
            tokens += len(g)
            want = " ".join(names[p] for p in pred.tolist())
            if i < len(sample) and sample[i] != want:
                mismatched.append(i + 1)
                if len(mismatched) <= 3:
                    fails.append(f"line {i + 1}: drnn-sample '{sample[i]}', PyTorch '{want}'")
        acc, loss = right / tokens, loss_sum / tokens
        counted = f"{tokens} tokens in {n} sentences"
    if mismatched:
        fails.append(f"{len(mismatched)} of {n} lines predicted differently")
    print(f"PyTorch: accuracy {acc:.6f}, loss {loss:.6f} over {counted} (lengths "
          f"{int(lens.min())}..{T}); drnn-sample agrees on {n - len(mismatched)}/{n} lines")

    raw = open(eval_path).read()
    try:
        got = json.loads(raw)  # the whole stdout must be one JSON object
    except ValueError as e:
        return fails + [f"drnn-eval --json stdout is not one JSON object ({e}): {raw[:200]!r}"]
    if not isinstance(got, dict) or not {"accuracy", "loss"} <= set(got):
        return fails + [f"drnn-eval --json lacks accuracy or loss: {raw[:200]!r}"]
    print(f"drnn-eval: accuracy {got['accuracy']:.6f}, loss {got['loss']:.6f}")
    if not abs(got["accuracy"] - acc) <= ACC_TOL:
        fails.append(f"drnn-eval accuracy {got['accuracy']}, PyTorch {acc}")
    if not abs(got["loss"] - loss) <= LOSS_REL_TOL * abs(loss):
        fails.append(f"drnn-eval loss {got['loss']}, PyTorch {loss} (relative "
                     f"{abs(got['loss'] - loss) / abs(loss):.3g})")

    if att_path is not None:
        if att is None:
            return fails + ["--attention-out given for a model without self-attention"]
        recs = [json.loads(r) for r in open(att_path, encoding="utf-8") if r.strip()]
        if len(recs) != n:
            fails.append(f"{att_path}: {len(recs)} records for {n} input lines")
        worst = 0.0
        for i, r in enumerate(recs[:n]):
            k = len(seqs[i])
            words = lines[i].split()
            if r.get("line") != i + 1 or r.get("source") != words or r.get("target") != words:
                fails.append(f"{att_path} record {i + 1}: line {r.get('line')}, source "
                             f"{r.get('source')}, expected line {i + 1} and {words}")
                continue
            w = np.asarray(r["attention"], dtype=np.float64)
            if w.shape != (k, k):
                fails.append(f"{att_path} record {i + 1}: matrix {w.shape}, expected {(k, k)}")
                continue
            d = float(np.abs(w - att[i, :k, :k].double().numpy()).max())
            worst = max(worst, d)
        if worst > ATT_TOL:
            fails.append(f"--attention-out differs from nn.MultiheadAttention's averaged weights "
                         f"by {worst:.3g} (limit {ATT_TOL})")
        print(f"--attention-out: {len(recs)} matrices, max |drnn - PyTorch| {worst:.3g}")
    return fails


if __name__ == "__main__":
    if len(sys.argv) not in (6, 7):
        sys.exit("usage: lecture_export_check.py MODEL.h5 CORPUS.h5 WORDS_FILE SAMPLE_OUT "
                 "EVAL_JSON [ATTENTION_JSONL]")
    failures = main()
    for msg in failures:
        print("FAIL: " + msg)
    sys.exit(1 if failures else 0)
