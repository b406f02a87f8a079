#!/usr/bin/python3
"""PyTorch side of tests/test_init_from.sh: weights that move from PyTorch into drnn-train.

make: builds a torch LM (Embedding -> nn.GRU/LSTM/RNN -> Linear, PyTorch's random init from
  --seed, V = the corpus's vocab_size) and writes OUT/init.h5 with only its state_dict tensors
  (float32, as h5py writes them; no attributes, no /vocab) and OUT/init64.h5 (float64). Then it
  takes one SGD step exactly as drnn-train does on its first window (DESIGN §5): the train split
  read with h5py, B streams, stream j = tokens [jS, (j+1)S) with S = L // B; inputs [0, T),
  targets [1, T+1) of every stream, zero initial state; loss = mean cross-entropy over B*T;
  clip_grad_norm_(C); torch.optim.SGD(lr, momentum) — and writes OUT/expect.h5. It also writes
  damaged variants: missing.h5 (no rnn.bias_hh_l0), shape.h5 (decoder.weight transposed),
  int32.h5 (rnn.weight_hh_l0 as int32), extra.h5 (an extra rnn.weight_ih_l9).
  With --softmax adaptive --cutoffs c1,c2,... --div-value X the decoder is
  nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, X, head_bias=False) and the loss its .loss (the
  transposed variant then transposes decoder.head.weight).
  It exits 1 unless clipping was active and the step moved the weights by far more than the
  comparison tolerance (otherwise the test would prove nothing).

compare A.h5 B.h5 TOL: every tensor of B is in A with the same shape and max |A - B| <= TOL.

Usage: init_from_reference.py make CORPUS.h5 OUT_DIR --cell C --embed E --hidden H --layers L
           --batch B --seq-len T --lr X --momentum M --clip C --seed S
           [--softmax adaptive --cutoffs c1,c2,... --div-value X]
       init_from_reference.py compare A.h5 B.h5 TOL
"""

import argparse
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

TOL = 1e-5


class LM(nn.Module):
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
            self.decoder = nn.AdaptiveLogSoftmaxWithLoss(H, V, adaptive[0], div_value=adaptive[1],
                                                         head_bias=False)
        else:
            self.decoder = nn.Linear(H, V)

    def loss(self, inputs, targets):
        """Mean cross-entropy over every position of inputs, targets [T, B] (zero state)."""
        out, _ = self.rnn(self.embedding(inputs))
        rows, flat = out.reshape(-1, out.shape[-1]), targets.reshape(-1)
        if isinstance(self.decoder, nn.Linear):
            return nn.functional.cross_entropy(self.decoder(rows), flat)
        return self.decoder(rows, flat).loss


def write(path, tensors, dtype=np.float32, change=None):
    with h5py.File(path, "w") as f:
        for k, v in tensors.items():
            f.create_dataset(k, data=v.astype(dtype))
        if change:
            change(f)


def make(a):
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    with h5py.File(a.corpus, "r") as f:
        V = int(f.attrs["vocab_size"])
        tokens = f["train/tokens"][...].astype(np.int64)
    adaptive = None
    if a.softmax == "adaptive":
        adaptive = ([int(c) for c in a.cutoffs.split(",")], a.div_value)
    model = LM(a.cell, V, a.embed, a.hidden, a.layers, adaptive).float()
    init = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    os.makedirs(a.out, exist_ok=True)
    write(os.path.join(a.out, "init.h5"), init)
    write(os.path.join(a.out, "init64.h5"), init, np.float64)

    B, T = a.batch, a.seq_len
    S = len(tokens) // B
    inputs = np.stack([tokens[j * S: j * S + T] for j in range(B)], axis=1)  # [T, B] time-major
    targets = np.stack([tokens[j * S + 1: j * S + T + 1] for j in range(B)], axis=1)
    loss = model.loss(torch.from_numpy(inputs), torch.from_numpy(targets))
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), a.clip).item()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
    opt.step()
    after = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    write(os.path.join(a.out, "expect.h5"), after)
    moved = max(float(np.max(np.abs(after[k] - init[k]))) for k in init)
    print(f"loss {loss.item():.7f}, gradient norm {norm:.6g} (clip {a.clip}), "
          f"largest weight change {moved:.4g}")

    def drop(f):
        del f["rnn.bias_hh_l0"]

    def transpose(f):
        key = "decoder.head.weight" if adaptive else "decoder.weight"
        del f[key]
        f.create_dataset(key, data=init[key].T.copy())

    def to_int(f):
        del f["rnn.weight_hh_l0"]
        f.create_dataset("rnn.weight_hh_l0", data=np.rint(init["rnn.weight_hh_l0"]).astype(np.int32))

    def extra(f):
        f.create_dataset("rnn.weight_ih_l9", data=init["rnn.weight_ih_l0"])

    for name, change in (("missing", drop), ("shape", transpose), ("int32", to_int),
                         ("extra", extra)):
        write(os.path.join(a.out, name + ".h5"), init, change=change)

    ok = True
    if not norm > a.clip:
        print(f"FAIL: gradient norm {norm} is not above --clip {a.clip}: clipping untested")
        ok = False
    if not moved > 100 * TOL:
        print(f"FAIL: the step moved the weights by only {moved}: the comparison proves nothing")
        ok = False
    return 0 if ok else 1


def compare(path_a, path_b, tol):
    worst, where, bad = 0.0, "", []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        for k in fb:
            if k not in fa or fa[k].shape != fb[k].shape:
                bad.append(f"{k} missing or of another shape in {path_a}")
                continue
            d = float(np.max(np.abs(fa[k][...].astype(np.float64) - fb[k][...].astype(np.float64))))
            if not d <= worst:
                worst, where = d, k
    for msg in bad:
        print("FAIL: " + msg)
    print(f"max abs difference {worst:.3g} (in {where}), tolerance {tol:g}")
    return 1 if bad or not worst <= tol else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        if len(sys.argv) != 5:
            sys.exit("usage: init_from_reference.py compare A.h5 B.h5 TOL")
        return compare(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["make"])
    p.add_argument("corpus")
    p.add_argument("out")
    p.add_argument("--cell", default="gru")
    for k in ("embed", "hidden", "layers", "batch", "seq-len", "seed"):
        p.add_argument("--" + k, type=int, required=True)
    for k in ("lr", "momentum", "clip"):
        p.add_argument("--" + k, type=float, required=True)
    p.add_argument("--softmax", choices=["full", "adaptive"], default="full")
    p.add_argument("--cutoffs", default="")
    p.add_argument("--div-value", type=float, default=4.0)
    return make(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
