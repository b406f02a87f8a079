#!/usr/bin/env python3
"""Cost model of one data-parallel drnn-train step (docs/SCALING.md).

A step is forward, then backward, then the optimizer update. Backward hands its gradients to the
all-reduce in the order it finishes them (drnn's backward hooks): first the output layer (decoder),
then each recurrent layer from the top down (a layer's weight gradients are complete only when BPTT
has been through all of its time steps), last the bottom layer together with the embedding. The
all-reduces run one after another on the link, each starting when its gradients are ready and the
link is free, and each takes

    t_ar(S) = 2 log2(M) * alpha + 2 (M - 1) / M * S / beta
            + 2 log2(P) * alpha_s + 2 (P - 1) / P * S / beta_s

for N = M P ranks on M hosts, P per host, beta the bandwidth of one host's link, alpha_s and
beta_s those of shared memory inside a host (Rabenseifner's reduce-scatter + all-gather, what drnn
asks Open MPI's non-blocking all-reduce to use: with ranks placed host by host, its first
log2(P) rounds of each half stay inside a host, moving (P - 1) / P of the bytes, and each host's
link carries 2 (M - 1) / M of the gradient bytes whatever the ranks per host; with one rank per
host M = N, the textbook ring figure). Without alpha_s and beta_s, traffic inside a host is left
out. The step ends when backward and the last all-reduce have both finished; what the all-reduces
add past the end of backward is the exposed communication. Compute time is FLOPs / F, with F the
sustained FLOP/s of one rank measured on the machine (forward GEMM FLOPs x 3 per token).

With PowerSGD (--powersgd R, comm/powersgd.h), each weight matrix [n, m] of a group with
(n + m) r 2 < n m (r = min(n, m, R)) is compressed once backward has finished the group: the
rank computes P = M Q (2 n m r FLOPs), all-reduces P (4 n r bytes), orthonormalizes it, computes
Q = M^T P (2 n m r), all-reduces Q (4 m r bytes), and after the last all-reduce decompresses
M = P Q^T (2 n m r). The two all-reduces of a matrix run one after the other (Q needs the summed
P); the group's other floats (biases, small matrices) go in one uncompressed all-reduce. The
compression products run on the rank's core at the same F as the model's own GEMMs.

Used by tests/bench/bench_scaling.sh (check against measurements) and for the predictions in
docs/SCALING.md:
    scaling_model.py flops --hidden 512 --tok-per-s 10400     (F of one rank)
    scaling_model.py step --hidden 512 ... --ranks 4 --per-host 2 --alpha A --beta B --flops F
    scaling_model.py predict --alpha A --flops F       (the tables of docs/SCALING.md)
"""
import argparse
import math

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def groups(cell, V, E, H, L):
    """(name, parameters, forward FLOPs per token) in backward's order."""
    return [(n, p, f) for n, p, f, _ in groups_with_matrices(cell, V, E, H, L)]


def groups_with_matrices(cell, V, E, H, L):
    """groups(), each with its 2-D tensors [(rows, cols)] as drnn lays them out."""
    g = GATES[cell]
    dec = ("decoder", V * H + V, 2 * V * H, [(V, H)])
    layers = []
    for k in range(L):
        inp = E if k == 0 else H
        layers.append((f"layer {k}", g * H * (inp + H) + 2 * g * H, 2 * g * H * (inp + H),
                       [(g * H, inp), (g * H, H)]))
    top_down = [dec] + layers[:0:-1]
    bottom = layers[0]
    top_down.append(("layer 0 + embedding", bottom[1] + V * E, bottom[2], bottom[3] + [(V, E)]))
    return top_down


def compressed(mats, R):
    """The [(n, m, r)] of mats PowerSGD compresses at rank R (PyTorch's min_compression_rate 2)."""
    out = []
    for n, m in mats:
        r = min(n, m, R)
        if R > 0 and (n + m) * r * 2 < n * m:
            out.append((n, m, r))
    return out


def t_ar_shm(S, N, M, alpha, beta, shm=None):
    """Seconds of one all-reduce of S bytes; shm = (alpha_s, beta_s) or None (left out)."""
    if N <= 1:
        return 0.0
    P = N // M
    t = 2 * math.log2(M) * alpha + 2 * (M - 1) / M * S / beta
    if shm and P > 1:
        t += 2 * math.log2(P) * shm[0] + 2 * (P - 1) / P * S / shm[1]
    return t


