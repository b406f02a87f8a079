#!/usr/bin/python3
"""PyTorch reference dumps for drnn's sentence classifier (DESIGN §3, §4; model/classifier.h).

One HDF5 file per case, replayed through drnn by tests/test_ref_classifier.c. The model:

  Embedding(V, E) -> nn.RNN/GRU/LSTM(E, H, num_layers=L, bidirectional=bi) over
  pack_padded_sequence(emb, lens, enforce_sorted=False) from a zero state -> sentence vector
  [B, D] -> Linear(D, C) -> cross_entropy(logits, labels, reduction='sum')

with the sentence vector of pool "last" = h_n of the top layer (torch.cat([h_n[-2], h_n[-1]], 1)
when bidirectional), "mean"/"max" = element-wise mean/max of the top layer's padded outputs over
each row's real positions. Dropout 0. All weights uniform in ±0.5 (larger than PyTorch's init, so
the gradients are far above the comparison's absolute tolerance), from one torch seed per case.
Padded positions of `tokens` hold random ids: drnn must ignore them, and PyTorch's gradient for an
embedding row used only there is exactly 0.

  attributes   format="drnn-classifier-reference", version, kind="classifier", cell, layers,
               bidirectional (0/1), pool, vocab, embed, hidden, classes, T, B, seed, torch
  <key>        every state_dict tensor under its key (embedding.weight, encoder.*, classifier.*)
  keys         the state_dict keys in order (so the C side can see tensors drnn lacks)
  tokens       uint32 [T, B] time-major ids: position (t, b) is drnn's row t*B + b
  lens         int32 [B], each in [1, T]; labels uint32 [B]
  loss         float64 scalar: the sum over rows of the cross-entropy in nats, taken in double
               over the float32 logits
  logits       float32 [B, C]; probs float32 [B, C] = softmax(logits); sentence float32 [B, D]
               (the pooled vector, for diagnosing a mismatch; drnn does not expose it)
  grad/<key>       d loss / d tensor (loss = the sum over rows: drnn's backward with scale 1)
  grad_mean/<key>  d (loss / B) / d tensor (PyTorch's reduction='mean': scale 1/B)

Cases: every cell x layers 1, 2 x uni-/bidirectional x pool last, mean, max, each with lengths
that include T and 1; then EDGE_CASES (no row of length T, so the last steps are all padding;
T = 1; B = 1); then RES_CASES (tag "res", attribute residual = 1, absent elsewhere): rnn, gru,
lstm x layers 2, 3 x uni-/bidirectional x every pool with residual connections, the encoder being
residual_rnn.py's ResidualRNN (same keys): from the second layer up a layer's input is added to
its output, and pool "last" reads the top layer's outputs (forward half at the row's last token,
reverse half at position 0), which then include the residual sum and are not h_n; then SA_CASES
(tag "sa<heads>", or "sa<heads>_res" with residual connections; attribute self_attention = heads,
absent elsewhere): lstm, gru x 2 layers x uni-/bidirectional x heads 1, 4 x residual off/on x
every pool, with self_attn_reference.py's block over the top layer's padded outputs y:
z = LayerNorm(y + MHA(y, y, y)), nn.MultiheadAttention(D, heads, dropout=0) called with
key_padding_mask (True at padding) and nn.LayerNorm(D) (eps 1e-5), keys self_attn.* and
self_attn_norm.*. The pool reads z at the real positions (pool "last": the forward half at the
row's last token, the reverse half at position 0). Heads 1 keep H = 5 (D = 5 or 10); heads 4 use
hidden 8 (D = 8 or 16). These files also hold

  self_attn_weights  float32 [sum lens^2]: for each b in turn, the head-averaged weights of row
                     b's real queries over its real keys, [lens[b], lens[b]] row-major

The file list goes to OUT/cases.txt.

Usage: /usr/bin/python3 tests/reference/classifier_reference.py OUT_DIR
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

FORMAT, VERSION = "drnn-classifier-reference", 1

POOLS = ("last", "mean", "max")
# Every dimension distinct (E != H != V != C, T != B) so shape or transpose mix-ups cannot cancel.
T, B, V, E, H, C = 7, 5, 11, 6, 5, 4
SEED = 4321
WEIGHT_RANGE = 0.5

# (cell, layers, bidirectional, pool, T, B, lens or None = random with T and 1 among them, tag)
CASES = [(cell, layers, bi, pool, T, B, None, "")
         for cell in CELLS for layers in (1, 2) for bi in (False, True) for pool in POOLS]
EDGE_CASES = [
    ("lstm", 2, True, "last", 7, 4, [5, 1, 3, 5], "short"),  # steps 5, 6 are padding in every row
    ("gru", 2, True, "max", 7, 4, [2, 5, 1, 4], "short"),
    ("rnn_relu", 2, True, "mean", 6, 4, [3, 1, 2, 5], "short"),
    ("gru", 1, True, "mean", 1, 3, [1, 1, 1], "t1"),
    ("lstm", 2, True, "max", 6, 1, [6], "b1"),
]
RES = "res"  # the tag of residual cases
RES_CASES = [(cell, layers, bi, pool, T, B, None, RES)
             for cell in ("rnn", "gru", "lstm") for layers in (2, 3) for bi in (False, True)
             for pool in POOLS]
# (..., tag, heads, residual): heads 1 keep H; heads 4 use H_SA so that heads divide D.
H_SA = 8
SA_CASES = [(cell, 2, bi, pool, T, B, None, f"sa{heads}{'_res' if res else ''}", heads, res)
            for cell in ("lstm", "gru") for bi in (False, True) for heads in (1, 4)
            for res in (False, True) for pool in POOLS]


def options(case):
    """(self-attention heads, residual, hidden) of a case: SA_CASES carry the first two, the
    others' tag says whether they are residual."""
    if len(case) > 8:
        heads, res = case[8:]
        return heads, res, H_SA if heads == 4 else H
    return 0, case[7] == RES, H


