#!/usr/bin/python3
"""PyTorch reference for drnn's optimizers (trainer/optim.h): torch.optim.SGD, Adam and AdamW
applied to fixed gradients, one file per case, replayed by tests/test_ref_optim.c.

Each case: P parameters from N(0, 1), STEPS gradient vectors (scaled so updates are visible,
some large and some tiny entries), and the clip coefficient applied to each gradient before the
optimizer (drnn multiplies the summed gradient by min(1, C / (norm + 1e-6)); here a fixed
per-step coef stands for it). The file holds:

  attributes  format="drnn-optim-reference", version, optimizer, lr, momentum, beta1, beta2,
              eps, weight_decay, steps, P
  params0     float32 [P]
  grads       float32 [STEPS, P]
  coef        float32 [STEPS]
  lrs         float64 [STEPS] (the rate of each step: schedules change it between steps)
  params      float32 [STEPS, P] after each step
  state/<name> float32 [P] after the last step (momentum_buffer -> "momentum"; exp_avg,
              exp_avg_sq)

Usage: /usr/bin/python3 tests/reference/optim_reference.py OUT_DIR  (writes OUT_DIR/cases.txt)
"""
import os
import sys

import h5py
import numpy as np
import torch

FORMAT, VERSION = "drnn-optim-reference", 1
P, STEPS = 97, 7

CASES = [  # name, optimizer, kwargs
    ("sgd_momentum", "sgd", dict(momentum=0.9, weight_decay=0.0)),
    ("sgd_momentum_wd", "sgd", dict(momentum=0.5, weight_decay=0.01)),
    ("adam", "adam", dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
    ("adam_l2", "adam", dict(betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("adamw", "adamw", dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
    ("adamw_strong", "adamw", dict(betas=(0.5, 0.9), eps=1e-4, weight_decay=0.3)),
]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: optim_reference.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    names = []
    for index, (name, kind, kw) in enumerate(CASES):
        gen = torch.Generator().manual_seed(1000 + index)
        p0 = torch.randn(P, generator=gen)
        grads = torch.randn(STEPS, P, generator=gen) * torch.logspace(-3, 1, P)[torch.randperm(P, generator=gen)]
        coef = torch.tensor([1.0, 0.5, 1.0, 0.25, 1.0, 1.0, 0.75])[:STEPS]
        lrs = [0.01, 0.01, 0.02, 0.02, 0.005, 0.01, 0.03]
        p = torch.nn.Parameter(p0.clone())
        opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam,
               "adamw": torch.optim.AdamW}[kind]([p], lr=lrs[0], **kw)
        after = []
        for t in range(STEPS):
            for g in opt.param_groups:
                g["lr"] = lrs[t]
            p.grad = (grads[t] * coef[t]).float()
            opt.step()
            after.append(p.detach().clone())
        state = opt.state[p]
        path = os.path.join(out, name + ".h5")
        with h5py.File(path, "w") as f:
            f.attrs["format"], f.attrs["version"] = FORMAT, VERSION
            f.attrs["optimizer"], f.attrs["steps"], f.attrs["P"] = kind, STEPS, P
            f.attrs["momentum"] = kw.get("momentum", 0.0)
            b1, b2 = kw.get("betas", (0.9, 0.999))
            f.attrs["beta1"], f.attrs["beta2"] = b1, b2
            f.attrs["eps"], f.attrs["weight_decay"] = kw.get("eps", 1e-8), kw["weight_decay"]
            f["params0"] = p0.numpy().astype(np.float32)
            f["grads"] = grads.numpy().astype(np.float32)
            f["coef"] = coef.numpy().astype(np.float32)
            f["lrs"] = np.array(lrs[:STEPS], dtype=np.float64)
            f["params"] = torch.stack(after).numpy().astype(np.float32)
            if kind == "sgd":
                f["state/momentum"] = state["momentum_buffer"].numpy().astype(np.float32)
            else:
                f["state/exp_avg"] = state["exp_avg"].numpy().astype(np.float32)
                f["state/exp_avg_sq"] = state["exp_avg_sq"].numpy().astype(np.float32)
        names.append(name)
        print(f"{name}: {kind} {kw}, |p_T - p_0| max {float((after[-1] - p0).abs().max()):.3g}")
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()
