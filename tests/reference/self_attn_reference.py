#!/usr/bin/python3
"""PyTorch reference dumps for drnn's self-attention block (model/self_attn.h).

One HDF5 file per case, replayed through drnn by tests/test_ref_self_attn.c. The block:

  z = LayerNorm(y + Dropout(MHA(y, y, y)))

with MHA = nn.MultiheadAttention(D, heads, dropout=0) (batch_first=False) called with
key_padding_mask = (t >= lens[b]) and need_weights=True (weights averaged over heads), and
LayerNorm = nn.LayerNorm(D) (eps 1e-5), as a module whose attributes are named `self_attn` and
`self_attn_norm` so its state_dict keys are drnn's tensor names. Dropout 0 (drnn's masks come
from Philox, which PyTorch does not share). Every parameter uniform in ±0.5, y uniform in ±1,
R normal, from one torch seed per case; loss = sum over the real positions (t < lens[b]) of
R * z, so R is stored zero at the padded positions.

  attributes  format="drnn-self-attn-reference", version, kind="self_attn", D, heads, T, B,
              ntokens (sum(lens)), seed, torch
  <key>       every state_dict tensor under its key; keys: the keys in order
  y           float32 [T, B, D] time-major: position (t, b) is drnn's row t*B + b (padded
              positions hold random values too: they must not matter)
  lens        int32 [B], each in [1, T]
  R           float32 [T, B, D], zero at padded positions
  z           float32 [ntokens, D]: z at the real positions, t-major then b (drnn's row order)
  attn        float32 [sum lens^2]: for each b in turn, the head-averaged weights of row b's
              real queries over its real keys, [lens[b], lens[b]] row-major
  loss        float64 scalar: sum of R * z in double over the float32 z
  grad/<key>  d loss / d tensor
  grad_y      float32 [T, B, D] d loss / d y (exactly 0 at padded positions)

Cases: D 8 and 12 x heads 1, 2, 4 on T = 7, B = 4 with lengths that include T and 1; then
EDGE_CASES (every row shorter than T; T = 1; B = 1). The file list goes to OUT/cases.txt.

Self-checks (failures abort): the batched, masked block's z and weights at the real positions
equal the same block run one row at a time on its real positions without a mask; autograd's
gradient of one tensor per case (rotating through the keys, then y) equals central finite
differences in double (seq2seq_reference.py's bound, 1e-4).

Usage: /usr/bin/python3 tests/reference/self_attn_reference.py OUT_DIR
"""

import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

FORMAT, VERSION = "drnn-self-attn-reference", 1
SEED = 4711
WEIGHT_RANGE = 0.5
FD_SAMPLES, FD_EPS, FD_TOL = 12, 1e-6, 1e-4  # as seq2seq_reference.py

# (D, heads, T, B, lens or None = random with T and 1 among them, tag)
CASES = [(d, h, 7, 4, None, "") for d in (8, 12) for h in (1, 2, 4)]
EDGE_CASES = [
    (8, 2, 7, 4, [5, 1, 3, 2], "short"),  # steps 5, 6 are padding in every row
    (12, 4, 6, 3, [4, 6, 1], ""),
    (12, 1, 1, 3, [1, 1, 1], "t1"),
    (8, 4, 1, 1, [1], "t1b1"),
    (12, 2, 7, 1, [7], "b1"),
    (8, 1, 5, 2, [1, 5], ""),
]


class Block(nn.Module):
    """The module whose state_dict keys drnn's parameter table copies."""

    def __init__(self, D, heads):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(D, heads, dropout=0.0)
        self.self_attn_norm = nn.LayerNorm(D)
        self.dropout = nn.Dropout(0.0)

    def forward(self, y, pad):
        """y [T, B, D], pad [B, T] bool (True at padding) -> z [T, B, D], weights [B, T, T]."""
        a, w = self.self_attn(y, y, y, key_padding_mask=pad, need_weights=True)
        return self.self_attn_norm(y + self.dropout(a)), w


def padding_mask(steps, lens):
    """[B, T] bool: True at t >= lens[b] (key_padding_mask's convention)."""
    return torch.arange(steps).unsqueeze(0) >= lens.unsqueeze(1)


def loss_of(block, y, lens, R):
    z, w = block(y, padding_mask(y.shape[0], lens))
    return (R * z).sum(), z, w  # R is zero at padded positions


def make_lens(steps, rows):
    """Random lengths in [1, steps] including steps and 1 (when rows >= 2), in random order."""
    lens = torch.randint(1, steps + 1, (rows,))
    lens[0] = steps
    if rows > 1:
        lens[1] = 1
    return lens[torch.randperm(rows)]


@torch.no_grad()
def rowwise_check(block, y, lens, z, w, name):
    """Each row alone on its real positions, no mask, against the batched results."""
    for b, n in enumerate(lens.tolist()):
        zb, wb = block(y[:n, b:b + 1], None)
        if not torch.allclose(zb[:, 0], z[:n, b], rtol=1e-5, atol=1e-6) or \
                not torch.allclose(wb[0], w[b, :n, :n], rtol=1e-5, atol=1e-6):
            raise RuntimeError(f"{name}: row {b}: masked batch and row alone differ")
        if n < w.shape[1] and w[b, :n, n:].abs().max().item() != 0.0:
            raise RuntimeError(f"{name}: row {b}: padded keys got weight")