class Classifier(nn.Module):
    """The module whose state_dict keys drnn's parameter table copies (DESIGN §4)."""

    def __init__(self, cell, layers, bidirectional, pool, residual=False, heads=0, hidden=H):
        super().__init__()
        self.cell, self.bidirectional, self.pool = cell, bidirectional, pool
        self.residual, self.heads, self.hidden = residual, heads, hidden
        self.embedding = nn.Embedding(V, E)
        self.encoder = make_rnn(cell, layers, bidirectional, inputs=E, hidden=hidden,
                                residual=residual)
        D = 2 * hidden if bidirectional else hidden
        if heads:  # drnn's table: embedding, encoder, self_attn, self_attn_norm, classifier
            self.self_attn = nn.MultiheadAttention(D, heads, dropout=0.0)
            self.self_attn_norm = nn.LayerNorm(D)
        self.classifier = nn.Linear(D, C)

    def attend(self, y, pad):
        """The self-attention block: y [T, B, D], pad [B, T] (True at padding; None: no
        padding) -> z [T, B, D], head-averaged weights [B, T, T]."""
        a, w = self.self_attn(y, y, y, key_padding_mask=pad, need_weights=True)
        return self.self_attn_norm(y + a), w

    def sentence(self, tokens, lens):
        """tokens [T, B] long, lens [B] long (cpu) -> [B, D], and the self-attention weights
        [B, T, T] (None without the block)."""
        steps = tokens.shape[0]
        packed = pack_padded_sequence(self.embedding(tokens), lens, enforce_sorted=False)
        out, final = self.encoder(packed)
        if self.heads:
            out, _ = pad_packed_sequence(out, total_length=steps)  # [T, B, D], zeros at padding
            real = torch.arange(steps).unsqueeze(1) < lens.unsqueeze(0)  # [T, B]
            out, w = self.attend(out, ~real.t())
            # z at padded positions is not 0: zero it, as the pools below expect of padding.
            return self.pool_of(out.masked_fill(~real.unsqueeze(2), 0.0), lens), w
        if self.pool == "last" and not self.residual:
            # h_n comes back in the caller's row order (enforce_sorted=False undoes the sort).
            h_n = final[0] if self.cell == "lstm" else final
            return (torch.cat([h_n[-2], h_n[-1]], 1) if self.bidirectional else h_n[-1]), None
        out, _ = pad_packed_sequence(out, total_length=steps)  # [T, B, D], zeros at padding
        return self.pool_of(out, lens), None

    def pool_of(self, out, lens):
        """The pool over padded top outputs out [T, B, D] (zeros at padding) -> [B, D]."""
        H, steps = self.hidden, out.shape[0]
        if self.pool == "last":
            # Residual or self-attention: the top outputs, forward half after the row's last token
            # and reverse half after position 0 (what h_n would be without the residual sum).
            fwd = out[lens - 1, torch.arange(out.shape[1]), :H]
            return torch.cat([fwd, out[0, :, H:]], 1) if self.bidirectional else fwd
        if self.pool == "mean":
            return out.sum(0) / lens.unsqueeze(1).to(out.dtype)
        real = (torch.arange(steps).unsqueeze(1) < lens.unsqueeze(0)).unsqueeze(2)  # [T, B, 1]
        # max(0) sends the gradient to the one position it picked. Random floats do not tie; ReLU
        # zeros do, but any zero it picks passes no gradient back through the ReLU either.
        return out.masked_fill(~real, float("-inf")).max(0).values

    @torch.no_grad()
    def sentence_rowwise(self, tokens, lens):
        """The same vector one row at a time on its real tokens only, without packing: a check
        that the packed path means what DESIGN §3 says."""
        H = self.hidden
        rows, weights = [], []
        for b, n in enumerate(lens.tolist()):
            out, final = self.encoder(self.embedding(tokens[:n, b:b + 1]))  # [n, 1, D]
            h_n = final[0] if self.cell == "lstm" else final
            if self.heads:  # the block on the row alone, no mask
                out, w = self.attend(out, None)
                weights.append(w[0])
            if self.pool == "last":
                # Forward direction after the row's last token; reverse after its first one.
                d = H if self.bidirectional else 0
                vec = torch.cat([out[n - 1, 0, :H], out[0, 0, H:]]) if d else out[n - 1, 0]
                if not (self.residual or self.heads):  # else the outputs are not h_n
                    assert torch.allclose(vec, torch.cat(list(h_n[-2:, 0])) if d else h_n[-1, 0])
            elif self.pool == "mean":
                vec = out[:, 0].mean(0)
            else:
                vec = out[:, 0].max(0).values
            rows.append(vec)
        return torch.stack(rows), weights

    def forward(self, tokens, lens):
        vec, w = self.sentence(tokens, lens)
        return self.classifier(vec), vec, w


