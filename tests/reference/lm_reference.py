#!/usr/bin/python3
"""PyTorch reference dumps for drnn's language model and encoders (DESIGN §3, §4).

Two kinds of case, one HDF5 file each, replayed through drnn by tests/test_reference.c. Both run
one window of float32 math from a fixed torch seed and a random carried-in state.

kind "lm" (LM_CASES): Embedding(V, E) -> nn.RNN/GRU/LSTM(E, H, num_layers=L) (seq-first) ->
Linear(H, V); loss = mean cross-entropy over all T*B positions.

  attributes   format="drnn-reference", version, kind, cell, layers, vocab, embed, hidden, T, B,
               torch
  <key>        every state_dict tensor under its state_dict key (embedding.weight, rnn.*, decoder.*)
  keys         the state_dict keys in order (so the C side can see tensors drnn lacks)
  inputs       uint32 [T, B] time-major token ids; targets likewise
  h0, hT       [L, B, H] carried-in and final hidden state (c0, cT too for lstm)
  loss         float64 scalar: the float32 mean cross-entropy in nats
  grad/<key>   d loss / d tensor

kind "encoder" (ENC_CASES): nn.RNN/GRU/LSTM(E, H, num_layers=L, bidirectional=...) alone (drnn's
rnn_stack, DESIGN §3 "Bidirectional") on a random float input x; loss = sum(R * outputs) for a
fixed random R, so d loss / d outputs = R reaches every output position of both directions.

  attributes   format, version, kind, cell, layers, bidirectional (0/1), input, hidden, T, B, torch
  <key>        the state_dict under the prefix "encoder." (encoder.weight_ih_l0_reverse, ...)
  keys         as above
  x            float32 [T, B, E] input; grad/x its gradient
  R            float32 [T, B, D] loss weights, D = H or 2H ([fwd; bwd] as PyTorch concatenates);
               N(0, 1), a quarter of that in residual cases (see make_enc_case)
  h0, hT       [L*dirs, B, H] carried-in and final state (c0, cT too for lstm); for the reverse
               direction hT is the state after processing position 0, as PyTorch's h_n
  loss         float64 scalar: sum(R * outputs) in double over the float32 outputs
  grad/<key>   d loss / d tensor

Residual cases of both kinds (RES_LM_CASES, RES_ENC_CASES; files *_res.h5) have the attribute
residual = 1 (absent: 0): the recurrent module is residual_rnn.py's ResidualRNN around the same
nn.RNN/GRU/LSTM (same keys), whose layers from the second up add their input to their output;
h0/hT are the RNNs' own states. They have seeds of their own (RES_SEED, RES_ENC_SEED).

The file list goes to OUT/cases.txt, after a line "# cover lm encoder residual" (the kinds whose
every cell test_reference requires, and residual: 2- and 3-layer residual LM and bidirectional
encoder cases of rnn, gru and lstm; adaptive_reference.py writes "# cover adaptive"). Every cell
PyTorch has is generated whether or not drnn implements it yet; the C test reports the ones drnn lacks as SKIPPED. A new case is one more
entry in LM_CASES or ENC_CASES.

Usage: /usr/bin/python3 tests/reference/lm_reference.py OUT_DIR
"""

import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from residual_rnn import ResidualRNN  # noqa: E402  # same folder

FORMAT, VERSION = "drnn-reference", 2  # 2: kind attribute, encoder cases

CELLS = ("rnn", "rnn_relu", "gru", "lstm")  # drnn cell names as on the --cell flag
# (cell, layers)
LM_CASES = [(cell, layers) for cell in CELLS for layers in (1, 2)]
# (cell, layers, bidirectional): bidirectional is what encoders use; unidirectional as a check
# that the encoder path and the LM path agree on the plain stack.
ENC_CASES = [(cell, layers, bi) for cell in CELLS for layers in (1, 2) for bi in (True, False)]
# Residual stacks (--residual): 2 and 3 layers.
RES_LM_CASES = [(cell, layers) for cell in CELLS for layers in (2, 3)]
RES_ENC_CASES = [(cell, layers, bi) for cell in ("rnn", "gru", "lstm") for layers in (2, 3)
                 for bi in (True, False)]

