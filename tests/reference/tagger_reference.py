#!/usr/bin/python3
"""PyTorch reference dumps for drnn's sequence tagger (DESIGN §3, §4; model/tagger.h).

One HDF5 file per case, replayed through drnn by tests/test_ref_tagger.c. The model:

  Embedding(V, E) -> nn.RNN/GRU/LSTM(E, H, num_layers=L, bidirectional=bi) over
  pack_padded_sequence(emb, lens, enforce_sorted=False) from a zero state -> the top layer's
  outputs at every position [T, B, D] (pad_packed_sequence, D = H or 2H) -> Linear(D, C) named
  `tagger` -> cross_entropy over the real positions (t < lens[b]) only, reduction='sum'

Dropout 0. All weights uniform in ±0.5 (larger than PyTorch's init, so the gradients are far above
the comparison's absolute tolerance), from one torch seed per case. Padded positions of `tokens`
and `tags` hold random ids: drnn must ignore them, and PyTorch's gradient for an embedding row
used only there is exactly 0.

  attributes   format="drnn-tagger-reference", version, kind="tagger", cell, layers,
               bidirectional (0/1), vocab, embed, hidden, classes (C, the number of tags), T, B,
               ntokens (the real positions, sum(lens)), fd_key (the tensor checked against
               central finite differences here, and by the C test against drnn's own forward),
               seed, torch
  <key>        every state_dict tensor under its key (embedding.weight, encoder.*, tagger.*)
  keys         the state_dict keys in order (so the C side can see tensors drnn lacks)
  tokens       uint32 [T, B] time-major ids: position (t, b) is drnn's row t*B + b
  tags         uint32 [T, B] time-major tags (< C), random at padded positions
  lens         int32 [B], each in [1, T]
  loss         float64 scalar: the sum over the real positions of the cross-entropy in nats,
               taken in double over the float32 logits
  logits       float32 [T, B, C]; probs float32 [T, B, C] = softmax(logits) (rows at padded
               positions are softmax(bias): not meaningful, not compared)
  grad/<key>       d loss / d tensor (loss = the sum: drnn's backward with scale 1)
  grad_mean/<key>  d (loss / ntokens) / d tensor (drnn's backward with scale 1/ntokens)

Cases: every cell x layers 1, 2 x uni-/bidirectional, each with lengths that include T and 1;
then EDGE_CASES (no row of length T, so the last steps are all padding; T = 1; B = 1); then
RES_CASES (tag "res", attribute residual = 1, absent elsewhere): rnn, gru, lstm x layers 2, 3 x
uni-/bidirectional with residual connections, the encoder being residual_rnn.py's ResidualRNN
(same keys): from the second layer up a layer's input is added to its output; then SA_CASES (tag
"sa<heads>", or "sa<heads>_res" with residual connections; attribute self_attention = heads,
absent elsewhere): lstm, gru x layers 2, 3 x uni-/bidirectional x heads 1, 4 x residual off/on,
and SA_EDGE_CASES (no row of length T; T = 1; B = 1), with self_attn_reference.py's block over the
top layer's padded outputs y: z = LayerNorm(y + MHA(y, y, y)), nn.MultiheadAttention(D, heads,
dropout=0) called with key_padding_mask (True at padding) and nn.LayerNorm(D) (eps 1e-5), keys
self_attn.* and self_attn_norm.*; the tagger Linear reads z at every position. These files also
hold

  self_attn_weights  float32 [sum lens^2]: for each b in turn, the head-averaged weights of row
                     b's real queries over its real keys, [lens[b], lens[b]] row-major

The file list goes to OUT/cases.txt.

Self-checks (failures abort): the packed batch's logits equal the same model run one row at a
time on its real tokens without packing; autograd's gradient of one tensor per case (rotating
through the keys) equals central finite differences in double (as seq2seq_reference.py); with
self-attention, the masked batch's attention weights equal the row-alone block's and give padded
keys nothing. A seed whose gradients are too small (TinyGradient) or, with self-attention, whose
float32 gradients stray too far from float64 ones (f32_noise.py) gives way to the next one.

Usage: /usr/bin/python3 tests/reference/tagger_reference.py OUT_DIR
"""

import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from lm_reference import CELLS, make_rnn  # noqa: E402  # same folder: one mapping of drnn cells to torch
import f32_noise  # noqa: E402

FORMAT, VERSION = "drnn-tagger-reference", 1

# Every dimension distinct (E != H != 2H != V != C, T != B) so shape or transpose mix-ups cannot
# cancel.
T, B, V, E, H, C = 7, 5, 13, 6, 4, 3
SEED = 8642
WEIGHT_RANGE = 0.5
FD_SAMPLES, FD_EPS, FD_TOL = 12, 1e-6, 1e-4  # as seq2seq_reference.py

