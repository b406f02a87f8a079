#!/usr/bin/python3
"""PyTorch reference dumps for drnn's language model (DESIGN §3, §4).

For every case in CASES this builds Embedding(V, E) -> nn.RNN/GRU/LSTM(E, H, num_layers=L)
(seq-first) -> Linear(H, V) in float32 from a fixed torch seed, runs one window from a random
carried-in state, takes the mean cross-entropy over all T*B positions and its backward, and writes
one HDF5 file per case that tests/test_reference.c replays through drnn:

  attributes   format="drnn-reference", version, cell, layers, vocab, embed, hidden, T, B, torch
  <key>        every state_dict tensor under its state_dict key (embedding.weight, rnn.*, decoder.*)
  keys         the state_dict keys in order (so the C side can see tensors drnn lacks)
  inputs       uint32 [T, B] time-major token ids; targets likewise
  h0, hT       [L, B, H] carried-in and final hidden state (c0, cT too for lstm)
  loss         float64 scalar: the float32 mean cross-entropy in nats
  grad/<key>   d loss / d tensor

The file list goes to OUT/cases.txt. Every cell PyTorch has is generated whether or not drnn
implements it yet; the C test reports the ones drnn lacks as SKIPPED. A new case is one more
entry in CASES.

Usage: /usr/bin/python3 tests/reference/lm_reference.py OUT_DIR
"""

import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

FORMAT, VERSION = "drnn-reference", 1

# (cell, layers): drnn cell names as on the --cell flag.
CASES = [(cell, layers) for cell in ("rnn", "rnn_relu", "gru", "lstm") for layers in (1, 2)]

# Small but with every dimension distinct (E != H != V, T != B) so shape or transpose mix-ups
# cannot cancel out.
T, B, V, E, H = 7, 3, 11, 5, 6
SEED = 1234


class LM(nn.Module):
    """The module whose state_dict keys drnn's parameter table copies (DESIGN §4)."""

    def __init__(self, cell, layers):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        if cell == "gru":
            self.rnn = nn.GRU(E, H, num_layers=layers)
        elif cell == "lstm":
            self.rnn = nn.LSTM(E, H, num_layers=layers)
        elif cell in ("rnn", "rnn_relu"):
            nl = "relu" if cell == "rnn_relu" else "tanh"
            self.rnn = nn.RNN(E, H, num_layers=layers, nonlinearity=nl)
        else:
            raise ValueError(f"unknown cell {cell!r}")
        self.decoder = nn.Linear(H, V)

    def forward(self, inputs, state):
        out, state = self.rnn(self.embedding(inputs), state)
        return self.decoder(out), state


def case_name(cell, layers):
    return f"lm_{cell}_l{layers}.h5"


def make_case(cell, layers, path):
    # One seed per case, so adding or reordering cases leaves the others' numbers unchanged.
    torch.manual_seed(SEED + 100 * CASES.index((cell, layers)))
    model = LM(cell, layers).float()
    inputs = torch.randint(0, V, (T, B))
    targets = torch.randint(0, V, (T, B))
    # A non-zero carried-in state exercises the h_0 path of the first step.
    h0 = torch.rand(layers, B, H) - 0.5
    c0 = torch.rand(layers, B, H) - 0.5
    state = (h0, c0) if cell == "lstm" else h0

    logits, final = model(inputs, state)
    # Time-major flattening: position (t, b) is row t*B + b, as in drnn.
    loss = nn.functional.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B))
    loss.backward()

    sd = model.state_dict()
    named = dict(model.named_parameters())
    with h5py.File(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        f.attrs["cell"] = cell
        f.attrs["layers"] = layers
        for k, v in (("vocab", V), ("embed", E), ("hidden", H), ("T", T), ("B", B)):
            f.attrs[k] = v
        f.attrs["torch"] = str(torch.__version__)  # a str subclass h5py rejects
        f.create_dataset("keys", data=list(sd.keys()), dtype=h5py.string_dtype())
        for key, tensor in sd.items():
            f.create_dataset(key, data=tensor.detach().numpy().astype(np.float32))
            grad = named[key].grad
            if grad is None:
                raise RuntimeError(f"{case_name(cell, layers)}: {key} got no gradient")
            f.create_dataset("grad/" + key, data=grad.numpy().astype(np.float32))
        f.create_dataset("inputs", data=inputs.numpy().astype(np.uint32))
        f.create_dataset("targets", data=targets.numpy().astype(np.uint32))
        h_t = final[0] if cell == "lstm" else final
        f.create_dataset("h0", data=h0.numpy())
        f.create_dataset("hT", data=h_t.detach().numpy())
        if cell == "lstm":
            f.create_dataset("c0", data=c0.numpy())
            f.create_dataset("cT", data=final[1].detach().numpy())
        f.create_dataset("loss", data=np.float64(loss.item()))
    return loss.item()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: lm_reference.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)  # deterministic sums, and gentle on shared machines
    names = []
    for cell, layers in CASES:
        name = case_name(cell, layers)
        loss = make_case(cell, layers, os.path.join(out, name))
        print(f"{name}: loss {loss:.7f}")
        names.append(name)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()