# Small but with every dimension distinct (E != H != V, T != B) so shape or transpose mix-ups
# cannot cancel out.
T, B, V, E, H = 7, 3, 11, 5, 6
SEED = 1234
ENC_SEED = 98765
RES_SEED = 24680
RES_ENC_SEED = 13579


def make_rnn(cell, layers, bidirectional=False, inputs=E, hidden=H, residual=False):
    """torch's recurrent module for a drnn cell name (seq-first, float32); also used by
    classifier_reference.py with its own sizes. residual: the same module (same parameters, drawn
    alike) inside residual_rnn.py's ResidualRNN."""
    if cell == "gru":
        rnn = nn.GRU(inputs, hidden, num_layers=layers, bidirectional=bidirectional)
    elif cell == "lstm":
        rnn = nn.LSTM(inputs, hidden, num_layers=layers, bidirectional=bidirectional)
    elif cell in ("rnn", "rnn_relu"):
        nl = "relu" if cell == "rnn_relu" else "tanh"
        rnn = nn.RNN(inputs, hidden, num_layers=layers, nonlinearity=nl,
                     bidirectional=bidirectional)
    else:
        raise ValueError(f"unknown cell {cell!r}")
    return ResidualRNN(rnn) if residual else rnn


class LM(nn.Module):
    """The module whose state_dict keys drnn's parameter table copies (DESIGN §4)."""

    def __init__(self, cell, layers, residual=False):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.rnn = make_rnn(cell, layers, residual=residual)
        self.decoder = nn.Linear(H, V)

    def forward(self, inputs, state):
        out, state = self.rnn(self.embedding(inputs), state)
        return self.decoder(out), state


class Encoder(nn.Module):
    """The encoder part of the classifier and seq2seq models: state_dict keys encoder.* (§4)."""

    def __init__(self, cell, layers, bidirectional, residual=False):
        super().__init__()
        self.encoder = make_rnn(cell, layers, bidirectional, residual=residual)

    def forward(self, x, state):
        return self.encoder(x, state)


def case_name(cell, layers, residual=False):
    return f"lm_{cell}_l{layers}{'_res' if residual else ''}.h5"


def enc_case_name(cell, layers, bi, residual=False):
    return f"enc_{cell}_l{layers}_{'bi' if bi else 'uni'}{'_res' if residual else ''}.h5"


def write_header(f, kind, cell, layers, sizes):
    f.attrs["format"] = FORMAT
    f.attrs["version"] = VERSION
    f.attrs["kind"] = kind
    f.attrs["cell"] = cell
    f.attrs["layers"] = layers
    for k, v in sizes:
        f.attrs[k] = v
    f.attrs["torch"] = str(torch.__version__)  # a str subclass h5py rejects


def write_params(f, model, name, may_lack=lambda key: False):
    """state_dict tensors, their key list and grad/<key> for each. A tensor PyTorch gave no
    gradient is an error, unless may_lack(key): then its gradient is zeros, which is what it
    means (an adaptive-softmax cluster no target reached)."""
    sd = model.state_dict()
    named = dict(model.named_parameters())
    f.create_dataset("keys", data=list(sd.keys()), dtype=h5py.string_dtype())
    for key, tensor in sd.items():
        f.create_dataset(key, data=tensor.detach().numpy().astype(np.float32))
        grad = named[key].grad
        if grad is None:
            if not may_lack(key):
                raise RuntimeError(f"{name}: {key} got no gradient")
            grad = torch.zeros_like(tensor)
        f.create_dataset("grad/" + key, data=grad.numpy().astype(np.float32))


def write_state(f, cell, h0, c0, final):
    h_t = final[0] if cell == "lstm" else final
    f.create_dataset("h0", data=h0.numpy())
    f.create_dataset("hT", data=h_t.detach().numpy())
    if cell == "lstm":
        f.create_dataset("c0", data=c0.numpy())
        f.create_dataset("cT", data=final[1].detach().numpy())