def step(cell, V, E, H, L, T, b, N, alpha, beta, F, slow=1.0, per_host=1, powersgd=0, shm=None):
    """Seconds of one step and of its exposed communication; slow > 1: ranks share cores."""
    M = max(1, N // per_host)

    def t_ar(S, N, M, alpha, beta):
        return t_ar_shm(S, N, M, alpha, beta, shm)
    gs = groups_with_matrices(cell, V, E, H, L)
    tokens = b * T
    fwd = sum(f for _, _, f, _ in gs) * tokens / F * slow
    t = fwd
    link = 0.0
    decompress = 0.0
    for _, params, flops, mats in gs:
        t += 2 * flops * tokens / F * slow  # backward of this group: 2x its forward
        comp = compressed(mats, powersgd)
        rest = params - sum(n * m for n, m, _ in comp)
        link = max(t, link) + t_ar(4.0 * rest, N, M, alpha, beta)
        for n, m, r in comp:
            t += 2 * n * m * r / F * slow  # P = M Q
            link = max(t, link) + t_ar(4.0 * n * r, N, M, alpha, beta)
            link += 2 * n * m * r / F * slow  # Q = M^T P, once the summed P is back
            link += t_ar(4.0 * m * r, N, M, alpha, beta)
            decompress += 2 * n * m * r / F * slow  # M = P Q^T
    compute = t
    link += decompress
    # then the step's scalars (loss, token count, stop flag) in one small all-reduce: latency only
    total = max(compute, link) + t_ar(0.0, N, M, alpha, beta)
    return total, total - compute


def params_of(cell, V, E, H, L):
    return sum(p for _, p, _ in groups(cell, V, E, H, L))


def cmd_step(a):
    total, exposed = step(a.cell, a.vocab, a.embed, a.hidden, a.layers, a.seq_len, a.batch,
                          a.ranks, a.alpha, a.beta, a.flops, a.slow, a.per_host, a.powersgd,
                          (a.alpha_shm, a.beta_shm) if a.beta_shm else None)
    tok = a.ranks * a.batch * a.seq_len / total
    print(f"{tok:.0f} {total:.6f} {exposed / total:.4f}")


def cmd_calibrate(a):
    """F from a measured single-rank tokens/s; alpha, beta from all-reduce-bound runs."""
    fwd = sum(f for _, _, f in groups(a.cell, a.vocab, a.embed, a.hidden, a.layers))
    print(f"{3 * fwd * a.tok_per_s:.6g}")


def cmd_predict(a):
    Ns = [16, 128, 1024]
    rates = [1e9, 10e9, 100e9]
    eff = a.efficiency
    print(f"alpha {a.alpha * 1e6:.0f} us per round, F {a.flops / 1e9:.1f} GFLOP/s per rank,"
          f" link efficiency {eff:.2f}")
    configs = [("char GRU E128 H512, 16 x 64 tokens/rank", "gru", 64, 128, 512, 1, 64, 16),
               ("char GRU E128 H512 2 layers", "gru", 64, 128, 512, 2, 64, 16),
               ("word GRU V10k E512 H512", "gru", 10000, 512, 512, 1, 35, 32),
               ("word LSTM V10k E1024 H1024 2 layers", "lstm", 10000, 1024, 1024, 2, 35, 32)]
    print("| model | params | Gbit/s | gradients | " + " | ".join(f"N={n}" for n in Ns) + " |")
    print("| --- | ---: | ---: | --- | " + " | ".join("---:" for _ in Ns) + " |")
    for name, cell, V, E, H, L, T, b in configs:
        for r in rates:
            for R in (0, a.powersgd) if a.powersgd else (0,):
                cells = []
                # the speedup is over one rank without compression
                one, _ = step(cell, V, E, H, L, T, b, 1, a.alpha, eff * r / 8, a.flops)
                for n in Ns:
                    total, exp = step(cell, V, E, H, L, T, b, n, a.alpha, eff * r / 8, a.flops,
                                      powersgd=R)
                    cells.append(f"{n * one / total:.0f}x, {100 * exp / total:.0f}% exposed")
                how = f"PowerSGD {R}" if R else "fp32"
                print(f"| {name} | {params_of(cell, V, E, H, L) / 1e6:.2f}M | {r / 1e9:.0f} | {how} | "
                      + " | ".join(cells) + " |")
    print()
    print("smallest per-rank batch (sequences of 64 tokens) with at most 5% of the step exposed,")
    print("GRU char model (V=64, E=128), 2 layers:")
    Hs = [256, 512, 1024, 2048]
    print("| Gbit/s | N | " + " | ".join(f"H={h}" for h in Hs) + " |")
    print("| ---: | ---: | " + " | ".join("---:" for _ in Hs) + " |")
    for r in rates:
        for n in Ns:
            row = []
            for h in Hs:
                best = None
                for b in [2 ** k for k in range(0, 13)]:
                    total, exp = step("gru", 64, 128, h, 2, 64, b, n, a.alpha, eff * r / 8, a.flops)
                    if exp <= 0.05 * total:
                        best = b
                        break
                row.append(str(best) if best else "> 4096")
            print(f"| {r / 1e9:.0f} | {n} | " + " | ".join(row) + " |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("step", help="tokens/s, step seconds, exposed share of one setting")
    c = sub.add_parser("flops", help="sustained FLOP/s of one rank from its tokens/s")
    for sp in (s, c):
        sp.add_argument("--cell", default="gru", choices=sorted(GATES))
        for n, d in [("--vocab", 64), ("--embed", 128), ("--hidden", 512), ("--layers", 1)]:
            sp.add_argument(n, type=int, default=d)
    for n, d in [("--seq-len", 64), ("--batch", 16), ("--ranks", 2), ("--per-host", 1)]:
        s.add_argument(n, type=int, default=d)
    for n in ["--alpha", "--beta", "--flops"]:
        s.add_argument(n, type=float, required=True)
    s.add_argument("--alpha-shm", type=float, default=0.0, help="latency of a round inside a host")
    s.add_argument("--beta-shm", type=float, default=0.0,
                   help="bytes/s inside a host (0: traffic inside a host left out)")
    s.add_argument("--slow", type=float, default=1.0, help="compute slow-down (ranks per core)")
    s.add_argument("--powersgd", type=int, default=0, help="PowerSGD rank R (0: uncompressed)")
    c.add_argument("--tok-per-s", type=float, required=True)
    q = sub.add_parser("predict", help="the prediction tables of docs/SCALING.md")
    q.add_argument("--alpha", type=float, required=True)
    q.add_argument("--flops", type=float, required=True)
    q.add_argument("--efficiency", type=float, default=0.9, help="share of the link rate reached")
    q.add_argument("--powersgd", type=int, default=0, help="also each setting with PowerSGD rank R")
    a = p.parse_args()
    {"step": cmd_step, "flops": cmd_calibrate, "predict": cmd_predict}[a.cmd](a)


if __name__ == "__main__":
    main()
