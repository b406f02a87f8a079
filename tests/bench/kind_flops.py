#!/usr/bin/env python3
"""GEMM FLOPs of the classifier, seq2seq training and seq2seq decoding (tests/bench/run,
tests/bench/bench_decode.sh), to put their throughput next to one core's sgemm ceiling.

Counted as the LM rows of tests/bench/run count them: the matrix products only, 2 FLOPs per
multiply-add, real positions only (padding left out), training = 3 x forward (backward: the
input and the weight gradients). The element-wise work (gates, softmax, tanh) is left out, so a
throughput times these FLOPs is a lower bound of the FLOP/s either program reaches.

  classifier  per token: 2 G H (in + H) per layer and direction (in: E, then H or 2H).
  seq2seq     per pair (model/seq2seq.h, D = H or 2H): the encoder as above over the source;
              per source position the attention key attn.weight h_i (2 H D); per decoder step
              the decoder layers (in: E, then H), the scores and context (2 H n + 2 D n for a
              source of n), attn_combine (2 H (D + H)) and the generator (2 Vt H); the bridge
              once per layer (2 H D). Training: 3 x that over source + target tokens.
  decode      per sentence, forward only: the encoder and keys as above, then the decoder
              steps of its output (greedy: one hypothesis per generated token, <eos> included;
              beam K: at least 1 + K (len - 1) hypothesis steps for an output of len tokens, the
              live beam being full after the first step; the search may run longer).

  kind_flops.py classifier --cell gru --embed 128 --hidden 256 [--layers 1] [--bidirectional]
  kind_flops.py seq2seq --data PAIRS.h5 --embed 128 --hidden 256 --bidirectional
  kind_flops.py decode --src SRC.txt --out OUT.txt --data PAIRS.h5 --embed 32 --hidden 256 \
      --layers 2 --bidirectional [--beam 5]
Prints one number: FLOPs per token (classifier, seq2seq) or per sentence (decode).
"""
import argparse

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def encoder_per_token(G, E, H, L, bidir):
    dirs = 2 if bidir else 1
    f = 0
    for k in range(L):
        inp = E if k == 0 else H * dirs
        f += dirs * 2 * G * H * (inp + H)
    return f


def s2s_parts(a):
    """(per source token, per decoder step without the attention over n, per source per step,
    per pair) forward FLOPs."""
    G = GATES[a.cell]
    D = 2 * a.hidden if a.bidirectional else a.hidden
    H = a.hidden
    src = encoder_per_token(G, a.embed, H, a.layers, a.bidirectional) + 2 * H * D
    step = 0
    for k in range(a.layers):
        step += 2 * G * H * ((a.embed if k == 0 else H) + H)
    step += 2 * H * (D + H) + 2 * a.tgt_vocab * H
    per_src_step = 2 * H + 2 * D
    pair = a.layers * 2 * H * D
    return src, step, per_src_step, pair


def cmd_classifier(a):
    f = encoder_per_token(GATES[a.cell], a.embed, a.hidden, a.layers, a.bidirectional)
    print(f"{3 * f:.0f}")


def tgt_vocab(path):
    import h5py
    with h5py.File(path, "r") as h:
        return len(h["tgt_vocab"])


def cmd_seq2seq(a):
    import h5py
    with h5py.File(a.data, "r") as h:
        so = h[f"{a.split}/src_offsets"][:]
        to = h[f"{a.split}/tgt_offsets"][:]
    a.tgt_vocab = tgt_vocab(a.data)
    src, step, per_src_step, pair = s2s_parts(a)
    flops = tokens = 0
    for i in range(len(so) - 1):
        n = int(so[i + 1] - so[i])
        m = int(to[i + 1] - to[i]) + 1  # <eos>
        flops += n * src + m * (step + n * per_src_step) + pair
        tokens += n + m
    print(f"{3 * flops / tokens:.0f}")


def cmd_decode(a):
    a.tgt_vocab = tgt_vocab(a.data)
    src, step, per_src_step, pair = s2s_parts(a)
    with open(a.src, encoding="utf-8") as f:
        srcs = [len(line.rstrip("\n")) for line in f]
    with open(a.out, encoding="utf-8") as f:
        outs = [len(line.rstrip("\n")) + 1 for line in f]  # <eos>
    if len(srcs) != len(outs):
        raise SystemExit(f"kind_flops.py: {a.src} has {len(srcs)} lines, {a.out} {len(outs)}")
    K = max(1, a.beam)
    flops = 0
    for n, m in zip(srcs, outs):
        hyp_steps = 1 + K * (m - 1)
        flops += n * src + pair + hyp_steps * (step + n * per_src_step)
    print(f"{flops / len(srcs):.0f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("classifier", help="training FLOPs per token")
    s = sub.add_parser("seq2seq", help="training FLOPs per source + target token")
    d = sub.add_parser("decode", help="forward FLOPs per decoded sentence (a lower bound)")
    for sp in (c, s, d):
        sp.add_argument("--cell", choices=sorted(GATES), default="gru")
        sp.add_argument("--embed", type=int, required=True)
        sp.add_argument("--hidden", type=int, required=True)
        sp.add_argument("--layers", type=int, default=1)
        sp.add_argument("--bidirectional", action="store_true")
    for sp in (s, d):
        sp.add_argument("--data", required=True, help="drnn pairs corpus (its target vocabulary)")
    s.add_argument("--split", default="train")
    d.add_argument("--src", required=True, help="the source lines (char tokens)")
    d.add_argument("--out", required=True, help="the translations, one per line")
    d.add_argument("--beam", type=int, default=0)
    a = p.parse_args()
    {"classifier": cmd_classifier, "seq2seq": cmd_seq2seq, "decode": cmd_decode}[a.cmd](a)


if __name__ == "__main__":
    main()