# (cell, layers, bidirectional, T, B, lens or None = random with T and 1 among them, tag)
CASES = [(cell, layers, bi, T, B, None, "")
         for cell in CELLS for layers in (1, 2) for bi in (False, True)]
EDGE_CASES = [
    ("lstm", 2, True, 7, 4, [5, 1, 3, 5], "short"),  # steps 5, 6 are padding in every row
    ("gru", 1, False, 7, 4, [2, 5, 1, 4], "short"),
    ("rnn_relu", 2, True, 6, 4, [3, 1, 2, 5], "short"),
    ("rnn", 2, True, 7, 3, [6, 2, 6], "short"),
    ("gru", 2, True, 1, 3, [1, 1, 1], "t1"),
    ("lstm", 1, False, 1, 4, [1, 1, 1, 1], "t1"),
    ("lstm", 2, True, 6, 1, [6], "b1"),
    ("rnn_relu", 1, False, 5, 1, [5], "b1"),
    ("gru", 1, True, 1, 1, [1], "t1b1"),
]
RES = "res"  # the tag of residual cases
RES_CASES = [(cell, layers, bi, T, B, None, RES)
             for cell in ("rnn", "gru", "lstm") for layers in (2, 3) for bi in (False, True)]
# (..., tag, heads, residual); D = H or 2H = 4 or 8: heads 1 and 4 both divide it.
SA_CASES = [(cell, layers, bi, T, B, None, f"sa{heads}{'_res' if res else ''}", heads, res)
            for cell in ("lstm", "gru") for layers in (2, 3) for bi in (False, True)
            for heads in (1, 4) for res in (False, True)]
SA_EDGE_CASES = [
    ("lstm", 2, True, 7, 4, [5, 1, 3, 5], "sa4_short", 4, False),
    ("gru", 3, False, 6, 3, [2, 4, 3], "sa1_res_short", 1, True),
    ("gru", 2, True, 1, 3, [1, 1, 1], "sa4_t1", 4, False),
    ("lstm", 2, False, 6, 1, [6], "sa4_res_b1", 4, True),
]


def options(case):
    """(self-attention heads, residual) of a case: SA cases carry them, the others' tag says
    whether they are residual."""
    return tuple(case[7:]) if len(case) > 7 else (0, case[6] == RES)


class Tagger(nn.Module):
    """The module whose state_dict keys drnn's parameter table copies (DESIGN §4)."""

    def __init__(self, cell, layers, bidirectional, residual=False, heads=0):
        super().__init__()
        self.cell, self.layers, self.bidirectional = cell, layers, bidirectional
        self.residual, self.heads = residual, heads
        self.embedding = nn.Embedding(V, E)
        self.encoder = make_rnn(cell, layers, bidirectional, inputs=E, hidden=H,
                                residual=residual)
        D = 2 * H if bidirectional else H
        if heads:  # drnn's table: embedding, encoder, self_attn, self_attn_norm, tagger
            self.self_attn = nn.MultiheadAttention(D, heads, dropout=0.0)
            self.self_attn_norm = nn.LayerNorm(D)
        self.tagger = nn.Linear(D, C)
        self.weights = None  # the last forward's self-attention weights [B, T, T]

    def attend(self, y, pad):
        """The self-attention block: y [T, B, D], pad [B, T] (True at padding; None: no
        padding) -> z [T, B, D], head-averaged weights [B, T, T]."""
        a, w = self.self_attn(y, y, y, key_padding_mask=pad, need_weights=True)
        return self.self_attn_norm(y + a), w

    def forward(self, tokens, lens):
        """tokens [T, B] long, lens [B] long (cpu) -> logits [T, B, C]."""
        steps = tokens.shape[0]
        packed = pack_padded_sequence(self.embedding(tokens), lens, enforce_sorted=False)
        out, _ = self.encoder(packed)
        out, _ = pad_packed_sequence(out, total_length=steps)  # [T, B, D], zeros at padding
        if self.heads:  # z at padded positions is not 0, but no loss reads it
            out, self.weights = self.attend(out, torch.arange(steps).unsqueeze(0) >=
                                            lens.unsqueeze(1))
        return self.tagger(out)

    @torch.no_grad()
    def forward_rowwise(self, tokens, lens):
        """The same logits one row at a time on its real tokens only, without packing: a check
        that the packed path means what DESIGN §3 says. Padded positions stay 0."""
        logits = torch.zeros(tokens.shape[0], tokens.shape[1], C, dtype=self.tagger.weight.dtype)
        weights = []
        for b, n in enumerate(lens.tolist()):
            out, _ = self.encoder(self.embedding(tokens[:n, b:b + 1]))  # [n, 1, D]
            if self.heads:  # the block on the row alone, no mask
                out, w = self.attend(out, None)
                weights.append(w[0])
            logits[:n, b] = self.tagger(out[:, 0])
        return logits, weights