def case_name(cell, layers, bi, pool, tag):
    return f"cls_{cell}_l{layers}_{'bi' if bi else 'uni'}_{pool}{'_' + tag if tag else ''}.h5"


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


def run_case(case, seed, name):
    """The model, batch and results of one case from one seed (TinyGradient: try another)."""
    cell, layers, bi, pool, steps, rows, lens, tag = case[:8]
    heads, residual, hidden = options(case)
    torch.manual_seed(seed)
    model = Classifier(cell, layers, bi, pool, residual, heads, hidden).float()
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-WEIGHT_RANGE, WEIGHT_RANGE)
    lens = make_lens(steps, rows) if lens is None else torch.tensor(lens)
    tokens = torch.randint(0, V, (steps, rows))  # padded positions keep their random ids
    labels = torch.randint(0, C, (rows,))

    logits, vec, w = model(tokens, lens)
    rowwise, row_weights = model.sentence_rowwise(tokens, lens)
    if not torch.allclose(vec, rowwise, rtol=1e-5, atol=1e-6):
        raise RuntimeError(f"{name}: packed and row-by-row sentence vectors differ by "
                           f"{(vec - rowwise).abs().max().item():.3g}")
    attn, noise = None, None
    if heads:  # a case where float32 rounding nears the tolerance gives way (f32_noise.py)
        noise = f32_noise.check(
            lambda: Classifier(cell, layers, bi, pool, residual, heads, hidden), model.state_dict(),
            lambda m: F.cross_entropy(m(tokens, lens)[0], labels, reduction="sum"), name, seed)
        w = w.detach()
        for b, n in enumerate(lens.tolist()):
            if not torch.allclose(w[b, :n, :n], row_weights[b], rtol=1e-5, atol=1e-6):
                raise RuntimeError(f"{name}: row {b}: masked and row-alone attention differ")
            if n < steps and w[b, :, n:].abs().max().item() != 0.0:
                raise RuntimeError(f"{name}: row {b}: padded keys got weight")
        attn = torch.cat([w[b, :n, :n].reshape(-1) for b, n in enumerate(lens.tolist())])
    grad_sum = grads_of(model, F.cross_entropy(logits, labels, reduction="sum"), name,
                        tag in ("", RES) or heads > 0)
    logits, vec, _ = model(tokens, lens)
    grad_mean = grads_of(model, F.cross_entropy(logits, labels, reduction="mean"), name, False)
    logits = logits.detach()
    loss = F.cross_entropy(logits.double(), labels, reduction="sum").item()
    return (model, tokens, lens, labels, logits, vec.detach(), loss, grad_sum, grad_mean, attn,
            noise)


