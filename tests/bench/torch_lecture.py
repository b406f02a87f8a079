#!/usr/bin/python3
"""PyTorch twin of drnn-train's classifier with the lecture's options, for throughput comparison
(tests/bench/bench_lecture.sh; tests/bench/run with --padded).

Same model, float32: nn.Embedding(V, E) -> a packed bidirectional nn.LSTM/GRU of --layers (one
nn.LSTM of L layers, or with --residual one single-layer module per layer run on the packed
rows, y_k = RNN_k(y_{k-1}) + y_{k-1} from the second layer up, as drnn's --residual) -> with
--self-attention HEADS: z = nn.LayerNorm(y + nn.MultiheadAttention(D, HEADS)(y, y, y,
key_padding_mask)[0]) -> mean over each example's real tokens -> nn.Linear(D, C); mean
cross-entropy over the batch, clip_grad_norm_, SGD (no momentum), no dropout, as drnn-train
--optimizer sgd --dropout 0.

Same batch composition as drnn's training order (trainer/cls_data.h cls_epoch_order): the train
examples permuted, the first nb*B cut into pools of 50 batches, each pool sorted by length, cut
into batches of B examples of similar length, the batches taken in a shuffled order — with
Python's random.Random(seed) instead of drnn's Philox, so the batches are alike, not the same.
The padded batches are made before timing; packing is timed. With --padded (a unidirectional
encoder without --residual or --self-attention) the RNN runs over the padded batch instead, which
is PyTorch's fastest way here and gives the same pooled vector: a forward RNN's outputs at real
positions do not depend on the padding after them, and the mean pools over real positions only.

Prints one line of JSON on stdout: {"tok_per_s": median over segments of --every timed steps of
(real tokens / seconds) — drnn's tok_per_s records count the same way —, "step_s_median": the
median step time, ...}. Every step (forward, backward, clip, update) is timed; the first --warmup
steps are left out.

  OMP_NUM_THREADS=1 /usr/bin/python3 tests/bench/torch_lecture.py --data CORPUS.h5 --embed 64 \
      --hidden 64 --layers 2 --residual --self-attention 4 --batch 32
"""
import argparse
import json
import random
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="drnn labels corpus (drnn-prep --format labels)")
    p.add_argument("--cell", choices=("gru", "lstm"), default="lstm")
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--unidirectional", action="store_true", help="default: bidirectional")
    p.add_argument("--residual", action="store_true")
    p.add_argument("--self-attention", type=int, default=0, metavar="HEADS")
    p.add_argument("--padded", action="store_true",
                   help="run the RNN over the padded batch, no packing (unidirectional only)")
    add_run_args(p, batch=32)
    return p.parse_args()


def torch_threads(torch, n):
    """n intra-op threads and one inter-op thread (the latter only before torch's first use)."""
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass


def add_run_args(p, batch):
    """The batch, SGD, timing and seed options of this script and torch_seq2seq.py."""
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--steps", type=int, default=60, help="total steps, warm-up included")
    p.add_argument("--warmup", type=int, default=10, help="steps left out of the timing")
    p.add_argument("--every", type=int, default=10, help="timed steps per tok/s segment")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)


def batch_order(lens, B, seed):
    """Example ids in training order, nb*B of them (see the module doc)."""
    r = random.Random(seed)
    n = len(lens)
    nb = n // B
    perm = list(range(n))
    r.shuffle(perm)
    perm = perm[:nb * B]
    pool = 50 * B
    for s in range(0, len(perm), pool):
        perm[s:s + pool] = sorted(perm[s:s + pool], key=lambda i: lens[i])  # stable
    batches = [perm[b * B:(b + 1) * B] for b in range(nb)]
    r.shuffle(batches)
    return batches


