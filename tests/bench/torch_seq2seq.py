#!/usr/bin/python3
"""PyTorch twin of drnn-train --model seq2seq's training step, for throughput comparison
(tests/bench/run).

The model is tests/reference/seq2seq_reference.py's Seq2Seq (drnn's model, the encoder over
pack_padded_sequence, Luong attention, GRU decoder) at the corpus's vocabulary sizes, float32;
loss: cross-entropy summed over the real target positions (<eos> included) over the batch's
target tokens, as drnn normalizes it; clip_grad_norm_, SGD (no momentum), no dropout.

Same batch composition as drnn's (trainer/kind_seq2seq.c): the train pairs permuted, the first
floor(n/B)*B kept, sorted by padded size (max(source, target + 1), then target, then source),
cut into consecutive batches of B, the batches taken in a shuffled order — with Python's
random.Random(seed) instead of drnn's Philox, so the batches are alike, not the same. The padded
batches are made before timing; packing is timed.

Prints one line of JSON on stdout: {"tok_per_s": median over segments of --every timed steps of
(source + target tokens, <eos> counted, / seconds) — drnn's tok_per_s records count the same
way —, "step_s_median", ...}. Every step (forward, backward, clip, update) is timed; the first
--warmup steps are left out.

  OMP_NUM_THREADS=1 /usr/bin/python3 tests/bench/torch_seq2seq.py --data PAIRS.h5 --embed 64 \
      --hidden 128 --bidirectional --batch 64
"""
import argparse
import os
import random
import sys
import time


def parse_args():
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    from torch_lecture import add_run_args  # this folder's: the options both scripts share
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="drnn pairs corpus (drnn-prep --format pairs)")
    p.add_argument("--cell", choices=("gru", "lstm", "rnn", "rnn_relu"), default="gru")
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--attention", choices=("general", "dot"), default="general")
    add_run_args(p, batch=64)
    return p.parse_args()


def batch_order(slen, tlen, B, seed):
    """Lists of pair ids, batch after batch, of one epoch (see the module doc)."""
    r = random.Random(seed)
    perm = list(range(len(slen)))
    r.shuffle(perm)
    perm = perm[:len(perm) // B * B]
    perm.sort(key=lambda i: (max(slen[i], tlen[i] + 1), tlen[i] + 1, slen[i]))  # stable
    batches = [perm[b:b + B] for b in range(0, len(perm), B)]
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
    import torch.nn.functional as F

    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "reference"))
    from seq2seq_reference import BOS, EOS, PAD, Seq2Seq
    from torch_lecture import print_report, torch_threads

    torch_threads(torch, a.threads)
    with h5py.File(a.data, "r") as f:
        src = np.asarray(f["train/src_tokens"][:], dtype=np.int64)
        soff = np.asarray(f["train/src_offsets"][:], dtype=np.int64)
        tgt = np.asarray(f["train/tgt_tokens"][:], dtype=np.int64)
        toff = np.asarray(f["train/tgt_offsets"][:], dtype=np.int64)
        Vs = int(f.attrs["vocab_size"])
        Vt = int(f.attrs["tgt_vocab_size"])
    slen = (soff[1:] - soff[:-1]).tolist()
    tlen = (toff[1:] - toff[:-1]).tolist()
    B = a.batch
    if len(slen) < B:
        sys.exit(f"{a.data}: {len(slen)} pairs, fewer than --batch {B}")

    # The steps' batches, padded time-major (epochs as needed).
    batches, epoch = [], 0
    while len(batches) < a.steps:
        for ids in batch_order(slen, tlen, B, a.seed * 1000003 + epoch):
            Ts, Tt = max(slen[i] for i in ids), max(tlen[i] for i in ids) + 1
            x = np.full((Ts, B), PAD, dtype=np.int64)
            y_in = np.full((Tt, B), PAD, dtype=np.int64)
            y_out = np.full((Tt, B), PAD, dtype=np.int64)
            for j, i in enumerate(ids):
                m = tlen[i]
                x[:slen[i], j] = src[soff[i]:soff[i + 1]]
                y_in[0, j] = BOS
                y_in[1:m + 1, j] = tgt[toff[i]:toff[i + 1]]
                y_out[:m, j] = tgt[toff[i]:toff[i + 1]]
                y_out[m, j] = EOS
            sl = torch.tensor([slen[i] for i in ids])
            tl = torch.tensor([tlen[i] + 1 for i in ids])
            real = torch.arange(Tt).unsqueeze(1) < tl.unsqueeze(0)  # [Tt, B]
            batches.append((torch.from_numpy(x), sl, torch.from_numpy(y_in),
                            torch.from_numpy(y_out), real, int(sl.sum() + tl.sum()),
                            int(tl.sum())))
            if len(batches) == a.steps:
                break
        epoch += 1

    torch.manual_seed(a.seed)
    model = Seq2Seq(a.cell, a.layers, a.bidirectional, a.attention,
                    sizes=(Vs, Vt, a.embed, a.hidden))
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    times, ntok, losses = [], [], []
    for x, sl, y_in, y_out, real, tokens, targets in batches:
        t0 = time.perf_counter()
        logits, _ = model(x, sl, y_in)
        loss = F.cross_entropy(logits[real], y_out[real], reduction="sum") / targets
        opt.zero_grad(set_to_none=False)
        loss.backward()
        if a.clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        times.append(time.perf_counter() - t0)
        ntok.append(tokens)
        losses.append(loss.item())
    print_report(a, model, times, ntok, losses)


if __name__ == "__main__":
    main()
