#!/usr/bin/python3
"""PowerSGD as torch.distributed.algorithms.ddp_comm_hooks.powerSGD_hook computes it, in NumPy
(float64), replayed on the gradients and the initial Q that drnn-train wrote under
DRNN_TEST_POWERSGD_DUMP (trainer/train_psgd.c), and compared with drnn's P, Q, decompressed
gradients and error feedback of every rank at every compressed step.

PyTorch's ranks hold local-mean gradients M_r and divide the all-reduced sums by N; drnn's ranks
hold g_r = M_r / N (their sum is the global mean, DESIGN §5). The hook runs here on M_r = N g_r,
so drnn's P, Q and decompressed sum must equal the hook's P, Q (after its division) and
decompressed mean, and drnn's error feedback the hook's divided by N (comm/powersgd.h).

Per step and matrix, as the hook: M_r += e_r; Q = orth(Q) (warm start; at the first step the
random Q); P = sum_r M_r Q; P = orth(P); Q = sum_r M_r^T P / N; M^ = P Q^T; e_r = M_r - M^.
orth is the hook's _orthogonalize: Gram-Schmidt for rank <= 2, QR above (drnn always uses
Gram-Schmidt: P and Q then agree up to column signs, which cancel in M^).

Usage: powersgd_reference.py DUMP_DIR [TOL]   (exit 1 on a difference above TOL, default 1e-5,
relative to the tensor's largest magnitude)
"""

import os
import re
import sys

import numpy as np


def gram_schmidt(a):
    """_orthogonalize_gram_schmidt with epsilon 0 (a zero column stays zero, as drnn)."""
    a = a.copy()
    for i in range(a.shape[1]):
        n = np.linalg.norm(a[:, i])
        a[:, i] = a[:, i] / n if n > 0 else 0.0
        if i + 1 < a.shape[1]:
            rest = a[:, i + 1:]
            rest -= np.sum(a[:, i:i + 1] * rest, axis=0, keepdims=True) * a[:, i:i + 1]
    return a


def orthogonalize(a):
    if a.shape[1] <= 2:
        return gram_schmidt(a)
    q, _ = np.linalg.qr(a)
    return q


def main():
    d = sys.argv[1]
    tol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-5
    lines = open(os.path.join(d, "layout.txt")).read().split("\n")
    N = int(lines[0].split()[1])
    mats = [tuple(int(x) for x in l.split()[2:]) for l in lines[1:] if l.startswith("matrix")]
    steps = sorted({int(m.group(1)) for f in os.listdir(d)
                    for m in [re.match(r"step-(\d+)-rank-00000\.bin$", f)] if m})
    if not steps or not mats:
        print("FAIL: nothing dumped in", d)
        return 1
    worst = {"P": 0.0, "Q": 0.0, "decompressed": 0.0, "error": 0.0}
    Q = e = None
    for s in steps:
        q0 = os.path.join(d, "q0-step-%08d.bin" % s)
        if os.path.exists(q0):  # a fresh state: the random Q, no error yet
            raw = np.fromfile(q0, dtype="<f4").astype(np.float64)
            Q, at = [], 0
            for (_, rows, cols, r) in mats:
                Q.append(raw[at:at + cols * r].reshape(cols, r))
                at += cols * r
            e = [[np.zeros((rows, cols)) for (_, rows, cols, r) in mats] for _ in range(N)]
        dumps = [np.fromfile(os.path.join(d, "step-%08d-rank-%05d.bin" % (s, rank)),
                             dtype="<f4").astype(np.float64) for rank in range(N)]
        at = 0
        for k, (_, rows, cols, r) in enumerate(mats):
            got = []
            for rank in range(N):
                x, o = dumps[rank], at
                part = {}
                for name, n, shape in (("g", rows * cols, (rows, cols)), ("P", rows * r, (rows, r)),
                                       ("Q", cols * r, (cols, r)),
                                       ("decompressed", rows * cols, (rows, cols)),
                                       ("error", rows * cols, (rows, cols))):
                    part[name] = x[o:o + n].reshape(shape)
                    o += n
                got.append(part)
            at = o
            # The hook, on PyTorch's scale.
            M = [N * got[rank]["g"] + e[rank][k] for rank in range(N)]
            q = orthogonalize(Q[k])
            P = orthogonalize(sum(m @ q for m in M))
            Qn = sum(m.T @ P for m in M) / N
            Mhat = P @ Qn.T
            for rank in range(N):
                e[rank][k] = M[rank] - Mhat
            Q[k] = Qn
            for rank in range(N):
                g = got[rank]
                sign = np.sign(np.sum(g["P"] * P, axis=0))  # QR's column signs (rank > 2)
                sign[sign == 0] = 1
                for name, want in (("P", P * sign), ("Q", Qn * sign), ("decompressed", Mhat),
                                   ("error", e[rank][k] / N)):
                    scale = max(np.max(np.abs(want)), 1e-30)
                    diff = np.max(np.abs(g[name] - want)) / scale
                    worst[name] = max(worst[name], diff)
                    if diff > tol:
                        print("FAIL: step %d rank %d matrix %d %s differs by %.3g relative" %
                              (s, rank, k, name, diff))
                        return 1
                if rank > 0:
                    for name in ("P", "Q", "decompressed"):
                        if not np.array_equal(g[name], got[0][name]):
                            print("FAIL: step %d matrix %d: %s differs between rank 0 and %d" %
                                  (s, k, name, rank))
                            return 1
    print("ok: %d ranks, %d matrices, %d compressed steps; largest relative differences: %s" %
          (N, len(mats), len(steps), ", ".join("%s %.2g" % kv for kv in worst.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