def make_case(index, case, path):
    cell, layers, bi, pool, steps, rows, _, tag = case[:8]
    heads, residual, hidden = options(case)
    name = os.path.basename(path)
    # Seeds per case, so adding or reordering cases leaves the others' numbers unchanged as long
    # as the case keeps its index. A seed whose ReLU units happen to leave a tensor without
    # gradient (max pooling that picks only first steps, say) gives way to the next one, as does,
    # with self-attention, one whose float32 gradients stray too far from float64's
    # (f32_noise.py).
    for seed in range(SEED + 100 * index, SEED + 100 * index + 10):
        try:
            res = run_case(case, seed, name)
            break
        except (TinyGradient, f32_noise.IllConditioned) as e:
            print(f"{e}; seed {seed + 1} instead")
    else:
        raise RuntimeError(f"{name}: no seed gave gradients above 1e-3 (and, with self-attention, "
                           f"float32 noise well below the tolerance)")
    model, tokens, lens, labels, logits, vec, loss, grad_sum, grad_mean, attn, noise = res

    with h5py.File(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        f.attrs["kind"] = "classifier"
        f.attrs["cell"] = cell
        f.attrs["pool"] = pool
        if residual:
            f.attrs["residual"] = 1
        if heads:
            f.attrs["self_attention"] = heads
        for k, v in (("layers", layers), ("bidirectional", int(bi)), ("vocab", V), ("embed", E),
                     ("hidden", hidden), ("classes", C), ("T", steps), ("B", rows)):
            f.attrs[k] = v
        f.attrs["seed"] = seed
        f.attrs["torch"] = str(torch.__version__)  # a str subclass h5py rejects
        sd = model.state_dict()
        f.create_dataset("keys", data=list(sd.keys()), dtype=h5py.string_dtype())
        for key, tensor in sd.items():
            f.create_dataset(key, data=tensor.numpy().astype(np.float32))
            f.create_dataset("grad/" + key, data=grad_sum[key])
            f.create_dataset("grad_mean/" + key, data=grad_mean[key])
        f.create_dataset("tokens", data=tokens.numpy().astype(np.uint32))
        f.create_dataset("lens", data=lens.numpy().astype(np.int32))
        f.create_dataset("labels", data=labels.numpy().astype(np.uint32))
        f.create_dataset("loss", data=np.float64(loss))
        f.create_dataset("logits", data=logits.numpy().astype(np.float32))
        f.create_dataset("probs", data=torch.softmax(logits, 1).numpy().astype(np.float32))
        f.create_dataset("sentence", data=vec.numpy().astype(np.float32))
        if heads:
            f.create_dataset("self_attn_weights", data=attn.numpy().astype(np.float32))
    return loss, lens.tolist(), noise


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: classifier_reference.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)  # deterministic sums, and gentle on shared machines
    names = []
    for index, case in enumerate(CASES + EDGE_CASES + RES_CASES + SA_CASES):
        cell, layers, bi, pool, _, _, _, tag = case[:8]
        name = case_name(cell, layers, bi, pool, tag)
        loss, lens, noise = make_case(index, case, os.path.join(out, name))
        print(f"{name}: loss {loss:.7f}  lens {lens}" +
              (f"  float32 noise {noise:.2f} of tol" if noise else ""))
        names.append(name)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()