def real_positions(steps, lens):
    """[T, B] bool: t < lens[b]."""
    return torch.arange(steps).unsqueeze(1) < lens.unsqueeze(0)


def loss_sum(model, tokens, lens, tags):
    logits = model(tokens, lens)
    real = real_positions(tokens.shape[0], lens)
    return F.cross_entropy(logits[real], tags[real], reduction="sum"), logits


def case_name(cell, layers, bi, tag):
    return f"tag_{cell}_l{layers}_{'bi' if bi else 'uni'}{'_' + tag if tag else ''}.h5"


def make_lens(steps, rows):
    """Random lengths in [1, steps] including steps and 1 (when rows >= 2), in random order."""
    lens = torch.randint(1, steps + 1, (rows,))
    lens[0] = steps
    if rows > 1:
        lens[1] = 1
    return lens[torch.randperm(rows)]


class TinyGradient(Exception):
    """A parameter tensor's gradient is below 1e-3 everywhere for this seed."""


def grads_of(model, loss, name, check_size):
    model.zero_grad()
    loss.backward()
    out = {}
    for key, p in model.named_parameters():
        if p.grad is None or not torch.isfinite(p.grad).all():
            raise RuntimeError(f"{name}: {key} got no (finite) gradient")
        # A tensor whose gradient is all below the absolute tolerance would prove nothing. (Edge
        # cases are exempt: with T = 1 the recurrent weights meet only the zero state.)
        if check_size and p.grad.abs().max().item() < 1e-3:
            raise TinyGradient(f"{name}: gradient of {key} is below 1e-3 everywhere")
        out[key] = p.grad.detach().numpy().astype(np.float32)
    return out


def finite_difference_check(model, batch, key, name, gen):
    """Autograd against central differences in double on up to FD_SAMPLES entries of one tensor:
    the loss as written here is differentiated as PyTorch would."""
    m64 = Tagger(model.cell, model.layers, model.bidirectional, model.residual,
                 model.heads).double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    loss, _ = loss_sum(m64, *batch)
    m64.zero_grad()
    loss.backward()
    p = dict(m64.named_parameters())[key]
    grad = p.grad.detach().clone().view(-1)
    flat = p.data.view(-1)
    idx = torch.randperm(flat.numel(), generator=gen)[:FD_SAMPLES]
    worst = 0.0
    with torch.no_grad():
        for i in idx.tolist():
            keep = flat[i].item()
            flat[i] = keep + FD_EPS
            up = loss_sum(m64, *batch)[0].item()
            flat[i] = keep - FD_EPS
            down = loss_sum(m64, *batch)[0].item()
            flat[i] = keep
            fd = (up - down) / (2 * FD_EPS)
            err = abs(fd - grad[i].item()) / max(1e-4, abs(fd))
            worst = max(worst, err)
            if err > FD_TOL:
                raise RuntimeError(f"{name}: d loss / d {key}[{i}]: autograd {grad[i].item():.9g}, "
                                   f"finite differences {fd:.9g}")
    return worst


