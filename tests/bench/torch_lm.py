#!/usr/bin/python3
"""PyTorch twin of drnn-train's LM, for throughput comparison (tests/bench/bench_train.sh, run).

Same model (nn.Embedding -> nn.GRU or nn.LSTM of --layers -> nn.Linear, or with --softmax
adaptive nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, div_value, head_bias=False); float32), same step (truncated BPTT over windows
of T with the hidden state carried and detached, sum cross-entropy / (B*T), clip_grad_norm_, SGD)
and the same data layout as drnn (DESIGN.md §5: B contiguous streams of the train split, rank r
of N owning streams [r*B/N, (r+1)*B/N)). With --nprocs 2 it runs DistributedDataParallel over
gloo on 127.0.0.1, one process per rank.

Prints one line of JSON on stdout: {"tok_per_s": median global tokens/s over the timed steps, ...}.
Timing: every step (forward, backward, all-reduce, clip, update) is timed on rank 0; the first
--warmup steps are dropped and the median of the rest is reported.

  OMP_NUM_THREADS=1 /usr/bin/python3 tests/bench/torch_lm.py --data CORPUS.h5 --hidden 256 ...
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", help="drnn corpus (HDF5, /train/tokens and /vocab); random ids if absent")
    p.add_argument("--vocab", type=int, default=64, help="vocabulary size when --data is absent")
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--cell", choices=("gru", "lstm"), default="gru")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--softmax", choices=("full", "adaptive"), default="full")
    p.add_argument("--cutoffs", default="", help="--softmax adaptive: c1,c2,... as drnn-train's")
    p.add_argument("--div-value", type=float, default=4.0)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--batch", type=int, default=32, help="global batch (streams)")
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--steps", type=int, default=40, help="total steps, warm-up included")
    p.add_argument("--warmup", type=int, default=5, help="steps left out of the timing")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads per process")
    p.add_argument("--nprocs", type=int, default=1, help="1: plain; >1: DDP over gloo")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def load_tokens(args):
    import numpy as np
    import torch

    if args.data:
        import h5py

        with h5py.File(args.data, "r") as f:
            tokens = np.asarray(f["train/tokens"][:], dtype=np.int64)
            vocab = int(f.attrs["vocab_size"])  # /vocab holds the strings as bytes
    else:
        vocab = args.vocab
        need = args.batch * (args.steps * args.seq_len + 1)
        tokens = np.random.default_rng(args.seed).integers(0, vocab, need, dtype=np.int64)
    return torch.from_numpy(tokens), vocab


def worker(rank, args, init_method, out_path):
    import torch
    import torch.nn as nn

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    N = args.nprocs
    if N > 1:
        import torch.distributed as dist

        dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=N)

    tokens, V = load_tokens(args)
    B, T, E, H = args.batch, args.seq_len, args.embed, args.hidden
    Bl = B // N
    S = tokens.numel() // B
    steps_per_epoch = (S - 1) // T
    streams = tokens[: B * S].view(B, S)[rank * Bl : (rank + 1) * Bl]  # [Bl, S]

    L, lstm, adaptive = args.layers, args.cell == "lstm", args.softmax == "adaptive"

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V, E)
            self.rnn = (nn.LSTM if lstm else nn.GRU)(E, H, num_layers=L)
            if adaptive:
                cut = [int(c) for c in args.cutoffs.split(",")]
                self.decoder = nn.AdaptiveLogSoftmaxWithLoss(H, V, cut, div_value=args.div_value)
            else:
                self.decoder = nn.Linear(H, V)

        def forward(self, x, h, y):
            out, h = self.rnn(self.embedding(x), h)
            if adaptive:  # mean NLL over the Bl*T positions
                return self.decoder(out.view(-1, H), y.view(-1)).loss, h
            return xent(self.decoder(out).view(-1, V), y.view(-1)) * scale, h

    def zero_state():
        z = torch.zeros(L, Bl, H)
        return (z, torch.zeros(L, Bl, H)) if lstm else z

    torch.manual_seed(args.seed)
    model = LM()
    net = model
    if N > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        net = DDP(model)  # broadcasts rank 0's weights; averages gradients over the N ranks
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    xent = nn.CrossEntropyLoss(reduction="sum")
    # Sum over this rank's tokens / (Bl*T); DDP's mean over ranks makes it sum / (B*T) as in drnn.
    scale = 1.0 / (Bl * T)

    h = zero_state()
    times, losses = [], []
    for step in range(args.steps):
        k = step % steps_per_epoch
        if k == 0:
            h = zero_state()
        c = k * T
        t0 = time.perf_counter()
        x = streams[:, c : c + T].t().contiguous()  # [T, Bl], time-major like nn.GRU
        y = streams[:, c + 1 : c + T + 1].t().contiguous()
        loss, h = net(x, h, y)
        h = tuple(s.detach() for s in h) if lstm else h.detach()
        opt.zero_grad(set_to_none=False)
        loss.backward()
        if args.clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())
    if N > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        timed = times[args.warmup :] or times
        med = statistics.median(timed)
        res = {
            "tok_per_s": B * T / med,
            "step_s_median": med,
            "timed_steps": len(timed),
            "nprocs": N,
            "threads": torch.get_num_threads(),
            "first_loss": losses[0],
            "last_loss": losses[-1],
            "torch": torch.__version__,
        }
        with open(out_path, "w") as f:
            json.dump(res, f)


def main():
    args = parse_args()
    if args.batch % args.nprocs:
        sys.exit(f"--batch {args.batch} is not divisible by --nprocs {args.nprocs}")
    if args.steps <= 0 or args.warmup < 0:
        sys.exit("--steps must be positive and --warmup non-negative")
    tmp = tempfile.mkdtemp(prefix="drnn-torch.")
    out_path = os.path.join(tmp, "result.json")
    try:
        if args.nprocs == 1:
            worker(0, args, None, out_path)
        else:
            import torch.multiprocessing as mp

            init = "file://" + os.path.join(tmp, "rendezvous")
            mp.spawn(worker, args=(args, init, out_path), nprocs=args.nprocs, join=True)
        with open(out_path) as f:
            print(f.read())
    finally:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