def finite_difference_check(block, y, lens, R, key, name, gen):
    """Autograd against central differences in double on up to FD_SAMPLES entries of one tensor
    (key "y": the input)."""
    b64 = Block(block.self_attn.embed_dim, block.self_attn.num_heads).double()
    b64.load_state_dict({k: v.double() for k, v in block.state_dict().items()})
    y64 = y.detach().double().requires_grad_(True)
    R64 = R.double()
    loss, _, _ = loss_of(b64, y64, lens, R64)
    loss.backward()
    t = y64 if key == "y" else dict(b64.named_parameters())[key]
    grad = t.grad.detach().clone().view(-1)
    flat = t.data.view(-1)
    idx = torch.randperm(flat.numel(), generator=gen)[:FD_SAMPLES]
    worst = 0.0
    with torch.no_grad():
        for i in idx.tolist():
            keep = flat[i].item()
            flat[i] = keep + FD_EPS
            up = loss_of(b64, y64, lens, R64)[0].item()
            flat[i] = keep - FD_EPS
            down = loss_of(b64, y64, lens, R64)[0].item()
            flat[i] = keep
            fd = (up - down) / (2 * FD_EPS)
            err = abs(fd - grad[i].item()) / max(1e-4, abs(fd))
            worst = max(worst, err)
            if err > FD_TOL:
                raise RuntimeError(f"{name}: d loss / d {key}[{i}]: autograd {grad[i].item():.9g}, "
                                   f"finite differences {fd:.9g}")
    return worst


def make_case(index, case, path):
    D, heads, steps, rows, lens, _ = case
    name = os.path.basename(path)
    seed = SEED + 100 * index  # per case: reordering cases keeps a case's numbers with its index
    torch.manual_seed(seed)
    block = Block(D, heads).float()
    with torch.no_grad():
        for p in block.parameters():
            p.uniform_(-WEIGHT_RANGE, WEIGHT_RANGE)
    lens = make_lens(steps, rows) if lens is None else torch.tensor(lens)
    y = (torch.rand(steps, rows, D) * 2 - 1).requires_grad_(True)
    real = ~padding_mask(steps, lens).t()  # [T, B]
    R = torch.randn(steps, rows, D) * real.unsqueeze(2)

    loss, z, w = loss_of(block, y, lens, R)
    rowwise_check(block, y.detach(), lens, z.detach(), w.detach(), name)
    block.zero_grad()
    loss.backward()
    grads = {k: p.grad.detach().numpy().astype(np.float32)
             for k, p in block.named_parameters()}
    grad_y = y.grad.detach()
    if (~real).any() and grad_y[~real].abs().max().item() != 0.0:
        raise RuntimeError(f"{name}: padded positions of y got a gradient")
    keys = list(block.state_dict().keys()) + ["y"]
    fd_key = keys[index % len(keys)]
    fd_worst = finite_difference_check(block, y, lens, R, fd_key, name,
                                       torch.Generator().manual_seed(seed))

    z, w = z.detach(), w.detach()
    attn = torch.cat([w[b, :n, :n].reshape(-1) for b, n in enumerate(lens.tolist())])
    with h5py.File(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        f.attrs["kind"] = "self_attn"
        for k, v in (("D", D), ("heads", heads), ("T", steps), ("B", rows),
                     ("ntokens", int(lens.sum())), ("seed", seed)):
            f.attrs[k] = v
        f.attrs["torch"] = str(torch.__version__)  # a str subclass h5py rejects
        sd = block.state_dict()
        f.create_dataset("keys", data=list(sd.keys()), dtype=h5py.string_dtype())
        for key, tensor in sd.items():
            f.create_dataset(key, data=tensor.numpy().astype(np.float32))
            f.create_dataset("grad/" + key, data=grads[key])
        f.create_dataset("y", data=y.detach().numpy().astype(np.float32))
        f.create_dataset("lens", data=lens.numpy().astype(np.int32))
        f.create_dataset("R", data=R.numpy().astype(np.float32))
        f.create_dataset("z", data=z[real].numpy().astype(np.float32))  # t-major, then b
        f.create_dataset("attn", data=attn.numpy().astype(np.float32))
        f.create_dataset("loss", data=np.float64((R.double() * z.double()).sum().item()))
        f.create_dataset("grad_y", data=grad_y.numpy().astype(np.float32))
    return loss.item(), lens.tolist(), (fd_key, fd_worst)


def case_name(case):
    D, heads, steps, rows, _, tag = case
    return f"sa_d{D}_h{heads}_t{steps}_b{rows}{'_' + tag if tag else ''}.h5"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: self_attn_reference.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)  # deterministic sums, and gentle on shared machines
    names = []
    for index, case in enumerate(CASES + EDGE_CASES):
        name = case_name(case)
        loss, lens, (fd_key, fd_err) = make_case(index, case, os.path.join(out, name))
        print(f"{name}: loss {loss:.7f}  lens {lens}  finite differences on {fd_key}: "
              f"rel {fd_err:.1e}")
        names.append(name)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()