def main():
    a = parse_args()
    if a.steps <= a.warmup or a.warmup < 0:
        sys.exit("--steps must exceed --warmup, which must be non-negative")
    import h5py
    import numpy as np
    import torch
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch_threads(torch, a.threads)
    with h5py.File(a.data, "r") as f:
        tok = np.asarray(f["train/tokens"][:], dtype=np.int64)
        off = np.asarray(f["train/offsets"][:], dtype=np.int64)
        lab = np.asarray(f["train/labels"][:], dtype=np.int64)
        V = int(f.attrs["vocab_size"])
        C = int(lab.max()) + 1
        if "labels" in f:
            C = max(C, len(f["labels"][...].tobytes().split(b"\0")) - 1)
    lens = (off[1:] - off[:-1]).tolist()
    B, E, H, L = a.batch, a.embed, a.hidden, a.layers
    bi = not a.unidirectional
    D = 2 * H if bi else H
    if a.padded and (bi or a.residual or a.self_attention):
        sys.exit("--padded needs --unidirectional, without --residual or --self-attention")
    if a.self_attention and D % a.self_attention:
        sys.exit(f"--self-attention {a.self_attention} does not divide D = {D}")

    # The steps' batches, padded [T, B] time-major, with lengths and labels (epochs as needed).
    batches, epoch = [], 0
    while len(batches) < a.steps:
        for ids in batch_order(lens, B, a.seed * 1000003 + epoch):
            T = max(lens[i] for i in ids)
            x = np.zeros((T, B), dtype=np.int64)
            for j, i in enumerate(ids):
                x[:lens[i], j] = tok[off[i]:off[i + 1]]
            batches.append((torch.from_numpy(x), torch.tensor([lens[i] for i in ids]),
                            torch.from_numpy(lab[ids])))
            if len(batches) == a.steps:
                break
        epoch += 1

    Cell = nn.LSTM if a.cell == "lstm" else nn.GRU

    class Lecture(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V, E)
            if a.residual:  # layer by layer: the sums need each layer's output
                self.layers = nn.ModuleList(
                    Cell(E if k == 0 else D, H, bidirectional=bi) for k in range(L))
            else:
                self.encoder = Cell(E, H, num_layers=L, bidirectional=bi)
            if a.self_attention:
                self.self_attn = nn.MultiheadAttention(D, a.self_attention)
                self.self_attn_norm = nn.LayerNorm(D)
            self.classifier = nn.Linear(D, C)

        def forward(self, x, lens):
            T = x.shape[0]
            pad = torch.arange(T).unsqueeze(1) >= lens.unsqueeze(0)  # [T, B]
            if a.padded:
                y, _ = self.encoder(self.embedding(x))
                y = y.masked_fill(pad.unsqueeze(2), 0.0)
                return self.classifier(y.sum(0) / lens.unsqueeze(1).to(y.dtype))
            packed = pack_padded_sequence(self.embedding(x), lens, enforce_sorted=False)
            if a.residual:
                y = packed
                for k, rnn in enumerate(self.layers):
                    out, _ = rnn(y)
                    y = out._replace(data=out.data + y.data) if k > 0 else out
            else:
                y, _ = self.encoder(packed)
            y, _ = pad_packed_sequence(y, total_length=T)  # [T, B, D], 0 at padding
            if a.self_attention:
                att, _ = self.self_attn(y, y, y, key_padding_mask=pad.t(), need_weights=False)
                y = self.self_attn_norm(y + att).masked_fill(pad.unsqueeze(2), 0.0)
            return self.classifier(y.sum(0) / lens.unsqueeze(1).to(y.dtype))

    torch.manual_seed(a.seed)
    model = Lecture()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    xent = nn.CrossEntropyLoss()
    times, ntok, losses = [], [], []
    for x, ln, y in batches:
        t0 = time.perf_counter()
        loss = xent(model(x, ln), y)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        if a.clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        times.append(time.perf_counter() - t0)
        ntok.append(int(ln.sum()))
        losses.append(loss.item())
    print_report(a, model, times, ntok, losses)


def print_report(a, model, times, ntok, losses):
    """The one JSON line every torch_*.py training benchmark prints: tokens/s as the median of
    a.every-step segments after a.warmup steps, and what the run was (torch_seq2seq.py uses it)."""
    import torch
    tt, tn = times[a.warmup:], ntok[a.warmup:]
    segs = [sum(tn[s:s + a.every]) / sum(tt[s:s + a.every])
            for s in range(0, len(tt) - a.every + 1, a.every)] or [sum(tn) / sum(tt)]
    print(json.dumps({
        "tok_per_s": statistics.median(segs),
        "step_s_median": statistics.median(tt),
        "timed_steps": len(tt),
        "segments": len(segs),
        "tokens_per_step": sum(tn) / len(tn),
        "parameters": sum(p.numel() for p in model.parameters()),
        "threads": torch.get_num_threads(),
        "first_loss": losses[0],
        "last_loss": losses[-1],
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
