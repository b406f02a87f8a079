#!/usr/bin/python3
"""PyTorch side of tests/test_trace.sh: the --trace-bptt figures of a drnn run against
torch.autograd.grad.

drnn-train ran one step with --lr 0 --trace-bptt (so the exported weights are the ones the trace
used) on B streams of the train split, window T, from a zero state. Here: the same LM as
nn.Embedding -> nn.RNNCell/GRUCell/LSTMCell per layer run step by step (so every h_t of every
layer is its own node and dJ/dh_t is the whole derivative, through the recurrence) -> nn.Linear
(or nn.AdaptiveLogSoftmaxWithLoss for a model with softmax = "adaptive"), on the same first
window of every stream; J = the sum over streams of the cross-entropy of the last position; per
layer l and position t the mean over streams of ||dJ/dh_t|| (each stream's J depends on its own
states only). Compared with the record's "dJdh" within 1e-5 relative (1e-7 absolute for tiny
values).

Usage: trace_reference.py MODEL.h5 CORPUS.h5 METRICS.jsonl B T
"""
import json
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

sys.dont_write_bytecode = True


def attr(f, k):
    v = f.attrs[k]
    return v.decode() if isinstance(v, bytes) else v


def main():
    model_path, corpus_path, metrics_path, B, T = sys.argv[1:6]
    B, T = int(B), int(T)
    torch.set_num_threads(1)
    f = h5py.File(model_path, "r")
    cell, L = attr(f, "cell"), int(f.attrs["layers"])
    V, E, H = int(f.attrs["vocab_size"]), int(f.attrs["embed"]), int(f.attrs["hidden"])
    t = lambda k: torch.from_numpy(np.asarray(f[k], dtype=np.float32))  # noqa: E731
    emb = nn.Embedding(V, E)
    emb.weight.data = t("embedding.weight")
    cells = []
    for l in range(L):
        inp = E if l == 0 else H
        mod = {"gru": nn.GRUCell, "lstm": nn.LSTMCell}.get(cell)
        m = mod(inp, H) if mod else nn.RNNCell(inp, H, nonlinearity="relu" if cell == "rnn_relu" else "tanh")
        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(m, w).data = t(f"rnn.{w}_l{l}")
        cells.append(m)
    if "softmax" in f.attrs and attr(f, "softmax") == "adaptive":
        dec = nn.AdaptiveLogSoftmaxWithLoss(H, V, [int(c) for c in f.attrs["cutoffs"]],
                                            div_value=float(f.attrs["div_value"]), head_bias=False)
        dec.load_state_dict({k[len("decoder."):]: t(k) for k in f if k.startswith("decoder.")},
                            strict=True)
    else:
        dec = nn.Linear(H, V)
        dec.weight.data, dec.bias.data = t("decoder.weight"), t("decoder.bias")

    tok = np.asarray(h5py.File(corpus_path, "r")["train/tokens"], dtype=np.int64)
    S = len(tok) // B
    x = torch.tensor(np.stack([tok[j * S: j * S + T] for j in range(B)], 1))            # [T, B]
    y = torch.tensor(np.stack([tok[j * S + 1: j * S + T + 1] for j in range(B)], 1))
    # Step by step, so every h_t of every layer is a node of its own: dJ/dh_t is then the whole
    # derivative, through the recurrence and the layers above, as the lecture means it.
    hs = [[None] * T for _ in range(L)]
    state = [(torch.zeros(B, H), torch.zeros(B, H)) if cell == "lstm" else torch.zeros(B, H)
             for _ in range(L)]
    for k in range(T):
        inp = emb(x[k])
        for l in range(L):
            state[l] = cells[l](inp, state[l])
            hs[l][k] = state[l][0] if cell == "lstm" else state[l]
            inp = hs[l][k]
    if isinstance(dec, nn.Linear):
        J = nn.functional.cross_entropy(dec(hs[-1][T - 1]), y[T - 1], reduction="sum")
    else:
        J = -dec(hs[-1][T - 1], y[T - 1]).output.sum()
    flat = [h for row in hs for h in row]
    grads = torch.autograd.grad(J, flat, allow_unused=True)
    want = [[0.0 if grads[l * T + k] is None else float(grads[l * T + k].norm(dim=1).mean())
             for k in range(T)] for l in range(L)]                                     # [L][T]

    rec = [json.loads(l) for l in open(metrics_path) if '"dJdh"' in l][0]
    got = rec["dJdh"]
    worst = 0.0
    for l in range(L):
        for k in range(T):
            w, g = want[l][k], got[l][k]
            worst = max(worst, abs(g - w) / max(abs(w), 1e-7 / 1e-5))
    top = want[-1]
    print(f"{cell} L={L}: {L}x{T} norms, max relative difference {worst:.2e}; "
          f"top layer ||dJ/dh_t|| from t=T: {top[-1]:.4g}, t=T-{T // 2}: {top[T - 1 - T // 2]:.4g}, "
          f"t=1: {top[0]:.4g}")
    sys.exit(0 if worst <= 1e-5 else 1)


if __name__ == "__main__":
    main()
