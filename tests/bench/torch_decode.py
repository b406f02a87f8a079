#!/usr/bin/python3
"""Batched PyTorch greedy and beam-search decoding of a drnn seq2seq model.h5, for throughput
comparison with drnn-sample (tests/bench/bench_decode.sh).

The model is tests/reference/seq2seq_reference.py's Seq2Seq loaded from drnn-export's model.h5
(load_state_dict(strict=True)); its encode() runs the encoder, and one decoder step here is its
step() with the encoder memory kept batch-first per hypothesis (re-gathered only when sources
finish), so bmm does the attention. The search follows model/search.h exactly, a batch of sources
at a time, all hypotheses flattened into one [sources * K] batch for the model:
  - greedy: argmax (the lowest id among equal log-probabilities) until <eos> or max_len;
  - beam K: the candidates (h, w) of a source, raw score s_h + logp_h(w) in double, ranked by raw
    score, ties by the lower h * Vt + w (topk of 2K + 1, reordered by (score, index); a tie at the
    cut falls back to a stable sort of all candidates); walking the ranking, <eos> candidates
    finish (raw / lp(n + 1)), others go live until K are live; live ones at max_len finish; the
    source stops when nothing is live, or when n_best are finished and the n_best-th normalized
    score is >= the best live raw score / lp(max_len); finished lists keep the n_best of highest
    normalized score, ties to the one finished first.
lp(n) = ((5 + n) / 6)^alpha, alpha and max_ratio rounded to float32 as drnn-sample stores them.
Every step is tensor work over the whole batch; Python loops only over time steps (and over
lines to tokenize and print, as drnn-sample does).

Input: one source per line, tokenized with the model's /vocab (char: every UTF-8 character, unknown
ones <unk> 0; word: whitespace-separated). Output (-o): drnn-sample's format, one line per input
line (empty for an empty line); with --n-best > 1 "LINE<TAB>SCORE<TAB>TEXT" lines.

Timing: each run reads the input, tokenizes, decodes, formats and writes the output, as
drnn-sample times it (the model load is outside); --warmup runs are left out and the median of
the --repeat timed runs is printed as one line of JSON on stdout:
  {"sent_per_s": ..., "tok_per_s": ..., "sentences": ..., "tokens": ..., "run_s": [...], ...}
tokens: the generated tokens of the best hypotheses, <eos> included (drnn-sample's count).

  /usr/bin/python3 tests/bench/torch_decode.py --model model.h5 --input src.txt --beam 5 \
      --length-penalty 0.6 --batch 64 -o out.txt
"""
import argparse
import json
import math
import os
import re
import statistics
import sys
import time

import h5py
import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from seq2seq_reference import BOS, EOS, PAD, UNK, Seq2Seq  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="drnn-export model.h5 of a seq2seq model")
    p.add_argument("--input", required=True, help="source lines")
    p.add_argument("-o", "--output", required=True, help="translations (drnn-sample's format)")
    p.add_argument("--beam", type=int, default=1, help="beam width (<= 1: greedy)")
    p.add_argument("--length-penalty", type=float, default=0.0, help="alpha of the GNMT penalty")
    p.add_argument("--n-best", type=int, default=1, help="hypotheses per line (<= --beam)")
    p.add_argument("--max-ratio", type=float, default=2.0, help="at most R x source length tokens")
    p.add_argument("--batch", type=int, default=32, help="lines decoded together")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    p.add_argument("--repeat", type=int, default=3, help="timed runs")
    return p.parse_args()