def run_case(case, seed, name, check_size, fd_key_index):
    """The model, batch and results of one case from one seed (TinyGradient: try another)."""
    cell, layers, bi, steps, rows, lens, tag = case[:7]
    heads, residual = options(case)
    torch.manual_seed(seed)
    model = Tagger(cell, layers, bi, residual, heads).float()
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-WEIGHT_RANGE, WEIGHT_RANGE)
    lens = make_lens(steps, rows) if lens is None else torch.tensor(lens)
    tokens = torch.randint(0, V, (steps, rows))  # padded positions keep their random ids
    tags = torch.randint(0, C, (steps, rows))  # and their random tags
    batch = (tokens, lens, tags)
    real = real_positions(steps, lens)
    ntok = int(lens.sum())

    loss, logits = loss_sum(model, *batch)
    rowwise, row_weights = model.forward_rowwise(tokens, lens)
    if not torch.allclose(logits.detach()[real], rowwise[real], rtol=1e-5, atol=1e-6):
        raise RuntimeError(f"{name}: packed and row-by-row logits differ by "
                           f"{(logits.detach() - rowwise)[real].abs().max().item():.3g}")
    attn, noise = None, None
    if heads:  # a case where float32 rounding nears the tolerance gives way (f32_noise.py)
        noise = f32_noise.check(lambda: Tagger(cell, layers, bi, residual, heads),
                                model.state_dict(), lambda m: loss_sum(m, *batch)[0], name, seed)
        w = model.weights.detach()
        for b, n in enumerate(lens.tolist()):
            if not torch.allclose(w[b, :n, :n], row_weights[b], rtol=1e-5, atol=1e-6):
                raise RuntimeError(f"{name}: row {b}: masked and row-alone attention differ")
            if n < steps and w[b, :, n:].abs().max().item() != 0.0:
                raise RuntimeError(f"{name}: row {b}: padded keys got weight")
        attn = torch.cat([w[b, :n, :n].reshape(-1) for b, n in enumerate(lens.tolist())])
    grad_sum = grads_of(model, loss, name, check_size)
    loss, logits = loss_sum(model, *batch)
    grad_mean = grads_of(model, loss / ntok, name, False)
    logits = logits.detach()
    loss = F.cross_entropy(logits[real].double(), tags[real], reduction="sum").item()

    keys = list(model.state_dict().keys())
    fd_key = keys[fd_key_index % len(keys)]
    fd_worst = finite_difference_check(model, batch, fd_key, name,
                                       torch.Generator().manual_seed(seed))
    return model, batch, ntok, logits, loss, grad_sum, grad_mean, (fd_key, fd_worst), attn, noise


def make_case(index, case, path):
    cell, layers, bi, steps, rows, _, tag = case[:7]
    heads, residual = options(case)
    name = os.path.basename(path)
    # Seeds per case, so adding or reordering cases leaves the others' numbers unchanged as long
    # as the case keeps its index.
    for seed in range(SEED + 100 * index, SEED + 100 * index + 10):
        try:
            res = run_case(case, seed, name, tag in ("", RES) or case in SA_CASES, index)
            break
        except (TinyGradient, f32_noise.IllConditioned) as e:
            print(f"{e}; seed {seed + 1} instead")
    else:
        raise RuntimeError(f"{name}: no seed gave gradients above 1e-3 (and, with self-attention, "
                           f"float32 noise well below the tolerance)")
    model, (tokens, lens, tags), ntok, logits, loss, grad_sum, grad_mean, fd, attn, noise = res

    with h5py.File(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        f.attrs["kind"] = "tagger"
        f.attrs["cell"] = cell
        if residual:
            f.attrs["residual"] = 1
        if heads:
            f.attrs["self_attention"] = heads
        for k, v in (("layers", layers), ("bidirectional", int(bi)), ("vocab", V), ("embed", E),
                     ("hidden", H), ("classes", C), ("T", steps), ("B", rows), ("ntokens", ntok)):
            f.attrs[k] = v
        f.attrs["fd_key"] = fd[0]
        f.attrs["seed"] = seed
        f.attrs["torch"] = str(torch.__version__)  # a str subclass h5py rejects
        sd = model.state_dict()
        f.create_dataset("keys", data=list(sd.keys()), dtype=h5py.string_dtype())
        for key, tensor in sd.items():
            f.create_dataset(key, data=tensor.numpy().astype(np.float32))
            f.create_dataset("grad/" + key, data=grad_sum[key])
            f.create_dataset("grad_mean/" + key, data=grad_mean[key])
        f.create_dataset("tokens", data=tokens.numpy().astype(np.uint32))
        f.create_dataset("tags", data=tags.numpy().astype(np.uint32))
        f.create_dataset("lens", data=lens.numpy().astype(np.int32))
        f.create_dataset("loss", data=np.float64(loss))
        f.create_dataset("logits", data=logits.numpy().astype(np.float32))
        f.create_dataset("probs", data=torch.softmax(logits, 2).numpy().astype(np.float32))
        if heads:
            f.create_dataset("self_attn_weights", data=attn.numpy().astype(np.float32))
    return loss, lens.tolist(), fd, noise


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tagger_reference.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)  # deterministic sums, and gentle on shared machines
    names = []
    for index, case in enumerate(CASES + EDGE_CASES + RES_CASES + SA_CASES + SA_EDGE_CASES):
        cell, layers, bi, _, _, _, tag = case[:7]
        name = case_name(cell, layers, bi, tag)
        loss, lens, (fd_key, fd_err), noise = make_case(index, case, os.path.join(out, name))
        print(f"{name}: loss {loss:.7f}  lens {lens}  finite differences on {fd_key}: "
              f"rel {fd_err:.1e}" + (f"  float32 noise {noise:.2f} of tol" if noise else ""))
        names.append(name)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()
