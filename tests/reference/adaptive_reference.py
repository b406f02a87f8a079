#!/usr/bin/python3
"""PyTorch reference dumps for drnn's LM with the adaptive softmax (--softmax adaptive, DESIGN §3,
§4), replayed by tests/test_reference.c like lm_reference.py's "lm" cases.

The model: Embedding(V, E) -> nn.RNN/GRU/LSTM(E, H, num_layers=L) (seq-first) ->
nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, div_value, head_bias=False) under the name
"decoder"; loss = its .loss (the mean negative log-likelihood) over all T*B positions.

A case file holds what an lm_reference.py "lm" case holds (attributes, every state_dict tensor,
keys, inputs, targets, h0/hT (c0/cT), loss, grad/<key>) plus
  attributes   softmax = "adaptive", cutoffs (int64 [n]), div_value (float64)
  log_prob     float32 [T*B, V]: decoder.log_prob of the final layer's outputs (time-major rows)
Targets reach every tail cluster, except in the case that leaves one cluster without targets on
purpose (PyTorch then leaves its gradients None: they are written as zeros, which drnn must give).

cases.txt starts with "# cover adaptive": test_reference then requires a 1-layer and a stacked
adaptive case of every cell it implements.

Usage: /usr/bin/python3 tests/reference/adaptive_reference.py OUT_DIR
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from lm_reference import (CELLS, make_rnn, out_dir, write_cases, write_header,  # noqa: E402
                          write_params, write_state)

# V large enough for three clusters of a few ids each; every size distinct.
T, B, V, E, H = 6, 5, 29, 5, 12
SEED = 4321
# (cell, layers, cutoffs, div_value, cluster left without targets or None). div 2 gives
# projections 6, 3, 1 of H = 12; div 1.7 gives 7, 4 (Python's float floor division).
CASES = [(cell, layers, (4, 11, 20), 2.0, None) for cell in CELLS for layers in (1, 2)]
CASES += [("gru", 2, (6, 15), 1.7, None), ("lstm", 2, (5, 9, 17), 2.0, 1),
          ("rnn", 2, (3,), 4.0, None)]


class AdaptiveLM(nn.Module):
    """drnn's LM with --softmax adaptive: its state_dict keys are drnn's tensor names (§4)."""

    def __init__(self, cell, layers, cutoffs, div_value):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.rnn = make_rnn(cell, layers, inputs=E, hidden=H)
        self.decoder = nn.AdaptiveLogSoftmaxWithLoss(H, V, list(cutoffs), div_value=div_value,
                                                     head_bias=False)


def case_name(cell, layers, cutoffs, div_value, empty):
    tail = f"_empty{empty}" if empty is not None else ""
    return f"adaptive_{cell}_l{layers}_c{'-'.join(map(str, cutoffs))}_d{div_value:g}{tail}.h5"


def make_targets(cutoffs, empty):
    """Random targets with at least one in every tail cluster (none in cluster `empty`)."""
    bounds = list(cutoffs) + [V]
    targets = torch.randint(0, V, (T * B,))
    if empty is not None:
        lo, hi = bounds[empty], bounds[empty + 1]
        inside = (targets >= lo) & (targets < hi)
        targets[inside] = torch.randint(0, cutoffs[0], (int(inside.sum()),))
    for i in range(len(cutoffs)):
        if i != empty:
            targets[3 * i + 1] = bounds[i] + (i % (bounds[i + 1] - bounds[i]))
    return targets.reshape(T, B)


def make_case(index, cell, layers, cutoffs, div_value, empty, path):
    torch.manual_seed(SEED + 100 * index)
    model = AdaptiveLM(cell, layers, cutoffs, div_value).float()
    inputs = torch.randint(0, V, (T, B))
    targets = make_targets(cutoffs, empty)
    h0 = torch.rand(layers, B, H) - 0.5
    c0 = torch.rand(layers, B, H) - 0.5
    state = (h0, c0) if cell == "lstm" else h0

    out, final = model.rnn(model.embedding(inputs), state)
    rows = out.reshape(T * B, H)  # time-major: position (t, b) is row t*B + b, as in drnn
    loss = model.decoder(rows, targets.reshape(T * B)).loss
    loss.backward()
    with torch.no_grad():
        log_prob = model.decoder.log_prob(rows)

    with h5py.File(path, "w") as f:
        sizes = (("vocab", V), ("embed", E), ("hidden", H), ("T", T), ("B", B))
        write_header(f, "lm", cell, layers, sizes)
        f.attrs["softmax"] = "adaptive"
        f.attrs["cutoffs"] = np.asarray(cutoffs, dtype=np.int64)
        f.attrs["div_value"] = np.float64(div_value)
        write_params(f, model, os.path.basename(path),
                     lambda key: empty is not None and key.startswith(f"decoder.tail.{empty}."))
        f.create_dataset("inputs", data=inputs.numpy().astype(np.uint32))
        f.create_dataset("targets", data=targets.numpy().astype(np.uint32))
        write_state(f, cell, h0, c0, final)
        f.create_dataset("loss", data=np.float64(loss.item()))
        f.create_dataset("log_prob", data=log_prob.numpy().astype(np.float32))
    return loss.item()


def main():
    out = out_dir("adaptive_reference.py")
    cases = [(case_name(cell, layers, cutoffs, div_value, empty),
              lambda p, i=i, c=(cell, layers, cutoffs, div_value, empty): make_case(i, *c, p))
             for i, (cell, layers, cutoffs, div_value, empty) in enumerate(CASES)]
    write_cases(out, "adaptive", cases)


if __name__ == "__main__":
    main()