def text_attr(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load_model(path):
    """model.h5 -> (Seq2Seq in eval mode, source vocabulary strings, target vocabulary strings,
    tokenizer name)."""
    with h5py.File(path, "r") as f:
        a = f.attrs
        if text_attr(a.get("model", "")) != "seq2seq":
            sys.exit(f"{path}: not a seq2seq model.h5 (model={text_attr(a.get('model', ''))})")
        sizes = (int(a["vocab_size"]), int(a["tgt_vocab_size"]), int(a["embed"]), int(a["hidden"]))
        model = Seq2Seq(text_attr(a["cell"]), int(a["layers"]), bool(a["bidirectional"]),
                        text_attr(a["attention"]), sizes)
        sd = {k: torch.from_numpy(np.asarray(f[k])) for k in f if k not in ("vocab", "tgt_vocab")}
        model.load_state_dict(sd, strict=True)
        # surrogateescape: a stray byte (its own symbol in drnn) maps to the same escaped char
        # as in the input text below.
        vocab = [v.decode("utf-8", "surrogateescape") for v in f["vocab"][...]]
        tgt_vocab = [v.decode("utf-8", "surrogateescape") for v in f["tgt_vocab"][...]]
        tokenizer = text_attr(a["tokenizer"])
    return model.eval(), vocab, tgt_vocab, tokenizer


def make_encoder(vocab, tokenizer):
    """A function line -> list of ids, as drnn's tokenizer with this vocabulary."""
    specials = ("<unk>", "<pad>", "<bos>", "<eos>")
    if tokenizer == "char":
        table = {("\0" if s == "" else s): i for i, s in enumerate(vocab) if i >= len(specials)}
        return lambda line: [table.get(c, UNK) for c in line]
    if tokenizer == "word":
        table = {s: i for i, s in enumerate(vocab) if i >= len(specials)}
        # drnn splits on ASCII whitespace only
        return lambda line: [table.get(w, UNK) for w in re.split("[ \t\r\v\f\n]+", line) if w]
    sys.exit(f"tokenizer {tokenizer}: only char and word are supported here")


class Memory:
    """The encoder's outputs per active source, batch-first, shared by the source's hypotheses:
    mem [nb, Ts, D], keys_t [nb, H, Ts] (the attention keys, transposed for bmm), pad [nb, 1, Ts]
    (True at padding)."""

    def __init__(self, mem, keys_t, pad):
        self.mem, self.keys_t, self.pad = mem, keys_t, pad

    def select(self, rows):
        return Memory(self.mem.index_select(0, rows), self.keys_t.index_select(0, rows),
                      self.pad.index_select(0, rows))


def encode(model, src, lens):
    """src [Ts, B] long, lens [B] long -> Memory of the B sources, decoder start states
    [L, B, H]."""
    out, keys, s0 = model.encode(src, lens)
    pad = torch.arange(src.shape[0]).view(1, 1, -1) >= lens.view(-1, 1, 1)
    return Memory(out.transpose(0, 1).contiguous(), keys.permute(1, 2, 0).contiguous(), pad), s0


def step(model, prev, state, m, S):
    """One decoder step of N = nb * S hypotheses, S per source, source-major (Seq2Seq.step, with
    each source's S queries attending to its memory in one bmm): prev [N] tokens, state [L, N, H]
    -> logp [N, Vt] float32 log_softmax, the new state."""
    s, state = model.decoder(model.tgt_embedding(prev).unsqueeze(0), state)
    q = s[0].view(-1, S, s.shape[2])  # [nb, S, H]
    e = torch.bmm(q, m.keys_t).masked_fill(m.pad, float("-inf"))  # [nb, S, Ts]
    a = torch.bmm(torch.softmax(e, 2), m.mem)  # [nb, S, D]
    htilde = torch.tanh(model.attn_combine(torch.cat([a, q], 2).view(q.shape[0] * S, -1)))
    return torch.log_softmax(model.generator(htilde), 1), state


def max_lens(lens, ratio):
    """max(1, floor(max_ratio * n)) in double, max_ratio a float32 as in drnn."""
    return torch.clamp(torch.floor(lens.double() * ratio).long(), min=1)


def greedy(model, src, lens, ratio):
    """-> tokens [B, Lmax] long, lengths [B] long, raw scores [B] double."""
    B = lens.numel()
    ml = max_lens(lens, ratio)
    lmax = int(ml.max())
    m, state = encode(model, src, lens)
    toks = torch.zeros(B, lmax, dtype=torch.long)
    out_len = torch.zeros(B, dtype=torch.long)
    raw = torch.zeros(B, dtype=torch.float64)
    act = torch.arange(B)  # the source of each active row
    prev = torch.full((B,), BOS, dtype=torch.long)
    for t in range(lmax):
        logp, state = step(model, prev, state, m, 1)
        w = logp.argmax(1)  # the first maximum: the lowest id among equal log-probabilities
        raw[act] += logp.gather(1, w.unsqueeze(1)).squeeze(1).double()
        toks[act, t] = w
        out_len[act] = t + 1
        done = (w == EOS) | (ml[act] <= t + 1)
        if bool(done.any()):
            keep = (~done).nonzero().squeeze(1)
            if keep.numel() == 0:
                break
            act, w, state, m = act[keep], w[keep], state[:, keep], m.select(keep)
        prev = w
    return toks, out_len, raw


def rank(cand, want):
    """cand [nb, M] double -> the top `want` of each row as model/search.h ranks them (score
    descending, ties by the lower index): values and indices [nb, min(want, M)]."""
    M = cand.shape[1]
    if M <= want:
        return torch.sort(cand, dim=1, descending=True, stable=True)
    v, i = torch.topk(cand, want + 1, 1)
    i, p = torch.sort(i, 1)  # by index, then stably by score: (score desc, index asc)
    v, q = torch.sort(v.gather(1, p), dim=1, descending=True, stable=True)
    i = i.gather(1, q)
    tie = v[:, want - 1] == v[:, want]  # which of the tied ones made the cut is topk's choice
    if bool(tie.any()):
        fv, fi = torch.sort(cand[tie], dim=1, descending=True, stable=True)
        v[tie], i[tie] = fv[:, :want + 1], fi[:, :want + 1]
    return v[:, :want], i[:, :want]


def merge(fin, rows, score, tok, length, valid, nb_keep):
    """Offers finished hypotheses to the lists of sources `rows` (in order of finishing along
    dim 1): fin = dict of score [B, NB] (-inf when empty), tok [B, NB, Lmax], len [B, NB],
    n [B]. Keeps the NB highest normalized scores, ties to the one finished first."""
    fs, fn = fin["score"][rows], fin["n"][rows]
    nb = fs.shape[1]
    sc = torch.cat([fs, score], 1)
    ok = torch.cat([torch.arange(nb).view(1, -1) < fn.view(-1, 1), valid], 1)
    o1 = torch.sort((~ok).long(), dim=1, stable=True)[1]  # real ones first, in finishing order
    o2 = torch.sort(sc.gather(1, o1), dim=1, descending=True, stable=True)[1]
    order = o1.gather(1, o2)[:, :nb_keep]
    tk = torch.cat([fin["tok"][rows], tok], 1)
    ln = torch.cat([fin["len"][rows], length], 1)
    fin["score"][rows] = sc.gather(1, order)
    fin["tok"][rows] = tk.gather(1, order.unsqueeze(2).expand(-1, -1, tk.shape[2]))
    fin["len"][rows] = ln.gather(1, order)
    fin["n"][rows] = torch.clamp(fn + valid.sum(1), max=nb_keep)


def beam_search(model, src, lens, K, n_best, alpha, ratio, vt):
    """-> finished lists: score [B, n_best] double (normalized), tok [B, n_best, Lmax] long,
    len [B, n_best] long, n [B] (how many are real), best first."""
    B = lens.numel()
    ml = max_lens(lens, ratio)
    lmax = int(ml.max())
    lp = torch.tensor([1.0 if alpha == 0.0 else math.pow((5.0 + n) / 6.0, alpha)
                       for n in range(lmax + 1)], dtype=torch.float64)
    m, state = encode(model, src, lens)
    fin = {"score": torch.full((B, n_best), float("-inf"), dtype=torch.float64),
           "tok": torch.zeros(B, n_best, lmax, dtype=torch.long),
           "len": torch.zeros(B, n_best, dtype=torch.long),
           "n": torch.zeros(B, dtype=torch.long)}
    act = torch.arange(B)  # the source of each active row
    S = 1  # live slots per active source: 1 (<bos>) at the first step, then K
    raw = torch.zeros(B, 1, dtype=torch.float64)
    alive = torch.ones(B, 1, dtype=torch.bool)
    hist = torch.zeros(B, 1, lmax, dtype=torch.long)  # tokens of each live hypothesis
    prev = torch.full((B,), BOS, dtype=torch.long)
    for t in range(lmax):
        nb = act.numel()
        logp, state = step(model, prev, state, m, S)
        cand = (raw.unsqueeze(2) + logp.double().view(nb, S, vt)).view(nb, S * vt)
        vals, idx = rank(cand, 2 * K)
        h, w = idx // vt, idx % vt
        valid = alive.gather(1, h)  # dead slots (raw -inf) offer no candidates
        eos = w == EOS
        nonend = valid & ~eos
        considered = valid & (nonend.cumsum(1) - nonend.long() < K)  # walk until K are live
        ended, live = considered & eos, considered & ~eos
        if bool(ended.any()):  # <eos> candidates finish, in ranking order
            e_hist = hist.gather(1, h.unsqueeze(2).expand(-1, -1, lmax)).clone()
            e_hist[:, :, t] = EOS
            e_score = (vals / lp[t + 1]).masked_fill(~ended, float("-inf"))
            merge(fin, act, e_score, e_hist, torch.full_like(h, t + 1), ended, n_best)
        if live.shape[1] < K:  # fewer candidates than K (tiny vocabulary): dead slots
            pad = K - live.shape[1]
            live = torch.cat([live, torch.zeros(nb, pad, dtype=torch.bool)], 1)
            vals = torch.cat([vals, torch.full((nb, pad), float("-inf"), dtype=vals.dtype)], 1)
            h = torch.cat([h, torch.zeros(nb, pad, dtype=h.dtype)], 1)
            w = torch.cat([w, torch.zeros(nb, pad, dtype=w.dtype)], 1)
        sel = torch.sort((~live).long(), dim=1, stable=True)[1][:, :K]  # live ones, ranking order
        n_alive = live.gather(1, sel)
        n_raw = vals.gather(1, sel).masked_fill(~n_alive, float("-inf"))
        parent = h.gather(1, sel)
        n_hist = hist.gather(1, parent.unsqueeze(2).expand(-1, -1, lmax)).clone()
        n_hist[:, :, t] = w.gather(1, sel)
        rows = (torch.arange(nb) * S).view(-1, 1) + parent  # [nb, K] flat parent rows
        state = state[:, rows.view(-1)]
        at_max = n_alive & (ml[act] <= t + 1).view(-1, 1)  # end there as they are, beam order
        if bool(at_max.any()):
            merge(fin, act, (n_raw / lp[t + 1]).masked_fill(~at_max, float("-inf")), n_hist,
                  torch.full_like(parent, t + 1), at_max, n_best)
            n_alive = n_alive & ~at_max
        # Stop when nothing live could still beat the n_best-th finished hypothesis.
        has_live = n_alive.any(1)
        bound = n_raw[:, 0] / lp[ml[act]]
        stop = (fin["n"][act] >= n_best) & (fin["score"][act, n_best - 1] >= bound)
        done = ~has_live | stop
        S, raw, alive, hist, prev = K, n_raw.masked_fill(~n_alive, float("-inf")), n_alive, \
            n_hist, w.gather(1, sel).view(-1)
        if bool(done.any()):
            keep = (~done).nonzero().squeeze(1)
            if keep.numel() == 0:
                break
            slots = ((keep * K).view(-1, 1) + torch.arange(K)).view(-1)
            act, raw, alive, hist = act[keep], raw[keep], alive[keep], hist[keep]
            prev, state, m = prev[slots], state[:, slots], m.select(keep)
    return fin


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8", "surrogateescape")
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def run(args, model, encode_line, tgt_vocab, spaced):
    """Translates the input once; returns (sentences, generated tokens)."""
    vt = len(tgt_vocab)
    alpha = float(np.float32(args.length_penalty))
    ratio = float(np.float32(args.max_ratio))
    lines = read_lines(args.input)
    out, sentences, tokens = [], 0, 0

    def text(ids, n):
        ids = ids[:n]
        if ids and ids[-1] == EOS:
            ids = ids[:-1]
        return (" " if spaced else "").join(tgt_vocab[i] for i in ids)

    for b0 in range(0, len(lines), args.batch):
        chunk = [encode_line(ln) for ln in lines[b0:b0 + args.batch]]
        real = [i for i, ids in enumerate(chunk) if ids]
        res = {}
        if real:
            lens = torch.tensor([len(chunk[i]) for i in real])
            src = torch.full((int(lens.max()), len(real)), PAD, dtype=torch.long)
            for j, i in enumerate(real):
                src[:len(chunk[i]), j] = torch.tensor(chunk[i])
            if args.beam <= 1:
                toks, lens_out, raw = greedy(model, src, lens, ratio)
                lp = [1.0 if alpha == 0.0 else math.pow((5.0 + n) / 6.0, alpha)
                      for n in range(toks.shape[1] + 1)]
                toks, lens_out, raw = toks.tolist(), lens_out.tolist(), raw.tolist()
                for j, i in enumerate(real):
                    res[i] = [(toks[j], lens_out[j], raw[j] / lp[lens_out[j]])]
            else:
                fin = beam_search(model, src, lens, args.beam, args.n_best, alpha, ratio, vt)
                sc, tk, ln, fn = (fin[k].tolist() for k in ("score", "tok", "len", "n"))
                for j, i in enumerate(real):
                    res[i] = [(tk[j][r], ln[j][r], sc[j][r]) for r in range(fn[j])]
            sentences += len(real)
            tokens += sum(res[i][0][1] for i in real)
        for i in range(len(chunk)):
            if args.n_best == 1:
                out.append(text(*res[i][0][:2]) if i in res else "")
            else:
                out.extend(f"{b0 + i + 1}\t{s:.6f}\t{text(t, n)}" for t, n, s in res.get(i, []))
    with open(args.output, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("".join(s + "\n" for s in out))
    return sentences, tokens


def main():
    args = parse_args()
    if args.n_best < 1 or args.n_best > max(args.beam, 1):
        sys.exit(f"--n-best {args.n_best}: give 1 to --beam ({args.beam}) hypotheses")
    if args.batch < 1 or args.repeat < 1 or args.warmup < 0:
        sys.exit("--batch and --repeat must be positive, --warmup non-negative")
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    model, vocab, tgt_vocab, tokenizer = load_model(args.model)
    encode_line = make_encoder(vocab, tokenizer)
    times = []
    with torch.inference_mode():
        for r in range(args.warmup + args.repeat):
            t0 = time.perf_counter()
            sentences, tokens = run(args, model, encode_line, tgt_vocab, tokenizer == "word")
            if r >= args.warmup:
                times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"torch_decode: {sentences} sentences, {tokens} tokens, median {med:.3f} s: "
          f"{sentences / med:.1f} sentences/s, {tokens / med:.0f} tokens/s "
          f"({'beam' if args.beam > 1 else 'greedy'}, batch {args.batch})", file=sys.stderr)
    print(json.dumps({"sent_per_s": sentences / med, "tok_per_s": tokens / med,
                      "sentences": sentences, "tokens": tokens, "run_s": times,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