def make_case(cell, layers, path, residual=False):
    # One seed per case, so adding or reordering cases leaves the others' numbers unchanged.
    if residual:
        torch.manual_seed(RES_SEED + 100 * RES_LM_CASES.index((cell, layers)))
    else:
        torch.manual_seed(SEED + 100 * LM_CASES.index((cell, layers)))
    model = LM(cell, layers, residual).float()
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

    with h5py.File(path, "w") as f:
        sizes = (("vocab", V), ("embed", E), ("hidden", H), ("T", T), ("B", B))
        write_header(f, "lm", cell, layers, sizes)
        if residual:
            f.attrs["residual"] = 1
        write_params(f, model, case_name(cell, layers, residual))
        f.create_dataset("inputs", data=inputs.numpy().astype(np.uint32))
        f.create_dataset("targets", data=targets.numpy().astype(np.uint32))
        write_state(f, cell, h0, c0, final)
        f.create_dataset("loss", data=np.float64(loss.item()))
    return loss.item()


def make_enc_case(cell, layers, bi, path, residual=False):
    if residual:
        torch.manual_seed(RES_ENC_SEED + 100 * RES_ENC_CASES.index((cell, layers, bi)))
    else:
        torch.manual_seed(ENC_SEED + 100 * ENC_CASES.index((cell, layers, bi)))
    model = Encoder(cell, layers, bi, residual).float()
    dirs = 2 if bi else 1
    x = (torch.rand(T, B, E) - 0.5).requires_grad_()
    h0 = torch.rand(layers * dirs, B, H) - 0.5
    c0 = torch.rand(layers * dirs, B, H) - 0.5
    R = torch.randn(T, B, dirs * H)
    if residual:
        # Each layer's gradient adds those of the layers above: at full scale the 3-layer rnn
        # cases' tensors reach |grad| ~16 with entries near 0.03, where float32 rounding on each
        # side (PyTorch's alone, against float64, up to 1.6x) nears the absolute tolerance 1e-6.
        R = R * 0.25
    state = (h0, c0) if cell == "lstm" else h0

    out, final = model(x, state)
    # Backward from the float32 sum (d/d out = R either way); the stored loss is the same sum
    # taken in double over the float32 outputs, as drnn's test takes it.
    (R * out).sum().backward()
    loss = (R.double() * out.detach().double()).sum().item()

    with h5py.File(path, "w") as f:
        sizes = (("bidirectional", int(bi)), ("input", E), ("hidden", H), ("T", T), ("B", B))
        write_header(f, "encoder", cell, layers, sizes)
        if residual:
            f.attrs["residual"] = 1
        write_params(f, model, enc_case_name(cell, layers, bi, residual))
        f.create_dataset("x", data=x.detach().numpy())
        f.create_dataset("grad/x", data=x.grad.numpy())
        f.create_dataset("R", data=R.numpy())
        write_state(f, cell, h0, c0, final)
        f.create_dataset("loss", data=np.float64(loss))
    return loss


def out_dir(prog):
    """OUT_DIR from the command line, made; one torch thread (deterministic sums)."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {prog} OUT_DIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    torch.set_num_threads(1)  # deterministic sums, and gentle on shared machines
    return sys.argv[1]


def write_cases(out, cover, cases):
    """Makes every (name, make) case as OUT/name (make(path) returns its loss, printed) and lists
    them in OUT/cases.txt after the line "# cover COVER"."""
    for name, make in cases:
        print(f"{name}: loss {make(os.path.join(out, name)):.7f}")
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write(f"# cover {cover}\n" + "".join(name + "\n" for name, _ in cases))


def main():
    out = out_dir("lm_reference.py")
    cases = [(case_name(c, n), lambda p, c=c, n=n: make_case(c, n, p)) for c, n in LM_CASES]
    cases += [(enc_case_name(c, n, bi), lambda p, c=c, n=n, bi=bi: make_enc_case(c, n, bi, p))
              for c, n, bi in ENC_CASES]
    cases += [(case_name(c, n, True), lambda p, c=c, n=n: make_case(c, n, p, True))
              for c, n in RES_LM_CASES]
    cases += [(enc_case_name(c, n, bi, True),
               lambda p, c=c, n=n, bi=bi: make_enc_case(c, n, bi, p, True))
              for c, n, bi in RES_ENC_CASES]
    write_cases(out, "lm encoder residual", cases)


if __name__ == "__main__":
    main()
